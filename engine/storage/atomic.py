"""Saving without ever leaving a half-written file behind, or changing more than the contents.

Each save streams into a hidden temporary file beside the target and renames it over the
target only once complete, so a full disk or an unwritable folder leaves any existing file
intact, and the data is never held twice in memory. What the user set up stays as it was: a
replaced file keeps its mode (and, where the OS allows, its owner and group), a new file gets
the mode the umask gives any new file, and saving to a symlink writes through it to its
target (the temporary file goes beside the target, so the rename stays atomic). A folder, a
device or a pipe of that name is never replaced by a file.

A save that is killed half-way leaves its temporary file, ``.NAME.convscope-XXXXXXXXXXXXXXXX.tmp``.
The next save into that folder deletes those that no save has touched for STALE_AFTER_S (and,
for the file being saved, the ``.NAME.XXXXXXXX.tmp`` earlier versions left), and nothing else;
a save that fails with an error it catches never leaves one.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image

from engine.storage.paths import shown_name

#: A temporary file this old is no save's any more: its save was killed.
STALE_AFTER_S = 15 * 60
TEMP_MARK = "convscope"
_OUR_TEMPORARY = re.compile(rf"\..+\.{TEMP_MARK}-[0-9a-f]{{16}}\.tmp", re.DOTALL)
#: Names stay below the usual 255-character limit however long the target's name is.
_NAME_CHARS_IN_TEMPORARY = 150
_CREATE_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
                 | getattr(os, "O_NOINHERIT", 0))


class SaveError(Exception):
    """A file could not be written; any earlier file of that name is untouched."""


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    atomic_write(path, lambda handle: handle.write(data))


def atomic_write(path: str | Path, write: Callable[[BinaryIO], object]) -> None:
    """Save what ``write(handle)`` writes as ``path``. Raises SaveError for a failure of the
    disk or the OS; any other error of ``write`` propagates. Either way the old file is
    intact and no temporary file is left."""
    path = _through_symlink(Path(path))
    folder = path.parent
    remove_stale_temporaries(folder, path.name)
    old = _replaced_file(path)
    tmp, fd = _create_temporary(folder, path.name)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            if old is not None:
                _keep_mode_and_owner(tmp, old)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        raise SaveError(f"Cannot save {shown_name(path)}: {exc.strerror or exc}.") from None
    except BaseException:
        _discard(tmp)
        raise


def save_npy(path: str | Path, array: np.ndarray) -> None:
    """The array as float32 ``.npy``, streamed to the file: no second copy in memory (for a
    float32 array, none at all)."""
    values = np.asarray(array, dtype=np.float32)
    atomic_write(path, lambda handle: np.lib.format.write_array(handle, values,
                                                                allow_pickle=False))


def save_png(path: str | Path, gray: np.ndarray) -> None:
    """Save a (H, W) uint8 image, or (H, W, 3) RGB, as PNG."""
    image = Image.fromarray(np.ascontiguousarray(gray))
    atomic_write(path, lambda handle: image.save(handle, format="PNG"))


def remove_stale_temporaries(folder: str | Path, name: str = "") -> list[str]:
    """Delete ``folder``'s temporary files of ConvScope's own making that no save has touched
    for STALE_AFTER_S (and, for ``name``, the older ``.NAME.XXXXXXXX.tmp`` form): regular
    files of this user only, never anything else. Returns the names deleted; never fails."""
    legacy = re.compile(re.escape(f".{name}.") + r"[a-z0-9_]{8}\.tmp") if name else None
    cutoff = time.time() - STALE_AFTER_S
    removed = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                ours = _OUR_TEMPORARY.fullmatch(entry.name) or (
                    legacy is not None and legacy.fullmatch(entry.name))
                if ours and _is_stale(entry, cutoff):
                    os.unlink(entry.path)
                    removed.append(entry.name)
    except OSError:  # an unreadable folder, a file gone meanwhile: the save goes on
        pass
    return removed


def _is_stale(entry: os.DirEntry, cutoff: float) -> bool:
    info = entry.stat(follow_symlinks=False)
    mine = not hasattr(os, "geteuid") or info.st_uid == os.geteuid()
    return stat.S_ISREG(info.st_mode) and mine and info.st_mtime < cutoff


def _through_symlink(path: Path) -> Path:
    """The file a save to ``path`` must replace: a symlink's final target (which may not
    exist yet), so the link itself stays."""
    try:
        if path.is_symlink():
            return Path(os.path.realpath(path))
    except (OSError, ValueError):  # the save itself will say what is wrong
        pass
    return path


def _replaced_file(path: Path) -> os.stat_result | None:
    """The file a save replaces, or None when there is none yet. A folder, a device or a
    pipe is never replaced by a file (``-o /dev/null`` run as root would replace the
    device)."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):  # none yet, or the save itself will say what is wrong
        return None
    if stat.S_ISDIR(info.st_mode):
        raise SaveError(f"Cannot save {shown_name(path)}: it is a folder.")
    if not stat.S_ISREG(info.st_mode):
        raise SaveError(f"Cannot save {shown_name(path)}: it is not a regular file (a device "
                        f"or a pipe), and saves only replace files.")
    return info


def _create_temporary(folder: Path, name: str) -> tuple[Path, int]:
    """A new, empty hidden file beside the target, with the mode the umask gives new files."""
    stem = name[:_NAME_CHARS_IN_TEMPORARY]
    while True:
        tmp = folder / f".{stem}.{TEMP_MARK}-{secrets.token_hex(8)}.tmp"
        try:
            return tmp, os.open(tmp, _CREATE_FLAGS, 0o666)
        except FileExistsError:  # 2**64 names: only ever a coincidence
            continue
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise SaveError(f"Cannot write in {folder}: {reason}.") from None


def _keep_mode_and_owner(tmp: Path, old: os.stat_result) -> None:
    """The replaced file's permissions carry over, and its owner and group where the OS lets
    this user set them (a class folder's files stay readable by the class). Best effort: a
    disk that has no permissions (FAT) still saves."""
    if hasattr(os, "chown") and hasattr(os, "geteuid") and (
            (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid())):
        for uid in (old.st_uid, -1):  # the owner needs root; the group, membership
            try:
                os.chown(tmp, uid, old.st_gid)
                break
            except OSError:
                continue
    with contextlib.suppress(OSError):
        os.chmod(tmp, stat.S_IMODE(old.st_mode))  # after chown, which clears set-id bits


def _discard(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)
