"""The Keras engine in its own process, with arrays exchanged through shared memory.

Importing TensorFlow holds the interpreter lock for stretches of a quarter second, which
would freeze a window importing it on a thread. In a separate process it cannot touch the
window's interpreter at all, and a crash inside TensorFlow ends only this process.

The window side (``EngineProcess``) owns every shared-memory block: one holding the input
image, and each layer's output blocks, kept across edits of the same shape. Outputs are shown
straight from their blocks; a block goes back to the engine only when nothing refers to it
any more (engine/backend/shared_arrays.py). When shared memory is short, arrays travel through
the pipe instead, and the user is told why. Requests and replies are the typed messages of
engine/backend/protocol.py; the engine's side is engine/backend/serve.py, and
engine/backend/launch.py starts it (spawned) and says how long to wait for it.

Faults: an engine found dead before a request is started again and computes it; one that dies
during a request is reported (EngineStopped) with how it ended; one that does not answer
within ``launch.call_timeout_s`` is reported through ``on_silence`` and waited for until
``interrupt`` ends it; running out of memory is EngineOutOfMemory, with the sizes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import numpy as np

from engine.backend import launch  # its timeouts are read when used (tests shorten them)
from engine.backend.protocol import (
    BlockRef,
    Computed,
    EngineOutOfMemory,
    EngineOutputs,
    EngineStopped,
    EngineUnavailable,
    LoadFailed,
    OutOfMemory,
    PipeArray,
    Ready,
    RunModel,
    Stop,
    Summarized,
    Train,
    describe_exit,
    memory_message,
    reply_error,
)
from engine.backend.shared_arrays import BlockPool, OwnedBlock, SharedMemoryShort
from engine.images.loading import LoadedImage
from engine.model.network import ModelSpec
from engine.training.messages import TrainProgress

__all__ = ["EngineProcess", "EngineStopped", "EngineUnavailable", "EngineOutOfMemory"]

class _DeadBeforeSend(Exception):
    """The process had already ended when a request was about to go out."""


class EngineProcess:
    """``run(image, model)`` like KerasModelRunner, computed in the engine process."""

    def __init__(self, start: bool = True) -> None:
        self._process = None
        self._pipe = None
        self._pool = BlockPool()
        self._input: OwnedBlock | None = None  # a new image's block, until the engine read it
        self._engine_image: tuple[np.ndarray, int] | None = None  # pixels the engine holds
        self._image_ids = 0
        self._told_short = False  # the user knows arrays go through the pipe
        self._summary_due = False  # a Summarized reply is on its way
        self._reports: list = []  # training reports that came while waiting for a reply
        self._early: list = []  # replies that came while looking for training reports
        self._train_input: OwnedBlock | None = None  # an image sent with a Train message
        self.import_seconds: float | None = None  # TensorFlow + Keras import, in the process
        self.last_call_seconds = 0.0  # the bare ``layer(x)`` inside the last run
        self.on_silence: Callable[[float], None] | None = None  # called when a reply is late
        self._aborted = False  # closing: nothing starts again
        self._interrupted = False  # interrupt(): the current call or start ends now
        self.starting = False  # launching the process and waiting for Keras to load there
        if start:
            self.start()

    # -- life ------------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def ready(self) -> bool:
        process = self._process
        return (not self.starting and process is not None and self._pipe is not None
                and process.is_alive())

    def start(self) -> None:
        """Start (or adopt) the process and wait until Keras has loaded there.

        Raises EngineUnavailable if Keras cannot be imported, EngineStopped if the process
        ended (or did not finish loading in launch.START_TIMEOUT_S)."""
        if self._aborted:
            raise EngineStopped("The Keras engine was stopped: the window is closing.")
        if self._process is not None:
            self._lost()
        self.starting, self._interrupted = True, False
        try:
            self._process, self._pipe = launch.adopt_or_launch()
            if self._aborted:  # abort() came while the process was being launched
                self._process.kill()
            self._engine_image = None  # a new process has no image yet
            reply = self._reply_within(launch.START_TIMEOUT_S, "while TensorFlow was loading")
        finally:
            self.starting = False
        if isinstance(reply, LoadFailed):
            self._lost()
            raise EngineUnavailable(reply.reason)
        if not isinstance(reply, Ready):
            self._lost()
            raise EngineStopped(f"The Keras engine sent {type(reply).__name__} while loading.")
        self.import_seconds = reply.import_seconds

    def abort(self) -> None:
        """Kill the process now, from any thread (closing the window while TensorFlow is
        still loading); a ``start`` waiting for it raises EngineStopped at once."""
        self._aborted = True
        self.interrupt()

    def interrupt(self) -> None:
        """From any thread: kill the process, which ends a call or a start that waits for it
        (EngineStopped); the next ``run`` starts a new one."""
        self._interrupted = True
        process = self._process
        if process is not None and process.is_alive():
            process.kill()

    def idle(self) -> None:
        """The engine traces its layer call by itself as soon as it is idle."""

    def close(self) -> None:
        """Stop the process and free the shared memory; never raises."""
        process, pipe = self._process, self._pipe
        self._process, self._pipe = None, None
        try:
            if pipe is not None:
                with contextlib.suppress(OSError, ValueError):
                    pipe.send(Stop())
            if process is not None:
                process.join(launch.CLOSE_WAIT_S)
                if process.is_alive():
                    process.kill()
                    process.join(launch.CLOSE_WAIT_S)
            if pipe is not None:
                pipe.close()
        except (OSError, ValueError, AssertionError):
            pass
        self._release_input()
        self._release_train_input()
        self._pool.close()
        self._engine_image = None

    # -- computing -------------------------------------------------------------------------
    def run(self, image: LoadedImage | np.ndarray, model: ModelSpec,
            focus: tuple[int, int] | None = None) -> EngineOutputs:
        """Every layer's output (read-only float32 (1, H, W, C) arrays) with each map's range;
        ``focus`` (layer, filter): that map's histogram follows (``summary``).

        Raises LayerSpecError for settings Keras refuses, EngineOutOfMemory when the input or
        an output does not fit, EngineStopped if the process died during the request and
        RuntimeError (one line; ``.detail`` holds the engine's traceback) for any other
        fault. An engine found dead before the request is started again first."""
        pixels = image.pixels if isinstance(image, LoadedImage) else np.asarray(image)
        input_shape = (1, pixels.shape[0], pixels.shape[1],
                       1 if pixels.ndim == 2 else pixels.shape[2])
        model.check(input_shape)
        if not self.ready:
            self.start()
        try:
            return self._run(pixels, input_shape, model, focus)
        except _DeadBeforeSend:
            self.start()
            return self._run(pixels, input_shape, model, focus)

    def summary(self) -> Summarized | None:
        """The histogram the last ``run``'s focus asked for, as soon as the engine sends it
        (it computes it after its answer, while the window paints); None if not asked for or
        the engine stopped meanwhile (the next ``run`` finds that out)."""
        if not self._summary_due:
            return None
        self._summary_due = False
        try:
            reply = self._reply_within(launch.CALL_TIMEOUT_S, "while summarizing this output",
                                       late=True, report=False)
        except EngineStopped:
            return None
        return reply if isinstance(reply, Summarized) else None

    # -- training --------------------------------------------------------------------------
    def train(self, image, request) -> None:
        """Send a TrainRequest (engine/training/messages.py) for ``image`` (None: without
        one, a STOP); the engine's reports come from ``training_reports``. Raises
        EngineStopped when the engine is gone (it starts again for the next request)."""
        if not self.ready:
            self.start()
        shape, image_id, ref = None, None, None
        if image is not None:
            pixels = image.pixels if isinstance(image, LoadedImage) else np.asarray(image)
            shape = (1, *pixels.shape[:2], 1 if pixels.ndim == 2 else pixels.shape[2])
            self._release_train_input()
            ref = self._image_ref(pixels, [])
            self._train_input, self._input = self._input, None  # freed once it has been read
            image_id = self._image_ids if ref is not None else self._engine_image[1]
            self._engine_image = (pixels, image_id)
        try:
            self._send(Train(request, shape, image_id, ref))
        except _DeadBeforeSend as exc:
            self._lost()
            raise EngineStopped("The Keras engine process had stopped; it starts again with "
                                "the next request.") from exc

    def training_reports(self) -> list:
        """The training reports (TrainProgress) that have arrived, oldest first."""
        reports, self._reports = self._reports, []
        pipe = self._pipe
        try:
            while pipe is not None and pipe.poll(0):
                message = pipe.recv()
                if isinstance(message, TrainProgress):
                    reports.append(message)
                else:  # a reply the next wait for one takes
                    self._early.append(message)
        except (EOFError, OSError) as exc:
            code = self._exitcode()
            self._lost()
            raise EngineStopped(f"The Keras engine process {describe_exit(code)} while "
                                f"training.") from exc
        if reports:
            self._release_train_input()  # the engine has read any image sent with them
        return reports

    def _release_train_input(self) -> None:
        if self._train_input is not None:
            self._train_input.release()
            self._train_input = None

    def _run(self, pixels: np.ndarray, input_shape: tuple[int, ...], model: ModelSpec,
             focus: tuple[int, int] | None) -> EngineOutputs:
        self.summary()  # one still on its way belongs to the last request: read past it
        shapes = [tuple(shape) for shape in model.output_shapes(input_shape)]
        if focus is not None and not (0 <= focus[0] < len(shapes)
                                      and 0 <= focus[1] < shapes[focus[0]][3]):
            focus = None
        self._pool.want(shapes)
        notes: list[str] = []
        blocks: list[OwnedBlock | None] = []
        try:
            image_ref = self._image_ref(pixels, notes)
            image_id = self._image_ids if image_ref is not None else self._engine_image[1]
            blocks = [self._output_block(shape, notes) for shape in shapes]
            request = RunModel(model, input_shape, image_id, image_ref,
                               tuple(b.ref if b is not None else None for b in blocks),
                               self._pool.forgotten(), focus)
            self._send(request)
            reply = self._reply_within(launch.call_timeout_s(input_shape, model),
                                       "while computing this output", late=True)
        except EngineOutOfMemory as exc:
            self._give_back(blocks)
            self._pool.want([])  # keep no blocks of a size that does not fit
            raise EngineOutOfMemory(memory_message(pixels.shape, shapes, str(exc))) from exc
        except BaseException:
            self._give_back(blocks)
            raise
        finally:
            self._release_input()  # the engine has its own copy of the image now (or failed)
        if not isinstance(reply, Computed):
            self._give_back(blocks)
            if isinstance(reply, OutOfMemory):
                self._pool.want([])  # keep no blocks of a size that does not fit
            self._engine_image = None  # sent again with the next request
            raise reply_error(reply, pixels.shape, shapes)
        if image_ref is not None:
            self._engine_image = (pixels, image_id)
        self._summary_due = focus is not None
        self.last_call_seconds = reply.layer_seconds
        arrays = []
        for block, inline in zip(blocks, reply.arrays):
            if block is not None:
                arrays.append(self._pool.lease(block))
            else:
                inline.flags.writeable = False
                arrays.append(inline)
        notice = self._transport_notice(notes)
        return EngineOutputs(tuple(arrays), reply.minimums, reply.maximums,
                             reply.layer_seconds, reply.store_seconds, notice)

    def _image_ref(self, pixels: np.ndarray, notes: list[str]) -> BlockRef | PipeArray | None:
        """None when the engine holds these pixels; else a new block (or the pipe) for them.
        The engine reads the image once, so its block is freed after the answer."""
        if self._engine_image is not None and self._engine_image[0] is pixels:
            return None
        self._image_ids += 1
        try:
            self._input = OwnedBlock(pixels.shape)
        except SharedMemoryShort as exc:
            notes.append(str(exc))
            return PipeArray(np.ascontiguousarray(pixels, np.float32))
        target = self._input.writable()
        np.copyto(target, pixels, casting="unsafe")
        del target
        return self._input.ref

    def _output_block(self, shape: tuple[int, ...], notes: list[str]) -> OwnedBlock | None:
        try:
            return self._pool.take(shape)
        except SharedMemoryShort as exc:
            notes.append(str(exc))
            return None

    def _transport_notice(self, notes: list[str]) -> str:
        """One line when arrays start going through the pipe (not again for every edit)."""
        if not notes or self._told_short:
            self._told_short = bool(notes)
            return ""
        self._told_short = True
        return (f"Shared memory is short ({notes[0]}), so arrays go between ConvScope and its "
                f"engine through a pipe instead, which is slower (in a container, give it "
                f"more: docker run --shm-size=1g).")

    def _give_back(self, blocks: list[OwnedBlock | None]) -> None:
        for block in blocks:
            if block is not None:
                self._pool.give_back(block)

    def _release_input(self) -> None:
        if self._input is not None:
            self._input.release()
            self._input = None

    # -- the pipe --------------------------------------------------------------------------
    def _send(self, request: RunModel) -> None:
        try:
            self._pipe.send(request)
        except OSError as exc:  # BrokenPipeError: the engine had already ended
            raise _DeadBeforeSend() from exc

    def _reply_within(self, timeout: float, doing: str, late: bool = False,
                      report: bool = True):
        """The next reply. ``late``: after ``timeout`` tell ``on_silence`` (if ``report``)
        and keep waiting (``interrupt`` ends the wait); else give up after ``timeout``."""
        if self._early:
            return self._early.pop(0)
        pipe = self._pipe
        deadline, overdue = time.monotonic() + timeout, False
        try:
            while True:  # training reports may come first: they are kept, not answers
                if overdue:
                    while not pipe.poll(0.5):
                        pass  # a killed process makes the pipe readable (end of file)
                elif not pipe.poll(max(deadline - time.monotonic(), 0.0)):
                    if not late:
                        self._lost()
                        raise EngineStopped(f"The Keras engine did not finish loading "
                                            f"TensorFlow in {timeout:.0f} s.")
                    overdue = True
                    if report and self.on_silence is not None:
                        self.on_silence(timeout)
                    continue
                message = pipe.recv()
                if not isinstance(message, TrainProgress):
                    return message
                self._reports.append(message)
        except (EOFError, OSError) as exc:
            code = self._exitcode()
            interrupted = self._interrupted
            self._lost()
            if interrupted:
                raise EngineStopped("The Keras engine was stopped.") from exc
            raise EngineStopped(f"The Keras engine process {describe_exit(code)} "
                                f"{doing}.") from exc

    def _exitcode(self) -> int | None:
        process = self._process
        if process is None:
            return None
        process.join(1.0)  # it has closed its end of the pipe: its exit code is moments away
        return process.exitcode

    def _lost(self) -> None:
        process, pipe = self._process, self._pipe
        self._process, self._pipe = None, None
        self._engine_image, self._summary_due, self._early = None, False, []
        if process is not None:
            with contextlib.suppress(OSError, ValueError, AssertionError):
                if process.is_alive():
                    process.kill()
                process.join(launch.CLOSE_WAIT_S)  # reap it: no zombie left behind
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
