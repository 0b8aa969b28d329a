"""A layer's output into the block the window reads, with every map's exact range.

The window needs each map's true minimum and maximum (the caption, the display levels), and
the engine has to copy TensorFlow's output into shared memory anyway. Done together, piece by
piece, the range is read from a piece the copy has just brought into the cache. One thread:
on the 2-core machine ConvScope is measured on, copying is bound by memory bandwidth, and a
second thread made it slower, not faster.
"""

from __future__ import annotations

import numpy as np

#: Bytes per piece: well inside a core's cache, so the range reads what the copy just wrote;
#: and at least MIN_ROWS image rows, so each reduction has rows to combine (a row of an
#: 8-filter photo output is 129 KB: one row per piece made the ranges cost 3x the copy).
PIECE_BYTES = 256 * 1024
MIN_ROWS = 8


def map_ranges(output: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every map's exact (minimums, maximums) of a (1, H, W, C) output, float64 (C,)."""
    return store_with_ranges(output, None)


def store_with_ranges(output: np.ndarray, into: np.ndarray | None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Copy the (1, H, W, C) ``output`` into ``into`` (same shape; None: no copy) and return
    every map's exact (minimums, maximums) as float64 (C,) arrays (NaN where a map has one,
    as NumPy's min and max give it)."""
    output = np.asarray(output)
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
