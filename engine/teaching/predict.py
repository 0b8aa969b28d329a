"""Predict, then check: a student's guess of an output shape or of one output value, judged.

Students who predict an outcome before they see it understand it better than students who
only watch, so the window can hide a new shape (or a pixel's sum) until a guess is typed.
This module only judges: per axis for a shape, within rounding for a value, and writes the
answer with its formula filled in. Plain Python, no Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.arithmetic.shapes import shape_lines
from engine.arithmetic.sizes import format_shape
from engine.formatting import format_number

#: The axes a student predicts, in NHWC order after the batch axis.
SHAPE_AXES = ("rows", "cols", "channels")


@dataclass(frozen=True)
class AxisVerdict:
    axis: str  # "rows", "cols" or "channels"
    predicted: int
    actual: int

    @property
    def right(self) -> bool:
        return self.predicted == self.actual

    def line(self) -> str:
        mark = "right" if self.right else f"wrong, it is {self.actual}"
        return f"{self.axis}: you said {self.predicted}: {mark}"


@dataclass(frozen=True)
class ShapeVerdict:
    """A predicted (rows, cols, channels) against the NHWC shape the layer gives."""

    axes: tuple[AxisVerdict, ...]
    actual_shape: tuple[int, ...]

    @property
    def right(self) -> bool:
        return all(axis.right for axis in self.axes)

    def axis(self, name: str) -> AxisVerdict:
        return next(a for a in self.axes if a.axis == name)


def check_shape(predicted: tuple[int, int, int],
                actual_shape: tuple[int, int, int, int]) -> ShapeVerdict:
    """Judge a (rows, cols, channels) prediction against the output shape (1, H, W, C)."""
    actual = tuple(int(v) for v in actual_shape[1:4])
    axes = tuple(AxisVerdict(name, int(guess), value)
                 for name, guess, value in zip(SHAPE_AXES, predicted, actual))
    return ShapeVerdict(axes, tuple(int(v) for v in actual_shape))


def channels_line(layer, input_channels: int) -> str:
    """Why the output has its channels: one per filter for a Conv2D, else the input's."""
    filters = getattr(layer, "filters", None)
    if filters is None:
        return f"channels: unchanged, {input_channels}"
    return f"channels: one feature map per filter = {filters}"


def answer_lines(input_shape: tuple[int, int, int, int], layer,
                 on_screen: bool = True) -> list[str]:
    """The worked answer: the input, each axis's formula filled in, the output shape.
    ``on_screen`` False: the layer is only described (a quiz), so nothing is red on the
    input."""
    lines = [f"input {format_shape(input_shape)}"]
    if hasattr(layer, "kernel_size") and hasattr(layer, "dilation"):
        axes = shape_lines(tuple(input_shape[1:3]), layer)
        lines += axes if on_screen else [line.replace(" (red on the input)", "")
                                         for line in axes]
    lines.append(channels_line(layer, int(input_shape[3])))
    lines.append(f"output {format_shape(layer.output_shape(input_shape))}")
    return lines


def verdict_lines(verdict: ShapeVerdict, input_shape: tuple[int, int, int, int],
                  layer) -> list[str]:
    """Right or wrong per axis, then the worked answer."""
    head = ("All three right: " if verdict.right else "Not quite: ") + \
        f"the output is {format_shape(verdict.actual_shape)}."
    return [head, *(axis.line() for axis in verdict.axes), "", *answer_lines(input_shape, layer)]


@dataclass(frozen=True)
class ValueVerdict:
    guess: float
    actual: float
    tolerance: float

    @property
    def difference(self) -> float:
        return self.guess - self.actual

    @property
    def right(self) -> bool:
        return abs(self.difference) <= self.tolerance

    def line(self) -> str:
        if self.right:
            return (f"Right: {format_number(self.guess)} (Keras gives "
                    f"{format_number(self.actual)}).")
        return (f"Not quite: you said {format_number(self.guess)}, Keras gives "
                f"{format_number(self.actual)} (off by {format_number(self.difference)}).")


def value_tolerance(actual: float) -> float:
    """How far a guess may be and still count: three significant digits, or 0.005 near 0
    (the products are shown rounded to six, so an exact sum is not expected)."""
    return max(0.005, 0.0005 * abs(float(actual)))


def check_value(guess: float, actual: float) -> ValueVerdict:
    return ValueVerdict(float(guess), float(actual), value_tolerance(actual))


def parse_number(text: str) -> float:
    """A typed number (a point for decimals); ValueError with a sentence otherwise."""
    cleaned = text.strip().replace("−", "-")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"{text.strip() or 'Nothing'} is not a number: type it like "
                         f"-12.5 (a point for decimals).") from None
    if not math.isfinite(value):
        raise ValueError("Type a finite number.")
    return value
