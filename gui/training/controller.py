"""Runs the Train tab's actions in the engine and brings the learned weights back.

Start, Pause, Step, Reset and every change of target or setting become TrainRequests for the
engine worker (gui/worker.py); its reports update the TrainState and put the learned weights
into the AppState like any edit, so the kernel table, the bias, the output and the code
follow. A change of the model that did not come from training is the student's own edit: it
pauses training and the engine takes it over. A new image stops training. Each Start (or
Step) is one undo step, however many reports it brings.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import QObject

from engine.model.errors import LayerSpecError
from engine.training.messages import (
    PAUSE,
    RESET,
    RUN,
    STEP,
    TrainProgress,
    TrainRequest,
    stop_request,
)
from gui.state import AppState
from gui.training.state import TrainState
from gui.undo import UndoHistory

#: Numbers for sessions and requests, unique in the process: a shared engine (the tests lend
#: one to window after window) never mixes up two windows' reports.
_sessions = itertools.count(1)
_requests = itertools.count(1)

#: What the undo menu calls a training run ("Undo training").
UNDO_NAME = "training"


class TrainController(QObject):
    def __init__(self, state: AppState, train: TrainState, worker, history: UndoHistory,
                 parent=None) -> None:
        super().__init__(parent)
        self.state, self.train, self.worker, self.history = state, train, worker, history
        self.session: int | None = None
        self._session_key: tuple | None = None
        self.latest_request = 0
        self._run = 0  # numbers the Start (or Step) a report belongs to, for undo
        self._applying = False  # the model is changing because of a report
        train.actionRequested.connect(self._on_action)
        train.targetChanged.connect(self._on_setup)
        train.settingsChanged.connect(self._on_setup)
        train.watchChanged.connect(self._on_setup)
        state.modelChanged.connect(self._on_model_changed)
        state.imageChanged.connect(self._on_image_changed)
        worker.trainingReport.connect(self._on_report)
        worker.trainingFailed.connect(self._on_failed)
        worker.engineFailed.connect(self._on_engine_failed)
        self._engine_problem = ""  # why there is no engine to train in, if there is none

    # -- sending ------------------------------------------------------------------------------
    def _key(self) -> tuple:
        """What a training run is tied to: a change in any of these starts a new one."""
        settings = self.train.settings
        return (self.state.image, self.state.model.layer_config(), self.train.target,
                settings.loss, settings.scale_inputs)

    def _send(self, action: str, steps: int = 1, adopt: bool = False) -> bool:
        """Send ``action`` with the current model, target and settings; ``adopt``: the
        engine takes the weights on screen (an edit, Reset), which otherwise lag its own by
        up to a report. False (and the reason on the Train tab) when they cannot train."""
        image, model = self.state.image, self.state.model
        if image is None:
            return False
        if self._engine_problem:
            self.train.set_message(f"No training without the Keras engine: "
                                   f"{self._engine_problem}")
            self.train.set_running(False)
            return False
        try:
            model.check(image.nhwc_shape)
            self.train.settings.check()
            target = self.train.target.model_for(model)
        except LayerSpecError as exc:
            self.train.set_message(str(exc))
            self.train.set_running(False)
            return False
        if self._key() != self._session_key or self.session is None:
            self.session, self._session_key = next(_sessions), self._key()
            self.train.clear_progress()
        if action in (RUN, STEP) and self.train.steps == 0:
            self.train.start_model = model
        self.train.target_model = target
        self.train.set_message("")
        self.latest_request = next(_requests)
        self.worker.submit_training(image, TrainRequest(
            self.latest_request, self.session, action, model, target, self.train.settings,
            self.train.watch, steps, adopt=adopt))
        return True

    def _on_action(self, action: str) -> None:
        if action == RUN:
            if not self.train.running and self._send(RUN):
                self._run += 1
                self.train.set_running(True)
        elif action == STEP:
            self.train.set_running(False)
            if self._send(STEP):
                self._run += 1
        elif action == PAUSE:
            self.train.set_running(False)
            self._send(PAUSE)
        elif action == RESET:
            self._reset()
        else:  # "refresh": the loss, gradient and target output for what is on screen
            self._send(RUN if self.train.running else PAUSE)

    def _reset(self) -> None:
        """Back to the weights of the first step (one undo step), no steps, no losses."""
        self.train.set_running(False)
        start = self.train.start_model
        if start is not None and start.layer_config() == self.state.model.layer_config():
            self._applying = True
            try:
                with self.history.grouped("reset training", ("reset", self._run)):
                    self.state.set_model(start)
            finally:
                self._applying = False
        self.train.clear_progress(keep_target_output=True)
        self._send(RESET, adopt=True)

    def _on_setup(self) -> None:
        """A new target or setting: a running session goes on with it, a paused one shows
        its loss and gradient (Start has not been pressed: nothing is sent yet)."""
        if self.session is not None or self.train.running:
            self._send(RUN if self.train.running else PAUSE)

    # -- what happens around training ------------------------------------------------------------
    def _on_model_changed(self, _model) -> None:
        if self._applying:
            return
        if self.train.running:  # the student's edit pauses training and takes effect
            self.train.set_running(False)
        elif self.session is None:
            return
        if self.train.steps:
            self.train.edited = True
        self._send(PAUSE, adopt=True)

    def _on_image_changed(self, _image) -> None:
        if self.session is None and not self.train.running:
            return
        was_running = self.train.running
        self.train.set_running(False)
        self.latest_request = next(_requests)
        self.worker.submit_training(None, stop_request(self.latest_request))
        self.session, self._session_key = None, None
        self.train.clear_progress()
        if was_running:
            self.train.set_message("The image changed, so training stopped: press Start to "
                                   "train on this image.")

    # -- receiving ----------------------------------------------------------------------------
    def _on_report(self, report: TrainProgress) -> None:
        if report.session != self.session:
            return  # an earlier run's (or another window's)
        self.train.add_losses(report)
        if report.target_output is not None:  # sent once per run, whichever request it answers
            self.train.set_target_output(report.target_output)
        if report.request_id != self.latest_request:
            self.train.progressed.emit()
            return  # weights from before the newest request (an edit, Pause): not shown
        if report.model != self.state.model:
            self._applying = True
            try:
                with self.history.grouped(UNDO_NAME, (UNDO_NAME, self._run)):
                    self.state.set_model(report.model)
            finally:
                self._applying = False
        self.train.apply(report)
        if report.message:
            self.train.set_message(report.message)
        if not report.running:
            self.train.set_running(False)

    def _on_engine_failed(self, message: str) -> None:
        self._engine_problem = message
        self.train.set_running(False)

    def _on_failed(self, message: str) -> None:
        self.train.set_running(False)
        self.session, self._session_key = None, None
        self.train.set_message(f"Training stopped: {message}")
