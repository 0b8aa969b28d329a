"""Reading and writing kernels as text: rows separated by ';' or new lines, values by spaces
or commas, e.g. ``"1 1 1; 1 1 1; 1 1 1"``."""

from __future__ import annotations

import math
import re

import numpy as np

from engine.spec import MAX_ABS_WEIGHT, ConvSpecError


def parse_number(text: str) -> float:
    """One kernel entry, refused with a reason unless it is a finite number within bounds."""
    stripped = text.strip()
    if not stripped:
        raise ConvSpecError("Empty cell: type a number.")
    try:
        value = float(stripped)
    except ValueError:
        raise ConvSpecError(f"{stripped!r} is not a number.") from None
    if not math.isfinite(value):
        raise ConvSpecError(f"{stripped!r} is not a finite number.")
    if abs(value) > MAX_ABS_WEIGHT:
        raise ConvSpecError(
            f"{stripped} is too large: entries must lie between "
            f"-{MAX_ABS_WEIGHT:g} and {MAX_ABS_WEIGHT:g}.")
    return value


def parse_kernel(text: str) -> np.ndarray:
    """A (rows, cols) float32 kernel from text; every row must have the same length."""
    rows = [row for row in re.split(r"[;\n]", text) if row.strip()]
    if not rows:
        raise ConvSpecError("The kernel is empty: give rows like \"1 1 1; 1 1 1; 1 1 1\".")
    values = [[parse_number(v) for v in re.split(r"[\s,]+", row.strip()) if v] for row in rows]
    widths = {len(row) for row in values}
    if len(widths) != 1:
        raise ConvSpecError(
            f"Kernel rows have different lengths ({', '.join(str(len(r)) for r in values)}); "
            f"every row needs the same number of values.")
    return np.array(values, dtype=np.float32)


def format_number(value: float) -> str:
    """A kernel entry as the table shows it: short, but exact enough to round-trip float32."""
    text = f"{float(value):.6g}"
    return "0" if text == "-0" else text


def format_kernel(kernel: np.ndarray) -> str:
    return "; ".join(" ".join(format_number(v) for v in row) for row in np.asarray(kernel))
