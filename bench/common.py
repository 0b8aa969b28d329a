"""What the benchmark probes share: the cases, the generated test images, reporting one result.

A case is an image size, the layer's strides and its number of filters; every case is
measured through the real window and against its own Keras floor, in fresh processes.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Case:
    height: int
    width: int
    strides: tuple[int, int]
    filters: int = 1

    @property
    def key(self) -> str:
        """``4096x4096 s1 F1``: the case's name in bench.json and the tables."""
        return (f"{self.width}x{self.height} s{self.strides[0]}{self.strides[1]}"
                f" F{self.filters}")

    @property
    def image(self) -> str:
        return f"{self.width}x{self.height}"

    def args(self) -> list[str]:
        return [str(self.height), str(self.width), str(self.strides[0]), str(self.strides[1]),
                str(self.filters)]

    @classmethod
    def from_args(cls, args: list[str]) -> Case:
        height, width, sh, sw, filters = (int(v) for v in args[:5])
        return cls(height, width, (sh, sw), filters)


#: How far apart the window probe's edits come (a student typing one weight after another).
EDIT_SPACING_MS = 100
LESSON, FULL = (2, 1), (1, 1)  # the lesson's strides; strides 1, a full-size output
SQUARES = (512, 2048, 4096)
PHOTO = (3024, 4032)  # a 12-megapixel phone photo, landscape: rows, columns

CASES = ([Case(s, s, LESSON) for s in SQUARES] + [Case(*PHOTO, LESSON)]
         + [Case(s, s, FULL) for s in SQUARES] + [Case(*PHOTO, FULL)]
         + [Case(512, 512, LESSON, 8), Case(512, 512, FULL, 8), Case(*PHOTO, FULL, 8)])


def test_image(height: int, width: int, folder: Path) -> Path:
    """A deterministic grayscale photo stand-in: smooth shapes plus fine noise, as PNG."""
    path = folder / f"bench_{width}x{height}.png"
    if not path.exists():
        rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
        rows, cols = rows / height, cols / width
        smooth = 127 + 60 * np.sin(9 * rows) * np.cos(7 * cols) + 40 * np.sin(23 * rows * cols)
        noise = np.random.default_rng(height * 7 + width).normal(0, 12, (height, width))
        pixels = np.clip(smooth + noise, 0, 255).astype(np.uint8)
        Image.fromarray(pixels, "L").save(path)
    return path


def percentile_ms(seconds: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(seconds) * 1000.0, q))


def load_average() -> list[float]:
    import os

    return [round(v, 2) for v in os.getloadavg()]


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
    "engine": "the engine's turn (request out, layer call, outputs stored, answer back)",
    "layer_call": "  of which the layer call (traced `tf.function`)",
    "store": "  of which outputs into shared memory with each map's range",
    "delivery": "result made and sent -> received on the GUI thread",
    "on_screen": "received -> every map updated and painted",
}
