"""The window keeps working and keeps telling the truth: refused cells, empty outputs, engine
faults, a missing TensorFlow, and the File > Open start folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog

import engine.backend.keras_model
from gui import MainWindow
from tests.conftest import ASCENT, ROOT
from tests.live_window import (
    ENGINE_TIMEOUT_MS,
    edit_cell,
    open_window,
    requests_sent,
    shown_output,
    wait_for_images,
)
from tests.numpy_reference import cross_correlate


@pytest.fixture
def window(qtbot):
    return open_window(qtbot)


REFUSED_CELLS = [
    ("", "Empty cell"), ("   ", "Empty cell"), ("twelve", "not a number"),
    ("nan", "not a finite number"), ("inf", "not a finite number"),
    ("-Infinity", "not a finite number"), ("1e400", "too large"), ("-2e6", "too large"),
    ("1000000.5", "too large"), ("1,5", "Use a point for decimals"), ("1e-50", "too small"),
    ("0x10", "not a number"), ("1/3", "not a number"), ("3 4", "not a number"),
]


def test_refused_cells_keep_the_last_valid_kernel(qtbot, window):
    kernel, before = window.state.spec.kernel.copy(), shown_output(window).copy()
    requested = window.pipeline.latest_request_id
    table = window.kernel_table
    for text, reason in REFUSED_CELLS:
        edit_cell(window, 1, 1, text)
        assert table.invalid_cells == [(1, 1)], text
        assert table.item(1, 1).text() == text  # what was typed stays visible
        assert reason in table.item(1, 1).toolTip(), (text, table.item(1, 1).toolTip())
        assert "last valid value is still in use" in table.item(1, 1).toolTip()
        assert reason in window.banner.text()
        assert np.array_equal(window.state.spec.kernel, kernel), text
    assert window.pipeline.latest_request_id == requested  # nothing was sent to compute
    QApplication.processEvents()
    assert np.array_equal(shown_output(window), before)
    edit_cell(window, 1, 1, "1e6")  # the bound itself is allowed
    assert table.invalid_cells == [] and window.state.spec.kernel[1, 1] == 1e6
    qtbot.waitUntil(lambda: not np.array_equal(shown_output(window), before),
                    timeout=ENGINE_TIMEOUT_MS)


def test_one_pixel_image_with_valid_padding_is_explained(qtbot, window, tmp_path):
    before = shown_output(window).copy()
    path = tmp_path / "dot.png"
    Image.fromarray(np.full((1, 1), 200, np.uint8)).save(path)
    with requests_sent(window) as sent:
        assert window.open_path(path) is not None  # the image itself is fine
    text = window.banner.text()
    assert "output would be empty" in text and "Use 'same' padding" in text
    assert "empty" in window.shape_panel.output_shape.text()
    assert sent == []  # an empty output is never asked of Keras
    QApplication.processEvents()
    assert np.array_equal(shown_output(window), before)  # the last output stays
    qtbot.mouseClick(window.layer_controls.padding_same, Qt.MouseButton.LeftButton)
    assert window.state.spec.padding == "same"
    assert "(1, 1, 1, 1)" in window.shape_panel.output_shape.text()
    qtbot.waitUntil(lambda: shown_output(window).shape == (1, 1), timeout=ENGINE_TIMEOUT_MS)
    want = cross_correlate(np.full((1, 1), 200.0), window.state.spec.kernel, (2, 1), "same")
    np.testing.assert_allclose(shown_output(window), want[0, :, :, 0], rtol=1e-5)
    qtbot.waitUntil(lambda: window.banner.text() == "", timeout=ENGINE_TIMEOUT_MS)


def test_an_engine_fault_is_shown_and_the_next_edit_works(qtbot, monkeypatch):
    """Keras runs on the worker thread here (CONVSCOPE_ENGINE=thread) so that a fault can be
    injected into the real layer call; a crashing engine process is covered in
    tests/test_engine_process.py."""
    monkeypatch.setenv("CONVSCOPE_ENGINE", "thread")
    window = MainWindow(seed=3)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.output_view.values is not None, timeout=ENGINE_TIMEOUT_MS)
    before = shown_output(window).copy()
    real = engine.backend.keras_model.KerasModelRunner.run
    faults = []

    def run_failing_once(self, image, model):
        if not faults:
            faults.append(model)
            raise RuntimeError("injected fault in the layer")
        return real(self, image, model)

    monkeypatch.setattr(engine.backend.keras_model.KerasModelRunner, "run", run_failing_once)
    edit_cell(window, 0, 0, "2")
    qtbot.waitUntil(lambda: "injected fault" in window.banner.text(), timeout=ENGINE_TIMEOUT_MS)
    assert "Keras could not compute this output" in window.banner.text()
    assert np.array_equal(shown_output(window), before)
    edit_cell(window, 0, 1, "-1")
    qtbot.waitUntil(lambda: window.banner.text() == "", timeout=ENGINE_TIMEOUT_MS)
    spec = window.state.spec
    want = cross_correlate(np.asarray(Image.open(ASCENT), np.float64), spec.kernel, (2, 1))
    qtbot.waitUntil(lambda: np.allclose(shown_output(window), want[0, :, :, 0], rtol=1e-4,
                                        atol=1e-2), timeout=ENGINE_TIMEOUT_MS)
    assert len(faults) == 1


WITHOUT_TENSORFLOW = """
import json, sys, time
from PySide6.QtWidgets import QApplication
app = QApplication([])
from gui import MainWindow
win = MainWindow(seed=1)
win.show()
deadline = time.monotonic() + 60
while win.pipeline.engine_status == "loading" and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
engine, shape = win.banner.text(), win.shape_panel.output_shape.text()
caption = win.output_view.caption.text()
win.kernel_table.model().setData(win.kernel_table.model().index(0, 0), "1")
win.state.update_spec(dilation=(2, 2))
app.processEvents()
print(json.dumps({"engine": engine, "input": list(win.input_view.values.shape),
                  "shape": shape, "caption": caption,
                  "after_edit": win.banner.text(),
                  "kernel": float(win.state.spec.kernel[0, 0, 0, 0]),
                  "visible": win.isVisible()}))
