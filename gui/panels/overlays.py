"""Drawings over the image views, in pixel coordinates (pixel (r, c) covers [c, c+1) x [r, r+1)).

CoverageOverlay marks on the input what the shape explanation says in words: the rows and
columns no window reads, and the zero border 'same' padding adds. WindowOverlay draws the
kernel window of one output pixel: its taps (dilated taps as separate squares, padding taps
outside the image) and the output pixel it makes.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QGraphicsRectItem

from engine.arithmetic.receptive_field import Tap, Window
from engine.arithmetic.shapes import explain_shape
from engine.model.errors import LayerSpecError
from gui.panels.image_panel import ImagePanel
from gui.state import AppState

UNREAD_BRUSH = pg.mkBrush(220, 40, 40, 90)
UNREAD_PEN = pg.mkPen((220, 40, 40), width=1)  # cosmetic: one row stays visible zoomed out
TAP_BRUSH = pg.mkBrush(255, 140, 0, 150)
PADDING_TAP_BRUSH = pg.mkBrush(150, 150, 150, 170)
WINDOW_PEN = pg.mkPen((255, 120, 0), width=2)
TRAIL_PEN = pg.mkPen((255, 120, 0, 140), width=1, style=Qt.PenStyle.DashLine)
PADDING_PEN = pg.mkPen((90, 90, 90), width=1, style=Qt.PenStyle.DashLine)
PIXEL_PEN = pg.mkPen((0, 170, 255), width=2)
TAP_SIZE = 0.8  # a tap square is a little smaller than its pixel, so neighbours stay apart


def _rect_item(panel: ImagePanel, pen=None, brush=None, tooltip: str = "") -> QGraphicsRectItem:
    item = QGraphicsRectItem()
    item.setPen(pen or pg.mkPen(None))
    item.setBrush(brush or pg.mkBrush(None))
    item.setZValue(10)
    item.setToolTip(tooltip)
    item.setVisible(False)
    panel.view_box.addItem(item, ignoreBounds=True)
    return item


def _place(item: QGraphicsRectItem, x: float, y: float, width: float, height: float) -> None:
    item.setRect(QRectF(x, y, width, height))
    item.setVisible(width > 0 and height > 0)


class CoverageOverlay:
    """Translucent red over the input rows/columns at the end that no window reads, and a
    dashed frame where 'same' padding puts its zeros. Nothing for settings Keras refuses: no
    window of theirs reads anything."""

    def __init__(self, state: AppState, panel: ImagePanel) -> None:
        self.state = state
        tip = "No window of the layer reads these input pixels (see the shape explanation)."
        self.unread_rows = _rect_item(panel, UNREAD_PEN, UNREAD_BRUSH, tip)
        self.unread_cols = _rect_item(panel, UNREAD_PEN, UNREAD_BRUSH, tip)
        self.padding = _rect_item(panel, pen=PADDING_PEN,
                                  tooltip="'same' padding: zeros around the image")
        self._drawn_for: tuple | None = None  # the state geometry drawn
        state.specChanged.connect(self.refresh)
        state.imageChanged.connect(self.refresh)
        self.refresh()

    def refresh(self, *_changed) -> None:
        image, geometry = self.state.image, self.state.geometry()
        if image is None or geometry == self._drawn_for:
            return  # no image yet, or a weight edit: nothing to redraw
        self._drawn_for = geometry
        (height, width), spec = image.hw, self.state.spec
        try:
            self.state.model.check(image.nhwc_shape)
        except LayerSpecError:
            for item in (self.unread_rows, self.unread_cols, self.padding):
                item.setVisible(False)
            return
        rows, cols = explain_shape(image.hw, spec)
        _place(self.unread_rows, 0, height - rows.uncovered, width, rows.uncovered)
        _place(self.unread_cols, width - cols.uncovered, 0, cols.uncovered, height)
        if rows.pad_before + rows.pad_after + cols.pad_before + cols.pad_after == 0:
            self.padding.setVisible(False)  # not shown then hidden: each toggle repaints
        else:
            _place(self.padding, -cols.pad_before, -rows.pad_before,
                   width + cols.pad_before + cols.pad_after,
                   height + rows.pad_before + rows.pad_after)


class WindowOverlay:
    """One output pixel's window on the input and the pixel itself on the output."""

    def __init__(self, input_panel: ImagePanel, output_panel: ImagePanel) -> None:
        self.input_panel, self.output_panel = input_panel, output_panel
        self.trail = _rect_item(input_panel, pen=TRAIL_PEN,
                                tooltip="the previous window: the stride is the jump")
        self.frame = _rect_item(input_panel, pen=WINDOW_PEN, tooltip="the kernel window")
        self.taps = pg.ScatterPlotItem(pxMode=False, symbol="s", size=TAP_SIZE,
                                       pen=pg.mkPen(None))
        self.taps.setZValue(11)
        input_panel.view_box.addItem(self.taps, ignoreBounds=True)
        self.pixel = _rect_item(output_panel, pen=PIXEL_PEN, tooltip="the output pixel")
        self.window: Window | None = None

    def show(self, window: Window, taps: list[Tap], out_row: int, out_col: int,
             trail: bool = False) -> None:
        previous = self.window
        if trail and previous is not None:
            _place(self.trail, previous.left, previous.top, previous.width, previous.height)
        else:
            self.trail.setVisible(False)
        self.window = window
        _place(self.frame, window.left, window.top, window.width, window.height)
        self.taps.setData(
            x=[tap.input_index[1] + 0.5 for tap in taps],
            y=[tap.input_index[0] + 0.5 for tap in taps],
            brush=[TAP_BRUSH if tap.inside else PADDING_TAP_BRUSH for tap in taps])
        self.taps.setVisible(True)
        _place(self.pixel, out_col, out_row, 1, 1)

    def clear(self) -> None:
        self.window = None
        for item in (self.trail, self.frame, self.taps, self.pixel):
            item.setVisible(False)

    def zoom(self, margin: int = 8) -> None:
        """Bring the window (and its output pixel) into view, a few pixels around it."""
        if self.window is None:
            return
        w = self.window
        self.input_panel.view_box.setRange(
            QRectF(w.left - margin, w.top - margin, w.width + 2 * margin, w.height + 2 * margin),
            padding=0)
        pixel = self.pixel.rect()
        self.output_panel.view_box.setRange(
            pixel.adjusted(-margin, -margin, margin, margin), padding=0)
