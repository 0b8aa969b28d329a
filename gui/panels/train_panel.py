"""The Train tab: watch Keras fit the layer to a target, live.

Only assembly, in three columns under the views (so the kernel table and the output stay in
sight while they change): the controls (gui/panels/train_controls.py); the loss curve
(gui/panels/loss_plot.py) over the learned and target weights; the target output
(gui/panels/target_compare.py) over the gradient of one weight (gui/panels/gradient_note.py).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QSplitter, QWidget

from gui.panels.gradient_note import GradientNote
from gui.panels.loss_plot import LossPlot
from gui.panels.target_compare import TargetOutput, WeightCompare
from gui.panels.train_controls import TrainControls
from gui.state import AppState
from gui.training.state import TrainState


class TrainPanel(QWidget):
    def __init__(self, state: AppState, train: TrainState, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("trainPanel")
        self.train = train
        self.controls = TrainControls(state, train)
        self.loss_plot = LossPlot(train)
        self.target_output = TargetOutput(state, train)
        self.compare = WeightCompare(state, train)
        self.gradient = GradientNote(state, train)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.controls)
        scroll.setMinimumWidth(300)
        columns = QSplitter(Qt.Orientation.Horizontal)
        columns.addWidget(scroll)
        for top, bottom, sizes in ((self.loss_plot, self.compare, [150, 230]),
                                   (self.target_output, self.gradient, [220, 160])):
            column = QSplitter(Qt.Orientation.Vertical)
            column.addWidget(top)
            column.addWidget(bottom)
            column.setSizes(sizes)
            columns.addWidget(column)
            columns.setStretchFactor(columns.count() - 1, 1)
        columns.setSizes([300, 310, 310])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(columns)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Opening the tab shows the loss, the gradient and the target output for the weights
        on screen, before any step."""
        super().showEvent(event)
        self.train.request("refresh")
