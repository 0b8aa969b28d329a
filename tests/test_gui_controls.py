"""The kernel and layer controls, colour input and undo, in the real window with real Keras."""

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QPushButton,
    QSpinBox,
)

from engine.kernels.presets import FIXED, RANDOM
from tests.conftest import ASCENT
from tests.layers import keras_glorot
from tests.live_window import (
    ENGINE_TIMEOUT_MS,
    find,
    requests_sent,
    set_kernel,
    shown_output,
    wait_for_images,
)
from tests.numpy_reference import cross_correlate


def wait_for_reference(qtbot, win, pixels):
    """Wait until the shown output equals the NumPy reference for the current spec."""
    spec = win.state.spec
    want = cross_correlate(pixels, spec.kernel, spec.strides, spec.padding, spec.dilation,
                           spec.bias, spec.activation)[0, :, :, win.state.selected_filter]

    def matches():
        shown = shown_output(win)
        return shown.shape == want.shape and np.allclose(shown, want, rtol=1e-4, atol=1e-3)
    qtbot.waitUntil(matches, timeout=ENGINE_TIMEOUT_MS)
    return want


def test_kernel_size_keeps_overlap_and_updates_output(qtbot, window, ascent_pixels):
    before = window.state.spec.kernel.copy()
    find(window, QSpinBox, "kernelRows").setValue(4)
    find(window, QSpinBox, "kernelCols").setValue(2)
    kernel = window.state.spec.kernel
    assert kernel.shape == (4, 2, 1, 1)
    assert np.array_equal(kernel[:3, :2], before[:, :2]) and not kernel[3].any()
    table = window.kernel_table
    assert (table.rowCount(), table.columnCount()) == (4, 2) and table.item(3, 1).text() == "0"
    assert find(window, QComboBox, "presetCombo").currentText() == "custom"
    assert "(1, 255, 511, 1)" in find(window, QLabel, "outputShape").text()
    wait_for_reference(qtbot, window, ascent_pixels)


def test_presets_fill_the_table_and_editing_makes_custom(qtbot, window, ascent_pixels):
    combo = find(window, QComboBox, "presetCombo")
    assert combo.currentText() == RANDOM
    seed = find(window, QSpinBox, "presetSeed").value()
    assert np.array_equal(window.state.spec.kernel, keras_glorot((3, 3, 1, 1), seed))
    combo.setCurrentText("Gaussian blur 5x5")
    assert window.state.spec.kernel.shape == (5, 5, 1, 1)
    assert find(window, QSpinBox, "kernelRows").value() == 5
    combo.setCurrentText("Sobel X")
    assert np.array_equal(window.state.spec.kernel[:, :, 0, 0], FIXED["Sobel X"])
    assert window.kernel_table.item(1, 0).text() == "-2"
    wait_for_reference(qtbot, window, ascent_pixels)
    set_kernel(window, [[-1, 0, 3]])
    assert combo.currentText() == "custom"
    assert window.state.spec.kernel[0, 2, 0, 0] == 3
    set_kernel(window, [[1, 1, 1], [1, 1, 1], [1, 1, 1]])  # typed, not picked: still a preset
    assert combo.currentText() == "box blur (all ones)"


def test_random_preset_seed_and_reroll(window):
    combo, seed = find(window, QComboBox, "presetCombo"), find(window, QSpinBox, "presetSeed")
    combo.setCurrentText("identity")
    seed.setValue(42)
    assert window.state.spec.kernel[1, 1, 0, 0] == 1  # the seed matters for random only
    assert combo.currentText() == "identity"
    combo.setCurrentText(RANDOM)
    assert np.array_equal(window.state.spec.kernel, keras_glorot((3, 3, 1, 1), 42))
    find(window, QPushButton, "rerollButton").click()
    assert seed.value() == 43 and combo.currentText() == RANDOM
    assert np.array_equal(window.state.spec.kernel, keras_glorot((3, 3, 1, 1), 43))
    seed.setValue(7)  # a random filter follows the seed box
    assert np.array_equal(window.state.spec.kernel, keras_glorot((3, 3, 1, 1), 7))
    find(window, QSpinBox, "kernelRows").setValue(2)
    assert combo.currentText() == "custom"


def test_normalize_and_zero_sum(window):
    combo, button = find(window, QComboBox, "presetCombo"), find(window, QPushButton,
                                                                   "normalizeButton")
    combo.setCurrentText("box blur (all ones)")
    button.click()
    np.testing.assert_allclose(window.state.spec.kernel, np.full((3, 3, 1, 1), 1 / 9),
                               rtol=1e-6)
    assert "sum = 1" in find(window, QLabel, "kernelSum").text()
    combo.setCurrentText("Laplacian edge")
    button.click()
    assert np.array_equal(window.state.spec.kernel[:, :, 0, 0], FIXED["Laplacian edge"])  # kept
    assert "sum to 0" in window.banner.text() and window.banner.isVisible()


def test_dilation_activation_and_bias(qtbot, window, ascent_pixels):
    find(window, QSpinBox, "strideRows").setValue(1)
    find(window, QSpinBox, "dilationRows").setValue(3)
    find(window, QSpinBox, "dilationCols").setValue(2)
    assert window.state.spec.dilation == (3, 2)
    assert "(1, 506, 508, 1)" in find(window, QLabel, "outputShape").text()
    wait_for_reference(qtbot, window, ascent_pixels)
    find(window, QComboBox, "activationCombo").setCurrentText("relu")
    find(window, QDoubleSpinBox, "biasSpin").setValue(-20)
    want = wait_for_reference(qtbot, window, ascent_pixels)
    assert want.min() == 0 and shown_output(window).min() == 0


