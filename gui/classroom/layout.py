"""A layout that never jumps, and presentation mode's layout.

Text that grows (the lesson's steps, the views' captions, the shape explanation, the
predict form's verdict) scrolls inside a fixed height instead of pushing its neighbours; the
side panel sits in a splitter with a fixed minimum width, its width set only when the text
scale or the mode changes (or the user drags it), and its pages scroll; the splitters' panes
have fixed minimum sizes, so new text never moves a splitter.
In presentation mode the views take most of the height and the side panel shrinks to what its
pages need.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFrame, QScrollArea, QSplitter, QWidget

#: The side panel's width at 100 % outside presentation mode (its former maximum).
SIDE_WIDTH = 460
SIDE_MIN = 330
#: At most this share of the window's width goes to the side panel (presentation: less).
SIDE_SHARE, PRESENTATION_SIDE_SHARE = 0.45, 0.33
#: The views' share of the height beside the tabs below them, in presentation mode.
PRESENTATION_VIEWS_SHARE = 0.74


def scroll_area(widget: QWidget, name: str = "") -> QScrollArea:
    area = QScrollArea()
    if name:
        area.setObjectName(name)
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    return area


def scroll_in_place(widget: QWidget, name: str = "") -> QScrollArea:
    """Put ``widget`` in a scroll area where it sits in its parent's layout."""
    layout = widget.parentWidget().layout()
    area = QScrollArea()
    layout.replaceWidget(widget, area)
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    if name:
        area.setObjectName(name)
    return area


class StableLayout:
    """Fixed heights for growing text, a fixed side width, presentation's proportions."""

    def __init__(self, window: QWidget, views_and_tabs: QSplitter, side: QWidget,
                 pages: list[QWidget], text_scale: Callable[[], int]) -> None:
        self.window, self.splitter, self.side, self.pages = window, views_and_tabs, side, pages
        self.text_scale = text_scale
        self.fixed_lines: list[tuple[QScrollArea, int]] = []
        self._sizes_outside: list[int] | None = None
        self.presentation = False
        for index in range(views_and_tabs.count()):
            pane = views_and_tabs.widget(index)
            pane.setMinimumHeight(max(pane.minimumHeight(), 120))

    def lines_high(self, area: QScrollArea, lines: int) -> None:
        """``area`` holds ``lines`` lines of text at the current font; more scroll."""
        self.fixed_lines.append((area, lines))
        self._fit(area, lines)

    def _fit(self, area: QScrollArea, lines: int) -> None:
        spacing = area.widget().fontMetrics().lineSpacing()
        area.setFixedHeight(lines * spacing + 8)

    def refit(self) -> None:
        """After a text scale change: every fixed height and the side width again."""
        for area, lines in self.fixed_lines:
            self._fit(area, lines)
        self.fit_side()

    def fit_side(self) -> None:
        width = max(self.window.width(), 800)
        scale = self.text_scale() / 100
        if self.presentation:
            needed = max(page.sizeHint().width() for page in self.pages) + 40
            side = min(max(needed, SIDE_MIN), int(PRESENTATION_SIDE_SHARE * width))
        else:
            side = min(max(round(SIDE_WIDTH * scale), SIDE_MIN), int(SIDE_SHARE * width))
        body = self.side.parentWidget()  # the splitter beside the views
        total = sum(body.sizes()) or self.window.width()
        if side != self.side.width():
            body.setSizes([max(total - side, 1), side])

    def set_presentation(self, on: bool) -> None:
        if on == self.presentation:
            return
        self.presentation = on
        if on:
            self._sizes_outside = self.splitter.sizes()
            total = sum(self._sizes_outside)
            views = round(total * PRESENTATION_VIEWS_SHARE)
            self.splitter.setSizes([views, total - views])
        elif self._sizes_outside:
            self.splitter.setSizes(self._sizes_outside)
        self.fit_side()
