"""What the app makes at start-up stays out of later garbage collections (gui/app.py)."""

from __future__ import annotations

import gc

from gui.app import start_window


def test_the_started_window_keeps_its_startup_objects_out_of_later_collections(qtbot):
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    _app, window = start_window([])
    qtbot.addWidget(window)
    assert gc.get_freeze_count() > 20_000  # the imports and the window: ~80,000 here
