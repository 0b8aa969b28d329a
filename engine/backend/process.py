"""The Keras engine in its own process, with arrays exchanged through shared memory.

Importing TensorFlow holds the interpreter lock for stretches of a quarter second, which
would freeze a window importing it on a thread. In a separate process it cannot touch the
window's interpreter at all, and a crash inside TensorFlow ends only this process.

The window side (``EngineProcess``) owns every shared-memory block: one holding the input
image, one the output is written into. The engine side only attaches to them. Requests and
replies are small pickled messages over a pipe; the arrays never travel through it. The
process is started with the ``spawn`` method, so it behaves the same on Linux, macOS,
Windows and in a PyInstaller bundle (which must call ``multiprocessing.freeze_support()``).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
import traceback
from multiprocessing import shared_memory

import numpy as np

from engine.images.loading import LoadedImage
from engine.model.errors import LayerSpecError
from engine.model.network import ModelSpec

#: How long the window waits for a reply before declaring the engine stuck (first call
#: includes TensorFlow's import).
START_TIMEOUT_S = 300.0


class EngineStopped(RuntimeError):
    """The engine process ended (crashed or was killed); the next request starts a new one."""


# -- the engine side (runs in the child process) -------------------------------------------
def _attach(name: str, shape: tuple[int, ...]) -> tuple[shared_memory.SharedMemory, np.ndarray]:
    # Attaching registers the name with the resource tracker the window's process shares
    # with us (spawn hands it down); the window unlinks it, which unregisters it once.
    block = shared_memory.SharedMemory(name=name)
    return block, np.ndarray(shape, np.float32, buffer=block.buf)


def serve(connection) -> None:
    """The engine loop: import Keras, say so, then answer requests until told to stop."""
    started = time.perf_counter()
    try:
        from engine.backend.keras_model import KerasModelRunner
        from engine.backend.training_service import YIELD_S, TrainingService

        runner = KerasModelRunner()
    except BaseException as exc:  # any import failure is reported, not raised
        connection.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    connection.send(("ready", time.perf_counter() - started))
    input_name = None
    outputs: list[tuple[str, shared_memory.SharedMemory, np.ndarray]] = []
    training = TrainingService()
    while True:
        if training.running and not connection.poll(YIELD_S):  # steps until a message
            _send_report(connection, training, training.work)
            continue
        try:
            message = connection.recv()
        except EOFError:  # the window is gone
            return
        if message[0] == "stop":
            return
        if message[0] == "train":
            _, input_ref, request = message
            if input_ref is not None and input_ref[0] != input_name:
                _read_input(runner, *input_ref)
                input_name = input_ref[0]
            _send_report(connection, training,
                         lambda r=request: training.handle(r, runner.input_tensor))
            continue
        _, (in_name, in_shape), out_refs, model = message
        started = time.perf_counter()
        try:
            if in_name != input_name:
                _read_input(runner, in_name, in_shape)
                input_name = in_name
            if [(name, tuple(shape)) for name, shape in out_refs] != [
                    (name, array.shape) for name, _, array in outputs]:
                for _, block, _ in outputs:
                    _close(block)
                outputs = [(name, *_attach(name, tuple(shape))) for name, shape in out_refs]
            runner.run_input(model, outs=[array for _, _, array in outputs])
            connection.send(("ok", (time.perf_counter() - started, runner.last_call_seconds)))
            if not connection.poll(0) and not training.running:  # idle: trace the layers
                runner.compile_current()
        except LayerSpecError as exc:
            connection.send(("spec", str(exc)))
        except Exception as exc:  # reported to the window; the loop goes on
            connection.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


def _send_report(connection, training, work) -> None:
    """Run ``work`` (a training request or a chunk of steps) and send its report, if any;
    an unexpected fault stops training and is reported, the loop goes on."""
    try:
        report = work()
    except Exception as exc:
        traceback.print_exc()
        report = training.failed(f"Keras could not train ({type(exc).__name__}: {exc}).")
    if report is not None:
        connection.send(("train", report))


def _read_input(runner, name: str, shape: tuple[int, ...]) -> None:
    """Hand the image to the runner (TensorFlow copies it) and let go of the block, so the
    image is held once here, not twice."""
    block, pixels = _attach(name, tuple(shape))
    try:
        runner.set_input(pixels)
    finally:
        del pixels
        _close(block)


def _close(block: shared_memory.SharedMemory | None) -> None:
    if block is not None:
        block.close()


# -- the window side -------------------------------------------------------------------------
class _SharedArray:
    """A float32 array in a shared-memory block this process created (and will unlink)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        nbytes = max(int(np.prod(shape)) * 4, 1)
        self.block = shared_memory.SharedMemory(create=True, size=nbytes)
        self.array = np.ndarray(shape, np.float32, buffer=self.block.buf)

    @property
    def ref(self) -> tuple[str, tuple[int, ...]]:
        return self.block.name, self.array.shape

    def release(self) -> None:
        del self.array
        self.block.close()
        self.block.unlink()


