"""The floor and the lesson's way, on the same input and layer configuration as the window.

    python -m bench.keras_floor SIZE FOLDER

Bare: one ``keras.layers.Conv2D`` built once, its input tensor made once, new weights
assigned, then timed: ``layer(x)`` alone (what any app built on Keras must at least pay).
The lesson's way: a ``keras.Sequential`` model whose weights are set with ``set_weights``
and whose output comes from ``model.predict`` on every edit, as notebooks do it.
Also reports how long importing TensorFlow + Keras took in this fresh process.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from bench.common import emit, percentile_ms, test_image

REPEATS = {512: 30, 2048: 15, 4096: 12}


def main(size: int, folder: Path) -> None:
    from engine.images.loading import load_image
    from engine.kernels.edits import keras_kernel
    from engine.model.conv import ConvSpec

    pixels = load_image(test_image(size, folder)).pixels
    started = time.perf_counter()
    from engine.backend.keras_model import keras

    import_s = time.perf_counter() - started
    spec = ConvSpec(kernel=keras_kernel(np.ones((3, 3))), strides=(2, 1))  # the window's
    nhwc = pixels.reshape(1, size, size, 1)
    kernels = [np.full((3, 3, 1, 1), 0.1 * (i + 1), np.float32) for i in range(4)]
    bias = np.zeros(1, np.float32)

    layer = keras.layers.Conv2D(1, spec.kernel_size, strides=spec.strides,
                                padding=spec.padding)
    layer.build((None, None, None, 1))
    x = keras.ops.convert_to_tensor(nhwc)
    bare = []
    for i in range(REPEATS[size] + 3):
        layer.kernel.assign(kernels[i % 4])
        t = time.perf_counter()
        layer(x)
        if i >= 3:
            bare.append(time.perf_counter() - t)

    model = keras.Sequential([keras.Input((size, size, 1)),
                              keras.layers.Conv2D(1, spec.kernel_size, strides=spec.strides,
                                                  padding=spec.padding)])
    predict = []
    for i in range(max(REPEATS[size] // 2, 10) + 2):
        t = time.perf_counter()
        model.layers[0].set_weights([kernels[i % 4], bias])
        model.predict(nhwc, verbose=0)
        if i >= 2:
            predict.append(time.perf_counter() - t)
    emit({"size": size, "tf_import_s": import_s,
          "bare_ms_median": percentile_ms(bare, 50), "bare_ms_p95": percentile_ms(bare, 95),
          "predict_ms_median": percentile_ms(predict, 50),
          "predict_ms_p95": percentile_ms(predict, 95)})


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
