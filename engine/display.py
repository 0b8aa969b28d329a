"""Mapping the layer's signed, unbounded output to something a screen can show.

A 3x3 box sum of 0-255 pixels reaches 2295 and a random kernel gives negative values, so the
mapping is a teaching choice, not a detail. The raw float32 output is never changed; only the
levels (the value shown black and the value shown white) are chosen here.
"""

from __future__ import annotations

import numpy as np


def auto_levels(values: np.ndarray) -> tuple[float, float]:
    """Darkest = the minimum, brightest = the maximum (what matplotlib's imshow does)."""
    if values.size == 0:
        return 0.0, 1.0
    lo, hi = float(np.min(values)), float(np.max(values))
    if not hi > lo:  # a flat output still needs a non-empty range
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def to_uint8(values: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """Scale ``values`` so levels[0] -> 0 and levels[1] -> 255, clipping outside."""
    lo, hi = levels
    scaled = (np.asarray(values, np.float32) - lo) * (255.0 / (hi - lo))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
