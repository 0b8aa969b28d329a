"""Saving without ever leaving a half-written file behind.

Each save goes to a temporary file in the destination folder and is renamed over the target
only once complete, so a full disk or an unwritable folder leaves any existing file intact.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image


class SaveError(Exception):
    """A file could not be written; any earlier file of that name is untouched."""


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise SaveError(f"Cannot write in {folder}: {exc.strerror or exc}.") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise SaveError(f"Cannot save {path.name}: {exc.strerror or exc}.") from None


def save_npy(path: str | Path, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array, dtype=np.float32))
    atomic_write_bytes(path, buffer.getvalue())


def save_png(path: str | Path, gray: np.ndarray) -> None:
    """Save a (H, W) uint8 image, or (H, W, 3) RGB, as PNG."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(gray)).save(buffer, format="PNG")
    atomic_write_bytes(path, buffer.getvalue())
