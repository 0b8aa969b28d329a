"""Mapping the layer's signed, unbounded output to something a screen can show.

A 3x3 box sum of 0-255 pixels reaches 2295 and a random kernel gives negative values, so the
mapping is a teaching choice, not a detail. The raw float32 output is never changed; only the
levels (the value shown black and the value shown white) are chosen here.
"""

from __future__ import annotations

import numpy as np


def auto_levels(values: np.ndarray) -> tuple[float, float]:
    """Darkest = the minimum, brightest = the maximum (what matplotlib's imshow does).

    Above four million values only every few rows are scanned (whole rows, so memory is
    read in long runs), which keeps a 16-megapixel output live. A lone extreme pixel in a
    skipped row then shows clipped to black or white; the raw values are untouched."""
    if values.size == 0:
        return 0.0, 1.0
    step = int(np.ceil(values.size / 4_000_000))
    if step > 1 and values.ndim >= 2:
        values = values[::step]
    lo, hi = float(np.min(values)), float(np.max(values))
    if not hi > lo:  # a flat output still needs a non-empty range
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def to_uint8(values: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """Scale ``values`` so levels[0] -> 0 and levels[1] -> 255, clipping outside."""
    lo, hi = levels
    scaled = (np.asarray(values, np.float32) - lo) * (255.0 / (hi - lo))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
