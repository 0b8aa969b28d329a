"""The tabs under the images that explain the numbers: one pixel and the sliding window,
correlation vs convolution, and the guided lesson.

Only wiring lives here: the output on screen feeds the inspector and the animation, the
output view's hover and click choose the inspected pixel, and each animation step pins it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from engine.model.network import ModelSpec
from gui.panels.correlation_note import CorrelationNote
from gui.panels.image_panel import ImagePanel
from gui.panels.lesson_panel import LessonPanel
from gui.panels.overlays import WindowOverlay
from gui.panels.pixel_inspector import PixelInspector
from gui.panels.sliding_window import SlidingWindowPlayer
from gui.pipeline import LivePipeline
from gui.requests import ModelResult
from gui.state import AppState


class ExplainTabs(QTabWidget):
    def __init__(self, state: AppState, pipeline: LivePipeline, input_view: ImagePanel,
                 output_view: ImagePanel,
                 open_lesson_image: Callable[[ModelSpec, int], object],
                 parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("explainTabs")
        self.state = state
        self.overlay = WindowOverlay(input_view, output_view)
        self.inspector = PixelInspector(state, self.overlay)
        self.player = SlidingWindowPlayer()
        self.correlation = CorrelationNote(state)
        self.lesson = LessonPanel(state, open_lesson_image)

        inspect_tab = QWidget()
        inspect_layout = QVBoxLayout(inspect_tab)
        inspect_layout.addWidget(self.player)
        inspect_layout.addWidget(self.inspector, stretch=1)
        self.addTab(inspect_tab, "Inspect a pixel")
        self.addTab(self.correlation, "Correlation or convolution?")
        self.addTab(self.lesson, "Lesson")

        pipeline.outputChanged.connect(self._on_output)
        state.selectionChanged.connect(lambda *_: self._on_layer(pipeline.shown))
        output_view.pixelHovered.connect(self.inspector.hover)
        output_view.pixelClicked.connect(self.inspector.pin)
        self.player.positionChanged.connect(self._on_step)

    def start_lesson(self, lesson: str | None = None) -> None:
        self.setCurrentWidget(self.lesson)
        self.lesson.start(lesson)

    def _on_output(self, result: ModelResult) -> None:
        layer = min(self.state.selected_layer, len(result.outputs) - 1)
        self.player.set_output_hw(result.output(layer).shape[1:3])
        self.inspector.show_result(result)

    def _on_layer(self, result: ModelResult | None) -> None:
        """Another layer on screen: the animation walks over its output positions."""
        if result is not None:
            layer = min(self.state.selected_layer, len(result.outputs) - 1)
            self.player.set_output_hw(result.output(layer).shape[1:3])

    def _on_step(self, row: int, col: int) -> None:
        self.inspector.pin(row, col, trail=True)
        if self.player.follow.isChecked():
            self.inspector.zoom()
