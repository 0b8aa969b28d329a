"""An image in a zoomable, pannable pyqtgraph view with the value under the cursor.

Arrays go in row-major, C-contiguous float32 with explicit levels: pyqtgraph's fast path.
Only as many pixels as the screen can show are turned into an 8-bit picture (see
ScreenImageItem), so a 16-megapixel output repaints as fast as a small one. The view inverts
y (row 0 at the top, like the image file) and locks the aspect ratio so pixels stay square.

What the panel says follows the array it shows: the readout under the view gives the value of
the hovered pixel in the array on screen now (or nothing once that pixel is gone), a thin
frame marks the array's bounds (white or zero pixels on the white background stay visible),
and the pixel axes appear only with an array to measure.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QVBoxLayout, QWidget

from engine.formatting import format_number


class ScreenImageItem(pg.ImageItem):
    """An ImageItem that renders every n-th row and column when the view shows n image
    pixels per screen pixel, and renders again when the zoom changes.

    ``image`` always stays the full array. Picking every n-th pixel is what Qt's drawImage
    does anyway when it shrinks a picture, so what the screen shows is unchanged; only the
    float-to-8-bit conversion of pixels nobody sees is skipped (pyqtgraph's own
    autoDownsample averages blocks instead, which costs a pass over every value).
    """

    def __init__(self) -> None:
        super().__init__(axisOrder="row-major", autoDownsample=True)

    def render(self) -> None:
        full = self.image
        factors = self._computeDownsampleFactors() if full is not None else (1, 1)
        if factors[0] is None:  # not on screen yet: let pyqtgraph say so
            return super().render()
        cols, rows = factors
        self.autoDownsample = False
        if cols > 1 or rows > 1:
            self.image = full[::rows, ::cols]
        try:
            super().render()
        finally:
            self.image, self.autoDownsample = full, True
        self._lastDownsample = factors


#: The frame around every image: one screen pixel wide at any zoom, gray on white and on
#: white pixels alike.
BOUNDS_PEN = pg.mkPen((110, 110, 110), width=1, cosmetic=True)
AXES = ("left", "bottom")


class ImagePanel(QWidget):
    """A titled image view. ``image_item`` holds exactly the array last given to show()."""

    pixelHovered = Signal(int, int)  # row, col under the cursor (-1, -1 when outside)
    pixelClicked = Signal(int, int)  # row, col clicked with the left button

    def __init__(self, title: str, view_name: str, parent=None) -> None:
        super().__init__(parent)
        self.title = QLabel(title)
        self.title.setObjectName(f"{view_name}Title")
        self.title.setStyleSheet("font-weight: bold;")
        self.plot = pg.PlotWidget()
        self.plot.setObjectName(view_name)
        self.plot.setBackground("w")
        self.view_box = self.plot.getPlotItem().getViewBox()
        self.view_box.invertY(True)
        self.view_box.setAspectLocked(True)
        self.plot.getPlotItem().setLabel("left", "row")
        self.plot.getPlotItem().setLabel("bottom", "column")
        for axis in AXES:  # pixel indices: never "row (x0.001)"
            self.plot.getAxis(axis).enableAutoSIPrefix(False)
            self.plot.hideAxis(axis)  # until there is an image to measure
        self.image_item = ScreenImageItem()
        self.plot.addItem(self.image_item)
        self.bounds = QGraphicsRectItem()
        self.bounds.setPen(BOUNDS_PEN)
        self.bounds.setZValue(5)  # over the image, under the overlays
        self.bounds.setVisible(False)
        self.view_box.addItem(self.bounds, ignoreBounds=True)
        self.readout = QLabel(" ")
        self.readout.setObjectName(f"{view_name}Readout")
        self.caption = QLabel(" ")
        self.caption.setObjectName(f"{view_name}Caption")
        self.caption.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.title)
        layout.addWidget(self.plot, stretch=1)
        layout.addWidget(self.readout)
        layout.addWidget(self.caption)

        self._values: np.ndarray | None = None
        self._hovered: tuple[int, int] | None = None  # the pixel under the cursor
        self.values_hidden = False  # predict mode: the readout says "?", not the value
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plot.scene().sigMouseClicked.connect(self._on_mouse_clicked)

    @property
    def values(self) -> np.ndarray | None:
        """The (H, W) float32 array on screen, unmapped."""
        return self._values

    def show_array(self, values: np.ndarray, levels: tuple[float, float]) -> None:
        first = self._values is None or self._values.shape[:2] != values.shape[:2]
        self._values = np.ascontiguousarray(values, dtype=np.float32)
        self.image_item.setImage(self._values, levels=levels, autoLevels=False)
        if first:
            height, width = self._values.shape[:2]
            self.bounds.setRect(QRectF(0, 0, width, height))
            self.bounds.setVisible(True)
            for axis in AXES:
                self.plot.showAxis(axis)
            self.view_box.autoRange(padding=0.02)
            self._hovered = None  # the view moved: the cursor is over another pixel now
        self._show_readout()

    def clear(self) -> None:
        self._values = None
        self._hovered = None
        self.image_item.clear()
        self.bounds.setVisible(False)
        for axis in AXES:
            self.plot.hideAxis(axis)
        self._show_readout()

    def pixel_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        if self._values is None:
            return None
        point = self.view_box.mapSceneToView(scene_pos)
        row, col = int(np.floor(point.y())), int(np.floor(point.x()))
        height, width = self._values.shape[:2]
        if 0 <= row < height and 0 <= col < width:
            return row, col
        return None

    def _show_readout(self) -> None:
        """The hovered pixel's value in the array on screen now, or nothing."""
        if self._hovered is None or self._values is None:
            self.readout.setText(" ")
            return
        row, col = self._hovered
        value = "?" if self.values_hidden else ", ".join(
            format_number(v) for v in np.atleast_1d(self._values[row, col]))
        self.readout.setText(f"row {row}, column {col}: {value}")

    def set_values_hidden(self, hidden: bool) -> None:
        """Predict mode: the value under the cursor would give the answer away."""
        self.values_hidden = hidden
        self._show_readout()

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        self._hovered = self.pixel_at(scene_pos)
        self._show_readout()
        self.pixelHovered.emit(*(self._hovered or (-1, -1)))

    def _on_mouse_clicked(self, event) -> None:
        pixel = self.pixel_at(event.scenePos())
        if pixel is not None and event.button() == Qt.MouseButton.LeftButton:
            self.pixelClicked.emit(*pixel)
