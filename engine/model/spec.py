"""What a Conv2D layer is asked to do, and the arithmetic that explains its output shape.

Everything here is plain Python and NumPy, so the window can show shapes and refuse bad
settings before TensorFlow has even loaded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

PADDINGS = ("valid", "same")
ACTIVATIONS = ("linear", "relu")

#: Largest kernel side the app offers (the teaching range, not a Keras limit).
MAX_KERNEL_SIZE = 15
#: Largest stride or dilation the app offers.
MAX_STEP = 16
#: Kernel entries and the bias must stay within this magnitude. Pixels reach 65535 (16-bit)
#: and kernels reach 15x15 taps, so 1e6 keeps every sum far below float32 overflow (3.4e38)
#: while allowing any weight a lesson needs.
MAX_ABS_WEIGHT = 1e6


class ConvSpecError(ValueError):
    """A setting the layer cannot run with, worded for a student, with the way out."""


@dataclass(frozen=True, eq=False)
class ConvSpec:
    """One Conv2D configuration plus its weights (filters is always 1).

    ``kernel`` has shape (kh, kw) for a grayscale input, or (kh, kw, channels) for a
    multi-channel one; Keras's own weight shape adds the filters axis (see ``weights_shape``).
    """

    kernel: np.ndarray = field(default_factory=lambda: np.ones((3, 3), np.float32))
    strides: tuple[int, int] = (1, 1)
    padding: str = "valid"
    dilation: tuple[int, int] = (1, 1)
    bias: float = 0.0
    activation: str = "linear"

    def __post_init__(self) -> None:
        kernel = np.array(self.kernel, dtype=np.float32)  # a private, read-only copy
        kernel.setflags(write=False)
        object.__setattr__(self, "kernel", kernel)
        object.__setattr__(self, "strides", tuple(int(s) for s in self.strides))
        object.__setattr__(self, "dilation", tuple(int(d) for d in self.dilation))
        object.__setattr__(self, "bias", float(self.bias))

    @property
    def kernel_size(self) -> tuple[int, int]:
        return int(self.kernel.shape[0]), int(self.kernel.shape[1])

    @property
    def channels(self) -> int:
        return 1 if self.kernel.ndim == 2 else int(self.kernel.shape[2])

    @property
    def weights_shape(self) -> tuple[int, int, int, int]:
        """The Keras kernel shape (kh, kw, in_channels, filters)."""
        return (*self.kernel_size, self.channels, 1)

    def keras_kernel(self) -> np.ndarray:
        """The kernel as Keras stores it: (kh, kw, in_channels, 1), float32."""
        return self.kernel.reshape(self.weights_shape)

    def layer_config(self) -> tuple:
        """The part of the spec that needs a new layer when it changes (weights do not)."""
        return (self.kernel_size, self.channels, self.strides, self.padding,
                self.dilation, self.activation)

    def with_changes(self, **changes) -> ConvSpec:
        return replace(self, **changes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConvSpec):
            return NotImplemented
        return (self.layer_config() == other.layer_config() and self.bias == other.bias
                and np.array_equal(self.kernel, other.kernel))

    __hash__ = None  # mutable-looking arrays inside: not hashable


def output_size(n: int, k: int, stride: int, dilation: int, padding: str) -> int:
    """Output length of one axis, exactly as Keras computes it.

    'valid': floor((n - d(k-1) - 1) / s) + 1, which can be zero or less (an empty output).
    'same': ceil(n / s).
    """
    if padding == "same":
        return math.ceil(n / stride)
    return (n - dilation * (k - 1) - 1) // stride + 1


def same_padding(n: int, k: int, stride: int, dilation: int) -> tuple[int, int]:
    """Zero rows (or columns) TensorFlow adds (before, after) for 'same' padding.

    The total is whatever makes ceil(n/s) windows fit; when it is odd the extra one goes
    after (bottom or right).
    """
    out = math.ceil(n / stride)
    total = max((out - 1) * stride + dilation * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def output_hw(image_hw: tuple[int, int], spec: ConvSpec) -> tuple[int, int]:
    kh, kw = spec.kernel_size
    return (output_size(image_hw[0], kh, spec.strides[0], spec.dilation[0], spec.padding),
            output_size(image_hw[1], kw, spec.strides[1], spec.dilation[1], spec.padding))


def output_shape(image_hw: tuple[int, int], spec: ConvSpec) -> tuple[int, int, int, int]:
    """The NHWC shape Keras returns: (1, H_out, W_out, 1)."""
    return (1, *output_hw(image_hw, spec), 1)


def format_shape(shape: tuple[int, ...]) -> str:
    """A shape the way Python prints a tuple, e.g. ``(1, 255, 510, 1)``."""
    return str(tuple(int(v) for v in shape))


def validate(spec: ConvSpec, image_hw: tuple[int, int] | None = None,
             image_channels: int | None = None) -> None:
    """Raise ConvSpecError, with a fix in words, for anything Keras would refuse or that
    would give an empty output. Silent when the spec can run."""
    kh, kw = spec.kernel_size
    if spec.kernel.ndim not in (2, 3) or kh < 1 or kw < 1:
        raise ConvSpecError("The kernel needs at least one row and one column.")
    if kh > MAX_KERNEL_SIZE or kw > MAX_KERNEL_SIZE:
        raise ConvSpecError(
            f"The kernel is {kh}x{kw}; ConvScope allows at most "
            f"{MAX_KERNEL_SIZE}x{MAX_KERNEL_SIZE}.")
    if not np.all(np.isfinite(spec.kernel)):
        raise ConvSpecError("Every kernel entry must be a finite number (no NaN or infinity).")
    if np.max(np.abs(spec.kernel)) > MAX_ABS_WEIGHT:
        raise ConvSpecError(
            f"Kernel entries must lie between -{MAX_ABS_WEIGHT:g} and {MAX_ABS_WEIGHT:g}.")
    if not math.isfinite(spec.bias) or abs(spec.bias) > MAX_ABS_WEIGHT:
        raise ConvSpecError(
            f"The bias must be a number between -{MAX_ABS_WEIGHT:g} and {MAX_ABS_WEIGHT:g}.")
    if spec.padding not in PADDINGS:
        raise ConvSpecError(f"Padding must be 'valid' or 'same', not {spec.padding!r}.")
    if spec.activation not in ACTIVATIONS:
        raise ConvSpecError(f"Activation must be one of {', '.join(ACTIVATIONS)}.")
    for name, pair in (("Strides", spec.strides), ("Dilation", spec.dilation)):
        if len(pair) != 2 or any(v < 1 or v > MAX_STEP for v in pair):
            raise ConvSpecError(f"{name} must be two whole numbers from 1 to {MAX_STEP}.")
    if max(spec.strides) > 1 and max(spec.dilation) > 1:
        raise ConvSpecError(
            f"Keras cannot combine strides > 1 with dilation > 1 (strides {spec.strides}, "
            f"dilation {spec.dilation}). In the Layer controls set \"Strides (rows, cols)\" to "
            f"1, 1 or \"Dilation (rows, cols)\" to 1, 1 (command line: --strides 1 1 or "
            f"--dilation 1 1).")
    if image_channels is not None and image_channels != spec.channels:
        raise ConvSpecError(
            f"The kernel has {spec.channels} input channel(s) but the image has "
            f"{image_channels}.")
    if image_hw is not None:
        out_h, out_w = output_hw(image_hw, spec)
        if out_h < 1 or out_w < 1:
            eff = [d * (k - 1) + 1 for d, k in zip(spec.dilation, spec.kernel_size)]
            raise ConvSpecError(
                f"The output would be empty: with 'valid' padding the kernel covers "
                f"{eff[0]}x{eff[1]} pixels, more than the {image_hw[0]}x{image_hw[1]} image. "
                f"Use 'same' padding, a smaller kernel or dilation, or a larger image.")
