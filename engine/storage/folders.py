"""The one folder ConvScope may write to on its own: the user's application data folder.

It is the folder Qt's ``QStandardPaths.AppLocalDataLocation`` names for organization and
application "ConvScope", computed here without Qt so the engine (and the ``convolve`` command)
can use it. Keras keeps its ``keras.json`` there instead of ``~/.keras``: a lab account's own
Keras settings (another backend, channels_first, float16) cannot change what ConvScope shows,
and ConvScope leaves nothing in the home folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ORGANIZATION = APPLICATION = "ConvScope"


def app_data_dir() -> Path:
    """Linux ``$XDG_DATA_HOME/ConvScope/ConvScope`` (default ~/.local/share/...), Windows
    ``%LOCALAPPDATA%\\ConvScope\\ConvScope``, macOS ``~/Library/Application Support/...``."""
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "")
        base = Path(xdg) if os.path.isabs(xdg) else home / ".local" / "share"
    return base / ORGANIZATION / APPLICATION


def keras_home() -> Path:
    """Where Keras reads and writes keras.json for ConvScope (set as KERAS_HOME)."""
    return app_data_dir() / "keras"
