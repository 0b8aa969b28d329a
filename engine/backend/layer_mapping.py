"""Which layer spec a layer of a loaded Keras model becomes, or why it cannot be one.

Works on the layer objects Keras made (their class name, ``get_config()`` and
``get_weights()``), so it imports no Keras itself. A layer is mapped as Keras runs it at
inference: Rescaling changes the values and runs; Dropout and the random augmentations
pass their input through and run as such; InputLayer only sets the input size.
"""

from __future__ import annotations

import json

import numpy as np

from engine.model.activation import ACTIVATIONS, ActivationSpec
from engine.model.conv import ConvSpec
from engine.model.errors import LayerSpecError
from engine.model.passthrough import INFERENCE_IDENTITY, PassThroughSpec
from engine.model.pooling import PoolSpec
from engine.model.rescaling import RescalingSpec

#: Why the layers ConvScope knows but does not run stop the model there.
NOT_RUN = {
    "Flatten": "turns the feature maps into one long vector; ConvScope shows layers whose "
               "output is still a stack of maps (1, H, W, C)",
    "Dense": "a fully connected layer on a vector, not on feature maps",
    "BatchNormalization": "normalizes with statistics learned in training, which ConvScope "
                          "does not run yet",
    "GlobalAveragePooling2D": "averages each map to one number: its output (1, C) has no "
                              "rows and columns",
    "GlobalMaxPooling2D": "takes each map's maximum: its output (1, C) has no rows and columns",
    "Reshape": "changes the output's shape itself",
    "Softmax": "a softmax over the channels, which ConvScope does not run",
    "Lambda": "runs Python code from the file, which ConvScope never does",
}


def _pair(value) -> tuple[int, int]:
    return (int(value), int(value)) if isinstance(value, int) else tuple(int(v) for v in value)


def _conv(layer, config: dict) -> ConvSpec:
    if config.get("groups", 1) != 1:
        raise LayerSpecError(f"a grouped convolution (groups={config['groups']}), which "
                             f"ConvScope does not run")
    if config.get("activation") not in ACTIVATIONS:
        raise LayerSpecError(f"its activation {config.get('activation')!r} is not one of "
                             f"{', '.join(ACTIVATIONS)}")
    weights = layer.get_weights()
    if not weights:
        raise LayerSpecError("it holds no weights (the model was saved unbuilt)")
    use_bias = bool(config.get("use_bias", True))
    spec = ConvSpec(kernel=weights[0], bias=weights[1] if use_bias else 0.0,
                    strides=_pair(config["strides"]), padding=config["padding"],
                    dilation=_pair(config["dilation_rate"]), activation=config["activation"],
                    use_bias=use_bias)
    spec.check()
    return spec


def _activation(kind: str, config: dict) -> ActivationSpec:
    if kind == "ReLU":
        if (config.get("max_value") is not None or config.get("negative_slope", 0)
                or config.get("threshold", 0)):
            raise LayerSpecError("a ReLU with a maximum, a negative slope or a threshold, "
                                 "which ConvScope does not run")
        return ActivationSpec("relu", "ReLU")
    name = config.get("activation")
    if name not in ACTIVATIONS:
        raise LayerSpecError(f"the activation {name!r} is not one of {', '.join(ACTIVATIONS)}")
    return ActivationSpec(name)


def _pool(kind: str, config: dict) -> PoolSpec:
    pool_size = _pair(config["pool_size"])
    strides = _pair(config["strides"]) if config.get("strides") is not None else None
    spec = PoolSpec(pool_size, None if strides == pool_size else strides, config["padding"],
                    "max" if kind == "MaxPooling2D" else "average")
    spec.check()
    return spec


def _rescaling(config: dict) -> RescalingSpec:
    scale, offset = config.get("scale", 1.0), config.get("offset", 0.0)
    if not all(isinstance(v, (int, float)) for v in (scale, offset)):
        raise LayerSpecError("one scale or offset per channel, which ConvScope does not run")
    spec = RescalingSpec(scale, offset)
    spec.check()
    return spec


def _passthrough(kind: str, config: dict) -> PassThroughSpec:
    try:
        text = json.dumps(config, sort_keys=True)
    except TypeError:
        raise LayerSpecError("its settings cannot be kept") from None
    return PassThroughSpec(kind, text)


def layer_spec(layer):
    """The layer spec for a Keras layer object; LayerSpecError saying why it does not run."""
    kind = type(layer).__name__
    if not type(layer).__module__.startswith("keras"):
        raise LayerSpecError(f"a custom layer class ({kind}) that ConvScope does not know")
    config = layer.get_config()
    if config.get("data_format", "channels_last") != "channels_last":
        raise LayerSpecError("its data is channels_first; ConvScope runs channels_last (NHWC)")
    if kind == "Conv2D":
        return _conv(layer, config)
    if kind in ("Activation", "ReLU"):
        return _activation(kind, config)
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        return _pool(kind, config)
    if kind == "Rescaling":
        return _rescaling(config)
    if kind in INFERENCE_IDENTITY:
        return _passthrough(kind, config)
    raise LayerSpecError(NOT_RUN.get(kind, f"ConvScope does not run {kind} layers"))


def keras_shape(shape) -> tuple:
    """A Keras shape with the batch as 1, e.g. (None, 26, 26, 4) -> (1, 26, 26, 4)."""
    shape = tuple(shape)
    return (1, *(None if v is None else int(v) for v in shape[1:]))


def param_count(layer) -> int:
    try:
        return int(layer.count_params())
    except ValueError:  # an unbuilt layer
        return int(sum(np.size(w) for w in layer.get_weights()))
