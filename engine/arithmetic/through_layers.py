"""The receptive field of one output pixel of any layer, composed through every layer before
it down to the input image.

Going back one layer, an output range of rows [a, b] needs the input rows
[a·s - pad, b·s - pad + d(k-1)]: the first window's start to the last window's end (for a
pooling layer k is the pool size and d is 1; an activation keeps the range). Repeating that
layer by layer gives the pixels of the image that can change this one value. Parts of it may
lie outside the image (padding). Pure integer arithmetic on the model's shapes.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.arithmetic.receptive_field import geometry, padding_before


@dataclass(frozen=True)
class Region:
    """Rows top..bottom and columns left..right, inclusive, in some layer's input (may reach
    outside it, into padding)."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top + 1

    @property
    def width(self) -> int:
        return self.right - self.left + 1

    def clipped(self, hw: tuple[int, int]) -> Region:
        """The part inside an image of ``hw``."""
        return Region(max(self.top, 0), max(self.left, 0), min(self.bottom, hw[0] - 1),
                      min(self.right, hw[1] - 1))


def _slides(spec) -> bool:
    return spec.kind == "Conv2D" or spec.kind.endswith("Pooling2D")


def back_one_layer(region: Region, spec, input_hw: tuple[int, int]) -> Region:
    """The input range of ``spec`` (reading ``input_hw``) that makes ``region`` of its
    output."""
    if not _slides(spec):
        return region
    (kh, kw), (sh, sw), (dh, dw) = geometry(spec)
    top, left = padding_before(input_hw, spec)
    return Region(region.top * sh - top, region.left * sw - left,
                  region.bottom * sh - top + dh * (kh - 1),
                  region.right * sw - left + dw * (kw - 1))


def receptive_field(model, input_shape: tuple[int, int, int, int], layer: int, row: int,
                    col: int) -> Region:
    """The image pixels output pixel (row, col) of layer ``layer`` depends on (unclipped)."""
    shapes = model.input_shapes(input_shape)
    region = Region(row, col, row, col)
    for index in range(layer, -1, -1):
        region = back_one_layer(region, model.layers[index], tuple(shapes[index][1:3]))
    return region


def field_lines(model, input_shape: tuple[int, int, int, int], layer: int) -> list[str]:
    """How the receptive field grows, layer by layer, as r = r_prev + (k - 1)·d·j and
    j = j_prev·s (j: how many image pixels one step in that layer's input is), rows."""
    names, size, jump, lines = model.layer_names(), 1, 1, []
    for index in range(layer + 1):
        spec = model.layers[index]
        if not _slides(spec):
            continue
        (k, _), (s, _), (d, _) = geometry(spec)
        grown = size + (k - 1) * d * jump
        lines.append(f"{names[index]}: {size} + ({k} - 1)·{d}·{jump} = {grown} rows")
        size, jump = grown, jump * s
    return lines
