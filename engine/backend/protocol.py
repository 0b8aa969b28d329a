"""What the window and its Keras engine say to each other, and what an engine is.

Typed messages instead of tuples: each side matches on the class, so a new field can never be
read as an old one, and every reply says in its type what happened (computed, refused, out of
memory, failed). ``ModelEngine`` is the one interface the engine worker talks to, whether the
engine is a separate process (engine/backend/process.py) or Keras on the worker's own thread
(engine/backend/in_thread.py).

Arrays travel in shared memory (``BlockRef``: the name of a block the window created) or, when
shared memory is short (a 64 MB /dev/shm in a container), pickled through the pipe
(``PipeArray``).
"""

from __future__ import annotations

import errno
import signal
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from engine.images.display import ValueSummary
from engine.model.errors import LayerSpecError
from engine.model.network import ModelSpec


# -- where an array is --------------------------------------------------------------------
@dataclass(frozen=True)
class BlockRef:
    """A float32 array of ``shape`` in the shared-memory block ``name`` (the window owns it)."""

    name: str
    shape: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class PipeArray:
    """An array that travels through the pipe itself (no shared memory needed)."""

    array: np.ndarray


# -- requests (window -> engine) ----------------------------------------------------------
@dataclass(frozen=True, eq=False)
class RunModel:
    """Compute every layer of ``model`` on image ``image_id``.

    ``image`` is None when the engine already holds that image. ``outputs`` says where each
    layer's output goes: a block, or None to send it back in the reply. ``forget`` names blocks
    the window has freed, so the engine lets go of its mappings (their memory returns).
    ``summarize``: after the answer, the engine also sends that map's ValueSummary (its
    histogram, for the Display tab), computed on its own core while the window paints."""

    model: ModelSpec
    input_shape: tuple[int, int, int, int]  # the image as the model sees it, (1, H, W, C)
    image_id: int
    image: BlockRef | PipeArray | None
    outputs: tuple[BlockRef | None, ...]
    forget: tuple[str, ...] = ()
    summarize: tuple[int, int] | None = None  # (layer, filter) on screen: send its histogram


@dataclass(frozen=True, eq=False)
class Train:
    """A training action (engine/training/messages.py TrainRequest) on image ``image_id``;
    ``image`` as in RunModel (None: the engine holds it). Never answered as such: the engine
    sends TrainProgress reports whenever it has one, between its other replies."""

    request: object  # TrainRequest
    input_shape: tuple[int, int, int, int] | None  # None: no image with it (a STOP)
    image_id: int | None
    image: BlockRef | PipeArray | None


@dataclass(frozen=True)
class Stop:
    """End the engine loop (the window is closing)."""


# -- replies (engine -> window) -----------------------------------------------------------
@dataclass(frozen=True)
class Ready:
    import_seconds: float  # TensorFlow + Keras import in the engine process


@dataclass(frozen=True)
class LoadFailed:
    reason: str  # one line: why TensorFlow or Keras could not be imported


@dataclass(frozen=True, eq=False)
class Computed:
    seconds: float  # the engine's whole turn: input, layer calls, outputs stored
    layer_seconds: float  # the bare layer calls
    store_seconds: float  # outputs into their blocks, with every map's range
    minimums: tuple[np.ndarray, ...]  # per layer, one float64 per map
    maximums: tuple[np.ndarray, ...]
    arrays: tuple[np.ndarray | None, ...]  # the outputs sent back here (None: in a block)


@dataclass(frozen=True, eq=False)
class Summarized:
    """Follows a Computed when the request asked for it: one map's range and histogram."""

    layer: int
    filter_index: int
    summary: ValueSummary | None  # None: it could not be made (the output is still fine)


@dataclass(frozen=True)
class Refused:
    message: str  # settings Keras refuses (LayerSpecError), said the way the fix reads


@dataclass(frozen=True)
class OutOfMemory:
    reason: str  # one line from the allocation that failed
    detail: str  # the traceback, for the terminal


@dataclass(frozen=True)
class Failed:
    message: str  # one line
    detail: str  # the traceback, for the terminal


# -- what the worker catches ----------------------------------------------------------------
class EngineStopped(RuntimeError):
    """The engine process ended (crashed, was killed, or never finished loading)."""


class EngineUnavailable(RuntimeError):
    """TensorFlow or Keras cannot be imported: no engine until the installation is fixed."""


class EngineOutOfMemory(MemoryError):
    """An output or input did not fit in memory; the engine itself lives on."""


@dataclass(frozen=True, eq=False)
class EngineOutputs:
    """Every layer's output and each map's exact range, as ``ModelEngine.run`` returns them.

    The arrays are read-only: in process mode they are the shared-memory blocks the engine
    wrote, shown as they are, and never written again while anything still refers to them."""

    arrays: tuple[np.ndarray, ...]  # float32 (1, H, W, C) per layer
    minimums: tuple[np.ndarray, ...]  # float64 (C,) per layer
    maximums: tuple[np.ndarray, ...]
    layer_seconds: float = 0.0  # the bare layer calls
    store_seconds: float = 0.0  # outputs into shared memory, with their ranges
    notice: str = ""  # one line the user should know (e.g. arrays through the pipe, and why)


