"""Starting kernels: the lesson's untrained layer, its all-ones blur, and the classic image
filters (the ones Image Kernels, GIMP and ImageJ offer), by name, for one filter of a layer
or for all of them at once (the filter bank).

Which preset a filter holds is never stored: ``identify_preset`` reads it off the weights,
so the preset box cannot claim a kernel the table does not hold.
"""

from __future__ import annotations

import functools

import numpy as np

from engine.kernels.edits import channels_identical
from engine.kernels.initializers import glorot_uniform


def box(kernel_size: tuple[int, int] = (3, 3)) -> np.ndarray:
    """All ones: each output is the sum of the pixels under the window (the lesson's blur)."""
    return np.ones(kernel_size, np.float32)


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
IDENTITY = "identity"
BOX = "box blur (all ones)"
RANDOM = "random (untrained Keras layer)"
FILTER_BANK = "filter bank (a classic filter per filter)"
CUSTOM = "custom"
#: The presets of one filter, in the order the combo box lists them.
FILTER_PRESETS = (IDENTITY, BOX, *FIXED, RANDOM)
#: What the preset box offers: a filter's presets, the bank for all filters, and "custom"
#: (shown, never applied) for weights that are no preset.
PRESET_NAMES = (*FILTER_PRESETS, FILTER_BANK, CUSTOM)
#: The bank's filters in order: what a first conv layer is often shown to learn. A layer with
#: more filters than this gets random (untrained) filters for the rest.
BANK = (IDENTITY, BOX, "Sobel X", "Sobel Y", "Laplacian edge", "sharpen", "emboss",
        "outline", "Gaussian blur 3x3")


def preset_plane(name: str, kernel_size: tuple[int, int] = (3, 3)) -> np.ndarray:
    """A fixed preset's (kh, kw) weights: identity and box blur at ``kernel_size``, the others
    at their own size."""
    if name == IDENTITY:
        return identity(kernel_size)
    if name == BOX:
        return box(kernel_size)
    if name in FIXED:
        return FIXED[name].astype(np.float32)
    raise KeyError(f"No fixed preset called {name!r}.")


@functools.lru_cache(maxsize=32)
def _random_kernel(shape: tuple[int, int, int, int], seed: int) -> np.ndarray:
    kernel = glorot_uniform(shape, seed=seed)
    kernel.setflags(write=False)
    return kernel


def random_kernel(kernel_size: tuple[int, int], channels: int, filters: int,
                  seed: int) -> np.ndarray:
    """A whole untrained (kh, kw, C, F) kernel, the weights a fresh Conv2D(F, ...) draws
    with GlorotUniform(seed)."""
    return np.array(_random_kernel((*kernel_size, channels, filters), int(seed)))


def random_filter(kernel_size: tuple[int, int], channels: int, filters: int,
                  filter_index: int, seed: int, same_for_all_channels: bool) -> np.ndarray:
    """Filter ``filter_index`` of the untrained kernel, (kh, kw, C); with one kernel for all
    channels, its first channel's plane on every channel."""
    block = _random_kernel((*kernel_size, channels, filters), int(seed))[:, :, :, filter_index]
    if same_for_all_channels:
        block = np.repeat(block[:, :, :1], channels, axis=2)
    return np.array(block)


def preset_filter(name: str, kernel_size: tuple[int, int], channels: int, filters: int,
                  filter_index: int, seed: int, same_for_all_channels: bool = True
                  ) -> np.ndarray:
    """The named preset as filter ``filter_index`` of a (kh, kw, C, F) kernel: (kh, kw, C)."""
    if name == RANDOM:
        return random_filter(kernel_size, channels, filters, filter_index, seed,
                             same_for_all_channels)
    plane = preset_plane(name, kernel_size)
    return np.repeat(plane[:, :, None], channels, axis=2)


def filter_bank(channels: int, filters: int, seed: int) -> np.ndarray:
    """A 3x3 (3, 3, C, F) kernel whose filters are the BANK's classic filters in turn (random
    ones after the last), so several feature maps show several features at once."""
    kernel = np.repeat(random_kernel((3, 3), channels, filters, seed)[:, :, :1, :], channels,
                       axis=2)
    for index, name in enumerate(BANK[:filters]):
        kernel[:, :, :, index] = preset_plane(name, (3, 3))[:, :, None]
    return kernel


def identify_preset(kernel: np.ndarray, filter_index: int, seed: int) -> str:
    """The preset filter ``filter_index`` of ``kernel`` (kh, kw, C, F) holds exactly, else
    CUSTOM. A random filter counts only for this ``seed`` (the one the seed box shows)."""
    kernel = np.asarray(kernel, np.float32)
    kh, kw, channels, filters = kernel.shape
    block = kernel[:, :, :, filter_index]
    if channels_identical(block):
        plane = block[:, :, 0]
        for name in (IDENTITY, BOX, *FIXED):
            candidate = preset_plane(name, (kh, kw))
            if candidate.shape == plane.shape and np.array_equal(candidate, plane):
                return name
    for same in (True, False):
        if np.array_equal(block, random_filter((kh, kw), channels, filters, filter_index, seed,
                                               same)):
            return RANDOM
    return CUSTOM
