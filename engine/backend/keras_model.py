"""The real Keras layers behind every output ConvScope shows.

Importing this module imports TensorFlow (seconds), so the window only imports it in its
engine process (or on its engine worker thread). A KerasModelRunner keeps one Keras layer per
layer of the model and the input tensor alive between calls: changing only weights assigns
them to the existing layer; changing a layer's configuration builds that layer again. Layers
are called directly (``layer(x)``), not through ``model.predict``, which adds tens of
milliseconds of per-call overhead. All F filters of a Conv2D come out of one call. Every
layer runs as at inference (``training=False``): Dropout and the random augmentations pass
their input through, exactly as ``model.predict`` has them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import time

import numpy as np

from engine.images.loading import LoadedImage
from engine.model.activation import ActivationSpec
from engine.model.conv import ConvSpec
from engine.model.errors import LayerSpecError
from engine.model.network import ModelSpec, single_conv
from engine.model.passthrough import INFERENCE_IDENTITY, PassThroughSpec
from engine.model.pooling import PoolSpec
from engine.model.rescaling import RescalingSpec
from engine.storage.folders import keras_home


@contextlib.contextmanager
def _native_stderr_captured():
    """Hold back what native code writes to stderr (TensorFlow's oneDNN notice ignores
    TF_CPP_MIN_LOG_LEVEL); show it only if the block fails, so errors are never hidden."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all (a windowed app)
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_HOME", str(keras_home()))  # not ~/.keras: see storage/folders.py
with _native_stderr_captured():
    import keras
# Tracing a new tf.function after each layer change is deliberate (see compile_current);
# TensorFlow would warn about "retracing" on the user's terminal each time.
logging.getLogger("tensorflow").setLevel(logging.ERROR)


def keras_layer(spec, name: str | None = None):
    """The Keras layer one layer spec stands for (unbuilt; a Conv2D's weights still to be
    set). Also what a saved model is made of."""
    if isinstance(spec, ConvSpec):
        return keras.layers.Conv2D(
            filters=spec.filters, kernel_size=spec.kernel_size, strides=spec.strides,
            padding=spec.padding, dilation_rate=spec.dilation, activation=spec.activation,
            use_bias=spec.use_bias, name=name)
    if isinstance(spec, ActivationSpec):
        if spec.kind == "ReLU":
            return keras.layers.ReLU(name=name)
        return keras.layers.Activation(spec.activation, name=name)
    if isinstance(spec, PoolSpec):
        pool = keras.layers.MaxPooling2D if spec.mode == "max" else keras.layers.AveragePooling2D
        return pool(pool_size=spec.pool_size, strides=spec.step, padding=spec.padding,
                    name=name)
    if isinstance(spec, RescalingSpec):
        return keras.layers.Rescaling(spec.scale, spec.offset, name=name)
    if isinstance(spec, PassThroughSpec) and spec.kind in INFERENCE_IDENTITY:
        config = {key: value for key, value in spec.settings().items() if key != "name"}
        if name:
            config["name"] = name
        return getattr(keras.layers, spec.kind).from_config(config)
    raise LayerSpecError(f"ConvScope cannot run a {spec.kind} layer.")


class _AtInference:
    """Calls a layer as ``model.predict`` does, with ``training=False``."""

    def __init__(self, layer) -> None:
        self.layer = layer

    def __call__(self, x):
        return self.layer(x, training=False)


def build_layer(spec, input_channels: int):
    """A built, callable Keras layer for one layer spec (weights still to be assigned)."""
    layer = keras_layer(spec)
    if isinstance(spec, ConvSpec):
        layer.build((None, None, None, input_channels))
        return layer
    if isinstance(spec, PassThroughSpec):
        return _AtInference(layer)
    return layer


def assign_weights(layer, spec, held) -> None:
    """Assign straight to the layer's variables (cheaper than set_weights), and only what
    changed since ``held`` (the spec the layer held before, or None). Only a Conv2D has
    weights."""
    if isinstance(spec, ConvSpec):
        if held is None or not np.array_equal(held.kernel, spec.kernel):
            layer.kernel.assign(spec.kernel)
        if spec.use_bias and (held is None or not np.array_equal(held.bias, spec.bias)):
            layer.bias.assign(spec.bias)


