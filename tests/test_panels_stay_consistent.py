"""Panels and history stay true to what is on screen when a step cannot be taken or the
output changes under them (the real window, real engine)."""

import json
import shutil

import numpy as np
from PIL import Image
from PySide6.QtWidgets import QPushButton

from tests.conftest import ASCENT
from tests.live_window import (
    ENGINE_TIMEOUT_MS,
    find,
    open_window,
    shown_output,
    wait_for_images,
)
from tests.numpy_reference import cross_correlate


def test_lesson_next_after_switching_to_rgb_keeps_the_layer_running(qtbot, window,
                                                                     ascent_pixels):
    window.start_lesson()
    assert window.set_color_mode("rgb")
    nxt = find(window, QPushButton, "lessonNext")
    nxt.click()
    nxt.click()  # step 3: the all-ones kernel, now on all three channels
    spec = window.state.spec
    assert window.state.color == "rgb" and spec.kernel.shape == (3, 3, 3, 1)
    assert np.array_equal(spec.kernel, np.ones((3, 3, 3, 1)))
    rgb = np.repeat(ascent_pixels[:, :, None], 3, axis=2)
    want = cross_correlate(rgb, spec.kernel, (2, 1))[0, :, :, 0]
    qtbot.waitUntil(lambda: np.allclose(shown_output(window), want), timeout=ENGINE_TIMEOUT_MS)
    assert "channel" not in window.banner.text()


def test_inspector_clears_when_its_pixel_leaves_the_output(qtbot, window):
    inspector = window.explain_tabs.inspector
    inspector.pin(250, 500)
    assert "row 250, column 500" in inspector.heading.text()
    window.state.update_spec(strides=(4, 4))
    qtbot.waitUntil(lambda: shown_output(window).shape == (128, 128), timeout=ENGINE_TIMEOUT_MS)
    assert inspector.pixel is None and not inspector.pinned.isChecked()
    assert "row 250" not in inspector.heading.text()
    assert inspector.terms.toPlainText() == ""


def test_kernel_file_needing_a_lost_image_changes_nothing(qtbot, tmp_path):
    copy = tmp_path / "photo.png"
    shutil.copy(ASCENT, copy)
    window = open_window(qtbot, copy)
    copy.unlink()  # RGB mode would need to reload it
    kernel_file = tmp_path / "rgb.json"
    kernel_file.write_text(json.dumps({"values": np.ones((3, 3, 3)).tolist()}))
    before = window.state.spec
    assert window.load_kernel(kernel_file) is False
    assert window.state.spec == before and window.state.color == "gray"
    assert "Could not reload" in window.banner.text()


def test_undo_of_a_channel_switch_it_cannot_take_leaves_history_true(qtbot, tmp_path):
    copy = tmp_path / "photo.png"
    shutil.copy(ASCENT, copy)
    window = open_window(qtbot, copy)
    assert window.set_color_mode("rgb")
    steps = window.history.stack.count()
    copy.unlink()
    window.undo_action.trigger()
    wait_for_images(qtbot, window)
    assert window.state.color == "rgb"  # could not go back: the file is gone
    assert window.history.stack.count() == steps - 1  # and the step is not kept as taken
    assert not window.redo_action.isEnabled()


def test_wide_rgb_images_are_not_clipped_to_white(qtbot, tmp_path):
    path = tmp_path / "deep.png"
    Image.fromarray(np.linspace(0, 60000, 64 * 64).reshape(64, 64).astype(np.uint16)).save(path)
    window = open_window(qtbot, path)
    assert window.set_color_mode("rgb")
    levels = window.input_view.image_item.levels
    assert levels[1] > 50000  # the view spans the real range, not 0-255


def test_bias_box_keeps_a_loaded_bias(qtbot, window, tmp_path):
    kernel_file = tmp_path / "bias.json"
    kernel_file.write_text(json.dumps({"values": [[1.0]], "bias": 0.12345}))
    assert window.load_kernel(kernel_file)
    assert window.layer_controls.bias.value() == 0.12345
    assert "0.12345" in window.code_panel.code
