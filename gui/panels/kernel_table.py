"""The editable kernel of the selected filter: one cell per weight, applied as soon as a cell
is committed.

A cell that is not a usable number is refused where it is typed: it turns red, its tooltip
says why, and the last valid kernel stays in force (the typed text stays visible so nothing
is lost). The reason quotes at most the start and end of what was typed, so a megabyte pasted
into a cell never reaches a tooltip or the banner.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from engine.formatting import format_number
from engine.kernels.text import parse_number
from engine.model.conv import ConvSpec
from engine.model.errors import LayerSpecError
from gui.panels.message_banner import brief
from gui.state import AppState, signals_blocked

INVALID_BRUSH = QBrush(QColor("#f8c8c8"))
ROW_PX = 30  # the smallest height a row of cells is squeezed to
MIN_ROWS_SHOWN = 3


class KernelTable(QTableWidget):
    entryRefused = Signal(str)  # why a typed entry was not applied

    def __init__(self, state: AppState, channel: int | None = None,
                 name: str = "kernelTable", parent=None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.state = state
        self.channel = channel  # which input channel this table edits; None: all of them
        # A conv reading feature maps: the table edits the state's selected input channel.
        self.follow_channel = False
        self._own_edit = False
        self.setToolTip("Kernel weights. Keras slides this window over the image without "
                        "flipping it (cross-correlation).")
        self.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            header.setMinimumSectionSize(ROW_PX)
        self.itemChanged.connect(self._on_item_changed)
        state.specChanged.connect(self.show_spec)
        state.selectionChanged.connect(self._on_selection)
        state.inputChannelChanged.connect(self._on_selection)
        self.show_spec(state.spec)

    @property
    def edited_channel(self) -> int | None:
        """The input channel this table shows and edits (None: every channel at once)."""
        return self.state.selected_channel if self.follow_channel else self.channel

    @property
    def invalid_cells(self) -> list[tuple[int, int]]:
        return [(item.row(), item.column()) for item in self._items()
                if item.data(Qt.ItemDataRole.UserRole)]

    def _on_selection(self, *_selection) -> None:
        self._own_edit = False
        self.show_spec(self.state.spec)

    def show_spec(self, spec: ConvSpec) -> None:
        """Mirror the selected filter's weights. A refused cell keeps its text while the user
        edits other cells; a kernel set from elsewhere (a preset, undo, a file, another
        filter) replaces it."""
        if spec.kind != "Conv2D":
            return  # a layer without a kernel: the kernel page is not shown
        channel = self.edited_channel
        if channel is not None and spec.channels <= channel:
            return  # a per-channel table has no plane to show (it is hidden in gray mode)
        kernel = spec.kernel[:, :, channel or 0, self.state.selected_filter]
        rows, cols = kernel.shape
        with signals_blocked(self):
            if (self.rowCount(), self.columnCount()) != (rows, cols):
                self.clear()
                self.setRowCount(rows)
                self.setColumnCount(cols)
                # 0-based, like the kernel's indices in NumPy and Keras
                self.setVerticalHeaderLabels([str(r) for r in range(rows)])
                self.setHorizontalHeaderLabels([str(c) for c in range(cols)])
                # every row of a small kernel in view; a large one (up to 15) scrolls
                header = self.horizontalHeader().sizeHint().height()
                self.setMinimumHeight(header + min(rows, MIN_ROWS_SHOWN) * ROW_PX + 4)
            for r in range(rows):
                for c in range(cols):
                    item = self.item(r, c)
                    if item is None:
                        item = QTableWidgetItem()
                        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                        self.setItem(r, c, item)
                    if item.data(Qt.ItemDataRole.UserRole) and not self._own_edit:
                        self._mark(item, None)
                    if not item.data(Qt.ItemDataRole.UserRole):
                        item.setText(format_number(kernel[r, c]))

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        try:
            value = parse_number(item.text())
        except LayerSpecError as exc:
            reason = brief(str(exc))
            self._mark(item, reason)
            self.entryRefused.emit(f"Kernel cell ({item.row()}, {item.column()}) not applied: "
                                   f"{reason}")
            return
        if item.data(Qt.ItemDataRole.UserRole):  # it was marked refused: clear that
            self._mark(item, None)
        self._own_edit = True
        try:
            self.state.set_kernel_entry(item.row(), item.column(), value, self.edited_channel)
        finally:
            self._own_edit = False

    def _mark(self, item: QTableWidgetItem, problem: str | None) -> None:
        with signals_blocked(self):
            item.setData(Qt.ItemDataRole.UserRole, problem)
            item.setBackground(INVALID_BRUSH if problem else QBrush())
            item.setToolTip(f"Not applied: {problem} The last valid value is still in use."
                            if problem else "")

    def _items(self):
        for r in range(self.rowCount()):
            for c in range(self.columnCount()):
                if self.item(r, c) is not None:
                    yield self.item(r, c)
