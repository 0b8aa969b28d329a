"""What the layer is learning toward: the target output (shown under the layer's own output,
with the same display mapping) and, once the mystery is revealed, the target kernel next to
the learned one with each weight's error.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.formatting import format_number
from engine.images.display import map_levels
from engine.model.errors import LayerSpecError
from engine.training.recovery import TOLERANCE, weight_errors
from gui.panels.image_panel import ImagePanel
from gui.state import AppState
from gui.training.state import TrainState

CLOSE = QColor("#d8f0d8")  # within the tolerance
FAR = QColor("#ffffff")
WAITING = "Appears once training has been set up (open this tab, Start or Step)."


class TargetOutput(ImagePanel):
    """The target model's output, the selected feature map, in the window's display mapping."""

    def __init__(self, state: AppState, train: TrainState, parent=None) -> None:
        super().__init__("Target output", "targetView", parent)
        self.state, self.train = state, train
        self.caption.setText(WAITING)
        train.targetOutputChanged.connect(self.redraw)
        state.selectionChanged.connect(lambda *_: self.redraw())
        state.displayMappingChanged.connect(lambda _mode: self.redraw())

    def redraw(self, *_changed) -> None:
        output = self.train.target_output
        if output is None:
            self.clear()
            self.caption.setText(WAITING)
            return
        f = min(self.state.selected_filter, output.shape[3] - 1)
        plane = output[0, :, :, f]
        levels, lut = map_levels(plane, self.state.display_mapping)
        self.image_item.setLookupTable(lut, update=False)
        self.show_array(plane, levels)
        self.caption.setText(
            f"What the output above should become (Keras, the target kernel): "
            f"{format_number(plane.min())} to {format_number(plane.max())}"
            + (f", filter {f}." if output.shape[3] > 1 else "."))


class WeightCompare(QWidget):
    """Learned, target and error of every weight of the selected filter (channel 0), and
    how far the worst one is: "?" for the target while the mystery is hidden."""

    def __init__(self, state: AppState, train: TrainState, parent=None) -> None:
        super().__init__(parent)
        self.state, self.train = state, train
        self.table = QTableWidget()
        self.table.setObjectName("targetKernel")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        font = self.table.font()
        font.setPointSizeF(font.pointSizeF() * 0.85)
        self.table.setFont(font)
        self.table.horizontalHeader().setDefaultSectionSize(74)
        self.table.verticalHeader().setDefaultSectionSize(44)
        self.summary = QLabel(" ")
        self.summary.setObjectName("recoveryLabel")
        self.summary.setWordWrap(True)
        self.summary.setFixedHeight(4 * self.summary.fontMetrics().lineSpacing())
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Learned, target and error of each weight:"))
        layout.addWidget(self.table, stretch=1)
        layout.addWidget(self.summary)
        train.targetChanged.connect(self.show_weights)
        state.modelChanged.connect(self.show_weights)
        state.selectionChanged.connect(lambda *_: self.show_weights())
        self.show_weights()

    def show_weights(self, *_changed) -> None:
        """learned / target / error per weight of the selected filter (channel 0)."""
        model = self.state.model
        try:
            target = self.train.target.model_for(model)
        except LayerSpecError as exc:
            self.table.clear()
            self.summary.setText(str(exc))
            return
        layer, f = self.state.selected_layer, self.state.selected_filter
        errors = weight_errors(model, target)
        own = next((e for e in errors if e.layer == layer), None)
        if own is None:
            self.table.clear()
            self.summary.setText("This layer has no weights to learn.")
            return
        learned_spec, target_spec = model.layers[layer], target.layers[layer]
        kh, kw = learned_spec.kernel_size
        if (self.table.rowCount(), self.table.columnCount()) != (kh, kw) \
                or self.table.item(0, 0) is None:  # a new size (or cleared): new cells
            self.table.clear()
            self.table.setRowCount(kh)
            self.table.setColumnCount(kw)
            self.table.setVerticalHeaderLabels([str(r) for r in range(kh)])  # rows from 0,
            self.table.setHorizontalHeaderLabels([str(c) for c in range(kw)])  # as Keras
            for r in range(kh):
                for c in range(kw):
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    self.table.setItem(r, c, item)
        hidden = self.train.hidden
        for r in range(kh):
            for c in range(kw):
                learned = learned_spec.kernel[r, c, 0, f]
                if hidden:
                    text, colour = f"{format_number(learned)}\ntarget ?", FAR
                else:
                    error = own.kernel[r, c, 0, f]
                    text = (f"{format_number(learned)}\ntarget "
                            f"{format_number(target_spec.kernel[r, c, 0, f])}\nerror "
                            f"{error:+.2g}")
                    colour = CLOSE if abs(error) <= TOLERANCE * own.scale else FAR
                item = self.table.item(r, c)  # each edit changes one or two of them: only
                if item.text() != text:  # those are set, each change a repaint of its cell
                    item.setText(text)
                if item.background().color() != colour:
                    item.setBackground(QBrush(colour))
        if hidden:
            self.summary.setText("The target kernel is hidden: press Reveal to compare "
                                 "(the loss says how close the outputs are).")
            return
        worst = max(e.relative for e in errors)
        verdict = (f"every weight and bias is within {TOLERANCE:.0%} of the target's largest "
                   f"weight" if worst <= TOLERANCE else "not there yet")
        self.summary.setText(
            f"Bias {format_number(learned_spec.bias[f])}, target "
            f"{format_number(target_spec.bias[f])}. Largest error: {worst:.2%} of the "
            f"largest target weight ({format_number(own.scale)}): {verdict}.")
