"""Reading and writing kernels as text: rows separated by ';' or new lines, values by spaces
or commas, e.g. ``"1 1 1; 1 1 1; 1 1 1"``."""

from __future__ import annotations

import math
import re

import numpy as np

from engine.formatting import format_number
from engine.model.conv import MAX_ABS_WEIGHT
from engine.model.errors import LayerSpecError

#: The smallest non-zero magnitude float32 holds (a subnormal); typed values that would round
#: to 0 below it are refused.
SMALLEST_WEIGHT = float(np.finfo(np.float32).smallest_subnormal)


def parse_number(text: str) -> float:
    """One kernel entry (a table cell, or one value of a text kernel), or a LayerSpecError
    whose message says why it was refused. The bounds, and why:

    - a plain decimal number ("2", "-0.5", "1e-3"); a comma as the decimal mark is refused
      with a hint, since commas separate values in a text kernel;
    - finite: "nan", "inf" and numbers too large for a float ("1e400") are refused, because
      one NaN or infinity in the kernel turns every output value into NaN or infinity;
    - magnitude at most MAX_ABS_WEIGHT (1e6, engine/model/conv.py), so sums over 16-bit pixels
      stay far from float32 overflow;
    - zero, or a value that stays non-zero in float32 (magnitude above about 7e-46, see
      SMALLEST_WEIGHT): anything smaller would silently become 0 in the layer.
    """
    stripped = text.strip()
    if not stripped:
        raise LayerSpecError("Empty cell: type a number.")
    try:
        value = float(stripped)
    except ValueError:
        hint = " Use a point for decimals, e.g. 0.5." if "," in stripped else ""
        raise LayerSpecError(f"{stripped!r} is not a number.{hint}") from None
    if math.isnan(value) or (math.isinf(value) and "inf" in stripped.lower()):
        raise LayerSpecError(f"{stripped!r} is not a finite number.")
    if abs(value) > MAX_ABS_WEIGHT:
        raise LayerSpecError(
            f"{stripped} is too large: entries must lie between "
            f"-{MAX_ABS_WEIGHT:g} and {MAX_ABS_WEIGHT:g}.")
    if value != 0 and np.float32(value) == 0:
        raise LayerSpecError(
            f"{stripped} is too small for float32 (it would become 0): use 0, or a value of "
            f"at least {SMALLEST_WEIGHT:.2g} in size.")
    return value


def parse_kernel(text: str) -> np.ndarray:
    """A (rows, cols) float32 kernel from text; every row must have the same length."""
    rows = [row for row in re.split(r"[;\n]", text) if row.strip()]
    if not rows:
        raise LayerSpecError("The kernel is empty: give rows like \"1 1 1; 1 1 1; 1 1 1\".")
    values = [[parse_number(v) for v in re.split(r"[\s,]+", row.strip()) if v] for row in rows]
    widths = {len(row) for row in values}
    if len(widths) != 1:
        raise LayerSpecError(
            f"Kernel rows have different lengths ({', '.join(str(len(r)) for r in values)}); "
            f"every row needs the same number of values.")
    return np.array(values, dtype=np.float32)


def format_kernel(kernel: np.ndarray) -> str:
    return "; ".join(" ".join(format_number(v) for v in row) for row in np.asarray(kernel))
