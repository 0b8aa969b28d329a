"""The Train tab's controls: the target, the loss and optimizer, the learning rate, input
scaling (with the note why unscaled pixels need a small rate), Start/Pause, Step and Reset.

Every control edits the TrainState; the buttons ask it for an action. What is shown comes
back from the state, so the controls never disagree with what is trained.
"""

from __future__ import annotations

import math

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.training.settings import (
    LOSSES,
    MAX_LEARNING_RATE,
    OPTIMIZERS,
    SCALE_NOTE,
    SCALE_SHORT,
    default_learning_rate,
)
from engine.training.targets import CURRENT, MYSTERY, MYSTERY_SOURCES, TrainTarget
from gui.state import AppState, signals_blocked
from gui.training.state import TrainState

TARGET_KINDS = {MYSTERY: "a mystery kernel", CURRENT: "the current kernel, frozen"}
INVALID_STYLE = "background: #ffd7d7;"


def _combo(name: str, items: dict) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    for data, label in items.items():
        box.addItem(label, data)
    # narrow enough for the column: a long entry is shown in full when the list opens
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(8)
    return box


class TrainControls(QWidget):
    def __init__(self, state: AppState, train: TrainState, parent=None) -> None:
        super().__init__(parent)
        self.state, self.train = state, train
        self.target_kind = _combo("trainTarget", TARGET_KINDS)
        self.target_kind.setToolTip(
            "A mystery kernel: Keras applies a hidden kernel to the image; the layer learns "
            "to give the same output.\nThe current kernel: the weights on screen become the "
            "target; change them (Re-roll) and learn them back.")
        self.source = _combo("mysterySource", {name: name for name in MYSTERY_SOURCES})
        self.source.setToolTip("Where the mystery kernel comes from: random whole numbers "
                               "from -2 to 2, a preset picked at random, or a preset you name.")
        self.seed = QSpinBox()
        self.seed.setObjectName("mysterySeed")
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setKeyboardTracking(False)
        self.seed.setToolTip("The seed the random mysteries are drawn from.")
        self.freeze = QPushButton("Freeze kernel")
        self.freeze.setObjectName("freezeTarget")
        self.freeze.setToolTip("Make the kernel on screen the target (then Re-roll the weights "
                               "on the Kernel tab and learn it back).")
        self.reveal = QPushButton("Reveal")
        self.reveal.setObjectName("revealTarget")
        self.reveal.setCheckable(True)
        self.loss = _combo("trainLoss", {name: words for name, (_, words) in LOSSES.items()})
        self.optimizer = _combo("trainOptimizer",
                                {name: words for name, (_, words) in OPTIMIZERS.items()})
        self.rate = QLineEdit()
        self.rate.setObjectName("learningRate")
        self.rate.setToolTip(f"The optimizer's learning_rate (above 0, at most "
                             f"{MAX_LEARNING_RATE:g}); it takes effect at once, also while "
                             f"training.")
        self.scale = QCheckBox("Scale inputs to 0-1 (x / 255)")
        self.scale.setObjectName("scaleInputs")
        note = QLabel(SCALE_SHORT)
        note.setObjectName("scaleNote")
        note.setWordWrap(True)
        note.setToolTip(SCALE_NOTE)
        note.setStyleSheet("color: #555;")
        self.scale.setToolTip(SCALE_NOTE)
        self.start = QPushButton("Start")
        self.start.setObjectName("trainStart")
        self.start.setCheckable(True)
        self.step = QPushButton("Step")
        self.step.setObjectName("trainStep")
        self.step.setToolTip("One optimizer step (one GradientTape pass over the whole image).")
        self.reset = QPushButton("Reset")
        self.reset.setObjectName("trainReset")
        self.reset.setToolTip("Back to the weights training started from.")
        self.message = QLabel("")
        self.message.setObjectName("trainMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #9a3a00;")

        target_buttons = QHBoxLayout()
        target_buttons.addWidget(self.freeze)
        target_buttons.addWidget(self.reveal)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Target", self.target_kind)
        form.addRow("Mystery", self.source)
        form.addRow("Seed", self.seed)
        form.addRow(target_buttons)
        form.addRow("Loss", self.loss)
        form.addRow("Optimizer", self.optimizer)
        form.addRow("Learning rate", self.rate)
        buttons = QHBoxLayout()
        for button in (self.start, self.step, self.reset):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.scale)
        layout.addWidget(note)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addStretch(1)

        self.target_kind.currentIndexChanged.connect(self._on_target)
        self.source.currentIndexChanged.connect(self._on_target)
        self.seed.valueChanged.connect(self._on_target)
        self.freeze.clicked.connect(self._freeze)
        self.reveal.toggled.connect(train.set_revealed)
        self.loss.currentIndexChanged.connect(self._on_settings)
        self.optimizer.currentIndexChanged.connect(lambda _i: self._on_settings(default=True))
        self.scale.toggled.connect(lambda _on: self._on_settings(default=True))
        self.rate.editingFinished.connect(self._on_settings)
        self.start.clicked.connect(lambda on: train.request("run" if on else "pause"))
        self.step.clicked.connect(lambda: train.request("step"))
        self.reset.clicked.connect(lambda: train.request("reset"))
        train.targetChanged.connect(self.show_target)
        train.settingsChanged.connect(self.show_settings)
        train.runningChanged.connect(self.show_running)
        train.messageChanged.connect(self.message.setText)
        self.show_target()
        self.show_settings()
        self.show_running(train.running)

    # -- edits ---------------------------------------------------------------------------------
    def _on_target(self, *_changed) -> None:
        if self.target_kind.currentData() == CURRENT:
            self._freeze()
            return
        self.train.set_target(TrainTarget(MYSTERY, self.source.currentData(),
                                          self.seed.value()))

    def _freeze(self) -> None:
        self.train.set_target(TrainTarget.freeze(self.state.model))

    def _on_settings(self, *_changed, default: bool = False) -> None:
        """A changed loss, rate or scaling; a new optimizer or scaling brings its default
        rate (SGD's differs from Adam's by five orders of magnitude)."""
        optimizer, scale = self.optimizer.currentData(), self.scale.isChecked()
        if default:
            rate = default_learning_rate(optimizer, scale)
        else:
            try:
                rate = float(self.rate.text())
            except ValueError:
                rate = math.nan
            if not (math.isfinite(rate) and 0 < rate <= MAX_LEARNING_RATE):
                self.rate.setStyleSheet(INVALID_STYLE)
                self.message.setText(f"The learning rate must be a number above 0 and at most "
                                     f"{MAX_LEARNING_RATE:g}; {self.train.settings.learning_rate:g}"
                                     f" stays.")
                return
        self.rate.setStyleSheet("")
        self.train.set_settings(self.train.settings.with_changes(
            loss=self.loss.currentData(), optimizer=optimizer, learning_rate=rate,
            scale_inputs=scale))

    # -- showing the state ---------------------------------------------------------------------
    def show_target(self) -> None:
        target = self.train.target
        with signals_blocked(self.target_kind, self.source, self.seed, self.reveal):
            self.target_kind.setCurrentIndex(self.target_kind.findData(target.kind))
            if target.kind == MYSTERY:
                self.source.setCurrentIndex(self.source.findData(target.source))
                self.seed.setValue(target.seed)
            self.reveal.setChecked(self.train.revealed)
        mystery = target.kind == MYSTERY
        self.source.setEnabled(mystery)
        self.seed.setEnabled(mystery)
        self.reveal.setEnabled(mystery)
        self.reveal.setText("Hide" if self.train.revealed and mystery else "Reveal")

    def show_settings(self) -> None:
        settings = self.train.settings
        with signals_blocked(self.loss, self.optimizer, self.scale):
            self.loss.setCurrentIndex(self.loss.findData(settings.loss))
            self.optimizer.setCurrentIndex(self.optimizer.findData(settings.optimizer))
            self.scale.setChecked(settings.scale_inputs)
        self.rate.setText(f"{settings.learning_rate:g}")
        self.rate.setStyleSheet("")

    def show_running(self, running: bool) -> None:
        with signals_blocked(self.start):
            self.start.setChecked(running)
        self.start.setText("Pause" if running else "Start")
