"""What the window remembers between runs: the text scales and its geometry.

Kept as ``window/...`` keys in the settings file (gui/settings.py reads its ``defaults/...``
keys), so the class defaults are where a lab presets the scale and the remembered values are
each user's own last choice. A file of another version is never rewritten, and a file that
cannot be written (a read-only class file) is left alone: the class defaults then apply at
every start. Writes are atomic, keeping every key already in the file.
"""

from __future__ import annotations

import base64
import binascii
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

from engine.storage.atomic import SaveError, atomic_write_bytes
from gui.settings import KEY_VERSION, SETTINGS_VERSION, settings_path

KEY_TEXT_SCALE = "window/text_scale"
KEY_PRESENTATION_TEXT_SCALE = "window/presentation_text_scale"
KEY_GEOMETRY = "window/geometry"


@dataclass(frozen=True)
class Remembered:
    text_scale: int | None = None
    presentation_text_scale: int | None = None
    geometry: bytes | None = None  # QWidget.saveGeometry()


def _readable(path: Path) -> QSettings | None:
    """The file as QSettings when it is ours to read and write: version 1, or empty."""
    if not path.is_file():
        return None
    ini = QSettings(str(path), QSettings.Format.IniFormat)
    if ini.status() != QSettings.Status.NoError:
        return None
    if ini.allKeys() and str(ini.value(KEY_VERSION, "")).strip() != str(SETTINGS_VERSION):
        return None
    return ini


def load_remembered(path: str | Path | None = None) -> Remembered:
    ini = _readable(Path(path) if path else settings_path())
    if ini is None:
        return Remembered()
    return Remembered(_int(ini.value(KEY_TEXT_SCALE)),
                      _int(ini.value(KEY_PRESENTATION_TEXT_SCALE)),
                      _bytes(ini.value(KEY_GEOMETRY)))


def remember(values: Remembered, path: str | Path | None = None) -> bool:
    """Write ``values`` into the settings file, keeping its other keys; False when the file
    is another version's or cannot be written (nothing changed then)."""
    path = Path(path) if path else settings_path()
    existing = _readable(path)
    if existing is None and path.exists():
        return False
    with tempfile.TemporaryDirectory() as scratch:
        draft = QSettings(str(Path(scratch) / "draft.ini"), QSettings.Format.IniFormat)
        for key in existing.allKeys() if existing is not None else []:
            draft.setValue(key, existing.value(key))
        draft.setValue(KEY_VERSION, SETTINGS_VERSION)
        for key, value in ((KEY_TEXT_SCALE, values.text_scale),
                           (KEY_PRESENTATION_TEXT_SCALE, values.presentation_text_scale)):
            if value is not None:
                draft.setValue(key, int(value))
        if values.geometry:
            draft.setValue(KEY_GEOMETRY, base64.b64encode(values.geometry).decode("ascii"))
        draft.sync()
        data = Path(draft.fileName()).read_bytes()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)
    except (SaveError, OSError):
        return False
    return True


def _int(value) -> int | None:
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def _bytes(value) -> bytes | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
