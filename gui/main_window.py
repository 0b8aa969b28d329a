"""The ConvScope window: assembles the panels, the menus and drag and drop.

It holds no convolution logic: panels edit the AppState, the LivePipeline sends it to the
engine worker, and the views repaint from its results. The layer stack (top right) selects
the layer every other panel shows. Images are read off the GUI thread (gui/image_opener.py);
the state changes when one has arrived.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QLabel,
    QMainWindow,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.images.loading import LoadedImage, readable_extensions
from engine.kernels.presets import random_kernel
from engine.model.conv import ConvSpec
from engine.model.network import ModelSpec, single_conv
from engine.storage.resources import default_sample
from gui.classroom import Classroom
from gui.classroom.layout import SIDE_MIN, SIDE_WIDTH, scroll_area
from gui.color_mode import ColorModeSwitch
from gui.file_actions import FileActions
from gui.image_opener import ImageOpener
from gui.model_files import ModelFiles
from gui.panels.banner_dock import BannerDock
from gui.panels.code_panel import CodePanel
from gui.panels.display_panel import DisplayPanel
from gui.panels.explain_tabs import ExplainTabs
from gui.panels.feature_maps import FeatureMapGrid
from gui.panels.kernel_controls import KernelControls
from gui.panels.kernel_tabs import KernelTabs
from gui.panels.layer_controls import LayerControls
from gui.panels.layer_kinds import KernelPage, LayerSettings
from gui.panels.layer_stack import LayerStack
from gui.panels.lesson_panel import CLASSIC
from gui.panels.load_progress import LoadProgress
from gui.panels.message_banner import MessageBanner
from gui.panels.overlays import CoverageOverlay
from gui.panels.shape_panel import ShapePanel
from gui.panels.train_panel import TrainPanel
from gui.panels.views import InputView, OutputView
from gui.pipeline import LivePipeline
from gui.settings import load_settings
from gui.state import AppState
from gui.training.controller import TrainController
from gui.training.state import TrainState
from gui.undo import UndoHistory
from gui.window_menus import build_menus

IMAGE_FILTER = (f"Images ({' '.join('*' + ext for ext in readable_extensions())});;"
                "All files (*)")


#: The random preset's seed when the window opens: fixed, so a teacher's prepared numbers
#: are the class's (Re-roll or the seed box draws others).
DEFAULT_SEED = 0


def lesson_start_model(seed: int = DEFAULT_SEED) -> ModelSpec:
    """The classic lesson's layer: Conv2D(1, (3, 3), strides=(2, 1)), untrained weights."""
    return single_conv(ConvSpec(kernel=random_kernel((3, 3), 1, 1, seed), strides=(2, 1),
                                padding="valid"))


