"""Ready for the classroom: predict mode, the quiz, presentation mode, linked views, sessions
and the Help windows, put together on the main window.

The window builds its panels; ``Classroom`` adds these parts to them through small hooks
(covers, a tab, overlays, a banner dock), so the panels themselves stay as they are.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QFileDialog, QVBoxLayout, QWidget

from engine.images.display import render_levels
from engine.storage.atomic import SaveError, save_png
from engine.storage.paths import shown_name
from gui.classroom.layout import StableLayout, scroll_area, scroll_in_place
from gui.classroom.predict import PredictController
from gui.classroom.remembered import Remembered, load_remembered, remember
from gui.classroom.sessions import SessionActions
from gui.classroom.state import ClassroomState
from gui.classroom.text_scale import TextScaler
from gui.panels.image_panel import ImagePanel
from gui.panels.linked_views import ViewLink
from gui.panels.pixel_values import PixelValueLabels
from gui.panels.predict_form import PredictForm, ValueGuess
from gui.panels.quiz_panel import QuizPanel
from gui.panels.view_menu import ViewMenu

#: Lines of text the fixed-height places hold before they scroll.
SHAPE_LINES, CAPTION_LINES = 11, 3


class Classroom(QObject):
    def __init__(self, window, report, image_filter: str) -> None:
        super().__init__(window)
        self.window = window
        settings, remembered = window.settings, load_remembered()
        self.defaults = settings
        self.state = ClassroomState(
            remembered.text_scale or settings.text_scale,
            remembered.presentation_text_scale or settings.presentation_text_scale)
        self.remembered = remembered
        self.scaler = TextScaler(window)
        self.sessions = SessionActions(window, report, image_filter)
        self.report = report
        self._at_start: list = [None, None, None]  # scales and geometry the run began with
        tabs, state = window.explain_tabs, window.state

        self.quiz_panel = QuizPanel(state, self.state)
        tabs.addTab(self.quiz_panel, "Quiz")
        self.quiz_panel.showLayerRequested.connect(self._try_quiz_layer)

        self.predict_form = PredictForm()
        self.value_guess = ValueGuess()
        self._build_shape_box()
        tabs.inspector.parentWidget().layout().addWidget(self.value_guess)
        self.predict = PredictController(
            state, self.state, self.predict_form, self.value_guess, tabs.inspector,
            window.output_view,
            {"outputView": window.output_view, "featureMaps": window.feature_maps,
             "shapePanel": window.shape_panel, "lessonText": tabs.lesson.text,
             "animationPosition": tabs.player.position})

        self.link = ViewLink(window.input_view, window.output_view)
        hidden = lambda: self.state.predict_mode  # noqa: E731 (the output's values)
        points = lambda: self.window.font().pointSizeF()  # noqa: E731
        self.labels = [PixelValueLabels(window.input_view, points=points),
                       PixelValueLabels(window.output_view, hidden, points)]
        self.menus = [
            ViewMenu(window.input_view, self.view_all, self._zoom_to_window,
                     lambda: self.ask_export_view(window.input_view)),
            ViewMenu(window.output_view, self.view_all, self._zoom_to_window,
                     lambda: window.files.ask_export_png(window), hidden)]

        self.layout = StableLayout(window, window.views_and_tabs, window.side,
                                   [window.kernel_page, window.layer_page],
                                   lambda: self.state.text_scale)
        scroll_in_place(tabs.lesson.text, "lessonTextArea")  # takes what the tab leaves
        for view in (window.input_view, window.output_view):
            view.caption.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            self.layout.lines_high(scroll_in_place(view.caption), CAPTION_LINES)
        self.layout.lines_high(self.shape_area, SHAPE_LINES)

        self.state.textScaleChanged.connect(self.apply_text_scale)
        self.state.presentationChanged.connect(self.layout.set_presentation)
        self.state.linkedViewsChanged.connect(self.link.set_enabled)
        for signal in (self.state.presentationChanged, self.state.linkedViewsChanged):
            signal.connect(lambda _on: QTimer.singleShot(0, self.view_all))  # new sizes
        self.state.predictModeChanged.connect(lambda _on: self._repaint_labels())
        window.pipeline.outputChanged.connect(self._after_output)
        window.installEventFilter(self)

    def _build_shape_box(self) -> None:
        """The Shapes box: the predict form above the shapes, scrolling in a fixed height."""
        shape_panel = self.window.shape_panel
        box_layout = shape_panel.parentWidget().layout()
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        self.shape_area = scroll_area(holder, "shapeArea")
        box_layout.replaceWidget(shape_panel, self.shape_area)
        column.addWidget(self.predict_form)
        column.addWidget(shape_panel)
        column.addStretch(1)

    # -- start and end --------------------------------------------------------------------
    def start(self, session: str | Path | None, image_given: bool) -> None:
        """Restore the remembered scale and geometry, then the class defaults' presentation
        mode and session (a session given on the command line wins)."""
        self.apply_text_scale(self.state.text_scale, say=False)  # start-up notes stay
        if self.remembered.geometry:  # after the scale: its sizes are the ones remembered
            self.window.restoreGeometry(self.remembered.geometry)
        self._at_start = [self.state.normal_scale, self.state.presentation_scale, None]
        if self.defaults.start_in_presentation:
            self.state.set_presentation(True)
        if session is None and not image_given and self.defaults.session:
            session = self.defaults.session
        if session:
            self.sessions.start_open(session)  # its image is read while the window shows

    def remember(self) -> None:
        """What the user changed in this run (a scale left alone keeps following the class
        default, even when the teacher changes it later)."""
        now = (self.state.normal_scale, self.state.presentation_scale,
               bytes(self.window.saveGeometry()))
        changed = [value if value != before else None
                   for value, before in zip(now, self._at_start)]
        if any(value is not None for value in changed):
            remember(Remembered(*changed))

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt override)
        if watched is self.window and event.type() == QEvent.Type.Show:
            if self.scaler.percent != 100:  # styled widgets are polished on the first show
                self.scaler.refresh(self.window)
            if self._at_start[2] is None:  # the geometry as shown first, to see a change
                self._at_start[2] = bytes(self.window.saveGeometry())
        return False

    # -- text and views -------------------------------------------------------------------
    def apply_text_scale(self, percent: int, say: bool = True) -> None:
        self.scaler.apply(percent)
        self.layout.refit()
        self.link.set_enabled(self.link.enabled)  # the axes' width follows their text
        self._repaint_labels()
        if say:
            self.window.statusBar().showMessage(f"Text size {percent} %", 3000)

    def _after_output(self, _result) -> None:
        if self.scaler.percent != 100:  # tiles made for a new filter count
            self.scaler.refresh(self.window.feature_maps)

    def _repaint_labels(self) -> None:
        for labels in self.labels:
            labels.update()

    def view_all(self) -> None:
        if self.state.linked_views:
            self.link.view_all()
        else:
            for view in (self.window.input_view, self.window.output_view):
                view.view_box.autoRange(padding=0.02)

    def _zoom_to_window(self):
        overlay = self.window.explain_tabs.overlay
        return overlay.zoom if overlay.window is not None else None

    def export_view(self, panel: ImagePanel, path: str | Path) -> bool:
        """The image of ``panel`` as the screen shows it (its levels and colours), as PNG."""
        if panel.values is None:
            self.report("Nothing to export yet.", True)
            return False
        item = panel.image_item
        try:
            save_png(path, render_levels(panel.values, tuple(item.levels), item.lut))
        except SaveError as exc:
            self.report(f"The image was not exported: {exc}", True)
            return False
        self.report(f"Exported the image to {shown_name(path)}", False)
        return True

    def ask_export_view(self, panel: ImagePanel) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Export image", "input.png",
                                              "PNG image (*.png)")
        if path:
            self.export_view(panel, path)

    def _try_quiz_layer(self, layer) -> None:
        state = self.window.state
        state.set_model(state.model.with_layer(0, layer), selected_layer=0)
        self.predict.accept_current()  # the quiz has just given the answer
