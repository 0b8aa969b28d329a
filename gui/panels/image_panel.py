"""An image in a zoomable, pannable pyqtgraph view with the value under the cursor.

Arrays go in row-major float32 with explicit levels, as they are (a strided feature map is
not copied). Only the pixels the screen shows are turned into an 8-bit picture (see
ScreenImageItem), so a 16-megapixel output repaints as fast as a small one. The view inverts
y (row 0 at the top, like the image file) and locks the aspect ratio so pixels stay square.

What the panel says follows the array it shows: the readout under the view gives the value of
the hovered pixel in the array on screen now (or nothing once that pixel is gone), a thin
frame marks the array's bounds (white or zero pixels on the white background stay visible),
and the pixel axes appear only with an array to measure.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QVBoxLayout, QWidget

from engine.formatting import format_number
from engine.images.display import to_uint8


class ScreenImageItem(pg.ImageItem):
    """An ImageItem that turns into an 8-bit picture only the pixels the screen shows: the
    part of the image in view, one value per screen pixel, drawn 1:1.

    ``image`` always stays the full array (any strides: a feature map of a multi-filter
    output is a strided view, never copied). Zoomed out, each screen pixel takes the image
    pixel under its centre, which is what Qt's drawImage does anyway when it shrinks a
    picture without smoothing, so what the screen shows is unchanged; only the conversion of
    pixels nobody sees is skipped, and Qt no longer rescales the picture at each repaint.
    Zoomed in, only the visible rows and columns are converted. A zoom or a pan renders
    again when it changes which pixels are shown.
    """

    def __init__(self) -> None:
        super().__init__(axisOrder="row-major")
        self._plan: tuple | None = None  # what was rendered last: see _screen_plan
        self._drawn = QRectF()  # where that picture goes, in image pixels
        self._pixels: np.ndarray | None = None  # the memory of a picture made here
        self._colours_key: bytes | None | int = 0  # which lookup table _colours_table is
        self._colours_table: np.ndarray | None = None

    def setImage(self, image=None, autoLevels=None, **kwargs) -> None:  # noqa: N802
        if image is not None:
            self._plan = None
        super().setImage(image, autoLevels, **kwargs)

    def render(self) -> None:
        full = self.image
        plan = self._screen_plan() if full is not None else None
        if plan is None:  # not on screen yet: the whole image
            self._drawn = QRectF(0, 0, full.shape[1], full.shape[0]) if full is not None \
                else QRectF()
            return super().render()
        rows, cols, drawn = plan
        picture = _gather(full, rows, cols)
        if not self._render_rgb32(picture):
            try:
                self.image = picture
                super().render()
            finally:
                self.image = full
        self._plan, self._drawn = _key(plan, full.shape), drawn

    def _render_rgb32(self, picture: np.ndarray) -> bool:
        """The picture as 32-bit RGB, the format Qt draws fastest, with the levels and the
        lookup table (rounded as the PNG export rounds them). False where pyqtgraph's own
        conversion must do it (per-channel levels, NaN to show transparent)."""
        levels = None if self.levels is None else np.asarray(self.levels, np.float64)
        if (levels is None or levels.shape != (2,) or picture.dtype.kind != "f"
                or picture.ndim not in (2, 3) or levels[1] <= levels[0]
                or (picture.ndim == 3 and picture.shape[2] != 3)
                or np.isnan(picture.min())):
            return False
        steps = to_uint8(picture, (float(levels[0]), float(levels[1])))
        if steps.ndim == 2:
            pixels = self._colours()[steps]
        else:
            channels = steps.astype(np.uint32)
            pixels = (0xFF000000 | channels[..., 0] << 16 | channels[..., 1] << 8
                      | channels[..., 2]).astype(np.uint32)
        pixels = np.ascontiguousarray(pixels)
        height, width = pixels.shape
        self._pixels = pixels  # the QImage reads this memory: keep it alive
        self.qimage = QImage(pixels.data, width, height, 4 * width, QImage.Format.Format_RGB32)
        self._renderRequired = False
        self._unrenderable = False
        return True

    def _colours(self) -> np.ndarray:
        """(256,) uint32 0xFFRRGGBB: the lookup table, or gray."""
        lut = self.lut if isinstance(self.lut, np.ndarray) else None
        key = None if lut is None else lut.tobytes()
        if self._colours_key != key:
            table = np.repeat(np.arange(256, dtype=np.uint32)[:, None], 3, axis=1) \
                if lut is None else np.asarray(lut, np.uint32)[:, :3]
            if len(table) != 256:  # another size: stretched over the 256 steps
                table = table[np.linspace(0, len(table) - 1, 256).round().astype(int)]
            self._colours_table = (0xFF000000 | table[:, 0] << 16 | table[:, 1] << 8
                                   | table[:, 2]).astype(np.uint32)
            self._colours_key = key
        return self._colours_table

    def paint(self, painter, *args) -> None:
        if self.image is None:
            return
        if self._renderRequired:
            self.render()
            if self._unrenderable:
                return
        painter.drawImage(self._drawn, self.qimage)

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph override)
        if self.image is None:
            return
        plan = self._screen_plan()
        if plan is None or _key(plan, self.image.shape) != self._plan:
            self._renderRequired = True
            self.update()

    def _screen_plan(self):
        """(rows, cols, drawn): the image's rows and columns to convert (slices, or index
        arrays picking one per screen pixel) and the rectangle they cover; None when the
        item is not on a screen yet."""
        origin = self.mapToDevice(QPointF(0, 0))
        across = self.mapToDevice(QPointF(1, 0))
        down = self.mapToDevice(QPointF(0, 1))
        view = self.getViewBox()
        if origin is None or across is None or down is None or view is None:
            return None
        per_col = math.hypot(across.x() - origin.x(), across.y() - origin.y())
        per_row = math.hypot(down.x() - origin.x(), down.y() - origin.y())
        if per_col == 0 or per_row == 0:
            return None
        height, width = self.image.shape[:2]
        seen = self.mapRectFromView(view.viewRect())
        left, right = _span(seen.left(), seen.right(), width)
        top, bottom = _span(seen.top(), seen.bottom(), height)
        if right <= left or bottom <= top:  # out of view: one pixel keeps it renderable
            left, right, top, bottom = 0, 1, 0, 1
        rows = _pick(top, bottom, per_row)
        cols = _pick(left, right, per_col)
        if isinstance(rows, slice) != isinstance(cols, slice):  # one kind for indexing
            rows, cols = _as_index(rows), _as_index(cols)
        return rows, cols, QRectF(left, top, right - left, bottom - top)


def _gather(full: np.ndarray, rows, cols) -> np.ndarray:
    """full[rows, cols] for slices or index arrays, the fastest way for its memory layout:
    two ``take`` along rows of contiguous values, one fancy index across strided ones (a
    feature map of a multi-filter output)."""
    if isinstance(rows, slice):
        return full[rows, cols]
    if full.strides[1] == full.itemsize:
        return np.take(np.take(full, rows, axis=0), cols, axis=1)
    return full[np.ix_(rows, cols)]


def _key(plan, shape) -> tuple:
    """What decides the picture: the rectangle, how many rows and columns, the image shape."""
    rows, cols, drawn = plan
    return (drawn.getRect(), _count(rows), _count(cols), shape)


def _count(pick) -> int:
    return pick.stop - pick.start if isinstance(pick, slice) else len(pick)


def _span(low: float, high: float, size: int) -> tuple[int, int]:
    """Whole image pixels from ``low`` to ``high`` (one more each side), inside 0..size."""
    return max(0, math.floor(min(low, high)) - 1), min(size, math.ceil(max(low, high)) + 1)


def _pick(start: int, stop: int, screen_per_pixel: float):
    """The pixels start..stop as the screen shows them: all of them (a slice) when each
    gets a screen pixel or more, else one per screen pixel (the one under its centre)."""
    count = stop - start
    shown = max(1, math.ceil(count * screen_per_pixel))
    if shown >= count:
        return slice(start, stop)
    return start + ((np.arange(shown) + 0.5) * (count / shown)).astype(np.intp)


def _as_index(pick) -> np.ndarray:
    return np.arange(pick.start, pick.stop) if isinstance(pick, slice) else pick


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
            # An axis that may shrink to its labels oscillates with the locked aspect: a
            # narrower axis widens the view, the new range's labels are wider, and so on.
            self.plot.getAxis(axis).setStyle(autoReduceTextSpace=False)
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
        self._values = np.asarray(values, dtype=np.float32)  # a view stays a view
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
