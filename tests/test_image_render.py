"""The image views convert only the pixels the screen shows: one per screen pixel zoomed out,
the ones in view (every one) zoomed in."""

import numpy as np
from PySide6.QtWidgets import QApplication

from gui.panels.image_panel import ImagePanel


def painted(panel, qtbot):
    panel.plot.viewport().repaint()
    QApplication.processEvents()
    return panel.image_item.qimage


def shown_panel(qtbot, width: int, height: int) -> ImagePanel:
    """A real image panel on screen at ``width`` x ``height``."""
    panel = ImagePanel("Output", "testView")
    qtbot.addWidget(panel)
    panel.resize(width, height)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_big_image_converts_only_the_pixels_the_screen_shows(qtbot):
    panel = shown_panel(qtbot, 500, 400)
    values = np.tile(np.arange(2400, dtype=np.float32), (1500, 1))  # each value its column
    panel.show_array(values, (0.0, 2399.0))
    overview = painted(panel, qtbot)
    assert panel.image_item.image.shape == (1500, 2400)  # the item still holds every value
    assert overview.width() <= panel.plot.viewport().width()  # one value per screen pixel
    assert overview.height() < panel.plot.viewport().height()
    gray = [overview.pixelColor(c, 0).red() for c in range(overview.width())]
    assert gray == sorted(gray) and gray[0] <= 1 and gray[-1] >= 254  # all columns, in order
    panel.view_box.setRange(xRange=(100, 160), yRange=(200, 240), padding=0)
    panel.show_array(values, (100.0, 160.0))  # 4.25 gray levels per column in view
    zoomed = painted(panel, qtbot)
    assert zoomed.width() <= 64 and zoomed.height() <= 44  # only what is in view...
    gray = [zoomed.pixelColor(c, 0).red() for c in range(zoomed.width())]
    steps = np.diff([g for g in gray if 0 < g < 255])
    assert len(steps) >= 50 and steps.min() >= 3 and steps.max() <= 6  # ...every column of it
    panel.view_box.setRange(xRange=(130, 190), yRange=(200, 240), padding=0)  # a pan
    panned = painted(panel, qtbot)
    gray = [panned.pixelColor(c, 0).red() for c in range(panned.width())]
    assert 110 <= gray[0] <= 130 and gray[-1] == 255  # rendered again: columns 129.. now


def test_small_image_renders_every_pixel_with_the_given_levels(qtbot):
    panel = shown_panel(qtbot, 600, 500)
    values = np.array([[0, 50], [100, 200]], np.float32)
    panel.show_array(values, (0.0, 100.0))
    image = painted(panel, qtbot)
    assert (image.width(), image.height()) == (2, 2)
    gray = [image.pixelColor(c, r).red() for r in range(2) for c in range(2)]
    assert gray[0] == 0 and 120 <= gray[1] <= 135 and gray[2] == gray[3] == 255  # clipped


def test_auto_levels_of_a_big_output_scan_whole_rows():
    from engine.images.display import auto_levels

    ramp = np.linspace(-5.0, 7.0, 3001, dtype=np.float32)[:, None] * np.ones((1, 2000), np.float32)
    lo, hi = auto_levels(ramp)  # 6 million values: every 2nd row, first and last included
    assert lo == -5.0 and hi == 7.0
    small = np.array([[3.0, -1.0], [2.0, 9.5]], np.float32)
    assert auto_levels(small) == (-1.0, 9.5)  # small outputs: exact, every value
    assert auto_levels(np.zeros((2500, 2000), np.float32)) == (-0.5, 0.5)  # flat, still a range


def test_the_screen_shows_what_the_png_export_writes(qtbot):
    """Every pixel in view, gray and through the diverging lookup table, is the colour
    engine.images.display.render_levels gives (what File > Export writes)."""
    from engine.images.display import diverging_lut, render_levels

    panel = shown_panel(qtbot, 600, 500)
    values = np.random.default_rng(3).normal(0, 40, (30, 40)).astype(np.float32)
    for lut, levels in ((None, (-50.0, 70.0)), (diverging_lut(), (-90.0, 90.0))):
        panel.image_item.setLookupTable(lut, update=False)
        panel.show_array(values, levels)
        image = painted(panel, qtbot)
        assert (image.width(), image.height()) == (40, 30)
        want = render_levels(values, levels, lut)
        got = np.array([[image.pixelColor(c, r).getRgb()[:3] for c in range(40)]
                        for r in range(30)])
        np.testing.assert_array_equal(got, want if want.ndim == 3
                                      else np.repeat(want[..., None], 3, axis=2))