def test_strides_with_dilation_names_the_controls(qtbot, window):
    before = shown_output(window).copy()
    with requests_sent(window) as sent:
        find(window, QSpinBox, "dilationCols").setValue(2)  # strides are (2, 1)
    text = window.banner.text()
    assert "Strides (rows, cols)" in text and "Dilation (rows, cols)" in text
    assert sent == []  # never sent to Keras
    QApplication.processEvents()
    assert np.array_equal(shown_output(window), before)  # the last valid output stays
    assert window.state.spec.dilation == (1, 2)  # the control keeps what the user chose


def test_rgb_mode_is_a_three_channel_conv2d(qtbot, window):
    rgb = np.asarray(Image.open(ASCENT).convert("RGB"), np.float32)
    find(window, QComboBox, "channelMode").setCurrentIndex(1)
    wait_for_images(qtbot, window)
    assert window.state.color == "rgb" and window.state.image.pixels.shape == (512, 512, 3)
    assert window.state.spec.kernel.shape == (3, 3, 3, 1)
    assert "(3, 3, 3, 1)" in find(window, QLabel, "weightsShape").text()
    assert "bias (1,)" in find(window, QLabel, "weightsShape").text()
    assert "(1, 512, 512, 3)" in find(window, QLabel, "inputShape").text()
    wait_for_reference(qtbot, window, rgb)
    same = find(window, QCheckBox, "sameKernel")
    assert same.isChecked() and not window.kernel_tabs.tabs.isTabVisible(1)
    window.kernel_table.model().setData(window.kernel_table.model().index(0, 0), "2")
    assert (window.state.spec.kernel[0, 0] == 2).all()  # one table sets all three planes
    assert window.state.same_kernel
    same.setChecked(False)
    assert window.kernel_tabs.tabs.isTabVisible(2) and not window.kernel_tabs.tabs.isTabVisible(0)
    green = window.kernel_tabs.channel_tables[1]
    assert green.objectName() == "kernelTableG"
    green.model().setData(green.model().index(1, 1), "-7")
    assert window.state.spec.kernel[1, 1, :, 0].tolist()[1] == -7
    assert window.state.spec.kernel[1, 1, 0, 0] != -7
    assert not window.state.same_kernel  # the flag lives in the state, not the checkbox
    wait_for_reference(qtbot, window, rgb)
    find(window, QComboBox, "channelMode").setCurrentIndex(0)
    wait_for_images(qtbot, window)
    assert window.state.spec.kernel.shape == (3, 3, 1, 1) and window.state.image.channels == 1
    assert not same.isVisible()


def test_undo_and_redo_every_edit(qtbot, window):
    start = window.state.spec
    set_kernel(window, [[5]])
    bias = find(window, QDoubleSpinBox, "biasSpin")
    for value in (1, 2, 3, 4):  # a spinbox held down: one undo step
        bias.setValue(value)
    find(window, QSpinBox, "strideRows").setValue(1)
    find(window, QComboBox, "channelMode").setCurrentIndex(1)
    wait_for_images(qtbot, window)
    assert window.history.stack.count() == 4
    assert "Ctrl+Z" in [s.toString() for s in window.undo_action.shortcuts()]
    assert "Ctrl+Shift+Z" in [s.toString() for s in window.redo_action.shortcuts()]
    assert window.undo_action.text() == "&Undo input channels"
    window.undo_action.trigger()
    wait_for_images(qtbot, window)
    assert window.state.color == "gray" and window.state.image.channels == 1
    assert window.undo_action.text() == "&Undo strides"
    assert find(window, QComboBox, "channelMode").currentIndex() == 0
    window.undo_action.trigger()
    assert window.state.spec.strides == (2, 1)
    window.undo_action.trigger()
    assert window.state.spec.bias == 0 and bias.value() == 0
    assert window.undo_action.text() == "&Undo weight [0, 0]"
    window.undo_action.trigger()
    assert window.state.spec == start and window.kernel_table.item(0, 0).text() != "5"
    window.redo_action.trigger()
    window.redo_action.trigger()
    assert window.state.spec.kernel[0, 0, 0, 0] == 5 and window.state.spec.bias == 4
    assert window.kernel_table.item(0, 0).text() == "5"
    for _ in range(2):
        window.redo_action.trigger()
    wait_for_images(qtbot, window)
    assert window.state.color == "rgb" and window.state.spec.kernel.shape == (3, 3, 3, 1)
    qtbot.waitUntil(lambda: shown_output(window).shape == (510, 510),
                    timeout=ENGINE_TIMEOUT_MS)


def test_undo_keys_work_while_a_spinbox_has_focus(qtbot, window):
    window.activateWindow()
    qtbot.waitActive(window)
    window.side_tabs.setCurrentIndex(1)
    bias = find(window, QDoubleSpinBox, "biasSpin")
    bias.setFocus()
    bias.setValue(3)
    steps = window.history.stack.count()
    qtbot.keyClick(bias, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.state.spec.bias == 0 and bias.value() == 0
    assert window.history.stack.count() == steps  # went back, did not add a step
    qtbot.keyClick(bias, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.state.spec.bias == 3
    window.kernel_table.setFocus()
    qtbot.keyClick(window.kernel_table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.state.spec.bias == 0


def test_channel_mode_needs_the_image_file(qtbot, window, tmp_path):
    path = tmp_path / "gone.png"
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(path)
    assert window.open_path(path) is not None
    path.unlink()
    spec = window.state.spec
    find(window, QComboBox, "channelMode").setCurrentIndex(1)
    wait_for_images(qtbot, window)
    assert "Could not reload" in window.banner.text() and "gone.png" in window.banner.text()
    assert window.state.color == "gray" and window.state.spec == spec
    assert find(window, QComboBox, "channelMode").currentIndex() == 0
