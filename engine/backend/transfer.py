"""A layer's output into the block the window reads, with every map's exact range.

The window needs each map's true minimum and maximum (the caption, the display levels), and
the engine has to copy TensorFlow's output into shared memory anyway. Done together, piece by
piece, the range is read from a piece the copy has just put in the cache instead of from main
memory in two more passes, and the pieces are split between two threads (NumPy lets go of the
interpreter lock while it copies and reduces), so both cores share the work.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

#: Bytes per piece: well inside a core's cache, so the range reads what the copy just wrote.
PIECE_BYTES = 256 * 1024
#: Below this, one thread does it all (handing work to another costs more than it saves).
PARALLEL_BYTES = 4 * 2**20
THREADS = 2

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _workers() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(THREADS, thread_name_prefix="convscope-store")
        return _pool


def map_ranges(output: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every map's exact (minimums, maximums) of a (1, H, W, C) output, float64 (C,)."""
    return store_with_ranges(output, None)


def store_with_ranges(output: np.ndarray, into: np.ndarray | None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Copy the (1, H, W, C) ``output`` into ``into`` (same shape; None: no copy) and return
    every map's exact (minimums, maximums) as float64 (C,) arrays."""
    output = np.asarray(output)
    channels = output.shape[-1]
    if output.size == 0:
        return np.zeros(channels), np.zeros(channels)
    rows = output.reshape(-1, output.shape[-2] * channels)  # one image row per line
    target = None if into is None else into.reshape(rows.shape)
    step = max(1, PIECE_BYTES // max(rows.shape[1] * 4, 1))
    pieces = [(start, min(start + step, rows.shape[0])) for start in range(0, rows.shape[0],
                                                                              step)]
    if output.nbytes < PARALLEL_BYTES or len(pieces) < 2:
        parts = [_store_rows(rows, target, pieces, channels)]
    else:
        half = (len(pieces) + 1) // 2
        jobs = [_workers().submit(_store_rows, rows, target, chunk, channels)
                for chunk in (pieces[:half], pieces[half:])]
        parts = [job.result() for job in jobs]
    lows = np.min([low for low, _ in parts], axis=0)
    highs = np.max([high for _, high in parts], axis=0)
    return lows.astype(np.float64), highs.astype(np.float64)


def _store_rows(rows: np.ndarray, target: np.ndarray | None, pieces: list[tuple[int, int]],
                channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Copy and reduce these pieces of rows; (minimums, maximums) per channel."""
    width = 1 if channels == 1 else rows.shape[1]  # one map: whole-piece reductions
    low = np.full(width, np.inf, np.float32)
    high = np.full(width, -np.inf, np.float32)
    axis = None if channels == 1 else 0
    for start, stop in pieces:
        piece = rows[start:stop]
        if target is not None:
            np.copyto(target[start:stop], piece)
            piece = target[start:stop]
        np.minimum(low, piece.min(axis=axis), out=low)
        np.maximum(high, piece.max(axis=axis), out=high)
    return low.reshape(-1, channels).min(axis=0), high.reshape(-1, channels).max(axis=0)
