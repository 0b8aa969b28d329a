"""The single source of truth the panels edit and the pipeline reads.

Widgets never talk to each other or to the engine: they change the state, and the state says
what changed. Panels update themselves from these signals inside ``signals_blocked`` so an
update never echoes back as an edit.
"""

from __future__ import annotations

import contextlib

import numpy as np
from PySide6.QtCore import QObject, Signal

from engine.images.loading import LoadedImage
from engine.model.spec import ConvSpec


class AppState(QObject):
    imageChanged = Signal(object)  # LoadedImage
    specChanged = Signal(object)  # ConvSpec
    colorChanged = Signal(str)  # "gray" or "rgb"
    displayMappingChanged = Signal(str)  # one of engine.images.display.MAPPINGS

    def __init__(self, spec: ConvSpec, image: LoadedImage | None = None, parent=None) -> None:
        super().__init__(parent)
        self._spec = spec
        self._image = image
        self.color = "gray" if spec.channels == 1 else "rgb"
        self.image_path: str | None = None  # the file the image came from, for reloading
        self.display_mapping = "auto"

    @property
    def spec(self) -> ConvSpec:
        return self._spec

    @property
    def image(self) -> LoadedImage | None:
        return self._image

    def set_image(self, image: LoadedImage) -> None:
        self._image = image
        self.imageChanged.emit(image)

    def set_spec(self, spec: ConvSpec) -> None:
        if spec == self._spec:
            return
        self._spec = spec
        self.specChanged.emit(spec)

    def update_spec(self, **changes) -> None:
        self.set_spec(self._spec.with_changes(**changes))

    def set_kernel_entry(self, row: int, col: int, value: float,
                         channel: int | None = None) -> None:
        """One weight; ``channel`` None sets it on every channel (one shared kernel)."""
        kernel = np.array(self._spec.kernel)
        if kernel.ndim == 2 or channel is None:
            kernel[row, col] = value
        else:
            kernel[row, col, channel] = value
        self.update_spec(kernel=kernel)

    def set_color_image(self, color: str, image: LoadedImage, spec: ConvSpec) -> None:
        """Switch the channel mode in one step: image and kernel change together, so no
        listener ever sees a 3-channel kernel with a 1-channel image."""
        self.color, self._image, self._spec = color, image, spec
        self.colorChanged.emit(color)
        self.imageChanged.emit(image)
        self.specChanged.emit(spec)

    def geometry(self) -> tuple:
        """What the shapes depend on: the image and the layer settings, not the weights. Panels
        that only explain shapes skip a weight edit (the common edit) by comparing this. (A
        LoadedImage compares by identity; a panel keeps only the current one.)"""
        return self._image, self._spec.layer_config()

    def set_display_mapping(self, mode: str) -> None:
        if mode != self.display_mapping:
            self.display_mapping = mode
            self.displayMappingChanged.emit(mode)


@contextlib.contextmanager
def signals_blocked(*widgets):
    """Update widgets from the state without their change signals firing."""
    previous = [w.blockSignals(True) for w in widgets]
    try:
        yield
    finally:
        for widget, was in zip(widgets, previous):
            widget.blockSignals(was)
