"""Why one output value of a layer without weights has its value: the pooled window on the
previous layer's map (which value was the largest, or the terms of the mean), or the one
value an activation, a rescaling or a training-only layer turned into it.

Pure NumPy on the arrays the layers actually read, so the inspector's number is the one the
real Keras layer returned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.arithmetic.receptive_field import Window, taps, window
from engine.formatting import format_number
from engine.model.activation import activate, activation_formula


@dataclass(frozen=True)
class PoolCell:
    row: int
    col: int
    value: float | None  # None: a 'same' padding position, which pooling leaves out


@dataclass(frozen=True)
class PoolExplanation:
    out_row: int
    out_col: int
    channel: int
    mode: str  # "max" or "average"
    window: Window
    cells: tuple[PoolCell, ...]  # row-major over the window
    source: str

    @property
    def inside(self) -> list[PoolCell]:
        return [cell for cell in self.cells if cell.value is not None]

    @property
    def picked(self) -> PoolCell | None:
        """The largest value's cell (the first one, on ties), for max pooling."""
        inside = self.inside
        if self.mode != "max" or not inside:
            return None
        return max(inside, key=lambda cell: cell.value)  # max keeps the first of equals

    @property
    def value(self) -> float:
        values = [cell.value for cell in self.inside]
        if self.mode == "max":
            return max(values)
        return float(np.mean(np.asarray(values, np.float64)))


def explain_pool_pixel(maps: np.ndarray, spec, out_row: int, out_col: int, channel: int,
                       source: str = "x") -> PoolExplanation:
    """Output pixel (out_row, out_col) of ``channel`` of a PoolSpec on ``maps`` (H, W) or
    (H, W, C): the window's cells on that channel."""
    maps = np.asarray(maps)
    plane = maps if maps.ndim == 2 else maps[:, :, channel]
    cells = tuple(PoolCell(*tap.input_index, float(plane[tap.input_index]) if tap.inside
                           else None)
                  for tap in taps(out_row, out_col, plane.shape, spec))
    return PoolExplanation(out_row, out_col, channel, spec.mode,
                           window(out_row, out_col, plane.shape, spec), cells, source)


def pool_lines(explanation: PoolExplanation) -> list[str]:
    """The window as a grid (the largest value in [brackets]), then how it becomes one
    value."""
    grid_rows: list[list[str]] = []
    picked = explanation.picked
    width = explanation.window.width
    for index, cell in enumerate(explanation.cells):
        if index % width == 0:
            grid_rows.append([])
        text = "pad" if cell.value is None else format_number(cell.value)
        grid_rows[-1].append(f"[{text}]" if cell == picked else f" {text} ")
    size = max(len(text) for row in grid_rows for text in row)
    w = explanation.window
    lines = [f"{explanation.source}[{w.top}..{w.top + w.height - 1}, "
             f"{w.left}..{w.left + w.width - 1}, {explanation.channel}]:"]
    lines += ["  " + " ".join(text.rjust(size) for text in row) for row in grid_rows]
    left_out = len(explanation.cells) - len(explanation.inside)
    if left_out:
        lines.append(f"{left_out} position(s) lie in the 'same' padding: pooling leaves them "
                     f"out")
    if explanation.mode == "max":
        lines.append(f"max of {len(explanation.inside)} values = "
                     f"{format_number(explanation.value)} (at row {picked.row}, column "
                     f"{picked.col})")
    else:
        terms = " + ".join(format_number(cell.value) for cell in explanation.inside)
        lines.append(f"({terms}) / {len(explanation.inside)} = "
                     f"{format_number(explanation.value)}")
    return lines


def elementwise_lines(spec, value: float, source: str, where: str) -> list[str]:
    """An activation, a rescaling or a training-only layer at one position: the one input
    value ``value`` (``source[where]``) and what the layer makes of it."""
    x = format_number(value)
    kind = spec.kind
    if kind in ("Activation", "ReLU"):
        result = activate(spec.activation, float(value))
        return [f"{source}[{where}] = {x}",
                f"{spec.activation}: {activation_formula(spec.activation, x)} = "
                f"{format_number(result)}"]
    if kind == "Rescaling":
        result = float(value) * spec.scale + spec.offset
        return [f"{source}[{where}] = {x}",
                f"x · {format_number(spec.scale)} + {format_number(spec.offset)} = "
                f"{format_number(result)}"]
    return [f"{source}[{where}] = {x}",
            f"{kind} {spec.what_it_does()}; at inference it passes the value on: {x}"]


def elementwise_value(spec, value: float) -> float:
    """What a layer without a window makes of one value."""
    if spec.kind in ("Activation", "ReLU"):
        return activate(spec.activation, float(value))
    if spec.kind == "Rescaling":
        return float(value) * spec.scale + spec.offset
    return float(value)
