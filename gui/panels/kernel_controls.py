"""Kernel size, presets and normalize: ways to set the whole kernel at once.

Picking a preset writes its weights into the state; any later change to the kernel that did
not come from a preset (a typed cell, a resize, undo, a loaded file) shows "custom", so the
combo box never claims a kernel the table does not hold.
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

from engine.kernels.edits import normalize_kernel, resize_kernel, to_channels
from engine.kernels.presets import CUSTOM, PRESET_NAMES, RANDOM, preset_kernel
from engine.model.spec import MAX_KERNEL_SIZE, ConvSpec, ConvSpecError
from gui.state import AppState, signals_blocked

MAX_SEED = 999_999


def _size_spinbox(name: str, axis: str) -> QSpinBox:
    box = QSpinBox()
    box.setObjectName(name)
    box.setRange(1, MAX_KERNEL_SIZE)
    box.setToolTip(f"Kernel {axis} (1 to {MAX_KERNEL_SIZE}; even sizes work too). Resizing "
                   f"keeps the overlapping weights; new cells start at 0.")
    return box


class KernelControls(QWidget):
    messageRequested = Signal(str)  # a note for the user (e.g. why normalize did nothing)

    def __init__(self, state: AppState, seed: int = 0,
                 same_for_all_channels=lambda: True, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self._same_for_all = same_for_all_channels
        self.rows = _size_spinbox("kernelRows", "rows")
        self.cols = _size_spinbox("kernelCols", "columns")
        self.preset = QComboBox()
        self.preset.setObjectName("presetCombo")
        self.preset.addItems(PRESET_NAMES)
        self.preset.setToolTip("Classic filters. identity, box blur and random keep the current "
                               "size; the others bring their own.")
        self.seed = QSpinBox()
        self.seed.setObjectName("presetSeed")
        self.seed.setRange(0, MAX_SEED)
        self.seed.setValue(seed)
        self.seed.setToolTip("Seed of the random (glorot-uniform) weights: the same seed gives "
                             "the same kernel.")
        self.reroll = QPushButton("Re-roll")
        self.reroll.setObjectName("rerollButton")
        self.reroll.setToolTip("Draw new random weights (next seed), as a fresh, untrained "
                               "Keras layer would.")
        self.normalize = QPushButton("Normalize (divide by sum)")
        self.normalize.setObjectName("normalizeButton")
        self.normalize.setToolTip("Divide every weight by the sum of all weights, so a flat "
                                  "image keeps its brightness. Not possible when they sum to 0.")
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

        self._applied: np.ndarray | None = np.array(state.spec.kernel)
        self.preset.setCurrentText(RANDOM)
        self.rows.valueChanged.connect(self._on_size)
        self.cols.valueChanged.connect(self._on_size)
        self.preset.currentTextChanged.connect(self._on_preset)
        self.seed.valueChanged.connect(self._on_seed)
        self.reroll.clicked.connect(self.reroll_random)
        self.normalize.clicked.connect(self.normalize_kernel)
        state.specChanged.connect(self.show_spec)
        self.show_spec(state.spec)

    def show_spec(self, spec: ConvSpec) -> None:
        with signals_blocked(self.rows, self.cols, self.preset):
            self.rows.setValue(spec.kernel_size[0])
            self.cols.setValue(spec.kernel_size[1])
            if self.preset.currentText() != CUSTOM and not self._holds_applied(spec):
                self.preset.setCurrentText(CUSTOM)
                self._applied = None
        self.sum_label.setText(f"sum = {float(np.sum(spec.kernel, dtype=np.float64)):.6g}")

    def _holds_applied(self, spec: ConvSpec) -> bool:
        if self._applied is None:
            return False
        return (np.array_equal(spec.kernel, self._applied)
                or np.array_equal(spec.kernel, to_channels(self._applied, spec.channels)))

    def apply_preset(self, name: str) -> None:
        """Write the named preset's weights (at the current size where it has none)."""
        spec = self.state.spec
        kernel = preset_kernel(name, spec.kernel_size, spec.channels, self.seed.value(),
                               self._same_for_all())
        self._applied = kernel
        with signals_blocked(self.preset):
            self.preset.setCurrentText(name)
        self.state.update_spec(kernel=kernel)

    def reroll_random(self) -> None:
        with signals_blocked(self.seed):
            self.seed.setValue((self.seed.value() + 1) % (MAX_SEED + 1))
        self.apply_preset(RANDOM)

    def normalize_kernel(self) -> None:
        try:
            kernel = normalize_kernel(self.state.spec.kernel)
        except ConvSpecError as exc:
            self.messageRequested.emit(str(exc))
            return
        self.state.update_spec(kernel=kernel)

    def _on_preset(self, name: str) -> None:
        if name != CUSTOM:
            self.apply_preset(name)

    def _on_seed(self) -> None:
        if self.preset.currentText() == RANDOM:
            self.apply_preset(RANDOM)

    def _on_size(self) -> None:
        kernel = resize_kernel(self.state.spec.kernel, self.rows.value(), self.cols.value())
        self.state.update_spec(kernel=kernel)
