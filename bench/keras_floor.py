"""The floor, and the lesson's way, for one case in this fresh process.

    python -m bench.keras_floor HEIGHT WIDTH SH SW FILTERS FOLDER

The floor: one ``keras.layers.Conv2D`` with the case's filters and strides, built once, its
input tensor made once, new weights assigned before each call, then ``layer(x)`` timed until
its output is a NumPy array, both eagerly and as a traced ``tf.function``; the faster of the
two is what any app built on Keras must at least pay. Also, for comparison only, the faster
way again with the window probe's spacing between calls (``spaced``): the window edits every
100 ms, and a core that sat idle that long starts the next call colder. The lesson's way: a
``keras.Sequential`` whose weights are set with ``set_weights`` and whose output comes from
``model.predict`` on every edit, as notebooks do it. Also reports how long importing
TensorFlow + Keras took here.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from bench.common import EDIT_SPACING_MS, Case, emit, load_average, percentile_ms, test_image

CALLS = 40
SPACED_CALLS = 20
PREDICTS = 12


def timed_calls(call, layer, x, kernels, count: int, spacing_s: float = 0.0) -> list[float]:
    seconds = []
    for i in range(count + 3):  # three warm-up calls
        layer.kernel.assign(kernels[i % len(kernels)])
        if spacing_s:
            time.sleep(spacing_s)
        started = time.perf_counter()
        np.asarray(call(x))  # the output as an array the caller can read
        if i >= 3:
            seconds.append(time.perf_counter() - started)
    return seconds


def main(case: Case, folder: Path) -> None:
    from engine.images.loading import load_image

    pixels = load_image(test_image(case.height, case.width, folder)).pixels
    started = time.perf_counter()
    from engine.backend.keras_model import keras

    import_s = time.perf_counter() - started
    import tensorflow as tf

    nhwc = pixels.reshape(1, case.height, case.width, 1)
    shape = (3, 3, 1, case.filters)
    kernels = [np.full(shape, 0.1 * (i + 1), np.float32) for i in range(4)]
    bias = np.zeros(case.filters, np.float32)
    layer = keras.layers.Conv2D(case.filters, (3, 3), strides=case.strides)
    layer.build((None, None, None, 1))
    x = keras.ops.convert_to_tensor(nhwc)
    traced = tf.function(lambda t: layer(t))
    eager_s, traced_s = [], []
    for _ in range(2):  # interleaved halves, so both see the same load
        eager_s += timed_calls(layer, layer, x, kernels, CALLS // 2)
        traced_s += timed_calls(traced, layer, x, kernels, CALLS // 2)
    eager, fast = percentile_ms(eager_s, 50), percentile_ms(traced_s, 50)
    floor_s = traced_s if fast <= eager else eager_s
    spaced_s = timed_calls(traced if fast <= eager else layer, layer, x, kernels,
                           SPACED_CALLS, EDIT_SPACING_MS / 1000)

    result = {"case": case.key, "tf_import_s": import_s, "load_average": load_average(),
              "eager_ms_median": eager, "traced_ms_median": fast,
              "floor": "traced" if fast <= eager else "eager",
              "floor_ms_median": min(eager, fast), "floor_ms_p95": percentile_ms(floor_s, 95),
              "eager_ms_all": [round(t * 1000, 3) for t in eager_s],
              "traced_ms_all": [round(t * 1000, 3) for t in traced_s],
              "spaced_ms_all": [round(t * 1000, 3) for t in spaced_s]}
    if case.filters == 1 and case.strides == (2, 1):
        model = keras.Sequential([keras.Input((case.height, case.width, 1)),
                                  keras.layers.Conv2D(1, (3, 3), strides=case.strides)])
        predict = []
        for i in range(PREDICTS + 2):
            t = time.perf_counter()
            model.layers[0].set_weights([kernels[i % 4], bias])
            model.predict(nhwc, verbose=0)
            if i >= 2:
                predict.append(time.perf_counter() - t)
        result["predict_ms_median"] = percentile_ms(predict, 50)
    emit(result)


if __name__ == "__main__":
    main(Case.from_args(sys.argv[1:6]), Path(sys.argv[6]))
