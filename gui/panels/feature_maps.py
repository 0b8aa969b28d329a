"""Every feature map of the layer on screen, small, side by side: one per filter.

The last axis of a Conv2D output (the channels in NHWC) is the stack of its filters' maps.
Each tile shows one map with its filter index and its true minimum and maximum; clicking a
tile selects that filter (the large output view and the kernel editor follow: one selection,
kept in the state). The maps share one colour scale or each has its own. Tiles are drawn
from every n-th pixel (what the screen can show at this size), so eight maps cost little
more than one.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from engine.formatting import format_number
from engine.images.display import render_levels
from gui.requests import ModelResult
from gui.state import AppState, signals_blocked

TILE_PX = 128  # the longest side of a tile's picture, in screen pixels
FRAME = QColor(150, 150, 150)
SELECTED = QColor(0, 120, 215)


def thumbnail(values: np.ndarray, levels, lut, longest: int = TILE_PX) -> QImage:
    """Every n-th pixel of a map, mapped like the large view, as a QImage (own memory)."""
    step = max(1, int(np.ceil(max(values.shape) / longest)))
    pixels = np.ascontiguousarray(render_levels(values[::step, ::step], levels, lut))
    height, width = pixels.shape[:2]
    if pixels.ndim == 2:
        image = QImage(pixels.data, width, height, width, QImage.Format.Format_Grayscale8)
    else:
        image = QImage(pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    # Its own memory, detached from the NumPy buffer, in the format Qt draws fastest.
    return image.convertToFormat(QImage.Format.Format_RGB32)


class MapTile(QWidget):
    """One feature map's picture, framed (so a white or zero map stays visible)."""

    clicked = Signal(int)

    def __init__(self, index: int, parent=None) -> None:
        super().__init__(parent)
        self.index = index
        self.image: QImage | None = None
        self.selected = False
        self.setObjectName(f"featureMap{index}")
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setFixedSize(QSize(TILE_PX + 6, TILE_PX + 6))
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def set_image(self, image: QImage, selected: bool) -> None:
        """Show ``image``; the tile takes the map's proportions (a wide map, a wide tile)."""
        self.image, self.selected = image, selected
        scale = TILE_PX / max(image.width(), image.height())
        size = QSize(max(round(image.width() * scale), 8) + 6,
                     max(round(image.height() * scale), 8) + 6)
        if size != self.size():
            self.setFixedSize(size)
        self.update()

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt override)
        if self.image is None:
            return
        painter = QPainter(self)
        area = QRectF(self.rect()).adjusted(3, 3, -3, -3)
        scale = min(area.width() / self.image.width(), area.height() / self.image.height())
        width, height = self.image.width() * scale, self.image.height() * scale
        target = QRectF(area.left() + (area.width() - width) / 2,
                        area.top() + (area.height() - height) / 2, width, height)
        painter.drawImage(target, self.image)
        painter.setPen(QPen(SELECTED if self.selected else FRAME, 3 if self.selected else 1))
        painter.drawRect(target.adjusted(-1, -1, 1, 1))
        painter.end()

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.index)


class FeatureMapGrid(QWidget):
    """The grid of every map of the selected layer; shown when the layer has several."""

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("featureMaps")
        self.state = state
        self.result: ModelResult | None = None
        self.title = QLabel("Feature maps")
        self.title.setStyleSheet("font-weight: bold;")
        self.shared_scale = QCheckBox("One colour scale for all maps")
        self.shared_scale.setObjectName("sharedScale")
        self.shared_scale.setToolTip(
            "Checked: every map uses the range of all maps together, so their values can be "
            "compared. Unchecked: each map is stretched over its own minimum..maximum.")
        self.title.setWordWrap(True)
        self.tiles: list[MapTile] = []
        self._drawn_layer = -1
        self.captions: list[QLabel] = []
        tiles = QWidget()
        self.grid = QGridLayout(tiles)
        self.grid.setSpacing(4)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = QScrollArea()
        scroll.setWidget(tiles)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.title)
        layout.addWidget(scroll, stretch=1)
        layout.addWidget(self.shared_scale)
        self.setMinimumWidth(2 * (TILE_PX + 6) + 30)

        self.shared_scale.toggled.connect(state.set_shared_scale)
        state.sharedScaleChanged.connect(self._show_scale_choice)
        state.displayMappingChanged.connect(lambda _mode: self._redraw())
        state.selectionChanged.connect(self._show_selection)
        state.selectionChanged.connect(self._on_layer)
        self._show_scale_choice(state.shared_scale)
        self.setVisible(False)

    def show_result(self, result: ModelResult) -> None:
        self.result = result
        self._redraw()

    def _layer(self) -> int:
        return min(self.state.selected_layer, len(self.result.outputs) - 1)

    def _ensure_tiles(self, count: int) -> None:
        while len(self.tiles) < count:
            index = len(self.tiles)
            tile, caption = MapTile(index), QLabel()
            caption.setObjectName(f"featureMapCaption{index}")
            caption.setStyleSheet("font-family: monospace; font-size: 9pt;")
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            tile.clicked.connect(self.state.select_filter)
            row, column = divmod(index, 2)
            self.grid.addWidget(tile, 2 * row, column, Qt.AlignmentFlag.AlignHCenter)
            self.grid.addWidget(caption, 2 * row + 1, column)
            self.tiles.append(tile)
            self.captions.append(caption)
        for index, (tile, caption) in enumerate(zip(self.tiles, self.captions)):
            tile.setVisible(index < count)
            caption.setVisible(index < count)

    def _redraw(self) -> None:
        if self.result is None:
            return
        result, layer = self.result, self._layer()
        self._drawn_layer = layer
        count = result.map_count(layer)
        self.setVisible(count > 1)
        if count < 2:
            return
        self._ensure_tiles(count)
        minimums, maximums = result.ranges(layer)
        height, width = result.output(layer).shape[1:3]
        conv = result.model.layers[layer].kind == "Conv2D"
        word = "filter" if conv else "channel"
        name = (f" of {result.model.layer_names()[layer]}" if len(result.model) > 1 else "")
        click = "Click one to edit its filter." if conv else "Click one to show it large."
        self.title.setText(f"Feature maps{name}: {count} maps of {height} x {width}, "
                           f"output[0, :, :, {word[0]}]. {click}")
        for index in range(count):
            levels, lut = result.levels(layer, index, self.state.display_mapping,
                                        self.state.shared_scale)
            self.tiles[index].set_image(thumbnail(result.feature_map(layer, index), levels, lut),
                                        index == self.state.selected_filter)
            self.captions[index].setText(f"{word} {index}\n{format_number(minimums[index])}.."
                                         f"{format_number(maximums[index])}")

    def _on_layer(self, layer: int, _filter: int) -> None:
        """Another layer selected: its maps, from the result on screen."""
        if self.result is not None and layer != self._drawn_layer:
            self._redraw()

    def _show_selection(self, _layer: int, filter_index: int) -> None:
        for tile in self.tiles:
            tile.set_selected(tile.index == filter_index)

    def _show_scale_choice(self, shared: bool) -> None:
        with signals_blocked(self.shared_scale):
            self.shared_scale.setChecked(shared)
        self._redraw()
