"""Shared set-up: headless Qt, quiet TensorFlow, and the bundled sample images."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

ASCENT = ROOT / "resources" / "ascent.png"
FACE = ROOT / "resources" / "face.png"


@pytest.fixture(scope="session")
def ascent_pixels() -> np.ndarray:
    return np.asarray(Image.open(ASCENT), dtype=np.float32)


@pytest.fixture
def run_main(tmp_path):
    """Run ``python main.py ARGS`` in a fresh process, as a user or a script would."""
    import subprocess

    def run(*args, timeout=180):
        return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)],
                              capture_output=True, text=True, timeout=timeout, cwd=tmp_path)
    return run
