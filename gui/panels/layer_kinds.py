"""The Layer tab for the layers without a kernel: one small control class per kind.

Each edits the selected layer's spec through the state, like the Conv2D controls do, and
shows the spec it is given only when it is of its own kind. ``LayerSettings`` shows the page
of the selected layer's kind.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QWidget,
)

from engine.model.activation import ACTIVATIONS
from engine.model.pooling import MAX_POOL
from engine.model.rescaling import MAX_ABS_FACTOR
from gui.state import AppState, signals_blocked


def _spinbox(name: str, tooltip: str) -> QSpinBox:
    box = QSpinBox()
    box.setObjectName(name)
    box.setRange(1, MAX_POOL)
    box.setToolTip(tooltip)
    box.setKeyboardTracking(False)  # typing "12" never passes through 1
    return box


class KindControls(QWidget):
    """A page of the Layer tab for the Keras classes in ``KINDS``."""

    KINDS: tuple[str, ...] = ()

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        state.specChanged.connect(self._maybe_show)
        state.selectionChanged.connect(lambda *_: self._maybe_show(state.spec))

    def _maybe_show(self, spec) -> None:
        if spec.kind in self.KINDS:
            self.show_spec(spec)

    def show_spec(self, spec) -> None:
        raise NotImplementedError

    def edit(self, **changes) -> None:
        if self.state.spec.kind in self.KINDS:
            self.state.update_spec(**changes)


class PoolControls(KindControls):
    """MaxPooling2D / AveragePooling2D: the kind, pool size, strides (or the pool size, as
    Keras's strides=None) and padding."""

    KINDS = ("MaxPooling2D", "AveragePooling2D")

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(state, parent)
        self.mode = QComboBox()
        self.mode.setObjectName("poolType")
        self.mode.addItem("MaxPooling2D (the largest value)", "max")
        self.mode.addItem("AveragePooling2D (the mean)", "average")
        self.rows = _spinbox("poolRows", "Rows of each pooling window.")
        self.cols = _spinbox("poolCols", "Columns of each pooling window.")
        self.same_as_pool = QCheckBox("Strides = pool size (Keras's default)")
        self.same_as_pool.setObjectName("poolStridesAuto")
        self.stride_rows = _spinbox("poolStrideRows", "Rows the window moves per step.")
        self.stride_cols = _spinbox("poolStrideCols", "Columns the window moves per step.")
        self.padding_same = QPushButton()
        self.padding_same.setObjectName("poolPaddingSame")
        self.padding_same.setCheckable(True)
        self.padding_same.setToolTip(
            "valid: windows stay inside the map: floor((n - p) / s) + 1 per axis.\n"
            "same: ceil(n / s) windows; positions past the border are left out (not zeros).")
        self.note = QLabel()
        self.note.setWordWrap(True)
        size, strides = QHBoxLayout(), QHBoxLayout()
        size.addWidget(self.rows)
        size.addWidget(self.cols)
        strides.addWidget(self.stride_rows)
        strides.addWidget(self.stride_cols)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Pooling", self.mode)
        form.addRow("Pool size (rows, cols)", size)
        form.addRow(self.same_as_pool)
        form.addRow("Strides (rows, cols)", strides)
        form.addRow("Padding", self.padding_same)
        form.addRow(self.note)
        self.mode.currentIndexChanged.connect(lambda _i: self.edit(mode=self.mode.currentData()))
        for box in (self.rows, self.cols):
            box.valueChanged.connect(self._on_size)
        for box in (self.stride_rows, self.stride_cols):
            box.valueChanged.connect(self._on_strides)
        self.same_as_pool.toggled.connect(self._on_strides)
        self.padding_same.toggled.connect(
            lambda same: self.edit(padding="same" if same else "valid"))
        self._maybe_show(state.spec)

    def show_spec(self, spec) -> None:
        boxes = (self.mode, self.rows, self.cols, self.same_as_pool, self.stride_rows,
                 self.stride_cols, self.padding_same)
        with signals_blocked(*boxes):
            self.mode.setCurrentIndex(self.mode.findData(spec.mode))
            self.rows.setValue(spec.pool_size[0])
            self.cols.setValue(spec.pool_size[1])
            self.same_as_pool.setChecked(spec.strides is None)
            self.stride_rows.setValue(spec.step[0])
            self.stride_cols.setValue(spec.step[1])
            self.padding_same.setChecked(spec.padding == "same")
            self.padding_same.setText(f"{spec.padding}  (click for "
                                      f"{'valid' if spec.padding == 'same' else 'same'})")
        for box in (self.stride_rows, self.stride_cols):
            box.setEnabled(spec.strides is not None)
        what = "largest value" if spec.mode == "max" else "mean"
        self.note.setText(f"Each output value is the {what} of a {spec.pool_size[0]}x"
                          f"{spec.pool_size[1]} window of one input map; the channels stay. "
                          f"No weights: nothing to train.")

    def _on_size(self) -> None:
        self.edit(pool_size=(self.rows.value(), self.cols.value()))

    def _on_strides(self) -> None:
        strides = None if self.same_as_pool.isChecked() else (self.stride_rows.value(),
                                                              self.stride_cols.value())
        self.edit(strides=strides)


class ActivationControls(KindControls):
    """Activation(name) or ReLU(): which function every value goes through."""

    KINDS = ("Activation", "ReLU")

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(state, parent)
        self.activation = QComboBox()
        self.activation.setObjectName("activationKind")
        self.activation.addItems(ACTIVATIONS)
        self.activation.setToolTip("relu: max(x, 0). sigmoid: 1 / (1 + exp(-x)), 0..1. "
                                   "tanh: -1..1. linear: x unchanged.")
        self.note = QLabel()
        self.note.setWordWrap(True)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Activation", self.activation)
        form.addRow(self.note)
        self.activation.currentTextChanged.connect(lambda name: self.edit(activation=name))
        self._maybe_show(state.spec)

    def show_spec(self, spec) -> None:
        with signals_blocked(self.activation):
            self.activation.setCurrentText(spec.activation)
        relu_layer = spec.kind == "ReLU"
        self.activation.setEnabled(not relu_layer)
        self.note.setText(
            ("A ReLU() layer always computes relu; add an Activation layer for another "
             "function. " if relu_layer else "")
            + "It works on every value on its own: the shape and the channels stay, and it "
              "has no weights.")


class RescalingControls(KindControls):
    """Rescaling(scale, offset): what models trained on 0..1 pixels start with."""

    KINDS = ("Rescaling",)

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(state, parent)
        self.scale = QDoubleSpinBox()
        self.scale.setObjectName("rescaleScale")
        self.offset = QDoubleSpinBox()
        self.offset.setObjectName("rescaleOffset")
        for box in (self.scale, self.offset):
            box.setRange(-MAX_ABS_FACTOR, MAX_ABS_FACTOR)
            box.setDecimals(8)
            box.setKeyboardTracking(False)
        note = QLabel("Every value becomes x · scale + offset (1/255 turns 0..255 pixels into "
                      "0..1). No weights; the shape stays.")
        note.setWordWrap(True)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Scale", self.scale)
        form.addRow("Offset", self.offset)
        form.addRow(note)
        self.scale.valueChanged.connect(lambda value: self.edit(scale=value))
        self.offset.valueChanged.connect(lambda value: self.edit(offset=value))
        self._maybe_show(state.spec)

    def show_spec(self, spec) -> None:
        with signals_blocked(self.scale, self.offset):
            self.scale.setValue(spec.scale)
            self.offset.setValue(spec.offset)


class PassThroughNote(KindControls):
    """Dropout and the other layers that only act while training."""

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(state, parent)
        self.text = QLabel()
        self.text.setObjectName("passThroughNote")
        self.text.setWordWrap(True)
        QFormLayout(self).addRow(self.text)
        self._maybe_show(state.spec)

    def _maybe_show(self, spec) -> None:
        if hasattr(spec, "what_it_does"):
            self.show_spec(spec)

    def show_spec(self, spec) -> None:
        self.text.setText(f"{spec.kind} {spec.what_it_does()}. At inference (what ConvScope "
                          f"and model.predict run) it passes its input through unchanged, so "
                          f"its output equals its input. Settings: {spec.config}")


class LayerSettings(QStackedWidget):
    """The Layer tab: the selected layer's own controls (the Conv2D page is ``conv``)."""

    def __init__(self, state: AppState, conv: QWidget, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("layerSettings")
        self.state = state
        self.conv = conv
        self.pool = PoolControls(state)
        self.activation = ActivationControls(state)
        self.rescaling = RescalingControls(state)
        self.passthrough = PassThroughNote(state)
        for page in (conv, self.pool, self.activation, self.rescaling, self.passthrough):
            self.addWidget(page)
        state.specChanged.connect(self.show_kind)
        state.selectionChanged.connect(lambda *_: self.show_kind(state.spec))
        self.show_kind(state.spec)

    def show_kind(self, spec) -> None:
        pages = {"Conv2D": self.conv, "Rescaling": self.rescaling}
        page = pages.get(spec.kind)
        if page is None:
            page = (self.pool if spec.kind in PoolControls.KINDS else
                    self.activation if spec.kind in ActivationControls.KINDS else
                    self.passthrough)
        if page is not self.currentWidget():
            self.setCurrentWidget(page)


class KernelPage(QStackedWidget):
    """The Kernel tab: the kernel editor for a Conv2D, a note for a layer without weights."""

    def __init__(self, state: AppState, editor: QWidget, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("kernelPage")
        self.state = state
        self.editor = editor
        self.note = QLabel()
        self.note.setObjectName("noKernelNote")
        self.note.setWordWrap(True)
        self.note.setAlignment(self.note.alignment().AlignTop)
        self.addWidget(editor)
        self.addWidget(self.note)
        state.specChanged.connect(self.show_kind)
        state.selectionChanged.connect(lambda *_: self.show_kind(state.spec))
        self.show_kind(state.spec)

    def show_kind(self, spec) -> None:
        if spec.kind == "Conv2D":
            if self.currentWidget() is not self.editor:
                self.setCurrentWidget(self.editor)
            return
        name = self.state.model.layer_names()[self.state.selected_layer]
        self.note.setText(f"{name} is a {spec.kind} layer: it has no kernel and no weights "
                          f"(0 parameters). Its settings are on the Layer tab; select a Conv2D "
                          f"in the layer stack to edit a kernel.")
        self.setCurrentWidget(self.note)
