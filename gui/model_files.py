"""File > Open Keras model and File > Save as Keras model: each takes a path.

Keras reads and writes the file in a short-lived helper process (engine/backend/helper.py):
the window never imports TensorFlow. While the helper works (a few seconds, mostly
TensorFlow's import), a local event loop keeps the window painting. Opening switches the
colour mode to the model's input channels and resizes the image to a fixed input size, in
one undoable step; every failure is one line in the banner and changes nothing. The image is
read again (for the other colour mode) and resized on a thread of its own, the event loop
running meanwhile: a 12-megapixel photo takes a few hundred milliseconds to decode.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from engine.backend.helper import HelperCall, run_helper
from engine.images.loading import ImageLoadError, LoadedImage
from engine.images.resize import fit_to_input
from engine.model.loaded import LoadedModel, ModelFileError
from engine.storage.atomic import SaveError
from gui.image_loader import read_image
from gui.state import AppState

MODEL_FILTER = "Keras model (*.keras *.h5 *.hdf5);;All files (*)"
POLL_MS = 20


def wait_in_event_loop(call: HelperCall) -> None:
    """Keep the window responsive until the helper process has answered."""
    _spin_until(call.done)


def run_in_event_loop(work: Callable[[], object]):
    """``work()`` on a thread of its own (it touches no Qt object), the window responsive
    until it returns; its result, or its exception raised here."""
    box: dict = {}

    def run() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:  # raised again on the GUI thread
            box["error"] = exc

    thread = threading.Thread(target=run, name="modelImage", daemon=True)
    thread.start()
    _spin_until(lambda: not thread.is_alive())
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]


def _spin_until(done: Callable[[], bool]) -> None:
    if done():
        return
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(POLL_MS)
    timer.timeout.connect(lambda: done() and loop.quit())
    timer.start()
    loop.exec()
    timer.stop()


class ModelFiles:
    def __init__(self, state: AppState, report: Callable[[str, bool], None],
                 status: Callable[[str], None]) -> None:
        self.state = state
        self.report = report  # (message, is_problem)
        self.status = status  # a passing note (the status bar)
        self.busy = False

    def _run(self, job: str, *args):
        return self._while_busy(lambda: run_helper(job, *args, wait=wait_in_event_loop))

    def _while_busy(self, work: Callable[[], object]):
        """``work()`` with the busy cursor, refusing other model-file requests meanwhile."""
        self.busy = True
        QApplication.setOverrideCursor(QCursor(Qt.CursorShape.BusyCursor))
        try:
            return work()
        finally:
            QApplication.restoreOverrideCursor()
            self.busy = False

    def open_model(self, path: str | Path) -> bool:
        """Open a .keras (or .h5) file as the stack; False, with the reason, on failure."""
        if self.busy:
            self.report("A model file is already being read or written; wait for it.", True)
            return False
        state, name = self.state, Path(path).name
        self.status(f"Opening {name}: Keras reads it in a helper process...")
        try:
            loaded: LoadedModel = self._run("load", str(path),
                                            state.image.hw if state.image else None)
        except ModelFileError as exc:
            self.report(f"Model not opened, nothing changed: {exc}", True)
            return False
        channels = loaded.channels or state.image_channels
        if channels not in (1, 3):
            self.report(f"Model not opened, nothing changed: {name} expects {channels} input "
                        f"channels; ConvScope feeds an image as 1 (grayscale) or 3 (RGB).", True)
            return False
        color = "gray" if channels == 1 else "rgb"
        try:
            source, shown = self._image_source(color), state.image
            if isinstance(source, str):
                self.status(f"Opening {name}: reading {Path(source).name} again in {color} "
                            f"mode...")
            image, resized = self._while_busy(lambda: run_in_event_loop(
                lambda: _image_for_model(source, color, loaded.fixed_hw)))
            if state.image is not shown:  # another image opened meanwhile: it stays
                raise ValueError("another image was opened while the model was being "
                                 "opened; open the model again.")
        except (ImageLoadError, ValueError) as exc:
            self.report(f"Model not opened, nothing changed: {exc}", True)
            return False
        except MemoryError:  # resizing the image shown
            self.report("Model not opened, nothing changed: the image does not fit in this "
                        "computer's memory at the model's input size.", True)
            return False
        state.set_model_file(loaded)
        state.set_color_image(color, image, loaded.model, selected_layer=0)
        self.report(" ".join((*loaded.notes, *resized)), False)
        return True

    def _image_source(self, color: str) -> LoadedImage | str:
        """The current image as it can feed the model in ``color`` mode, at its own size:
        the image shown, or its file, to be read again when the mode changes or an earlier
        model had resized it."""
        state = self.state
        if state.image is None:
            raise ValueError("there is no image to run it on yet.")
        if color == state.color and state.fixed_hw is None:
            return state.image
        if state.image_path is None:
            if color == state.color:
                return state.image
            raise ValueError(f"the model needs the image in {color} mode, and this image was "
                             f"not opened from a file, so it cannot be reloaded.")
        return state.image_path

    def save_model(self, path: str | Path) -> bool:
        """Write the stack with its weights as a .keras file plain Keras loads."""
        if self.busy:
            self.report("A model file is already being read or written; wait for it.", True)
            return False
        state = self.state
        height, width = state.fixed_hw or (None, None)
        self.status(f"Saving {Path(path).name}: Keras writes it in a helper process...")
        try:
            self._run("save", str(path), state.model, (height, width, state.image_channels))
        except SaveError as exc:
            self.report(f"Model not saved: {exc}", True)
            return False
        left_out = state.model_file.not_run if state.model_file else ()
        note = (f" The {len(left_out)} greyed layers of {state.model_file.source} are not in "
                f"it." if left_out else "")
        self.report(f"Saved the {len(state.model)} layers to {Path(path).name}.{note}", False)
        return True

    # -- the thin menu handlers -----------------------------------------------------------
    def ask_open(self, parent: QWidget) -> None:
        path, _ = QFileDialog.getOpenFileName(parent, "Open Keras model", "", MODEL_FILTER)
        if path:
            self.open_model(path)

    def ask_save(self, parent: QWidget) -> None:
        path, _ = QFileDialog.getSaveFileName(parent, "Save as Keras model", "model.keras",
                                              "Keras model (*.keras)")
        if path:
            self.save_model(path)


def _image_for_model(source: LoadedImage | str, color: str, fixed_hw: tuple[int, int] | None
                     ) -> tuple[LoadedImage, tuple[str, ...]]:
    """Off the GUI thread: the image (read from ``source`` when it is a path, as File > Open
    reads it) resized to the model's fixed input size, with the note saying so when it was."""
    original = source
    if isinstance(source, str):
        original, reason = read_image(source, color)
        if original is None:
            raise ImageLoadError(reason)
    image = fit_to_input(original, fixed_hw)
    image.value_range  # noqa: B018 (computed here, not on the GUI thread)
    return image, (image.notes[-1:] if image is not original else ())
