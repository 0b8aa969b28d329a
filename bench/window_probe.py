"""Edit -> displayed through the real MainWindow (offscreen), and a burst of edits.

    python -m bench.window_probe HEIGHT WIDTH SH SW FILTERS FOLDER

"Displayed" means: every map of the result for this edit is on screen: the output view's
ImageItem holds that result's map and has painted it, and with several filters each tile of
the feature-map grid that is in view has painted after the result arrived. Edits go through
the kernel table's model, exactly as a typed cell does, one every EDIT_SPACING_MS.
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

from bench.common import (  # noqa: E402
    EDIT_SPACING_MS,
    STEPS,
    Case,
    PeakRss,
    emit,
    load_average,
    percentile_ms,
    test_image,
)

EDITS = 40
BURST_EDITS = 50
BURST_SPACING_MS = 20


class DisplayWatch:
    """Notices when every map of a given request's result is on screen."""

    def __init__(self, window) -> None:
        self.window = window
        self.item = window.output_view.image_item
        self.loop = QEventLoop()
        self.target_id: int | None = None
        self.done_at: float | None = None
        self.painted_ids: list[int] = []  # results the output view painted, in order
        self.item_painted = 0
        self.tiles_painted: dict[int, int] = {}
        original = self.item.paint

        def paint(*args):
            original(*args)
            if self.item.image is not None:
                self.item_painted = self._shown_id()
                if not self.painted_ids or self.painted_ids[-1] != self.item_painted:
                    self.painted_ids.append(self.item_painted)
            self._check()

        self.item.paint = paint  # an instance attribute: Qt's virtual call reaches it
        window.feature_maps._ensure_tiles(16)
        for tile in window.feature_maps.tiles:
            self._hook_tile(tile)

    def _hook_tile(self, tile) -> None:
        original = tile.paintEvent

        def paint_event(event):
            original(event)
            self.tiles_painted[tile.index] = self._shown_id()
            self._check()

        tile.paintEvent = paint_event

    def _shown_id(self) -> int:
        shown = self.window.pipeline.shown
        return shown.request_id if shown is not None else 0

    def _tiles_in_view(self) -> list:
        grid = self.window.feature_maps
        if not grid.isVisible():
            return []
        return [t for t in grid.tiles if t.isVisible() and not t.visibleRegion().isEmpty()]

    def _check(self) -> None:
        target = self.target_id
        if target is None or self.item_painted < target:
            return
        if any(self.tiles_painted.get(t.index, 0) < target for t in self._tiles_in_view()):
            return
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
    """Edit -> displayed for each edit (seconds), the engine's own layer call in each, and
    each edit's time split into STEPS."""
    latencies, layer = [], []
    steps: dict[str, list[float]] = {name: [] for name in STEPS}
    for i in range(count + 3):  # three warm-up edits
        idle(EDIT_SPACING_MS)
        started = time.perf_counter()
        set_cell(window, 0.5 + 0.01 * i)
        done = watch.wait_for(window.pipeline.latest_request_id)
        if i < 3:
            continue
        shown, t = window.pipeline.shown, window.pipeline.shown.timeline
        latencies.append(done - started)
        layer.append(shown.layer_seconds)
        received = window.pipeline.shown_received_at
        for name, seconds in zip(STEPS, (t.started - started, t.computed - t.started,
                                         shown.layer_seconds, getattr(t, "store_seconds", 0.0),
                                         received - t.summarized, done - received)):
            steps[name].append(seconds)
    return latencies, layer, steps


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


def main(case: Case, folder: Path) -> None:
    path = test_image(case.height, case.width, folder)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from gui.app import freeze_startup_objects
    from gui.main_window import MainWindow

    peaks = PeakRss()
    window = MainWindow(path, seed=0)
    peaks.engine_pid = lambda: window.pipeline.worker.engine_pid
    window.resize(1280, 760)
    window.show()
    freeze_startup_objects()  # as the app does once its window is up (gui/app.py)
    watch = DisplayWatch(window)
    watch.wait_for(window.pipeline.latest_request_id, timeout_s=300)
    window.state.update_spec(strides=case.strides)
    if case.filters != window.state.spec.filters:
        window.state.set_filter_count(case.filters)
    watch.wait_for(window.pipeline.latest_request_id, timeout_s=300)
    load = load_average()
    latencies, layer_seconds, steps = measure_edits(window, watch, EDITS)
    engine_rss = rss_mb(window.pipeline.worker.engine_pid)
    burst = measure_burst(window, watch)
    result = {
        "case": case.key,
        "output_shape": list(window.pipeline.shown.output(0).shape),
        "strides": list(window.state.spec.strides),
        "filters": window.state.spec.filters,
        "padding": window.state.spec.padding,
        "load_average": load,
        "edits": len(latencies),
        "edit_spacing_ms": EDIT_SPACING_MS,
        "edit_ms_median": percentile_ms(latencies, 50),
        "edit_ms_p95": percentile_ms(latencies, 95),
        "edit_ms_all": [round(s * 1000, 2) for s in latencies],
        "layer_call_ms_median": percentile_ms(layer_seconds, 50),
        "steps_ms_median": {name: percentile_ms(s, 50) for name, s in steps.items()},
        # The same edits' own layer(x) calls: app and its own call under the very same load.
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
    main(Case.from_args(sys.argv[1:6]), Path(sys.argv[6]))
