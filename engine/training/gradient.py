"""The gradient of one weight, worked out with numbers, the way GradientTape arrives at it.

For a Conv2D whose output the loss compares with the target, with the loss the mean over
all H x W x F output values:

    dL/dw[a, b, c, f] = k / F x mean over the H x W output positions of
                        (error of filter f there) x (input pixel that w[a, b, c, f] multiplies)

where the error is (output - target) and k = 2 for the mean squared error, or sign(output -
target) and k = 1 for the mean absolute error; a relu lets the error through only where the
output is above 0; padding pixels are 0. The bias gets the same mean with the pixel 1. The
input is the layer's own (for the first layer, the image as trained: unscaled or scaled to
0-1). Plain NumPy in float64, independent of TensorFlow, so it can be checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from engine.arithmetic.receptive_field import padding_before
from engine.arithmetic.sizes import same_padding
from engine.formatting import format_number
from engine.model.conv import ConvSpec

#: How many positions the explanation lists term by term.
SHOWN_TERMS = 3


@dataclass(frozen=True)
class WeightRef:
    """One trainable number: w[row, col, channel, filter] of a layer, or its bias[filter]."""

    layer: int = 0
    row: int = 0
    col: int = 0
    channel: int = 0
    filter: int = 0
    bias: bool = False

    def label(self) -> str:
        if self.bias:
            return f"b[{self.filter}]"
        return f"w[{self.row}, {self.col}, {self.channel}, {self.filter}]"

    def fits(self, spec: ConvSpec) -> bool:
        kh, kw, channels, filters = spec.weights_shape
        return (0 <= self.filter < filters and
                (self.bias or (0 <= self.row < kh and 0 <= self.col < kw
                               and 0 <= self.channel < channels)))


@dataclass(frozen=True)
class Term:
    """One position's share: output (row, col), its error, the pixel, their product."""

    position: tuple[int, int]
    pixel_at: tuple[int, int] | None  # the input position read (None: padding or the bias)
    error: float
    pixel: float

    @property
    def product(self) -> float:
        return self.error * self.pixel


@dataclass(frozen=True)
class GradientExplanation:
    ref: WeightRef
    loss: str  # "mse" or "mae"
    factor: float  # k / F
    positions: int  # H x W
    counted: int  # positions where the error passes (all, or where a relu output is > 0)
    mean_product: float  # mean over the positions of error x pixel
    terms: tuple[Term, ...]
    tape: float | None = None  # what GradientTape computed, when known
    upstream: bool = False  # the error came back through later layers (a stack)

    @property
    def gradient(self) -> float:
        return self.factor * self.mean_product

    def lines(self) -> list[str]:
        """The explanation as the Train tab shows it."""
        what = "1 (the bias)" if self.ref.bias else "the input pixel under it"
        if self.upstream:
            error, k = "dL/d(output), passed back by the layers after this one,", "H x W"
            lines = [f"dL/d{self.ref.label()} = {self.positions:,} (H x W) x mean over the "
                     f"output positions of {error} x {what}"]
        else:
            error = "(output - target)" if self.loss == "mse" else "sign(output - target)"
            k = "2/F" if self.loss == "mse" else "1/F"
            lines = [f"dL/d{self.ref.label()} = {k} x mean over the {self.positions:,} output "
                     f"positions of {error} x {what}"]
        if self.counted != self.positions:
            lines.append(f"(relu: the error passes at {self.counted:,} positions where the "
                         f"output is above 0; 0 elsewhere)")
        for term in self.terms:
            where = (f"x[{term.pixel_at[0]}, {term.pixel_at[1]}]" if term.pixel_at else
                     "padding" if not self.ref.bias else "1")
            lines.append(f"  at output {list(term.position)}: {format_number(term.error)} x "
                         f"{where} = {format_number(term.error)} x {format_number(term.pixel)} "
                         f"= {format_number(term.product)}")
        lines.append(f"mean of the {self.positions:,} products = "
                     f"{format_number(self.mean_product)}")
        lines.append(f"x {format_number(self.factor)} (= {k}) = "
                     f"{format_number(self.gradient)}")
        if self.tape is not None:
            lines.append(f"GradientTape: {format_number(self.tape)}")
        return lines


