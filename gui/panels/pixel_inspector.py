"""Why one output pixel has its value: every input x weight term, the sum, the bias.

It explains the result on screen (its own image and settings, which may lag a fresh edit by
a moment) for the feature map on screen (the selected filter), so the number it arrives at is
the number the output view shows. Hovering over the
output inspects a pixel; clicking pins it until the next click, and the sliding-window
animation pins the positions it steps through. Any layer of the stack: a pooling output
shows its window on the previous layer's map and which value won (or the mean's terms), a
deeper Conv2D sums over every input channel, an activation shows its one value, and a pixel
of a deeper layer has its receptive field, composed through every layer, drawn on the image.
"""

from __future__ import annotations

import numpy as np
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

from engine.arithmetic.layer_pixel import elementwise_lines, explain_pool_pixel, pool_lines
from engine.arithmetic.receptive_field import (
    CHANNEL_NAMES,
    PixelExplanation,
    Window,
    explain_pixel,
    summary_lines,
    taps,
    term_line,
    window,
)
from engine.arithmetic.through_layers import field_lines, receptive_field
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
        model = self.result.model
        spec, pixels = model.layers[layer], self._input_of(layer)
        index = min(self.state.selected_filter, self.result.map_count(layer) - 1)
        shown = float(self.result.output(layer)[0, row, col, index])
        source = "x" if layer == 0 else model.layer_names()[layer - 1]
        input_hw = pixels.shape[:2]
        slides = spec.kind == "Conv2D" or spec.kind.endswith("Pooling2D")
        if spec.kind == "Conv2D":
            names = CHANNEL_NAMES if layer == 0 else ()
            self.explanation = explain_pixel(pixels, spec, row, col, index, source, names)
            terms = [term_line(t, source, names) for t in self.explanation.terms]
            summary = summary_lines(self.explanation)
        elif slides:
            self.explanation = explain_pool_pixel(pixels, spec, row, col, index, source)
            terms, summary = pool_lines(self.explanation), []
        else:
            self.explanation = None
            at = (f"{row}, {col}, {index}" if np.ndim(pixels) == 3 or layer > 0
                  else f"{row}, {col}")
            value = pixels[row, col, index] if np.ndim(pixels) == 3 else pixels[row, col]
            terms, summary = [], elementwise_lines(spec, float(value), source, at)
        heading = self._heading(layer, row, col, index, spec, input_hw, slides)
        self.heading.setText(heading)
        self.terms.setPlainText("\n".join(terms))
        self.total.setText("\n".join(summary) + f"\n\noutput[0, {row}, {col}, {index}] from "
                           f"Keras = {format_number(shown)}")
        if self.overlay is not None:
            if layer == 0 and slides:
                self.overlay.show(window(row, col, input_hw, spec),
                                  taps(row, col, input_hw, spec), row, col, trail)
            else:  # the receptive field on the image, through every layer up to this one
                field = receptive_field(model, self.result.image.nhwc_shape, layer, row, col)
                self.overlay.show(Window(field.top, field.left, field.height, field.width),
                                  [], row, col, trail)
        self.pixelChanged.emit(row, col)

    def _heading(self, layer: int, row: int, col: int, index: int, spec, input_hw,
                 slides: bool) -> str:
        model = self.result.model
        count = self.result.map_count(layer)
        which = "filter" if spec.kind == "Conv2D" else "channel"
        of = f" of {which} {index}" if count > 1 else ""
        name = f" of {model.layer_names()[layer]}" if len(model) > 1 else ""
        text = f"Output pixel row {row}, column {col}{of}{name}"
        if slides:
            where = window(row, col, input_hw, spec)
            reads = "input" if layer == 0 else f"{model.layer_names()[layer - 1]}'s map"
            text += (f": its window covers {reads} rows {where.top} to "
                     f"{where.top + where.height - 1}, columns {where.left} to "
                     f"{where.left + where.width - 1}.")
        else:
            text += f": {spec.kind} works on this one value."
        if layer > 0:
            field = receptive_field(model, self.result.image.nhwc_shape, layer, row, col)
            growth = field_lines(model, self.result.image.nhwc_shape, layer)
            text += (f" Receptive field on the input image (drawn): rows {field.top} to "
                     f"{field.bottom}, columns {field.left} to {field.right}, "
                     f"{field.height}x{field.width}"
                     + (f" ({'; '.join(growth)})" if growth else "") + ".")
        return text
