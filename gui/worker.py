"""The one thread that talks to the Keras engine.

By default the engine is a separate process (engine/backend/process.py): importing
TensorFlow holds the interpreter lock for up to a quarter second at a time, which would
freeze the window if it happened in this process. This thread starts that process, sends it
one request at a time and waits for the answer without holding the lock. With
``CONVSCOPE_ENGINE=thread`` Keras runs on this thread instead (Keras keeps thread-local
state, so the layer is built and called here only).

Requests are coalesced: while one computation runs, only the newest request waits, so holding
an arrow key or typing fast never builds a queue. Training requests (Start, Pause, Step, ...)
are sent in order; while the engine trains, this thread collects its reports every few
milliseconds and answers output requests in between (the engine runs its steps in short
chunks, so neither waits long).
"""

from __future__ import annotations

import contextlib
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QThread, Signal

from engine.backend.process import EngineProcess, EngineStopped, engine_mode
from engine.backend.training_service import LocalTraining
from engine.model.errors import LayerSpecError
from engine.training.messages import STOP, stop_request
from gui.requests import EngineFailure, ModelRequest, ModelResult, Timeline

INSTALL_HINT = ("Install it into ConvScope's environment with "
                "'pip install tensorflow-cpu' (macOS: 'pip install tensorflow').")

#: How long closing the window waits for the engine's current answer before ending the
#: engine process (a stuck TensorFlow call must never keep the window from closing).
STOP_GRACE_MS = 5_000

#: How long the GUI thread lets an idle worker have the interpreter to take a new request.
HANDOVER_WAIT_S = 0.005

#: While the engine trains, how often the worker looks for its reports (seconds).
TRAINING_POLL_S = 0.01

#: Workers still running after their engine process was killed (stuck outside the engine):
#: kept referenced so Qt never destroys a running QThread; see ``stuck_workers``.
_unfinished: list[EngineWorker] = []


def stuck_workers() -> int:
    """How many closed windows' workers are still running. Interpreter shutdown would
    destroy their QThreads, which Qt answers with an abort, so the app ends the process
    directly when there are any (gui/app.py)."""
    _unfinished[:] = [worker for worker in _unfinished if worker.isRunning()]
    return len(_unfinished)


def new_engine_process() -> EngineProcess:
    """A worker's own engine process, not started yet (the worker starts it)."""
    return EngineProcess(start=False)


