"""Edit -> displayed through the real MainWindow (offscreen), and a burst of edits.

    python -m bench.window_probe SIZE FOLDER

"Displayed" means: the output view's ImageItem holds the array of the result for this edit
and has painted it (its ``paint`` ran after the result arrived). Edits go through the kernel
table's model, exactly as a typed cell does.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import psutil  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.common import STEPS, PeakRss, emit, percentile_ms, test_image  # noqa: E402

EDITS = {512: 30, 2048: 15, 4096: 12}
BURST_EDITS = 50
BURST_SPACING_MS = 20


class DisplayWatch:
    """Notices when the output view has painted the result of a given request."""

    def __init__(self, window) -> None:
        self.window = window
        self.item = window.output_view.image_item
        self.loop = QEventLoop()
        self.target_id: int | None = None
        self.done_at: float | None = None
        self.painted_ids: list[int] = []
        original = self.item.paint

        def paint(*args):
            original(*args)
            self._painted()

        self.item.paint = paint  # an instance attribute: Qt's virtual call reaches it

    def _painted(self) -> None:
        shown = self.window.pipeline.shown
        if shown is None or self.item.image is None:
            return
        if not self.painted_ids or self.painted_ids[-1] != shown.request_id:
            self.painted_ids.append(shown.request_id)
        if self.target_id is not None and shown.request_id >= self.target_id:
            self.done_at = time.perf_counter()
            self.target_id = None
            self.loop.quit()

    def wait_for(self, request_id: int, timeout_s: float = 120.0) -> float:
        self.target_id, self.done_at = request_id, None
        QTimer.singleShot(int(timeout_s * 1000), self.loop.quit)
        if self.done_at is None:
            self.loop.exec()
        if self.done_at is None:
            raise TimeoutError(f"request {request_id} was not displayed in {timeout_s} s")
        return self.done_at


def set_cell(window, value: float) -> None:
    table = window.kernel_table
    table.model().setData(table.model().index(0, 0), f"{value:g}")


def idle(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def measure_edits(window, watch: DisplayWatch, count: int):
    """Edit -> displayed, the engine's turn and the bare ``layer(x)`` inside it, for each
    edit (seconds), and each edit's time split into STEPS."""
    latencies, engine, layer = [], [], []
    steps: dict[str, list[float]] = {name: [] for name in STEPS}
    for i in range(count + 3):  # three warm-up edits
        idle(30)
        started = time.perf_counter()
        set_cell(window, 0.5 + 0.01 * i)
        done = watch.wait_for(window.pipeline.latest_request_id)
        if i >= 3:
            shown, t = window.pipeline.shown, window.pipeline.shown.timeline
            latencies.append(done - started)
            engine.append(shown.seconds)
            layer.append(shown.layer_seconds)
            received = window.pipeline.shown_received_at
            for name, seconds in zip(STEPS, (t.started - started, t.computed - t.started,
                                             t.summarized - t.computed,
                                             received - t.summarized, done - received)):
                steps[name].append(seconds)
    return latencies, engine, layer, steps


def measure_burst(window, watch: DisplayWatch) -> dict:
    idle(200)
    worker = window.pipeline.worker
    before = worker.computations
    edit_times: list[float] = []
    timer = QTimer()
    timer.setInterval(BURST_SPACING_MS)

    at_last_edit = []

    def edit():
        set_cell(window, -1.0 - 0.01 * len(edit_times))
        edit_times.append(time.perf_counter())
        if len(edit_times) == BURST_EDITS:
            timer.stop()
            at_last_edit.append(worker.computations)
            watch.target_id = window.pipeline.latest_request_id

    first_painted = len(watch.painted_ids)
    timer.timeout.connect(edit)
    watch.target_id = 1 << 62  # nothing counts until the last edit is made
    watch.done_at = None
    timer.start()
    QTimer.singleShot(120_000, watch.loop.quit)
    watch.loop.exec()
    last_id = window.pipeline.latest_request_id
    shown = watch.painted_ids[first_painted:]
    return {
        "edits": BURST_EDITS,
        "spacing_ms": BURST_SPACING_MS,
        "computations": worker.computations - before,
        # Computations that finished between the last edit and its display: the one
        # running when the edit came (if any) plus the edit's own, so <= 2 means the
        # display was never more than one computation behind.
        "computations_after_last_edit": worker.computations - at_last_edit[0],
        "results_shown": len(shown),
        "last_edit_latency_ms": (watch.done_at - edit_times[-1]) * 1000,
        "last_shown_is_last_edit": bool(shown and shown[-1] == last_id),
    }


def rss_mb(pid: int | None) -> float | None:
    try:
        return psutil.Process(pid).memory_info().rss / 2**20 if pid else None
    except psutil.Error:
        return None


def main(size: int, folder: Path) -> None:
    path = test_image(size, folder)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from gui.main_window import MainWindow

    peaks = PeakRss()
    window = MainWindow(path, seed=0)
    peaks.engine_pid = lambda: window.pipeline.worker.engine_pid
    window.resize(1280, 760)
    window.show()
    watch = DisplayWatch(window)
    watch.wait_for(window.pipeline.latest_request_id, timeout_s=300)
    latencies, engine_seconds, layer_seconds, steps = measure_edits(window, watch, EDITS[size])
    engine_rss = rss_mb(window.pipeline.worker.engine_pid)
    burst = measure_burst(window, watch)
    spec = window.state.spec
    result = {
        "size": size,
        "output_shape": list(window.pipeline.shown.output(0).shape),
        "strides": list(spec.strides),
        "padding": spec.padding,
        "edits": len(latencies),
        "edit_ms_median": percentile_ms(latencies, 50),
        "edit_ms_p95": percentile_ms(latencies, 95),
        "edit_ms_all": [round(s * 1000, 2) for s in latencies],
        "engine_ms_median": percentile_ms(engine_seconds, 50),
        "layer_call_ms_median": percentile_ms(layer_seconds, 50),
        "steps_ms_median": {name: percentile_ms(s, 50) for name, s in steps.items()},
        # The same edits' own layer(x) calls: app and floor under the very same load.
        "app_over_layer_call": float(np.median(np.divide(latencies, layer_seconds))),
        "burst": burst,
        "window_rss_mb": rss_mb(os.getpid()),
        "engine_rss_mb": engine_rss,
    }
    result["window_peak_rss_mb"], result["engine_peak_rss_mb"] = peaks.stop()
    window.close()
    app.processEvents()
    emit(result)


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
