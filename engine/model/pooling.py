"""A MaxPooling2D or AveragePooling2D layer: the largest (or the mean) of each window, per
channel.

No weights; the channels stay, the rows and columns shrink by the strides. ``strides`` None
means the pool size, as in Keras. Plain Python, so the window checks a setting before
TensorFlow has loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.arithmetic.pooling import pool_output_size
from engine.model.errors import LayerSpecError
from engine.model.layer_base import WithoutWeights

POOL_PADDINGS = ("valid", "same")
#: Largest pool side or stride the app offers.
MAX_POOL = 16
POOL_CLASSES = {"max": "MaxPooling2D", "average": "AveragePooling2D"}


def _pair(value) -> tuple[int, int]:
    if isinstance(value, int):
        return int(value), int(value)
    return tuple(int(v) for v in value)


@dataclass(frozen=True)
class PoolSpec(WithoutWeights):
    """``MaxPooling2D(pool_size, strides, padding)`` (``mode`` "max") or the average."""

    pool_size: tuple[int, int] = (2, 2)
    strides: tuple[int, int] | None = None
    padding: str = "valid"
    mode: str = "max"

    def __post_init__(self) -> None:
        object.__setattr__(self, "pool_size", _pair(self.pool_size))
        if self.strides is not None:
            object.__setattr__(self, "strides", _pair(self.strides))

    @property
    def kind(self) -> str:
        return POOL_CLASSES.get(self.mode, self.mode)

    @property
    def step(self) -> tuple[int, int]:
        """The strides in force: the pool size when ``strides`` is None (Keras's default)."""
        return self.pool_size if self.strides is None else self.strides

    def param_arithmetic(self) -> str:
        return "0 (pooling has no weights)"

    def layer_config(self) -> tuple:
        return (self.kind, self.pool_size, self.step, self.padding)

    def output_hw(self, input_hw: tuple[int, int]) -> tuple[int, int]:
        return tuple(pool_output_size(n, p, s, self.padding)
                     for n, p, s in zip(input_hw, self.pool_size, self.step))

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, int, int, int]:
        """(1, H, W, C): the channels are pooled one by one, so C stays."""
        return (1, *self.output_hw(tuple(input_shape[1:3])), int(input_shape[3]))

    def check(self, input_shape: tuple[int, ...] | None = None) -> None:
        if self.mode not in POOL_CLASSES:
            raise LayerSpecError(f"Pooling is 'max' or 'average', not {self.mode!r}.")
        if self.padding not in POOL_PADDINGS:
            raise LayerSpecError(f"Padding must be 'valid' or 'same', not {self.padding!r}.")
        for name, pair in (("Pool size", self.pool_size), ("Pool strides", self.step)):
            if len(pair) != 2 or any(v < 1 or v > MAX_POOL for v in pair):
                raise LayerSpecError(f"{name} must be two whole numbers from 1 to {MAX_POOL}.")
        if input_shape is not None:
            out_h, out_w = self.output_hw(tuple(input_shape[1:3]))
            if out_h < 1 or out_w < 1:
                raise LayerSpecError(
                    f"The output would be empty: the {self.pool_size[0]}x{self.pool_size[1]} "
                    f"pool is larger than its {input_shape[1]}x{input_shape[2]} input with "
                    f"'valid' padding. Use a smaller pool or 'same' padding.")