class KerasModelRunner:
    """Runs ModelSpecs through reusable Keras layers; remembers every layer's last output so
    an edit of layer k recomputes only layers k, k+1, ..."""

    def __init__(self) -> None:
        self._layers: list = []
        self._configs: list[tuple] = []
        self._held: list = []  # the spec whose weights each layer holds now
        self._outputs: list = []  # each layer's last output tensor (valid up to _valid)
        self._valid = 0  # how many leading outputs belong to the current input and layers
        self._input_source: np.ndarray | None = None
        self._input_tensor = None
        self._input_shape: tuple[int, int, int, int] = (1, 0, 0, 0)
        self._input_version = 0  # which image the compiled calls were traced for
        self.layer_builds = 0
        self.last_call_seconds = 0.0  # the bare layer calls of the last run
        self.last_first_layer = 0  # the first layer the last run recomputed
        self._compiled: dict[tuple, object] = {}  # (start layer, configs, input) -> function

    # -- the input ------------------------------------------------------------------------
    def set_input(self, pixels: np.ndarray) -> None:
        """Convert the image to its (1, H, W, C) tensor once; later calls reuse it.

        The tensor is TensorFlow's own copy, so ``pixels`` may be freed afterwards."""
        pixels = np.asarray(pixels)
        nhwc = np.ascontiguousarray(pixels, np.float32).reshape(
            1, pixels.shape[0], pixels.shape[1], -1)
        self._input_tensor = keras.ops.convert_to_tensor(nhwc)
        self._input_shape = tuple(int(v) for v in nhwc.shape)
        self._input_source = None
        self._input_version += 1
        self._valid = 0
        self._compiled.clear()

    @property
    def input_tensor(self):
        """The (1, H, W, C) tensor of the image given last to ``set_input`` (or None): the
        engine trains on this very tensor."""
        return self._input_tensor

    # -- running ----------------------------------------------------------------------------
    def run(self, image: LoadedImage | np.ndarray, model: ModelSpec) -> list[np.ndarray]:
        """Every layer's output for ``image`` as float32 (1, H, W, C) arrays. Raises
        LayerSpecError for settings Keras refuses or an empty output."""
        pixels = image.pixels if isinstance(image, LoadedImage) else np.asarray(image)
        if pixels is not self._input_source:
            self.set_input(pixels)
            self._input_source = pixels
        return self.run_input(model)

    def run_input(self, model: ModelSpec, copy: bool = True) -> list[np.ndarray]:
        """Like ``run``, on the image given last to ``set_input``. ``copy=False`` returns the
        output tensors' own memory (not to be written), valid until the next run: the engine
        process copies it into shared memory itself."""
        if self._input_tensor is None:
            raise LayerSpecError("There is no input image yet.")
        model.check(self._input_shape)
        first, unassigned = self._prepare(model)
        started = time.perf_counter()
        compiled = self._compiled.get(self._compile_key(first))
        x = self._input_tensor if first == 0 else self._outputs[first - 1]
        if compiled is not None and first < len(model):  # its weights go in with the call
            self._assign([i for i in unassigned if i != first], model)
            computed = compiled(x, *_weights_of(model.layers[first]))
            self._held[first] = model.layers[first]
        else:
            self._assign(unassigned, model)
            computed = self._call_from(first, x)
        self._outputs[first:] = list(computed)
        self._valid = len(model)
        self.last_call_seconds = time.perf_counter() - started
        self.last_first_layer = first
        outputs = [np.asarray(t) for t in self._outputs]  # their own memory (TensorFlow, CPU)
        return [np.array(o, dtype=np.float32) for o in outputs] if copy else outputs

    def _prepare(self, model: ModelSpec) -> tuple[int, list[int]]:
        """Build or update the Keras layers for ``model``: the first layer whose output must
        be computed again (the outputs before it are reused), and the layers whose weights
        are still to be assigned (``_assign``, or a traced call that takes them)."""
        count = len(model)
        del self._layers[count:], self._configs[count:], self._held[count:]
        del self._outputs[count:]
        self._valid = min(self._valid, count)
        channels = self._input_shape[3]
        shape = self._input_shape
        unassigned = []
        for index, spec in enumerate(model.layers):
            config = (spec.layer_config(), channels)
            if index == len(self._layers):
                self._layers.append(None)
                self._configs.append(None)
                self._held.append(None)
                self._outputs.append(None)
            if self._configs[index] != config:
                self._valid = min(self._valid, index)
                self._layers[index] = build_layer(spec, channels)
                self._configs[index], self._held[index] = config, None
                self.layer_builds += 1
                # A traced call belongs to the layers it was traced on: a rebuilt layer is
                # one that old graph would never read, even with the same settings.
                self._compiled = {key: fn for key, fn in self._compiled.items()
                                  if key[0] > index}
            if self._held[index] is None or not _same_weights(self._held[index], spec):
                self._valid = min(self._valid, index)
                unassigned.append(index)
            shape = spec.output_shape(shape)
            channels = shape[3]
        return self._valid, unassigned

    def _assign(self, indices: list[int], model: ModelSpec) -> None:
        for index in indices:
            assign_weights(self._layers[index], model.layers[index], self._held[index])
            self._held[index] = model.layers[index]

    def _call_from(self, first: int, x) -> list:
        outputs = []
        for layer in self._layers[first:]:
            x = layer(x)
            outputs.append(x)
        return outputs

    def compile_current(self) -> bool:
        """Trace the call of the layers from the last edited one on into a TensorFlow graph
        (``tf.function``), so later weight edits skip Keras's eager bookkeeping (about half
        the time of a 512x512 call). Tracing takes tens of milliseconds, so the engine does
        it while idle; until then, and after any change of layer or image, the layers are
        called eagerly. Returns whether it traced. Weights stay variables: the first
        layer's new weights are arguments of the traced call, assigned inside its graph
        (one call, no eager assignment before it), and needing no new trace."""
        first = self.last_first_layer
        if (first >= len(self._layers)  # the last run recomputed nothing: nothing to trace
                or self._input_tensor is None or self._valid != len(self._layers)
                or keras.backend.backend() != "tensorflow"
                or self._compile_key(first) in self._compiled):
            return False
        import tensorflow as tf

        layers = tuple(self._layers[first:])
        variables = _variables_of(layers[0])

        def call(x, *weights):
            for variable, value in zip(variables, weights):
                variable.assign(value)
            outputs = []
            for layer in layers:
                x = layer(x)
                outputs.append(x)
            return outputs

        function = tf.function(call, reduce_retracing=True)
        start = self._input_tensor if first == 0 else self._outputs[first - 1]
        function(start, *_weights_of(self._held[first]))  # trace now (the weights it holds)
        self._compiled[self._compile_key(first)] = function
        return True

    def _compile_key(self, first: int) -> tuple:
        return first, tuple(self._configs), self._input_version