_prestarted: tuple | None = None
_prestart_lock = threading.Lock()


def _launch() -> tuple:
    context = multiprocessing.get_context("spawn")
    window_end, engine_end = context.Pipe()
    process = context.Process(target=serve, args=(engine_end,), name="convscope-engine",
                              daemon=True)
    process.start()
    engine_end.close()
    return process, window_end


def prestart() -> None:
    """Start the engine process now (before the window is built) so TensorFlow's import
    overlaps the window's own start-up. The first EngineProcess adopts it."""
    global _prestarted
    with _prestart_lock:
        if _prestarted is None:
            _prestarted = _launch()


def start_early() -> None:
    """Called first thing at start-up (before Qt and pyqtgraph load, about half a second):
    TensorFlow's import then begins at once, in parallel with the window's own start."""
    if engine_mode() == "process":
        prestart()


def _adopt_or_launch() -> tuple:
    global _prestarted
    with _prestart_lock:
        launched, _prestarted = _prestarted, None
    return launched or _launch()


class EngineProcess:
    """``run(image, model)`` like KerasModelRunner, computed in the engine process."""

    def __init__(self, start: bool = True) -> None:
        self._process = None
        self._pipe = None
        self._input: _SharedArray | None = None
        self._input_source: np.ndarray | None = None
        self._input_name = ""
        self._outputs: list[_SharedArray] = []
        self.import_seconds: float | None = None  # TensorFlow + Keras import, in the process
        self.last_call_seconds = 0.0  # the bare ``layer(x)`` inside the last convolve
        self._aborted = False
        self.starting = False  # launching the process and waiting for Keras to load there
        self._reports: list = []  # training reports that came while waiting for an answer
        if start:
            self.start()

    def start(self) -> None:
        """Start (or adopt) the process and wait until Keras has loaded there.

        Raises EngineStopped with the reason if it could not load."""
        self.starting = True
        try:
            self._process, self._pipe = _adopt_or_launch()
            if self._aborted:  # abort() came while the process was being launched
                self._process.kill()
            self._input_source = None  # a new process has no input yet
            kind, detail = self._receive(START_TIMEOUT_S)
        finally:
            self.starting = False
        if kind != "ready":
            self.close()
            raise EngineStopped(detail)
        self.import_seconds = detail

    def abort(self) -> None:
        """Kill the process now, from any thread (closing the window while TensorFlow is
        still loading); a ``start`` waiting for it raises EngineStopped at once."""
        self._aborted = True
        process = self._process
        if process is not None and process.is_alive():
            process.kill()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def run(self, image: LoadedImage | np.ndarray, model: ModelSpec) -> list[np.ndarray]:
        """Every layer's output, float32 (1, H, W, C) each, owned by the caller.

        Raises LayerSpecError for settings Keras refuses, EngineStopped if the process died
        (the next call starts a new one) and RuntimeError for any other engine fault."""
        pixels = image.pixels if isinstance(image, LoadedImage) else np.asarray(image)
        input_shape = (1, pixels.shape[0], pixels.shape[1],
                       1 if pixels.ndim == 2 else pixels.shape[2])
        model.check(input_shape)
        if self._pipe is None:
            self.start()
        input_ref = self._share_input(pixels)
        shapes = [tuple(shape) for shape in model.output_shapes(input_shape)]
        if [out.array.shape for out in self._outputs] != shapes:
            self._release_outputs()
            self._outputs = [_SharedArray(shape) for shape in shapes]
        try:
            self._pipe.send(("run", input_ref, [out.ref for out in self._outputs], model))
        except (BrokenPipeError, OSError) as exc:
            self._lost()
            raise EngineStopped("The engine process stopped; it restarts on the next "
                                "edit.") from exc
        kind, detail = self._receive(START_TIMEOUT_S)
        if kind == "ok":
            self.last_call_seconds = detail[1]
            self._release_input_block()  # the engine has its own copy of the image now
            return [out.array.copy() for out in self._outputs]
        if kind == "spec":
            raise LayerSpecError(detail)
        raise RuntimeError(detail)

    def train(self, image: LoadedImage | None, request) -> None:
        """Send a TrainRequest (engine/training/messages.py) for ``image``; the engine's
        reports come from ``training_reports``. Raises EngineStopped if the process died."""
        if self._pipe is None:
            self.start()
        input_ref = None
        if image is not None:
            input_ref = self._share_input(
                image.pixels if isinstance(image, LoadedImage) else np.asarray(image))
        try:
            self._pipe.send(("train", input_ref, request))
        except (BrokenPipeError, OSError) as exc:
            self._lost()
            raise EngineStopped("The engine process stopped; it restarts on the next "
                                "edit.") from exc

    def training_reports(self) -> list:
        """The training reports (TrainProgress) that have arrived, oldest first."""
        reports, self._reports = self._reports, []
        try:
            while self._pipe is not None and self._pipe.poll(0):
                kind, detail = self._pipe.recv()
                if kind == "train":
                    reports.append(detail)
        except (EOFError, OSError) as exc:
            code = self._process.exitcode if self._process is not None else None
            self._lost()
            raise EngineStopped(f"The engine process stopped (exit code {code}); it "
                                f"restarts on the next edit.") from exc
        if reports:
            self._release_input_block()  # the engine has read any image sent with them
        return reports

    def _release_outputs(self) -> None:
        for out in self._outputs:
            out.release()
        self._outputs = []

    def _share_input(self, pixels: np.ndarray) -> tuple[str, tuple[int, ...]]:
        """The image's block name and shape. Only a new image is copied into shared memory;
        the engine reads it once, so the block is freed after the first answer and later
        requests only repeat its name (the engine keeps its own copy)."""
        if pixels is not self._input_source:
            self._release_input_block()
            self._input = _SharedArray(pixels.shape)
            np.copyto(self._input.array, pixels, casting="unsafe")
            self._input_source = pixels
            self._input_name = self._input.block.name
        return self._input_name, tuple(pixels.shape)

    def _release_input_block(self) -> None:
        if self._input is not None:
            self._input.release()
            self._input = None

    def _receive(self, timeout: float):
        try:
            while True:
                if not self._pipe.poll(timeout):
                    raise EOFError
                message = self._pipe.recv()
                if message[0] != "train":
                    return message
                self._reports.append(message[1])  # training goes on while it answers
        except (EOFError, OSError) as exc:
            code = self._process.exitcode if self._process is not None else None
            self._lost()
            raise EngineStopped(f"The engine process stopped (exit code {code}); it "
                                f"restarts on the next edit.") from exc

    def _lost(self) -> None:
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(5)  # reap it: no zombie left behind
        self._process, self._pipe = None, None

    def close(self) -> None:
        """Stop the process and free the shared memory."""
        if self._pipe is not None:
            with contextlib.suppress(BrokenPipeError, OSError):
                self._pipe.send(("stop",))
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()
            self._pipe.close()
        self._process, self._pipe = None, None
        self._release_input_block()
        self._release_outputs()
        self._input_source = None


def engine_mode() -> str:
    """'process' (default) or 'thread' (``CONVSCOPE_ENGINE=thread``: Keras on the worker
    thread itself, for comparison and for platforms where a second process is unwanted)."""
    return "thread" if os.environ.get("CONVSCOPE_ENGINE", "process") == "thread" else "process"
