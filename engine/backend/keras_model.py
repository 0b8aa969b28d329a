"""The real Keras Conv2D behind every output ConvScope shows.

Importing this module imports TensorFlow (seconds), so the GUI only imports it on its engine
worker thread. A KerasConvolver keeps one layer and one input tensor alive between calls:
changing only the weights assigns them to the existing layer; changing the configuration
builds a new one. The layer is called directly (``layer(x)``), not through
``model.predict``, which adds tens of milliseconds of per-call overhead.
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
from engine.model.spec import ConvSpec, ConvSpecError, validate
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
os.environ.setdefault("KERAS_HOME", str(keras_home()))  # not ~/.keras: see user_folders.py
with _native_stderr_captured():
    import keras
# Tracing a new tf.function after each layer change is deliberate (see compile_current);
# TensorFlow would warn about "retracing" on the user's terminal each time.
logging.getLogger("tensorflow").setLevel(logging.ERROR)


class KerasConvolver:
    """Runs ConvSpecs through one reusable ``keras.layers.Conv2D`` (filters=1)."""

    def __init__(self) -> None:
        self._layer: keras.layers.Conv2D | None = None
        self._layer_config: tuple | None = None
        self._weights: tuple[np.ndarray, float] | None = None  # what the layer holds now
        self._input_source: np.ndarray | None = None
        self._input_tensor = None
        self._input_hw: tuple[int, int] = (0, 0)
        self._input_channels = 1
        self._input_version = 0  # which image the compiled call was traced for
        self.layer_builds = 0
        self.last_call_seconds = 0.0  # the bare ``layer(x)`` of the last convolve
        self._compiled: tuple[tuple, object] | None = None  # (what it was traced for, fn)

    def set_input(self, pixels: np.ndarray) -> None:
        """Convert the image to its (1, H, W, C) tensor once; later calls reuse it.

        The tensor is TensorFlow's own copy, so ``pixels`` may be freed afterwards."""
        nhwc = np.ascontiguousarray(pixels, np.float32)
        self._input_tensor = keras.ops.convert_to_tensor(
            nhwc.reshape(1, pixels.shape[0], pixels.shape[1], -1))
        self._input_hw = (int(pixels.shape[0]), int(pixels.shape[1]))
        self._input_channels = 1 if pixels.ndim == 2 else int(pixels.shape[2])
        self._input_source = None
        self._input_version += 1

    def convolve(self, image: LoadedImage | np.ndarray, spec: ConvSpec,
                 out: np.ndarray | None = None) -> np.ndarray:
        """The layer's output for ``image`` as float32 of shape (1, H_out, W_out, 1),
        written into ``out`` when given.

        Raises ConvSpecError for settings Keras refuses or an empty output.
        """
        pixels = image.pixels if isinstance(image, LoadedImage) else np.asarray(image)
        if pixels is not self._input_source:
            self.set_input(pixels)
            self._input_source = pixels
        return self.convolve_input(spec, out)

    def convolve_input(self, spec: ConvSpec, out: np.ndarray | None = None) -> np.ndarray:
        """Like ``convolve``, on the image given last to ``set_input``."""
        if self._input_tensor is None:
            raise ConvSpecError("There is no input image yet.")
        validate(spec, self._input_hw, self._input_channels)
        layer = self._layer_for(spec)
        self._assign_weights(layer, spec)
        started = time.perf_counter()
        compiled = self._compiled
        if compiled is not None and compiled[0] == self._compile_key():
            output = compiled[1](self._input_tensor)
        else:
            output = layer(self._input_tensor)
        self.last_call_seconds = time.perf_counter() - started
        output = np.asarray(output)  # the tensor's own memory, no copy (TensorFlow on CPU)
        if out is None:
            return np.array(output, dtype=np.float32)  # the caller's own, writable copy
        np.copyto(out, output.reshape(out.shape), casting="unsafe")
        return out

    def compile_current(self) -> bool:
        """Trace the current layer's call on the current input into a TensorFlow graph
        (``tf.function``), so later weight edits skip Keras's eager bookkeeping (about half
        the time of a 512x512 call). Tracing takes tens of milliseconds, so the engine does
        it while idle; until then, and after any change of layer or image, the layer is
        called eagerly. Returns whether it traced. Weights stay variables: assigning new
        ones needs no new trace."""
        if (self._layer is None or self._input_tensor is None
                or keras.backend.backend() != "tensorflow"
                or (self._compiled is not None and self._compiled[0] == self._compile_key())):
            return False
        import tensorflow as tf

        function = tf.function(self._layer.__call__, reduce_retracing=True)
        function(self._input_tensor)  # trace now
        self._compiled = (self._compile_key(), function)
        return True

    def _compile_key(self) -> tuple:
        return self._layer_config, self._input_version

    def _assign_weights(self, layer: keras.layers.Conv2D, spec: ConvSpec) -> None:
        """Assign straight to the layer's variables (cheaper than set_weights), and only
        what changed."""
        held = self._weights
        if held is None or not np.array_equal(held[0], spec.kernel):
            layer.kernel.assign(spec.keras_kernel())
        if held is None or held[1] != spec.bias:
            layer.bias.assign(np.array([spec.bias], np.float32))
        self._weights = (spec.kernel, spec.bias)

    def _layer_for(self, spec: ConvSpec) -> keras.layers.Conv2D:
        config = spec.layer_config()
        if config != self._layer_config:
            layer = keras.layers.Conv2D(
                filters=1, kernel_size=spec.kernel_size, strides=spec.strides,
                padding=spec.padding, dilation_rate=spec.dilation,
                activation=spec.activation, use_bias=True)
            layer.build((None, None, None, spec.channels))
            self._layer, self._layer_config, self._weights = layer, config, None
            # A traced call belongs to the layer it was traced on: going back to an earlier
            # configuration builds a new layer, which that old graph would never read.
            self._compiled = None
            self.layer_builds += 1
        return self._layer


def convolve(image: LoadedImage | np.ndarray, spec: ConvSpec) -> np.ndarray:
    """One-off convolution through a fresh layer (scripts and the command line)."""
    return KerasConvolver().convolve(image, spec)
