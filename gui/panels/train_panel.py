"""The Train tab: watch Keras fit the layer to a target, live.

Only assembly: the controls (gui/panels/train_controls.py), the loss curve
(gui/panels/loss_plot.py), the target output and the weight comparison
(gui/panels/target_compare.py) and the gradient of one weight (gui/panels/gradient_note.py),
side by side under the views, so the kernel table and the output stay in sight while they
change.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QSplitter, QWidget

from gui.panels.gradient_note import GradientNote
from gui.panels.loss_plot import LossPlot
from gui.panels.target_compare import TargetCompare
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
        self.compare = TargetCompare(state, train)
        self.gradient = GradientNote(state, train)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.controls)
        scroll.setMinimumWidth(300)
        columns = QSplitter(Qt.Orientation.Horizontal)
        for widget, stretch in ((scroll, 2), (self.loss_plot, 3), (self.compare, 2),
                                (self.gradient, 3)):
            columns.addWidget(widget)
            columns.setStretchFactor(columns.count() - 1, stretch)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(columns)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Opening the tab shows the loss, the gradient and the target output for the weights
        on screen, before any step."""
        super().showEvent(event)
        self.train.request("refresh")
