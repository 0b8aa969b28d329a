"""Reading images into the float32 arrays the layer sees.

Pixel values enter unscaled (0-255 for 8-bit images), as in the classic lesson. Every failure
becomes an ImageLoadError whose message a student can act on.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

#: Pillow refuses images above this many pixels before decoding them (decompression bombs).
MAX_PIXELS = 120_000_000


class ImageLoadError(Exception):
    """An image could not be read; the message says why in plain words."""


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """An image as the layer sees it: float32, shape (H, W) for one channel."""

    pixels: np.ndarray
    name: str
    notes: tuple[str, ...] = field(default=())

    @property
    def hw(self) -> tuple[int, int]:
        return int(self.pixels.shape[0]), int(self.pixels.shape[1])

    @property
    def channels(self) -> int:
        return 1 if self.pixels.ndim == 2 else int(self.pixels.shape[2])

    @property
    def nhwc_shape(self) -> tuple[int, int, int, int]:
        return (1, *self.hw, self.channels)


COLOR_MODES = ("gray", "rgb")


def load_image(path: str | Path, color: str = "gray") -> LoadedImage:
    """Read any image Pillow reads, unscaled: one grayscale channel (``color="gray"``,
    pixels (H, W)) or three (``color="rgb"``, pixels (H, W, 3))."""
    if color not in COLOR_MODES:
        raise ValueError(f"color must be one of {COLOR_MODES}, not {color!r}")
    path = Path(path)
    if not path.exists():
        raise ImageLoadError(f"{path.name}: no such file.")
    if path.is_dir():
        raise ImageLoadError(f"{path.name} is a folder, not an image file.")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if getattr(image, "n_frames", 1) > 1:
                    notes.append(f"{image.n_frames} frames: showing the first.")
                image.load()  # decode now: a truncated file opens fine and fails here
                image = ImageOps.exif_transpose(image)
                pixels = _to_gray(image, notes) if color == "gray" else _to_rgb(image, notes)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageLoadError(
            f"{path.name} is too large: ConvScope opens images up to "
            f"{MAX_PIXELS // 1_000_000} megapixels.") from None
    except UnidentifiedImageError:
        raise ImageLoadError(f"{path.name} is not an image file ConvScope can read.") from None
    except PermissionError:
        raise ImageLoadError(f"{path.name} cannot be read: permission denied.") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageLoadError(f"{path.name} is damaged or incomplete ({exc}).") from None
    if pixels.size == 0:
        raise ImageLoadError(f"{path.name} has no pixels.")
    return LoadedImage(pixels=pixels, name=path.name, notes=tuple(notes))


def _to_gray(image: Image.Image, notes: list[str]) -> np.ndarray:
    """One float32 channel, keeping each mode's real value range."""
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        pixels = np.asarray(image, dtype=np.float32)
        notes.append(f"{mode} image: values kept as they are, "
                     f"{pixels.min():g} to {pixels.max():g}.")
        return np.ascontiguousarray(pixels)
    if mode != "L":
        notes.append(f"{mode} image converted to one grayscale channel (0-255).")
    return np.ascontiguousarray(np.asarray(image.convert("L"), dtype=np.float32))


def _to_rgb(image: Image.Image, notes: list[str]) -> np.ndarray:
    """Three float32 channels, 0-255."""
    if image.mode != "RGB":
        notes.append(f"{image.mode} image converted to RGB (0-255).")
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.float32))


def from_array(pixels: np.ndarray, name: str = "array") -> LoadedImage:
    """Wrap an in-memory array (tests, benchmarks) as a LoadedImage."""
    return LoadedImage(pixels=np.ascontiguousarray(pixels, dtype=np.float32), name=name)
