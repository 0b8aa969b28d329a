"""The engine's side: the loop that runs in the spawned engine process.

It imports Keras, says so, then answers one RunModel at a time (engine/backend/protocol.py).
Every fault becomes a reply, never an exception out of the loop: settings Keras refuses, an
input or output that does not fit in memory, anything else with its traceback for the
window's terminal. Outputs go into the window's blocks together with each map's range
(engine/backend/transfer.py); while nothing waits, the layer call is traced for the next edit.
Train messages start, step, pause or stop training (engine/backend/training_service.py):
while it runs, chunks of steps run whenever no message waits, and TrainProgress reports go out
between the replies.
"""

from __future__ import annotations

import gc
import os
import sys
import time
import traceback

import numpy as np

from engine.backend import protocol as msg  # the typed messages both sides speak
from engine.backend.shared_arrays import attach, detach
from engine.backend.training_service import YIELD_S, TrainingService
from engine.backend.transfer import map_ranges, store_with_ranges
from engine.images.display import summarize
from engine.model.errors import LayerSpecError


def serve(connection) -> None:
    """The engine process's main: import Keras, say so, then answer until told to stop."""
    started = time.perf_counter()
    try:
        from engine.backend.keras_model import KerasModelRunner

        runner = KerasModelRunner()
    except BaseException as exc:  # any import failure is reported, not raised
        connection.send(msg.LoadFailed(msg.one_line(f"{type(exc).__name__}: {exc}")))
        return
    # TensorFlow's import leaves about 270,000 objects that live as long as this process; a
    # full collection scanned them all (140 ms, in the middle of some edit). Frozen, no
    # collection looks at them again.
    gc.freeze()
    connection.send(msg.Ready(time.perf_counter() - started))
    _Server(runner, connection).loop()


def _check_room(request: msg.RunModel) -> None:
    """Refuse, before TensorFlow tries, a request that cannot fit in this process's address
    space limit (``ulimit -v``, RLIMIT_AS): TensorFlow answers a failed allocation by
    crashing, not with an error. Counted: a new image, and each output twice (TensorFlow's
    own and the work it needs)."""
    limit = _address_space_limit()
    if limit is None:
        return
    need = sum(2 * int(np.prod(shape)) * 4
               for shape in request.model.output_shapes(request.input_shape))
    if request.image is not None:
        need += int(np.prod(request.input_shape)) * 4
    used = _address_space_used()
    if used + need > limit:
        raise msg.EngineOutOfMemory(f"the engine would need about {need / 2**20:,.0f} MB more "
                                f"than its address-space limit of {limit / 2**20:,.0f} MB "
                                f"allows")


def _address_space_limit() -> int | None:
    try:
        import resource
    except ImportError:  # Windows: no such limit
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft


def _address_space_used() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


