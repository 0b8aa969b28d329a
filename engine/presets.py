"""Starting kernels: the lesson's untrained layer and its all-ones blur."""

from __future__ import annotations

import numpy as np


def glorot_uniform(kernel_size: tuple[int, int], channels: int = 1, filters: int = 1,
                   seed: int | None = None) -> np.ndarray:
    """Weights drawn the way an untrained Keras Conv2D draws them (GlorotUniform).

    Uniform in [-limit, limit] with limit = sqrt(6 / (fan_in + fan_out)), where
    fan_in = kh*kw*channels and fan_out = kh*kw*filters. Done in NumPy so the table can be
    filled before TensorFlow has loaded. Returns (kh, kw) for one channel, else
    (kh, kw, channels).
    """
    kh, kw = kernel_size
    limit = np.sqrt(6.0 / (kh * kw * channels + kh * kw * filters))
    rng = np.random.default_rng(seed)
    shape = (kh, kw) if channels == 1 else (kh, kw, channels)
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def box(kernel_size: tuple[int, int] = (3, 3), channels: int = 1) -> np.ndarray:
    """All ones: each output is the sum of the pixels under the window (the lesson's blur)."""
    shape = kernel_size if channels == 1 else (*kernel_size, channels)
    return np.ones(shape, np.float32)
