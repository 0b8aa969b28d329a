"""The one thread that talks to the Keras engine.

By default the engine is a separate process (engine/backend/process.py): importing
TensorFlow holds the interpreter lock for up to a quarter second at a time, which would
freeze the window if it happened in this process. This thread starts that process, sends it
one request at a time and waits for the answer without holding the lock. With
``CONVSCOPE_ENGINE=thread`` Keras runs on this thread instead (engine/backend/in_thread.py).
Either is a ``ModelEngine`` (engine/backend/protocol.py); this thread never asks which.

Requests are coalesced: while one computation runs, only the newest request waits, so holding
an arrow key or typing fast never builds a queue. Training requests (Start, Pause, Step, ...)
are sent in order; while the engine trains, this thread collects its reports every few
milliseconds and answers output requests in between (the engine runs its steps in short
chunks, so neither waits long).

The thread lives as long as the window, whatever the engine does: an engine that dies while
TensorFlow loads, or while idle, is started again by the next edit, which it then computes;
one that dies during a request is reported and started again at once; one that does not
answer in time is reported (``engineSilent``) and ended by ``restart_engine``. Every message
is one line; tracebacks go to the terminal.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable

from PySide6.QtCore import QThread, Signal

from engine.backend.launch import engine_mode
from engine.backend.process import EngineProcess
from engine.backend.protocol import (
    EngineOutOfMemory,
    EngineStopped,
    EngineUnavailable,
    ModelEngine,
    one_line,
)
from engine.model.errors import LayerSpecError
from engine.training.messages import STOP, stop_request
from gui.requests import EngineFailure, ModelRequest, ModelResult, Timeline

INSTALL_HINT = ("Install it into ConvScope's environment with "
                "'pip install tensorflow-cpu' (macOS: 'pip install tensorflow').")
STARTS_AGAIN = "It starts again with the next edit."

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
    engine_factory: Callable[[], ModelEngine] = new_engine_process

    engineStarting = Signal()  # TensorFlow is loading (at start, or again after a fault)
    engineReady = Signal()
    engineFailed = Signal(str)  # the engine could not start: why, in one line
    engineSilent = Signal(float)  # the request in progress is overdue after this many s
    engineNotice = Signal(str)  # something the user should know, one line
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
        self._restart_asked = False  # restart_engine() ended the engine on purpose
        self._unavailable = False  # Keras cannot be imported: no point starting again
        self.computations = 0  # how many requests actually ran (the rest were coalesced)
        self.engine_pid: int | None = None  # the engine process, when there is one
        self.engine_import_s: float | None = None  # how long TensorFlow took to import there
        self._engine: ModelEngine | None = None
        self._new_engine = type(self).engine_factory
        self._trainings: list[tuple] = []  # (image, TrainRequest) to send, in order
        self._training_live = False  # training reports may come: look for them
        self._trained = False  # a training request was ever sent (stop it when closing)
        self._last_training_id = 0

    # -- the GUI thread's side ---------------------------------------------------------------
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

    def restart_engine(self) -> None:
        """End the engine now (it is not answering) and start a new one, which then computes
        the newest request. From the GUI thread."""
        with self._condition:
            engine = self._engine
            self._restart_asked = engine is not None
        if engine is not None:
            engine.interrupt()

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

    # -- the worker thread -------------------------------------------------------------------
    def run(self) -> None:  # on the worker thread
        engine = self._create_engine()
        with self._condition:
            if self._stopping:
                return
            self._engine = engine
        try:
            self._start(engine)
            while True:
                if self._pending is None and not self._training_live and engine.ready:
                    engine.idle()  # Keras on this thread traces its call meanwhile
                work = self._next_work()
                if work is None:
                    return
                request, trainings = work
                if request is not None:  # an edit's output first: it is what the user sees
                    self._compute(engine, request)
                for image, training_request in trainings:
                    self._send_training(engine, image, training_request)
                if self._training_live:
                    self._receive_reports(engine)
        except Exception:  # a bug here must not end the thread silently
            traceback.print_exc(file=sys.stderr)
        finally:
            try:
                if self._trained and engine.ready:  # a shared engine must not train for nobody
                    engine.train(None, stop_request(self._last_training_id + 1))
            except Exception:  # closing never raises out of QThread.run
                traceback.print_exc(file=sys.stderr)
            try:
                engine.close()
            except Exception:  # closing never raises out of QThread.run
                traceback.print_exc(file=sys.stderr)

    def _create_engine(self) -> ModelEngine:
        """The engine for this window, not started yet: the engine process, or Keras on this
        very thread (CONVSCOPE_ENGINE=thread)."""
        if engine_mode() == "thread":
            from engine.backend.in_thread import InThreadEngine

            return InThreadEngine()
        return self._new_engine()

    def _start(self, engine: ModelEngine) -> bool:
        """Load Keras in ``engine``; says how it went (engineReady / engineFailed)."""
        while not (self._unavailable or self._stopping):
            try:
                engine.start()
            except EngineUnavailable as exc:  # a missing or broken TensorFlow: how to fix it
                self._unavailable = True
                if not self._stopping:
                    self.engineFailed.emit(f"The Keras engine could not start ({exc}). "
                                           + INSTALL_HINT)
                return False
            except Exception as exc:  # it died or hung while loading: the next edit retries
                if self._take_restart():
                    continue  # Restart was pressed while it loaded: load again
                if not self._stopping:
                    self.engineFailed.emit(f"{one_line(str(exc))} {STARTS_AGAIN}")
                return False
            self._take_restart()  # a new engine: an earlier Restart is done with
            self.engine_pid = engine.pid
            self.engine_import_s = engine.import_seconds
            engine.on_silence = self.engineSilent.emit
            self.engineReady.emit()
            return True
        return False

    def _start_again(self, engine: ModelEngine) -> bool:
        self.engineStarting.emit()
        return self._start(engine)

    def _next_work(self) -> tuple[ModelRequest | None, list[tuple]] | None:
        """(the newest ModelRequest or None, the training requests to send), once there is
        something to do or, while training reports may come, after TRAINING_POLL_S; None
        when stopping."""
        with self._condition:
            self._waiting = True
            while self._pending is None and not self._trainings and not self._stopping:
                if self._training_live:
                    self._condition.wait(TRAINING_POLL_S)
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

    def _send_training(self, engine: ModelEngine, image, request) -> None:
        self._trained = True
        self._last_training_id = request.request_id
        self._training_live = request.action != STOP
        try:
            if not engine.ready and (self._unavailable or not self._start_again(engine)):
                raise EngineStopped("There is no Keras engine to train with.")
            engine.train(image, request)
        except EngineStopped as exc:
            self._training_live = False
            self.trainingFailed.emit(f"{one_line(str(exc))} {STARTS_AGAIN}")
        except Exception as exc:  # reported; the thread and the next request live on
            self._log(exc)
            self._training_live = False
            self.trainingFailed.emit(one_line(
                f"Keras could not train ({type(exc).__name__}: {exc})."))

    def _receive_reports(self, engine: ModelEngine) -> None:
        try:
            reports = engine.training_reports()
        except EngineStopped as exc:
            self._training_live = False
            self.trainingFailed.emit(f"{one_line(str(exc))} {STARTS_AGAIN}")
            return
        for report in reports:
            if report.request_id == self._last_training_id and not report.running:
                self._training_live = False  # the answer to the last request: all quiet
            self.trainingReport.emit(report)

    def _compute(self, engine: ModelEngine, request: ModelRequest) -> None:
        if not engine.ready and (self._unavailable or not self._start_again(engine)):
            return  # the banner already says why there is no engine
        for attempt in (1, 2):
            try:
                self._run_once(engine, request)
                return
            except EngineStopped as exc:
                if self._stopping:
                    return
                if self._take_restart():  # ended on request: start anew, then compute
                    if self._start_again(engine):
                        self._requeue(request)
                    return
                if attempt == 2 or not self._start_again(engine):
                    self._fail(request, "stopped", f"{one_line(str(exc))} {STARTS_AGAIN}")
                    return
                # It may have died before it even read the request: computed by the new one.

    def _run_once(self, engine: ModelEngine, request: ModelRequest) -> None:
        started = time.perf_counter()
        try:
            outputs = engine.run(request.image, request.model, request.focus)
        except EngineStopped:
            raise
        except LayerSpecError as exc:
            self._fail(request, "spec", str(exc))
            return
        except EngineOutOfMemory as exc:
            self._log(exc)
            self._fail(request, "memory", one_line(str(exc), 400))
            return
        except EngineUnavailable as exc:
            self._unavailable = True
            self.engineFailed.emit(f"The Keras engine could not start ({exc}). " + INSTALL_HINT)
            return
        except Exception as exc:  # any fault is reported; the thread and the next edit live on
            self._log(exc)
            self._fail(request, "error", one_line(
                f"Keras could not compute this output ({type(exc).__name__}: {exc})."))
            return
        finally:
            self.computations += 1
        computed = time.perf_counter()
        if outputs.notice:
            self.engineNotice.emit(outputs.notice)
        timeline = Timeline(request.created_at, started, computed, computed,
                            outputs.store_seconds)
        result = ModelResult(request.request_id, request.image, request.model,
                             outputs.arrays, computed - started, outputs.layer_seconds,
                             timeline, tuple(zip(outputs.minimums, outputs.maximums)))
        result.prepare(request.focus)
        self.resultReady.emit(result)
        try:  # the histogram (Display tab): the engine makes it while the GUI thread paints
            summarized = engine.summary()
        except Exception:  # the output is on its way regardless; the panel can compute it
            self._log(sys.exc_info()[1])
            summarized = None
        if summarized is not None and summarized.summary is not None:
            result.offer_summary(summarized.layer, summarized.filter_index, summarized.summary)

    def _take_restart(self) -> bool:
        with self._condition:
            asked, self._restart_asked = self._restart_asked, False
            return asked

    def _requeue(self, request: ModelRequest) -> None:
        with self._condition:
            if self._pending is None:
                self._pending = request

    def _fail(self, request: ModelRequest, kind: str, message: str) -> None:
        self.computeFailed.emit(EngineFailure(request.request_id, message, kind))

    @staticmethod
    def _log(exc: BaseException) -> None:
        """The whole story for the terminal (the banner holds one line)."""
        detail = getattr(exc, "detail", "")
        sys.stderr.write(detail or "".join(traceback.format_exception(exc)))
