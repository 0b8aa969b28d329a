"""At high zoom, each pixel's value written on it, in the input and the output views, so a
student can read the numbers the inspector adds up right where they are.

Drawn in screen coordinates (the view flips y, which would flip the text) with a white halo,
so the numbers read on dark and light pixels alike; only the pixels in view, and only when a
pixel is large enough on screen for its number.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainterPath, QPen

from gui.panels.image_panel import ImagePanel

#: Screen pixels one image pixel needs before its value is written on it.
MIN_PIXEL_PX = 36
MAX_LABELS = 2500
HALO = QPen(QColor(255, 255, 255, 230), 3)
INK = QColor(20, 20, 20)


def short_number(value: float) -> str:
    """Four significant digits: what fits on a pixel."""
    text = f"{float(value):.4g}"
    return "0" if text == "-0" else text


class PixelValueLabels(pg.GraphicsObject):
    def __init__(self, panel: ImagePanel, hidden: Callable[[], bool] = lambda: False,
                 points: Callable[[], float] = lambda: 9.0) -> None:
        super().__init__()
        self.panel, self.hidden, self.points = panel, hidden, points
        self.drawn: list[str] = []  # the labels of the last paint, for tests
        self.setZValue(5)  # above the image, below the window overlay
        panel.view_box.addItem(self, ignoreBounds=True)
        panel.image_item.sigImageChanged.connect(self._on_image)

    def _on_image(self) -> None:
        self.prepareGeometryChange()
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt override)
        values = self.panel.values
        if values is None:
            return QRectF()
        return QRectF(0, 0, values.shape[1], values.shape[0])

    def paint(self, painter, *_args) -> None:
        self.drawn = []
        values = self.panel.values
        if values is None or self.hidden():
            return
        transform = painter.transform()
        pixel_px = min(abs(transform.m11()), abs(transform.m22()))
        if pixel_px < MIN_PIXEL_PX:
            return
        view = self.panel.view_box.viewRect()
        height, width = values.shape[:2]
        rows = range(max(int(np.floor(view.top())), 0), min(int(np.ceil(view.bottom())), height))
        cols = range(max(int(np.floor(view.left())), 0), min(int(np.ceil(view.right())), width))
        if len(rows) * len(cols) > MAX_LABELS:
            return
        font = QFont(painter.font())
        font.setPointSizeF(max(6.0, min(self.points(), pixel_px / 5)))
        metrics = QFontMetricsF(font)
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        for row in rows:
            for col in cols:
                lines = [short_number(v) for v in np.atleast_1d(values[row, col])]
                centre = transform.map(QPointF(col + 0.5, row + 0.5))
                self._draw(painter, font, metrics, lines, centre)
                self.drawn.append(" ".join(lines))
        painter.restore()

    @staticmethod
    def _draw(painter, font, metrics, lines, centre) -> None:
        path = QPainterPath()
        top = centre.y() - metrics.height() * len(lines) / 2 + metrics.ascent()
        for index, line in enumerate(lines):
            x = centre.x() - metrics.horizontalAdvance(line) / 2
            path.addText(QPointF(x, top + index * metrics.height()), font, line)
        painter.strokePath(path, HALO)
        painter.fillPath(path, INK)
        painter.setPen(Qt.PenStyle.NoPen)
