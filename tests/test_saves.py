"""Saves change the contents and nothing else: a replaced file keeps its mode (and owner), a
new file follows the umask, a symlink is written through to its target, a killed save's
temporary file is cleaned up by a later save (ours only), a caught error leaves none, and the
output is written with no second copy in memory."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pytest

from engine.storage.atomic import STALE_AFTER_S, SaveError, atomic_write, save_npy
from tests.conftest import ROOT
from tests.live_window import open_window

OLD = b"the previous, complete file"
VALUES = np.arange(12, dtype=np.float32).reshape(1, 3, 4, 1)
OURS = ".out.npy.convscope-0123456789abcdef.tmp"


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def temporaries(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def umask():
    """Set the process umask for one test."""
    saved = os.umask(0o022)
    yield os.umask
    os.umask(saved)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("mask,expected", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)],
                         ids=["022", "002", "077"])
def test_new_files_follow_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    save_npy(tmp_path / "new.npy", VALUES)
    assert mode(tmp_path / "new.npy") == expected


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("kept", [0o644, 0o640, 0o755, 0o444], ids=oct)
def test_a_replaced_file_keeps_its_mode(tmp_path, umask, kept):
    umask(0o077)  # the mode comes from the old file, not from the umask
    path = tmp_path / "out.npy"
    path.write_bytes(OLD)
    path.chmod(kept)
    save_npy(path, VALUES)
    assert mode(path) == kept and np.array_equal(np.load(path), VALUES)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root may give a file to another user")
def test_a_replaced_file_keeps_its_owner(tmp_path):
    path = tmp_path / "student.npy"
    path.write_bytes(OLD)
    os.chown(path, 65534, 65534)
    save_npy(path, VALUES)
    assert (os.stat(path).st_uid, os.stat(path).st_gid) == (65534, 65534)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_saving_to_a_symlink_writes_its_target(tmp_path):
    links, targets = tmp_path / "links", tmp_path / "targets"
    links.mkdir()
    targets.mkdir()
    target = targets / "real.npy"
    target.write_bytes(OLD)
    target.chmod(0o644)
    (links / "second.npy").symlink_to(target)
    (links / "first.npy").symlink_to(links / "second.npy")  # a chain of two links
    save_npy(links / "first.npy", VALUES)
    assert (links / "first.npy").is_symlink() and (links / "second.npy").is_symlink()
    assert os.readlink(links / "first.npy") == str(links / "second.npy")
    assert np.array_equal(np.load(target), VALUES) and mode(target) == 0o644
    assert temporaries(links) == temporaries(targets) == []


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_a_dangling_symlink_creates_its_target(tmp_path):
    (tmp_path / "link.npy").symlink_to(tmp_path / "later.npy")
    save_npy(tmp_path / "link.npy", VALUES)
    assert (tmp_path / "link.npy").is_symlink()
    assert np.array_equal(np.load(tmp_path / "later.npy"), VALUES)


def test_the_window_exports_through_a_symlink_keeping_the_mode(qtbot, tmp_path):
    window = open_window(qtbot)
    target = tmp_path / "shared-output.npy"
    target.write_bytes(OLD)
    target.chmod(0o664)
    (tmp_path / "mine.npy").symlink_to(target)
    assert window.export_output_npy(tmp_path / "mine.npy")
    assert (tmp_path / "mine.npy").is_symlink() and mode(target) == 0o664
    assert np.array_equal(np.load(target), window.pipeline.shown.output(0))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_pipe_or_a_folder_is_never_replaced_by_a_file(tmp_path):
    fifo = tmp_path / "out.npy"
    os.mkfifo(fifo)
    with pytest.raises(SaveError, match="out.npy: it is not a regular file"):
        save_npy(fifo, VALUES)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    (tmp_path / "folder.npy").mkdir()
    with pytest.raises(SaveError, match="folder.npy: it is a folder"):
        save_npy(tmp_path / "folder.npy", VALUES)
    assert temporaries(tmp_path) == []


# -- temporary files -------------------------------------------------------------------------
@pytest.mark.parametrize("error", [ValueError("encoder failed"), KeyboardInterrupt()])
def test_a_caught_error_leaves_no_temporary_file(tmp_path, error):
    path = tmp_path / "out.npy"
    path.write_bytes(OLD)

    def half_then_fail(handle):
        handle.write(b"half of it")
        raise error

    with pytest.raises(type(error)):
        atomic_write(path, half_then_fail)
    assert path.read_bytes() == OLD and temporaries(tmp_path) == []


def age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def test_stale_temporaries_of_our_own_are_removed_and_nothing_else(tmp_path):
    stale = STALE_AFTER_S + 60
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.npy").write_bytes(OLD)
    files = {
        OURS: stale,  # a killed save of this file
        ".kernel.json.convscope-fedcba9876543210.tmp": stale,  # of another file, also ours
        ".out.npy.k2j3h4g5.tmp": stale,  # this file's, from an earlier ConvScope
        ".out.npy.convscope-00000000000000aa.tmp": 60,  # recent: maybe a save in progress
        ".other.npy.k2j3h4g5.tmp": stale,  # that form, for another name: not surely ours
        ".notes.txt.tmp": stale,
        "draft.convscope-0123456789abcdef.tmp": stale,  # not hidden: not our pattern
        ".out.npy.convscope-0123456789ABCDEF.tmp": stale,  # upper case: not ours
    }
    for name, seconds in files.items():
        (tmp_path / name).write_bytes(OLD)
        age(tmp_path / name, seconds)
    (tmp_path / ".x.convscope-1111111111111111.tmp").mkdir()  # a folder, never deleted
    age(tmp_path / ".x.convscope-1111111111111111.tmp", stale)
    link = tmp_path / ".y.convscope-2222222222222222.tmp"
    link.symlink_to(elsewhere / "keep.npy")  # a link, never followed or deleted
    age(link, stale)
    save_npy(tmp_path / "out.npy", VALUES)
    removed = {OURS, ".kernel.json.convscope-fedcba9876543210.tmp", ".out.npy.k2j3h4g5.tmp"}
    assert temporaries(tmp_path) == sorted(
        {*files, ".x.convscope-1111111111111111.tmp", link.name} - removed)
    assert (elsewhere / "keep.npy").read_bytes() == OLD


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root can make a file another user's")
def test_another_users_temporary_file_is_kept(tmp_path):
    (tmp_path / OURS).write_bytes(OLD)
    os.chown(tmp_path / OURS, 65534, 65534)
    age(tmp_path / OURS, STALE_AFTER_S + 60)
    save_npy(tmp_path / "out.npy", VALUES)
    assert (tmp_path / OURS).exists()


def test_a_killed_save_is_cleaned_up_by_a_later_one(tmp_path):
    target = tmp_path / "out.npy"
    script = (f"import sys, time\nsys.path.insert(0, {str(ROOT)!r})\n"
              f"from engine.storage.atomic import atomic_write\n"
              f"def write(handle):\n"
              f"    handle.write(b'x' * 100000)\n    handle.flush()\n"
              f"    print('writing', flush=True)\n    time.sleep(600)\n"
              f"atomic_write({str(target)!r}, write)\n")
    saver = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert saver.stdout.readline().strip() == "writing"
    finally:
        saver.kill()
        saver.wait(30)
        saver.stdout.close()
    left = temporaries(tmp_path)
    assert len(left) == 1 and left[0].startswith(".out.npy.convscope-")
    save_npy(target, VALUES)
    assert temporaries(tmp_path) == left  # a fresh one may belong to a save still running
    age(tmp_path / left[0], STALE_AFTER_S + 1)  # as if a quarter of an hour had passed
    save_npy(target, VALUES)
    assert temporaries(tmp_path) == [] and np.array_equal(np.load(target), VALUES)


def test_a_very_long_name_still_gets_a_temporary_file(tmp_path):
    path = tmp_path / ("n" * 250 + ".npy")  # 254 characters: allowed, but the temporary
    save_npy(path, VALUES)  # file's name would be longer than 255 if it repeated it whole
    assert np.array_equal(np.load(path), VALUES) and temporaries(tmp_path) == []


def test_save_npy_holds_no_second_copy(tmp_path):
    big = np.random.default_rng(0).random((1, 1500, 1500, 1), dtype=np.float32)  # 9 MB
    tracemalloc.start()
    try:
        save_npy(tmp_path / "big.npy", big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < big.nbytes / 10, peak  # before: the whole file twice (buffer and bytes)
    assert np.array_equal(np.load(tmp_path / "big.npy"), big)
