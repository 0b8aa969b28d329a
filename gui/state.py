"""The single source of truth the panels edit and the pipeline reads.

Widgets never talk to each other or to the engine: they change the state, and the state says
what changed. Panels update themselves from these signals inside ``signals_blocked`` so an
update never echoes back as an edit. Everything a panel shows that is not an output lives
here: the model (every layer's settings and weights), the image, which layer and filter are
on screen, the channel mode, the seed of the random preset and the display choices.
"""

from __future__ import annotations

import contextlib

import numpy as np
from PySide6.QtCore import QObject, Signal

from engine.images.loading import LoadedImage
from engine.kernels.edits import channels_identical, with_filter, with_filter_count, with_weight
from engine.kernels.presets import random_kernel
from engine.model.conv import ConvSpec
from engine.model.network import ModelSpec


class AppState(QObject):
    imageChanged = Signal(object)  # LoadedImage
    modelChanged = Signal(object)  # ModelSpec: any layer's settings or weights changed
    specChanged = Signal(object)  # the selected layer's spec (the panels that edit one layer)
    colorChanged = Signal(str)  # "gray" or "rgb"
    displayMappingChanged = Signal(str)  # one of engine.images.display.MAPPINGS
    selectionChanged = Signal(int, int)  # (layer, filter) on screen and in the kernel editor
    sameKernelChanged = Signal(bool)  # one table edits every input channel of a filter
    sharedScaleChanged = Signal(bool)  # one colour scale for every feature map
    seedChanged = Signal(int)  # the random preset's seed (the seed box)

    def __init__(self, model: ModelSpec, image: LoadedImage | None = None, seed: int = 0,
                 parent=None) -> None:
        super().__init__(parent)
        self._model = model
        self._image = image
        self.selected_layer = 0
        self.selected_filter = 0
        self.color = "gray" if model.layers[0].channels == 1 else "rgb"
        self.image_path: str | None = None  # the file the image came from, for reloading
        self.display_mapping = "auto"
        self.seed = int(seed)
        self.same_kernel = channels_identical(self.spec.kernel)
        self.shared_scale = False

    # -- reading ---------------------------------------------------------------------------
    @property
    def model(self) -> ModelSpec:
        return self._model

    @property
    def spec(self) -> ConvSpec:
        """The selected layer's spec."""
        return self._model.layers[self.selected_layer]

    @property
    def image(self) -> LoadedImage | None:
        return self._image

    def geometry(self) -> tuple:
        """What the shapes depend on: the image and the layer settings, not the weights. Panels
        that only explain shapes skip a weight edit (the common edit) by comparing this. (A
        LoadedImage compares by identity; a panel keeps only the current one.)"""
        return self._image, self._model.layer_config(), self.selected_layer

    # -- the image and the model -------------------------------------------------------------
    def set_image(self, image: LoadedImage) -> None:
        self._image = image
        self.imageChanged.emit(image)

    def set_model(self, model: ModelSpec, selected_layer: int | None = None) -> None:
        """Replace the whole network (a loaded file, undo, the lesson)."""
        layer = self.selected_layer if selected_layer is None else selected_layer
        layer = min(max(layer, 0), len(model) - 1)
        if model == self._model and layer == self.selected_layer:
            return
        self._model, self.selected_layer = model, layer
        self._after_model_change()

    def set_spec(self, spec: ConvSpec) -> None:
        """Replace the selected layer's spec."""
        if spec == self.spec:
            return
        self._model = self._model.with_layer(self.selected_layer, spec)
        self._after_model_change()

    def update_spec(self, **changes) -> None:
        self.set_spec(self.spec.with_changes(**changes))

    def set_color_image(self, color: str, image: LoadedImage, model: ModelSpec) -> None:
        """Switch the channel mode in one step: image and kernel change together, so no
        listener ever sees a 3-channel kernel with a 1-channel image."""
        self.color, self._image, self._model = color, image, model
        self.selected_layer = min(self.selected_layer, len(model) - 1)  # (a lesson's model)
        self.colorChanged.emit(color)
        self.imageChanged.emit(image)
        self._after_model_change()

    def _after_model_change(self) -> None:
        spec = self.spec
        if self.same_kernel and not channels_identical(spec.kernel):
            self.same_kernel = False  # e.g. undo back to separate planes, or a loaded file
            self.sameKernelChanged.emit(False)
        moved = self.selected_filter >= spec.filters  # its filter was dropped
        self.selected_filter = min(self.selected_filter, spec.filters - 1)
        self.modelChanged.emit(self._model)
        self.specChanged.emit(spec)
        if moved:
            self.selectionChanged.emit(self.selected_layer, self.selected_filter)

    # -- the selected filter's weights -------------------------------------------------------
    def set_kernel_entry(self, row: int, col: int, value: float,
                         channel: int | None = None) -> None:
        """One weight of the selected filter; ``channel`` None sets it on every channel."""
        self.update_spec(kernel=with_weight(self.spec.kernel, row, col, self.selected_filter,
                                            value, channel))

    def set_filter_weights(self, weights: np.ndarray) -> None:
        """The selected filter's weights: (kh, kw, C), or a (kh, kw) plane on every channel.
        Another size resizes every filter (a layer has one kernel size)."""
        self.update_spec(kernel=with_filter(self.spec.kernel, self.selected_filter, weights))

    def set_filter_count(self, filters: int) -> None:
        """Keep the first filters, drop the last ones or add untrained ones (the random
        preset at the seed shown, as a fresh Conv2D with that many filters draws them)."""
        spec = self.spec
        fresh = random_kernel(spec.kernel_size, spec.channels, filters, self.seed)
        if self.same_kernel:
            fresh = np.repeat(fresh[:, :, :1, :], spec.channels, axis=2)
        kernel, bias = with_filter_count(spec.kernel, spec.bias, filters, fresh)
        self.update_spec(kernel=kernel, bias=bias)

    # -- selection and view choices ----------------------------------------------------------
    def select_filter(self, filter_index: int) -> None:
        filter_index = min(max(int(filter_index), 0), self.spec.filters - 1)
        if filter_index != self.selected_filter:
            self.selected_filter = filter_index
            self.selectionChanged.emit(self.selected_layer, filter_index)

    def set_same_kernel(self, same: bool) -> None:
        """One table for every input channel: switching it on makes each filter's channels
        equal to its first (R) plane."""
        if same == self.same_kernel:
            return
        self.same_kernel = same
        self.sameKernelChanged.emit(same)
        kernel = self.spec.kernel
        if same and not channels_identical(kernel):
            self.update_spec(kernel=np.repeat(kernel[:, :, :1, :], kernel.shape[2], axis=2))

    def set_seed(self, seed: int) -> None:
        if int(seed) != self.seed:
            self.seed = int(seed)
            self.seedChanged.emit(self.seed)

    def set_display_mapping(self, mode: str) -> None:
        if mode != self.display_mapping:
            self.display_mapping = mode
            self.displayMappingChanged.emit(mode)

    def set_shared_scale(self, shared: bool) -> None:
        if shared != self.shared_scale:
            self.shared_scale = shared
            self.sharedScaleChanged.emit(shared)


@contextlib.contextmanager
def signals_blocked(*widgets):
    """Update widgets from the state without their change signals firing."""
    previous = [w.blockSignals(True) for w in widgets]
    try:
        yield
    finally:
        for widget, was in zip(widgets, previous):
            widget.blockSignals(was)
