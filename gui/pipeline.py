"""The one-way path: state change -> request -> engine worker -> result -> views.

Checks each state against the shape arithmetic first, so a setting Keras would refuse is
explained at once (even before TensorFlow has loaded) and never sent. Results carry their
request id; one older than what is shown, or for an image no longer open, is dropped.

When the engine cannot give the newest edit its output (it is not answering, it stopped, it
ran out of memory), the output on screen no longer matches the table: ``stale_reason`` says
why (views mark the output, exports refuse), until a result for the newest edit arrives.
"""

from __future__ import annotations

import itertools
import time

from PySide6.QtCore import QObject, Signal

from engine.model.errors import LayerSpecError
from gui.requests import EngineFailure, ModelRequest, ModelResult
from gui.state import AppState
from gui.worker import EngineWorker

#: Why the output is not the table's, by the kind of fault (EngineFailure.kind).
STALE_BECAUSE = {
    "silent": "the Keras engine has not answered",
    "memory": "there was not enough memory for the newest output",
    "stopped": "the Keras engine stopped",
    "error": "Keras could not compute the newest output",
    "unavailable": "the Keras engine is not running",
}


class LivePipeline(QObject):
    outputChanged = Signal(object)  # ModelResult, the one now on screen
    problemChanged = Signal(str)  # why the output is not up to date; "" when it is
    engineStatusChanged = Signal(str)  # "loading", "ready" or the reason it failed
    outputStale = Signal(str)  # why the output on screen is not the table's; "" when it is
    restartOffered = Signal(bool)  # the engine is not answering: offer to restart it
    noticeRaised = Signal(str)  # a one-off note from the engine (e.g. a slower transport)

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.engine_status = "loading"
        self.shown: ModelResult | None = None
        self.shown_received_at = 0.0  # perf_counter when ``shown`` reached this thread
        self.latest_request_id = 0
        self.stale_reason = ""  # see the module docstring
        self._ids = itertools.count(1)
        self.worker = EngineWorker()
        self.worker.engineStarting.connect(self._on_engine_starting)
        self.worker.engineReady.connect(self._on_engine_ready)
        self.worker.engineFailed.connect(self._on_engine_failed)
        self.worker.engineSilent.connect(self._on_engine_silent)
        self.worker.engineNotice.connect(self.noticeRaised)
        self.worker.resultReady.connect(self._on_result)
        self.worker.computeFailed.connect(self._on_failure)
        state.modelChanged.connect(self.request)
        state.imageChanged.connect(self.request)

    def start(self) -> None:
        self.worker.start()
        self.request()

    def stop(self) -> None:
        self.worker.stop()

    def restart_engine(self) -> None:
        """End an engine that is not answering and start a new one (the banner's Restart)."""
        self.restartOffered.emit(False)
        self.problemChanged.emit("")  # the banner says the engine is loading instead
        self.worker.restart_engine()

    def request(self, *_changed) -> None:
        """Send the current state to the engine, unless it is known to fail."""
        image, model = self.state.image, self.state.model
        if image is None:
            return
        try:
            model.check(image.nhwc_shape)
        except LayerSpecError as exc:
            self.latest_request_id = next(self._ids)  # an in-flight result won't clear this
            self.problemChanged.emit(str(exc))
            return
        self.latest_request_id = next(self._ids)
        focus = (self.state.selected_layer, self.state.selected_filter)
        self.worker.submit(ModelRequest(self.latest_request_id, image, model, focus))

    def _set_stale(self, kind: str) -> None:
        reason = STALE_BECAUSE.get(kind, "")
        if reason != self.stale_reason:
            self.stale_reason = reason
            self.outputStale.emit(reason)

    def _on_engine_starting(self) -> None:
        self.engine_status = "loading"
        self.engineStatusChanged.emit("loading")

    def _on_engine_ready(self) -> None:
        self.engine_status = "ready"
        self.engineStatusChanged.emit("ready")

    def _on_engine_failed(self, message: str) -> None:
        self.engine_status = message
        self.engineStatusChanged.emit(message)
        if self.shown is not None:
            self._set_stale("unavailable")

    def _on_engine_silent(self, seconds: float) -> None:
        if self.shown is not None and self.shown.request_id == self.latest_request_id:
            return  # late, but nothing newer was asked for: the output still matches
        self._set_stale("silent")
        self.problemChanged.emit(
            f"The Keras engine has not answered in {seconds:.0f} s (it should have by now): "
            f"the output shown is from earlier settings, not the table's. Restart it, or "
            f"wait.")
        self.restartOffered.emit(True)

    def _is_stale(self, request_id: int) -> bool:
        shown_id = self.shown.request_id if self.shown else 0
        return request_id <= shown_id or request_id > self.latest_request_id

    def _on_result(self, result: ModelResult) -> None:
        if self._is_stale(result.request_id) or result.image is not self.state.image:
            return
        self.shown, self.shown_received_at = result, time.perf_counter()
        if result.request_id == self.latest_request_id:
            self.problemChanged.emit("")
            self.restartOffered.emit(False)
            self._set_stale("")
        self.outputChanged.emit(result)

    def _on_failure(self, failure: EngineFailure) -> None:
        if failure.request_id == self.latest_request_id:
            self.problemChanged.emit(failure.message)
            self.restartOffered.emit(False)
            if failure.kind != "spec" and self.shown is not None:
                self._set_stale(failure.kind)
