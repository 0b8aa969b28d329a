"""Starting the engine process, and how long to wait for it.

Spawned, so it behaves the same on Linux, macOS, Windows and in a PyInstaller bundle (which
must call ``multiprocessing.freeze_support()``); as early as possible, so TensorFlow's import
overlaps the window's own start-up.
"""

from __future__ import annotations

import multiprocessing
import os
import threading

import numpy as np

from engine.backend.serve import serve
from engine.model.network import ModelSpec

#: How long the window waits for TensorFlow to load in a new engine process.
START_TIMEOUT_S = 180.0
#: How long one answer may take before the engine counts as not answering: this much, plus
#: CALL_SECONDS_PER_MAC for every multiply-add of the model (a pessimistic 1e9 a second) and
#: CALL_SECONDS_PER_BYTE for every byte that moves (a new image, the outputs).
CALL_TIMEOUT_S = 5.0
CALL_SECONDS_PER_MAC = 1e-9
CALL_SECONDS_PER_BYTE = 5e-9
#: How long closing waits for the engine process to leave on its own.
CLOSE_WAIT_S = 5.0


def call_timeout_s(input_shape: tuple[int, ...], model: ModelSpec) -> float:
    """When a reply for ``model`` on this input is overdue (see CALL_TIMEOUT_S)."""
    macs, moved = 0, int(np.prod(input_shape)) * 4
    for spec, out in zip(model.layers, model.output_shapes(input_shape)):
        kernel = getattr(spec, "weights_shape", (1, 1, 1, 1))
        macs += int(np.prod(out)) * int(np.prod(kernel[:3]))  # taps: kh * kw * C
        moved += int(np.prod(out)) * 4
    return CALL_TIMEOUT_S + macs * CALL_SECONDS_PER_MAC + moved * CALL_SECONDS_PER_BYTE

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


def adopt_or_launch() -> tuple:
    """The early-started process and its pipe, or a new one."""
    global _prestarted
    with _prestart_lock:
        launched, _prestarted = _prestarted, None
    return launched or _launch()


def engine_mode() -> str:
    """'process' (default) or 'thread' (``CONVSCOPE_ENGINE=thread``: Keras on the worker
    thread itself, for comparison and for platforms where a second process is unwanted)."""
    return "thread" if os.environ.get("CONVSCOPE_ENGINE", "process") == "thread" else "process"
