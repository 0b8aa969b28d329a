"""An Activation (or ReLU) layer: one function applied to every value on its own.

It has no weights and keeps the shape: (1, H, W, C) in, (1, H, W, C) out. Keras has two
classes for the lesson's relu, ``Activation("relu")`` and ``ReLU()``; the spec remembers
which one it is so the layer names and the saved model match Keras's. Plain Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.model.errors import LayerSpecError
from engine.model.layer_base import KeepsShape

#: The activations ConvScope runs, in a Conv2D or as a layer of their own.
ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh")
#: The Keras classes an ActivationSpec stands for.
ACTIVATION_CLASSES = ("Activation", "ReLU")


def activate(name: str, value: float) -> float:
    """The activation of one number, in float64 (what the inspector shows)."""
    if name == "relu":
        return max(value, 0.0)
    if name == "sigmoid":
        return 1.0 / (1.0 + math.exp(-value)) if value >= 0 else (
            math.exp(value) / (1.0 + math.exp(value)))
    if name == "tanh":
        return math.tanh(value)
    return value


def activation_formula(name: str, value: str) -> str:
    """How the activation is written for an input written ``value``, e.g. ``max(3.5, 0)``."""
    return {"relu": f"max({value}, 0)", "sigmoid": f"1 / (1 + exp(-{value}))",
            "tanh": f"tanh({value})"}.get(name, value)


@dataclass(frozen=True)
class ActivationSpec(KeepsShape):
    """``Activation(activation)``, or ``ReLU()`` when ``keras_class`` is "ReLU"."""

    activation: str = "relu"
    keras_class: str = "Activation"

    @property
    def kind(self) -> str:
        return self.keras_class

    def param_arithmetic(self) -> str:
        return "0 (an activation has no weights)"

    def layer_config(self) -> tuple:
        return (self.kind, self.activation)

    def check(self, input_shape: tuple[int, ...] | None = None) -> None:
        if self.keras_class not in ACTIVATION_CLASSES:
            raise LayerSpecError(f"An activation layer is Activation or ReLU, not "
                                 f"{self.keras_class!r}.")
        if self.activation not in ACTIVATIONS:
            raise LayerSpecError(f"Activation must be one of {', '.join(ACTIVATIONS)}, not "
                                 f"{self.activation!r}.")
        if self.keras_class == "ReLU" and self.activation != "relu":
            raise LayerSpecError("A ReLU layer always computes relu; use an Activation layer "
                                 "for another function.")
