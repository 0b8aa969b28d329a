"""The guided lessons: steps that set the layer (or the stack) through the AppState and say
what to see. The classic convolution lesson, and "Pooling and feature maps".

Between steps the student may change anything; the step's text is derived from what is on
screen (the image, the layer, the filter in the table, the seed box), says what the student
changed since the step and names settings Keras refuses. "Back" and "Set this step again"
restore the lesson's own settings for a step.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from engine.model.network import ModelSpec
from engine.teaching.lesson import LESSON_IMAGE, Lesson
from engine.teaching.pooling_lesson import PoolingLesson
from gui.state import AppState

#: The lessons by the name start() takes.
CLASSIC, POOLING = "classic", "pooling"
LESSONS = {CLASSIC: Lesson, POOLING: PoolingLesson}


def as_html(text: str) -> str:
    """The step's sentences as a paragraph, the lines after them (formulas, weights) in a
    fixed-width block so their numbers line up."""
    sentences, _, block = text.partition("\n")
    html = f"<p>{escape(sentences)}</p>"
    return html + (f"<pre>{escape(block)}</pre>" if block else "")


class LessonPanel(QWidget):
    def __init__(self, state: AppState, open_lesson_image: Callable[[ModelSpec, int], object],
                 parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("lessonPanel")
        self.state = state
        self.open_lesson_image = open_lesson_image
        self.lesson = Lesson(state.seed)
        self.index = 0

        self.title = QLabel("Next (or Help > Lesson) starts the classic Keras convolution lesson "
                            "on the ascent photo, in four steps.")
        self.title.setObjectName("lessonTitle")
        self.title.setStyleSheet("font-weight: bold;")
        self.counter = QLabel(" ")
        self.counter.setObjectName("lessonStep")
        self.text = QLabel()
        self.text.setObjectName("lessonText")
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.back = QPushButton("< Back")
        self.back.setObjectName("lessonBack")
        self.next = QPushButton("Next >")
        self.next.setObjectName("lessonNext")
        self.again = QPushButton("Set this step again")
        self.again.setObjectName("lessonAgain")
        self.again.setToolTip("Put back this step's settings after you changed them.")

        heading = QHBoxLayout()
        heading.addWidget(self.title, stretch=1)
        heading.addWidget(self.counter)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back)
        buttons.addWidget(self.next)
        buttons.addStretch(1)
        buttons.addWidget(self.again)
        layout = QVBoxLayout(self)
        layout.addLayout(heading)
        layout.addWidget(self.text, stretch=1)
        layout.addLayout(buttons)

        self.back.clicked.connect(lambda: self.go_to(self.index - 1, exact=True))
        self.next.clicked.connect(self._on_next)
        self.again.clicked.connect(lambda: self.go_to(self.index, exact=True))
        state.modelChanged.connect(self.refresh)
        state.imageChanged.connect(self.refresh)
        state.selectionChanged.connect(self.refresh)  # the table shows another filter
        state.seedChanged.connect(self.refresh)  # which weights count as untrained
        self.started = False
        self._enable_buttons()

    def start(self, lesson: str | None = None) -> None:
        """Step 1, with the untrained kernel of the seed the seed box shows (so a class
        given one seed sees the same numbers). ``lesson``: CLASSIC or POOLING (None: the
        one shown last)."""
        kind = type(self.lesson) if lesson is None else LESSONS[lesson]
        self.lesson = kind(self.state.seed)
        self.started = True
        self.state.set_model_file(None)  # the lesson's own stack, not an opened file's
        self.go_to(0)

    @property
    def step(self) -> int | None:
        """The step on screen (0-based), None before the lesson starts."""
        return self.index if self.started else None

    def resume(self, index: int) -> None:
        """Show step ``index`` of the lesson (an opened session), leaving the settings on
        screen as they are: the session holds what the class had changed."""
        self.lesson = type(self.lesson)(self.state.seed)
        self.started = True
        self.index = min(max(index, 0), len(self.lesson) - 1)
        self.refresh()

    def _on_next(self) -> None:
        if self.started:
            self.go_to(self.index + 1)
        else:
            self.start()

    def go_to(self, index: int, exact: bool = False) -> None:
        """Apply step ``index``: its own changes on top of the current settings, or
        (``exact``) the lesson's settings for that step. Step 1, and any step set exactly,
        also opens the photo as one gray channel."""
        self.index = min(max(index, 0), len(self.lesson) - 1)
        settings = self.lesson.exact_model if exact else self.lesson.model_for
        model = settings(self.index, self.state.model)
        layer = self.lesson.selected_layer(self.index)
        image = self.state.image
        if (self.index == 0 or exact) and (image is None or image.name != LESSON_IMAGE
                                           or image.channels != 1):
            self.open_lesson_image(model, layer)  # the photo is read off the GUI thread;
            # the step's layers come with it, in one step
        else:
            self.state.set_model(model, selected_layer=layer)
        self.refresh()

    def refresh(self, *_changed) -> None:
        if not self.started or self.state.image is None:
            return
        self.title.setText(self.lesson.steps[self.index].title)
        self.counter.setText(f"Step {self.index + 1} of {len(self.lesson)}")
        state = self.state
        self.counter.setToolTip(self.lesson.name)
        self.text.setText(as_html(self.lesson.model_text(
            self.index, state.image, state.model,
            state.selected_filter if state.selected_layer == 0 else 0, state.seed)))
        self._enable_buttons()

    def _enable_buttons(self) -> None:
        self.back.setEnabled(self.started and self.index > 0)
        self.next.setEnabled(not self.started or self.index < len(self.lesson) - 1)
        self.again.setEnabled(self.started)
