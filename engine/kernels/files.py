"""Kernels on disk: ConvScope's JSON (the whole layer) and ImageJ-style plain text.

JSON keeps everything needed to reproduce an output: the weights, their size, strides,
padding, dilation, bias and activation. Plain text is what ImageJ's Convolve and GIMP users
exchange: one kernel row per line, values separated by whitespace. Every read is checked in
full before anything is returned, so a malformed file changes nothing; every write is atomic.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from engine.kernels.edits import channels_identical
from engine.kernels.text import parse_kernel
from engine.model.spec import MAX_ABS_WEIGHT, ConvSpec, ConvSpecError, validate
from engine.storage.atomic import SaveError, atomic_write_bytes
from engine.storage.text_files import TextFileError, read_small_text
from engine.teaching.codegen import float_literal

FORMAT = "convscope-kernel"
VERSION = 1


class KernelFileError(Exception):
    """A kernel file could not be read; the message names the file and the problem."""


def spec_to_json(spec: ConvSpec) -> str:
    """The whole layer as readable JSON; "values" holds the kernel as rows (each entry a list
    of R, G, B weights for a colour kernel). Files that call it "kernel" load too."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "size": list(spec.kernel_size),
        "channels": spec.channels,
        "values": spec.kernel.tolist(),
        "strides": list(spec.strides),
        "padding": spec.padding,
        "dilation": list(spec.dilation),
        "bias": spec.bias,
        "activation": spec.activation,
    }
    return json.dumps(document, indent=2) + "\n"


def spec_from_json(text: str, source: str = "the file") -> ConvSpec:
    """A validated ConvSpec from JSON text; KernelFileError explains anything wrong."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KernelFileError(f"{source} is not valid JSON ({exc.msg}, line {exc.lineno}).") \
            from None
    except RecursionError:
        raise KernelFileError(f"{source} is nested too deeply to be a kernel file.") from None
    except ValueError as exc:  # e.g. an integer with thousands of digits
        raise KernelFileError(f"{source} cannot be read as JSON "
                              f"({str(exc).split(';')[0]}).") from None
    key = "values" if isinstance(document, dict) and "values" in document else "kernel"
    if not isinstance(document, dict) or key not in document:
        raise KernelFileError(f"{source} is not a ConvScope kernel file (no \"values\" entry).")
    try:
        kernel = _number_array(document[key], f'"{key}"')
        if kernel.ndim not in (2, 3):
            raise ValueError("the kernel must be rows of numbers (or rows of channel lists)")
        if "size" in document and list(kernel.shape[:2]) != list(document["size"]):
            raise ValueError(f"\"size\" says {document['size']} but the kernel is "
                             f"{kernel.shape[0]}x{kernel.shape[1]}")
        channels = 1 if kernel.ndim == 2 else kernel.shape[2]
        if "channels" in document and document["channels"] != channels:
            raise ValueError(f"\"channels\" says {json.dumps(document['channels'])} but the "
                             f"values have {channels} channel(s)")
        spec = ConvSpec(kernel=kernel,
                        strides=_pair(document.get("strides", (1, 1)), '"strides"'),
                        padding=document.get("padding", "valid"),
                        dilation=_pair(document.get("dilation", (1, 1)), '"dilation"'),
                        bias=_number(document.get("bias", 0.0), '"bias"'),
                        activation=document.get("activation", "linear"))
        validate(spec)
    except (ValueError, TypeError, OverflowError, ConvSpecError) as exc:
        raise KernelFileError(f"{source}: {exc}") from None
    except RecursionError:  # a field nested too deeply to describe
        raise KernelFileError(f"{source}: a field is nested too deeply.") from None
    return spec


def _number_array(value, what: str) -> np.ndarray:
    """Nested lists of JSON numbers as float32. true/false, text and null are not weights,
    and a number beyond the weight bound is refused here, before float32 would turn it
    into infinity."""
    pending = [value]
    while pending:  # a loop, not recursion: no nesting depth can exhaust the stack
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, bool) or not isinstance(item, (int, float)):
            raise ValueError(f"{what} must be numbers only, not {_json_words(item)}")
        elif abs(item) > MAX_ABS_WEIGHT:  # also true for infinity (NaN: validate refuses it)
            raise ValueError(f"{what}: every entry must lie between -{MAX_ABS_WEIGHT:g} and "
                             f"{MAX_ABS_WEIGHT:g}")
    try:
        return np.array(value, dtype=np.float32)
    except (ValueError, TypeError, OverflowError):
        raise ValueError(f"{what} must be numbers, in rows of equal length") from None


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a number, not {_json_words(value)}")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, not {_json_words(value)}")
    return number


def _json_words(value) -> str:
    """A JSON value as a message quotes it: short, and never failing."""
    try:
        text = json.dumps(value)
    except (ValueError, TypeError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= 40 else f"{text[:37]}..."


def _pair(value, what: str) -> tuple[int, int]:
    """Two whole numbers, e.g. [2, 1]; anything else (text, 1.5, one number) is refused."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"{what} must be two whole numbers, like [1, 1]")
    pair = [_number(v, what) for v in value]
    if not all(v == round(v) for v in pair):
        raise ValueError(f"{what} must be two whole numbers, like [1, 1]")
    return int(pair[0]), int(pair[1])