def _variables_of(layer) -> tuple:
    """The variables a traced call assigns before calling ``layer``: a Conv2D's kernel (and
    bias). One graph does both, which saves the eager assignment's own dispatch."""
    if not isinstance(layer, keras.layers.Conv2D):
        return ()
    return (layer.kernel, layer.bias) if layer.use_bias else (layer.kernel,)


def _weights_of(spec) -> tuple:
    """What ``_variables_of`` the same layer's Keras twin receive, from its spec."""
    if not isinstance(spec, ConvSpec):
        return ()
    return (spec.kernel, spec.bias) if spec.use_bias else (spec.kernel,)


def _same_weights(held, spec) -> bool:
    if isinstance(spec, ConvSpec):
        return (isinstance(held, ConvSpec) and np.array_equal(held.kernel, spec.kernel)
                and np.array_equal(held.bias, spec.bias))
    return True


def run_model(image: LoadedImage | np.ndarray, model: ModelSpec) -> list[np.ndarray]:
    """One-off run through fresh layers (scripts and the command line): every layer's output."""
    return KerasModelRunner().run(image, model)


def convolve(image: LoadedImage | np.ndarray, spec: ConvSpec) -> np.ndarray:
    """One Conv2D, once: its (1, H_out, W_out, F) float32 output."""
    return run_model(image, single_conv(spec))[-1]
