"""The ConvScope window: assembles the panels, the menus and drag and drop.

It holds no convolution logic: panels edit the AppState, the LivePipeline sends it to the
engine worker, and the views repaint from its results.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.images import ImageLoadError, LoadedImage, load_image, readable_extensions
from engine.presets import glorot_uniform
from engine.resources import default_sample, sample_paths
from engine.spec import ConvSpec
from gui.panels.kernel_table import KernelTable
from gui.panels.layer_controls import LayerControls
from gui.panels.message_banner import MessageBanner
from gui.panels.shape_panel import ShapePanel
from gui.panels.views import InputView, OutputView
from gui.pipeline import LivePipeline
from gui.settings import load_settings
from gui.state import AppState

IMAGE_FILTER = (f"Images ({' '.join('*' + ext for ext in readable_extensions())});;"
                "All files (*)")


def lesson_start_spec(seed: int | None = None) -> ConvSpec:
    """The classic lesson's layer: Conv2D(1, (3, 3), strides=(2, 1)), untrained weights."""
    return ConvSpec(kernel=glorot_uniform((3, 3), seed=seed), strides=(2, 1), padding="valid")


class MainWindow(QMainWindow):
    def __init__(self, image_path: str | Path | None = None, seed: int | None = None,
                 parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("ConvScope: a live Keras Conv2D")
        self.setAcceptDrops(True)
        self.settings = load_settings()  # class defaults: file, then environment
        self.state = AppState(lesson_start_spec(seed))
        self.pipeline = LivePipeline(self.state, self)

        self.input_view = InputView(self.state)
        self.output_view = OutputView()
        self.kernel_table = KernelTable(self.state)
        self.layer_controls = LayerControls(self.state)
        self.shape_panel = ShapePanel(self.state)
        self.banner = MessageBanner()
        self._build_layout()
        self._build_menus()

        self.pipeline.outputChanged.connect(self.output_view.show_result)
        self.pipeline.problemChanged.connect(self.banner.set_problem)
        self.pipeline.engineStatusChanged.connect(self.banner.set_engine_status)
        self.pipeline.engineStatusChanged.connect(self.output_view.show_engine_status)
        self.kernel_table.entryRefused.connect(self.banner.set_notice)
        self.state.specChanged.connect(self.banner.clear_notice)
        self.state.imageChanged.connect(self.banner.clear_notice)

        self.open_path(image_path or default_sample())
        if self.settings.notes:
            self.statusBar().showMessage(" ".join(self.settings.notes), 15000)
        self.pipeline.start()
        self.resize(1280, 760)

    # -- assembling -------------------------------------------------------------------
    def _build_layout(self) -> None:
        views = QSplitter(Qt.Orientation.Horizontal)
        views.addWidget(self.input_view)
        views.addWidget(self.output_view)

        kernel_box = QGroupBox("Kernel (weights)")
        kernel_layout = QVBoxLayout(kernel_box)
        kernel_layout.addWidget(self.kernel_table)
        hint = QLabel("Type a number in any cell; the output updates at once.")
        hint.setWordWrap(True)
        kernel_layout.addWidget(hint)
        layer_box = QGroupBox("Layer")
        QVBoxLayout(layer_box).addWidget(self.layer_controls)
        shape_box = QGroupBox("Shapes (Keras NHWC)")
        QVBoxLayout(shape_box).addWidget(self.shape_panel)

        side = QWidget()
        side.setMinimumWidth(300)
        side.setMaximumWidth(420)
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(kernel_box, stretch=1)
        side_layout.addWidget(layer_box)
        side_layout.addWidget(shape_box)

        body = QHBoxLayout()
        body.addWidget(views, stretch=1)
        body.addWidget(side)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.banner)
        layout.addLayout(body, stretch=1)
        self.setCentralWidget(central)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        open_action = QAction("&Open image...", self)
        open_action.setShortcut(QKeySequence.StandardKey.Open)
        open_action.triggered.connect(self._ask_open)
        file_menu.addAction(open_action)
        samples = file_menu.addMenu("Open &sample")
        for path in sample_paths():
            action = QAction(path.stem, self)
            action.triggered.connect(lambda _checked=False, p=path: self.open_path(p))
            samples.addAction(action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

    # -- opening images ---------------------------------------------------------------
    def open_path(self, path: str | Path) -> LoadedImage | None:
        """Load ``path`` as the input (File > Open, drag and drop, samples, the command
        line). On failure the current image stays and the reason is shown, non-modally."""
        try:
            image = load_image(path)
        except ImageLoadError as exc:
            keep = " The previous image stays." if self.state.image is not None else ""
            self.banner.set_notice(f"{exc}{keep}")
            self.statusBar().showMessage(f"Could not open {Path(path).name}", 8000)
            return None
        self.banner.set_problem("")  # an earlier refusal no longer applies
        self.state.set_image(image)  # (which may raise a new problem for this image)
        self.setWindowTitle(f"ConvScope: {image.name}")
        self.statusBar().showMessage(f"Opened {image.name}", 4000)
        return image

    def _ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", self.settings.image_folder,
                                              IMAGE_FILTER)
        if path:
            self.open_path(path)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt override)
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_path(urls[0].toLocalFile())
            event.acceptProposedAction()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.pipeline.stop()
        super().closeEvent(event)
