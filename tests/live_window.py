"""The real window with its real engine, for the robustness tests (pytest-qt, offscreen)."""

from __future__ import annotations

import numpy as np

from gui import MainWindow

ENGINE_TIMEOUT_MS = 60_000


def open_window(qtbot, image_path=None, seed: int = 3) -> MainWindow:
    """A shown MainWindow whose engine has produced its first output."""
    win = MainWindow(image_path, seed=seed)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.output_view.values is not None, timeout=ENGINE_TIMEOUT_MS)
    return win


def shown_output(win: MainWindow) -> np.ndarray | None:
    """The output array on screen (the output ImageItem holds the same array)."""
    return win.output_view.values


def find(win: MainWindow, cls, name: str):
    """A widget by its objectName, as accessibility tools and automation find it."""
    widget = win.findChild(cls, name)
    assert widget is not None, name
    return widget


def wait_for_output(qtbot, win: MainWindow, shape: tuple[int, int]) -> None:
    qtbot.waitUntil(lambda: shown_output(win) is not None and shown_output(win).shape == shape,
                    timeout=ENGINE_TIMEOUT_MS)


def set_kernel(win: MainWindow, rows) -> None:
    """Type every value of ``rows`` into the kernel table."""
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            edit_cell(win, r, c, str(value))


def edit_cell(win: MainWindow, row: int, col: int, text: str) -> None:
    """Type ``text`` into a kernel cell as a committed edit."""
    table = win.kernel_table
    table.model().setData(table.model().index(row, col), text)


def wait_for_images(qtbot, win: MainWindow) -> None:
    """Until the image the window was asked for (File > Open, drag and drop, the channel
    mode, an undo, the lesson) has been read off the GUI thread and applied, or refused."""
    qtbot.waitUntil(lambda: not win.images.busy, timeout=ENGINE_TIMEOUT_MS)
