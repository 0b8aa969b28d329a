"""What the Train tab shows and the student chose: the target, the settings, whether the
mystery is revealed, the weight whose gradient is explained, and what training has produced
so far (steps, losses, the target output, the explanation).

Panels change it through the ``set_*`` and ``request`` methods and redraw from its signals;
only the controller (gui/training/controller.py) fills in what the engine reports.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from engine.model.network import ModelSpec
from engine.training.gradient import GradientExplanation, WeightRef
from engine.training.messages import TrainProgress
from engine.training.settings import TrainSettings
from engine.training.targets import CURRENT, RANDOM_PRESET, TrainTarget


class TrainState(QObject):
    targetChanged = Signal()  # the target or whether it is revealed
    settingsChanged = Signal()  # loss, optimizer, learning rate, scaling
    watchChanged = Signal()  # the weight whose gradient is explained
    actionRequested = Signal(str)  # "run", "pause", "step", "reset" or "refresh"
    runningChanged = Signal(bool)
    progressed = Signal()  # steps, losses, loss, rate, explanation
    targetOutputChanged = Signal(object)  # (1, H, W, F) float32, or None
    messageChanged = Signal(str)  # why training stopped or cannot start; "" when fine

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.target = TrainTarget(source=RANDOM_PRESET)
        self.revealed = False
        self.settings = TrainSettings()
        self.watch = WeightRef()
        self.running = False
        self.start_model: ModelSpec | None = None  # the weights of the session's first step
        self.target_model: ModelSpec | None = None  # the target as the last request sent it
        self.edited = False  # the student changed weights since the first step
        self.steps = 0
        self.losses = np.zeros(0, np.float32)  # the loss of every step of this session
        self.steps_per_second = 0.0
        self.loss: float | None = None  # at the weights on screen
        self.explanation: GradientExplanation | None = None
        self.target_output: np.ndarray | None = None
        self.message = ""
        self.reported_request = 0  # the request the last report shown answered

    @property
    def hidden(self) -> bool:
        """The target's weights are not to be shown (a mystery not revealed yet)."""
        return self.target.kind != CURRENT and not self.revealed

    # -- the student's choices -----------------------------------------------------------------
    def set_target(self, target: TrainTarget) -> None:
        self.target, self.revealed = target, target.kind == CURRENT
        self.targetChanged.emit()

    def set_revealed(self, revealed: bool) -> None:
        if revealed != self.revealed:
            self.revealed = revealed
            self.targetChanged.emit()

    def set_settings(self, settings: TrainSettings) -> None:
        if settings != self.settings:
            self.settings = settings
            self.settingsChanged.emit()

    def set_watch(self, ref: WeightRef) -> None:
        if ref != self.watch:
            self.watch = ref
            self.watchChanged.emit()

    def request(self, action: str) -> None:
        """Start ("run"), Pause, Step, Reset, or "refresh" (report the current weights)."""
        self.actionRequested.emit(action)

    # -- what the controller fills in ----------------------------------------------------------
    def set_running(self, running: bool) -> None:
        if running != self.running:
            self.running = running
            self.runningChanged.emit(running)

    def set_message(self, message: str) -> None:
        if message != self.message:
            self.message = message
            self.messageChanged.emit(message)

    def clear_progress(self, keep_target_output: bool = False) -> None:
        """A new session (or Reset): no steps, no losses; a new session also drops the old
        target's output."""
        self.steps, self.losses, self.steps_per_second = 0, np.zeros(0, np.float32), 0.0
        self.loss, self.explanation, self.edited = None, None, False
        self.start_model = None
        if self.target_output is not None and not keep_target_output:
            self.target_output = None
            self.targetOutputChanged.emit(None)
        self.progressed.emit()

    def add_losses(self, report: TrainProgress) -> None:
        """The report's losses in their place (steps first_step + 1 ...); none is lost or
        counted twice, whichever reports the window drops for their weights."""
        if report.losses.size or report.first_step < self.losses.size:
            self.losses = np.concatenate([self.losses[:report.first_step], report.losses])

    def apply(self, report: TrainProgress) -> None:
        self.reported_request = report.request_id
        self.steps = report.steps
        self.steps_per_second = report.steps_per_second
        self.loss = report.loss
        if report.explanation is not None:  # while running, a few a second
            self.explanation = report.explanation
        self.progressed.emit()

    def set_target_output(self, output: np.ndarray) -> None:
        self.target_output = output
        self.targetOutputChanged.emit(output)
