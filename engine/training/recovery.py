"""How close the learned weights are to the target's: each weight's error, and the one number
the tests, the bench and the Train tab use, the largest error relative to the target kernel's
largest weight (so 1e-2 means "within a hundredth" for any kernel's scale)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.model.network import ModelSpec
from engine.training.targets import trainable_layers

#: "Recovered": every weight and bias within this fraction of the target's largest weight.
TOLERANCE = 1e-2


@dataclass(frozen=True)
class LayerErrors:
    """learned - target for one layer: ``kernel`` (kh, kw, C, F), ``bias`` (F,), and the scale
    the relative error divides by (the target kernel's largest magnitude)."""

    layer: int
    kernel: np.ndarray
    bias: np.ndarray
    scale: float

    @property
    def relative(self) -> float:
        largest = max(float(np.max(np.abs(self.kernel))), float(np.max(np.abs(self.bias))))
        return largest / self.scale


def weight_errors(learned: ModelSpec, target: ModelSpec) -> list[LayerErrors]:
    errors = []
    for index in trainable_layers(target):
        got, want = learned.layers[index], target.layers[index]
        scale = float(np.max(np.abs(want.kernel)))
        errors.append(LayerErrors(
            index, np.asarray(got.kernel, np.float64) - want.kernel,
            np.asarray(got.bias, np.float64) - want.bias, scale if scale > 0 else 1.0))
    return errors


def relative_error(learned: ModelSpec, target: ModelSpec) -> float:
    """The largest |learned - target| over every weight and bias, divided by its layer's
    largest target weight."""
    return max(layer.relative for layer in weight_errors(learned, target))


def recovered(learned: ModelSpec, target: ModelSpec, tolerance: float = TOLERANCE) -> bool:
    return relative_error(learned, target) <= tolerance
