"""Explaining every number in the real window: the shape formulas, the pixel inspector, the
sliding window, the flipped kernel and the lesson (pytest-qt, real Keras)."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QLabel, QPlainTextEdit, QPushButton

from engine.arithmetic.shapes import flipped_kernel
from engine.formatting import format_number
from engine.images.loading import load_image
from gui.panels.overlays import PADDING_TAP_BRUSH, TAP_BRUSH
from tests.conftest import ASCENT, FACE
from tests.layers import conv, keras_glorot
from tests.live_window import (
    ENGINE_TIMEOUT_MS,
    find,
    shown_output,
    viewport_pos,
    wait_for_images,
    wait_for_output,
)
from tests.numpy_reference import cross_correlate


def wait_for(qtbot, win, want):
    """Until the output on screen is ``want`` (the reference), within float32 rounding."""
    def matches():
        got = shown_output(win)
        return got.shape == want.shape and np.allclose(got, want, rtol=1e-4, atol=1e-2)
    qtbot.waitUntil(matches, timeout=ENGINE_TIMEOUT_MS)


def reference(win):
    spec, image = win.state.spec, win.state.image
    return cross_correlate(image.pixels, spec.kernel, spec.strides, spec.padding, spec.dilation,
                           spec.bias, spec.activation)[0, :, :, win.state.selected_filter]


def rect_of(item):
    r = item.rect()
    return (r.x(), r.y(), r.width(), r.height())


def test_shape_explanation_fills_in_the_numbers(qtbot, window):
    text = find(window, QLabel, "shapeExplanation").text()
    assert "rows: floor((512 - 3) / 2) + 1 = 255" in text
    assert "cols: (512 - 3) / 1 + 1 = 510" in text
    assert "the last 1 row (511) is never read" in text
    assert window.coverage.unread_rows.isVisible()
    assert rect_of(window.coverage.unread_rows) == (0, 511, 512, 1)
    assert not window.coverage.unread_cols.isVisible()
    assert not window.coverage.padding.isVisible()

    window.state.update_spec(kernel=conv(np.ones((4, 3))).kernel, strides=(1, 2),
                             padding="same")
    text = find(window, QLabel, "shapeExplanation").text()
    assert "rows: ceil(512 / 1) = 512" in text and "cols: ceil(512 / 2) = 256" in text
    assert "3 zero rows: 1 top, 2 bottom (odd: TensorFlow puts the extra one at the bottom)" \
        in text
    assert "1 zero columns: 0 left, 1 right" in text
    assert rect_of(window.coverage.padding) == (0, -1, 513, 515)
    assert not window.coverage.unread_rows.isVisible()
    wait_for_output(qtbot, window, (512, 256))

    window.state.update_spec(kernel=conv().kernel, dilation=(2, 1), strides=(1, 1),
                             padding="valid")
    assert "rows: (512 - 5) / 1 + 1 = 508" in find(window, QLabel, "shapeExplanation").text()
    assert "2*(3-1)+1 = 5 rows" in find(window, QLabel, "shapeExplanation").text()


def test_hovering_the_output_lists_every_term(qtbot, window, ascent_pixels):
    inspector = window.explain_tabs.inspector
    qtbot.mouseMove(window.output_view.plot.viewport(), viewport_pos(window.output_view, 40, 70))
    qtbot.waitUntil(lambda: inspector.pixel == (40, 70), timeout=5000)
    kernel = window.state.spec.kernel
    lines = find(window, QPlainTextEdit, "inspectorTerms").toPlainText().splitlines()
    assert len(lines) == 9
    # output row 40 with stride 2 starts at input row 80; column 70 at input column 70
    a_pixel, a_weight = ascent_pixels[80, 70], kernel[0, 0, 0, 0]
    assert lines[0] == (f"x[80, 70] × w[0, 0] = {format_number(a_pixel)} × "
                        f"{format_number(a_weight)} = {format_number(a_pixel * a_weight)}")
    assert lines[8].startswith("x[82, 72] × w[2, 2] = ")
    shown = shown_output(window)[40, 70]
    assert inspector.explanation.value == pytest.approx(shown, rel=1e-5, abs=1e-3)
    total = find(window, QLabel, "inspectorSum").text()
    assert f"from Keras = {format_number(shown)}" in total
    assert total.startswith("sum of 9 products = ")
    overlay = window.explain_tabs.overlay
    assert rect_of(overlay.frame) == (70, 80, 3, 3)
    assert rect_of(overlay.pixel) == (70, 40, 1, 1)
    spots = overlay.taps.data
    assert sorted(zip(spots["y"], spots["x"])) == [(80.5 + r, 70.5 + c) for r in range(3)
                                                   for c in range(3)]


def test_click_pins_a_pixel_with_padding_zeros(qtbot, window):
    window.state.update_spec(strides=(1, 1), padding="same", bias=-7.5)
    wait_for(qtbot, window, reference(window))
    inspector = window.explain_tabs.inspector
    viewport = window.output_view.plot.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton,
                     pos=viewport_pos(window.output_view, 0, 511))
    assert inspector.pixel == (0, 511) and inspector.pinned.isChecked()
    viewport_pos(window.output_view, 200, 200)  # the view zooms there; the cursor moves on
    view_box = window.output_view.view_box
    elsewhere = window.output_view.plot.mapFromScene(view_box.mapViewToScene(QPointF(203.5,
                                                                                   202.5)))
    qtbot.mouseMove(viewport, elsewhere)
    qtbot.waitUntil(lambda: window.output_view.readout.text().startswith("row 202, column 203"),
                    timeout=5000)  # the hover has arrived
    assert inspector.pixel == (0, 511)  # pinned: hovering does not move it
    lines = find(window, QPlainTextEdit, "inspectorTerms").toPlainText().splitlines()
    assert lines[0].startswith("pad[-1, 510] × w[0, 0] = 0 × ")
    assert sum("pad[" in line for line in lines) == 5  # the top row and the right column
    assert "(5 from padding zeros)" in find(window, QLabel, "inspectorSum").text()
    assert "+ bias -7.5 = " in find(window, QLabel, "inspectorSum").text()
    assert inspector.explanation.value == pytest.approx(shown_output(window)[0, 511],
                                                        rel=1e-5, abs=1e-3)
    brushes = [spot.brush() for spot in window.explain_tabs.overlay.taps.points()]
    assert sum(b.color() == PADDING_TAP_BRUSH.color() for b in brushes) == 5
    assert sum(b.color() == TAP_BRUSH.color() for b in brushes) == 4


def test_relu_and_three_channel_kernels_are_explained(qtbot, window):
    rng = np.random.default_rng(1)
    window.state.update_spec(kernel=rng.normal(size=(3, 3, 3, 1)), activation="relu", bias=-20,
                             strides=(1, 1))
    window.state.set_image(load_image(FACE, color="rgb"))
    wait_for(qtbot, window, reference(window))
    inspector = window.explain_tabs.inspector
    out = shown_output(window)
    negative = np.argwhere(reference(window) == 0)[0]
    positive = np.argwhere(reference(window) > 1)[0]
    for row, col in (negative, positive):
        inspector.pin(int(row), int(col))
        lines = find(window, QPlainTextEdit, "inspectorTerms").toPlainText().splitlines()
        assert len(lines) == 27 and lines[2].startswith(f"x[{row}, {col}, B] × w[0, 0, B] = ")
        assert "relu: max(" in find(window, QLabel, "inspectorSum").text()
        assert inspector.explanation.value == pytest.approx(out[row, col], rel=1e-5, abs=1e-3)
    assert inspector.explanation.value > 1


def test_sliding_window_steps_plays_and_pauses(qtbot, window):
    player, overlay = window.explain_tabs.player, window.explain_tabs.overlay
    for _ in range(3):
        qtbot.mouseClick(find(window, QPushButton, "animationStep"), Qt.MouseButton.LeftButton)
    assert player.index == 2 and window.explain_tabs.inspector.pixel == (0, 2)
    assert rect_of(overlay.frame) == (2, 0, 3, 3)
    assert overlay.trail.isVisible() and rect_of(overlay.trail) == (1, 0, 3, 3)
    assert "Position 3 of 130,050" in find(window, QLabel, "animationPosition").text()
    # the input view follows the window
    (x0, x1), (y0, y1) = window.input_view.view_box.viewRange()
    assert x0 < 2 and x1 > 5 and x1 - x0 < 40
    player.move_to(510)  # row-major: the second output row, one stride (2) further down
    assert rect_of(overlay.frame) == (0, 2, 3, 3)
    qtbot.mouseClick(find(window, QPushButton, "animationBack"), Qt.MouseButton.LeftButton)
    assert window.explain_tabs.inspector.pixel == (0, 509)

    player.speed.setValue(player.speed.maximum())
    assert player.timer.interval() == 16
    qtbot.mouseClick(find(window, QPushButton, "animationRestart"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(player.play, Qt.MouseButton.LeftButton)
    assert player.play.text() == "Pause"
    qtbot.waitUntil(lambda: player.index > 200, timeout=5000)
    qtbot.mouseClick(player.play, Qt.MouseButton.LeftButton)
    stopped_at = player.index
    assert not player.timer.isActive()  # paused: no tick can come any more
    QApplication.processEvents()
    assert player.index == stopped_at
    row, col = divmod(stopped_at, 510)
    assert window.explain_tabs.inspector.pixel == (row, col)

    player.speed.setValue(0)
    assert player.timer.interval() == 2000


def test_flipped_kernel_and_textbook_convolution(qtbot, window, ascent_pixels):
    toggle = find(window, QPushButton, "flipToggle")
    grids = window.explain_tabs.correlation.grids
    window.explain_tabs.setCurrentWidget(window.explain_tabs.correlation)
    assert not grids.isVisible()
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert grids.isVisible()
    kernel = window.state.spec.kernel[:, :, 0, 0].copy()
    shown = [[float(v) for v in line.split()]
             for line in find(window, QLabel, "flippedKernel").text().splitlines()]
    np.testing.assert_allclose(shown, np.flip(kernel, (0, 1)), rtol=1e-5)  # as printed: 6 digits
    assert not np.allclose(shown, kernel, rtol=1e-5)  # and not the kernel as it is
    assert "does not flip" in find(window, QLabel, "flipNote").text()
    assert "changes when flipped" in find(window, QLabel, "flipVerdict").text()
    qtbot.mouseClick(find(window, QPushButton, "useFlipped"), Qt.MouseButton.LeftButton)
    assert np.array_equal(window.state.spec.kernel[:, :, 0, 0], np.flip(kernel, (0, 1)))
    # the layer now computes the textbook convolution of the original kernel
    padded = np.lib.stride_tricks.sliding_window_view(ascent_pixels, (3, 3))[::2, :]
    textbook = (padded * np.flip(np.flip(kernel, 0), 1)).sum(axis=(2, 3))
    wait_for(qtbot, window, textbook.astype(np.float32))
    window.state.update_spec(kernel=conv().kernel)
    assert "symmetric" in find(window, QLabel, "flipVerdict").text()
    assert np.array_equal(flipped_kernel(np.ones((2, 2))), np.ones((2, 2)))


def test_lesson_steps_through_the_classic_lesson(qtbot, window, ascent_pixels):
    window.open_path(FACE)
    window.state.update_spec(bias=4, strides=(3, 3))
    action = find(window, QAction, "lessonAction")
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}
    assert action in menus["&Help"].actions()
    action.trigger()
    wait_for_images(qtbot, window)
    tabs, panel = window.explain_tabs, window.explain_tabs.lesson
    assert tabs.currentWidget() is panel
    assert window.state.image.name == "ascent.png"
    spec = window.state.spec
    assert np.array_equal(spec.kernel, keras_glorot((3, 3, 1, 1), 3))  # the seed box's seed
    assert (spec.strides, spec.padding, spec.bias.tolist()) == ((2, 1), "valid", [0])
    wait_for(qtbot, window, reference(window))
    assert shown_output(window).shape == (255, 510)
    text = find(window, QLabel, "lessonText").text()
    assert "(1, 255, 510, 1)" in text and "rows: floor((512 - 3) / 2) + 1 = 255" in text
    assert find(window, QLabel, "lessonStep").text() == "Step 1 of 4"
    assert not find(window, QPushButton, "lessonBack").isEnabled()

    nxt = find(window, QPushButton, "lessonNext")
    qtbot.mouseClick(nxt, Qt.MouseButton.LeftButton)
    text = find(window, QLabel, "lessonText").text()
    assert "(3, 3, 1, 1)" in text and "bias = [0]" in text
    assert format_number(spec.kernel[1, 2, 0, 0]) in text
    assert window.state.spec == spec  # step 2 only reads the weights
    wait_for(qtbot, window, reference(window))

    qtbot.mouseClick(nxt, Qt.MouseButton.LeftButton)
    assert np.array_equal(window.state.spec.kernel, np.ones((3, 3, 1, 1)))
    assert window.kernel_controls.preset.currentText() == "box blur (all ones)"
    box_sum = cross_correlate(ascent_pixels, np.ones((3, 3)), (2, 1))[0, :, :, 0]
    wait_for(qtbot, window, box_sum)
    assert "9 x 255 = 2295" in find(window, QLabel, "lessonText").text()

    qtbot.mouseClick(nxt, Qt.MouseButton.LeftButton)
    assert not nxt.isEnabled()
    wait_for(qtbot, window, cross_correlate(ascent_pixels, np.ones((3, 3)), padding="same")[
        0, :, :, 0])
    assert "(1, 512, 512, 1)" in find(window, QLabel, "lessonText").text()
    assert "(1, 512, 512, 1)" in find(window, QLabel, "outputShape").text()

    # the student changes something; the text follows; Back gives step 3 exactly again
    window.state.update_spec(strides=(2, 2))
    assert "(1, 256, 256, 1)" in find(window, QLabel, "lessonText").text()
    qtbot.mouseClick(find(window, QPushButton, "lessonBack"), Qt.MouseButton.LeftButton)
    assert find(window, QLabel, "lessonStep").text() == "Step 3 of 4"
    wait_for(qtbot, window, box_sum)


def test_lesson_keeps_the_students_changes_on_next(qtbot, window):
    window.start_lesson()
    window.state.update_spec(bias=100.0)
    assert window.state.spec.bias == 100
    qtbot.mouseClick(find(window, QPushButton, "lessonNext"), Qt.MouseButton.LeftButton)
    assert "bias = [100]" in find(window, QLabel, "lessonText").text()
    qtbot.mouseClick(find(window, QPushButton, "lessonAgain"), Qt.MouseButton.LeftButton)
    assert window.state.spec.bias == 0
    first = window.state.spec.kernel.copy()
    window.start_lesson()  # a second start: the same untrained kernel, the seed box's
    assert np.array_equal(window.state.spec.kernel, first)
    assert np.array_equal(first, keras_glorot((3, 3, 1, 1), window.state.seed))
    assert window.kernel_controls.preset.currentText() == "random (untrained Keras layer)"
    assert load_image(ASCENT).hw == window.state.image.hw


def test_dilated_taps_are_drawn_apart(qtbot, window):
    window.state.update_spec(strides=(1, 1), dilation=(2, 3))
    wait_for(qtbot, window, reference(window))
    inspector, overlay = window.explain_tabs.inspector, window.explain_tabs.overlay
    inspector.pin(10, 20)
    assert rect_of(overlay.frame) == (20, 10, 7, 5)  # d(k-1)+1 = 7 columns, 5 rows
    spots = overlay.taps.data
    assert sorted(zip(spots["y"], spots["x"])) == [(10.5 + 2 * a, 20.5 + 3 * b)
                                                   for a in range(3) for b in range(3)]
    assert inspector.explanation.value == pytest.approx(shown_output(window)[10, 20],
                                                        rel=1e-5, abs=1e-3)
    assert "x[14, 26] × w[2, 2] = " in find(window, QPlainTextEdit, "inspectorTerms")\
        .toPlainText()


def test_next_on_the_lesson_tab_starts_the_lesson(qtbot, window):
    tabs = window.explain_tabs
    tabs.setCurrentWidget(tabs.lesson)
    nxt = find(window, QPushButton, "lessonNext")
    assert nxt.isEnabled() and not find(window, QPushButton, "lessonBack").isEnabled()
    window.state.update_spec(padding="same")
    qtbot.mouseClick(nxt, Qt.MouseButton.LeftButton)
    assert find(window, QLabel, "lessonStep").text() == "Step 1 of 4"
    assert "(1, 255, 510, 1)" in find(window, QLabel, "outputShape").text()


def test_lesson_from_rgb_mode_returns_to_one_gray_channel(qtbot, window, ascent_pixels):
    window.open_path(FACE)
    assert window.set_color_mode("rgb")
    assert window.state.image.channels == 3
    window.start_lesson()
    assert window.state.color == "gray"
    assert window.state.image.name == "ascent.png" and window.state.image.channels == 1
    assert window.state.spec.weights_shape == (3, 3, 1, 1)
    wait_for(qtbot, window, reference(window))
    assert "(1, 255, 510, 1)" in find(window, QLabel, "outputShape").text()
