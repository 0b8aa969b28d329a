"""The real window with its real engine, for the robustness tests (pytest-qt, offscreen).

Starting an engine process means importing TensorFlow (seconds, on a shared 2-core machine),
and most window tests only need an engine to be there. So the windows these helpers open
share one real engine process, started once (``SHARED_ENGINE``), the next window taking it
over when the last one closed. A window opened while another still holds it, and every
window made elsewhere (tests/test_engine_process.py kills and stops its engines), gets an
engine process of its own, as in the app.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np
from PySide6.QtCore import QPointF, QRectF

from engine.backend.process import EngineProcess
from gui import MainWindow
from gui.worker import EngineWorker

ENGINE_TIMEOUT_MS = 60_000


class SharedEngine:
    """One started engine process, lent to one window's worker at a time."""

    def __init__(self) -> None:
        self.engine: EngineProcess | None = None
        self.starts = 0  # engine processes started for the shared engine
        self.lent = 0  # windows that used it
        self._lock = threading.Lock()
        self._in_use = False

    def start(self) -> None:
        """Make sure a started engine is ready to lend (main thread: TensorFlow's import
        happens here once, not in a window's first seconds)."""
        with self._lock:
            if self.engine is None:
                self.engine = EngineProcess(start=False)
                self.starts += 1
            engine = self.engine
        if not engine.ready:
            engine.start()

    def lend(self):
        """What a worker gets (on its thread): the shared engine if it is free, else an
        engine process of its own."""
        with self._lock:
            if self._in_use or self.engine is None:
                return EngineProcess(start=False)
            self._in_use = True
            self.lent += 1
            return EngineLoan(self, self.engine)

    def give_back(self, aborted: bool) -> None:
        with self._lock:
            self._in_use = False
            if aborted:  # killed on purpose (a window closed while it hung): start anew
                self.engine = None

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close()
            self.engine = None


class EngineLoan:
    """The shared engine as one worker sees it (a ModelEngine): the worker's close() gives it
    back; abort() (a window closing on a hung engine) retires it for good."""

    def __init__(self, owner: SharedEngine, engine: EngineProcess) -> None:
        self._owner, self._engine = owner, engine
        self._aborted = False
        self._returned = False

    def start(self) -> None:
        if not self._engine.ready:  # it crashed or was interrupted since: a new process
            self._engine.start()

    def run(self, image, model, focus=None):
        return self._engine.run(image, model, focus)

    def summary(self):
        return self._engine.summary()

    def idle(self) -> None:
        self._engine.idle()

    def interrupt(self) -> None:
        self._engine.interrupt()

    def train(self, image, request) -> None:
        self._engine.train(image, request)

    def training_reports(self) -> list:
        return self._engine.training_reports()

    def abort(self) -> None:
        self._aborted = True
        self._engine.abort()

    def close(self) -> None:
        if not self._returned:
            self._returned = True
            self._engine.on_silence = None
            if self._aborted:
                self._engine.close()
            self._owner.give_back(self._aborted)

    @property
    def ready(self) -> bool:
        return self._engine.ready

    @property
    def pid(self) -> int | None:
        return self._engine.pid

    @property
    def starting(self) -> bool:
        return self._engine.starting

    @property
    def import_seconds(self) -> float | None:
        return self._engine.import_seconds

    @property
    def on_silence(self):
        return self._engine.on_silence

    @on_silence.setter
    def on_silence(self, callback) -> None:
        self._engine.on_silence = callback


SHARED_ENGINE = SharedEngine()


@contextlib.contextmanager
def shared_engine():
    """Windows made inside this block use SHARED_ENGINE when it is free."""
    SHARED_ENGINE.start()
    default = EngineWorker.engine_factory
    EngineWorker.engine_factory = SHARED_ENGINE.lend
    try:
        yield SHARED_ENGINE
    finally:
        EngineWorker.engine_factory = default


def make_window(qtbot, *args, **kwargs) -> MainWindow:
    """A MainWindow on the shared engine, closed (and its engine given back) after the test."""
    with shared_engine():
        win = MainWindow(*args, **kwargs)
    qtbot.addWidget(win)
    return win


def open_window(qtbot, image_path=None, seed: int = 3) -> MainWindow:
    """A shown MainWindow whose engine has produced its first output."""
    win = make_window(qtbot, image_path, seed=seed)
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


@contextlib.contextmanager
def requests_sent(win: MainWindow):
    """Every request the window's pipeline hands its worker inside the block (the real
    worker still gets each one). Sending is synchronous with the state change, so "none
    sent" is known at once, without waiting to see whether a result comes."""
    sent = []
    worker = win.pipeline.worker
    submit = worker.submit

    def record(request) -> None:
        sent.append(request)
        submit(request)
    worker.submit = record
    try:
        yield sent
    finally:
        del worker.submit


def viewport_pos(panel, row, col):
    """Where the centre of pixel (row, col) is, in the plot's viewport coordinates, after
    zooming in so one pixel spans many screen pixels."""
    panel.view_box.setRange(QRectF(col - 5, row - 5, 11, 11), padding=0)
    scene = panel.view_box.mapViewToScene(QPointF(col + 0.5, row + 0.5))
    return panel.plot.mapFromScene(scene)


def set_kernel(win: MainWindow, rows) -> None:
    """Type every value of ``rows`` into the kernel table."""
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            edit_cell(win, r, c, str(value))


def edit_cell(win: MainWindow, row: int, col: int, text: str) -> None:
    """Type ``text`` into a kernel cell as a committed edit."""
    table = win.kernel_table
    table.model().setData(table.model().index(row, col), text)


def caught_up(win: MainWindow) -> bool:
    """The result on screen is the one for the newest request."""
    shown = win.pipeline.shown
    return shown is not None and shown.request_id == win.pipeline.latest_request_id


def wait_until_caught_up(qtbot, win: MainWindow) -> None:
    """Until the newest request is on screen, or the engine said it could not compute it."""
    qtbot.waitUntil(lambda: caught_up(win) or "could not compute" in win.banner.problem,
                    timeout=ENGINE_TIMEOUT_MS)
def wait_for_images(qtbot, win: MainWindow) -> None:
    """Until the image the window was asked for (File > Open, drag and drop, the channel
    mode, an undo, the lesson) has been read off the GUI thread and applied, or refused."""
    qtbot.waitUntil(lambda: not win.images.busy, timeout=ENGINE_TIMEOUT_MS)
