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
from pathlib import Path

import numpy as np

from engine.kernels.edits import channels_identical, keras_kernel
from engine.kernels.text import parse_kernel
from engine.model.conv import ConvSpec, check_conv
from engine.model.errors import LayerSpecError
from engine.storage.atomic import SaveError, atomic_write_bytes
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
            if name in document and document[name] != expected:
                raise ValueError(f"\"{name}\" says {json.dumps(document[name])} but the "
                                 f"values have {json.dumps(expected)}")
        spec = ConvSpec(kernel=kernel,
                        strides=_pair(document.get("strides", (1, 1)), '"strides"'),
                        padding=document.get("padding", "valid"),
                        dilation=_pair(document.get("dilation", (1, 1)), '"dilation"'),
                        bias=_bias(document.get("bias", 0.0), kernel.shape[3]),
                        activation=document.get("activation", "linear"))
        check_conv(spec)
    except (ValueError, TypeError, LayerSpecError) as exc:
        raise KernelFileError(f"{source}: {exc}") from None
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
    try:
        return np.array(value, dtype=np.float32)
    except (ValueError, TypeError):
        raise ValueError(f"{what} must be numbers, in rows of equal length") from None


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a number, not {json.dumps(value)}")
    return float(value)


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


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KernelFileError(f"{path.name}: no such file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KernelFileError(f"{path.name} cannot be read as text ({exc}).") from None


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
