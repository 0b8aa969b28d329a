"""The two small forms of predict mode: the output shape (rows, cols, channels) and one
output value, each with its Check button and the verdict after it.

They only collect a guess and show what they are told; gui/classroom/predict.py decides when
a guess is due, judges it (engine/teaching/predict.py) and lifts the covers.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.teaching.predict import SHAPE_AXES

MAX_SIDE = 1_000_000
IDLE_TEXT = ("Predict mode: when a change alters the output's shape, the shape is hidden "
             "until you predict it here.")


def _axis_box(name: str) -> QSpinBox:
    box = QSpinBox()
    box.setObjectName(name)
    box.setRange(0, MAX_SIDE)
    box.setSpecialValueText("?")  # 0 shows as "?": nothing typed yet
    box.setKeyboardTracking(False)
    return box


class PredictForm(QWidget):
    """Rows, cols and channels of the output, and Check."""

    checkRequested = Signal(tuple)  # (rows, cols, channels)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("predictForm")
        self.question = QLabel(IDLE_TEXT)
        self.question.setObjectName("predictQuestion")
        self.question.setWordWrap(True)
        self.boxes = {axis: _axis_box(f"predict{axis.capitalize()}") for axis in SHAPE_AXES}
        self.check = QPushButton("Check")
        self.check.setObjectName("predictCheck")
        self.check.setToolTip("Compare your prediction with the shape Keras gives.")
        self.result = QLabel()
        self.result.setObjectName("predictResult")
        self.result.setWordWrap(True)
        self.result.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))

        row = QHBoxLayout()
        row.addWidget(QLabel("(1,"))
        for axis, box in self.boxes.items():
            box.setToolTip(f"Your prediction of the output's {axis}.")
            row.addWidget(box, stretch=1)
        row.addWidget(QLabel(")"))
        row.addWidget(self.check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.question)
        layout.addLayout(row)
        layout.addWidget(self.result)
        self.check.clicked.connect(self._on_check)
        self.idle()

    def prediction(self) -> tuple[int, int, int]:
        return tuple(self.boxes[axis].value() for axis in SHAPE_AXES)

    def ask(self, question: str) -> None:
        """A new shape to predict: the boxes start empty ("?")."""
        self.question.setText(question)
        for box in self.boxes.values():
            box.setValue(0)
            box.setEnabled(True)
        self.check.setEnabled(True)
        self.result.setText("")
        self.boxes["rows"].setFocus()

    def show_verdict(self, lines: list[str]) -> None:
        self.result.setText("\n".join(lines))
        for box in self.boxes.values():
            box.setEnabled(False)
        self.check.setEnabled(False)

    def idle(self) -> None:
        """Nothing to predict right now; the last verdict (if any) stays readable."""
        self.question.setText(IDLE_TEXT)
        for box in self.boxes.values():
            box.setEnabled(False)
        self.check.setEnabled(False)

    def _on_check(self) -> None:
        for box in self.boxes.values():
            box.interpretText()  # a number typed but not yet confirmed counts
        self.checkRequested.emit(self.prediction())


class ValueGuess(QWidget):
    """A guess of one output value (the inspector shows its products, not their sum)."""

    checkRequested = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("valueGuess")
        self.prompt = QLabel()
        self.prompt.setObjectName("valueGuessPrompt")
        self.prompt.setWordWrap(True)
        self.input = QLineEdit()
        self.input.setObjectName("valueGuessInput")
        self.input.setPlaceholderText("your value")
        self.check = QPushButton("Check")
        self.check.setObjectName("valueGuessCheck")
        self.result = QLabel()
        self.result.setObjectName("valueGuessResult")
        self.result.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.prompt, stretch=2)
        row.addWidget(self.input, stretch=1)
        row.addWidget(self.check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.result)
        self.check.clicked.connect(lambda: self.checkRequested.emit(self.input.text()))
        self.input.returnPressed.connect(lambda: self.checkRequested.emit(self.input.text()))

    def ask(self, prompt: str, enabled: bool) -> None:
        self.prompt.setText(prompt)
        self.input.setEnabled(enabled)
        self.check.setEnabled(enabled)
        self.input.clear()
        self.result.setText("")

    def show_verdict(self, text: str) -> None:
        self.result.setText(text)
