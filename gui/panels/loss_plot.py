"""The loss of every training step on a log scale, with the step count and steps per second.

A falling loss spans many decades (thousands at the first step, below 1e-6 near the answer),
so only a log scale shows all of it. pyqtgraph thins the curve to what the screen can show,
so a long run redraws as fast as a short one.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engine.formatting import format_number
from gui.training.state import TrainState

#: log10 has no value at 0 (an exact fit): such a loss is drawn at the smallest float32.
FLOOR = float(np.finfo(np.float32).tiny)


def status_text(train: TrainState) -> str:
    """``step 826, 263 steps/s, loss 0.00123`` (what the plot's caption says)."""
    parts = [f"step {train.steps:,}"]
    if train.running and train.steps_per_second:
        parts.append(f"{train.steps_per_second:.0f} steps/s")
    if train.loss is not None:
        parts.append(f"loss {format_number(train.loss)} ({train.settings.loss_words})")
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
        item.setLabel("left", "loss (log scale)")
        self.curve = self.plot.plot(pen=pg.mkPen("#1f5fbf", width=1.5))
        self.curve.setDownsampling(auto=True, method="peak")
        self.curve.setClipToView(True)
        self.status = QLabel(" ")
        self.status.setObjectName("trainStatus")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, stretch=1)
        layout.addWidget(self.status)
        train.progressed.connect(self.redraw)
        train.runningChanged.connect(lambda _running: self.redraw())
        self.redraw()

    def redraw(self) -> None:
        losses = self.train.losses
        if losses.size:
            self.curve.setData(np.arange(1, losses.size + 1),
                               np.maximum(losses.astype(np.float64), FLOOR))
        else:
            self.curve.setData([], [])
        self.status.setText(status_text(self.train))
