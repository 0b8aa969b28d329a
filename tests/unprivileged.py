"""Permission faults that really happen, even where the tests run as root (CI does).

Root reads every file whatever its mode, so a check that needs "Permission denied" runs in a
forked child that first becomes the unprivileged user ``nobody`` (uid/gid 65534). The child is
forked, not started afresh, because the interpreter and the project may live in folders that
user cannot enter; everything the check needs is imported before the fork. Run as any other
user, the check simply runs in this process. The files a check uses go in ``open_folder()``,
which every user may enter.
"""

from __future__ import annotations

import os
import pickle
import shutil
import stat
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

NOBODY = 65534


def open_folder() -> Path:
    """A new folder any user may enter and read (pytest's tmp_path is the owner's only)."""
    folder = Path(tempfile.mkdtemp(prefix="convscope-perm-"))
    folder.chmod(0o755)
    return folder


def remove_folder(folder: Path) -> None:
    """Delete ``folder`` whatever modes the test left inside it."""
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IRWXU)
    shutil.rmtree(folder)


def as_unprivileged(check: Callable, *args):
    """``check(*args)`` as a user without special rights; its result, or its exception
    re-raised here as an AssertionError carrying the child's traceback."""
    if not hasattr(os, "geteuid"):
        pytest.skip("no POSIX users on this system")
    if os.geteuid() != 0:
        return check(*args)
    if not hasattr(os, "fork"):
        pytest.skip("running as root, and this system cannot fork to drop privileges")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read_end)
        try:
            try:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            except OSError as exc:
                reply = ("skip", f"cannot become an unprivileged user here ({exc})")
            else:
                try:
                    reply = ("ok", check(*args))
                except BaseException:
                    reply = ("error", traceback.format_exc())
            data = pickle.dumps(reply)
        except BaseException:
            data = pickle.dumps(("error", traceback.format_exc()))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    kind, value = pickle.loads(data)
    if kind == "skip":
        pytest.skip(value)
    if kind == "error":
        raise AssertionError(f"the check failed as uid {NOBODY}:\n{value}")
    return value
