"""Training inside the engine: TrainRequests in, TrainProgress reports out.

The engine process (or the worker thread, with CONVSCOPE_ENGINE=thread) owns one
TrainingService. ``handle`` applies a request at once; while ``running``, the engine calls
``work`` whenever no other message waits: it runs one chunk of steps (about CHUNK_S, so an
output request or a Pause never waits longer) and returns a report when one is due (about
fifteen a second). Steps therefore run as fast as Keras allows between the reports the window
redraws from.
"""

from __future__ import annotations

import time

import numpy as np

from engine.model.errors import LayerSpecError
from engine.training.messages import RESET, RUN, STEP, STOP, TrainProgress, TrainRequest

#: Seconds of steps per chunk: the longest an output request or a Pause waits for training.
CHUNK_S = 0.02
#: Bounds of a chunk, in steps.
MIN_CHUNK, MAX_CHUNK = 1, 500
#: Between chunks the engine waits this long for a message (seconds), leaving the cores to
#: the window for a moment: on a 2-core machine TensorFlow's threads would otherwise keep both
#: busy while the window's thread waits for one to redraw.
YIELD_S = 0.003
#: While training runs, the gradient of the watched weight is worked out at most this often
#: (seconds): it costs a gradient pass and a pass over the image in NumPy, about two steps.
EXPLAIN_EVERY_S = 0.25


class TrainingService:
    def __init__(self) -> None:
        self.trainer = None
        self.session: int | None = None  # the session the trainer belongs to
        self.request: TrainRequest | None = None
        self.running = False
        self._input = None
        self._chunk = 8  # steps in the next chunk, tuned from the last one
        self._reported_at = 0.0
        self._reported_steps = 0
        self._reported_from = 0  # the step the next report's losses start after
        self._rate = 0.0
        self._send_target = False
        self._explained_at = 0.0

    # -- requests ------------------------------------------------------------------------------
    def handle(self, request: TrainRequest, pixels) -> TrainProgress | None:
        """Apply ``request`` on ``pixels`` (the engine's current image, (1, H, W, C)); the
        report to send now, or None (STOP; RUN reports from ``work``)."""
        self.request = request
        if request.action == STOP:
            self.running, self.trainer, self._input, self.session = False, None, None, None
            return None
        try:
            self._prepare(request, pixels)
            if request.action == RESET:
                self.trainer.reset(request.model)
                self._reported_from = 0
            if request.action == STEP:
                self.trainer.train(max(1, int(request.steps)))
        except LayerSpecError as exc:  # a setting Keras refuses, or the loss diverged
            self.running = False
            return self._report(str(exc))
        self.running = request.action == RUN
        self._reported_at, self._reported_steps = time.perf_counter(), self.trainer.steps
        return None if self.running else self._report()

    def _prepare(self, request: TrainRequest, pixels) -> None:
        """Build a trainer for a new session (or layers, image, loss, scaling); otherwise
        take the settings, and the weights when the request says they are the student's."""
        from engine.backend.keras_training import KerasTrainer

        if pixels is None:
            raise LayerSpecError("There is no image to train on yet.")
        trainer, settings = self.trainer, request.settings
        if (trainer is None or self.session != request.session or pixels is not self._input
                or trainer.target_model != request.target
                or trainer.layout != request.model.layer_config()
                or (settings.loss, settings.scale_inputs)
                != (trainer.settings.loss, trainer.settings.scale_inputs)):
            self.trainer = None  # a failed build leaves no half-made trainer behind
            trainer = KerasTrainer(pixels, request.model, request.target, settings)
            self.trainer, self.session, self._input = trainer, request.session, pixels
            self._reported_from, self._send_target = 0, True
            return
        if settings.optimizer != trainer.settings.optimizer:
            trainer.set_optimizer(settings)
        elif settings.learning_rate != trainer.settings.learning_rate:
            trainer.set_learning_rate(settings.learning_rate)
        if request.adopt and trainer.weights() != request.model:
            trainer.set_weights(request.model)  # the student's edit

    # -- training ------------------------------------------------------------------------------
    def work(self) -> TrainProgress | None:
        """One chunk of steps; a report when one is due (or training stopped)."""
        if not self.running or self.trainer is None:
            return None
        started = time.perf_counter()
        try:
            self.trainer.train(self._chunk)
        except LayerSpecError as exc:
            self.running = False
            return self._report(str(exc))
        per_step = (time.perf_counter() - started) / self._chunk
        self._chunk = int(min(MAX_CHUNK, max(MIN_CHUNK, round(CHUNK_S / max(per_step, 1e-6)))))
        now = time.perf_counter()
        if now - self._reported_at < self.request.report_every:
            return None
        self._rate = (self.trainer.steps - self._reported_steps) / (now - self._reported_at)
        self._reported_at, self._reported_steps = now, self.trainer.steps
        return self._report()

    def failed(self, message: str) -> TrainProgress:
        """Stop after an unexpected fault; the report that says so."""
        self.running = False
        try:
            return self._report(message)
        except Exception:  # the trainer itself is broken: report without it
            self.trainer = None
            return self._report(message)

    def _report(self, message: str = "") -> TrainProgress:
        trainer, request = self.trainer, self.request
        if trainer is None:
            return TrainProgress(request.request_id, request.session, 0, 0,
                                 np.zeros(0, np.float32), request.model, False, message=message)
        history = trainer.loss_history
        loss, explanation = None, None
        now = time.perf_counter()
        if self.running and history.size and now - self._explained_at < EXPLAIN_EVERY_S:
            loss = float(history[-1])  # the newest step's: close enough while it runs
        else:
            self._explained_at = now
            try:
                loss, explanation = trainer.explain(request.watch)
            except LayerSpecError:  # the watched weight is not in this layer (any more)
                loss, _ = trainer.current()
        first = min(self._reported_from, len(history))
        self._reported_from = len(history)
        target = trainer.target_output if self._send_target else None
        self._send_target = False
        return TrainProgress(request.request_id, request.session, trainer.steps, first,
                             history[first:].copy(), trainer.weights(), self.running,
                             self._rate if self.running else 0.0, loss, explanation, target,
                             message)




class LocalTraining:
    """The service on the caller's own thread, with the interface EngineProcess offers
    (``train``, ``training_reports``): how the worker trains with CONVSCOPE_ENGINE=thread."""

    def __init__(self) -> None:
        self.service = TrainingService()
        self._reports: list[TrainProgress] = []
        self._image = None
        self._pixels = None

    def train(self, image, request: TrainRequest) -> None:
        if image is not None and image is not self._image:
            pixels = np.asarray(image.pixels, np.float32)
            self._image, self._pixels = image, pixels.reshape(1, *pixels.shape[:2], -1)
        report = self.service.handle(request, self._pixels)
        if report is not None:
            self._reports.append(report)

    def training_reports(self) -> list[TrainProgress]:
        """What is waiting, after one chunk of steps when training runs (a chunk per call,
        so the caller gets back to its own requests in between)."""
        reports, self._reports = self._reports, []
        try:
            report = self.service.work()
        except Exception as exc:  # as the engine process does: stop and say why
            report = self.service.failed(f"Keras could not train ({type(exc).__name__}: "
                                         f"{exc}).")
        return reports + ([report] if report is not None else [])
