"""Edits a student makes to a kernel in Keras layout (kh, kw, C, F): one weight, one filter,
the size, the channel count, the number of filters, normalizing.

Pure NumPy, so the table, undo and the tests share exactly one definition of each edit.
Every function returns a new float32 array and leaves its argument alone.
"""

from __future__ import annotations

import numpy as np

from engine.model.conv import MAX_FILTERS, MAX_KERNEL_SIZE
from engine.model.errors import LayerSpecError

#: A sum closer to zero than this cannot be divided by (the kernel has no meaningful sum).
ZERO_SUM = 1e-9


def keras_kernel(plane: np.ndarray, channels: int = 1, filters: int = 1) -> np.ndarray:
    """A (kh, kw) plane as a (kh, kw, channels, filters) kernel: the same weights on every
    input channel of every filter (how a text kernel or the lesson's all-ones is applied)."""
    plane = np.asarray(plane, np.float32)
    if plane.ndim != 2:
        raise LayerSpecError(f"A kernel plane has rows and columns; this one has shape "
                             f"{plane.shape}.")
    return np.repeat(np.repeat(plane[:, :, None, None], channels, axis=2), filters, axis=3)


def with_weight(kernel: np.ndarray, row: int, col: int, filter_index: int, value: float,
                channel: int | None = None) -> np.ndarray:
    """One weight of one filter; ``channel`` None sets it on every input channel."""
    kernel = np.array(kernel, np.float32)
    if channel is None:
        kernel[row, col, :, filter_index] = value
    else:
        kernel[row, col, channel, filter_index] = value
    return kernel


def with_filter(kernel: np.ndarray, filter_index: int, weights: np.ndarray) -> np.ndarray:
    """Filter ``filter_index`` replaced by ``weights``, (kh, kw, C) or a (kh, kw) plane that
    goes on every channel. A differently sized filter resizes the whole kernel (every filter
    of a layer has one size): the others keep their overlapping weights."""
    kernel = np.asarray(kernel, np.float32)
    weights = np.asarray(weights, np.float32)
    if weights.ndim == 2:
        weights = np.repeat(weights[:, :, None], kernel.shape[2], axis=2)
    if weights.shape[:2] != kernel.shape[:2]:
        kernel = resize_kernel(kernel, *weights.shape[:2])
    kernel = np.array(kernel)
    kernel[:, :, :, filter_index] = weights
    return kernel


def resize_kernel(kernel: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Every filter grown or cut to rows x cols: overlapping (top-left) values are kept and
    new cells are 0, so enlarging then shrinking gives the original back."""
    if not (1 <= rows <= MAX_KERNEL_SIZE and 1 <= cols <= MAX_KERNEL_SIZE):
        raise LayerSpecError(f"Kernel sides must be 1 to {MAX_KERNEL_SIZE}.")
    kernel = np.asarray(kernel, np.float32)
    resized = np.zeros((rows, cols, *kernel.shape[2:]), np.float32)
    keep_r, keep_c = min(rows, kernel.shape[0]), min(cols, kernel.shape[1])
    resized[:keep_r, :keep_c] = kernel[:keep_r, :keep_c]
    return resized


def normalize_kernel(weights: np.ndarray) -> np.ndarray:
    """``weights`` (one filter, any channels) divided by their sum, so a flat image keeps its
    brightness. Refused, with the reason, when they sum to 0 (edge detectors)."""
    weights = np.asarray(weights, np.float32)
    total = float(np.sum(weights, dtype=np.float64))
    if abs(total) < ZERO_SUM:
        raise LayerSpecError(
            "Normalize divides every weight by the kernel's sum, but these weights sum to 0 "
            "(typical of edge detectors), so the kernel was left as it is.")
    return (weights / np.float32(total)).astype(np.float32)


def to_channels(kernel: np.ndarray, channels: int) -> np.ndarray:
    """The kernel for an input with ``channels`` channels: each filter's first (R) plane is
    repeated on every channel (going to one channel keeps just that plane)."""
    kernel = np.asarray(kernel, np.float32)
    return np.repeat(kernel[:, :, :1, :], channels, axis=2)


def channels_identical(weights: np.ndarray) -> bool:
    """True when every input channel holds the same weights (a (kh, kw, C) filter or a whole
    (kh, kw, C, F) kernel)."""
    weights = np.asarray(weights)
    return bool(np.all(weights == weights[:, :, :1]))


def with_filter_count(kernel: np.ndarray, bias: np.ndarray, filters: int,
                      new_filters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(kernel, bias) with ``filters`` filters: the first ones kept, the last ones dropped,
    or new ones taken from ``new_filters`` (kh, kw, C, >= filters), with bias 0. A layer of
    an opened model may hold more than MAX_FILTERS; it can drop filters, not grow."""
    kernel = np.asarray(kernel, np.float32)
    bias = np.asarray(bias, np.float32)
    have = kernel.shape[3]
    if not 1 <= filters <= max(MAX_FILTERS, have):
        raise LayerSpecError(f"A layer has 1 to {MAX_FILTERS} filters.")
    if filters <= have:
        return np.array(kernel[..., :filters]), np.array(bias[:filters])
    added = np.asarray(new_filters, np.float32)[..., have:filters]
    return (np.concatenate([kernel, added], axis=3),
            np.concatenate([bias, np.zeros(filters - have, np.float32)]))
