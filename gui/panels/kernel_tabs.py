"""The kernel tables: one table for a grayscale input, or for a colour input either one
table shared by R, G and B or one tab per channel.

A colour Conv2D has a (kh, kw, 3, 1) kernel: each channel is weighted by its own plane and
the three results are summed. "Same kernel for all channels" keeps the three planes equal,
so one table edits them all.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QTabWidget, QVBoxLayout, QWidget

from engine.kernels.edits import channels_identical, to_channels
from engine.model.spec import ConvSpec
from gui.panels.kernel_table import KernelTable
from gui.state import AppState, signals_blocked

CHANNEL_NAMES = ("R", "G", "B")


class KernelTabs(QWidget):
    entryRefused = Signal(str)

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
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
        self.same_kernel.setChecked(True)
        self.same_kernel.setToolTip(
            "RGB input: checked, one table sets the R, G and B planes of the kernel alike; "
            "unchecked, each channel has its own tab. The layer sums the three results.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs, stretch=1)
        layout.addWidget(self.same_kernel)

        for table in (self.shared_table, *self.channel_tables):
            table.entryRefused.connect(self.entryRefused)
        self.same_kernel.toggled.connect(self._on_same_kernel)
        self._shown_layout: tuple[bool, bool] | None = None
        state.specChanged.connect(self.show_spec)
        self.show_spec(state.spec)

    @property
    def per_channel(self) -> bool:
        return self.state.spec.channels > 1 and not self.same_kernel.isChecked()

    def show_spec(self, spec: ConvSpec) -> None:
        color = spec.channels > 1
        with signals_blocked(self.same_kernel):
            if color and not channels_identical(spec.kernel):
                self.same_kernel.setChecked(False)  # e.g. undo back to separate planes
        per_channel = self.per_channel
        if (color, per_channel) == self._shown_layout:
            return  # most edits change weights only; re-laying the tabs costs milliseconds
        self._shown_layout = (color, per_channel)
        self.same_kernel.setVisible(color)
        self.tabs.setTabVisible(0, not per_channel)
        self.tabs.setTabText(0, "R = G = B" if color else "weights")
        for index in range(1, 1 + len(CHANNEL_NAMES)):
            self.tabs.setTabVisible(index, per_channel)
        if per_channel and self.tabs.currentIndex() == 0:
            self.tabs.setCurrentIndex(1)
        if not per_channel:
            self.tabs.setCurrentIndex(0)

    def _on_same_kernel(self, same: bool) -> None:
        spec = self.state.spec
        if same and not channels_identical(spec.kernel):
            self.state.update_spec(kernel=to_channels(spec.kernel, spec.channels))
        self._shown_layout = None
        self.show_spec(self.state.spec)
