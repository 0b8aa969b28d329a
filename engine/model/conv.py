"""One Conv2D layer: its settings and its weights in Keras's own layout.

The kernel is always (kh, kw, in_channels, filters) float32 and the bias (filters,), from the
state to the engine, exactly as ``layer.get_weights()`` returns them; a view that shows one
plane slices it. Plain Python and NumPy, so the window can check a setting before TensorFlow
has loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from engine.arithmetic.sizes import output_size
from engine.model.activation import ACTIVATIONS  # noqa: F401 (a Conv2D's activations too)
from engine.model.errors import LayerSpecError

PADDINGS = ("valid", "same")

#: Largest kernel side the app offers (the teaching range, not a Keras limit).
MAX_KERNEL_SIZE = 15
#: Largest stride or dilation the app offers.
MAX_STEP = 16
#: Most filters the window's filter box and the command's --kernel give a layer (each gets
#: its own feature map on screen).
MAX_FILTERS = 16
#: Most filters a layer of an opened Keras model may have (small CNNs use 32 or 64).
MAX_MODEL_FILTERS = 512
#: Kernel entries and the bias must stay within this magnitude. Pixels reach 65535 (16-bit)
#: and kernels reach 15x15 taps, so 1e6 keeps every sum far below float32 overflow (3.4e38)
#: while allowing any weight a lesson needs.
MAX_ABS_WEIGHT = 1e6


def _keras_kernel(value) -> np.ndarray:
    kernel = np.array(value, dtype=np.float32)  # a private copy
    if kernel.ndim != 4:
        raise LayerSpecError(
            f"A Conv2D kernel has 4 axes (rows, cols, input channels, filters), as Keras "
            f"stores it; this one has shape {kernel.shape}.")
    if min(kernel.shape) < 1:
        raise LayerSpecError("The kernel needs at least one row, one column, one input "
                             "channel and one filter.")
    return kernel


@dataclass(frozen=True, eq=False)
class ConvSpec:
    """A Conv2D configuration plus its weights: ``kernel`` (kh, kw, C, F), ``bias`` (F,).

    A bias given as one number is used for every filter. ``use_bias`` False (as models
    followed by batch normalization have) keeps the bias at 0 and out of the count."""

    kind = "Conv2D"

    kernel: np.ndarray = field(default_factory=lambda: np.ones((3, 3, 1, 1), np.float32))
    strides: tuple[int, int] = (1, 1)
    padding: str = "valid"
    dilation: tuple[int, int] = (1, 1)
    bias: np.ndarray | float = 0.0
    activation: str = "linear"
    use_bias: bool = True

    def __post_init__(self) -> None:
        kernel = _keras_kernel(self.kernel)
        kernel.setflags(write=False)
        bias = np.array(self.bias if self.use_bias else 0.0, dtype=np.float32)
        if bias.ndim == 0:
            bias = np.full(kernel.shape[3], bias, np.float32)
        if bias.shape != (kernel.shape[3],):
            raise LayerSpecError(f"The bias needs one value per filter ({kernel.shape[3]}), "
                                 f"not {bias.size}.")
        bias.setflags(write=False)
        object.__setattr__(self, "kernel", kernel)
        object.__setattr__(self, "bias", bias)
        object.__setattr__(self, "strides", tuple(int(s) for s in self.strides))
        object.__setattr__(self, "dilation", tuple(int(d) for d in self.dilation))
        object.__setattr__(self, "use_bias", bool(self.use_bias))

    @property
    def kernel_size(self) -> tuple[int, int]:
        return int(self.kernel.shape[0]), int(self.kernel.shape[1])

    @property
    def channels(self) -> int:
        """Input channels the kernel expects."""
        return int(self.kernel.shape[2])

    @property
    def filters(self) -> int:
        return int(self.kernel.shape[3])

    @property
    def weights_shape(self) -> tuple[int, int, int, int]:
        """The Keras kernel shape (kh, kw, in_channels, filters)."""
        return tuple(int(v) for v in self.kernel.shape)

    @property
    def param_count(self) -> int:
        """Weights Keras counts in model.summary(): kh*kw*C*F + F (no F without a bias)."""
        return int(self.kernel.size + (self.bias.size if self.use_bias else 0))

    def param_arithmetic(self) -> str:
        """``3·3·1·4 + 4 = 40``: the count the way model.summary() arrives at it."""
        kh, kw, c, f = self.weights_shape
        bias = f" + {f}" if self.use_bias else ""
        return f"{kh}·{kw}·{c}·{f}{bias} = {self.param_count}"

    def layer_config(self) -> tuple:
        """The part of the spec that needs a new Keras layer when it changes (weights do not)."""
        return (self.kind, self.weights_shape, self.strides, self.padding, self.dilation,
                self.activation, self.use_bias)

    def output_hw(self, input_hw: tuple[int, int]) -> tuple[int, int]:
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.strides, self.dilation
        return (output_size(input_hw[0], kh, sh, dh, self.padding),
                output_size(input_hw[1], kw, sw, dw, self.padding))

    def output_shape(self, input_shape: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """The NHWC shape Keras returns for an input of ``input_shape``: (1, H, W, F)."""
        return (1, *self.output_hw(tuple(input_shape[1:3])), self.filters)

    def check(self, input_shape: tuple[int, int, int, int] | None = None) -> None:
        """Raise LayerSpecError, with a fix in words, for anything Keras would refuse or that
        would give an empty output. Silent when the layer can run."""
        check_conv(self, None if input_shape is None else tuple(input_shape[1:3]),
                   None if input_shape is None else int(input_shape[3]))

    def with_changes(self, **changes) -> ConvSpec:
        return replace(self, **changes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConvSpec):
            return NotImplemented
        return (self.layer_config() == other.layer_config()
                and np.array_equal(self.bias, other.bias)
                and np.array_equal(self.kernel, other.kernel))

    __hash__ = None  # arrays inside: not hashable


def check_conv(spec: ConvSpec, image_hw: tuple[int, int] | None = None,
               image_channels: int | None = None) -> None:
    """The checks of ``ConvSpec.check`` for an input of ``image_hw`` with ``image_channels``."""
    kh, kw = spec.kernel_size
    if kh > MAX_KERNEL_SIZE or kw > MAX_KERNEL_SIZE:
        raise LayerSpecError(
            f"The kernel is {kh}x{kw}; ConvScope allows at most "
            f"{MAX_KERNEL_SIZE}x{MAX_KERNEL_SIZE}.")
    if spec.filters > MAX_MODEL_FILTERS:
        raise LayerSpecError(f"The layer has {spec.filters} filters; ConvScope shows at most "
                             f"{MAX_MODEL_FILTERS}.")
    if not np.all(np.isfinite(spec.kernel)):
        raise LayerSpecError("Every kernel entry must be a finite number (no NaN or infinity).")
    if np.max(np.abs(spec.kernel)) > MAX_ABS_WEIGHT:
        raise LayerSpecError(
            f"Kernel entries must lie between -{MAX_ABS_WEIGHT:g} and {MAX_ABS_WEIGHT:g}.")
    if not np.all(np.isfinite(spec.bias)) or np.max(np.abs(spec.bias)) > MAX_ABS_WEIGHT:
        raise LayerSpecError(
            f"The bias must be a number between -{MAX_ABS_WEIGHT:g} and {MAX_ABS_WEIGHT:g}.")
    if spec.padding not in PADDINGS:
        raise LayerSpecError(f"Padding must be 'valid' or 'same', not {spec.padding!r}.")
    if spec.activation not in ACTIVATIONS:
        raise LayerSpecError(f"Activation must be one of {', '.join(ACTIVATIONS)}.")
    for name, pair in (("Strides", spec.strides), ("Dilation", spec.dilation)):
        if len(pair) != 2 or any(v < 1 or v > MAX_STEP for v in pair):
            raise LayerSpecError(f"{name} must be two whole numbers from 1 to {MAX_STEP}.")
    if max(spec.strides) > 1 and max(spec.dilation) > 1:
        raise LayerSpecError(
            f"Keras cannot combine strides > 1 with dilation > 1 (strides {spec.strides}, "
            f"dilation {spec.dilation}). In the Layer controls set \"Strides (rows, cols)\" to "
            f"1, 1 or \"Dilation (rows, cols)\" to 1, 1 (command line: --strides 1 1 or "
            f"--dilation 1 1).")
    if image_channels is not None and image_channels != spec.channels:
        raise LayerSpecError(
            f"The kernel has {spec.channels} input channel(s) but its input has "
            f"{image_channels}.")
    if image_hw is not None:
        out_h, out_w = spec.output_hw(image_hw)
        if out_h < 1 or out_w < 1:
            eff = [d * (k - 1) + 1 for d, k in zip(spec.dilation, spec.kernel_size)]
            raise LayerSpecError(
                f"The output would be empty: with 'valid' padding the kernel covers "
                f"{eff[0]}x{eff[1]} pixels, more than the {image_hw[0]}x{image_hw[1]} input. "
                f"Use 'same' padding, a smaller kernel or dilation, or a larger image.")
