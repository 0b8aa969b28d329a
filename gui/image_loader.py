"""Reading image files off the GUI thread: one load at a time, the newest request wins.

A 120-megapixel photo takes seconds to decode and turn into float32; on the GUI thread that
froze the window for as long. Here engine.images.loading.load_image runs on a thread of its
own and its result comes back as a queued signal, so the state still changes only on the
GUI thread. A newer request cancels the load in progress at its next progress report (every
few megabytes: load_image reports as it reads and converts, and the report is where the
cancel is raised), and a result that was overtaken all the same is dropped.

The thread is a daemon Python thread that owns no Qt object. Closing the window during a
decode therefore waits for nothing (Pillow cannot be interrupted inside one call) and leaves
no running QThread for Qt to destroy. Its signals travel through one bridge object per
process that is never deleted, so no signal is ever emitted on an object Qt has freed.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from engine.images.loading import ImageLoadError, LoadCancelled, LoadedImage, load_image
from engine.images.resize import fit_to_input
from engine.storage.paths import shown_name

#: Progress is passed on at most this often (seconds), and at every new stage.
PROGRESS_INTERVAL_S = 0.05


class _Bridge(QObject):
    """Carries every loader thread's news to the GUI thread (see the module docstring)."""

    progressed = Signal(int, int, str, object)  # loader, request, stage, fraction or None
    finished = Signal(int, int, object, str)  # loader, request, LoadedImage or None, message


_bridge: _Bridge | None = None
_loader_keys = itertools.count(1)


def _shared_bridge() -> _Bridge:
    """Created on first use, from the GUI thread (a loader is made there), so it lives there."""
    global _bridge
    if _bridge is None:
        _bridge = _Bridge()
    return _bridge


@dataclass
class _Task:
    request_id: int
    path: str
    color: str
    fit_hw: tuple[int, int] | None = None  # an opened model's fixed input size
    cancelled: threading.Event = field(default_factory=threading.Event)


def read_image(path: str, color: str, fit_hw: tuple[int, int] | None = None,
               progress=None) -> tuple[LoadedImage | None, str]:
    """Off the GUI thread: ``path`` read as ``color``, resized to ``fit_hw`` when given, its
    value range measured; and "", or None and the one-line reason why not (None and "" when
    ``progress`` cancelled it). Never raises: whoever waits must hear back."""
    try:
        image = fit_to_input(load_image(path, color, progress=progress), fit_hw)
        if progress is not None:
            progress("range", None)
        image.value_range  # noqa: B018 (computed here, not on the GUI thread)
        return image, ""
    except LoadCancelled:
        return None, ""
    except ImageLoadError as exc:
        return None, str(exc)
    except MemoryError:
        return None, (f"{shown_name(Path(path))} is too large for this computer's memory: "
                      f"close other programs or use a smaller image.")
    except Exception as exc:
        return None, f"{shown_name(Path(path))} could not be opened ({type(exc).__name__}: {exc})."


class ImageLoader(QObject):
    """``request(path, color)`` loads on the loader's thread; ``loaded`` or ``failed`` follows
    on the GUI thread for the newest request only."""

    progressed = Signal(int, str, object)  # request id, stage, fraction (0..1) or None
    loaded = Signal(int, object)  # request id, LoadedImage
    failed = Signal(int, str)  # request id, the one-line reason

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._key = next(_loader_keys)
        self._ids = itertools.count(1)
        self._condition = threading.Condition()
        self._pending: _Task | None = None
        self._running: _Task | None = None
        self._closed = False
        self._thread: threading.Thread | None = None
        self.latest_id = 0  # results of any other request are stale
        self._bridge = _shared_bridge()
        self._bridge.progressed.connect(self._on_progressed)
        self._bridge.finished.connect(self._on_finished)

    @property
    def thread(self) -> threading.Thread | None:
        """The loader's thread, once started; it ends soon after ``close``."""
        return self._thread

    def request(self, path: str | Path, color: str,
                fit_hw: tuple[int, int] | None = None) -> int:
        """Load ``path`` as ``color`` (resized to ``fit_hw`` when given), superseding any
        request not yet answered."""
        with self._condition:
            if self._closed:
                return 0
            self.latest_id = next(self._ids)
            if self._running is not None:
                self._running.cancelled.set()
            self._pending = _Task(self.latest_id, str(path), color, fit_hw)
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="imageLoader",
                                                daemon=True)
                self._thread.start()
            self._condition.notify()
            return self.latest_id

    def cancel(self) -> None:
        """Forget every request: the one loading stops at its next step, none is answered."""
        with self._condition:
            self.latest_id = next(self._ids)
            self._pending = None
            if self._running is not None:
                self._running.cancelled.set()

    def close(self) -> None:
        """Cancel and let the thread end on its own; nothing here waits for it."""
        self.cancel()
        with self._condition:
            self._closed = True
            self._condition.notify()
        for signal, slot in ((self._bridge.progressed, self._on_progressed),
                             (self._bridge.finished, self._on_finished)):
            with contextlib.suppress(RuntimeError, TypeError):  # gone with the application
                signal.disconnect(slot)

    # -- the loader thread ------------------------------------------------------------------
    def _serve(self) -> None:
        while True:
            with self._condition:
                while self._pending is None and not self._closed:
                    self._condition.wait()
                if self._closed:
                    return
                task, self._pending = self._pending, None
                self._running = task
            image, message = self._load(task)
            with self._condition:
                self._running = None
            if not task.cancelled.is_set():
                self._bridge.finished.emit(self._key, task.request_id, image, message)

    def _load(self, task: _Task) -> tuple[LoadedImage | None, str]:
        """The image and "", or None and why not (None and "" when cancelled)."""
        last = {"stage": "", "at": 0.0}

        def report(stage: str, fraction: float | None) -> None:
            if task.cancelled.is_set():
                raise LoadCancelled
            now = time.monotonic()
            if stage != last["stage"] or now - last["at"] >= PROGRESS_INTERVAL_S:
                last["stage"], last["at"] = stage, now
                self._bridge.progressed.emit(self._key, task.request_id, stage, fraction)

        return read_image(task.path, task.color, task.fit_hw, report)

    # -- back on the GUI thread -------------------------------------------------------------
    @Slot(int, int, str, object)
    def _on_progressed(self, key: int, request_id: int, stage: str, fraction) -> None:
        if key == self._key and request_id == self.latest_id:
            self.progressed.emit(request_id, stage, fraction)

    @Slot(int, int, object, str)
    def _on_finished(self, key: int, request_id: int, image, message: str) -> None:
        if key != self._key or request_id != self.latest_id:
            return  # another window's, or overtaken by a newer request
        if image is None:
            self.failed.emit(request_id, message)
        else:
            self.loaded.emit(request_id, image)
