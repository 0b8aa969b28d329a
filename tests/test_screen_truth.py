"""Nothing on screen is stale or false: texts derived from the state, readouts of the result on
screen, refused settings marked as such, and nothing hidden on the white background (the real
window, real Keras, values checked against the NumPy reference)."""

import html

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QSpinBox

from engine.images.loading import from_array
from engine.kernels.presets import RANDOM
from gui.main_window import lesson_start_model
from gui.panels.views import OutputView
from gui.state import AppState
from tests.conftest import FACE
from tests.layers import keras_glorot
from tests.live_window import (
    ENGINE_TIMEOUT_MS,
    edit_cell,
    find,
    set_kernel,
    shown_output,
    viewport_pos,
    wait_for_images,
)
from tests.numpy_reference import cross_correlate


def wait_for_state(qtbot, win):
    """Until the result on screen is the one for the current settings and weights."""
    qtbot.waitUntil(lambda: win.pipeline.shown is not None
                    and win.pipeline.shown.model == win.state.model
                    and win.pipeline.shown.image is win.state.image, timeout=ENGINE_TIMEOUT_MS)


def lesson_text(win) -> str:
    """The lesson's words as the student reads them (the label holds them as HTML)."""
    return html.unescape(find(win, QLabel, "lessonText").text())


# -- text that follows the state -----------------------------------------------------------
def test_lesson_text_follows_rgb_strides_filters_and_refusals(qtbot, window):
    window.start_lesson()
    nxt = find(window, QPushButton, "lessonNext")
    nxt.click()
    window.state.set_filter_count(3)
    window.state.select_filter(2)
    assert "filter 2's weights" in lesson_text(window) and "(3, 3, 1, 3)" in lesson_text(window)
    window.state.set_filter_count(1)
    nxt.click()  # step 3: the all-ones kernel
    assert "9 x 255 = 2295" in lesson_text(window)
    assert window.set_color_mode("rgb")
    text = lesson_text(window)
    assert "27 x 255 = 6885" in text and "the 27 terms" in text and "2295" not in text
    wait_for_state(qtbot, window)
    rgb = window.state.image.pixels
    want = cross_correlate(rgb, window.state.spec.kernel, (2, 1))
    np.testing.assert_allclose(window.pipeline.shown.output(0), want, rtol=1e-5)
    assert want.max() > 2295  # what the old text said it could not exceed
    window.explain_tabs.inspector.pin(10, 10)
    assert len(window.explain_tabs.inspector.explanation.terms) == 27
    window.state.update_spec(strides=(2, 2), padding="same")
    text = lesson_text(window)
    assert "(1, 256, 256, 1)" in text and "strides (2, 2)" in text
    assert "Changed since this step: the input channels (RGB), strides and padding." in text
    find(window, QPushButton, "lessonAgain").click()  # puts all of it back, the photo too
    wait_for_images(qtbot, window)
    assert window.state.color == "gray" and window.state.spec.strides == (2, 1)
    assert "Changed since" not in lesson_text(window) and "9 x 255 = 2295" in lesson_text(window)
    assert window.set_color_mode("rgb")
    window.state.update_spec(strides=(2, 2), padding="same")
    nxt.click()  # step 4 sets strides (1, 1) and 'same'; the student goes back to (2, 2)
    window.state.update_spec(strides=(2, 2))
    assert "Strides (1, 1)" not in lesson_text(window)
    window.state.update_spec(dilation=(2, 2))
    assert lesson_text(window).startswith("<p>Keras refuses the settings on screen now")


def test_preset_box_and_seed_follow_the_weights_in_the_lesson(qtbot, window):
    find(window, QSpinBox, "presetSeed").setValue(11)
    window.start_lesson()
    assert np.array_equal(window.state.spec.kernel, keras_glorot((3, 3, 1, 1), 11))
    combo = window.kernel_controls.preset
    assert combo.currentText() == RANDOM
    nxt, back = find(window, QPushButton, "lessonNext"), find(window, QPushButton, "lessonBack")
    nxt.click()
    nxt.click()
    assert combo.currentText() == "box blur (all ones)"
    back.click()
    assert combo.currentText() == RANDOM  # the random kernel again, not "custom"
    window.start_lesson()  # again: the seed box's weights, the same as the first time
    assert np.array_equal(window.state.spec.kernel, keras_glorot((3, 3, 1, 1), 11))


