"""How the signed output is shown: the mapping choice, the true range and a histogram.

The histogram is of the raw values; under it a colour bar shows which colour each value
gets with the current mapping, and two lines mark the levels (the values drawn at the ends
of the scale). Values beyond the levels take the end colours.

The panel sits on a tab: while the tab is hidden it only keeps the newest summary and draws
it when shown, so an edit's way to the screen does not wait for a histogram nobody sees.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QLabel, QVBoxLayout, QWidget

from engine.formatting import format_number
from engine.images.display import MAPPING_LABELS, MAPPINGS, ValueSummary, to_uint8
from gui.requests import ModelResult
from gui.state import AppState, signals_blocked

BAR_STEPS = 256


class DisplayPanel(QWidget):
    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.mapping = QComboBox()
        self.mapping.setObjectName("displayMapping")
        for mode in MAPPINGS:
            self.mapping.addItem(MAPPING_LABELS[mode], mode)
        self.mapping.setToolTip(
            "How output values become colours. The values themselves never change: the "
            "readout under the cursor and the saved .npy always hold the layer's output.")
        self.range_label = QLabel("true min, max: -")
        self.range_label.setObjectName("outputRange")
        self.range_label.setStyleSheet("font-family: monospace;")
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("histogramPlot")
        self.plot.setBackground("w")
        self.plot.setMinimumHeight(140)
        self.plot.setLabel("bottom", "output value")
        self.plot.setLabel("left", "pixels")
        self.plot.setMouseEnabled(x=False, y=False)
        self.curve = self.plot.plot([0, 1], [0], stepMode="center", fillLevel=0,
                                    brush=(120, 120, 120, 150), pen=pg.mkPen("k"))
        self.bar = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.bar)
        self.level_lines = [pg.InfiniteLine(angle=90, pen=pg.mkPen("#d04000", width=2))
                            for _ in range(2)]
        for line in self.level_lines:
            self.plot.addItem(line)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.mapping)
        layout.addWidget(self.range_label)
        layout.addWidget(self.plot, stretch=1)

        self.result: ModelResult | None = None
        self._stale = False  # a result or mapping arrived while the tab was hidden
        self.mapping.currentIndexChanged.connect(
            lambda _i: state.set_display_mapping(self.mapping.currentData()))
        state.displayMappingChanged.connect(self.show_mapping)
        state.selectionChanged.connect(lambda *_: self._redraw())
        state.sharedScaleChanged.connect(lambda *_: self._redraw())
        self.show_mapping(state.display_mapping)

    def show_mapping(self, mode: str) -> None:
        with signals_blocked(self.mapping):
            self.mapping.setCurrentIndex(self.mapping.findData(mode))
        self._redraw()

    def show_result(self, result: ModelResult) -> None:
        self.result = result
        self._redraw()

    def _shown(self) -> tuple[int, int]:
        layer = min(self.state.selected_layer, len(self.result.outputs) - 1)
        return layer, min(self.state.selected_filter, self.result.map_count(layer) - 1)

    @property
    def summary(self) -> ValueSummary | None:
        """Range and histogram of the feature map on screen."""
        return None if self.result is None else self.result.summary(*self._shown())

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self._stale:
            self._redraw()

    @property
    def levels(self) -> tuple[float, float] | None:
        if self.result is None:
            return None
        return self._levels()[0]

    def _levels(self):
        return self.result.levels(*self._shown(), self.state.display_mapping,
                                  self.state.shared_scale)

    def _redraw(self) -> None:
        if self.result is None:
            return
        self._stale = not self.isVisible()
        if self._stale:
            return
        summary = self.summary
        levels, lut = self._levels()
        self.range_label.setText(f"true min {format_number(summary.minimum)}, "
                                 f"max {format_number(summary.maximum)}")
        counts, edges = summary.counts, summary.edges
        lo = min(float(edges[0]), levels[0])
        hi = max(float(edges[-1]), levels[1])
        self.curve.setData(edges, counts)
        steps = to_uint8(np.linspace(lo, hi, BAR_STEPS, dtype=np.float32)[None, :], levels)
        bar = np.repeat(steps[:, :, None], 3, axis=2) if lut is None else lut[steps]
        height = max(counts.max(), 1) * 0.12
        self.bar.setImage(bar, autoLevels=False, levels=(0, 255))
        self.bar.setRect(lo, -height, hi - lo, height)
        for line, level in zip(self.level_lines, levels):
            line.setValue(level)
