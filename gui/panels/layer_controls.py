"""Input channels, filters, strides, padding, dilation, bias and activation: the layer
settings beside the kernel."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from engine.model.conv import ACTIVATIONS, MAX_ABS_WEIGHT, MAX_FILTERS, MAX_STEP, ConvSpec
from gui.state import AppState, signals_blocked


def _step_spinbox(name: str, tooltip: str) -> QSpinBox:
    box = QSpinBox()
    box.setObjectName(name)
    box.setRange(1, MAX_STEP)
    box.setToolTip(tooltip)
    box.setKeyboardTracking(True)
    return box


COLOR_LABELS = {"gray": "grayscale (1 channel)", "rgb": "RGB (3 channels)"}


class LayerControls(QWidget):
    """A Conv2D's settings (the Layer tab when a Conv2D is selected)."""

    colorRequested = Signal(str)  # the user asked for another channel mode (needs a reload)
    BIAS_TIP = ("Added to every value of the selected filter's map after the weighted sum "
                "(each filter has its own bias).")

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.channel_mode = QComboBox()
        self.channel_mode.setObjectName("channelMode")
        for color, label in COLOR_LABELS.items():
            self.channel_mode.addItem(label, color)
        self.channel_mode.setToolTip(
            "grayscale: the image enters as one channel (Pillow 'L').\n"
            "RGB: three channels; the kernel gets one plane per channel and the layer sums "
            "the three results into its one output channel.")
        self.filter_count = QSpinBox()
        self.filter_count.setObjectName("filterCount")
        self.filter_count.setRange(1, MAX_FILTERS)
        self.filter_count.setKeyboardTracking(False)  # typing "12" never drops to 1 filter
        self.filter_count.setToolTip(
            "Keras's filters: how many kernels the layer slides over the image, each making "
            "one feature map (the output's last axis). New filters get untrained (random) "
            "weights from the seed shown on the Kernel tab.")
        self.stride_rows = _step_spinbox("strideRows", "How many rows the window moves per step.")
        self.stride_cols = _step_spinbox("strideCols",
                                         "How many columns the window moves per step.")
        self.padding_same = QPushButton()
        self.padding_same.setObjectName("paddingSame")
        self.padding_same.setCheckable(True)
        self.padding_same.setToolTip(
            "valid: the window stays inside the image, so the output shrinks.\n"
            "same: zeros are added around the image so that output size = ceil(input / stride);"
            "\nwhen the padding is odd, TensorFlow puts the extra row/column at the "
            "bottom/right.")
        self.bias = QDoubleSpinBox()
        self.bias.setObjectName("biasSpin")
        self.bias.setRange(-MAX_ABS_WEIGHT, MAX_ABS_WEIGHT)
        self.bias.setDecimals(6)  # as the kernel cells show: a loaded bias is not rounded
        self.bias.setToolTip(self.BIAS_TIP)
        self.dilation_rows = _step_spinbox(
            "dilationRows", "Rows between the kernel's taps (1: next to each other).")
        self.dilation_cols = _step_spinbox(
            "dilationCols", "Columns between the kernel's taps (1: next to each other).")
        self.activation = QComboBox()
        self.activation.setObjectName("activationCombo")
        self.activation.addItems(ACTIVATIONS)
        self.activation.setToolTip("linear: the sum + bias as it is. relu: negative results "
                                   "become 0. sigmoid: squeezed into 0..1. tanh: into -1..1.")

        strides = QHBoxLayout()
        strides.addWidget(self.stride_rows)
        strides.addWidget(self.stride_cols)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        dilation = QHBoxLayout()
        dilation.addWidget(self.dilation_rows)
        dilation.addWidget(self.dilation_cols)
        form.addRow("Input channels", self.channel_mode)
        form.addRow("Filters", self.filter_count)
        form.addRow("Strides (rows, cols)", strides)
        form.addRow("Padding", self.padding_same)
        form.addRow("Dilation (rows, cols)", dilation)
        self.bias_label = QLabel("Bias")
        self.bias_label.setObjectName("biasLabel")
        form.addRow(self.bias_label, self.bias)
        form.addRow("Activation", self.activation)

        self.stride_rows.valueChanged.connect(self._on_strides)
        self.stride_cols.valueChanged.connect(self._on_strides)
        self.padding_same.toggled.connect(self._on_padding)
        self.bias.valueChanged.connect(self._on_bias)
        self.filter_count.valueChanged.connect(state.set_filter_count)
        self.dilation_rows.valueChanged.connect(self._on_dilation)
        self.dilation_cols.valueChanged.connect(self._on_dilation)
        self.activation.currentTextChanged.connect(
            lambda name: state.update_spec(activation=name))
        self.channel_mode.currentIndexChanged.connect(
            lambda _index: self.colorRequested.emit(self.channel_mode.currentData()))
        state.specChanged.connect(self.show_spec)
        state.selectionChanged.connect(lambda *_: self.show_spec(state.spec))
        state.colorChanged.connect(self.show_color)
        self.show_spec(state.spec)
        self.show_color(state.color)

    def show_color(self, color: str) -> None:
        with signals_blocked(self.channel_mode):
            self.channel_mode.setCurrentIndex(self.channel_mode.findData(color))

    def show_spec(self, spec: ConvSpec) -> None:
        if spec.kind != "Conv2D":
            return  # the Layer tab shows that layer's own controls instead
        with signals_blocked(self.stride_rows, self.stride_cols, self.padding_same, self.bias,
                             self.dilation_rows, self.dilation_cols, self.activation,
                             self.filter_count):
            # an opened model's layer may have more filters than the box offers to add
            self.filter_count.setMaximum(max(MAX_FILTERS, spec.filters))
            self.filter_count.setValue(spec.filters)
            self.dilation_rows.setValue(spec.dilation[0])
            self.dilation_cols.setValue(spec.dilation[1])
            self.activation.setCurrentText(spec.activation)
            self.stride_rows.setValue(spec.strides[0])
            self.stride_cols.setValue(spec.strides[1])
            self.padding_same.setChecked(spec.padding == "same")
            self.padding_same.setText(f"{spec.padding}  (click for "
                                      f"{'valid' if spec.padding == 'same' else 'same'})")
            self.bias.setValue(float(spec.bias[self.state.selected_filter]))
        self.bias.setEnabled(spec.use_bias)
        tip = (self.BIAS_TIP if spec.use_bias else "This layer has no bias (use_bias=False), "
               "as layers followed by batch normalization often do.")
        if self.bias.toolTip() != tip:  # each new tip is an event through the box's filters
            self.bias.setToolTip(tip)
        self.bias_label.setText(f"Bias (filter {self.state.selected_filter})"
                                if spec.filters > 1 else "Bias")

    def _on_bias(self, value: float) -> None:
        bias = np.array(self.state.spec.bias)
        bias[self.state.selected_filter] = value
        self.state.update_spec(bias=bias)

    def _on_strides(self) -> None:
        self.state.update_spec(strides=(self.stride_rows.value(), self.stride_cols.value()))

    def _on_dilation(self) -> None:
        self.state.update_spec(dilation=(self.dilation_rows.value(), self.dilation_cols.value()))

    def _on_padding(self, same: bool) -> None:
        self.state.update_spec(padding="same" if same else "valid")
