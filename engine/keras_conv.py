"""The real Keras Conv2D behind every output ConvScope shows.

Importing this module imports TensorFlow (seconds), so the GUI only imports it on its engine
worker thread. A KerasConvolver keeps one layer and one input tensor alive between calls:
changing only the weights assigns them to the existing layer; changing the configuration
builds a new one. The layer is called directly (``layer(x)``), not through
``model.predict``, which adds tens of milliseconds of per-call overhead.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

import numpy as np

from engine.images import LoadedImage
from engine.spec import ConvSpec, validate
from engine.user_folders import keras_home


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


class KerasConvolver:
    """Runs ConvSpecs through one reusable ``keras.layers.Conv2D`` (filters=1)."""

    def __init__(self) -> None:
        self._layer: keras.layers.Conv2D | None = None
        self._layer_config: tuple | None = None
        self._input_source: np.ndarray | None = None
        self._input_tensor = None
        self.layer_builds = 0

    def convolve(self, image: LoadedImage | np.ndarray, spec: ConvSpec) -> np.ndarray:
        """The layer's output for ``image`` as float32 of shape (1, H_out, W_out, 1).

        Raises ConvSpecError for settings Keras refuses or an empty output.
        """
        pixels = image.pixels if isinstance(image, LoadedImage) else np.asarray(image)
        channels = 1 if pixels.ndim == 2 else pixels.shape[2]
        validate(spec, pixels.shape[:2], channels)
        layer = self._layer_for(spec)
        layer.set_weights([spec.keras_kernel(), np.array([spec.bias], np.float32)])
        output = layer(self._tensor_for(pixels))
        return np.asarray(keras.ops.convert_to_numpy(output), dtype=np.float32)

    def _layer_for(self, spec: ConvSpec) -> keras.layers.Conv2D:
        config = spec.layer_config()
        if config != self._layer_config:
            layer = keras.layers.Conv2D(
                filters=1, kernel_size=spec.kernel_size, strides=spec.strides,
                padding=spec.padding, dilation_rate=spec.dilation,
                activation=spec.activation, use_bias=True)
            layer.build((None, None, None, spec.channels))
            self._layer, self._layer_config = layer, config
            self.layer_builds += 1
        return self._layer

    def _tensor_for(self, pixels: np.ndarray):
        """The image as a (1, H, W, C) tensor, converted once per image."""
        if pixels is not self._input_source:
            nhwc = pixels.reshape(1, pixels.shape[0], pixels.shape[1], -1)
            self._input_tensor = keras.ops.convert_to_tensor(nhwc.astype(np.float32))
            self._input_source = pixels
        return self._input_tensor


def convolve(image: LoadedImage | np.ndarray, spec: ConvSpec) -> np.ndarray:
    """One-off convolution through a fresh layer (scripts and the command line)."""
    return KerasConvolver().convolve(image, spec)
