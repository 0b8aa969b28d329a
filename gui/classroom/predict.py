"""Predict mode: a change that alters the output's shape hides the shape until the student
predicts it; a clicked output pixel hides its value until the student guesses it.

The shape is hidden wherever it shows: the Shapes box, the output view, the feature maps,
the lesson's text and the sliding window's count of positions. Covers lie over them (the
layout does not move) and are lifted when Check is pressed, with the answer worked out and
each axis marked right or wrong. The value is hidden in the inspector (its products stay,
their sum does not) and under the cursor on the output.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from engine.arithmetic.sizes import format_shape
from engine.model.errors import LayerSpecError
from engine.teaching.predict import check_shape, check_value, parse_number, verdict_lines
from gui.classroom.state import ClassroomState
from gui.panels.cover import Cover
from gui.panels.pixel_inspector import PixelInspector
from gui.panels.predict_form import PredictForm, ValueGuess
from gui.panels.views import OutputView
from gui.state import AppState

SHAPE_HIDDEN = "The new shape is hidden: predict it in the Shapes box, then press Check."
VALUE_HIDDEN = "The sum is hidden: type your guess of this pixel's value below."


def layer_text(layer) -> str:
    """A layer as Keras code, for the question."""
    if getattr(layer, "kind", "") == "Conv2D":
        dilation = f", dilation_rate={layer.dilation}" if layer.dilation != (1, 1) else ""
        return (f"Conv2D({layer.filters}, {layer.kernel_size}, strides={layer.strides}, "
                f"padding={layer.padding!r}{dilation})")
    return getattr(layer, "kind", "the layer")


class PredictController(QObject):
    def __init__(self, state: AppState, classroom: ClassroomState, form: PredictForm,
                 guess: ValueGuess, inspector: PixelInspector, output_view: OutputView,
                 hidden: dict[str, QWidget], parent=None) -> None:
        super().__init__(parent)
        self.state, self.classroom = state, classroom
        self.form, self.guess, self.inspector = form, guess, inspector
        self.output_view = output_view
        self.covers = {name: Cover(widget, SHAPE_HIDDEN, f"{name}Cover")
                       for name, widget in hidden.items()}
        self.value_cover = Cover(inspector.total, VALUE_HIDDEN, "valueCover")
        self.revealed = self.current()  # (input shape, output shape) the student has seen
        self.pending = False
        self.verdict = None  # the last ShapeVerdict
        self.value_verdict = None  # the last ValueVerdict
        self._guessed: tuple | None = None  # the pixel (and result) whose value was guessed
        self._asked: tuple | None = None  # the pixel the value form asks about

        form.checkRequested.connect(self.check_shape)
        guess.checkRequested.connect(self.check_value)
        for signal in (state.modelChanged, state.imageChanged, state.selectionChanged):
            signal.connect(self._on_change)
        classroom.predictModeChanged.connect(self._on_mode)
        inspector.pixelChanged.connect(lambda *_: self._refresh_value())
        inspector.pinned.toggled.connect(lambda *_: self._refresh_value())
        self._on_mode(classroom.predict_mode)

    # -- the shape ----------------------------------------------------------------------
    def current(self) -> tuple | None:
        """(input shape, output shape) of the selected layer, None when it cannot run."""
        image, model = self.state.image, self.state.model
        if image is None:
            return None
        try:
            model.check(image.nhwc_shape)
        except LayerSpecError:
            return None
        layer = self.state.selected_layer
        return (tuple(model.input_shapes(image.nhwc_shape)[layer]),
                tuple(model.output_shapes(image.nhwc_shape)[layer]))

    def accept_current(self) -> None:
        """The shape on screen counts as seen (the quiz showed its own answer)."""
        self.revealed = self.current() or self.revealed
        self._set_pending(False)

    def _on_mode(self, on: bool) -> None:
        self.output_view.set_values_hidden(on)
        self.form.setVisible(on)
        self.guess.setVisible(on)
        self._asked = None
        self.revealed = self.current()
        self._set_pending(False)
        self._refresh_value()

    def _on_change(self, *_changed) -> None:
        if not self.classroom.predict_mode:
            return  # turning predict mode on takes the shape on screen as seen
        now = self.current()
        if now is None:
            return  # refused settings: the banner explains, the last output stays as it was
        if self.revealed is not None and now[1] == self.revealed[1]:
            self.revealed = now
            self._set_pending(False)
            return
        input_shape, _ = now
        layer = self.state.model.layers[self.state.selected_layer]
        self.form.ask(f"Predict the output shape of {layer_text(layer)} on an input of "
                      f"{format_shape(input_shape)}:")
        self._set_pending(True)

    def _set_pending(self, pending: bool) -> None:
        self.pending = pending
        for cover in self.covers.values():
            cover.cover(pending)
        if not pending and self.classroom.predict_mode and self.verdict is None:
            self.form.idle()

    def check_shape(self, prediction: tuple[int, int, int]) -> None:
        now = self.current()
        if not self.pending or now is None:
            return
        input_shape, output_shape = now
        layer = self.state.model.layers[self.state.selected_layer]
        self.verdict = check_shape(prediction, output_shape)
        self.form.show_verdict(verdict_lines(self.verdict, input_shape, layer))
        self.revealed = now
        self._set_pending(False)
        self.form.question.setText(f"Predicted: {layer_text(layer)} on "
                                   f"{format_shape(input_shape)}.")

    # -- one value ----------------------------------------------------------------------
    def _pixel_key(self) -> tuple | None:
        inspector = self.inspector
        if inspector.result is None or inspector.pixel is None:
            return None
        return (inspector.result.request_id, self.state.selected_layer,
                self.state.selected_filter, *inspector.pixel)

    def _refresh_value(self) -> None:
        on = self.classroom.predict_mode
        if not on and not self.value_cover.covering:
            return  # the common case, on every inspected pixel
        key = self._pixel_key()
        hide = on and key is not None and key != self._guessed
        self.value_cover.cover(hide)
        asked = (key, self.inspector.pinned.isChecked())
        if not on or (key is not None and key == self._guessed) or asked == self._asked:
            return  # (asking again would wipe what the student is typing)
        self._asked = asked
        if key is not None and self.inspector.pinned.isChecked():
            row, col = self.inspector.pixel
            self.guess.ask(f"Your value for output[0, {row}, {col}, "
                           f"{self.state.selected_filter}] (the sum of the products, plus the "
                           f"bias, then the activation):", True)
        else:
            self.guess.ask("Click an output pixel, then guess its value from the products.",
                           False)

    def check_value(self, text: str) -> None:
        key = self._pixel_key()
        if key is None or not self.classroom.predict_mode:
            return
        try:
            guess = parse_number(text)
        except ValueError as exc:
            self.guess.show_verdict(str(exc))
            return
        _request, layer, filter_index, row, col = key
        actual = float(self.inspector.result.output(layer)[0, row, col, filter_index])
        self.value_verdict = check_value(guess, actual)
        self._guessed = key
        self.value_cover.cover(False)
        self.guess.show_verdict(self.value_verdict.line())
