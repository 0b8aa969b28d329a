"""Reading images into the float32 arrays the layer sees.

Pixel values enter unscaled (0-255 for 8-bit images, the stored range for 16-bit and float
images), as in the classic lesson. Whatever the file holds, the caller gets either a
LoadedImage whose ``notes`` say every liberty taken (transparency flattened, frames skipped,
channels repeated, values replaced), or an ImageLoadError whose message a student can act on.
Nothing else escapes.

Loading reports its progress to an optional callback, in stages: "reading" (the header),
"decoding" (the share of the file read so far: Pillow has no progress callback of its own,
and decoders consume the file as they go) and "converting" (the rows turned into float32).
The callback may stop the load by raising LoadCancelled.
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from engine.storage.paths import os_reason, shown_name

#: Pillow refuses images above this many pixels before decoding them (decompression bombs).
MAX_PIXELS = 120_000_000
#: Largest pixel magnitude accepted (float images). With kernel entries up to 1e6 and at most
#: 15x15x3 taps, every weighted sum stays below 1e30, far from float32 overflow (3.4e38).
MAX_ABS_PIXEL = 1e20
#: float32 holds every integer exactly only up to 2**24.
EXACT_INT_LIMIT = 2**24

WIDE_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")  # kept as stored, never clamped
COLOR_MODES = ("gray", "rgb")
#: Float32 bytes converted per step. Pillow hands pixels to NumPy as one bytes object built
#: while holding the interpreter lock; for a whole 120-megapixel RGB photo that froze every
#: other thread (the window) for a quarter of a second, a band of rows at a time never does.
BAND_BYTES = 8_000_000

#: A progress report: (stage, fraction done from 0 to 1, or None when unknown).
Progress = Callable[[str, "float | None"], None]


def _no_progress(_stage: str, _fraction: float | None) -> None:
    pass


class ImageLoadError(Exception):
    """An image could not be read; the message says why in plain words."""


class LoadCancelled(BaseException):
    """Raised by a progress callback to stop a load. A BaseException, like KeyboardInterrupt,
    so that no handler for damaged files on the way (ours or a Pillow plugin's) takes a
    cancel for a broken image."""


class _Refused(Exception):
    """A decoded image ConvScope will not use; load_image adds the file name."""


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """An image as the layer sees it: float32, shape (H, W) for one channel, (H, W, 3) for
    RGB."""

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

    @cached_property
    def value_range(self) -> tuple[float, float]:
        """(minimum, maximum) of the pixels, computed once: the window's loader asks for it
        on its own thread, so showing a 120-megapixel image never scans it on the GUI
        thread."""
        return float(self.pixels.min()), float(self.pixels.max())


def load_image(path: str | Path, color: str = "gray",
               progress: Progress | None = None) -> LoadedImage:
    """Read any image Pillow reads, unscaled: one grayscale channel (``color="gray"``,
    pixels (H, W)) or three (``color="rgb"``, pixels (H, W, 3)). Raises ImageLoadError only
    (or LoadCancelled, raised by ``progress``, which is told each stage as it goes)."""
    report = progress or _no_progress
    if color not in COLOR_MODES:
        raise ValueError(f"color must be one of {COLOR_MODES}, not {color!r}")
    path = Path(path)
    name = shown_name(path)
    report("reading", None)
    _check_is_a_file(path, name)
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    notes: list[str] = []
    size = None
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        raise ImageLoadError(f"{name} cannot be opened: {os_reason(exc)}.") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Opened from a handle, not a name: Pillow's memory-mapped path reads uncompressed
            # TIFFs rotated by their orientation tag with the wrong size (scrambled pixels).
            source = _ReadCounter(handle, report) if progress else handle
            with handle, Image.open(source) as image:
                size = image.size
                _check_pixel_count(name, image.size)
                _note_frames_and_depth(image, notes)
                if progress:
                    source.start_counting()
                image.load()  # decode now: a truncated file opens fine and fails here
                image = _upright(image, notes)
                pixels = (_to_gray(image, notes, report) if color == "gray"
                          else _to_rgb(image, notes, report))
    except ImageLoadError:
        raise
    except _Refused as exc:
        raise ImageLoadError(f"{name}: {exc}") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageLoadError(_too_large(name)) from None
    except UnidentifiedImageError:
        kind = _signature(path)
        if kind:  # Pillow says "cannot identify" even when only the header is broken
            raise ImageLoadError(f"{name} starts like a {kind} file but its header is "
                                 f"damaged.") from None
        raise ImageLoadError(f"{name} is not an image file ConvScope can read "
                             f"(PNG, JPEG, TIFF, BMP, GIF, WebP and other formats Pillow "
                             f"reads).") from None
    except MemoryError:
        raise ImageLoadError(_no_memory(name, size, color)) from None
    except OSError as exc:
        if exc.errno is not None:  # the disk or the OS failed, not the file's contents
            raise ImageLoadError(f"{name} cannot be read: {os_reason(exc)}.") from None
        raise ImageLoadError(f"{name} is damaged or incomplete ({exc}).") from None
    except (ValueError, SyntaxError, EOFError) as exc:
        raise ImageLoadError(f"{name} is damaged or incomplete ({exc}).") from None
    except Exception as exc:  # a malformed file can trip any error inside a decoder
        raise ImageLoadError(f"{name} could not be decoded "
                             f"({type(exc).__name__}: {exc}).") from None
    if pixels.size == 0:
        raise ImageLoadError(f"{name} has no pixels.")
    return LoadedImage(pixels=pixels, name=path.name, notes=tuple(notes))


class _ReadCounter:
    """The open file as Pillow reads it, telling ``report`` how much of it has been read
    once decoding starts. Everything but ``read`` is the file's own (fileno included, so
    Pillow takes exactly the paths it takes with the plain file)."""

    def __init__(self, handle, report: Progress) -> None:
        self._handle, self._report = handle, report
        self._size = max(os.fstat(handle.fileno()).st_size, 1)
        self._counting = False
        self._furthest = 0.0  # decoders seek back now and then; progress never does

    def start_counting(self) -> None:
        self._counting = True
        self._tell()

    def read(self, *args) -> bytes:
        data = self._handle.read(*args)
        if self._counting:
            self._tell()
        return data

    def _tell(self) -> None:
        self._furthest = max(self._furthest, min(self._handle.tell() / self._size, 1.0))
        self._report("decoding", self._furthest)

    def __getattr__(self, name: str):
        return getattr(self._handle, name)


def _check_is_a_file(path: Path, name: str) -> None:
    """The failures that need no decoding, each with its own plain message; any OS error on
    the path (permission denied, a name too long, a loop of links) with the OS's reason."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise ImageLoadError(f"{name}: no such file.") from None
    except (OSError, ValueError) as exc:
        raise ImageLoadError(f"{name} cannot be opened: {os_reason(exc)}.") from None
    if stat.S_ISDIR(info.st_mode):
        raise ImageLoadError(f"{name} is a folder, not an image file.")
    if not stat.S_ISREG(info.st_mode):  # a pipe or a device would block or never end
        raise ImageLoadError(f"{name} is not a regular file.")
    if info.st_size == 0:
        raise ImageLoadError(f"{name} is empty (0 bytes).")


