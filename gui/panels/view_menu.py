"""The image views' right-click menu: ConvScope's own (View all, Zoom to window, Export
image, Copy value) instead of pyqtgraph's developer menu (plot options, axis ranges, export
dialogs) that a student cannot use."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu

from engine.formatting import format_number
from gui.panels.image_panel import ImagePanel


class ViewMenu:
    """``zoom_to_window`` is None when nothing is inspected; ``values_hidden()`` True while
    predict mode hides the output's values."""

    def __init__(self, panel: ImagePanel, view_all: Callable[[], None],
                 zoom_to_window: Callable[[], Callable[[], None] | None],
                 export_image: Callable[[], None],
                 values_hidden: Callable[[], bool] = lambda: False) -> None:
        self.panel = panel
        self.view_all, self.zoom_to_window = view_all, zoom_to_window
        self.export_image, self.values_hidden = export_image, values_hidden
        self.menu: QMenu | None = None  # the last menu shown (tests read it)
        self.pixel: tuple[int, int] | None = None
        panel.plot.getPlotItem().setMenuEnabled(False)  # the PlotItem's and the ViewBox's
        panel.view_box.setMenuEnabled(False)
        panel.plot.scene().sigMouseClicked.connect(self._on_click)

    def build(self, pixel: tuple[int, int] | None) -> QMenu:
        self.pixel = pixel
        menu = QMenu(self.panel)
        menu.setObjectName(f"{self.panel.plot.objectName()}Menu")
        menu.addAction("View all", self.view_all)
        zoom = self.zoom_to_window()
        action = menu.addAction("Zoom to window", zoom or (lambda: None))
        action.setEnabled(zoom is not None)
        menu.addAction("Export image...", self.export_image)
        copy = menu.addAction("Copy value", self.copy_value)
        copy.setEnabled(pixel is not None and not self.values_hidden())
        self.menu = menu
        return menu

    def copy_value(self) -> None:
        values, pixel = self.panel.values, self.pixel
        if values is None or pixel is None or self.values_hidden():
            return
        value = np.atleast_1d(values[pixel])
        QGuiApplication.clipboard().setText(", ".join(format_number(v) for v in value))

    def _on_click(self, event) -> None:
        if event.button() != Qt.MouseButton.RightButton:
            return
        event.accept()
        self.build(self.panel.pixel_at(event.scenePos())).popup(event.screenPos().toPoint())