@runtime_checkable
class ModelEngine(Protocol):
    """Something that runs a model on an image: the engine process or Keras on this thread."""

    pid: int | None  # the engine's own process, if it has one
    import_seconds: float | None  # how long TensorFlow took to import there
    starting: bool  # loading Keras right now
    on_silence: object  # None, or called with the seconds waited when a reply is overdue

    @property
    def ready(self) -> bool:
        """Started, and (as far as anyone can tell) alive."""

    def start(self) -> None:
        """Load Keras (seconds). Raises EngineUnavailable or EngineStopped."""

    def run(self, image, model: ModelSpec, focus: tuple[int, int] | None = None
            ) -> EngineOutputs:
        """Every layer's output for ``image``. Raises LayerSpecError, EngineOutOfMemory,
        EngineStopped or RuntimeError (any other fault, with a one-line message). ``focus``:
        the (layer, filter) on screen, whose histogram ``summary`` then gives."""

    def train(self, image, request) -> None:
        """Send a TrainRequest (engine/training/messages.py) for ``image`` (None: no image,
        a STOP); reports come from ``training_reports``. Raises EngineStopped."""

    def training_reports(self) -> list:
        """The TrainProgress reports that have arrived, oldest first (never waits long)."""

    def summary(self) -> Summarized | None:
        """The histogram ``run``'s focus asked for (waiting for it if need be); None when
        there is none."""

    def idle(self) -> None:
        """Nothing is waiting: a moment to make the next call cheaper."""

    def interrupt(self) -> None:
        """From any thread: end a call or a start that is not coming back."""

    def abort(self) -> None:
        """From any thread: end everything now, for good (the window is closing)."""

    def close(self) -> None:
        """Let go of everything; never raises."""


# -- saying what happened, in one line ------------------------------------------------------
def one_line(text: str, limit: int = 240) -> str:
    """The first non-empty line of ``text``, at most ``limit`` characters: banners hold one
    line; tracebacks go to the terminal."""
    line = next((part.strip() for part in str(text).splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[:limit - 3].rstrip() + "..."


def describe_exit(exitcode: int | None) -> str:
    """How a process ended, in words ("was killed (SIGKILL)"); never "exit code None"."""
    if exitcode is None:
        return "stopped answering"
    if exitcode == 0:
        return "exited"
    if exitcode > 0:
        return f"exited with status {exitcode}"
    try:
        name = signal.Signals(-exitcode).name
    except ValueError:
        name = f"signal {-exitcode}"
    if -exitcode == signal.SIGKILL:
        return f"was killed ({name}; the system also does this when memory runs out)"
    return f"crashed ({name})"


def describe_output(shape: tuple[int, ...]) -> str:
    """``4094 x 4094 x 8 (512 MB)`` for an (1, H, W, C) float32 output."""
    _, height, width, channels = shape
    megabytes = height * width * channels * 4 / 2**20
    return f"{height} x {width} x {channels} ({megabytes:,.0f} MB)"


def describe_image(shape: tuple[int, ...]) -> str:
    """``16000 x 12000 RGB`` for an (H, W) or (H, W, C) image."""
    kind = "gray" if len(shape) == 2 or shape[2] == 1 else ("RGB" if shape[2] == 3 else
                                                             f"{shape[2]}-channel")
    return f"{shape[0]} x {shape[1]} {kind}"


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says memory ran out: NumPy's MemoryError, an mmap's ENOMEM, or
    TensorFlow's ResourceExhaustedError (matched by name: only keras_model imports it)."""
    if isinstance(exc, MemoryError):
        return True
    if isinstance(exc, OSError) and exc.errno == errno.ENOMEM:
        return True
    return any(cls.__name__ == "ResourceExhaustedError" for cls in type(exc).__mro__)


def reply_error(reply, image_shape: tuple[int, ...], shapes: list[tuple[int, ...]]
                 ) -> Exception:
    """The exception a reply other than Computed stands for."""
    if isinstance(reply, Refused):
        return LayerSpecError(reply.message)
    if isinstance(reply, OutOfMemory):
        error = EngineOutOfMemory(memory_message(image_shape, shapes, reply.reason))
        error.detail = reply.detail
        return error
    if isinstance(reply, Failed):
        error = RuntimeError(reply.message)
        error.detail = reply.detail
        return error
    return RuntimeError(f"The Keras engine answered {type(reply).__name__}.")


def memory_message(image_shape: tuple[int, ...], shapes: list[tuple[int, ...]],
                    reason: str) -> str:
    """One line: what did not fit, how big, and what stays."""
    largest = max(shapes, key=lambda shape: int(np.prod(shape)))
    return (f"Not enough memory for this {describe_image(image_shape)} image and its "
            f"{describe_output(largest)} output: {one_line(reason)}. The last output stays; "
            f"a smaller image or fewer filters will fit.")
