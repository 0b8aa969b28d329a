"""Odd and broken image files, generated here (never downloaded), with what loading each must
give: the pixels (or shape) and a note, or a refusal naming the reason.

Every Pillow mode ConvScope handles, EXIF orientation in JPEG, PNG and TIFF (compressed and
raw), multi-frame files, and the failures a lab machine sees: empty, truncated, non-image,
missing, folder, pipe, decompression bomb, non-finite and overflowing values.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

RNG = np.random.default_rng(11)
GRAY = np.arange(35, dtype=np.uint8).reshape(5, 7) * 7
COLOUR = RNG.integers(0, 256, (6, 4, 3), dtype=np.uint8)
WIDE16 = (np.arange(12, dtype=np.uint16).reshape(3, 4) * 5957)  # up to 65527
ORIENT = np.arange(24, dtype=np.uint8).reshape(4, 6) * 10
#: What each EXIF orientation does to the stored array (TIFF/EXIF spec).
ORIENTED = {3: lambda a: np.rot90(a, 2), 6: lambda a: np.rot90(a, -1), 8: lambda a: np.rot90(a, 1)}


@dataclass(frozen=True)
class Case:
    """One file and what ``load_image`` must make of it."""

    name: str
    path: Path
    hw: tuple[int, int] | None = None  # None: loading must fail
    error: str = ""  # part of the refusal's message
    note: str = ""  # part of the notes, for gray and rgb alike
    gray: np.ndarray | None = None  # exact pixels for color="gray", when known
    rgb: np.ndarray | None = None  # exact pixels for color="rgb", when known

    @property
    def loads(self) -> bool:
        return self.hw is not None


def png_bytes(width: int, height: int, bit_depth: int, color_type: int, rows: bytes = b"",
              data: bytes | None = None) -> bytes:
    """A PNG written by hand, so the header can claim anything."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    idat = zlib.compress(rows) if data is None else data
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))


def _exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif


