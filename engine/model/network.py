"""The network the window shows: an ordered list of layer specs, like a keras.Sequential.

Its layers are Conv2D, Activation / ReLU, MaxPooling2D / AveragePooling2D, Rescaling and the
layers that only act in training (engine/model/: conv, activation, pooling, rescaling,
passthrough). Each layer spec answers the same questions (its Keras class ``kind``, its
``output_shape`` for an input shape, its ``param_count``, ``check``, ``layer_config``,
``with_changes``), so the window and the engine never assume there is exactly one layer or
one kind of layer.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from engine.model.conv import ConvSpec
from engine.model.errors import LayerSpecError


def default_name(kind: str) -> str:
    """Keras's automatic layer name for a class: Conv2D -> conv2d, MaxPooling2D ->
    max_pooling2d, ReLU -> re_lu."""
    words = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", kind)
    return re.sub("([a-z])([A-Z])", r"\1_\2", words).lower()


@dataclass(frozen=True, eq=False)
class ModelSpec:
    """Layers in order; ``names`` empty gives Keras's automatic names (conv2d, conv2d_1, ...)."""

    layers: tuple = field(default_factory=lambda: (ConvSpec(),))
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "names", tuple(self.names))
        if not self.layers:
            raise LayerSpecError("The model needs at least one layer.")
        if self.names and len(self.names) != len(self.layers):
            raise LayerSpecError("Every layer needs a name.")

    def __len__(self) -> int:
        return len(self.layers)

    def layer_names(self) -> tuple[str, ...]:
        if self.names:
            return self.names
        seen: Counter[str] = Counter()
        names = []
        for layer in self.layers:
            base = default_name(layer.kind)
            names.append(base if seen[base] == 0 else f"{base}_{seen[base]}")
            seen[base] += 1
        return tuple(names)

    def with_layer(self, index: int, layer) -> ModelSpec:
        layers = list(self.layers)
        layers[index] = layer
        return ModelSpec(tuple(layers), self.names)

    def output_shapes(self, input_shape: tuple[int, int, int, int]) -> list[tuple[int, ...]]:
        """Each layer's NHWC output shape in turn (sizes may be < 1: an empty output)."""
        shapes, shape = [], tuple(input_shape)
        for layer in self.layers:
            shape = layer.output_shape(shape)
            shapes.append(shape)
        return shapes

    def input_shapes(self, input_shape: tuple[int, int, int, int]) -> list[tuple[int, ...]]:
        """What each layer receives: the image for the first, the previous output after."""
        return [tuple(input_shape), *self.output_shapes(input_shape)[:-1]]

    def check(self, input_shape: tuple[int, int, int, int]) -> None:
        """Raise LayerSpecError naming the first layer that cannot run on its input."""
        shape = tuple(input_shape)
        for index, (name, layer) in enumerate(zip(self.layer_names(), self.layers)):
            try:
                layer.check(shape)
            except LayerSpecError as exc:
                if len(self.layers) == 1:
                    raise
                raise LayerSpecError(f"Layer {index + 1} ({name}): {exc}") from None
            shape = layer.output_shape(shape)

    def channels(self, image_channels: int) -> list[int]:
        """The channels flowing through: the image's, then each layer's output's (a Conv2D
        makes one per filter; every other layer keeps what it gets). Layer i reads
        ``channels[i]`` and writes ``channels[i + 1]``."""
        result = [int(image_channels)]
        for layer in self.layers:
            result.append(int(layer.output_shape((1, 1, 1, result[-1]))[3]))
        return result

    def param_counts(self) -> list[int]:
        return [layer.param_count for layer in self.layers]

    def layer_config(self) -> tuple:
        """What needs new Keras layers when it changes (everything but the weights)."""
        return tuple(layer.layer_config() for layer in self.layers)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ModelSpec):
            return NotImplemented
        return (self.layer_names() == other.layer_names() and len(self) == len(other)
                and all(a == b for a, b in zip(self.layers, other.layers)))

    __hash__ = None


def single_conv(spec: ConvSpec) -> ModelSpec:
    """The classic lesson's model: one Conv2D layer."""
    return ModelSpec((spec,))
