"""Input and output shapes in Keras's NHWC form, e.g. (1, 512, 512, 1) -> (1, 255, 510, 1),
the weights' shapes and the parameter count as model.summary() counts it, for the layer
selected in the stack (pooling and activations included: their arithmetic, no weights).

The output shape comes from the same arithmetic Keras uses, so it updates the instant a
setting changes; the output image follows when the layer has run. Settings Keras refuses
(strides > 1 with dilation > 1, an empty output) are never computed, so the output on screen
stays the last one: their shape is then marked as refused, not shown as the output's.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engine.arithmetic.shapes import layer_shape_lines
from engine.arithmetic.sizes import format_shape
from engine.model.errors import LayerSpecError
from gui.state import AppState

OUTPUT_STYLE = "font-family: monospace; font-weight: bold;"
REFUSED_STYLE = "font-family: monospace; color: #9a3a00;"


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
        self.param_count = QLabel()
        self.param_count.setObjectName("paramCount")
        self.param_count.setToolTip("Trainable parameters, counted as model.summary() does: "
                                    "every kernel weight plus one bias per filter.")
        for label in (self.input_shape, self.output_shape, self.weights_shape,
                      self.param_count):
            label.setStyleSheet("font-family: monospace;")
        self.output_shape.setStyleSheet(OUTPUT_STYLE)
        self.layer_name = QLabel()
        self.layer_name.setObjectName("shapeLayer")
        self.layer_name.setStyleSheet("font-weight: bold;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.layer_name)
        layout.addWidget(self.input_shape)
        layout.addWidget(self.output_shape)
        layout.addWidget(self.weights_shape)
        layout.addWidget(self.param_count)
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
        state.modelChanged.connect(self.refresh)
        state.imageChanged.connect(self.refresh)
        state.selectionChanged.connect(self.refresh)  # another layer of the stack
        self.refresh()

    def refresh(self, *_changed) -> None:
        geometry = self.state.geometry()
        if geometry == self._shown_for:
            return  # a weight edit: every shape and formula stays as it is
        self._shown_for = geometry
        spec, image, model = self.state.spec, self.state.image, self.state.model
        layer = self.state.selected_layer
        self.layer_name.setVisible(len(model) > 1)
        self.layer_name.setText(f"layer {layer + 1} of {len(model)}: "
                                f"{model.layer_names()[layer]} ({spec.kind})")
        if spec.kind == "Conv2D":
            bias = f", bias {format_shape((spec.filters,))}" if spec.use_bias else ", no bias"
            self.weights_shape.setText(f"weights: kernel {format_shape(spec.weights_shape)}"
                                       f"{bias}")
        else:
            self.weights_shape.setText("weights: none")
        self.param_count.setText(f"params:  {spec.param_arithmetic()}")
        if image is None:
            self.input_shape.setText("input:  no image")
            self.output_shape.setText("output: -")
            self.explanation.setText("")
            return
        input_shape = model.input_shapes(image.nhwc_shape)[layer]
        source = f"  (from {model.layer_names()[layer - 1]})" if layer else ""
        self.input_shape.setText(f"input:  {format_shape(input_shape)}{source}")
        shape = spec.output_shape(input_shape)
        lines = layer_shape_lines(input_shape, spec, reads_image=layer == 0)
        try:
            self.state.model.check(image.nhwc_shape)
            refused = ""
        except LayerSpecError as exc:
            refused = str(exc)
        if refused:
            why = "empty: nothing to show" if min(shape) < 1 else "refused by Keras"
            self.output_shape.setText(f"output: {format_shape(shape)} ({why}, not computed)")
            lines = ["For the refused settings, not the view's output:", *lines]
        else:
            self.output_shape.setText(f"output: {format_shape(shape)}")
        style = REFUSED_STYLE if refused else OUTPUT_STYLE
        if self.output_shape.styleSheet() != style:  # setting it again resets a scaled font
            self.output_shape.setStyleSheet(style)
        self.output_shape.setToolTip(refused)
        self.explanation.setText("\n".join(lines))
