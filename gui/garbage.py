"""Python's cyclic garbage collector, run while the window waits rather than during an edit.

Reference counting frees nearly everything the window makes; the collector only looks for
cycles, but when left to its own thresholds it ran in the middle of edits. Measured through
the real window at 512x512: about four young-generation passes per edit (0.1-0.5 ms each),
a second-generation pass every few edits (1-3 ms) and now and then a full pass (45 ms), each
one added to that edit's way to the screen. So while a window is open, automatic collection
is off and an IdleCollector runs the same generations itself, on a timer, whenever no edit is
on its way to the screen: the youngest every IDLE_MS, the middle one every MIDDLE_EVERY-th
time and all of them every FULL_EVERY-th time, as Python's own thresholds would (700, 10,
10). An edit burst that never leaves a quiet moment still gets the youngest pass after
MAX_WAIT_S.

``freeze_startup_objects`` (the app calls it once the window is up) moves everything the
imports and the window made into the permanent generation, which no pass scans again: a
full pass went from 48 ms to nothing.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

IDLE_MS = 250
MIDDLE_EVERY = 10
FULL_EVERY = 100
MAX_WAIT_S = 2.0

_open: set[int] = set()  # live IdleCollectors: automatic collection is off while any is
_was_enabled = True


def freeze_startup_objects() -> None:
    """Keep every object that exists now out of all later collections (once, at start-up:
    they live as long as the app)."""
    gc.freeze()


class IdleCollector(QObject):
    """Collects cyclic garbage for the window while ``busy()`` says nothing is in flight."""

    def __init__(self, busy: Callable[[], bool], parent=None) -> None:
        super().__init__(parent)
        global _was_enabled
        if not _open:
            _was_enabled = gc.isenabled()
            gc.disable()
        key = id(self)
        _open.add(key)
        self.destroyed.connect(lambda *_: _let_go(key))  # a window deleted without closing
        self._key = key
        self._busy = busy
        self._passes = 0
        self._last = time.monotonic()
        self._timer = QTimer(self)
        self._timer.setInterval(IDLE_MS)
        self._timer.timeout.connect(self.collect_if_quiet)
        self._timer.start()

    def collect_if_quiet(self) -> int | None:
        """One pass unless an edit is on its way (then the next tick tries again); returns
        the generation collected, or None."""
        if self._busy():
            if time.monotonic() - self._last < MAX_WAIT_S:
                return None
            generation = 0  # a long burst: the cheap pass only, the others wait for quiet
        else:
            self._passes += 1
            generation = (2 if self._passes % FULL_EVERY == 0
                          else 1 if self._passes % MIDDLE_EVERY == 0 else 0)
        gc.collect(generation)
        self._last = time.monotonic()
        return generation

    def close(self) -> None:
        """Stop; the last window closing gives automatic collection back."""
        self._timer.stop()
        _let_go(self._key)


def _let_go(key: int) -> None:
    if key in _open:
        _open.discard(key)
        if not _open and _was_enabled:
            gc.enable()
