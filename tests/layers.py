"""Short ways for tests to write layers: a 2D plane becomes a one-filter Keras kernel; and the
weights Keras itself gives an untrained layer, to check the app's against."""

from __future__ import annotations

import numpy as np

from engine.kernels.edits import keras_kernel
from engine.model.conv import ConvSpec
from engine.model.network import ModelSpec, single_conv


def conv(kernel=None, **settings) -> ConvSpec:
    """A Conv2D spec; ``kernel`` a (kh, kw) plane (one channel, one filter) or any Keras
    (kh, kw, C, F) kernel; none: the all-ones 3x3."""
    kernel = np.ones((3, 3)) if kernel is None else np.asarray(kernel)
    return ConvSpec(kernel=keras_kernel(kernel) if kernel.ndim == 2 else kernel, **settings)


def model(kernel=None, **settings) -> ModelSpec:
    """The one-Conv2D model of ``conv``."""
    return single_conv(conv(kernel, **settings))


def keras_glorot(shape, seed) -> np.ndarray:
    """What ``keras.initializers.GlorotUniform(seed)`` draws for a (kh, kw, C, F) kernel: an
    untrained Conv2D's weights, from Keras itself (not from engine/)."""
    import keras

    return np.asarray(keras.initializers.GlorotUniform(seed=seed)(shape))
