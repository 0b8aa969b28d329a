"""What the benchmark probes share: the generated test images and reporting one result."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import numpy as np
from PIL import Image

SIZES = (512, 2048, 4096)


def test_image(size: int, folder: Path) -> Path:
    """A deterministic grayscale photo stand-in: smooth shapes plus fine noise, as PNG."""
    path = folder / f"bench_{size}.png"
    if not path.exists():
        rows, cols = np.mgrid[0:size, 0:size].astype(np.float32) / size
        smooth = 127 + 60 * np.sin(9 * rows) * np.cos(7 * cols) + 40 * np.sin(23 * rows * cols)
        noise = np.random.default_rng(size).normal(0, 12, (size, size))
        pixels = np.clip(smooth + noise, 0, 255).astype(np.uint8)
        Image.fromarray(pixels, "L").save(path)
    return path


def percentile_ms(seconds: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(seconds) * 1000.0, q))


def emit(result: dict) -> None:
    """The one line of JSON a probe prints last; run_bench reads it."""
    sys.stdout.write("BENCH-RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()


class PeakRss:
    """Samples the resident memory of this process and of the engine process every 20 ms.

    (``getrusage``'s maxrss is no use here: on Linux a process launched by another inherits
    the launcher's peak.)"""

    def __init__(self) -> None:
        import psutil

        self._psutil = psutil
        self.engine_pid = lambda: None  # set once the engine process is known
        self.window_mb = self.engine_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _rss_mb(self, pid) -> float:
        try:
            return self._psutil.Process(pid).memory_info().rss / 2**20
        except self._psutil.Error:
            return 0.0

    def _run(self) -> None:
        me = self._psutil.Process()
        while not self._stop.wait(0.02):
            self.window_mb = max(self.window_mb, me.memory_info().rss / 2**20)
            pid = self.engine_pid()
            if pid:
                self.engine_mb = max(self.engine_mb, self._rss_mb(pid))

    def stop(self) -> tuple[float, float | None]:
        self._stop.set()
        self._thread.join()
        return self.window_mb, (self.engine_mb or None)


#: Where an edit's time goes, from the result's Timeline (gui/requests.py).
STEPS = {
    "to_worker": "edit -> the worker takes the request (GUI-thread edit handling)",
    "engine": "the engine's turn (request out, layer call, answer back)",
    "summary": "range and histogram (worker thread)",
    "delivery": "result sent -> received on the GUI thread",
    "on_screen": "received -> views updated and painted",
}
