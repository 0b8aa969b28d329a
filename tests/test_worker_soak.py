"""Thousands of rapid edits through the real engine worker.

Guards two things: edits are coalesced (far fewer computations than edits, and the last edit
is what ends up on screen), and the Qt binding survives signals crossing threads at this rate
(PySide6 6.12.0 aborted the interpreter within seconds of exactly this).
"""

import numpy as np
from PySide6.QtWidgets import QApplication

from engine.images.loading import from_array
from gui.pipeline import LivePipeline
from gui.state import AppState
from tests.layers import model
from tests.numpy_reference import cross_correlate

EDITS = 4000


def test_rapid_edits_are_coalesced_and_survive(qtbot):
    rng = np.random.default_rng(0)
    image = from_array(rng.uniform(0, 255, (96, 128)), "noise")
    state = AppState(model(np.zeros((3, 3))), image)
    pipeline = LivePipeline(state)
    shown = []
    pipeline.outputChanged.connect(shown.append)
    pipeline.start()
    try:
        qtbot.waitUntil(lambda: pipeline.engine_status == "ready", timeout=60_000)
        for i in range(EDITS):
            state.set_kernel_entry(i % 3, (i // 3) % 3, float(i % 17 - 8))
            if i % 500 == 0:
                state.update_spec(strides=(1 + (i // 500) % 2, 1))
            if i % 7 == 0:
                QApplication.processEvents()
        final_id = pipeline.latest_request_id
        qtbot.waitUntil(lambda: pipeline.shown is not None
                        and pipeline.shown.request_id == final_id, timeout=60_000)
    finally:
        pipeline.stop()
    ids = [r.request_id for r in shown]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)  # never an older result after a newer
    assert pipeline.worker.computations < EDITS / 2  # coalesced, no queue
    spec = state.spec
    want = cross_correlate(image.pixels, spec.kernel, spec.strides)
    np.testing.assert_allclose(pipeline.shown.output(0), want, rtol=1e-5, atol=1e-3)
