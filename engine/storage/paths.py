"""How a path, and an operating-system error on it, are worded in a message, and whether two
paths name one file.

A name may be up to 255 characters (and one that is refused for being longer still has to be
named), so messages show long names shortened; the reason is always the OS's own words
("Permission denied", "File name too long"), so a student can search for it.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Names longer than this are shown as their start, "...", and their end.
SHOWN_NAME_CHARS = 60


def shown_name(path: str | Path) -> str:
    """The file's name as a message shows it: short enough for one line."""
    name = Path(path).name or str(path)
    if len(name) <= SHOWN_NAME_CHARS:
        return name
    return f"{name[:40]}...{name[-17:]} ({len(name)} characters)"


def os_reason(exc: BaseException) -> str:
    """The operating system's own words for an error on a path (e.g. "Permission denied")."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether ``a`` and ``b`` are one file: the same inode when both exist (links, symlinks,
    ``./x`` and ``x``), else the same absolute path once symlinks are resolved."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):  # one does not exist (yet), or cannot be looked at
        pass
    try:
        return (os.path.normcase(os.path.realpath(a))
                == os.path.normcase(os.path.realpath(b)))
    except (OSError, ValueError):
        return False
