"""A small CNN in the real window: edit of the first conv -> displayed, for the stack
conv(8, 3x3) -> relu -> maxpool 2x2 -> conv(8, 3x3) at 512x512.

    python -m bench.stack_probe FOLDER

Two views of the same edit (a weight of the first conv's first filter, typed through the
kernel table's model as a cell is): with the first conv selected (its 8 maps on screen) and
with the last conv selected (the edit has to reach it through every layer). Then, for the
ratio, the same four Keras layers called bare on the same input after the same weight edit.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.common import STEPS, emit, percentile_ms, test_image  # noqa: E402
from bench.window_probe import DisplayWatch, idle, set_cell  # noqa: E402

SIZE = 512
EDITS = 40


def stack_model():
    from engine.kernels.presets import random_kernel
    from engine.model.activation import ActivationSpec
    from engine.model.conv import ConvSpec
    from engine.model.network import ModelSpec
    from engine.model.pooling import PoolSpec

    return ModelSpec((ConvSpec(kernel=random_kernel((3, 3), 1, 8, 0)), ActivationSpec("relu"),
                      PoolSpec((2, 2)), ConvSpec(kernel=random_kernel((3, 3), 8, 8, 1))))


def measure(window, watch: DisplayWatch, edit) -> tuple[list[float], dict[str, list[float]]]:
    """Edit -> displayed per edit (seconds), after three warm-ups, and each edit's time split
    into the steps of bench.common.STEPS."""
    latencies, steps = [], {name: [] for name in STEPS}
    for i in range(EDITS + 3):
        idle(30)
        started = time.perf_counter()
        edit(i)
        done = watch.wait_for(window.pipeline.latest_request_id)
        if i >= 3:
            latencies.append(done - started)
            shown, received = window.pipeline.shown, window.pipeline.shown_received_at
            t = shown.timeline
            for name, seconds in zip(STEPS, (t.started - started, t.computed - t.started,
                                             shown.layer_seconds, t.store_seconds,
                                             received - t.summarized, done - received)):
                steps[name].append(seconds)
    return latencies, steps


def first_conv_weight(window, i: int) -> None:
    """The same edit as a typed cell, made while another layer is on screen."""
    state = window.state
    first = state.model.layers[0]
    kernel = first.kernel.copy()
    kernel[0, 0, 0, 0] = 0.5 + 0.01 * i
    state.set_model(state.model.with_layer(0, first.with_changes(kernel=kernel)))


def bare_keras(pixels, model) -> float:
    """The four layers called directly, new first-conv weights assigned each time."""
    from engine.backend.keras_model import build_layer, keras

    x = keras.ops.convert_to_tensor(pixels.reshape(1, SIZE, SIZE, 1))
    layers, channels = [], 1
    for spec in model.layers:
        layer = build_layer(spec, channels)
        if spec.kind == "Conv2D":
            layer.kernel.assign(spec.kernel)
        layers.append(layer)
        channels = spec.output_shape((1, 1, 1, channels))[3]
    times = []
    for i in range(EDITS + 3):
        layers[0].kernel.assign(model.layers[0].kernel * (1 + 0.01 * i))
        started = time.perf_counter()
        y = x
        for layer in layers:
            y = layer(y)
        _ = y.numpy()
        if i >= 3:
            times.append(time.perf_counter() - started)
    return percentile_ms(times, 50)


def main(folder: Path) -> None:
    path = test_image(SIZE, SIZE, folder)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from gui.main_window import MainWindow

    window = MainWindow(path, seed=0)
    window.resize(1280, 760)
    window.show()
    watch = DisplayWatch(window)
    watch.wait_for(window.pipeline.latest_request_id, timeout_s=300)
    model = stack_model()
    window.state.set_model(model, selected_layer=0)
    watch.wait_for(window.pipeline.latest_request_id, timeout_s=120)
    first, first_steps = measure(window, watch, lambda i: set_cell(window, 0.5 + 0.01 * i))
    window.state.select_layer(3)
    last, last_steps = measure(window, watch, lambda i: first_conv_weight(window, i))
    shapes = [list(output.shape) for output in window.pipeline.shown.outputs]
    pixels = window.state.image.pixels
    window.close()
    app.processEvents()
    bare = bare_keras(pixels, model)
    emit({"size": SIZE, "stack": list(model.layer_names()), "output_shapes": shapes,
          "edits": len(first),
          "first_selected_ms_median": percentile_ms(first, 50),
          "first_selected_ms_p95": percentile_ms(first, 95),
          "first_selected_steps_ms_median": {name: percentile_ms(v, 50)
                                             for name, v in first_steps.items()},
          "last_selected_ms_median": percentile_ms(last, 50),
          "last_selected_ms_p95": percentile_ms(last, 95),
          "last_selected_steps_ms_median": {name: percentile_ms(v, 50)
                                            for name, v in last_steps.items()},
          "bare_layers_ms_median": bare,
          "app_over_bare": percentile_ms(first, 50) / bare})


if __name__ == "__main__":
    main(Path(sys.argv[1]))