def _on_white(values: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Alpha compositing on white, as Pillow rounds it."""
    a = alpha.astype(np.float64) / 255
    return np.floor(values * a[..., None] + 255 * (1 - a[..., None]) + 0.5).astype(np.float32)


def _luma(rgb: np.ndarray) -> np.ndarray:
    """Pillow's RGB -> L (ITU-R 601-2), for exact expectations."""
    return np.asarray(Image.fromarray(rgb.astype(np.uint8)).convert("L"), np.float32)


def _save(folder: Path, name: str, write: Callable[[Path], object], **expect) -> Case:
    path = folder / name
    write(path)
    return Case(name, path, **expect)


def good_cases(folder: Path) -> list[Case]:
    """Files that must load, with their exact pixels where the format is lossless."""
    g, c = GRAY.astype(np.float32), COLOUR.astype(np.float32)
    g3 = np.repeat(g[:, :, None], 3, axis=2)
    cases = [
        _save(folder, "gray.png", lambda p: Image.fromarray(GRAY).save(p), hw=(5, 7),
              gray=g, rgb=g3, note=""),
        _save(folder, "bilevel.png", lambda p: Image.fromarray(GRAY > 100).save(p), hw=(5, 7),
              gray=np.where(GRAY > 100, 255, 0).astype(np.float32), note="1-bit"),
        _save(folder, "colour.png", lambda p: Image.fromarray(COLOUR).save(p), hw=(6, 4),
              gray=_luma(COLOUR), rgb=c),
        _save(folder, "colour.bmp", lambda p: Image.fromarray(COLOUR).save(p), hw=(6, 4), rgb=c),
        _save(folder, "colour.webp", lambda p: Image.fromarray(COLOUR).save(p, lossless=True),
              hw=(6, 4), rgb=c),
        _save(folder, "photo.jpg", lambda p: Image.fromarray(COLOUR).save(p), hw=(6, 4)),
        _save(folder, "really_a_png.jpg", lambda p: Image.fromarray(GRAY).save(p, "PNG"),
              hw=(5, 7), gray=g),
        _save(folder, "ünïcode 图像.png", lambda p: Image.fromarray(GRAY).save(p), hw=(5, 7),
              gray=g),
        _save(folder, "one_pixel.png", lambda p: Image.fromarray(GRAY[:1, :1]).save(p),
              hw=(1, 1), gray=g[:1, :1]),
        _save(folder, "thin.png", lambda p: Image.fromarray(GRAY[:1, :]).save(p), hw=(1, 7)),
        _save(folder, "cmyk.jpg", lambda p: Image.new("CMYK", (4, 3), (0, 255, 0, 0)).save(p),
              hw=(3, 4), note="CMYK"),
        _save(folder, "cmyk.tif", lambda p: Image.new("CMYK", (4, 3), (0, 255, 0, 0)).save(p),
              hw=(3, 4), note="CMYK", rgb=np.tile(np.float32([255, 0, 255]), (3, 4, 1))),
        _save(folder, "lab.tif", lambda p: Image.new("LAB", (4, 3), (50, 0, 0)).save(p),
              hw=(3, 4), note="LAB image converted"),
        _save(folder, "ycbcr.jpg", lambda p: Image.fromarray(COLOUR).convert("YCbCr").save(p),
              hw=(6, 4)),
        _save(folder, "gray16.png", lambda p: Image.fromarray(WIDE16).save(p), hw=(3, 4),
              gray=WIDE16.astype(np.float32), rgb=np.repeat(WIDE16[:, :, None], 3, 2),
              note="not scaled to 0-255"),
        _save(folder, "int32.tif", lambda p: Image.fromarray(
            np.array([[-5, 70_000], [2**30, 0]], np.int32)).save(p), hw=(2, 2),
            gray=np.float32([[-5, 70_000], [2**30, 0]]), note="rounded to the nearest float32"),
        _save(folder, "float.tif", lambda p: Image.fromarray(
            np.float32([[-1.5, 0.25], [1e4, 3]])).save(p), hw=(2, 2),
            gray=np.float32([[-1.5, 0.25], [1e4, 3]]), note="float"),
        _save(folder, "float_nan.tif", lambda p: Image.fromarray(
            np.float32([[np.nan, 1], [np.inf, -np.inf]])).save(p), hw=(2, 2),
            gray=np.float32([[0, 1], [0, 0]]), note="3 pixel value(s) were NaN or infinite"),
        _save(folder, "rgb16.png", lambda p: p.write_bytes(png_bytes(
            2, 1, 16, 2, b"\x00" + struct.pack(">6H", 1000, 2000, 65535, 256, 512, 0))),
            hw=(1, 2), rgb=np.float32([[[3, 7, 255], [1, 2, 0]]]), note="16-bit colour"),
    ]
    cases += _transparent_cases(folder, g)
    cases += _multi_frame_cases(folder, g)
    cases += _orientation_cases(folder)
    return cases


def _transparent_cases(folder: Path, g: np.ndarray) -> list[Case]:
    alpha = np.where(np.arange(35).reshape(5, 7) % 3 == 0, 0, 200).astype(np.uint8)
    rgba = np.dstack([COLOUR[:5, :4], alpha[:, :4]])
    la = np.dstack([GRAY, alpha])
    flat = _on_white(COLOUR[:5, :4].astype(np.float64), alpha[:, :4])
    gray_flat = _on_white(np.repeat(GRAY[:, :, None], 3, 2).astype(np.float64), alpha)

    def palette(path: Path) -> None:
        image = Image.fromarray(GRAY, "L").convert("P")
        image.info["transparency"] = int(np.asarray(image)[0, 0])
        image.save(path, transparency=int(np.asarray(image)[0, 0]))

    white_corner = np.asarray(Image.fromarray(GRAY).convert("RGB"), np.float32).copy()
    white_corner[np.asarray(GRAY) == GRAY[0, 0]] = 255
    return [
        _save(folder, "rgba.png", lambda p: Image.fromarray(rgba, "RGBA").save(p), hw=(5, 4),
              rgb=flat, gray=_luma(flat), note="composited on white"),
        _save(folder, "rgba_opaque.png", lambda p: Image.fromarray(
            np.dstack([COLOUR, np.full((6, 4), 255, np.uint8)]), "RGBA").save(p), hw=(6, 4),
            rgb=COLOUR.astype(np.float32), note="fully opaque"),
        _save(folder, "gray_alpha.png", lambda p: Image.fromarray(la, "LA").save(p), hw=(5, 7),
              gray=gray_flat[:, :, 0], rgb=gray_flat, note="composited on white"),
        _save(folder, "palette_transparent.png", palette, hw=(5, 7), rgb=white_corner,
              note="composited on white"),
        _save(folder, "palette.gif", lambda p: Image.fromarray(GRAY).convert("P").save(p),
              hw=(5, 7), gray=g),
    ]


def _multi_frame_cases(folder: Path, g: np.ndarray) -> list[Case]:
    frames = [Image.fromarray(GRAY), Image.fromarray(255 - GRAY), Image.fromarray(GRAY // 2)]

    def gif(path: Path) -> None:
        frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)

    def tif(path: Path) -> None:
        frames[0].save(path, save_all=True, append_images=frames[1:2])

    return [_save(folder, "animated.gif", gif, hw=(5, 7), gray=g, note="3 frames"),
            _save(folder, "pages.tif", tif, hw=(5, 7), gray=g, note="2 frames")]


def _orientation_cases(folder: Path) -> list[Case]:
    """A phone photo stores pixels sideways plus a tag: the layer must see it upright."""
    cases = []
    for orientation, fmt, kwargs in [(6, "PNG", {}), (8, "TIFF", {}),
                                     (6, "TIFF", {"compression": "tiff_lzw"}),
                                     (3, "TIFF", {"compression": "raw"})]:
        want = ORIENTED[orientation](ORIENT).astype(np.float32)
        name = f"orient{orientation}_{kwargs.get('compression', 'x')}.{fmt.lower()}"
        cases.append(_save(folder, name, lambda p, o=orientation, f=fmt, k=kwargs: Image.
                           fromarray(ORIENT).save(p, f, exif=_exif(o), **k),
                           hw=want.shape, gray=want))
    wide = ORIENTED[6](ORIENT.astype(np.uint16) * 257).astype(np.float32)
    cases.append(_save(folder, "orient6_16bit.tif", lambda p: Image.fromarray(
        ORIENT.astype(np.uint16) * 257).save(p, exif=_exif(6)), hw=(6, 4), gray=wide))
    blocks = np.kron(np.array([[0, 255, 0], [0, 0, 0]], np.uint8), np.ones((16, 16), np.uint8))
    cases.append(_save(folder, "orient6.jpg", lambda p: Image.fromarray(blocks).save(
        p, exif=_exif(6), quality=100), hw=(48, 32)))
    return cases


def bad_cases(folder: Path) -> list[Case]:
    """Files that must be refused, each with the words the message must contain."""
    noise = RNG.integers(0, 256, (64, 64), dtype=np.uint8)
    png = png_bytes(64, 64, 8, 0, b"".join(b"\x00" + row.tobytes() for row in noise))
    jpeg = np.kron(RNG.integers(0, 256, (8, 8), dtype=np.uint8), np.ones((8, 8), np.uint8))

    def truncated_jpeg(path: Path) -> None:
        Image.fromarray(jpeg).save(path)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    def fifo(path: Path) -> None:
        os.mkfifo(path)

    return [
        _save(folder, "empty.png", lambda p: p.write_bytes(b""), error="empty (0 bytes)"),
        _save(folder, "truncated.png", lambda p: p.write_bytes(png[: len(png) // 2]),
              error="damaged or incomplete"),
        _save(folder, "truncated.jpg", truncated_jpeg, error="damaged or incomplete"),
        _save(folder, "bad_crc.png", lambda p: p.write_bytes(png[:29] + b"xxxx" + png[33:]),
              error="starts like a PNG file but its header is damaged"),
        _save(folder, "garbage.png", lambda p: p.write_bytes(
            png_bytes(7, 5, 8, 0, data=RNG.bytes(50))), error="damaged"),
        _save(folder, "notes.png", lambda p: p.write_text("these are my notes, not a picture"),
              error="not an image file"),
        Case("missing.png", folder / "missing.png", error="no such file"),
        _save(folder, "a_folder.png", lambda p: p.mkdir(), error="is a folder"),
        _save(folder, "pipe.png", fifo, error="not a regular file"),
        _save(folder, "bomb.png", lambda p: p.write_bytes(png_bytes(100_000, 100_000, 8, 0)),
              error="120,000,000 pixels"),
        _save(folder, "bomb_slightly.png", lambda p: p.write_bytes(
            png_bytes(11_000, 11_000, 8, 0)), error="too large"),
        _save(folder, "float_huge.tif", lambda p: Image.fromarray(
            np.float32([[1e30, 1]])).save(p), error="overflow float32"),
    ]


def build_corpus(folder: Path) -> list[Case]:
    folder.mkdir(parents=True, exist_ok=True)
    return good_cases(folder) + bad_cases(folder)


def case_names() -> list[str]:
    """The corpus's file names, for test ids (built once in a scratch folder)."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        return [case.name for case in build_corpus(Path(scratch) / "corpus")]