def _no_memory(name: str, size: tuple[int, int] | None, color: str) -> str:
    """Names the size that did not fit, so the student knows what to make smaller."""
    if size is None:
        return f"{name} is too large for this computer's memory."
    channels = 3 if color == "rgb" else 1
    needed = size[0] * size[1] * channels * 4
    amount = f"{needed / 1e6:,.0f} MB" if needed >= 1e6 else f"{needed:,} bytes"
    return (f"{name} ({size[0]} x {size[1]} pixels, {channels} channel(s), {amount} as "
            f"float32) is too large for this computer's memory: close other programs or use "
            f"a smaller image.")


SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF",
              b"II*\x00": "TIFF", b"MM\x00*": "TIFF", b"BM": "BMP"}


def _signature(path: Path) -> str:
    """The format a file's first bytes announce, or "" (used to word a refusal)."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(16)
    except OSError:
        return ""
    if start[:4] == b"RIFF" and start[8:12] == b"WEBP":
        return "WebP"
    return next((kind for magic, kind in SIGNATURES.items() if start.startswith(magic)), "")


def _too_large(name: str, size: tuple[int, int] | None = None) -> str:
    claims = f" ({size[0]} x {size[1]} pixels)" if size else ""
    return (f"{name} is too large{claims}: ConvScope opens images up to {MAX_PIXELS:,} "
            f"pixels ({MAX_PIXELS / 1e6:g} megapixels) and refuses larger ones before "
            f"decoding them.")


def _check_pixel_count(name: str, size: tuple[int, int]) -> None:
    """Our own header check, so the limit holds even if Pillow's is switched off."""
    if size[0] * size[1] > MAX_PIXELS:
        raise ImageLoadError(_too_large(name, size))