def test_undo_steps_are_named_after_what_they_change(qtbot, window):
    qtbot.mouseClick(window.layer_controls.padding_same, Qt.MouseButton.LeftButton)
    assert window.undo_action.text() == "&Undo padding"
    window.layer_controls.dilation_cols.setValue(2)
    assert window.undo_action.text() == "&Undo dilation"
    edit_cell(window, 1, 2, "4")
    assert window.undo_action.text() == "&Undo weight [1, 2]"


# -- refused settings: every panel describes the output on screen or says it does not --------
def test_refused_settings_are_marked_in_every_panel(qtbot, window):
    shown_model = window.pipeline.shown.model
    window.side_tabs.setCurrentWidget(window.code_panel)
    window.state.update_spec(dilation=(2, 2))  # strides are (2, 1): Keras refuses
    shape = window.shape_panel.output_shape
    assert "refused by Keras, not computed" in shape.text()
    assert "bold" not in shape.styleSheet()
    assert "strides > 1 with dilation > 1" in shape.toolTip()
    assert "For the refused settings" in find(window, QLabel, "shapeExplanation").text()
    assert "Keras refuses these settings" in find(window, QLabel, "codeNote").text()
    assert "for the output on screen" not in find(window, QLabel, "codeNote").text()
    assert window.code_panel.code.startswith("# Keras refuses these settings")
    coverage = window.coverage
    assert not any(item.isVisible() for item in (coverage.unread_rows, coverage.unread_cols,
                                                 coverage.padding))
    QApplication.processEvents()
    assert window.pipeline.shown.model is shown_model  # the output on screen is the last one
    inspector = window.explain_tabs.inspector
    inspector.pin(20, 30)  # it explains the output on screen, with the settings that made it
    assert len(inspector.explanation.terms) == 9
    assert inspector.explanation.value == pytest.approx(float(shown_output(window)[20, 30]),
                                                        rel=1e-5, abs=1e-3)
    window.state.update_spec(dilation=(1, 1))
    assert "refused" not in shape.text() and "bold" in shape.styleSheet()
    assert "for the output on screen" in find(window, QLabel, "codeNote").text()
    assert not window.code_panel.code.startswith("#")
    assert coverage.unread_rows.isVisible()


# -- readouts show the value of the current result or nothing --------------------------------
def readout_value(panel) -> float | None:
    text = panel.readout.text().strip()
    return float(text.rpartition(": ")[2]) if text else None


def hover(qtbot, panel, row, col) -> None:
    """Zooming onto each pixel puts every one at the same screen point: the cursor leaves it
    first, or Qt sees no move."""
    target = viewport_pos(panel, row, col)
    qtbot.mouseMove(panel.plot.viewport(), target + QPoint(9, 9))
    qtbot.mouseMove(panel.plot.viewport(), target)
    qtbot.waitUntil(lambda: panel.readout.text().startswith(f"row {row}, column {col}:"),
                    timeout=5000)


def test_output_readout_follows_new_results_and_a_shrinking_output(qtbot, window):
    view = window.output_view
    hover(qtbot, view, 40, 70)
    assert readout_value(view) == pytest.approx(float(shown_output(window)[40, 70]), rel=1e-5)
    set_kernel(window, [[1, 1, 1], [1, 1, 1], [1, 1, 1]])
    wait_for_state(qtbot, window)
    box_sum = float(window.state.image.pixels[80:83, 70:73].sum())
    assert readout_value(view) == box_sum  # the new result's value, not the old one's
    assert view.readout.text().startswith("row 40, column 70:")
    hover(qtbot, view, 250, 500)
    window.state.update_spec(strides=(4, 4))
    qtbot.waitUntil(lambda: shown_output(window).shape == (128, 128), timeout=ENGINE_TIMEOUT_MS)
    assert view.readout.text().strip() == ""  # row 250 is gone: nothing, not a stale value


