"""A layer's output into the block the window reads, with every map's exact range.

The window needs each map's true minimum and maximum (the caption, the display levels), and
the engine has to copy TensorFlow's output into shared memory anyway. Done together, piece by
piece, the range is read from a piece the copy has just brought into the cache. A one-map
output stays on one thread: on the 2-core machine ConvScope is measured on, its copy is bound
by memory bandwidth, and a second thread made it slower. A large output of several maps, whose
per-map reductions do more work per byte, is split between two threads (TWO_THREADS_BYTES).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

#: Bytes per piece: well inside a core's cache, so the range reads what the copy just wrote;
#: and at least MIN_ROWS image rows, so each reduction has rows to combine (a row of an
#: 8-filter photo output is 129 KB: one row per piece made the ranges cost 3x the copy).
PIECE_BYTES = 256 * 1024
MIN_ROWS = 8
#: Outputs of several maps at least this large are stored on two threads, half the rows each.
#: Measured on 2 cores: a (1, 3022, 4030, 8) output took 35 ms instead of 53 (60 instead of
#: 78 with both cores busy); a one-map (1, 4094, 4094, 1) output 7.5 instead of 7.6 ms, but
#: 12.2 instead of 8.0 ms when busy, so one map always stays on one thread.
TWO_THREADS_BYTES = 64 * 2**20

_second: ThreadPoolExecutor | None = None
_second_lock = threading.Lock()


def _second_thread() -> ThreadPoolExecutor:
    global _second
    with _second_lock:
        if _second is None:
            _second = ThreadPoolExecutor(1, thread_name_prefix="convscope-store")
        return _second


def map_ranges(output: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every map's exact (minimums, maximums) of a (1, H, W, C) output, float64 (C,)."""
    return store_with_ranges(output, None)


def store_with_ranges(output: np.ndarray, into: np.ndarray | None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Copy the (1, H, W, C) ``output`` into ``into`` (same shape; None: no copy) and return
    every map's exact (minimums, maximums) as float64 (C,) arrays (NaN where a map has one,
    as NumPy's min and max give it)."""
    output = np.asarray(output)
    if output.nbytes >= TWO_THREADS_BYTES and output.shape[-1] > 1 and output.shape[1] > 1:
        half = output.shape[1] // 2
        lower = _second_thread().submit(
            _store, output[:, half:], None if into is None else into[:, half:])
        low, high = _store(output[:, :half], None if into is None else into[:, :half])
        other_low, other_high = lower.result()
        return np.minimum(low, other_low), np.maximum(high, other_high)  # NaN stays NaN
    return _store(output, into)


def _store(output: np.ndarray, into: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    channels = output.shape[-1]
    if output.size == 0:
        return np.zeros(channels), np.zeros(channels)
    rows = output.reshape(-1, output.shape[-2] * channels)  # one image row per line
    target = None if into is None else into.reshape(rows.shape)
    step = max(MIN_ROWS, PIECE_BYTES // max(rows.shape[1] * 4, 1))
    width = 1 if channels == 1 else rows.shape[1]  # one map: whole-piece reductions
    axis = None if channels == 1 else 0  # several: down the rows, each column its own
    low = np.full(width, np.inf, np.float32)
    high = np.full(width, -np.inf, np.float32)
    for start in range(0, rows.shape[0], step):
        piece = rows[start:start + step]
        if target is not None:
            np.copyto(target[start:start + step], piece)
            piece = target[start:start + step]
        np.minimum(low, np.minimum.reduce(piece, axis=axis), out=low)
        np.maximum(high, np.maximum.reduce(piece, axis=axis), out=high)
    lows = low.reshape(-1, channels).min(axis=0)
    highs = high.reshape(-1, channels).max(axis=0)
    return lows.astype(np.float64), highs.astype(np.float64)
