"""Kernels on disk: ConvScope's JSON (the whole layer) and ImageJ-style plain text.

JSON keeps everything needed to reproduce an output: the kernel in Keras's own layout
(rows, cols, input channels, filters), one bias per filter, strides, padding, dilation and
activation; files of version 1 (one filter: a 2D kernel or rows of R, G, B lists, one bias)
still load. Plain text is what ImageJ's Convolve and GIMP users exchange: one kernel row per
line, values separated by whitespace; it holds one filter. Every read is checked in full
before anything is returned, so a malformed file changes nothing; every write is atomic.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from engine.kernels.edits import channels_identical, keras_kernel
from engine.kernels.text import parse_kernel
from engine.model.conv import MAX_ABS_WEIGHT, ConvSpec, check_conv
from engine.model.errors import LayerSpecError
from engine.storage.atomic import SaveError, atomic_write_bytes
from engine.storage.text_files import TextFileError, read_small_text
from engine.teaching.codegen import float_literal

FORMAT = "convscope-kernel"
VERSION = 2
LAYOUT = "keras: (rows, cols, input channels, filters)"


class KernelFileError(Exception):
    """A kernel file could not be read; the message names the file and the problem."""


def spec_to_json(spec: ConvSpec) -> str:
    """The whole layer as readable JSON; "values" holds the kernel in Keras's layout, so
    ``np.array(values)`` is the (kh, kw, C, F) array ``layer.get_weights()[0]`` returns."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "layout": LAYOUT,
        "size": list(spec.kernel_size),
        "channels": spec.channels,
        "filters": spec.filters,
        "values": spec.kernel.tolist(),
        "bias": spec.bias.tolist(),
        "strides": list(spec.strides),
        "padding": spec.padding,
        "dilation": list(spec.dilation),
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
        if kernel.ndim == 2:  # version 1: one filter of a one-channel layer
            kernel = kernel[:, :, None, None]
        elif kernel.ndim == 3:  # version 1: one filter, rows of channel lists
            kernel = kernel[:, :, :, None]
        elif kernel.ndim != 4:
            raise ValueError("the kernel must be rows of numbers, or Keras's 4-D layout "
                             "(rows, cols, input channels, filters)")
        for name, expected in (("size", list(kernel.shape[:2])),
                               ("channels", kernel.shape[2]), ("filters", kernel.shape[3])):
            given = document.get(name, expected)
            if isinstance(given, bool) or given != expected:  # true is not 1
                raise ValueError(f"\"{name}\" says {_json_words(given)} but the "
                                 f"values have {json.dumps(expected)}")
        spec = ConvSpec(kernel=kernel,
                        strides=_pair(document.get("strides", (1, 1)), '"strides"'),
                        padding=document.get("padding", "valid"),
                        dilation=_pair(document.get("dilation", (1, 1)), '"dilation"'),
                        bias=_bias(document.get("bias", 0.0), kernel.shape[3]),
                        activation=document.get("activation", "linear"))
        check_conv(spec)
    except (ValueError, TypeError, OverflowError, LayerSpecError) as exc:
        raise KernelFileError(f"{source}: {exc}") from None
    except RecursionError:  # a field nested too deeply to describe
        raise KernelFileError(f"{source}: a field is nested too deeply.") from None
    return spec


def _bias(value, filters: int) -> np.ndarray | float:
    """One number (every filter) or a list of one number per filter."""
    if isinstance(value, list):
        values = [_number(v, '"bias"') for v in value]
        if len(values) != filters:
            raise ValueError(f'"bias" needs one value per filter ({filters}), not '
                             f"{len(values)}")
        return np.array(values, np.float32)
    return _number(value, '"bias"')


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
        elif abs(item) > MAX_ABS_WEIGHT:  # also true for infinity (NaN: check_conv refuses it)
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


def kernel_to_text(weights: np.ndarray) -> str:
    """ImageJ-style text of one filter's (kh, kw, C) weights: one row per line, exact float32
    values."""
    if not channels_identical(weights):
        raise SaveError("Plain text holds one 2D kernel, but the R, G and B kernels differ: "
                        "save as JSON to keep all three.")
    return "\n".join(" ".join(float_literal(v) for v in row) for row in weights[:, :, 0]) + "\n"


def kernel_from_text(text: str, source: str = "the file") -> np.ndarray:
    """A (rows, cols) kernel plane from whitespace-separated rows; '#' starts a comment."""
    lines = [line.split("#", 1)[0] for line in text.splitlines()]
    body = "\n".join(line for line in lines if line.strip())
    try:
        plane = parse_kernel(body)
        check_conv(ConvSpec(kernel=keras_kernel(plane)))
    except LayerSpecError as exc:
        raise KernelFileError(f"{source}: {exc}") from None
    return plane


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


def load_kernel_file(path: str | Path, current: ConvSpec, filter_index: int = 0) -> ConvSpec:
    """The spec a kernel file describes. JSON replaces the whole layer; plain text replaces
    only filter ``filter_index`` of ``current`` (the same plane on every input channel)."""
    path = Path(path)
    text = _read_text(path)
    if is_json_path(path):
        return spec_from_json(text, path.name)
    plane = kernel_from_text(text, path.name)
    kernel = np.array(current.kernel)
    if plane.shape != kernel.shape[:2]:
        if current.filters > 1:
            raise KernelFileError(
                f"{path.name} holds a {plane.shape[0]}x{plane.shape[1]} kernel but the layer's "
                f"filters are {kernel.shape[0]}x{kernel.shape[1]} (every filter of a layer has "
                f"one size): resize the kernel first, or load a JSON file.")
        kernel = np.zeros((*plane.shape, *kernel.shape[2:]), np.float32)
    kernel[:, :, :, filter_index] = plane[:, :, None]
    return current.with_changes(kernel=kernel)


def save_kernel_file(path: str | Path, spec: ConvSpec, filter_index: int = 0) -> None:
    """JSON (the whole layer) for a .json path, ImageJ-style text of filter ``filter_index``
    otherwise; raises SaveError."""
    text = (spec_to_json(spec) if is_json_path(path)
            else kernel_to_text(spec.kernel[:, :, :, filter_index]))
    atomic_write_bytes(path, text.encode("utf-8"))


#: A kernel file larger than this is not a kernel (15x15x3x16 float64 is 86 kB).
MAX_WEIGHTS_BYTES = 1_000_000


def load_weights_npy(path: str | Path) -> np.ndarray:
    """A (kh, kw, C, F) kernel from a .npy file in Keras layout (``layer.get_weights()[0]``),
    as float32; KernelFileError for anything else. Never unpickles (no code runs)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_WEIGHTS_BYTES:
            raise KernelFileError(f"{path.name} is {path.stat().st_size:,} bytes: too large "
                                  f"for a kernel (at most {MAX_WEIGHTS_BYTES:,}).")
        array = np.load(path, allow_pickle=False)
    except KernelFileError:
        raise
    except FileNotFoundError:
        raise KernelFileError(f"{path.name}: no such file.") from None
    except (OSError, ValueError, EOFError) as exc:
        raise KernelFileError(f"{path.name} is not a NumPy .npy array ({exc}).") from None
    if not isinstance(array, np.ndarray) or array.ndim != 4:
        raise KernelFileError(f"{path.name} must hold a 4-D kernel (rows, cols, channels, "
                              f"filters), not shape {getattr(array, 'shape', '?')}.")
    if array.dtype.kind not in "fiu":
        raise KernelFileError(f"{path.name} holds {array.dtype} values, not numbers.")
    return array.astype(np.float32)
