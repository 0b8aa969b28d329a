"""The kernel tables of the selected filter: a filter selector, then one table for a
grayscale input, or for a colour input either one table shared by R, G and B or one tab per
channel.

A colour Conv2D filter has a (kh, kw, 3) block of weights: each channel is weighted by its
own plane and the three results are summed. "Same kernel for all channels" (the state's
``same_kernel``) keeps the three planes equal, so one table edits them all.

A QTabBar lays its tabs out only while it is visible: a label changed while the Kernel tab is
hidden (the channel mode is switched on the Layer tab) would keep the old label's width and
show clipped ("R = G = B" as ". = G ="), so such a change is laid out again when shown.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.model.conv import ConvSpec
from gui.panels.kernel_table import KernelTable
from gui.state import AppState, signals_blocked

CHANNEL_NAMES = ("R", "G", "B")


class FilterSelect(QComboBox):
    """Which filter the tables edit (and which feature map the output view shows)."""

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("filterSelect")
        self.setToolTip("The filter whose weights the table shows; its feature map is the "
                        "large output. Clicking a map in the grid selects it too.")
        self.state = state
        self.currentIndexChanged.connect(state.select_filter)
        state.specChanged.connect(self.refresh)
        state.selectionChanged.connect(self.refresh)
        self.refresh()

    def refresh(self, *_changed) -> None:
        filters = self.state.spec.filters
        with signals_blocked(self):
            if self.count() != filters:
                self.clear()
                self.addItems([f"filter {f}" for f in range(filters)])
            self.setCurrentIndex(self.state.selected_filter)


class KernelTabs(QWidget):
    entryRefused = Signal(str)

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.filter_select = FilterSelect(state)
        self.shared_table = KernelTable(state)
        self.channel_tables = [KernelTable(state, channel=c, name=f"kernelTable{n}")
                               for c, n in enumerate(CHANNEL_NAMES)]
        self.tabs = QTabWidget()
        self.tabs.setObjectName("kernelTabs")
        self.tabs.addTab(self.shared_table, "weights")
        for table, name in zip(self.channel_tables, CHANNEL_NAMES):
            self.tabs.addTab(table, name)
        self.same_kernel = QCheckBox("Same kernel for all channels")
        self.same_kernel.setObjectName("sameKernel")
        self.same_kernel.setToolTip(
            "RGB input: checked, one table sets the R, G and B planes of the kernel alike; "
            "unchecked, each channel has its own tab. The layer sums the three results.")
        self.filter_row = QWidget()
        filter_row = QHBoxLayout(self.filter_row)
        filter_row.setContentsMargins(0, 0, 0, 0)
        filter_row.addWidget(QLabel("Editing"))
        filter_row.addWidget(self.filter_select, stretch=1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter_row)
        layout.addWidget(self.tabs, stretch=1)
        layout.addWidget(self.same_kernel)

        for table in (self.shared_table, *self.channel_tables):
            table.entryRefused.connect(self.entryRefused)
        self.same_kernel.toggled.connect(state.set_same_kernel)
        self._shown_layout: tuple | None = None
        self._laid_out_hidden = False  # tabs changed while hidden: lay them out when shown
        state.specChanged.connect(self.show_spec)
        state.sameKernelChanged.connect(lambda _same: self.show_spec(state.spec))
        self.show_spec(state.spec)

    @property
    def per_channel(self) -> bool:
        return self.state.spec.channels > 1 and not self.state.same_kernel

    def show_spec(self, spec: ConvSpec) -> None:
        color = spec.channels > 1
        per_channel = self.per_channel
        layout = (color, per_channel, spec.filters > 1)
        if layout == self._shown_layout:
            return  # most edits change weights only; re-laying the tabs costs milliseconds
        self._shown_layout = layout
        self._laid_out_hidden = not self.isVisible()
        with signals_blocked(self.same_kernel):
            self.same_kernel.setChecked(self.state.same_kernel)
        self.same_kernel.setVisible(color)
        self.filter_row.setVisible(spec.filters > 1)
        self.tabs.setTabVisible(0, not per_channel)
        self.tabs.setTabText(0, "R = G = B" if color else "weights")
        for index in range(1, 1 + len(CHANNEL_NAMES)):
            self.tabs.setTabVisible(index, per_channel)
        if per_channel and self.tabs.currentIndex() == 0:
            self.tabs.setCurrentIndex(1)
        if not per_channel:
            self.tabs.setCurrentIndex(0)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self._laid_out_hidden:
            self._shown_layout = None
            self.show_spec(self.state.spec)
