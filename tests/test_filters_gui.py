"""Many filters in the real window: the filter count, the filter selector, the feature-map
grid, the shapes and parameter count, the inspector on one map, code, files and export
(pytest-qt, real Keras, checked against the NumPy reference)."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QSpinBox, QWidget

from engine.kernels.presets import BANK, FILTER_BANK, preset_plane
from tests.layers import keras_glorot
from tests.live_window import ENGINE_TIMEOUT_MS, edit_cell, find, shown_output
from tests.numpy_reference import cross_correlate


def reference(win):
    spec, image = win.state.spec, win.state.image
    return cross_correlate(image.pixels, spec.kernel, spec.strides, spec.padding, spec.dilation,
                           spec.bias, spec.activation)


def wait_for_model(qtbot, win):
    """Until the result on screen is the one for the current settings and weights."""
    qtbot.waitUntil(lambda: win.pipeline.shown is not None
                    and win.pipeline.shown.model == win.state.model, timeout=ENGINE_TIMEOUT_MS)
    return win.pipeline.shown


def set_filters(win, count):
    box = find(win, QSpinBox, "filterCount")
    box.setValue(count)
    assert win.state.spec.filters == count


def test_four_filters_a_bank_and_four_maps(qtbot, window):
    first = window.state.spec.kernel.copy()
    set_filters(window, 4)
    kernel = window.state.spec.kernel
    assert kernel.shape == (3, 3, 1, 4) and np.array_equal(kernel[..., :1], first)
    seed = find(window, QSpinBox, "presetSeed").value()
    assert np.array_equal(kernel[..., 1:], keras_glorot((3, 3, 1, 4), seed)[..., 1:])
    assert window.state.spec.bias.tolist() == [0, 0, 0, 0]
    assert find(window, QLabel, "outputShape").text() == "output: (1, 255, 510, 4)"
    assert find(window, QLabel, "weightsShape").text() == "weights: kernel (3, 3, 1, 4), bias (4,)"
    assert find(window, QLabel, "paramCount").text().split() == ["params:", "3·3·1·4", "+",
                                                                 "4", "=", "40"]
    find(window, QComboBox, "presetCombo").setCurrentText(FILTER_BANK)
    for index in range(4):
        np.testing.assert_array_equal(window.state.spec.kernel[:, :, 0, index],
                                      preset_plane(BANK[index], (3, 3)))
    result = wait_for_model(qtbot, window)
    want = reference(window)
    assert result.output(0).shape == (1, 255, 510, 4)
    np.testing.assert_allclose(result.output(0), want, rtol=1e-5, atol=1e-3)
    grid = find(window, QWidget, "featureMaps")
    assert grid.isVisible()
    tiles = [find(window, QWidget, f"featureMap{f}") for f in range(4)]
    assert all(tile.isVisible() for tile in tiles)
    for f in range(4):  # each tile is its own map, with its true range underneath
        caption = find(window, QLabel, f"featureMapCaption{f}").text()
        assert caption.startswith(f"filter {f}\n")
        assert f"{want[..., f].min():.6g}..{want[..., f].max():.6g}" in caption
        tile = tiles[f].image
        step = int(np.ceil(510 / 128))
        assert (tile.height(), tile.width()) == want[0, ::step, ::step, f].shape


def test_editing_one_filter_changes_only_its_map(qtbot, window):
    set_filters(window, 4)
    before = wait_for_model(qtbot, window).output(0).copy()
    select = find(window, QComboBox, "filterSelect")
    assert select.isVisible() and select.count() == 4
    select.setCurrentIndex(2)
    assert window.state.selected_filter == 2
    weight = window.state.spec.kernel[1, 1, 0, 2]
    assert window.kernel_table.item(1, 1).text() == f"{weight:.6g}"  # the table shows filter 2
    edit_cell(window, 1, 1, "5")
    assert window.state.spec.kernel[1, 1, 0, 2] == 5
    after = wait_for_model(qtbot, window).output(0)
    for f in (0, 1, 3):
        assert np.array_equal(after[..., f], before[..., f]), f
    assert not np.allclose(after[..., 2], before[..., 2])
    np.testing.assert_allclose(after, reference(window), rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(shown_output(window), after[0, :, :, 2])
    assert window.undo_action.text() == "&Undo weight [1, 1] of filter 2"


def test_clicking_a_map_selects_its_filter_everywhere(qtbot, window):
    set_filters(window, 4)
    wait_for_model(qtbot, window)
    qtbot.mouseClick(find(window, QWidget, "featureMap3"), Qt.MouseButton.LeftButton)
    assert window.state.selected_filter == 3
    assert find(window, QComboBox, "filterSelect").currentIndex() == 3
    assert window.kernel_table.item(0, 0).text() == f"{window.state.spec.kernel[0, 0, 0, 3]:.6g}"
    result = window.pipeline.shown
    np.testing.assert_array_equal(shown_output(window), result.output(0)[0, :, :, 3])
    assert "filter 3" in window.output_view.title.text()
    inspector = window.explain_tabs.inspector
    inspector.pin(40, 70)
    weights = window.state.spec.kernel[..., 3]
    assert inspector.explanation.filter_index == 3
    assert [t.weight for t in inspector.explanation.terms] == [
        float(weights[a, b, 0]) for a in range(3) for b in range(3)]
    assert inspector.explanation.value == pytest.approx(float(result.output(0)[0, 40, 70, 3]),
                                                        rel=1e-5, abs=1e-3)
    assert "output[0, 40, 70, 3] from Keras" in inspector.total.text()
    window.state.update_spec(bias=np.array([0, 0, 0, 7.5], np.float32))
    assert find(window, QLabel, "biasLabel").text() == "Bias (filter 3)"
    assert window.layer_controls.bias.value() == 7.5
    window.layer_controls.bias.setValue(-1)  # the bias box edits the selected filter's bias
    assert window.state.spec.bias.tolist() == [0, 0, 0, -1]


def test_one_colour_scale_for_all_maps(qtbot, window):
    set_filters(window, 3)
    find(window, QComboBox, "presetCombo").setCurrentText(FILTER_BANK)
    result = wait_for_model(qtbot, window)
    window.state.select_filter(0)  # identity: its own range is the photo's, 0..255
    item = window.output_view.image_item
    own = tuple(item.levels)
    np.testing.assert_allclose(own, (result.output(0)[..., 0].min(),
                                     result.output(0)[..., 0].max()), rtol=1e-6)
    find(window, QCheckBox, "sharedScale").setChecked(True)
    assert window.state.shared_scale
    everything = result.output(0)
    np.testing.assert_allclose(tuple(item.levels), (everything.min(), everything.max()),
                               rtol=1e-6)
    assert "one scale for all maps" in window.output_view.caption.text()


def test_dropping_filters_keeps_the_first_and_undo_brings_them_back(qtbot, window):
    set_filters(window, 5)
    window.state.select_filter(4)
    five = window.state.spec
    set_filters(window, 2)
    assert window.state.selected_filter == 1  # its filter is gone: the last one left
    assert np.array_equal(window.state.spec.kernel, five.kernel[..., :2])
    assert find(window, QLabel, "outputShape").text() == "output: (1, 255, 510, 2)"
    assert window.undo_action.text() == "&Undo filters"
    window.undo_action.trigger()
    assert window.state.spec == five
    result = wait_for_model(qtbot, window)
    assert result.map_count(0) == 5


def test_code_tab_reproduces_all_four_maps(qtbot, window, tmp_path):
    set_filters(window, 4)
    find(window, QComboBox, "presetCombo").setCurrentText(FILTER_BANK)
    window.state.update_spec(bias=np.array([1, -2, 3.5, 0], np.float32))
    window.side_tabs.setCurrentWidget(window.code_panel)
    code = window.code_panel.code
    assert "filters=4" in code and "np.zeros((3, 3, 1, 4)" in code
    result = wait_for_model(qtbot, window)
    script, out = tmp_path / "four.py", tmp_path / "four.npy"
    script.write_text(code)
    run = subprocess.run([sys.executable, str(script), str(out)], capture_output=True,
                         text=True, timeout=180, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "(1, 255, 510, 4)"
    np.testing.assert_allclose(np.load(out), result.output(0), rtol=1e-6, atol=1e-4)


def test_files_and_exports_carry_every_filter(qtbot, window, tmp_path):
    set_filters(window, 3)
    window.state.update_spec(bias=np.array([1, 2, 3], np.float32))
    saved = window.state.spec
    assert window.save_kernel(tmp_path / "three.json")
    document = json.loads((tmp_path / "three.json").read_text())
    assert np.array(document["values"]).shape == (3, 3, 1, 3) and document["bias"] == [1, 2, 3]
    set_filters(window, 1)
    assert window.load_kernel(tmp_path / "three.json")
    assert window.state.spec == saved
    result = wait_for_model(qtbot, window)
    assert window.export_output_npy(tmp_path / "maps.npy")
    assert np.array_equal(np.load(tmp_path / "maps.npy"), result.output(0))
    assert window.export_output_png(tmp_path / "one.png")
    assert np.asarray(Image.open(tmp_path / "one.png")).shape == (255, 510)
    assert window.export_output_png(tmp_path / "grid.png", grid=True)
    grid = np.asarray(Image.open(tmp_path / "grid.png"))
    assert grid.shape == (2 * 255 + 4, 2 * 510 + 4, 3)  # three maps in a 2x2 grid
