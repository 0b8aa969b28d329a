"""Edits a student makes to a whole kernel: resizing it and normalizing it.

Pure NumPy, so the table, undo and the tests share exactly one definition of each edit.
"""

from __future__ import annotations

import numpy as np

from engine.model.spec import MAX_KERNEL_SIZE, ConvSpecError

#: A sum closer to zero than this cannot be divided by (the kernel has no meaningful sum).
ZERO_SUM = 1e-9


def resize_kernel(kernel: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """The kernel grown or cut to rows x cols: overlapping (top-left) values are kept and
    new cells are 0, so enlarging then shrinking gives the original back."""
    if not (1 <= rows <= MAX_KERNEL_SIZE and 1 <= cols <= MAX_KERNEL_SIZE):
        raise ConvSpecError(f"Kernel sides must be 1 to {MAX_KERNEL_SIZE}.")
    kernel = np.asarray(kernel, np.float32)
    resized = np.zeros((rows, cols, *kernel.shape[2:]), np.float32)
    keep_r, keep_c = min(rows, kernel.shape[0]), min(cols, kernel.shape[1])
    resized[:keep_r, :keep_c] = kernel[:keep_r, :keep_c]
    return resized


def normalize_kernel(kernel: np.ndarray) -> np.ndarray:
    """The kernel divided by the sum of all its weights (every channel), so a flat image keeps
    its brightness. Refused, with the reason, when the weights sum to 0 (edge detectors)."""
    kernel = np.asarray(kernel, np.float32)
    total = float(np.sum(kernel, dtype=np.float64))
    if abs(total) < ZERO_SUM:
        raise ConvSpecError(
            "Normalize divides every weight by the kernel's sum, but these weights sum to 0 "
            "(typical of edge detectors), so the kernel was left as it is.")
    return (kernel / np.float32(total)).astype(np.float32)


def to_channels(kernel: np.ndarray, channels: int) -> np.ndarray:
    """The kernel for an input with ``channels`` channels: a 2D kernel is repeated on every
    channel; going back to one channel keeps the first (R) channel."""
    kernel = np.asarray(kernel, np.float32)
    plane = kernel if kernel.ndim == 2 else kernel[:, :, 0]
    if channels == 1:
        return np.array(plane)
    return np.repeat(plane[:, :, None], channels, axis=2)


def channels_identical(kernel: np.ndarray) -> bool:
    """True for a 2D kernel, or when every channel holds the same weights."""
    kernel = np.asarray(kernel)
    return kernel.ndim == 2 or all(np.array_equal(kernel[:, :, 0], kernel[:, :, c])
                                   for c in range(1, kernel.shape[2]))