win.close()
"""


def hide_tensorflow(folder) -> dict:
    """An environment in which ``import tensorflow`` and ``import keras`` fail, in this process's
    children and in the engine process they spawn, as on a machine without TensorFlow."""
    for name in ("tensorflow", "keras"):
        package = folder / name
        package.mkdir()
        (package / "__init__.py").write_text(
            f"raise ImportError('No module named {name!r}')\n")
    return {**os.environ, "PYTHONPATH": str(folder)}


def test_window_opens_without_tensorflow(tmp_path):
    result = subprocess.run([sys.executable, "-c", WITHOUT_TENSORFLOW], capture_output=True,
                            text=True, timeout=120, cwd=ROOT, env=hide_tensorflow(tmp_path))
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["visible"] and seen["input"] == [512, 512]  # the image is shown
    assert "Keras engine could not start" in seen["engine"]
    assert "pip install tensorflow-cpu" in seen["engine"]
    assert "(1, 255, 510, 1)" in seen["shape"]  # the arithmetic needs no TensorFlow
    assert "No output: the Keras engine is unavailable" in seen["caption"]
    assert seen["kernel"] == 1.0 and "dilation" in seen["after_edit"]  # edits still work


def test_convolve_command_without_tensorflow_says_how_to_install(tmp_path):
    code = ("import sys; sys.modules['tensorflow'] = None; sys.modules['keras'] = None; "
            "from engine.commands.convolve import main; sys.exit(main(sys.argv[1:]))")
    result = subprocess.run([sys.executable, "-c", code, str(ASCENT)], capture_output=True,
                            text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "pip install tensorflow-cpu" in lines[0]


def test_file_open_starts_in_the_configured_folder(qtbot, tmp_path, monkeypatch):
    Image.fromarray(np.zeros((6, 6), np.uint8)).save(tmp_path / "lab.png")
    monkeypatch.setenv("CONVSCOPE_IMAGE_FOLDER", str(tmp_path))
    window = open_window(qtbot)
    asked = []

    def fake_dialog(parent, caption, folder, filters):
        asked.append((folder, filters))
        return str(tmp_path / "lab.png"), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake_dialog))
    open_action = next(a for a in window.menuBar().actions()[0].menu().actions()
                       if a.text().startswith("&Open image"))
    open_action.trigger()
    wait_for_images(qtbot, window)
    assert asked[0][0] == str(tmp_path)
    assert "*.png" in asked[0][1] and "*.tif" in asked[0][1] and "*.webp" in asked[0][1]
    assert window.state.image.name == "lab.png"


def test_settings_notes_reach_the_status_bar(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("CONVSCOPE_DISPLAY_MAPPING", "rainbow")
    window = open_window(qtbot)
    assert window.settings.display_mapping == "auto"
    assert "rainbow" in window.statusBar().currentMessage()
