"""Kernels on disk: ConvScope's JSON (the whole layer) and ImageJ-style plain text.

JSON keeps everything needed to reproduce an output: the weights, their size, strides,
padding, dilation, bias and activation. Plain text is what ImageJ's Convolve and GIMP users
exchange: one kernel row per line, values separated by whitespace. Every read is checked in
full before anything is returned, so a malformed file changes nothing; every write is atomic.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from engine.kernels.edits import channels_identical
from engine.kernels.text import parse_kernel
from engine.model.spec import ConvSpec, ConvSpecError, validate
from engine.storage.atomic import SaveError, atomic_write_bytes
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
    except (ValueError, TypeError, ConvSpecError) as exc:
        raise KernelFileError(f"{source}: {exc}") from None
    return spec


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


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KernelFileError(f"{path.name}: no such file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KernelFileError(f"{path.name} cannot be read as text ({exc}).") from None


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
