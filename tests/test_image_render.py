"""The image views render only what the screen can show, and full detail when zoomed in."""

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


def test_big_image_renders_at_screen_resolution_and_full_detail_when_zoomed(qtbot):
    panel = shown_panel(qtbot, 500, 400)
    values = np.arange(1500 * 2400, dtype=np.float32).reshape(1500, 2400)
    panel.show_array(values, (0.0, float(values.max())))
    overview = painted(panel, qtbot)
    assert panel.image_item.image.shape == (1500, 2400)  # the item still holds every value
    assert overview.width() < 1200 and overview.height() < 750  # every n-th pixel only
    panel.view_box.setRange(xRange=(100, 160), yRange=(200, 240), padding=0)
    zoomed = painted(panel, qtbot)
    assert (zoomed.width(), zoomed.height()) == (2400, 1500)  # every pixel again


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
