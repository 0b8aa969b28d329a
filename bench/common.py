"""What the benchmark probes share: the generated test images and reporting one result."""

from __future__ import annotations

import json
import sys
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
