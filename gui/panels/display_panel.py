"""How the signed output is shown: the mapping choice, the true range and a histogram.

The histogram is of the raw values, its height in pixels; under it, on its own strip with
the same value axis (and no vertical axis: it has no height to measure), a colour bar shows
which colour each value gets with the current mapping. Two lines mark the levels (the values
drawn at the ends of the scale) on both. Values beyond the levels take the end colours.

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
BAR_HEIGHT_PX = 34
#: Both plots' left axes take this width, so their value axes line up.
LEFT_AXIS_PX = 52
LEVEL_PEN = pg.mkPen("#d04000", width=2)


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
        self.plot.setLabel("left", "pixels")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.curve = self.plot.plot([0, 1], [0], stepMode="center", fillLevel=0,
                                    brush=(120, 120, 120, 150), pen=pg.mkPen("k"))
        self.bar_plot = pg.PlotWidget()
        self.bar_plot.setObjectName("colourBar")
        self.bar_plot.setBackground("w")
        self.bar_plot.setFixedHeight(BAR_HEIGHT_PX + 40)  # the strip and the value axis
        self.bar_plot.setLabel("bottom", "output value")
        self.bar_plot.getAxis("left").setStyle(showValues=False)
        self.bar_plot.getAxis("left").setTicks([[], []])
        self.bar_plot.setMouseEnabled(x=False, y=False)
        self.bar_plot.hideButtons()
        self.bar_plot.setXLink(self.plot)
        self.plot.getAxis("bottom").setStyle(showValues=False)  # the bar's axis reads for both
        for plot in (self.plot, self.bar_plot):
            plot.getAxis("left").setWidth(LEFT_AXIS_PX)
        self.bar = pg.ImageItem(axisOrder="row-major")
        self.bar_plot.addItem(self.bar)
        self.bar_plot.setYRange(0, 1, padding=0)
        self.level_lines = [pg.InfiniteLine(angle=90, pen=LEVEL_PEN) for _ in range(2)]
        self.bar_level_lines = [pg.InfiniteLine(angle=90, pen=LEVEL_PEN) for _ in range(2)]
        for line in self.level_lines:
            self.plot.addItem(line)
        for line in self.bar_level_lines:
            self.bar_plot.addItem(line)

        plots = QVBoxLayout()
        plots.setSpacing(0)
        plots.addWidget(self.plot, stretch=1)
        plots.addWidget(self.bar_plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.mapping)
        layout.addWidget(self.range_label)
        layout.addLayout(plots, stretch=1)

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
        self.plot.setYRange(0, max(float(counts.max()), 1.0) * 1.05, padding=0)
        self.plot.setXRange(lo, hi, padding=0.02)
        steps = to_uint8(np.linspace(lo, hi, BAR_STEPS, dtype=np.float32)[None, :], levels)
        bar = np.repeat(steps[:, :, None], 3, axis=2) if lut is None else lut[steps]
        self.bar.setImage(bar, autoLevels=False, levels=(0, 255))
        self.bar.setRect(lo, 0, hi - lo, 1)
        for lines in (self.level_lines, self.bar_level_lines):
            for line, level in zip(lines, levels):
                line.setValue(level)
