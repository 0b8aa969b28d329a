"""The Quiz tab: random layer settings on the current image, one question at a time, from a
seed the teacher can give the whole class, with a running score and the worked answer.

The questions come from engine/teaching/quiz.py; the progress (seed, question, score) lives
in the classroom state, so a session can save it and bring it back.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.arithmetic.sizes import format_shape
from engine.storage.session import MAX_SEED
from engine.teaching.quiz import AnswerFormatError, Question, QuizProgress, question
from gui.classroom.state import ClassroomState
from gui.state import AppState, signals_blocked

START_TEXT = ("Start a quiz: random layers on the image on screen, one question at a time. "
              "The same seed gives everyone the same questions.")


class QuizPanel(QWidget):
    showLayerRequested = Signal(object)  # the question's layer spec, to try in the window

    def __init__(self, state: AppState, classroom: ClassroomState, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("quizPanel")
        self.state, self.classroom = state, classroom
        self.question: Question | None = None
        self.last_lines: tuple[str, ...] = ()

        self.seed = QSpinBox()
        self.seed.setObjectName("quizSeed")
        self.seed.setRange(0, MAX_SEED)
        self.seed.setValue(state.seed)
        self.seed.setToolTip("Give the class this number: the same seed gives the same "
                             "questions on the same image.")
        self.start_button = QPushButton("Start quiz")
        self.start_button.setObjectName("quizStart")
        self.score = QLabel()
        self.score.setObjectName("quizScore")
        self.text = QLabel(START_TEXT)
        self.text.setObjectName("quizQuestion")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.answer = QLineEdit()
        self.answer.setObjectName("quizAnswer")
        self.check_button = QPushButton("Check")
        self.check_button.setObjectName("quizCheck")
        self.next_button = QPushButton("Next question")
        self.next_button.setObjectName("quizNext")
        self.show_button = QPushButton("Try it in the window")
        self.show_button.setObjectName("quizShow")
        self.show_button.setToolTip("Put this question's layer on the Layer and Kernel tabs "
                                    "and run it with Keras (undo brings yours back).")
        self.result = QLabel()
        self.result.setObjectName("quizResult")
        self.result.setWordWrap(True)
        self.result.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.result.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        result_area = QScrollArea()
        result_area.setWidget(self.result)
        result_area.setWidgetResizable(True)

        top = QHBoxLayout()
        top.addWidget(QLabel("Seed"))
        top.addWidget(self.seed)
        top.addWidget(self.start_button)
        top.addStretch(1)
        top.addWidget(self.score)
        answer_row = QHBoxLayout()
        answer_row.addWidget(self.answer, stretch=1)
        answer_row.addWidget(self.check_button)
        answer_row.addWidget(self.next_button)
        answer_row.addWidget(self.show_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.text)
        layout.addLayout(answer_row)
        layout.addWidget(result_area, stretch=1)

        self.start_button.clicked.connect(lambda: self.start())
        self.check_button.clicked.connect(self.check)
        self.answer.returnPressed.connect(self.check)
        self.next_button.clicked.connect(self.next)
        self.show_button.clicked.connect(self._show_layer)
        classroom.quizChanged.connect(self._show)
        state.imageChanged.connect(lambda _image: self._show(classroom.quiz))
        self._show(classroom.quiz)

    @property
    def progress(self) -> QuizProgress | None:
        return self.classroom.quiz

    def start(self, seed: int | None = None) -> None:
        """A new quiz from ``seed`` (default: the seed box's), score 0."""
        self.seed.interpretText()  # a seed typed but not yet confirmed counts
        seed = self.seed.value() if seed is None else int(seed)
        self.last_lines = ()
        self.classroom.set_quiz(QuizProgress(seed=seed))
        self._show(self.classroom.quiz)  # the same seed again starts over
        self.answer.setFocus()

    def check(self) -> None:
        progress = self.progress
        if progress is None or progress.checked or self.question is None:
            return
        try:
            result = self.question.check(self.answer.text())
        except AnswerFormatError as exc:
            self.result.setText(str(exc))
            return
        self.last_lines = result.lines
        self.classroom.set_quiz(progress.after(result))

    def next(self) -> None:
        progress = self.progress
        if progress is not None and progress.checked:
            self.last_lines = ()
            self.classroom.set_quiz(progress.next())

    def _show_layer(self) -> None:
        if self.question is not None:
            self.showLayerRequested.emit(self.question.layer)

    def _show(self, progress: QuizProgress | None) -> None:
        image = self.state.image
        started = progress is not None and image is not None
        if started:
            with signals_blocked(self.seed):
                self.seed.setValue(progress.seed)
            self.question = question(progress.seed, progress.index, image.nhwc_shape)
            q = self.question
            self.text.setText(f"Question {q.number} (seed {q.seed}): {q.layer_code} on an input "
                              f"of {format_shape(q.input_shape)}. {q.prompt} {q.hint}")
            self.score.setText(f"Score: {progress.score}")
        else:
            self.question = None
            self.text.setText(START_TEXT)
            self.score.setText("")
        checked = started and progress.checked
        self.answer.setEnabled(started and not checked)
        self.check_button.setEnabled(started and not checked)
        self.next_button.setEnabled(checked)
        self.show_button.setEnabled(checked)
        if checked:
            lines = self.last_lines or (f"The answer: {self.question.answer_text}.",
                                        *self.question.worked())
            self.result.setText("\n".join(lines))
        else:
            self.result.setText("")
            self.answer.clear()
