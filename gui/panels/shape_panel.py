"""Input and output shapes in Keras's NHWC form, e.g. (1, 512, 512, 1) -> (1, 255, 510, 1).

The output shape comes from the same arithmetic Keras uses, so it updates the instant a
setting changes; the output image follows when the layer has run.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engine.arithmetic.shapes import shape_lines
from engine.model.spec import format_shape, output_shape
from gui.state import AppState


class ShapePanel(QWidget):
    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.input_shape = QLabel()
        self.input_shape.setObjectName("inputShape")
        self.output_shape = QLabel()
        self.output_shape.setObjectName("outputShape")
        self.weights_shape = QLabel()
        self.weights_shape.setObjectName("weightsShape")
        for label in (self.input_shape, self.output_shape, self.weights_shape):
            label.setStyleSheet("font-family: monospace;")
        self.output_shape.setStyleSheet("font-family: monospace; font-weight: bold;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.input_shape)
        layout.addWidget(self.output_shape)
        layout.addWidget(self.weights_shape)
        self.explanation = QLabel()
        self.explanation.setObjectName("shapeExplanation")
        self.explanation.setStyleSheet("font-family: monospace; color: #333;")
        self.explanation.setWordWrap(True)
        self.explanation.setToolTip(
            "Each output axis: 'valid' gives floor((n - d(k-1) - 1) / s) + 1, 'same' gives "
            "ceil(n / s).\nRed on the input: rows/columns no window reads. Dashed frame: the "
            "zeros 'same' padding adds.")
        layout.addWidget(self.explanation)
        self._shown_for: tuple | None = None  # the state geometry the labels describe
        state.specChanged.connect(self.refresh)
        state.imageChanged.connect(self.refresh)
        self.refresh()

    def refresh(self, *_changed) -> None:
        geometry = self.state.geometry()
        if geometry == self._shown_for:
            return  # a weight edit: every shape and formula stays as it is
        self._shown_for = geometry
        spec, image = self.state.spec, self.state.image
        self.weights_shape.setText(f"weights: kernel {format_shape(spec.weights_shape)}, "
                                   f"bias (1,)")
        if image is None:
            self.input_shape.setText("input:  no image")
            self.output_shape.setText("output: -")
            self.explanation.setText("")
            return
        self.input_shape.setText(f"input:  {format_shape(image.nhwc_shape)}")
        shape = output_shape(image.hw, spec)
        empty = " (empty: nothing to show)" if min(shape) < 1 else ""
        self.output_shape.setText(f"output: {format_shape(shape)}{empty}")
        self.explanation.setText("\n".join(shape_lines(image.hw, spec)))
