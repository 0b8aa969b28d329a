"""Editing the stack: adding, removing and moving layers, and keeping every Conv2D's kernel
fitted to the channels it receives.

A Conv2D's kernel is (kh, kw, C, F) where C is what the layer before it makes, so a change
upstream (another filter count in the first conv, a layer removed, the order changed) would
leave a later kernel with the wrong C. ``fit_channels`` repairs that the way a student
would expect: the input channels that stay keep their trained weights, new ones get
untrained weights from the seed (GlorotUniform for the new kernel's shape, as a fresh
layer draws them), dropped ones go. Pure NumPy: the state calls it after every edit.
"""

from __future__ import annotations

import numpy as np

from engine.kernels.presets import random_kernel
from engine.model.activation import ActivationSpec
from engine.model.conv import ConvSpec
from engine.model.errors import LayerSpecError
from engine.model.network import ModelSpec, default_name
from engine.model.pooling import PoolSpec

#: What the stack panel offers to add, as (label, Keras class).
LAYER_CHOICES = (
    ("Conv2D", "Conv2D"),
    ("Activation (relu)", "Activation"),
    ("ReLU", "ReLU"),
    ("MaxPooling2D (2x2)", "MaxPooling2D"),
    ("AveragePooling2D (2x2)", "AveragePooling2D"),
)


def new_layer(kind: str, channels: int, seed: int):
    """A fresh layer of Keras class ``kind`` reading ``channels`` channels: an untrained
    Conv2D(1, (3, 3)) from the seed, Activation("relu"), ReLU(), or a 2x2 pooling."""
    if kind == "Conv2D":
        return ConvSpec(kernel=random_kernel((3, 3), channels, 1, seed))
    if kind in ("Activation", "ReLU"):
        return ActivationSpec("relu", kind)
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        return PoolSpec((2, 2), mode="max" if kind == "MaxPooling2D" else "average")
    raise LayerSpecError(f"ConvScope cannot add a {kind} layer.")


def fit_kernel(spec: ConvSpec, channels: int, seed: int) -> ConvSpec:
    """``spec`` reading ``channels`` input channels: the first ones keep their weights, new
    ones are untrained (from ``seed``)."""
    have = spec.channels
    if have == channels:
        return spec
    if channels < have:
        return spec.with_changes(kernel=np.array(spec.kernel[:, :, :channels, :]))
    fresh = random_kernel(spec.kernel_size, channels, spec.filters, seed)
    return spec.with_changes(kernel=np.concatenate([spec.kernel, fresh[:, :, have:, :]], axis=2))


def fit_channels(model: ModelSpec, image_channels: int, seed: int, first: int = 0) -> ModelSpec:
    """``model`` with every Conv2D from layer ``first`` on fitted to the channels its input
    has (the same model when it already fits). An edit of layer k fits the layers after k
    only: the first conv's channels are the image's, which the colour mode sets."""
    layers, changed, channels = list(model.layers), False, int(image_channels)
    for index, layer in enumerate(layers):
        if index >= first and isinstance(layer, ConvSpec) and layer.channels != channels:
            layers[index] = fit_kernel(layer, channels, seed)
            changed = True
        channels = int(layers[index].output_shape((1, 1, 1, channels))[3])
    return ModelSpec(tuple(layers), model.names) if changed else model


def _unique_name(names: tuple[str, ...], kind: str) -> str:
    base, count = default_name(kind), 0
    name = base
    while name in names:
        count += 1
        name = f"{base}_{count}"
    return name


def insert_layer(model: ModelSpec, index: int, layer, image_channels: int,
                 seed: int) -> ModelSpec:
    """``layer`` inserted at position ``index`` (0 = first); later kernels fitted."""
    index = min(max(int(index), 0), len(model))
    layers = [*model.layers[:index], layer, *model.layers[index:]]
    names = model.names
    if names:  # a loaded model keeps its names; the new layer gets a free Keras-style one
        names = (*names[:index], _unique_name(names, layer.kind), *names[index:])
    return fit_channels(ModelSpec(tuple(layers), names), image_channels, seed)


def remove_layer(model: ModelSpec, index: int, image_channels: int, seed: int) -> ModelSpec:
    if len(model) == 1:
        raise LayerSpecError("The model needs at least one layer.")
    layers = model.layers[:index] + model.layers[index + 1:]
    names = model.names[:index] + model.names[index + 1:] if model.names else ()
    return fit_channels(ModelSpec(layers, names), image_channels, seed)


def move_layer(model: ModelSpec, index: int, to: int, image_channels: int,
               seed: int) -> ModelSpec:
    """Layer ``index`` moved to position ``to``; kernels fitted to their new inputs."""
    to = min(max(int(to), 0), len(model) - 1)
    layers, names = list(model.layers), list(model.names)
    layers.insert(to, layers.pop(index))
    if names:
        names.insert(to, names.pop(index))
    return fit_channels(ModelSpec(tuple(layers), tuple(names)), image_channels, seed)
