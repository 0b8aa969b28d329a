"""Output sizes exactly as Keras computes them, one axis at a time.

Every other module asks here, so the shape panel, the lesson, the receptive fields and the
engine's own checks cannot disagree about a size.
"""

from __future__ import annotations

import math


def output_size(n: int, k: int, stride: int, dilation: int, padding: str) -> int:
    """Output length of one axis of a Conv2D (or, with dilation 1, a pooling layer).

    'valid': floor((n - d(k-1) - 1) / s) + 1, which can be zero or less (an empty output).
    'same': ceil(n / s).
    """
    if padding == "same":
        return math.ceil(n / stride)
    return (n - dilation * (k - 1) - 1) // stride + 1


def same_padding(n: int, k: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """Zero rows (or columns) TensorFlow adds (before, after) for 'same' padding.

    The total is whatever makes ceil(n/s) windows fit; when it is odd the extra one goes
    after (bottom or right).
    """
    out = math.ceil(n / stride)
    total = max((out - 1) * stride + dilation * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def format_shape(shape: tuple[int, ...]) -> str:
    """A shape the way Python prints a tuple, e.g. ``(1, 255, 510, 1)``."""
    return str(tuple(int(v) for v in shape))