def _note_frames_and_depth(image: Image.Image, notes: list[str]) -> None:
    """What is lost before decoding: other frames, and bits Pillow drops (it reads 16-bit
    colour PNGs as 8-bit RGB)."""
    try:
        frames = getattr(image, "n_frames", 1)
    except Exception:  # later frames damaged: the first may still be fine
        frames = 1
        notes.append("Its later frames are damaged: showing the first.")
        image.seek(0)
    if frames > 1:
        notes.append(f"{frames} frames: showing the first.")
    rawmodes = " ".join(str(tile.args) for tile in image.tile)
    if image.mode in ("RGB", "RGBA") and ";16" in rawmodes:
        notes.append("Its 16-bit colour channels are read as 8-bit (0-255) by Pillow.")


def _upright(image: Image.Image, notes: list[str]) -> Image.Image:
    """Apply the EXIF orientation a phone camera writes; a broken tag is not fatal. In place:
    an upright image is not copied (a copy of a 120-megapixel photo costs 480 MB)."""
    try:
        ImageOps.exif_transpose(image, in_place=True)
        return image
    except Exception:
        notes.append("Its orientation tag is unreadable: shown as stored.")
        return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "RGBa", "LA", "La", "PA") or (
        image.mode in ("P", "L", "RGB", "1") and "transparency" in image.info)


