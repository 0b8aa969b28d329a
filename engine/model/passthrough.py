"""Layers that only act while a model trains (Dropout, GaussianNoise, random flips...).

At inference Keras passes their input through unchanged, so a loaded model keeps them as
layers of its own (its names and shapes then line up with ``model.summary()``) and the
engine calls the real Keras layer with ``training=False``. Their settings are kept as the
layer's own config (JSON), so a saved model gets them back. Plain Python.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from engine.model.errors import LayerSpecError
from engine.model.layer_base import KeepsShape

#: The Keras classes that are the identity at inference, and what each does in training.
INFERENCE_IDENTITY = {
    "Dropout": "sets random values to 0 while training",
    "SpatialDropout2D": "sets random whole feature maps to 0 while training",
    "GaussianNoise": "adds random noise while training",
    "GaussianDropout": "multiplies by random noise while training",
    "AlphaDropout": "drops random values while training",
    "ActivityRegularization": "adds a penalty to the training loss",
    "RandomFlip": "flips the image at random while training",
    "RandomRotation": "rotates the image at random while training",
    "RandomZoom": "zooms at random while training",
    "RandomTranslation": "shifts the image at random while training",
    "RandomContrast": "changes the contrast at random while training",
    "RandomBrightness": "changes the brightness at random while training",
}


@dataclass(frozen=True)
class PassThroughSpec(KeepsShape):
    """A layer of class ``keras_class`` with its Keras ``config`` as JSON."""

    keras_class: str = "Dropout"
    config: str = "{}"

    @property
    def kind(self) -> str:
        return self.keras_class

    def param_arithmetic(self) -> str:
        return "0 (no weights)"

    def settings(self) -> dict:
        return json.loads(self.config)

    def what_it_does(self) -> str:
        return INFERENCE_IDENTITY.get(self.keras_class, "acts only while training")

    def layer_config(self) -> tuple:
        return (self.kind, self.config)

    def check(self, input_shape: tuple[int, ...] | None = None) -> None:
        if self.keras_class not in INFERENCE_IDENTITY:
            raise LayerSpecError(f"ConvScope does not run {self.keras_class} layers.")
