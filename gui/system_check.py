"""Before Qt starts: can it load on this machine? One line naming what is missing, if not.

Importing Qt without libGL raises an ImportError from deep inside PySide6, and a platform
plugin whose libraries are missing makes Qt abort the process with a guess ("xcb-cursor0 is
needed") while the real gap may be another library. Loading the plugin first, the way Qt
will, turns both into the loader's own answer, named with its package.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from engine.storage.system_libraries import load_problem, missing_library_message


def platform_name() -> str:
    """The Qt platform plugin this start will load (Linux: xcb unless told otherwise)."""
    requested = os.environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    return requested or "xcb"


def plugin_folders() -> list[Path]:
    """Where Qt looks for plugins: its own path, QT_PLUGIN_PATH, the PySide6 package."""
    import PySide6
    from PySide6.QtCore import QLibraryInfo

    folders = [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))]
    folders += [Path(p) for p in os.environ.get("QT_PLUGIN_PATH", "").split(os.pathsep) if p]
    folders.append(Path(PySide6.__file__).parent / "Qt" / "plugins")
    return folders


def qt_start_problem() -> str | None:
    """None when Qt and its platform plugin load; otherwise one line for the admin."""
    try:
        import PySide6.QtGui  # noqa: F401  (loads libGL, libEGL, fontconfig, ...)
        import PySide6.QtWidgets  # noqa: F401
    except ImportError as exc:
        return missing_library_message(exc) or f"Qt does not load: {exc}"
    if not sys.platform.startswith("linux"):
        return None
    name, folders = platform_name(), plugin_folders()
    wayland = [p for f in folders for p in (f / "platforms").glob("libqwayland*.so")]
    if not os.environ.get("QT_QPA_PLATFORM") and os.environ.get("WAYLAND_DISPLAY") and wayland:
        return None  # Qt picks Wayland here (the Linux bundle has no Wayland plugin: xcb)
    for folder in folders:
        plugin = folder / "platforms" / f"libq{name}.so"
        if plugin.is_file():
            return load_problem(plugin)
    return None