class MainWindow(QMainWindow):
    def __init__(self, image_path: str | Path | None = None, seed: int | None = None,
                 parent=None, session: str | Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("ConvScope: a live Keras Conv2D")
        self.setAcceptDrops(True)
        seed = DEFAULT_SEED if seed is None else seed
        self.settings = load_settings()  # class defaults: file, then environment
        self.state = AppState(lesson_start_model(seed), seed=seed)
        self.pipeline = LivePipeline(self.state, self)

        self.input_view = InputView(self.state)
        self.output_view = OutputView(self.state)
        self.feature_maps = FeatureMapGrid(self.state)
        self.kernel_tabs = KernelTabs(self.state)
        self.kernel_table = self.kernel_tabs.shared_table
        self.kernel_controls = KernelControls(self.state)
        self.layer_controls = LayerControls(self.state)
        self.layer_settings = LayerSettings(self.state, self.layer_controls)
        self.layer_stack = LayerStack(self.state)
        self.display_panel = DisplayPanel(self.state)
        self.train_state = TrainState(self)
        self.code_panel = CodePanel(self.state, self.train_state)
        self.shape_panel = ShapePanel(self.state)
        self.banner = MessageBanner()
        self.coverage = CoverageOverlay(self.state, self.input_view)
        self.explain_tabs = ExplainTabs(self.state, self.pipeline, self.input_view,
                                        self.output_view, self._open_lesson_image)
        self.images = ImageOpener(self.state, self.banner.set_notice,
                                  lambda: self.banner.set_problem(""), self)
        self.load_progress = LoadProgress()
        self.color_switch = ColorModeSwitch(self.state, self.images, self.banner.set_notice)
        self.history = UndoHistory(self.state, self.color_switch.switch, self)
        self.training = TrainController(self.state, self.train_state, self.pipeline.worker,
                                        self.history, self)
        self.train_panel = TrainPanel(self.state, self.train_state)
        self.explain_tabs.addTab(self.train_panel, "Train")
        self.files = FileActions(self.state, self.pipeline, self._report,
                                 self.color_switch.switch)
        self.model_files = ModelFiles(self.state, self._report,
                                      lambda text: self.statusBar().showMessage(text, 8000))
        self._build_layout()
        self.classroom = Classroom(self, self._report, IMAGE_FILTER)  # predict, quiz, sessions
        self.classroom_state = self.classroom.state
        self.quiz_panel = self.classroom.quiz_panel
        build_menus(self)  # File, Edit, View, Help (gui/window_menus.py)
        self.statusBar().addPermanentWidget(self.load_progress)
        self.images.progressChanged.connect(self.load_progress.show_progress)
        self.images.opened.connect(self._on_opened)
        self.images.openFailed.connect(
            lambda name: self.statusBar().showMessage(f"Could not open {name}", 8000))

        self.pipeline.outputChanged.connect(self.output_view.show_result)
        self.pipeline.outputChanged.connect(self.feature_maps.show_result)
        self.pipeline.outputChanged.connect(self.display_panel.show_result)
        self.pipeline.problemChanged.connect(self.banner.set_problem)
        self.pipeline.outputStale.connect(self.output_view.mark_stale)
        self.pipeline.noticeRaised.connect(self.banner.set_notice)
        self.pipeline.restartOffered.connect(
            lambda offered: self.banner.set_action("Restart engine" if offered else ""))
        self.banner.actionTriggered.connect(self.pipeline.restart_engine)
        self.pipeline.engineStatusChanged.connect(self.banner.set_engine_status)
        self.pipeline.engineStatusChanged.connect(self.output_view.show_engine_status)
        self.kernel_tabs.entryRefused.connect(self.banner.set_notice)
        self.kernel_controls.messageRequested.connect(self.banner.set_notice)
        self.state.specChanged.connect(self.banner.clear_notice)
        self.state.imageChanged.connect(self.banner.clear_notice)
        self.layer_controls.colorRequested.connect(self.color_switch.switch)
        self.state.set_display_mapping(self.settings.display_mapping)

        self.open_image(image_path or default_sample())  # shown as soon as it has been read
        if self.settings.notes:
            self.statusBar().showMessage(" ".join(self.settings.notes), 15000)
        self.pipeline.start()
        if self.settings.start_in_lesson and image_path is None:
            self.explain_tabs.start_lesson()
        self.resize(1280, 760)
        self.classroom.start(session, image_path is not None)  # remembered scale, session

    # -- assembling -------------------------------------------------------------------
    def _build_layout(self) -> None:
        views = QSplitter(Qt.Orientation.Horizontal)
        views.addWidget(self.input_view)
        views.addWidget(self.output_view)
        views.addWidget(self.feature_maps)
        for index, stretch in enumerate((2, 2, 1)):  # the maps take what two columns need
            views.setStretchFactor(index, stretch)
        views_and_tabs = QSplitter(Qt.Orientation.Vertical)
        views_and_tabs.addWidget(views)
        views_and_tabs.addWidget(self.explain_tabs)
        views_and_tabs.setSizes([440, 300])
        self.views_and_tabs = views_and_tabs

        kernel_page = QWidget()
        kernel_layout = QVBoxLayout(kernel_page)
        kernel_layout.addWidget(self.kernel_tabs, stretch=1)
        # One line, not word-wrapped: a wrapping label asks its scroll area for its full
        # preferred height, so the preset and seed rows would sit below the fold.
        hint = QLabel("Type a number in any cell; the output updates at once.")
        kernel_layout.addWidget(hint)
        kernel_layout.addWidget(self.kernel_controls)
        self.kernel_page = KernelPage(self.state, kernel_page)
        layer_page = QWidget()
        layer_layout = QVBoxLayout(layer_page)
        layer_layout.addWidget(self.layer_settings)
        layer_layout.addStretch(1)
        self.side_tabs = QTabWidget()
        self.side_tabs.setObjectName("sideTabs")
        self.layer_page = layer_page
        self.side_tabs.addTab(scroll_area(self.kernel_page), "Kernel")  # large text scrolls
        self.side_tabs.addTab(scroll_area(layer_page), "Layer")
        self.side_tabs.addTab(self.display_panel, "Display")
        self.side_tabs.addTab(self.code_panel, "Code")
        shape_box = QGroupBox("Shapes (Keras NHWC)")
        # (the classroom puts the predict form above it, both scrolling: gui/classroom/)
        QVBoxLayout(shape_box).addWidget(self.shape_panel)
        stack_box = QGroupBox("Layers (as model.summary() lists them)")
        QVBoxLayout(stack_box).addWidget(self.layer_stack)

        # The layers, the tabs and the shapes share the side column; drag to give one more.
        column = QSplitter(Qt.Orientation.Vertical)
        column.setObjectName("sideColumn")
        for index, widget in enumerate((stack_box, self.side_tabs, shape_box)):
            column.addWidget(widget)
            column.setStretchFactor(index, 1 if widget is self.side_tabs else 0)
            column.setCollapsible(index, False)
        column.setSizes([120, 480, 140])  # the classic lesson has one layer: the kernel first
        side = QWidget()
        side.setMinimumWidth(SIDE_MIN)  # content never widens it (see gui/classroom/layout.py)
        self.side = side
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(column)

        body = QSplitter(Qt.Orientation.Horizontal)  # the side keeps its width; drag to change
        body.setObjectName("bodySplitter")
        body.addWidget(views_and_tabs)
        body.addWidget(side)
        body.setStretchFactor(0, 1)
        body.setStretchFactor(1, 0)
        body.setChildrenCollapsible(False)
        body.setSizes([1280 - SIDE_WIDTH, SIDE_WIDTH])
        self.body = body
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(body, stretch=1)
        self.setCentralWidget(central)
        self.banner_dock = BannerDock(self.banner, views, central)  # over the views

    def start_lesson(self, lesson: str = CLASSIC) -> None:
        """The lesson panel at step 1 (the ascent photo, an untrained layer), returning once
        the photo is on screen (Help > Lesson returns at once); ``lesson`` POOLING: "Pooling
        and feature maps" (several filters, relu, pooling, a second Conv2D)."""
        self.explain_tabs.start_lesson(lesson)
        self.images.wait()

    def _open_lesson_image(self, model: ModelSpec, selected_layer: int) -> None:
        """The lesson works on the one-channel ascent photo, whatever mode the window is in;
        the step's layers are applied with it."""
        self.state.set_model_file(None)  # no opened model's input size applies any more
        self.images.open_lesson(default_sample(), model, selected_layer)

    # -- opening images ---------------------------------------------------------------
    def open_image(self, path: str | Path) -> None:
        """Start opening ``path`` as the input (File > Open, drag and drop, the samples, the
        command line) and return at once. It is read and converted off the GUI thread, the
        status bar shows the progress and the current image stays until the new one is
        ready; a later request supersedes this one. On failure the reason is shown in the
        banner, non-modally."""
        self.images.open(path)

    def open_path(self, path: str | Path) -> LoadedImage | None:
        """Open ``path`` as ``open_image`` does, but return only when it is done: the
        LoadedImage now shown, or None when it could not be opened (the banner says why and
        the previous image stays) or a later request superseded it. Meant for scripts and
        tests; the event loop keeps running meanwhile, so the window stays responsive."""
        self.images.open(path)
        target = self.images.wait()
        return target.image if target is not None and target.path == str(path) else None

    def set_color_mode(self, color: str, model: ModelSpec | None = None) -> bool:
        """Reload the current image file as "gray" or "rgb" (see gui/color_mode.py), with
        ``model``; returns once it is done (the event loop runs meanwhile): True when the
        image is shown in that mode. The Layer tab's box starts the same switch and returns
        at once."""
        if not self.color_switch.switch(color, model):
            return False
        target = self.images.wait()
        return target is not None and target.applied

    def _on_opened(self, image: LoadedImage) -> None:
        self.setWindowTitle(f"ConvScope: {image.name}")
        notes = " ".join(self.settings.notes)
        if not notes or self.statusBar().currentMessage() != notes:  # start-up notes stay
            self.statusBar().showMessage(f"Opened {image.name}", 4000)

    # -- Keras model files (File menu) -----------------------------------------------
    def open_model(self, path: str | Path) -> bool:
        """File > Open Keras model: a .keras (or .h5) file becomes the stack, its weights
        included; the layers ConvScope does not run are listed, greyed. Failures go to the
        banner and change nothing."""
        return self.model_files.open_model(path)

    def save_model(self, path: str | Path) -> bool:
        """File > Save as Keras model: the stack with its weights, as a .keras file that
        keras.saving.load_model loads into the same outputs."""
        return self.model_files.save_model(path)

    # -- kernel files and export (File menu): methods that take a path ----------------
    def save_kernel(self, path: str | Path) -> bool:
        return self.files.save_kernel(path)

    def load_kernel(self, path: str | Path) -> bool:
        """Apply a kernel file; one for the other channel mode reloads the image, and this
        returns once that is done (True when the kernel is in force)."""
        if not self.files.load_kernel(path):
            return False
        target = self.images.wait() if self.images.busy else None
        return target is None or target.applied

    def export_output_png(self, path: str | Path, grid: bool = False) -> bool:
        """The feature map on screen as shown; ``grid``: every map of the layer."""
        return self.files.export_png(path, grid)

    def export_output_npy(self, path: str | Path) -> bool:
        return self.files.export_npy(path)

    # -- sessions (File menu) -----------------------------------------------------------
    def save_session(self, path: str | Path) -> bool:
        """Everything a teacher prepares, as a .convscope file (see README "Sessions")."""
        return self.classroom.sessions.save(path)

    def open_session(self, path: str | Path) -> bool:
        """Open a .convscope file and return when it is on screen (its image is read off the
        GUI thread, the event loop runs meanwhile); a bad one changes nothing and the banner
        says why."""
        return self.classroom.sessions.open(path)

    def _report(self, message: str, problem: bool) -> None:
        if problem:  # a one-off refusal: a result arriving must not wipe it
            self.banner.set_notice(message)
        self.statusBar().showMessage(message, 8000)

    def _ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", self.settings.image_folder,
                                              IMAGE_FILTER)
        if path:
            self.open_image(path)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt override)
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_image(urls[0].toLocalFile())
            event.acceptProposedAction()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.images.close()  # a load in progress is abandoned, not waited for
        self.classroom.remember()  # the text scales and the geometry, for the next start
        self.pipeline.stop()
        super().closeEvent(event)
