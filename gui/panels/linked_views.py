"""Linked views: the input and the output on one scale, their top-left corners aligned, so a
stride of 3 visibly shrinks the output to a third of the input.

Zooming or panning either view moves the other to the same image coordinates at the same
screen size per pixel. When a view fits a new image (its shape changed), the other one leads:
the output follows the input, never the other way round.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QFontMetricsF

from gui.panels.image_panel import ImagePanel

AXIS_PADDING = 8  # both left axes equally wide (room for "-00000"), so the images line up


class ViewLink:
    def __init__(self, input_panel: ImagePanel, output_panel: ImagePanel) -> None:
        self.input, self.output = input_panel, output_panel
        self.enabled = False
        self._busy = False
        self._shapes: dict[int, tuple | None] = {}
        for panel, other in ((input_panel, output_panel), (output_panel, input_panel)):
            panel.view_box.sigRangeChanged.connect(
                lambda *_args, p=panel, o=other: self._on_range(p, o))
            panel.view_box.sigResized.connect(lambda *_args: self._resync())

    def set_enabled(self, on: bool) -> None:
        self.enabled = on
        for panel in (self.input, self.output):
            axis = panel.plot.getPlotItem().getAxis("left")
            font = axis.style.get("tickFont") or panel.plot.font()
            width = QFontMetricsF(font).horizontalAdvance("-00000") + 2 * AXIS_PADDING
            axis.setWidth(int(width) if on else None)
            self._shapes[id(panel)] = self._shape(panel)
        self._resync()

    def scale(self, panel: ImagePanel) -> float:
        """Screen pixels per image pixel across."""
        rect = panel.view_box.viewRect()
        return panel.view_box.width() / rect.width() if rect.width() else 0.0

    def view_all(self) -> None:
        """Fit the input (the larger image) and let the output follow."""
        self.input.view_box.autoRange(padding=0.02)
        if not self.enabled:
            self.output.view_box.autoRange(padding=0.02)

    def _resync(self) -> None:
        if self.enabled:
            self._follow(self.input, self.output)

    @staticmethod
    def _shape(panel: ImagePanel) -> tuple | None:
        return None if panel.values is None else panel.values.shape

    def _on_range(self, source: ImagePanel, target: ImagePanel) -> None:
        if not self.enabled or self._busy:
            return
        shape = self._shape(source)
        if source is self.output and shape != self._shapes.get(id(source)):
            self._shapes[id(source)] = shape  # a new output fitted itself: the input leads
            self._follow(self.input, self.output)
            return
        self._shapes[id(source)] = shape
        self._follow(source, target)

    def _follow(self, source: ImagePanel, target: ImagePanel) -> None:
        scale = self.scale(source)
        if scale <= 0 or target.view_box.width() <= 0:
            return
        rect = source.view_box.viewRect()
        wanted = QRectF(rect.left(), rect.top(), target.view_box.width() / scale,
                        target.view_box.height() / scale)
        self._busy = True
        try:
            target.view_box.setRange(wanted, padding=0)
        finally:
            self._busy = False
