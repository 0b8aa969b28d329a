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


def assert_lesson_run(result, saved_npy, ascent_pixels) -> None:
    """A `convolve ascent --strides 2 1 -o saved_npy` run (default all-ones kernel) printed
    the lesson's shape and saved the box sums, as float32."""
    from tests.numpy_reference import cross_correlate

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "(1, 255, 510, 1)"
    saved = np.load(saved_npy)
    assert saved.dtype == np.float32 and saved.shape == (1, 255, 510, 1)
    np.testing.assert_allclose(saved, cross_correlate(ascent_pixels, np.ones((3, 3)), (2, 1)),
                               rtol=1e-6)