def test_input_readout_follows_a_new_image(qtbot, window):
    view, pixels = window.input_view, window.state.image.pixels
    hover(qtbot, view, 5, 9)
    assert readout_value(view) == pixels[5, 9]
    flipped = np.ascontiguousarray(pixels[::-1])
    assert flipped[5, 9] != pixels[5, 9]
    window.state.set_image(from_array(flipped, "flipped"))  # the same size: the same pixel
    assert readout_value(view) == flipped[5, 9]
    window.open_path(FACE)  # another size: the view moves, the cursor is over another pixel
    assert view.readout.text().strip() == ""


def test_typing_a_kernel_size_never_passes_through_smaller_kernels(qtbot, window):
    before = window.state.spec.kernel.copy()
    rows = find(window, QSpinBox, "kernelRows")
    window.side_tabs.setCurrentIndex(0)
    rows.setFocus()
    rows.selectAll()
    qtbot.keyClicks(rows, "12")
    assert window.state.spec.kernel.shape == (3, 3, 1, 1)  # nothing applied while typing
    qtbot.keyClick(rows, Qt.Key.Key_Return)
    kernel = window.state.spec.kernel
    assert kernel.shape == (12, 3, 1, 1) and np.array_equal(kernel[:3], before)
    assert not kernel[3:].any()


# -- the display panel -----------------------------------------------------------------------
def test_histogram_counts_the_values_and_the_colour_bar_has_its_own_axis(qtbot, window):
    window.side_tabs.setCurrentWidget(window.display_panel)
    panel, raw = window.display_panel, shown_output(window).astype(np.float64)
    want, _ = np.histogram(raw, bins=len(panel.curve.yData), range=(raw.min(), raw.max()))
    np.testing.assert_array_equal(panel.curve.yData, want)
    QApplication.processEvents()
    histogram = panel.plot.getViewBox()
    lowest = histogram.childrenBounds()[1][0]  # (with the curve's pen, a pixel or two)
    assert lowest > -0.01 * want.max()  # nothing drawn at negative "pixels"
    assert histogram.viewRange()[1][0] == 0
    assert panel.bar.getViewBox() is panel.bar_plot.getViewBox()
    assert panel.bar not in panel.plot.getPlotItem().items
    assert not panel.bar_plot.getAxis("left").style["showValues"]
    levels = window.output_view.image_item.levels
    assert [line.value() for line in panel.bar_level_lines] == list(levels)


# -- nothing hidden ---------------------------------------------------------------------------
def test_no_axes_while_there_is_no_output(qtbot):
    """The output view while the engine loads: no axes measuring nothing ("row (x0.001)")."""
    view = OutputView(AppState(lesson_start_model()))
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    qtbot.waitExposed(view)
    QApplication.processEvents()
    for name in ("left", "bottom"):
        axis = view.plot.getAxis(name)
        assert not axis.isVisible() and "x0.001" not in axis.labelString()
    view.show_array(np.zeros((3, 2000), np.float32), (0.0, 1.0))
    QApplication.processEvents()
    axis = view.plot.getAxis("bottom")
    assert axis.isVisible() and "(x" not in axis.labelString()  # pixel indices, unscaled


def darkest_near(panel, x: float, y: float) -> int:
    """The darkest gray within two screen pixels of view point (x, y), as painted."""
    QApplication.processEvents()
    image = panel.plot.viewport().grab().toImage()
    point = panel.plot.mapFromScene(panel.view_box.mapViewToScene(QPointF(x, y)))
    return min(image.pixelColor(point.x() + dx, point.y() + dy).lightness()
               for dx in range(-2, 3) for dy in range(-2, 3))


