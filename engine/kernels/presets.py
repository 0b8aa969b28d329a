"""Starting kernels: the lesson's untrained layer, its all-ones blur, and the classic image
filters (the ones Image Kernels, GIMP and ImageJ offer), by name."""

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


def identity(kernel_size: tuple[int, int] = (3, 3)) -> np.ndarray:
    """A single 1 where 'same' padding puts the output pixel: row (kh-1)//2, col (kw-1)//2
    (TensorFlow pads the odd extra row/column after, so this is the centre for even sizes)."""
    kernel = np.zeros(kernel_size, np.float32)
    kernel[(kernel_size[0] - 1) // 2, (kernel_size[1] - 1) // 2] = 1
    return kernel


_BINOMIAL_5 = np.array([1, 4, 6, 4, 1], np.float32)

#: Fixed-size filters, exactly as the textbooks print them (cross-correlation orientation).
FIXED = {
    "Gaussian blur 3x3": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], np.float32) / 16,
    "Gaussian blur 5x5": np.outer(_BINOMIAL_5, _BINOMIAL_5) / 256,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], np.float32),
    "Laplacian edge": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32),
    "Sobel X": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32),
    "Sobel Y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], np.float32),
    "emboss": np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], np.float32),
    "outline": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], np.float32),
}
RANDOM = "random (untrained Keras layer)"
CUSTOM = "custom"
#: The preset names in the order the combo box lists them; "custom" marks an edited kernel.
PRESET_NAMES = ("identity", "box blur (all ones)", *FIXED, RANDOM, CUSTOM)


def preset_kernel(name: str, kernel_size: tuple[int, int] = (3, 3), channels: int = 1,
                  seed: int | None = None, same_for_all_channels: bool = True) -> np.ndarray:
    """The named preset as a (kh, kw) kernel, or (kh, kw, channels) for a colour input.

    identity, box blur and random keep the current size; the others have their own size.
    The random preset draws every channel separately unless one kernel serves them all.
    """
    if name == RANDOM:
        if channels > 1 and not same_for_all_channels:
            return glorot_uniform(kernel_size, channels=channels, seed=seed)
        plane = glorot_uniform(kernel_size, channels=channels, seed=seed)
        plane = plane if plane.ndim == 2 else plane[:, :, 0]
    elif name == "identity":
        plane = identity(kernel_size)
    elif name == "box blur (all ones)":
        plane = box(kernel_size)
    elif name in FIXED:
        plane = FIXED[name].astype(np.float32)
    else:
        raise KeyError(f"No preset called {name!r}.")
    if channels == 1:
        return np.array(plane, np.float32)
    return np.repeat(plane[:, :, None], channels, axis=2).astype(np.float32)
