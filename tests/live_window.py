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
    return win.output_view.values


def wait_for_output_shape(qtbot, win: MainWindow, hw: tuple[int, int]) -> None:
    qtbot.waitUntil(lambda: shown_output(win) is not None and shown_output(win).shape == hw,
                    timeout=ENGINE_TIMEOUT_MS)


def edit_cell(win: MainWindow, row: int, col: int, text: str) -> None:
    """Type ``text`` into a kernel cell as a committed edit."""
    table = win.kernel_table
    table.model().setData(table.model().index(row, col), text)
