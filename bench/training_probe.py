"""Training speed: steps per second at 512x512, and the Train tab live in the real window.

    python -m bench.training_probe [OUT_FOLDER]

1. Steps per second of the engine's trainer (chunks of steps in one traced tf.function) on
   the 512x512 ascent photo, against the plain Keras baseline run in the same session: one
   ``@tf.function`` GradientTape step per Python call, as the Code tab's script runs it.
2. The real window (offscreen, its own engine process): the Train tab, a hidden mystery 3x3
   kernel, Start clicked. Measured from the click: the time until the output view has
   painted the output of weights within 1e-2 of the target (relative to its largest weight),
   the steps it took, steps per second while training, how often the output view repainted,
   the longest gap between the ticks of a 10 ms QTimer (a stall a user would feel), and the
   longest stretch of the window thread's own CPU time between two ticks (the part of a stall
   that is the window's own work, not waiting for a core other programs hold).

Writes training.json and training.md to OUT_FOLDER (default bench/results).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
ASCENT = ROOT / "resources" / "ascent.png"
STEPS_TIMED = 1500
WINDOW_TIMEOUT_S = 120.0
#: The mysteries the window learns: the issue's Sobel Y, and random whole numbers.
SCENES = (("Sobel Y", 0), ("random weights", 0))


def trainer_speed() -> dict:
    import numpy as np

    from engine.backend.keras_training import KerasTrainer, keras, tf, train_steps
    from engine.images.loading import load_image
    from engine.kernels.presets import random_kernel
    from engine.model.conv import ConvSpec
    from engine.model.network import single_conv
    from engine.training.settings import TrainSettings
    from engine.training.targets import TrainTarget

    pixels = load_image(ASCENT).pixels[np.newaxis, :, :, np.newaxis]
    model = single_conv(ConvSpec(kernel=random_kernel((3, 3), 1, 1, 0)))
    target = TrainTarget("mystery", "Sobel Y").model_for(model)
    trainer = KerasTrainer(pixels, model, target, TrainSettings())
    trainer.train(50)  # traced
    app_s = train_steps(trainer, STEPS_TIMED, chunk=8)  # the engine's chunks are ~20 ms

    x = tf.constant(pixels)
    layer = keras.layers.Conv2D(1, (3, 3))
    layer.build((None, None, None, 1))
    goal = keras.layers.Conv2D(1, (3, 3))
    goal.build((None, None, None, 1))
    goal.set_weights([target.layers[0].kernel, target.layers[0].bias])
    y = goal(x)
    loss_fn = keras.losses.MeanSquaredError()
    optimizer = keras.optimizers.Adam(learning_rate=1.0, amsgrad=True)
    optimizer.build(layer.trainable_variables)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = loss_fn(y, layer(x))
        gradients = tape.gradient(loss, layer.trainable_variables)
        optimizer.apply_gradients(zip(gradients, layer.trainable_variables))
        return loss

    step()
    started = time.perf_counter()
    for _ in range(STEPS_TIMED):
        loss = step()
    float(loss)
    baseline_s = time.perf_counter() - started
    return {"steps": STEPS_TIMED, "app_steps_per_s": STEPS_TIMED / app_s,
            "baseline_steps_per_s": STEPS_TIMED / baseline_s,
            "app_over_baseline": baseline_s / app_s}


def window_scene(app, mystery: str, seed: int) -> dict:
    from PySide6.QtCore import QEventLoop, QTimer

    from engine.training.recovery import recovered
    from engine.training.targets import TrainTarget
    from gui import MainWindow

    window = MainWindow(seed=0)
    window.show()
    loop_until(app, lambda: window.output_view.values is not None, WINDOW_TIMEOUT_S)
    window.explain_tabs.setCurrentWidget(window.train_panel)
    window.train_state.set_target(TrainTarget("mystery", mystery, seed))
    loop_until(app, lambda: window.train_state.target_output is not None, WINDOW_TIMEOUT_S)
    target = window.train_state.target.model_for(window.state.model)
    marks: dict[str, float] = {}
    paints: list[float] = []
    ticks: list[float] = []
    item = window.output_view.image_item
    original = item.paint

    def paint(*args):
        original(*args)
        now = time.perf_counter()
        paints.append(now)
        shown = window.pipeline.shown
        if ("recovered" not in marks and shown is not None
                and window.train_state.steps > 0 and recovered(shown.model, target)):
            marks["recovered"], marks["steps"] = now, window.train_state.steps

    item.paint = paint
    timer = QTimer()
    timer.setInterval(10)
    cpu: list[float] = []

    def tick():
        ticks.append(time.perf_counter())
        cpu.append(time.thread_time())

    timer.timeout.connect(tick)
    timer.start()
    marks["start"] = time.perf_counter()
    window.train_panel.controls.start.click()
    loop_until(app, lambda: "recovered" in marks, WINDOW_TIMEOUT_S)
    # keep training a little past the answer, as a class would, before pausing
    until = time.perf_counter() + 1.0
    loop_until(app, lambda: time.perf_counter() > until, 5)
    stopped = time.perf_counter()
    steps = window.train_state.steps
    window.train_panel.controls.start.click()
    timer.stop()
    loop = QEventLoop()
    QTimer.singleShot(200, loop.quit)
    loop.exec()
    window.close()
    start = marks["start"]
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    worst = max(range(len(gaps)), key=gaps.__getitem__) if gaps else None
    busy = [b - a for a, b in zip(cpu, cpu[1:])]
    redraws = [p for p in paints if start <= p <= stopped]
    return {"mystery": mystery, "seed": seed, "layer": "Conv2D(1, (3, 3), strides=(2, 1))",
            "recovered_s": marks.get("recovered", float("nan")) - start,
            "recovered_steps": marks.get("steps"),
            "steps_per_s": steps / (stopped - start),
            "redraws_per_s": len(redraws) / (stopped - start),
            "longest_stall_ms": max(gaps) * 1000 if gaps else None,
            "longest_stall_at_s": ticks[worst] - start if gaps else None,
            "stalls_over_50ms": sum(g > 0.05 for g in gaps),
            "longest_busy_ms": max(busy) * 1000 if busy else None}


def loop_until(app, condition, timeout_s: float) -> None:
    """Run the event loop (idle between events, as the app's own loop is) until
    ``condition`` holds, checked every 5 ms."""
    from PySide6.QtCore import QEventLoop, QTimer

    if condition():
        return
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(5)
    check.timeout.connect(lambda: loop.quit() if condition() else None)
    check.start()
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    check.stop()
    if not condition():
        raise TimeoutError("the window did not get there in time")


def table(result: dict) -> str:
    speed = result["trainer"]
    lines = [
        "| measure | value | target |",
        "| --- | --- | --- |",
        f"| training steps/s at 512x512 (3x3 Conv2D, the engine's chunks) | "
        f"{speed['app_steps_per_s']:.0f} | >= 200 |",
        f"| plain Keras: one `@tf.function` GradientTape step per call | "
        f"{speed['baseline_steps_per_s']:.0f} | |",
        f"| app / plain Keras | {speed['app_over_baseline']:.2f}x | |",
    ]
    for scene in result["window"]:
        name = f"mystery {scene['mystery']}"
        lines += [
            f"| window, {name}: Start -> recovered within 1e-2, on screen | "
            f"{scene['recovered_s']:.1f} s ({scene['recovered_steps']} steps) | <= 10 s |",
            f"| window, {name}: steps/s while training (display included) | "
            f"{scene['steps_per_s']:.0f} | |",
            f"| window, {name}: output redraws per second | {scene['redraws_per_s']:.0f} | "
            f">= 10 |",
            f"| window, {name}: longest UI stall (10 ms timer gap) | "
            f"{scene['longest_stall_ms']:.0f} ms ({scene['stalls_over_50ms']} over 50 ms) | "
            f"<= 50 ms |",
            f"| window, {name}: of which the window's own work (thread CPU time) | "
            f"{scene['longest_busy_ms']:.0f} ms | |",
        ]
    load = result["load_average"]
    lines.append("")
    lines.append(f"Machine: {os.cpu_count()} cores; load average at start "
                 f"{[round(v, 2) for v in load]}.")
    return "\n".join(lines) + "\n"


def main(folder: str | None = None) -> None:
    out = Path(folder) if folder else ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    window = [window_scene(app, mystery, seed) for mystery, seed in SCENES]
    result = {"trainer": trainer_speed(), "window": window, "load_average": load}
    (out / "training.json").write_text(json.dumps(result, indent=2))
    text = table(result)
    (out / "training.md").write_text(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main(*sys.argv[1:2])