def pixels_under(layer_input: np.ndarray, spec: ConvSpec, row: int, col: int,
                 channel: int) -> np.ndarray:
    """For every output position, the input value kernel tap (row, col) multiplies on
    ``channel`` (0 where it falls on padding): an (H_out, W_out) float64 array."""
    x = np.asarray(layer_input, np.float64)[0, :, :, channel]
    (kh, kw), (sh, sw), (dh, dw) = spec.kernel_size, spec.strides, spec.dilation
    if spec.padding == "same":
        pads = [same_padding(n, k, s, d) for n, k, s, d in
                zip(x.shape, (kh, kw), (sh, sw), (dh, dw))]
        x = np.pad(x, pads)
    out_h, out_w = spec.output_hw(layer_input.shape[1:3])
    return x[row * dh: row * dh + (out_h - 1) * sh + 1: sh,
             col * dw: col * dw + (out_w - 1) * sw + 1: sw]


def output_error(prediction: np.ndarray, target: np.ndarray, loss: str) -> np.ndarray:
    """Per output value: (output - target) for MSE, its sign for MAE (float64)."""
    difference = np.asarray(prediction, np.float64) - np.asarray(target, np.float64)
    return difference if loss == "mse" else np.sign(difference)


def explain_weight(layer_input: np.ndarray, prediction: np.ndarray, target: np.ndarray,
                   spec: ConvSpec, ref: WeightRef, loss: str) -> GradientExplanation:
    """dL/d(weight) for the layer whose output ``prediction`` (1, H, W, F) the loss compares
    with ``target``; ``layer_input`` (1, H_in, W_in, C) is what the layer received."""
    error = output_error(prediction, target, loss)[0, :, :, ref.filter]
    if spec.activation == "relu":  # relu passes the error only where it let the sum through
        error = np.where(np.asarray(prediction)[0, :, :, ref.filter] > 0, error, 0.0)
    factor = (2.0 if loss == "mse" else 1.0) / spec.filters
    return _explain(layer_input, error, factor, spec, ref, loss,
                    int(np.count_nonzero(np.asarray(prediction)[0, :, :, ref.filter] > 0))
                    if spec.activation == "relu" else error.size)


def explain_upstream(layer_input: np.ndarray, upstream: np.ndarray, spec: ConvSpec,
                     ref: WeightRef, loss: str, output: np.ndarray) -> GradientExplanation:
    """The same for a layer with more layers after it: ``upstream`` is dL/d(its output)
    (1, H, W, F), which only backpropagation through those layers gives (GradientTape)."""
    error = np.asarray(upstream, np.float64)[0, :, :, ref.filter]
    counted = error.size
    if spec.activation == "relu":
        passed = np.asarray(output)[0, :, :, ref.filter] > 0
        error, counted = np.where(passed, error, 0.0), int(np.count_nonzero(passed))
    explanation = _explain(layer_input, error, float(error.size), spec, ref, loss, counted)
    return replace(explanation, upstream=True)


def _explain(layer_input, error, factor, spec, ref, loss, counted) -> GradientExplanation:
    if ref.bias:
        pixels = np.ones_like(error)
    else:
        pixels = pixels_under(layer_input, spec, ref.row, ref.col, ref.channel)
    products = error * pixels
    top, left = padding_before(tuple(layer_input.shape[1:3]), spec)
    (sh, sw), (dh, dw) = spec.strides, spec.dilation
    in_h, in_w = layer_input.shape[1:3]
    terms = []
    # the positions that weigh most, so the terms shown are the ones that matter
    magnitudes = np.abs(products).ravel()
    count = min(SHOWN_TERMS, magnitudes.size)
    largest = np.argpartition(-magnitudes, count - 1)[:count]  # no full sort: 100,000+ terms
    for flat in largest[np.argsort(-magnitudes[largest], kind="stable")]:
        i, j = (int(v) for v in np.unravel_index(flat, products.shape))
        r, c = i * sh - top + ref.row * dh, j * sw - left + ref.col * dw
        inside = not ref.bias and 0 <= r < in_h and 0 <= c < in_w
        terms.append(Term((i, j), (r, c) if inside else None, float(error[i, j]),
                          float(pixels[i, j])))
    return GradientExplanation(ref, loss, factor, int(error.size), counted,
                               float(products.mean()), tuple(terms))
