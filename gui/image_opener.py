"""What the window asks of an image file, and what it does once the image has been read.

File > Open, drag and drop, the samples, the command line, the channel-mode switch (and its
undo), a kernel file that needs the other mode and the lesson each describe the image they
want as an ImageTarget. The ImageLoader reads it off the GUI thread; only when it has arrived
does the state change, in one step, on the GUI thread. Until then the previous image stays
and the status bar says what is happening.

The newest request wins and builds on the one it replaces: switching to RGB while a photo is
still opening opens that photo as RGB. A request that brings its own model (an undo, a kernel
file, a lesson step) gives it up when the model is edited before the image arrives, so the
newest edit is never overwritten: the edited model is adapted to the image's mode instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, Signal

from engine.images.loading import LoadedImage
from engine.images.resize import fit_to_input
from engine.model.network import ModelSpec
from gui.color_mode import with_input_channels
from gui.image_loader import ImageLoader
from gui.state import AppState

STAGES = {"reading": "reading the file", "decoding": "decoding",
          "converting": "converting to float32", "range": "measuring its values"}
MODE_NAMES = {"gray": "grayscale", "rgb": "RGB"}


@dataclass
class ImageTarget:
    """The image the window is to show: ``path`` read as ``color``, with ``model`` (None: the
    model in force when it arrives, adapted to its channels). ``then`` callbacks hear whether
    it was applied; ``image`` is set when it was."""

    path: str | None
    color: str
    model: ModelSpec | None = None
    new_file: bool = False  # a file opened (title, "Opened ..."), not the current one reloaded
    selected_layer: int | None = None  # the layer to select with ``model`` (None: as it is)
    then: list[Callable[[bool], None]] = field(default_factory=list)
    applied: bool = False
    image: LoadedImage | None = None
    error: str = ""  # why it could not be read, when it could not


class ImageOpener(QObject):
    progressChanged = Signal(str, object)  # what is happening and the fraction done; "" idle
    opened = Signal(object)  # the LoadedImage of a newly opened file, now in the state
    openFailed = Signal(str)  # the name of a file that would not open
    idle = Signal()  # the newest request is done (applied or not)

    def __init__(self, state: AppState, notice: Callable[[str], None],
                 clear_problem: Callable[[], None], parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.notice = notice  # a one-line refusal in the banner
        self.clear_problem = clear_problem
        self.loader = ImageLoader(self)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        self.loader.progressed.connect(self._on_progressed)
        self._target: ImageTarget | None = None
        self._request_id = 0
        self._last: ImageTarget | None = None
        self._closed = False
        state.modelChanged.connect(self._on_model_changed)

    @property
    def busy(self) -> bool:
        return self._target is not None

    # -- requests (all return at once) ------------------------------------------------------
    def open(self, path: str | Path, then: Callable[[bool], None] | None = None,
             color: str | None = None, model: ModelSpec | None = None) -> None:
        """A new file, in the channel mode in force (or asked for), or as ``color`` with
        ``model`` (a session)."""
        base = self._base()
        self._request(replace(base, path=str(path), new_file=True, color=color or base.color,
                              model=base.model if model is None else model), then)

    def reload(self, color: str, model: ModelSpec | None = None,
               then: Callable[[bool], None] | None = None) -> None:
        """The current (or coming) file again, as ``color``, with ``model``."""
        self._request(replace(self._base(), color=color, model=model), then)

    def open_lesson(self, path: str | Path, model: ModelSpec, selected_layer: int) -> None:
        """The lesson's photo, one channel, with the step's layers, in one step."""
        self._request(replace(self._base(), path=str(path), color="gray", model=model,
                              new_file=True, selected_layer=selected_layer), None)

    @property
    def last(self) -> ImageTarget | None:
        """The target that finished last (its ``then`` callbacks may read it)."""
        return self._last

    def target_path(self) -> str | None:
        """The file the window shows, or is opening."""
        return self._base().path

    def wait(self) -> ImageTarget | None:
        """Run the event loop (the window stays live) until the newest request is done; the
        target that finished last, or None when nothing was ever asked."""
        if self._target is not None:
            loop = QEventLoop()
            self.idle.connect(loop.quit)
            try:
                while self._target is not None:
                    loop.exec()
            finally:
                self.idle.disconnect(loop.quit)
        return self._last

    def close(self) -> None:
        """The window closes: the load in progress is abandoned (its thread ends by itself)."""
        if self._closed:
            return
        self._closed = True
        self.loader.close()
        target, self._target = self._target, None
        if target is not None:
            self._finish(target)

    def _base(self) -> ImageTarget:
        if self._target is not None:
            return self._target
        return ImageTarget(self.state.image_path, self.state.color)

    def _request(self, target: ImageTarget, then: Callable[[bool], None] | None) -> None:
        if self._closed:
            return
        if then is not None:
            target.then = [*target.then, then]
        self._target = target
        self._request_id = self.loader.request(target.path, target.color, self.state.fixed_hw)
        self.progressChanged.emit(self._describe(target, "reading"), None)

    def _describe(self, target: ImageTarget, stage: str) -> str:
        name = Path(target.path).name
        if target.new_file:
            return f"Opening {name}: {STAGES.get(stage, stage)}..."
        return f"Reloading {name} as {MODE_NAMES[target.color]}: {STAGES.get(stage, stage)}..."

    # -- answers (GUI thread) ---------------------------------------------------------------
    def _on_progressed(self, request_id: int, stage: str, fraction) -> None:
        if self._target is not None and request_id == self._request_id:
            self.progressChanged.emit(self._describe(self._target, stage), fraction)

    def _on_model_changed(self, *_changed) -> None:
        if self._target is not None:
            self._target.model = None  # an edit is newer than the model the request brought
            self._target.selected_layer = None

    def _take(self, request_id: int) -> ImageTarget | None:
        """The target an answer is for, no longer pending; None for an overtaken answer."""
        if self._target is None or request_id != self._request_id:
            return None
        target, self._target = self._target, None
        return target

    def _on_loaded(self, request_id: int, image: LoadedImage) -> None:
        target = self._take(request_id)
        if target is None:
            return
        state = self.state
        if target.new_file:
            self.clear_problem()  # an earlier refusal no longer applies
            state.image_path = os.path.realpath(target.path)
        image = fit_to_input(image, state.fixed_hw)  # done on the loader's thread, unless a
        # model with another fixed size was opened meanwhile
        model = state.model if target.model is None else target.model
        model = with_input_channels(model, image.channels)  # the same when they match
        if target.model is None and target.color == state.color:
            state.set_image(image)  # (which may raise a new problem for this image)
        else:
            state.set_color_image(target.color, image, model, target.selected_layer)
        target.applied, target.image = True, image
        if target.new_file:
            self.opened.emit(image)
        self._finish(target)

    def _on_failed(self, request_id: int, message: str) -> None:
        target = self._take(request_id)
        if target is None:
            return
        target.error = message
        state = self.state
        if target.new_file:
            keep = " The previous image stays." if state.image is not None else ""
            self.notice(f"{message}{keep}")
            self.openFailed.emit(Path(target.path).name)
        else:
            self.notice(f"Could not reload the image as {target.color}: {message}")
        if not target.new_file or target.color != state.color:
            state.colorChanged.emit(state.color)  # the controls show the mode still in force
        self._finish(target)

    def _finish(self, target: ImageTarget) -> None:
        self._last = target
        self.progressChanged.emit("", None)
        for then in target.then:
            then(target.applied)
        self.idle.emit()
