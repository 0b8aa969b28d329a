"""Kernel size, presets, the random seed and normalize: ways to set a filter at once.

The preset box shows the preset the selected filter holds, read off its weights
(``identify_preset``), so it never claims a kernel the table does not hold: typing the
lesson's nine ones shows "box blur", any other change shows "custom". Picking a preset
writes it into the selected filter; the filter bank fills every filter.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from engine.kernels.edits import normalize_kernel, resize_kernel
from engine.kernels.presets import (
    CUSTOM,
    FILTER_BANK,
    PRESET_NAMES,
    RANDOM,
    filter_bank,
    identify_preset,
    preset_filter,
)
from engine.model.conv import MAX_KERNEL_SIZE, ConvSpec
from engine.model.errors import LayerSpecError
from gui.state import AppState, signals_blocked

MAX_SEED = 999_999


def _size_spinbox(name: str, axis: str) -> QSpinBox:
    box = QSpinBox()
    box.setObjectName(name)
    box.setRange(1, MAX_KERNEL_SIZE)
    box.setToolTip(f"Kernel {axis} (1 to {MAX_KERNEL_SIZE}; even sizes work too). Resizing "
                   f"keeps the overlapping weights; new cells start at 0. Applied on Enter, "
                   f"on leaving the box or with the arrows.")
    box.setKeyboardTracking(False)  # typing "12" never passes through a 1-row kernel
    return box


class KernelControls(QWidget):
    messageRequested = Signal(str)  # a note for the user (e.g. why normalize did nothing)

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.rows = _size_spinbox("kernelRows", "rows")
        self.cols = _size_spinbox("kernelCols", "columns")
        self.preset = QComboBox()
        self.preset.setObjectName("presetCombo")
        self.preset.addItems(PRESET_NAMES)
        self.preset.setToolTip("Classic filters for the selected filter (identity, box blur "
                               "and random keep the current size; the others bring their "
                               "own). The filter bank gives every filter a different one.")
        self.seed = QSpinBox()
        self.seed.setObjectName("presetSeed")
        self.seed.setRange(0, MAX_SEED)
        self.seed.setToolTip("Seed of the random (glorot-uniform) weights: the same seed gives "
                             "the same kernel, as keras.initializers.GlorotUniform(seed).")
        self.reroll = QPushButton("Re-roll")
        self.reroll.setObjectName("rerollButton")
        self.reroll.setToolTip("Draw new random weights (next seed), as a fresh, untrained "
                               "Keras layer would.")
        self.normalize = QPushButton("Normalize (divide by sum)")
        self.normalize.setObjectName("normalizeButton")
        self.normalize.setToolTip("Divide every weight of the selected filter by their sum, so "
                                  "a flat image keeps its brightness. Not possible when they "
                                  "sum to 0.")
        self.sum_label = QLabel()
        self.sum_label.setObjectName("kernelSum")

        size = QHBoxLayout()
        size.addWidget(self.rows)
        size.addWidget(QLabel("x"))
        size.addWidget(self.cols)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, stretch=1)
        seed_row.addWidget(self.reroll)
        sum_row = QHBoxLayout()
        sum_row.addWidget(self.normalize)
        sum_row.addWidget(self.sum_label, stretch=1)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Size (rows x cols)", size)
        form.addRow("Preset", self.preset)
        form.addRow("Random seed", seed_row)
        form.addRow(sum_row)

        self.rows.valueChanged.connect(self._on_size)
        self.cols.valueChanged.connect(self._on_size)
        self.preset.currentTextChanged.connect(self._on_preset)
        self.seed.valueChanged.connect(self._on_seed)
        self.reroll.clicked.connect(self.reroll_random)
        self.normalize.clicked.connect(self.normalize_kernel)
        state.specChanged.connect(self.show_spec)
        state.selectionChanged.connect(lambda *_: self.show_spec(state.spec))
        state.seedChanged.connect(self._show_seed)
        self._show_seed(state.seed)
        self.show_spec(state.spec)

    def _show_seed(self, seed: int) -> None:
        with signals_blocked(self.seed):
            self.seed.setValue(seed)
        self.show_spec(self.state.spec)

    def show_spec(self, spec: ConvSpec) -> None:
        if spec.kind != "Conv2D":
            return  # a layer without a kernel: the kernel page is not shown
        with signals_blocked(self.rows, self.cols, self.preset):
            self.rows.setValue(spec.kernel_size[0])
            self.cols.setValue(spec.kernel_size[1])
            self.preset.setCurrentText(self.shown_preset(spec))
        weights = spec.kernel[..., self.state.selected_filter]
        self.sum_label.setText(f"sum = {float(np.sum(weights, dtype=np.float64)):.6g}")

    def shown_preset(self, spec: ConvSpec) -> str:
        return identify_preset(spec.kernel, self.state.selected_filter, self.state.seed)

    def apply_preset(self, name: str) -> None:
        """Write the named preset into the selected filter (every filter for the bank)."""
        state, spec = self.state, self.state.spec
        if name == FILTER_BANK:
            kernel = filter_bank(spec.channels, spec.filters, state.seed)
            state.update_spec(kernel=kernel)
        elif name != CUSTOM:
            state.set_filter_weights(preset_filter(
                name, spec.kernel_size, spec.channels, spec.filters, state.selected_filter,
                state.seed, state.same_kernel))
        self.show_spec(state.spec)  # the box names what the filter now holds

    def reroll_random(self) -> None:
        self.state.set_seed((self.state.seed + 1) % (MAX_SEED + 1))
        self.apply_preset(RANDOM)

    def normalize_kernel(self) -> None:
        spec, index = self.state.spec, self.state.selected_filter
        try:
            weights = normalize_kernel(spec.kernel[..., index])
        except LayerSpecError as exc:
            self.messageRequested.emit(str(exc))
            return
        self.state.set_filter_weights(weights)

    def _on_preset(self, name: str) -> None:
        self.apply_preset(name)

    def _on_seed(self, seed: int) -> None:
        was_random = self.shown_preset(self.state.spec) == RANDOM
        self.state.set_seed(seed)
        if was_random:
            self.apply_preset(RANDOM)

    def _on_size(self) -> None:
        kernel = resize_kernel(self.state.spec.kernel, self.rows.value(), self.cols.value())
        self.state.update_spec(kernel=kernel)
