"""Which input pixels make one output pixel, and the sum that gives its value.

Output pixel (i, j) reads the input at row i*sh - top + a*dh and column j*sw - left + b*dw for
every kernel tap (a, b), where top/left are the 'same' padding before the image. Positions
outside the image are padding: they exist only as zeros. The pixel inspector lists these
terms and the sliding-window animation draws them; both must agree with the real layer.
A pooling layer slides its window the same way (pool size, strides, never dilated), so
``window`` and ``taps`` serve it too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.arithmetic.sizes import same_padding
from engine.formatting import format_number
from engine.model.activation import activate, activation_formula
from engine.model.conv import ConvSpec

CHANNEL_NAMES = ("R", "G", "B")


@dataclass(frozen=True)
class Tap:
    """One kernel position (a, b) and the input position it reads for one output pixel."""

    kernel_index: tuple[int, int]
    input_index: tuple[int, int]  # may lie outside the image: a padding zero
    inside: bool


@dataclass(frozen=True)
class Window:
    """Where the window sits for one output pixel: its top-left corner in input coordinates
    (negative inside the top/left padding) and its span in rows and columns."""

    top: int
    left: int
    height: int
    width: int


def geometry(spec) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """(window size, strides, dilation) of a Conv2D or a pooling layer."""
    if spec.kind.endswith("Pooling2D"):
        return spec.pool_size, spec.step, (1, 1)
    return spec.kernel_size, spec.strides, spec.dilation


def padding_before(image_hw: tuple[int, int], spec: ConvSpec) -> tuple[int, int]:
    """Zero rows above and columns left of the image (0, 0 for 'valid')."""
    if spec.padding != "same":
        return 0, 0
    return tuple(same_padding(n, k, s, d)[0] for n, k, s, d in zip(image_hw, *geometry(spec)))


def window(out_row: int, out_col: int, image_hw: tuple[int, int], spec: ConvSpec) -> Window:
    out_h, out_w = spec.output_hw(image_hw)
    if not (0 <= out_row < out_h and 0 <= out_col < out_w):
        raise ValueError(f"output pixel ({out_row}, {out_col}) is outside the "
                         f"{out_h}x{out_w} output")
    top, left = padding_before(image_hw, spec)
    (kh, kw), (sh, sw), (dh, dw) = geometry(spec)
    return Window(out_row * sh - top, out_col * sw - left, dh * (kh - 1) + 1, dw * (kw - 1) + 1)


def taps(out_row: int, out_col: int, image_hw: tuple[int, int], spec: ConvSpec) -> list[Tap]:
    """Every kernel tap for output pixel (out_row, out_col), row-major over the kernel."""
    corner = window(out_row, out_col, image_hw, spec)
    (kh, kw), _, (dh, dw) = geometry(spec)
    height, width = image_hw
    result = []
    for a in range(kh):
        for b in range(kw):
            row, col = corner.top + a * dh, corner.left + b * dw
            result.append(Tap((a, b), (row, col), 0 <= row < height and 0 <= col < width))
    return result


@dataclass(frozen=True)
class Term:
    """input x weight = product, for one tap and one input channel."""

    tap: Tap
    channel: int | None  # None for a one-channel input
    value: float  # the input pixel, 0 for padding
    weight: float
    product: float


@dataclass(frozen=True)
class PixelExplanation:
    out_row: int
    out_col: int
    filter_index: int
    terms: list[Term]
    total: float  # the sum of every product
    bias: float
    activation: str
    source: str = "x"  # how the input is named: x (the image) or the layer it comes from
    channel_names: tuple[str, ...] = CHANNEL_NAMES

    @property
    def before_activation(self) -> float:
        return self.total + self.bias

    @property
    def value(self) -> float:
        """What the layer outputs at this pixel."""
        return activate(self.activation, self.before_activation)

    def channel_sums(self) -> list[tuple[int, float]]:
        """(channel, sum of its products): a conv on several channels adds them all."""
        sums: dict[int, float] = {}
        for term in self.terms:
            if term.channel is not None:
                sums[term.channel] = sums.get(term.channel, 0.0) + term.product
        return sorted(sums.items())


def explain_pixel(pixels: np.ndarray, spec: ConvSpec, out_row: int, out_col: int,
                  filter_index: int = 0, source: str = "x",
                  channel_names: tuple[str, ...] | None = None) -> PixelExplanation:
    """Every term of output pixel (out_row, out_col) of filter ``filter_index``, for an input
    ``pixels`` (H, W) or (H, W, C), summed in float64 from the float32 weights and pixels the
    layer uses: the value Keras puts at output[0, out_row, out_col, filter_index]. A layer
    reading the previous layer's maps names them by ``source`` and its channels by index
    (``channel_names`` None: R, G, B for three channels of the image)."""
    pixels = np.asarray(pixels)
    weights = spec.kernel[:, :, :, filter_index]
    channels = [None] if pixels.ndim == 2 else list(range(pixels.shape[2]))
    terms = []
    for tap in taps(out_row, out_col, pixels.shape[:2], spec):
        for channel in channels:
            value = 0.0
            if tap.inside:
                at = tap.input_index if channel is None else (*tap.input_index, channel)
                value = float(pixels[at])
            weight = float(weights[(*tap.kernel_index, channel or 0)])
            terms.append(Term(tap, channel, value, weight, value * weight))
    total = float(sum(term.product for term in terms))
    return PixelExplanation(out_row, out_col, filter_index, terms, total,
                            float(spec.bias[filter_index]), spec.activation, source,
                            CHANNEL_NAMES if channel_names is None else tuple(channel_names))


def channel_name(channel: int | None, names: tuple[str, ...] = CHANNEL_NAMES) -> str:
    if channel is None:
        return ""
    return names[channel] if channel < len(names) else str(channel)


def term_line(term: Term, source: str = "x", names: tuple[str, ...] = CHANNEL_NAMES) -> str:
    """input x weight = product, e.g. ``x[10, 21] × w[0, 1] = 87 × 0.421568 = 36.6764``;
    a padding position reads ``pad[-1, 4]`` and is 0. A deeper layer's input is named after
    the layer it comes from, e.g. ``re_lu[4, 7, 2]``."""
    a, b = term.tap.kernel_index
    row, col = term.tap.input_index
    name = channel_name(term.channel, names)
    suffix = f", {name}" if name else ""
    source = source if term.tap.inside else "pad"
    return (f"{source}[{row}, {col}{suffix}] × w[{a}, {b}{suffix}] = "
            f"{format_number(term.value)} × {format_number(term.weight)} = "
            f"{format_number(term.product)}")


def summary_lines(explanation: PixelExplanation) -> list[str]:
    """The sum, the bias and the activation, each with its number."""
    padded = sum(1 for term in explanation.terms if not term.tap.inside)
    zeros = f" ({padded} from padding zeros)" if padded else ""
    sums = explanation.channel_sums()
    lines = []
    if sums and explanation.source != "x":
        # a conv on feature maps: one sum per input channel, then the sum over all of them
        per_channel = len(explanation.terms) // len(sums)
        lines += [f"channel {channel_name(c, explanation.channel_names)}: sum of "
                  f"{per_channel} products = {format_number(total)}" for c, total in sums]
        lines.append(f"sum over all {len(sums)} input channels{zeros} = "
                     f"{format_number(explanation.total)}")
    else:
        lines.append(f"sum of {len(explanation.terms)} products{zeros} = "
                     f"{format_number(explanation.total)}")
    lines.append(f"+ bias {format_number(explanation.bias)} = "
                 f"{format_number(explanation.before_activation)}")
    if explanation.activation != "linear":
        formula = activation_formula(explanation.activation,
                                     format_number(explanation.before_activation))
        lines.append(f"{explanation.activation}: {formula} = "
                     f"{format_number(explanation.value)}")
    return lines
