"""Start-up of the real application in this fresh process.

    BENCH_T0=<time.time() before the process was launched> python -m bench.startup_probe IMAGE

Times from process launch: the window painted with the input image, the engine ready, the
first output painted. Meanwhile a 10 ms QTimer measures the longest gap in the window's
event loop (a stall a user would feel), until the first output is on screen.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

T0 = float(os.environ.get("BENCH_T0", time.time()))


def hook_paint(item, callback) -> None:
    original = item.paint

    def paint(*args):
        original(*args)
        callback()

    item.paint = paint


def main(image: str) -> None:
    from engine.backend.launch import start_early

    start_early()  # as main.py does, before Qt and pyqtgraph load
    from bench.common import PeakRss, emit
    from gui.app import start_window

    peaks = PeakRss()
    app, window = start_window([image])
    peaks.engine_pid = lambda: window.pipeline.worker.engine_pid
    from PySide6.QtCore import QTimer

    marks: dict[str, float] = {"event_loop": time.time() - T0}
    ticks: list[float] = []

    def input_painted():
        marks.setdefault("window_shown", time.time() - T0)

    def output_painted():
        if window.output_view.values is not None and "first_output" not in marks:
            marks["first_output"] = time.time() - T0
            QTimer.singleShot(300, window.close)

    def engine_status(status):
        marks.setdefault("engine_" + ("ready" if status == "ready" else "failed"),
                         time.time() - T0)

    hook_paint(window.input_view.image_item, input_painted)
    hook_paint(window.output_view.image_item, output_painted)
    window.pipeline.engineStatusChanged.connect(engine_status)
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.time() - T0)
                          if "first_output" not in marks else None)
    timer.start()
    QTimer.singleShot(300_000, window.close)
    app.exec()
    gaps = [(b - a, a) for a, b in zip(ticks, ticks[1:])]
    shown, ready = marks.get("window_shown", 0), marks.get("engine_ready", float("inf"))
    loading = [g for g, at in gaps if shown <= at < ready]
    engine_pid = window.pipeline.worker.engine_pid
    window_peak, engine_peak = peaks.stop()
    emit({**{k: round(v, 4) for k, v in marks.items()},
          "longest_stall_ms": max(g for g, _ in gaps) * 1000 if gaps else None,
          # between the window showing the image and the engine saying it is ready
          "longest_stall_while_loading_ms": max(loading) * 1000 if loading else None,
          "stalls_over_100ms": sum(g > 0.1 for g, _ in gaps),
          "stalls_over_50ms_at_s": [round(at, 2) for g, at in gaps if g > 0.05],
          "engine": "process" if engine_pid else "thread",
          "engine_import_s": window.pipeline.worker.engine_import_s,
          "window_peak_rss_mb": window_peak, "engine_peak_rss_mb": engine_peak})


if __name__ == "__main__":
    main(sys.argv[1])
