"""Reading values out of a parsed JSON document, each checked for what it must be, with a
sentence that names it when it is not: the checks a session file (and each layer in it) is
read with."""

from __future__ import annotations

import json
import math


def section(document: dict, key: str, required: bool = False) -> dict:
    value = document.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f'"{key}" must be an object')
    return value


def known(document: dict, keys: set[str], where: str) -> None:
    unknown = sorted(set(document) - keys)
    if unknown:
        raise ValueError(f"{where} has entries ConvScope does not know: "
                         f"{', '.join(map(json.dumps, unknown[:5]))}")


def whole(value, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{what} must be a whole number from {low} to {high}, not "
                         f"{json.dumps(value)[:40]}")
    return value


def number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value):
        raise ValueError(f"{what} must be a number, not {json.dumps(value)[:40]}")
    return float(value)


def flag(value, what: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{what} must be true or false, not {json.dumps(value)[:40]}")
    return value


def choice(value, choices, what: str) -> str:
    if value not in choices:
        raise ValueError(f"{what} must be one of {', '.join(choices)}, not "
                         f"{json.dumps(value)[:40]}")
    return value
