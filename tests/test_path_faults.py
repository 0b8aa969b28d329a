"""Every OS error on an image's path is one plain message with the OS's own reason, never a
traceback: permission denied (checked as an unprivileged user), a folder without search
permission, a name over 255 characters, a loop of symlinks. From the loader, File > Open, drag
and drop, the command line that opens the window, and the ``convolve`` command."""

from __future__ import annotations

import contextlib
import errno
import io
import os

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog

from engine.commands import convolve as cli
from engine.images.loading import ImageLoadError, load_image
from tests.live_window import open_window, wait_for_images
from tests.unprivileged import as_unprivileged, open_folder, remove_folder

LONG_NAME = "x" * 300 + ".png"  # most file systems allow 255
TOO_LONG = os.strerror(errno.ENAMETOOLONG)
DENIED = os.strerror(errno.EACCES)


@pytest.fixture
def shared():
    folder = open_folder()
    yield folder
    remove_folder(folder)


def small_png(path):
    Image.fromarray(np.arange(36, dtype=np.uint8).reshape(6, 6)).save(path)
    return path


def load_message(path) -> str:
    """What loading ``path`` says: the refusal's text, or "loaded"."""
    try:
        load_image(path)
    except ImageLoadError as exc:
        return str(exc)
    return "loaded"


def convolve_command(path) -> tuple[int, str, str]:
    """``convolve PATH`` in this process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(path)])
    return code, out.getvalue(), err.getvalue()


def test_an_image_the_user_may_not_read(shared):
    small_png(shared / "readable.png")
    small_png(shared / "secret.png").chmod(0o000)
    assert as_unprivileged(load_message, shared / "readable.png") == "loaded"
    assert as_unprivileged(load_message, shared / "secret.png") == (
        f"secret.png cannot be opened: {DENIED}.")


def image_in_a_locked_folder(shared):
    """An image in a folder whose names can be listed but whose files cannot be reached."""
    locked = shared / "locked"
    locked.mkdir()
    small_png(locked / "inside.png")
    locked.chmod(0o644)  # read, but no search (x) permission
    return locked / "inside.png"


def test_an_image_in_a_folder_without_search_permission(shared):
    assert as_unprivileged(load_message, image_in_a_locked_folder(shared)) == (
        f"inside.png cannot be opened: {DENIED}.")


def test_convolve_command_on_an_image_it_cannot_reach(shared):
    code, out, err = as_unprivileged(convolve_command, image_in_a_locked_folder(shared))
    assert (code, out) == (1, "")
    assert err == f"error: inside.png cannot be opened: {DENIED}.\n"


def test_a_name_over_255_characters_is_named_short_with_the_reason(tmp_path):
    message = load_message(tmp_path / LONG_NAME)
    assert message.endswith(f"cannot be opened: {TOO_LONG}.")
    assert "(304 characters)" in message and len(message) < 140


def test_a_loop_of_symlinks(tmp_path):
    (tmp_path / "a.png").symlink_to(tmp_path / "b.png")
    (tmp_path / "b.png").symlink_to(tmp_path / "a.png")
    assert load_message(tmp_path / "a.png") == (
        f"a.png cannot be opened: {os.strerror(errno.ELOOP)}.")


def test_convolve_command_with_a_long_name_in_a_real_process(run_main, tmp_path):
    result = run_main("convolve", tmp_path / LONG_NAME)
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: xxxxxxxxxx"), result.stderr
    assert lines[0].endswith(f"(304 characters) cannot be opened: {TOO_LONG}.")


# -- the window ------------------------------------------------------------------------------
def assert_refused_and_kept(window, before) -> None:
    assert window.banner.isVisible() and TOO_LONG in window.banner.text()
    assert "(304 characters)" in window.banner.text()
    assert "The previous image stays." in window.banner.text()
    assert window.state.image is before


def test_file_open_with_an_over_long_name(qtbot, tmp_path, monkeypatch):
    window = open_window(qtbot)
    before = window.state.image
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *_args: (str(tmp_path / LONG_NAME), "")))
    open_action = next(a for a in window.menuBar().actions()[0].menu().actions()
                       if a.text().startswith("&Open image"))
    open_action.trigger()
    wait_for_images(qtbot, window)
    assert_refused_and_kept(window, before)


def test_dropping_a_file_with_an_over_long_name(qtbot, tmp_path):
    window = open_window(qtbot)
    before = window.state.image
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / LONG_NAME))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    wait_for_images(qtbot, window)
    assert_refused_and_kept(window, before)


def test_the_command_line_opens_the_window_with_the_reason(qtbot, tmp_path):
    """``python main.py PATH``: start_window is what run_app shows before its event loop."""
    from gui.app import start_window

    _app, window = start_window([str(tmp_path / LONG_NAME)])
    qtbot.addWidget(window)
    assert window.isVisible()
    wait_for_images(qtbot, window)  # the window shows at once; the file is read after
    assert window.banner.isVisible() and TOO_LONG in window.banner.text()