class _Server:
    def __init__(self, runner, connection) -> None:
        self.runner = runner
        self.connection = connection
        self.image_id: int | None = None  # the image the runner holds
        self.blocks: dict[str, tuple] = {}  # output block name -> (block, writable array)
        self.stored: list[np.ndarray] = []  # the last answer's outputs, where the window reads
        self.training = TrainingService()  # Keras fitting the layers, between the answers

    def loop(self) -> None:
        try:
            while True:
                if self.training.running and not self.connection.poll(YIELD_S):
                    self._report(self.training.work)  # steps, until a message comes
                    continue
                try:
                    message = self.connection.recv()
                except EOFError:  # the window is gone
                    return
                if isinstance(message, msg.Stop):
                    return
                if isinstance(message, msg.Train):
                    self._train(message)
                    continue
                reply = self.answer(message)
                self.connection.send(reply)
                if isinstance(reply, msg.Computed) and message.summarize is not None:
                    self.connection.send(self._summarize(message, reply))
                self.stored = []
                if not self.connection.poll(0) and not self.training.running:
                    self._compile()  # idle: make the next weight edit cheaper
        finally:
            for block, _ in self.blocks.values():
                detach(block)

    def answer(self, request: msg.RunModel):
        self.stored = []
        for name in request.forget:
            block, _ = self.blocks.pop(name, (None, None))
            detach(block)
        started = time.perf_counter()
        try:
            _check_room(request)
            if not self._hold_image(request.image, request.image_id):
                return msg.Failed("The engine no longer holds this image.", "")
            outputs = self.runner.run_input(request.model, copy=False)
            layer_seconds = self.runner.last_call_seconds
            stored = time.perf_counter()
            minimums, maximums, inline = [], [], []
            for ref, output in zip(request.outputs, outputs):
                if ref is None:  # through the pipe: the reply carries a copy
                    array = np.array(output, np.float32)
                    low, high = map_ranges(array)
                    inline.append(array)
                else:
                    array = self._block(ref)
                    low, high = store_with_ranges(output, array)
                    inline.append(None)
                self.stored.append(array)
                minimums.append(low)
                maximums.append(high)
            del outputs
            now = time.perf_counter()
            return msg.Computed(now - started, layer_seconds, now - stored, tuple(minimums),
                            tuple(maximums), tuple(inline))
        except LayerSpecError as exc:
            return msg.Refused(str(exc))
        except Exception as exc:  # reported to the window; the loop goes on
            detail = traceback.format_exc()
            if msg.is_out_of_memory(exc) or isinstance(exc, msg.EngineOutOfMemory):
                return msg.OutOfMemory(msg.one_line(str(exc) or type(exc).__name__), detail)
            return msg.Failed(msg.one_line(f"{type(exc).__name__}: {exc}"), detail)

    def _train(self, message: msg.Train) -> None:
        """Apply a training action on the image it names (read first when it comes along)."""
        pixels = None
        if message.input_shape is not None:
            try:
                if self._hold_image(message.image, message.image_id):
                    pixels = self.runner.input_tensor
            except Exception as exc:  # the image did not fit: said as training's failure
                text = msg.one_line(f"Keras could not train ({type(exc).__name__}: {exc}).")
                self._report(lambda: self.training.failed(text))
                return
        self._report(lambda: self.training.handle(message.request, pixels))

    def _report(self, work) -> None:
        """Run ``work`` (an action or a chunk of steps) and send its report, if any; an
        unexpected fault stops training and is reported, and the loop goes on."""
        try:
            report = work()
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            report = self.training.failed(msg.one_line(
                f"Keras could not train ({type(exc).__name__}: {exc})."))
        if report is not None:
            self.connection.send(report)

    def _summarize(self, request: msg.RunModel, reply: msg.Computed) -> msg.Summarized:
        """The histogram of the map on screen (from a sample of rows; the range is exact)."""
        layer, filter_index = request.summarize
        try:
            values = self.stored[layer][0, :, :, filter_index]
            summary = summarize(values, value_range=(float(reply.minimums[layer][filter_index]),
                                                     float(reply.maximums[layer][filter_index])))
        except Exception:  # the output itself is fine; the window computes it if it must
            traceback.print_exc(file=sys.stderr)
            summary = None
        return msg.Summarized(layer, filter_index, summary)

    def _hold_image(self, image: msg.BlockRef | msg.PipeArray | None, image_id: int) -> bool:
        """Whether the runner holds image ``image_id`` now, reading ``image`` when it came."""
        if image is not None:
            self.image_id = None  # a failed read leaves no image behind
            self._read_image(image)
            self.image_id = image_id
        return image_id == self.image_id

    def _read_image(self, image: msg.BlockRef | msg.PipeArray) -> None:
        """Hand the image to the runner (TensorFlow copies it) and let go of the block, so the
        image is held once here, not twice."""
        if isinstance(image, msg.PipeArray):
            self.runner.set_input(image.array)
            return
        block, pixels = attach(image)
        try:
            self.runner.set_input(pixels)
        finally:
            del pixels
            detach(block)

    def _block(self, ref: msg.BlockRef) -> np.ndarray:
        held = self.blocks.get(ref.name)
        if held is None or held[1].shape != tuple(ref.shape):
            if held is not None:
                detach(held[0])
            held = self.blocks[ref.name] = attach(ref)
        return held[1]

    def _compile(self) -> None:
        try:
            self.runner.compile_current()
        except Exception:  # the eager call still works; say why on the terminal
            traceback.print_exc(file=sys.stderr)
