"""How every number on screen is written: one formatter for the table, the inspector, the
captions and the lesson, so the same value always reads the same."""

from __future__ import annotations


def format_number(value: float) -> str:
    """A kernel entry as the table shows it: 6 significant digits, for reading. The state
    keeps the full float32 value, so a weight like 0.12345679 is shown as 0.123457 but used
    exactly; values with at most 6 significant digits (anything typed in a cell that short)
    round-trip exactly."""
    text = f"{float(value):.6g}"
    return "0" if text == "-0" else text
