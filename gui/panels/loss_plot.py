"""The loss of every training step on a log scale, with the step count and steps per second.

A falling loss spans many decades (thousands at the first step, below 1e-6 near the answer),
so only a log scale shows all of it. pyqtgraph thins the curve to what the screen can show,
so a long run redraws as fast as a short one. The curve is redrawn at most REDRAW_HZ times a
second: its axes, retitled at every redraw, cost more to paint than the output itself, and
the window has the layer's output to redraw too.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from engine.formatting import format_number
from gui.training.state import TrainState

#: log10 has no value at 0 (an exact fit): such a loss is drawn at the smallest float32.
FLOOR = float(np.finfo(np.float32).tiny)
#: Redraws per second at most while training runs.
REDRAW_HZ = 5


def status_text(train: TrainState) -> str:
    """``step 826, 263 steps/s, loss 0.00123 (MSE)`` (what the plot's caption says)."""
    parts = [f"step {train.steps:,}"]
    if train.running and train.steps_per_second:
        parts.append(f"{train.steps_per_second:.0f} steps/s")
    if train.loss is not None:
        parts.append(f"loss {format_number(train.loss)} ({train.settings.loss.upper()})")
    return ", ".join(parts)


class LossPlot(QWidget):
    def __init__(self, train: TrainState, parent=None) -> None:
        super().__init__(parent)
        self.train = train
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("lossPlot")
        self.plot.setBackground("w")
        self.plot.setLogMode(x=False, y=True)
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "step")
        item.setLabel("left", "loss (log)")
        self.curve = self.plot.plot(pen=pg.mkPen("#1f5fbf", width=1.5))
        self.curve.setDownsampling(auto=True, method="peak")
        self.curve.setClipToView(True)
        item.disableAutoRange()  # ranges that change only now and then: see _fit
        self._range = None
        self.status = QLabel(" ")
        self.status.setObjectName("trainStatus")
        # new text never re-lays out the tab (which would repaint every plot in it)
        self.status.setFixedHeight(self.status.sizeHint().height())
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, stretch=1)
        layout.addWidget(self.status)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(1000 // REDRAW_HZ)
        self._timer.timeout.connect(self.redraw)
        train.progressed.connect(self._soon)
        train.runningChanged.connect(lambda _running: self.redraw())
        self.redraw()

    def _soon(self) -> None:
        """Redraw now when paused (a Step, a Reset), else within 1 / REDRAW_HZ s."""
        if not self.train.running:
            self.redraw()
        elif not self._timer.isActive():
            self._timer.start()

    def redraw(self) -> None:
        self._timer.stop()
        losses = self.train.losses
        if losses.size:
            values = np.maximum(losses.astype(np.float64), FLOOR)
            self.curve.setData(np.arange(1, losses.size + 1), values)
            self._fit(losses.size, float(values.min()), float(values.max()))
        else:
            self.curve.setData([], [])
        self.status.setText(status_text(self.train))

    def _fit(self, steps: int, low: float, high: float) -> None:
        """Steps up to the next power of two, whole decades of loss: the axes change (and
        their ticks are worked out again) only when the curve outgrows them."""
        wanted = (1 << max(steps - 1, 1).bit_length(), int(np.floor(np.log10(low))),
                  int(np.ceil(np.log10(high))) + (low == high))
        if wanted != self._range:
            self._range = wanted
            self.plot.setXRange(0, wanted[0], padding=0)
            self.plot.setYRange(wanted[1], wanted[2], padding=0)  # log10 units in log mode
