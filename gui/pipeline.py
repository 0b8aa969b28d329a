"""The one-way path: state change -> request -> engine worker -> result -> views.

Checks each state against the shape arithmetic first, so a setting Keras would refuse is
explained at once (even before TensorFlow has loaded) and never sent. Results carry their
request id; one older than what is shown, or for an image no longer open, is dropped.
"""

from __future__ import annotations

import itertools
import time

from PySide6.QtCore import QObject, Signal

from engine.model.errors import LayerSpecError
from gui.requests import EngineFailure, ModelRequest, ModelResult
from gui.state import AppState
from gui.worker import EngineWorker


class LivePipeline(QObject):
    outputChanged = Signal(object)  # ModelResult, the one now on screen
    problemChanged = Signal(str)  # why the output is not up to date; "" when it is
    engineStatusChanged = Signal(str)  # "loading", "ready" or the reason it failed

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.engine_status = "loading"
        self.shown: ModelResult | None = None
        self.shown_received_at = 0.0  # perf_counter when ``shown`` reached this thread
        self.latest_request_id = 0
        self._ids = itertools.count(1)
        self.worker = EngineWorker()
        self.worker.engineReady.connect(self._on_engine_ready)
        self.worker.engineFailed.connect(self._on_engine_failed)
        self.worker.resultReady.connect(self._on_result)
        self.worker.computeFailed.connect(self._on_failure)
        state.modelChanged.connect(self.request)
        state.imageChanged.connect(self.request)

    def start(self) -> None:
        self.worker.start()
        self.request()

    def stop(self) -> None:
        self.worker.stop()

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

    def _on_engine_ready(self) -> None:
        self.engine_status = "ready"
        self.engineStatusChanged.emit("ready")

    def _on_engine_failed(self, message: str) -> None:
        self.engine_status = message
        self.engineStatusChanged.emit(message)

    def _is_stale(self, request_id: int) -> bool:
        shown_id = self.shown.request_id if self.shown else 0
        return request_id <= shown_id or request_id > self.latest_request_id

    def _on_result(self, result: ModelResult) -> None:
        if self._is_stale(result.request_id) or result.image is not self.state.image:
            return
        self.shown, self.shown_received_at = result, time.perf_counter()
        if result.request_id == self.latest_request_id:
            self.problemChanged.emit("")
        self.outputChanged.emit(result)

    def _on_failure(self, failure: EngineFailure) -> None:
        if failure.request_id == self.latest_request_id:
            self.problemChanged.emit(failure.message)