def test_a_white_output_keeps_its_bounds_visible(qtbot, window):
    window.state.set_display_mapping("diverging")
    set_kernel(window, np.zeros((3, 3), int))  # every value 0: white in the diverging map
    wait_for_state(qtbot, window)
    view = window.output_view
    assert not shown_output(window).any()
    view.view_box.autoRange(padding=0.02)
    height, width = shown_output(window).shape
    assert darkest_near(view, width / 2, height / 2) == 255  # the zeros themselves: white
    for x, y in ((0, height / 2), (width, height / 2), (width / 2, 0), (width / 2, height)):
        assert darkest_near(view, x, y) < 200, (x, y)  # but the frame around them is not
    rect = view.bounds.rect()
    assert (rect.width(), rect.height()) == (width, height)


def test_white_images_and_small_outputs_are_framed(qtbot, window, tmp_path):
    from PIL import Image

    pixels = np.full((8, 8), 255, np.uint8)  # white, like the background, at every edge
    pixels[3:5, 3:5] = 0
    Image.fromarray(pixels).save(tmp_path / "eight.png")
    window.open_path(tmp_path / "eight.png")
    window.state.set_display_mapping("diverging")
    set_kernel(window, np.zeros((3, 3), int))
    window.state.update_spec(strides=(3, 3))
    qtbot.waitUntil(lambda: shown_output(window).shape == (2, 2), timeout=ENGINE_TIMEOUT_MS)
    wait_for_state(qtbot, window)  # a 2x2 output of zeros: white
    for panel, (height, width) in ((window.input_view, (8, 8)), (window.output_view, (2, 2))):
        for x, y in ((0, height / 2), (width, height / 2), (width / 2, 0), (width / 2, height)):
            assert darkest_near(panel, x, y) < 200, (panel.objectName(), x, y)
        rect = panel.bounds.rect()
        assert (rect.width(), rect.height()) == (width, height)


def test_rgb_tab_label_fits_when_switched_from_the_layer_tab(qtbot, window):
    window.side_tabs.setCurrentIndex(1)  # the Layer tab holds the channel mode
    window.layer_controls.channel_mode.setCurrentIndex(1)
    wait_for_images(qtbot, window)
    window.side_tabs.setCurrentIndex(0)
    bar = window.kernel_tabs.tabs.tabBar()
    assert bar.tabText(0) == "R = G = B"
    assert bar.tabRect(0).width() >= bar.tabSizeHint(0).width()  # not clipped to ". = G ="


def test_inspect_tab_says_what_to_do_before_the_first_hover(window):
    inspector = window.explain_tabs.inspector
    assert inspector.terms.toPlainText() == ""
    assert "Move the mouse over the output" in inspector.terms.placeholderText()
    inspector.pin(3, 4)
    assert inspector.terms.toPlainText()  # the terms, in place of the hint
    inspector.clear()  # its pixel left the output
    assert inspector.terms.toPlainText() == "" and inspector.terms.placeholderText()


def test_the_two_zoom_controls_read_differently(window):
    follow = window.explain_tabs.player.follow.text().lower()
    zoom = window.explain_tabs.inspector.zoom_button.text().lower()

    def words(text):
        return [word for word in text.split() if word not in ("the", "a", "to", "on", "in")]
    assert words(follow) != words(zoom) and not set(words(follow)) >= set(words(zoom))


def test_a_megabyte_in_a_kernel_cell_stays_out_of_the_banner(qtbot, window):
    banner = window.banner
    edit_cell(window, 1, 1, "x" * 1_000_000)
    assert window.kernel_table.invalid_cells == [(1, 1)]
    QApplication.processEvents()
    lines = banner.fontMetrics().lineSpacing()
    assert banner.isVisible() and banner.height() <= 2 * lines + 20
    assert len(banner.text()) < 400 and banner.text().endswith("is not a number.")
    assert len(banner.toolTip()) <= 2001
    assert len(window.kernel_table.item(1, 1).toolTip()) < 400
    banner.set_notice(" ".join(["A very long message"] * 200))  # any message: two lines
    QApplication.processEvents()
    assert banner.height() <= 2 * lines + 20 and banner.text().endswith("…")
    assert banner.message.count("A very long message") == 200  # all of it is kept
