"""Strides, padding and bias: the layer settings beside the kernel."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QWidget,
)

from engine.spec import MAX_ABS_WEIGHT, MAX_STEP, ConvSpec
from gui.state import AppState, signals_blocked


def _step_spinbox(name: str, tooltip: str) -> QSpinBox:
    box = QSpinBox()
    box.setObjectName(name)
    box.setRange(1, MAX_STEP)
    box.setToolTip(tooltip)
    box.setKeyboardTracking(True)
    return box


class LayerControls(QWidget):
    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
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
        self.bias.setDecimals(3)
        self.bias.setToolTip("Added to every output value after the weighted sum.")

        strides = QHBoxLayout()
        strides.addWidget(self.stride_rows)
        strides.addWidget(self.stride_cols)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Strides (rows, cols)", strides)
        form.addRow("Padding", self.padding_same)
        form.addRow("Bias", self.bias)

        self.stride_rows.valueChanged.connect(self._on_strides)
        self.stride_cols.valueChanged.connect(self._on_strides)
        self.padding_same.toggled.connect(self._on_padding)
        self.bias.valueChanged.connect(lambda value: state.update_spec(bias=value))
        state.specChanged.connect(self.show_spec)
        self.show_spec(state.spec)

    def show_spec(self, spec: ConvSpec) -> None:
        with signals_blocked(self.stride_rows, self.stride_cols, self.padding_same, self.bias):
            self.stride_rows.setValue(spec.strides[0])
            self.stride_cols.setValue(spec.strides[1])
            self.padding_same.setChecked(spec.padding == "same")
            self.padding_same.setText(f"{spec.padding}  (click for "
                                      f"{'valid' if spec.padding == 'same' else 'same'})")
            self.bias.setValue(spec.bias)

    def _on_strides(self) -> None:
        self.state.update_spec(strides=(self.stride_rows.value(), self.stride_cols.value()))

    def _on_padding(self, same: bool) -> None:
        self.state.update_spec(padding="same" if same else "valid")
