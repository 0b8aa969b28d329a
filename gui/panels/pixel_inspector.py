"""Why one output pixel has its value: every input x weight term, the sum, the bias.

It explains the result on screen (its own image and settings, which may lag a fresh edit by
a moment) for the feature map on screen (the selected filter), so the number it arrives at is
the number the output view shows. Hovering over the
output inspects a pixel; clicking pins it until the next click, and the sliding-window
animation pins the positions it steps through.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.arithmetic.receptive_field import (
    PixelExplanation,
    explain_pixel,
    summary_lines,
    taps,
    term_line,
    window,
)
from engine.formatting import format_number
from gui.panels.overlays import WindowOverlay
from gui.requests import ModelResult
from gui.state import AppState

HINT = "Hover over the output to see how a pixel is made; click to pin it."
#: What the terms box says while no pixel is explained (before the first hover, or after its
#: pixel left the output): what to do, not an empty box.
TERMS_HINT = ("Move the mouse over the output image above: every input × weight term of the "
              "pixel under the cursor is listed here, then their sum, the bias and the value "
              "Keras returned. Click a pixel to keep it here while you move on; Play or "
              "Step > walks the window over the output for you.")


class PixelInspector(QWidget):
    pixelChanged = Signal(int, int)  # the output pixel now explained

    def __init__(self, state: AppState, overlay: WindowOverlay | None = None,
                 parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("pixelInspector")
        self.state = state
        self.overlay = overlay
        self.result: ModelResult | None = None
        self.pixel: tuple[int, int] | None = None
        self.explanation: PixelExplanation | None = None

        self.heading = QLabel(HINT)
        self.heading.setObjectName("inspectorHeading")
        self.heading.setWordWrap(True)
        self.pinned = QCheckBox("Pinned")
        self.pinned.setObjectName("inspectorPin")
        self.pinned.setToolTip("While pinned, hovering does not change the pixel. "
                               "Click an output pixel to pin it.")
        self.zoom_button = QPushButton("Zoom in on this pixel")
        self.zoom_button.setObjectName("inspectorZoom")
        self.zoom_button.setToolTip("Zoom both views onto the explained pixel: its window on "
                                    "the input, the pixel itself on the output.")
        self.terms = QPlainTextEdit()
        self.terms.setObjectName("inspectorTerms")
        self.terms.setReadOnly(True)
        self.terms.setPlaceholderText(TERMS_HINT)
        self.terms.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.total = QLabel(" ")
        self.total.setObjectName("inspectorSum")
        self.total.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.total.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.heading, stretch=1)
        top.addWidget(self.pinned)
        top.addWidget(self.zoom_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        body = QHBoxLayout()
        body.addWidget(self.terms, stretch=3)
        body.addWidget(self.total, stretch=2)
        layout.addLayout(body, stretch=1)
        self.zoom_button.clicked.connect(self.zoom)
        state.selectionChanged.connect(lambda *_: self._refresh())

    def show_result(self, result: ModelResult) -> None:
        """A new output is on screen: explain the same pixel again, if it still exists."""
        self.result = result
        if self.pixel is not None and not self._inside(*self.pixel):
            self.clear()
            return
        self._refresh()

    def clear(self) -> None:
        """No pixel explained: its pixel left the output (the output shrank)."""
        self.pixel = None
        self.explanation = None
        self.pinned.setChecked(False)
        self.heading.setText(HINT)
        self.terms.setPlainText("")
        self.total.setText(" ")
        if self.overlay is not None:
            self.overlay.clear()

    def hover(self, row: int, col: int) -> None:
        """The cursor is over output pixel (row, col); (-1, -1) when it left the output."""
        if not self.pinned.isChecked() and self._inside(row, col):
            self.pixel = (row, col)
            self._refresh()

    def pin(self, row: int, col: int, trail: bool = False) -> None:
        if self._inside(row, col):
            self.pixel = (row, col)
            self.pinned.setChecked(True)
            self._refresh(trail)

    def zoom(self) -> None:
        if self.overlay is not None:
            self.overlay.zoom()

    def _inside(self, row: int, col: int) -> bool:
        if self.result is None:
            return False
        out_h, out_w = self.result.output(self._layer()).shape[1:3]
        return 0 <= row < out_h and 0 <= col < out_w

    def _layer(self) -> int:
        return min(self.state.selected_layer, len(self.result.outputs) - 1)

    def _input_of(self, layer: int):
        """What layer ``layer`` read: the image for the first layer, else the previous output."""
        if layer == 0:
            return self.result.image.pixels
        return self.result.output(layer - 1)[0]

    def _refresh(self, trail: bool = False) -> None:
        if self.result is None or self.pixel is None:
            return
        row, col = self.pixel
        layer = self._layer()
        spec, pixels = self.result.model.layers[layer], self._input_of(layer)
        filter_index = min(self.state.selected_filter, spec.filters - 1)
        self.explanation = explain_pixel(pixels, spec, row, col, filter_index)
        shown = float(self.result.output(layer)[0, row, col, filter_index])
        input_hw = pixels.shape[:2]
        where = window(row, col, input_hw, spec)
        of_filter = f" of filter {filter_index}" if spec.filters > 1 else ""
        self.heading.setText(
            f"Output pixel row {row}, column {col}{of_filter}: its window covers input rows "
            f"{where.top} to {where.top + where.height - 1}, columns {where.left} to "
            f"{where.left + where.width - 1}.")
        self.terms.setPlainText("\n".join(term_line(t) for t in self.explanation.terms))
        self.total.setText("\n".join(summary_lines(self.explanation)) +
                           f"\n\noutput[0, {row}, {col}, {filter_index}] from Keras = "
                           f"{format_number(shown)}")
        if self.overlay is not None:
            self.overlay.show(where, taps(row, col, input_hw, spec), row, col, trail)
        self.pixelChanged.emit(row, col)
