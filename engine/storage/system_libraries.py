"""Name a missing system library, and the package that installs it, instead of a traceback.

The packaged app carries most libraries itself, but the graphics stack (libGL, libEGL) and a
few X libraries come from the lab machine. When one is missing, the dynamic loader's error
("libGL.so.1: cannot open shared object file") surfaces as an ImportError deep inside Qt, or
Qt aborts with a guess. An admin needs one line: what is missing and what to install.
"""

from __future__ import annotations

import ctypes
import re
from pathlib import Path

# soname -> (Debian/Ubuntu package, RHEL/Fedora package)
PACKAGES: dict[str, tuple[str, str]] = {
    "libGL.so.1": ("libgl1", "mesa-libGL"),
    "libEGL.so.1": ("libegl1", "mesa-libEGL"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libGLdispatch.so.0": ("libglvnd0", "libglvnd"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libexpat.so.1": ("libexpat1", "expat"),
    "libstdc++.so.6": ("libstdc++6", "libstdc++"),
    "libgcc_s.so.1": ("libgcc-s1", "libgcc"),
    "libz.so.1": ("zlib1g", "zlib"),
}

# The loader's words: "libGL.so.1: cannot open shared object file: No such file or directory"
_CANNOT_OPEN = re.compile(r"([\w.+-]+\.so(?:\.\d+)*): cannot open shared object file")


def missing_library(error: BaseException | str) -> str | None:
    """The soname the dynamic loader could not find, from its error text; None otherwise."""
    found = _CANNOT_OPEN.search(str(error))
    return found.group(1) if found else None


def install_hint(soname: str) -> str:
    """One line for the admin: what is missing and which package installs it."""
    packages = PACKAGES.get(soname)
    if packages is None:
        return (f"{soname} is missing: install the package that provides it "
                f"(Debian/Ubuntu: apt-file search {soname}; RHEL: dnf provides '*/{soname}')")
    debian, rhel = packages
    return f"{soname} is missing: install {debian} (Debian/Ubuntu) or {rhel} (RHEL)"


def missing_library_message(error: BaseException | str) -> str | None:
    """``install_hint`` for an error caused by a missing system library; None for any other."""
    soname = missing_library(error)
    return install_hint(soname) if soname else None


def load_problem(path: Path) -> str | None:
    """Load a shared object as the dynamic loader would; the install hint if a library is
    missing, None if it loads (or does not exist: nothing to check then)."""
    if not path.is_file():
        return None
    try:
        ctypes.CDLL(str(path))
    except OSError as exc:
        return missing_library_message(exc) or f"{path.name} does not load: {exc}"
    return None