def _on_white(image: Image.Image, notes: list[str]) -> Image.Image:
    """Transparent pixels have no value of their own: composite them on white, and say so."""
    rgba = image.convert("RGBA")
    alpha = np.asarray(rgba.getchannel("A"))
    if alpha.min() < 255:
        notes.append(f"{image.mode} image with transparency: composited on white.")
    else:
        notes.append(f"{image.mode} image: its alpha channel is fully opaque and is dropped.")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def _float32(image: Image.Image, report: Progress) -> np.ndarray:
    """``np.asarray(image, dtype=np.float32)`` (the mode's own values, one plane per band),
    converted a band of rows at a time so that no single call holds the interpreter lock
    long (see BAND_BYTES)."""
    width, height = image.size
    bands = len(image.getbands())
    pixels = np.empty((height, width) if bands == 1 else (height, width, bands), np.float32)
    rows = max(1, BAND_BYTES // max(1, width * bands * 4))
    for top in range(0, height, rows):
        bottom = min(top + rows, height)
        pixels[top:bottom] = np.asarray(image.crop((0, top, width, bottom)))
        report("converting", bottom / height)
    return pixels


def _repeated_rgb(values: np.ndarray, report: Progress) -> np.ndarray:
    """One (H, W) channel repeated into R, G and B, a band of rows at a time."""
    height = values.shape[0]
    pixels = np.empty((*values.shape, 3), np.float32)
    rows = max(1, BAND_BYTES // max(1, values[0].nbytes * 3))
    for top in range(0, height, rows):
        pixels[top:top + rows] = values[top:top + rows, :, None]
        report("converting", min(top + rows, height) / height)
    return pixels


def _wide_values(image: Image.Image, notes: list[str], report: Progress) -> np.ndarray:
    """16-bit, 32-bit integer and float images as stored: Pillow's convert("L") would clamp
    them to 255. NaN and infinity would poison every output they touch, so they become 0
    (and a note says so); magnitudes that could overflow float32 sums are refused."""
    pixels = _float32(image, report)
    bad = ~np.isfinite(pixels)
    if bad.any():
        pixels = np.where(bad, np.float32(0), pixels)
    span = f"{pixels.min():g} to {pixels.max():g}"
    kind = "float" if image.mode == "F" else "integer"
    notes.append(f"{image.mode} ({kind}) image: values kept as stored, {span}, not scaled "
                 f"to 0-255.")
    if bad.any():
        notes.append(f"{int(bad.sum())} pixel value(s) were NaN or infinite and are set to 0.")
    largest = max(abs(float(pixels.min())), abs(float(pixels.max())))
    if largest > MAX_ABS_PIXEL:
        raise _Refused(f"values up to {largest:.3g} are too large: ConvScope accepts pixel "
                       f"values between -{MAX_ABS_PIXEL:g} and {MAX_ABS_PIXEL:g} (larger "
                       f"sums would overflow float32).")
    if image.mode != "F" and largest > EXACT_INT_LIMIT:
        notes.append(f"Values beyond {EXACT_INT_LIMIT:,} are rounded to the nearest float32.")
    return pixels


def _as_rgb_image(image: Image.Image, notes: list[str]) -> Image.Image:
    if _has_alpha(image):
        return _on_white(image, notes)
    if image.mode == "RGB":
        return image
    if image.mode == "CMYK":
        notes.append("CMYK image converted to RGB (simple conversion, no colour profile).")
    try:
        return image.convert("RGB")
    except ValueError:
        raise _Refused(f"Pillow cannot convert its {image.mode} colour mode to RGB "
                               f"or grayscale.") from None


def _to_gray(image: Image.Image, notes: list[str], report: Progress) -> np.ndarray:
    """One float32 channel, keeping each mode's real value range."""
    mode = image.mode
    if mode in WIDE_MODES:
        return np.ascontiguousarray(_wide_values(image, notes, report))
    if mode == "1":
        notes.append("1-bit image: black is 0, white is 255.")
    elif mode != "L" or _has_alpha(image):
        image = _as_rgb_image(image, notes)
        notes.append(f"{mode} image converted to one grayscale channel (0-255).")
    return _float32(image if image.mode == "L" else image.convert("L"), report)


def _to_rgb(image: Image.Image, notes: list[str], report: Progress) -> np.ndarray:
    """Three float32 channels: 0-255, or the stored range repeated for one wide channel."""
    mode = image.mode
    if mode in WIDE_MODES:
        values = _wide_values(image, notes, report)
        notes.append("Its one channel is repeated into R, G and B.")
        return _repeated_rgb(values, report)
    if mode == "1":
        notes.append("1-bit image: black is 0, white is 255.")
    if mode in ("1", "L") and not _has_alpha(image):
        notes.append("Grayscale image: its one channel is repeated into R, G and B.")
    elif mode not in ("RGB", "CMYK") and not _has_alpha(image):
        notes.append(f"{mode} image converted to RGB (0-255).")
    return _float32(_as_rgb_image(image, notes), report)


def readable_extensions() -> list[str]:
    """Every file extension Pillow can open here (for File > Open's filter), e.g. ".png"."""
    Image.init()
    return sorted(ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN)


def from_array(pixels: np.ndarray, name: str = "array") -> LoadedImage:
    """Wrap an in-memory array (tests, benchmarks) as a LoadedImage."""
    return LoadedImage(pixels=np.ascontiguousarray(pixels, dtype=np.float32), name=name)
