"""The real window on a small /dev/shm (run by tests/test_engine_faults.py).

    python tests/small_shm_probe.py PHOTO.png

The test runs this in its own mount namespace with a 64 MB tmpfs over /dev/shm (Docker's
default), so nothing else on the machine sees the small one. Opens PHOTO in RGB mode and
prints one JSON line: the output shape, whether it equals the NumPy reference, the notices
the window raised, the banner, and what was left in /dev/shm after closing.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def wait_for(app, condition, seconds: float = 240) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    return condition()


def main(photo: str) -> None:
    app = QApplication([])
    from gui import MainWindow
    from tests.numpy_reference import cross_correlate

    window = MainWindow(seed=1)
    notices: list[str] = []
    window.pipeline.noticeRaised.connect(notices.append)
    window.show()
    wait_for(app, lambda: window.output_view.values is not None)
    window.open_path(photo)
    window.set_color_mode("rgb")
    image = window.state.image
    height, width = image.hw
    wait_for(app, lambda: window.pipeline.shown is not None
             and window.pipeline.shown.image is window.state.image)
    shown = window.pipeline.shown
    spec = window.state.spec
    want = cross_correlate(image.pixels, spec.kernel, spec.strides, spec.padding,
                           bias=spec.bias)
    result = {"shape": list(shown.output(0).shape),
              "matches": bool(np.allclose(shown.output(0), want, rtol=1e-4, atol=1e-2)),
              "image": [height, width, image.channels], "notices": notices,
              "banner": window.banner.text()}
    window.close()
    app.processEvents()
    result["left_in_shm"] = os.listdir("/dev/shm")  # this namespace's own: only ours
    print("PROBE " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
