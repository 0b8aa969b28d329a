"""The real window, driven through its widgets as a user would (pytest-qt, offscreen)."""

import numpy as np
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QSpinBox, QTableWidget

from tests.conftest import ASCENT, FACE
from tests.layers import keras_glorot
from tests.live_window import (
    ENGINE_TIMEOUT_MS,
    find,
    requests_sent,
    set_kernel,
    shown_output,
    wait_for_images,
    wait_for_output,
)
from tests.numpy_reference import cross_correlate


def test_opens_at_the_lessons_first_step(window, ascent_pixels):
    assert "(1, 512, 512, 1)" in find(window, QLabel, "inputShape").text()
    assert "(1, 255, 510, 1)" in find(window, QLabel, "outputShape").text()
    assert shown_output(window).shape == (255, 510)
    assert shown_output(window).dtype == np.float32
    kernel = window.state.spec.kernel
    untrained = keras_glorot((3, 3, 1, 1), 3)  # an untrained layer's weights (the seed is 3)
    assert np.array_equal(kernel.view(np.uint32), untrained.view(np.uint32))
    want = cross_correlate(ascent_pixels, kernel, (2, 1))[0, :, :, 0]
    np.testing.assert_allclose(shown_output(window), want, rtol=1e-4, atol=1e-3)
    assert np.array_equal(window.input_view.image_item.image, ascent_pixels)


def test_all_ones_kernel_gives_the_box_sum(qtbot, window, ascent_pixels):
    set_kernel(window, np.ones((3, 3), int))
    want = cross_correlate(ascent_pixels, np.ones((3, 3)), (2, 1))[0, :, :, 0]
    qtbot.waitUntil(lambda: np.allclose(shown_output(window), want), timeout=ENGINE_TIMEOUT_MS)
    levels = window.output_view.image_item.levels
    assert levels[0] == want.min() and levels[1] == want.max()


def test_strides_and_padding_redraw_with_shape(qtbot, window):
    find(window, QSpinBox, "strideRows").setValue(1)
    assert "(1, 510, 510, 1)" in find(window, QLabel, "outputShape").text()
    wait_for_output(qtbot, window, (510, 510))
    padding = find(window, QPushButton, "paddingSame")
    assert padding.isCheckable() and not padding.isChecked()
    qtbot.mouseClick(padding, Qt.MouseButton.LeftButton)
    assert window.state.spec.padding == "same"
    assert "(1, 512, 512, 1)" in find(window, QLabel, "outputShape").text()
    wait_for_output(qtbot, window, (512, 512))
    find(window, QSpinBox, "strideCols").setValue(3)
    assert "(1, 512, 171, 1)" in find(window, QLabel, "outputShape").text()
    wait_for_output(qtbot, window, (512, 171))


def test_refused_cell_keeps_last_good_output(qtbot, window):
    before, requested = shown_output(window).copy(), window.pipeline.latest_request_id
    kernel = window.state.spec.kernel.copy()
    table = find(window, QTableWidget, "kernelTable")
    table.model().setData(table.model().index(1, 1), "twelve")
    assert table.invalid_cells == [(1, 1)]
    assert table.item(1, 1).text() == "twelve"  # what was typed is not lost
    assert "not a number" in window.banner.text() and window.banner.isVisible()
    assert np.array_equal(window.state.spec.kernel, kernel)
    assert window.pipeline.latest_request_id == requested  # nothing was sent to compute
    QApplication.processEvents()
    assert np.array_equal(shown_output(window), before)
    table.model().setData(table.model().index(1, 1), "0.5")
    assert table.invalid_cells == []
    assert window.state.spec.kernel[1, 1] == 0.5


def test_refused_settings_are_explained_not_raised(qtbot, window):
    before = shown_output(window).copy()
    with requests_sent(window) as sent:
        window.state.update_spec(dilation=(2, 2))  # strides are (2, 1)
    assert "strides > 1 with dilation > 1" in window.banner.text()
    assert sent == []  # refused before it was sent: nothing to compute
    QApplication.processEvents()
    assert np.array_equal(shown_output(window), before)
    find(window, QSpinBox, "strideRows").setValue(1)
    qtbot.waitUntil(lambda: window.banner.text() == "", timeout=ENGINE_TIMEOUT_MS)
    wait_for_output(qtbot, window, (508, 508))


def test_open_path_and_failures(qtbot, window, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(ASCENT.read_bytes()[:500])
    assert window.open_path(broken) is None
    assert "broken.png" in window.banner.text() and "previous image stays" in window.banner.text()
    assert window.state.image.name == "ascent.png"
    image = window.open_path(FACE)
    assert image.hw == (768, 1024)
    assert "(1, 768, 1024, 1)" in find(window, QLabel, "inputShape").text()
    assert "(1, 383, 1022, 1)" in find(window, QLabel, "outputShape").text()
    wait_for_output(qtbot, window, (383, 1022))
    gray = np.asarray(Image.open(FACE).convert("L"), np.float32)
    assert np.array_equal(window.input_view.image_item.image, gray)


def test_drop_an_image_file(qtbot, window, tmp_path):
    path = tmp_path / "small.png"
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).save(path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    wait_for_images(qtbot, window)
    assert window.state.image.name == "small.png"
    wait_for_output(qtbot, window, (3, 6))


def test_named_widgets_for_automation(window):
    for cls, name in [(QTableWidget, "kernelTable"), (QSpinBox, "strideRows"),
                      (QSpinBox, "strideCols"), (QPushButton, "paddingSame"),
                      (QLabel, "outputShape")]:
        find(window, cls, name)
    assert window.findChild(object, "inputView") is not None
    assert window.findChild(object, "outputView") is not None
