"""Display mappings, the code view, kernel files and export, in the real window."""

import json
import subprocess
import sys

import numpy as np
from PIL import Image
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QComboBox, QLabel, QPlainTextEdit, QPushButton

from engine.kernels.presets import FIXED
from tests.live_window import ENGINE_TIMEOUT_MS, find, set_kernel, shown_output


def choose_mapping(win, mode):
    combo = find(win, QComboBox, "displayMapping")
    combo.setCurrentIndex(combo.findData(mode))
    assert win.state.display_mapping == mode


def assert_counts_the_values(panel, values) -> None:
    """The histogram drawn is NumPy's histogram of the values on screen."""
    values = np.asarray(values, np.float64)
    want, edges = np.histogram(values, bins=len(panel.curve.yData),
                               range=(values.min(), values.max()))
    np.testing.assert_array_equal(panel.curve.yData, want)
    np.testing.assert_allclose(panel.curve.xData, edges)


def test_display_mappings_keep_the_raw_output(window):
    window.side_tabs.setCurrentWidget(window.display_panel)  # the Display tab, as a user opens it
    raw = shown_output(window).copy()
    lo, hi = float(raw.min()), float(raw.max())
    assert lo < 0 < hi  # the untrained layer's output is signed
    item = window.output_view.image_item
    assert tuple(item.levels) == (lo, hi) and item.lut is None
    label = find(window, QLabel, "outputRange").text()
    assert f"{raw.min():.6g}" in label
    choose_mapping(window, "diverging")
    m = max(-lo, hi)
    assert tuple(item.levels) == (-m, m)
    assert tuple(item.lut[0]) == (0, 0, 255) and tuple(item.lut[-1]) == (255, 0, 0)
    assert np.array_equal(item.image, raw)  # only levels and colours changed
    panel = window.display_panel
    assert [line.value() for line in panel.level_lines] == [-m, m]
    assert_counts_the_values(panel, raw)
    assert "negative blue" in window.output_view.caption.text()
    choose_mapping(window, "abs")
    assert tuple(item.levels) == (-m, m) and tuple(item.lut[0]) == tuple(item.lut[-1])
    assert np.array_equal(item.image, raw)
    choose_mapping(window, "clip")
    assert tuple(item.levels) == (0, 255) and item.lut is None
    assert label == find(window, QLabel, "outputRange").text()  # the true range never moves


def test_hidden_display_tab_draws_the_newest_result_when_opened(qtbot, window):
    """While the Display tab is hidden, results only update its summary; opening the tab
    draws the newest one."""
    panel, label = window.display_panel, find(window, QLabel, "outputRange")
    assert not panel.isVisible()
    before = label.text()
    set_kernel(window, [[9, 9, 9], [9, 9, 9], [9, 9, 9]])
    qtbot.waitUntil(lambda: window.pipeline.shown.model == window.state.model,
                    timeout=ENGINE_TIMEOUT_MS)
    assert label.text() == before  # nothing drawn for a hidden tab
    window.side_tabs.setCurrentWidget(panel)
    maximum = float(window.pipeline.shown.output(0).max())
    assert label.text() != before and f"{maximum:.6g}" in label.text()
    assert_counts_the_values(panel, window.pipeline.shown.output(0))


def test_hidden_code_tab_writes_the_current_script_when_opened(window):
    view, state = find(window, QPlainTextEdit, "codeView"), window.state
    set_kernel(window, [[0.25, 0, 0], [0, 0, 0], [0, 0, 0]])
    assert "0.25" not in view.toPlainText()  # not rewritten for a hidden tab
    window.side_tabs.setCurrentWidget(window.code_panel)
    assert "[0.25, 0, 0]," in view.toPlainText()
    state.update_spec(bias=-7.5)  # the tab is open now: it follows every edit
    assert "np.array([-7.5], dtype=np.float32)" in view.toPlainText()


