"""The single source of truth the panels edit and the pipeline reads.

Widgets never talk to each other or to the engine: they change the state, and the state says
what changed. Panels update themselves from these signals inside ``signals_blocked`` so an
update never echoes back as an edit. Everything a panel shows that is not an output lives
here: the model (every layer's settings and weights), the image, which layer and filter are
on screen, the channel mode, the seed of the random preset and the display choices, and the
Keras model file the stack came from (its layers that do not run, its fixed input size).
"""

from __future__ import annotations

import contextlib

import numpy as np
from PySide6.QtCore import QObject, Signal

from engine.images.loading import LoadedImage
from engine.kernels.edits import channels_identical, with_filter, with_filter_count, with_weight
from engine.kernels.presets import random_kernel
from engine.model.conv import ConvSpec
from engine.model.loaded import LoadedModel
from engine.model.network import ModelSpec
from engine.model.stack import fit_channels, insert_layer, move_layer, new_layer, remove_layer


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
    inputChannelChanged = Signal(int)  # the input channel a deeper conv's table edits
    modelFileChanged = Signal(object)  # the LoadedModel the stack came from, or None

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
        self.selected_channel = 0  # a conv reading feature maps: the input channel edited
        self.model_file: LoadedModel | None = None  # the Keras file the stack came from

    # -- reading ---------------------------------------------------------------------------
    @property
    def model(self) -> ModelSpec:
        return self._model

    @property
    def spec(self) -> ConvSpec:
        """The selected layer's spec (any kind: check ``spec.kind`` before reading a kernel)."""
        return self._model.layers[self.selected_layer]

    @property
    def image_channels(self) -> int:
        if self._image is not None:
            return self._image.channels
        return 3 if self.color == "rgb" else 1

    def map_count(self, layer: int | None = None) -> int:
        """How many feature maps (output channels) a layer makes: a Conv2D its filters,
        any other layer the channels it receives."""
        layer = self.selected_layer if layer is None else layer
        return self._model.channels(self.image_channels)[layer + 1]

    def reads_image_channels(self, layer: int | None = None) -> bool:
        """Whether a layer's input channels are the image's (R, G, B or gray): no Conv2D
        before it made feature maps of its own."""
        layer = self.selected_layer if layer is None else layer
        return all(spec.kind != "Conv2D" for spec in self._model.layers[:layer])

    @property
    def fixed_hw(self) -> tuple[int, int] | None:
        """The input size the opened Keras model fixes (images are resized to it), or None."""
        return None if self.model_file is None else self.model_file.fixed_hw

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
        """Replace the whole network (a loaded file, undo, the lesson, a stack edit)."""
        layer = self.selected_layer if selected_layer is None else selected_layer
        layer = min(max(layer, 0), len(model) - 1)
        if model == self._model and layer == self.selected_layer:
            return
        moved = layer != self.selected_layer
        self._model, self.selected_layer = model, layer
        if moved:
            self.selected_channel = 0
        self._after_model_change(moved)

    def set_spec(self, spec: ConvSpec) -> None:
        """Replace the selected layer's spec; later Conv2D kernels follow a change of its
        output channels (engine/model/stack.py)."""
        if spec == self.spec:
            return
        self._model = fit_channels(self._model.with_layer(self.selected_layer, spec),
                                   self.image_channels, self.seed, self.selected_layer + 1)
        self._after_model_change()

    # -- the stack of layers -----------------------------------------------------------------
    def select_layer(self, layer: int) -> None:
        """The layer on screen: its maps in the grid and the output view, its settings in
        the editors."""
        layer = min(max(int(layer), 0), len(self._model) - 1)
        if layer == self.selected_layer:
            return
        self.selected_layer = layer
        self.selected_filter = min(self.selected_filter, self.map_count() - 1)
        self.selected_channel = 0
        if self.spec.kind == "Conv2D" and self.same_kernel and not channels_identical(
                self.spec.kernel):
            self.same_kernel = False
            self.sameKernelChanged.emit(False)
        self.specChanged.emit(self.spec)
        self.selectionChanged.emit(layer, self.selected_filter)

    def add_layer(self, kind: str, index: int | None = None) -> None:
        """A fresh layer of Keras class ``kind`` after the selected one (or at ``index``);
        it becomes the selected layer."""
        index = self.selected_layer + 1 if index is None else index
        channels = self._model.channels(self.image_channels)[min(index, len(self._model))]
        model = insert_layer(self._model, index, new_layer(kind, channels, self.seed),
                             self.image_channels, self.seed)
        self.set_model(model, selected_layer=index)

    def remove_layer(self, index: int | None = None) -> None:
        index = self.selected_layer if index is None else index
        if len(self._model) > 1:
            self.set_model(remove_layer(self._model, index, self.image_channels, self.seed),
                           selected_layer=max(index - 1, 0) if index >= 1 else 0)

    def move_layer(self, index: int, offset: int) -> None:
        """Layer ``index`` one place up (``offset`` -1) or down (+1); it stays selected."""
        to = index + offset
        if 0 <= to < len(self._model) and to != index:
            self.set_model(move_layer(self._model, index, to, self.image_channels, self.seed),
                           selected_layer=to)

    def set_model_file(self, loaded: LoadedModel | None) -> None:
        """The Keras file the stack now comes from (None: the stack is the window's own)."""
        if loaded is not self.model_file:
            self.model_file = loaded
            self.modelFileChanged.emit(loaded)

    def select_channel(self, channel: int) -> None:
        """Which input channel of a deeper Conv2D's kernel the table edits."""
        spec = self.spec
        limit = spec.channels - 1 if spec.kind == "Conv2D" else 0
        channel = min(max(int(channel), 0), limit)
        if channel != self.selected_channel:
            self.selected_channel = channel
            self.inputChannelChanged.emit(channel)

    def update_spec(self, **changes) -> None:
        self.set_spec(self.spec.with_changes(**changes))

    def set_color_image(self, color: str, image: LoadedImage, model: ModelSpec,
                        selected_layer: int | None = None) -> None:
        """Switch the channel mode in one step: image and kernel change together, so no
        listener ever sees a 3-channel kernel with a 1-channel image."""
        layer = self.selected_layer if selected_layer is None else selected_layer
        layer = min(max(layer, 0), len(model) - 1)
        moved = layer != self.selected_layer
        model = fit_channels(model, image.channels, self.seed, 1)  # the later layers
        self.color, self._image, self._model, self.selected_layer = color, image, model, layer
        self.colorChanged.emit(color)
        self.imageChanged.emit(image)
        self._after_model_change(moved)

    def _after_model_change(self, layer_moved: bool = False) -> None:
        spec = self.spec
        if spec.kind == "Conv2D" and self.same_kernel and not channels_identical(spec.kernel):
            self.same_kernel = False  # e.g. undo back to separate planes, or a loaded file
            self.sameKernelChanged.emit(False)
        maps = self.map_count()
        moved = layer_moved or self.selected_filter >= maps  # its filter was dropped
        self.selected_filter = min(self.selected_filter, maps - 1)
        if spec.kind != "Conv2D" or self.selected_channel >= spec.channels:
            self.selected_channel = 0
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
        """The feature map on screen (for a Conv2D: the filter the editors work on)."""
        filter_index = min(max(int(filter_index), 0), self.map_count() - 1)
        if filter_index != self.selected_filter:
            self.selected_filter = filter_index
            self.selectionChanged.emit(self.selected_layer, filter_index)

    def set_same_kernel(self, same: bool) -> None:
        """One table for every input channel: switching it on makes each filter's channels
        equal to its first (R) plane."""
        if same == self.same_kernel or self.spec.kind != "Conv2D":
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
