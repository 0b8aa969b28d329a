"""Larger text everywhere: the window's font, the fonts panels set themselves (fixed-width
terms and code), font sizes in style sheets, the image axes, and the menus.

Each widget's own size is kept in a dynamic property the first time it is scaled, so scaling
is always from the original size (150 % then 100 % gives the original back), and a widget
created later (a feature-map tile) is scaled when its panel is refreshed.
"""

from __future__ import annotations

import re

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QMenu, QWidget

BASE_POINTS = "convscopeBasePoints"
BASE_STYLE = "convscopeBaseStyle"
_FONT_SIZE = re.compile(r"font-size:\s*([0-9.]+)pt")


def scaled_font(font: QFont, base_points: float, percent: int) -> QFont:
    font = QFont(font)
    font.setPointSizeF(max(1.0, base_points * percent / 100))
    return font


class TextScaler:
    def __init__(self, window: QWidget) -> None:
        self.window = window
        self.base_font = QFont(QApplication.font())
        self.percent = 100

    @property
    def base_points(self) -> float:
        points = self.base_font.pointSizeF()
        return points if points > 0 else 9.0

    def apply(self, percent: int) -> None:
        self.percent = percent
        for menu in self.window.findChildren(QMenu):  # windows of their own: inherit too
            menu.setAttribute(Qt.WidgetAttribute.WA_WindowPropagation)
        self.window.setFont(scaled_font(self.base_font, self.base_points, percent))
        self.refresh(self.window)

    def refresh(self, root: QWidget) -> None:
        """Scale what inherits no font under ``root``: explicit fonts, style-sheet sizes, plot
        axes, menus."""
        for widget in [root, *root.findChildren(QWidget)]:
            style = widget.property(BASE_STYLE) or widget.styleSheet()
            if _FONT_SIZE.search(style):
                self._scale_style(widget, style)
            elif style and widget.property(BASE_POINTS) is None:
                # a styled widget keeps the size it was polished with: inherit, polish again
                widget.setStyleSheet("")
                widget.setFont(QFont())
                widget.setStyleSheet(style)
            elif widget is not self.window and not widget.isWindow() and \
                    widget.testAttribute(Qt.WidgetAttribute.WA_SetFont):
                self._scale_own_font(widget)
            if isinstance(widget, pg.PlotWidget):
                self._scale_axes(widget)

    def _scale_own_font(self, widget: QWidget) -> None:
        base = widget.property(BASE_POINTS)
        if base is None:
            base = widget.font().pointSizeF()
            if base <= 0:
                return
            widget.setProperty(BASE_POINTS, base)
        widget.setFont(scaled_font(widget.font(), float(base), self.percent))

    def _scale_style(self, widget: QWidget, base_style: str) -> None:
        widget.setProperty(BASE_STYLE, base_style)
        scaled = _FONT_SIZE.sub(
            lambda m: f"font-size: {float(m.group(1)) * self.percent / 100:.1f}pt", base_style)
        if scaled != widget.styleSheet():
            widget.setStyleSheet(scaled)

    def _scale_axes(self, plot: pg.PlotWidget) -> None:
        font = scaled_font(self.base_font, self.base_points, self.percent)
        size = f"{font.pointSizeF():.1f}pt"
        for name in ("left", "bottom"):
            axis = plot.getPlotItem().getAxis(name)
            axis.setStyle(tickFont=font)
            axis.setLabel(axis.labelText, axis.labelUnits, **{"font-size": size})