def test_code_view_reproduces_the_window(qtbot, window, tmp_path):
    window.side_tabs.setCurrentWidget(window.code_panel)  # the Code tab, as a user opens it
    view = find(window, QPlainTextEdit, "codeView")
    assert view.isReadOnly()
    set_kernel(window, [[0.5, -1.25, 3], [0, 1, 0]])
    window.state.update_spec(bias=2.5, activation="relu")
    state = window.state
    assert "activation='relu'" in view.toPlainText()
    find(window, QPushButton, "copyCode").click()
    assert QGuiApplication.clipboard().text() == view.toPlainText()
    model = state.model
    qtbot.waitUntil(lambda: window.pipeline.shown is not None
                    and window.pipeline.shown.model == model, timeout=ENGINE_TIMEOUT_MS)
    script, out = tmp_path / "reproduce.py", tmp_path / "out.npy"
    script.write_text(view.toPlainText())
    run = subprocess.run([sys.executable, str(script), str(out)], capture_output=True,
                         text=True, timeout=180, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    np.testing.assert_allclose(np.load(out), window.pipeline.shown.output(0),
                               rtol=1e-6, atol=1e-4)


def test_save_and_load_kernel_files(qtbot, window, tmp_path):
    find(window, QComboBox, "presetCombo").setCurrentText("emboss")
    window.state.update_spec(padding="same", bias=1.5)
    saved = window.state.spec
    assert window.save_kernel(tmp_path / "k.json")
    assert json.loads((tmp_path / "k.json").read_text())["padding"] == "same"
    assert window.save_kernel(tmp_path / "k.txt")
    assert (tmp_path / "k.txt").read_text().splitlines()[0].split() == ["-2", "-1", "0"]
    find(window, QComboBox, "presetCombo").setCurrentText("sharpen")
    window.state.update_spec(padding="valid", bias=0)
    assert window.load_kernel(tmp_path / "k.json")
    assert window.state.spec == saved
    assert window.layer_controls.padding_same.isChecked()
    set_kernel(window, [[9]])
    assert window.load_kernel(tmp_path / "k.txt")
    assert np.array_equal(window.state.spec.kernel[:, :, 0, 0], FIXED["emboss"])
    before = window.state.spec
    bad = tmp_path / "bad.json"
    bad.write_text('{"kernel": [[1, 2], [3]]}')
    assert not window.load_kernel(bad)
    assert "bad.json" in window.banner.text() and "nothing changed" in window.banner.text()
    assert window.state.spec == before
    ragged = tmp_path / "ragged.txt"
    ragged.write_text("1 2 3\n4 5\n")
    assert not window.load_kernel(ragged)
    assert "different lengths" in window.banner.text() and window.state.spec == before


def test_rgb_kernel_file_switches_the_channel_mode(window, tmp_path):
    path = tmp_path / "rgb.json"
    kernel = np.arange(27, dtype=float).reshape(3, 3, 3) / 10
    path.write_text(json.dumps({"values": kernel.tolist(), "strides": [1, 1]}))
    assert window.load_kernel(path)
    assert window.state.color == "rgb" and window.state.image.channels == 3
    np.testing.assert_allclose(window.state.spec.kernel[..., 0], kernel, rtol=1e-6)
    assert not window.kernel_tabs.same_kernel.isChecked() and not window.state.same_kernel


def test_export_png_with_mapping_and_raw_npy(qtbot, window, tmp_path):
    raw = window.pipeline.shown.output(0)
    assert window.export_output_npy(tmp_path / "out.npy")
    saved = np.load(tmp_path / "out.npy")
    assert saved.shape == (1, 255, 510, 1) and np.array_equal(saved, raw)
    assert window.export_output_png(tmp_path / "auto.png")
    gray = np.asarray(Image.open(tmp_path / "auto.png"))
    assert gray.shape == (255, 510) and gray.min() == 0 and gray.max() == 255
    choose_mapping(window, "diverging")
    assert window.export_output_png(tmp_path / "div.png")
    colour = np.asarray(Image.open(tmp_path / "div.png"))
    assert colour.shape == (255, 510, 3)
    negative = raw[0, :, :, 0] < -0.5 * np.abs(raw).max()
    assert negative.any() and (colour[negative][:, 2] == 255).all()  # negatives are blue
    assert not window.export_output_png(tmp_path / "no-such-folder" / "x.png")
    assert "not exported" in window.banner.text()
