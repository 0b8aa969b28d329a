"""Shared set-up: headless Qt, quiet TensorFlow, and the bundled sample images."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Never read or write the developer's own settings: every window in the tests starts from the
# defaults unless a test points CONVSCOPE_SETTINGS elsewhere.
os.environ["CONVSCOPE_SETTINGS"] = os.path.join(tempfile.mkdtemp(prefix="convscope-test-"),
                                                "settings.ini")
for _name in ("CONVSCOPE_IMAGE_FOLDER", "CONVSCOPE_START_IN_LESSON", "CONVSCOPE_DISPLAY_MAPPING",
              "CONVSCOPE_TEXT_SCALE", "CONVSCOPE_PRESENTATION_TEXT_SCALE",
              "CONVSCOPE_START_IN_PRESENTATION", "CONVSCOPE_SESSION"):
    os.environ.pop(_name, None)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from PIL import Image  # noqa: E402

# Hypothesis: "ci" (selected by CI=true) runs more examples, derandomized so a red build
# reproduces; "dev" keeps local runs short. Deadlines are off: the first Keras call of a
# process, and Qt event processing, take unpredictable time.
settings.register_profile("ci", max_examples=300, derandomize=True, deadline=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI", "").lower() == "true" else "dev"))

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


@pytest.fixture(autouse=True)
def _settings_forgotten_after_each_test():
    """What one test's window remembered on closing (its size, a text scale) never reaches the
    next test's window: the shared settings file is removed after every test."""
    path = Path(os.environ["CONVSCOPE_SETTINGS"])
    yield
    path.unlink(missing_ok=True)


@pytest.fixture
def window(qtbot):
    """The real MainWindow, shown, its engine loaded and its first output on screen (the
    session's shared engine process, see tests/live_window.py)."""
    from tests.live_window import open_window

    return open_window(qtbot)


@pytest.fixture(scope="session", autouse=True)
def _close_the_shared_engine():
    """The windows' shared engine process, if a test started it, ends with the session."""
    yield
    live_window = sys.modules.get("tests.live_window")
    if live_window is not None:
        live_window.SHARED_ENGINE.close()
