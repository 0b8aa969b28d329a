"""A Rescaling layer: every value times ``scale`` plus ``offset``, as models trained on
0..1 pixels start (``Rescaling(1 / 255)``).

It changes the values the next layers see, so ConvScope runs it like any other layer rather
than dropping it. No weights, the shape stays. Plain Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.model.errors import LayerSpecError
from engine.model.layer_base import KeepsShape

#: The largest |scale| or |offset| accepted (the conv's weight limit, for the same reason).
MAX_ABS_FACTOR = 1e6


@dataclass(frozen=True)
class RescalingSpec(KeepsShape):
    scale: float = 1 / 255
    offset: float = 0.0

    kind = "Rescaling"

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", float(self.scale))
        object.__setattr__(self, "offset", float(self.offset))

    def param_arithmetic(self) -> str:
        return "0 (scale and offset are settings, not weights)"

    def layer_config(self) -> tuple:
        return (self.kind, self.scale, self.offset)

    def check(self, input_shape: tuple[int, ...] | None = None) -> None:
        for name, value in (("scale", self.scale), ("offset", self.offset)):
            if not math.isfinite(value) or abs(value) > MAX_ABS_FACTOR:
                raise LayerSpecError(f"The Rescaling {name} must be a number between "
                                     f"-{MAX_ABS_FACTOR:g} and {MAX_ABS_FACTOR:g}.")
