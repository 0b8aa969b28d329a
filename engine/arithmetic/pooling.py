"""Pooling sizes exactly as Keras (TensorFlow) computes them, one axis at a time.

A pooling window of ``p`` values moves by ``s``: 'valid' gives floor((n - p) / s) + 1
windows, 'same' gives ceil(n / s). For 'same', TensorFlow pads as for a convolution (the odd
extra one after, at the bottom/right), but the padded positions are not zeros: max pooling
never picks them and average pooling leaves them out of the count.
"""

from __future__ import annotations

import math


def pool_output_size(n: int, pool: int, stride: int, padding: str) -> int:
    """Output length of one axis of MaxPooling2D / AveragePooling2D (can be < 1: empty)."""
    if padding == "same":
        return math.ceil(n / stride)
    return (n - pool) // stride + 1


def pool_padding(n: int, pool: int, stride: int) -> tuple[int, int]:
    """Positions (before, after) that 'same' pooling adds outside the input along one axis."""
    out = math.ceil(n / stride)
    total = max((out - 1) * stride + pool - n, 0)
    return total // 2, total - total // 2
