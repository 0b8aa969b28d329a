"""The window's File, Edit and Help menus (the View menu and the toolbar are the classroom's,
gui/classroom/menus.py). Built once; every action calls the window's own objects.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence

from engine.storage.resources import sample_paths
from gui.classroom.menus import ClassroomMenus
from gui.panels.lesson_panel import CLASSIC, POOLING
from gui.undo import UndoKeysToHistory


def _keys(text: str, standard: QKeySequence.StandardKey) -> list[QKeySequence]:
    """``text`` plus the platform's own keys for the same action, each once (a key bound
    twice to one action is ambiguous and then never fires)."""
    keys = [QKeySequence(text)]
    keys += [k for k in QKeySequence.keyBindings(standard) if k.toString() != text]
    return keys


def build_menus(window) -> None:
    """Menus for ``window`` (a MainWindow); Help > Lesson starts a lesson and returns at
    once."""
    window.classroom_menus = ClassroomMenus(window, window.classroom)
    file_menu = window.menuBar().addMenu("&File")
    open_action = QAction("&Open image...", window)
    open_action.setShortcut(QKeySequence.StandardKey.Open)
    open_action.triggered.connect(window._ask_open)
    file_menu.addAction(open_action)
    samples = file_menu.addMenu("Open &sample")
    for path in sample_paths():
        action = QAction(path.stem, window)
        action.triggered.connect(lambda _checked=False, p=path: window.open_image(p))
        samples.addAction(action)
    file_menu.addSeparator()
    window.classroom_menus.file_items(file_menu)
    for text, name, handler in (
            ("Open &Keras model...", "openModelAction", window.model_files.ask_open),
            ("Save as Keras &model...", "saveModelAction", window.model_files.ask_save)):
        action = QAction(text, window)
        action.setObjectName(name)
        action.triggered.connect(lambda _checked=False, h=handler: h(window))
        file_menu.addAction(action)
    file_menu.addSeparator()
    for text, handler in (("&Load kernel...", window.files.ask_load_kernel),
                          ("Sa&ve kernel...", window.files.ask_save_kernel),
                          ("Export output &image (PNG)...", window.files.ask_export_png),
                          ("Export all &feature maps (PNG)...",
                           window.files.ask_export_grid_png),
                          ("Export output &array (.npy)...", window.files.ask_export_npy)):
        action = QAction(text, window)
        action.triggered.connect(lambda _checked=False, h=handler: h(window))
        file_menu.addAction(action)
    file_menu.addSeparator()
    quit_action = QAction("&Quit", window)
    quit_action.setShortcut(QKeySequence.StandardKey.Quit)
    quit_action.triggered.connect(window.close)
    file_menu.addAction(quit_action)
    edit_menu = window.menuBar().addMenu("&Edit")
    window.undo_action = window.history.stack.createUndoAction(window, "&Undo")
    window.undo_action.setShortcuts(_keys("Ctrl+Z", QKeySequence.StandardKey.Undo))
    window.redo_action = window.history.stack.createRedoAction(window, "&Redo")
    window.redo_action.setShortcuts(_keys("Ctrl+Shift+Z", QKeySequence.StandardKey.Redo))
    edit_menu.addAction(window.undo_action)
    edit_menu.addAction(window.redo_action)
    window._undo_keys = UndoKeysToHistory(window)
    window._undo_keys.watch_spinboxes(window)
    window.classroom_menus.view_menu(window.menuBar().addMenu("&View"))
    window.addToolBar(window.classroom_menus.toolbar())
    help_menu = window.menuBar().addMenu("&Help")
    lesson_action = QAction("&Lesson", window)
    lesson_action.setObjectName("lessonAction")
    lesson_action.triggered.connect(lambda: window.explain_tabs.start_lesson(CLASSIC))
    help_menu.addAction(lesson_action)
    pooling_action = QAction("Lesson: &Pooling and feature maps", window)
    pooling_action.setObjectName("poolingLessonAction")
    pooling_action.triggered.connect(lambda: window.explain_tabs.start_lesson(POOLING))
    help_menu.addAction(pooling_action)
    window.classroom_menus.help_items(help_menu)