def kernel_to_text(kernel: np.ndarray) -> str:
    """ImageJ-style text: one row per line, exact float32 values."""
    if not channels_identical(kernel):
        raise SaveError("Plain text holds one 2D kernel, but the R, G and B kernels differ: "
                        "save as JSON to keep all three.")
    plane = kernel if kernel.ndim == 2 else kernel[:, :, 0]
    return "\n".join(" ".join(float_literal(v) for v in row) for row in plane) + "\n"


def kernel_from_text(text: str, source: str = "the file") -> np.ndarray:
    """A (rows, cols) kernel from whitespace-separated rows; '#' starts a comment."""
    lines = [line.split("#", 1)[0] for line in text.splitlines()]
    body = "\n".join(line for line in lines if line.strip())
    try:
        kernel = parse_kernel(body)
        validate(ConvSpec(kernel=kernel))
    except ConvSpecError as exc:
        raise KernelFileError(f"{source}: {exc}") from None
    return kernel


#: A real kernel file is a few kilobytes. Larger ones are refused before they are read, which
#: also keeps parsing short on the GUI thread (about 0.2 s at worst): JSON may describe a whole
#: layer, plain text holds one plane of at most 15x15 values.
MAX_KERNEL_FILE_BYTES = 1_000_000
MAX_TEXT_KERNEL_BYTES = 100_000


def _read_text(path: Path) -> str:
    try:
        limit = MAX_KERNEL_FILE_BYTES if is_json_path(path) else MAX_TEXT_KERNEL_BYTES
        return read_small_text(path, limit, "kernel file")
    except TextFileError as exc:
        raise KernelFileError(str(exc)) from None


def is_json_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".json"


def load_kernel_file(path: str | Path, current: ConvSpec) -> ConvSpec:
    """The spec a kernel file describes. JSON replaces the whole layer; plain text replaces
    only the weights of ``current`` (repeated on every channel of a colour kernel)."""
    path = Path(path)
    text = _read_text(path)
    if is_json_path(path):
        return spec_from_json(text, path.name)
    kernel = kernel_from_text(text, path.name)
    if current.channels > 1:
        kernel = np.repeat(kernel[:, :, None], current.channels, axis=2)
    return current.with_changes(kernel=kernel)


def save_kernel_file(path: str | Path, spec: ConvSpec) -> None:
    """JSON for a .json path, ImageJ-style text otherwise; raises SaveError."""
    text = spec_to_json(spec) if is_json_path(path) else kernel_to_text(spec.kernel)
    atomic_write_bytes(path, text.encode("utf-8"))