class EngineWorker(QThread):
    """Runs ModelRequests through the Keras engine; results come back as queued signals."""

    #: What a worker calls, once, on its thread, for its engine process (in process mode).
    #: Read when the worker is made, so code that makes windows can hand them an existing
    #: engine for that time (the tests share one); the worker calls start() and close() on
    #: whatever it gets.
    engine_factory: Callable[[], EngineProcess] = new_engine_process

    engineReady = Signal()
    engineFailed = Signal(str)
    resultReady = Signal(object)  # ModelResult
    computeFailed = Signal(object)  # EngineFailure
    trainingReport = Signal(object)  # TrainProgress (engine/training/messages.py)
    trainingFailed = Signal(str)  # the engine stopped while training

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("engineWorker")
        self._condition = threading.Condition()
        self._pending: ModelRequest | None = None
        self._waiting = False  # idle in _next_request, under _condition
        self._taken = threading.Event()  # the worker has taken the newest request
        self._stopping = False
        self.computations = 0  # how many requests actually ran (the rest were coalesced)
        self.engine_pid: int | None = None  # the engine process, when there is one
        self.engine_import_s: float | None = None  # how long TensorFlow took to import there
        self._engine: EngineProcess | None = None  # the engine process (process mode)
        self._new_engine = type(self).engine_factory
        self._trainings: list[tuple] = []  # (image, TrainRequest) to send, in order
        self._training_live = False  # training reports may come: look for them
        self._trained = False  # a training request was ever sent (stop it when closing)
        self._last_training_id = 0

    def submit(self, request: ModelRequest) -> None:
        """Queue ``request``, replacing any request that has not started yet.

        An idle worker is given a moment (at most HANDOVER_WAIT_S) to take the request before
        this returns: the GUI thread goes on to refresh a dozen panels in Python, and until it
        is done the worker would wait for the interpreter lock before it could even send the
        request to the engine. Handed over first, the request is computed while the panels
        refresh (about 2 ms sooner at 512x512)."""
        with self._condition:
            self._pending = request
            waiting = self._waiting
            self._taken.clear()
            self._condition.notify()
        if waiting:
            self._taken.wait(HANDOVER_WAIT_S)

    def submit_training(self, image, request) -> None:
        """Queue a TrainRequest for ``image``; training requests are never coalesced (each
        is an action: Start, Step, ...). Reports come back as trainingReport signals."""
        with self._condition:
            self._trainings.append((image, request))
            self._condition.notify()

    def stop(self) -> None:
        """Ask the loop to end and wait for it. An engine process still loading TensorFlow
        (at start-up, or restarting after a crash) is killed at once, so closing the window
        never waits for the import; one that has not answered within STOP_GRACE_MS is
        killed too, which ends the worker's wait for it. Keras on this thread
        (CONVSCOPE_ENGINE=thread) cannot be interrupted: closing then waits for the call or
        the import in progress."""
        with self._condition:
            self._stopping = True
            self._condition.notify()
            engine = self._engine
        if engine is not None and engine.starting:
            engine.abort()
        if engine_mode() == "thread":
            self.wait()
            return
        if self.wait(STOP_GRACE_MS):
            return
        if engine is not None:
            engine.abort()
        if not self.wait(STOP_GRACE_MS):
            _unfinished.append(self)

    def run(self) -> None:  # on the worker thread
        try:
            engine = self._start_engine()
        except Exception as exc:  # a missing or broken TensorFlow must not take the window
            if self._stopping:  # killed on purpose: the window is closing
                return
            detail = str(exc) if isinstance(exc, EngineStopped) else f"{type(exc).__name__}: {exc}"
            self.engineFailed.emit(f"The Keras engine could not start ({detail}). "
                                   + INSTALL_HINT)
            return
        self.engine_pid = getattr(engine, "pid", None)
        self.engine_import_s = getattr(engine, "import_seconds", None)
        self.engineReady.emit()
        training = engine if hasattr(engine, "train") else LocalTraining()
        try:
            while True:
                if (self._pending is None and not self._training_live
                        and hasattr(engine, "compile_current")):
                    engine.compile_current()  # idle: Keras on this thread traces its call
                work = self._next_work(0.0 if isinstance(training, LocalTraining)
                                       else TRAINING_POLL_S)
                if work is None:
                    return
                request, trainings = work
                if request is not None:  # an edit's output first: it is what the user sees
                    self._compute(engine, request)
                for image, training_request in trainings:
                    self._send_training(training, image, training_request)
                if self._training_live:
                    self._receive_reports(training)
        finally:
            if self._trained:  # a shared engine must not go on training for nobody
                with contextlib.suppress(Exception):
                    training.train(None, stop_request(self._last_training_id + 1))
            if hasattr(engine, "close"):
                engine.close()

    def _next_work(self, poll_s: float):
        """(the newest ModelRequest or None, the training requests to send), once there is
        something to do or, while training reports may come, after ``poll_s``; None when
        stopping."""
        with self._condition:
            self._waiting = True
            while self._pending is None and not self._trainings and not self._stopping:
                if self._training_live:
                    self._condition.wait(poll_s)
                    break
                self._condition.wait()
            self._waiting = False
            if self._stopping:
                return None
            request, self._pending = self._pending, None
            trainings, self._trainings = self._trainings, []
            if request is not None:
                self._taken.set()  # it keeps the interpreter until it waits for the engine
            return request, trainings

    def _send_training(self, training, image, request) -> None:
        self._trained = True
        self._last_training_id = request.request_id
        self._training_live = request.action != STOP
        try:
            training.train(image, request)
        except EngineStopped as exc:
            self._training_live = False
            self.trainingFailed.emit(str(exc))
        except Exception as exc:  # reported; the thread and the next request live on
            traceback.print_exc()
            self._training_live = False
            self.trainingFailed.emit(f"Keras could not train ({type(exc).__name__}: {exc}).")

    def _receive_reports(self, training) -> None:
        try:
            reports = training.training_reports()
        except EngineStopped as exc:
            self._training_live = False
            self.trainingFailed.emit(str(exc))
            return
        for report in reports:
            if report.request_id == self._last_training_id and not report.running:
                self._training_live = False  # the answer to the last request: all quiet
            self.trainingReport.emit(report)

    def _compute(self, engine, request: ModelRequest) -> None:
        started = time.perf_counter()
        try:
            outputs = engine.run(request.image, request.model)
            computed = time.perf_counter()
            result = ModelResult(request.request_id, request.image, request.model,
                                 tuple(outputs), computed - started,
                                 getattr(engine, "last_call_seconds", 0.0))
            result.prepare(request.focus)  # here, so the GUI thread only paints
        except EngineStopped as exc:  # TensorFlow crashed: say so; the next edit restarts it
            self.computeFailed.emit(EngineFailure(request.request_id, str(exc)))
            return
        except LayerSpecError as exc:
            self.computeFailed.emit(EngineFailure(request.request_id, str(exc)))
            return
        except Exception as exc:  # any fault is reported; the thread and the next edit live on
            traceback.print_exc()
            self.computeFailed.emit(EngineFailure(
                request.request_id,
                f"Keras could not compute this output ({type(exc).__name__}: {exc})."))
            return
        finally:
            self.computations += 1
        timeline = Timeline(request.created_at, started, computed, time.perf_counter())
        self.resultReady.emit(replace(result, timeline=timeline))  # keeps the summaries

    def _start_engine(self):
        """The engine for this run: the engine process, or Keras on this very thread."""
        if engine_mode() == "thread":
            from engine.backend.keras_model import KerasModelRunner

            return KerasModelRunner()
        with self._condition:
            if self._stopping:
                raise EngineStopped("The window closed before the engine started.")
            engine = self._engine = self._new_engine()
        engine.start()
        return engine
