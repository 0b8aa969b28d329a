"""The classroom's menu items and toolbar: File > Open/Save session, the View menu
(predict mode, presentation mode, full screen, linked views, text size) and Help > Keyboard
shortcuts and About ConvScope."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar

from gui.panels.info_windows import InfoWindow, about_html, shortcuts_html


def _action(window: QMainWindow, text: str, name: str, keys=(), checkable: bool = False,
            tip: str = "") -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    action.setCheckable(checkable)
    sequences = {}
    for key in keys:  # each once: a key bound twice to one action is ambiguous, never fires
        sequence = QKeySequence(key) if isinstance(key, str) else key
        sequences.setdefault(sequence.toString(), sequence)
    if sequences:
        action.setShortcuts(list(sequences.values()))
    if tip:
        action.setToolTip(tip)
        action.setStatusTip(tip)
    return action


class ClassroomMenus:
    """Built by the window in its menu order; the actions reflect the classroom state."""

    def __init__(self, window: QMainWindow, classroom) -> None:
        self.window, self.classroom = window, classroom
        state = classroom.state
        self.predict = _action(window, "&Predict mode", "predictMode", ["Ctrl+Shift+P"], True,
                               "Hide each new output shape (and a clicked pixel's value) "
                               "until you predict it.")
        self.presentation = _action(window, "P&resentation mode", "presentationMode", ["F5"],
                                    True, "Large text for a projector; the views take the "
                                          "space; linked views.")
        self.full_screen = _action(window, "&Full screen", "fullScreen", ["F11"], True)
        self.linked = _action(window, "&Linked views", "linkedViews", ["Ctrl+L"], True,
                              "Input and output on one scale, aligned: a stride of 3 shows "
                              "an output a third as large.")
        self.larger = _action(window, "&Larger text", "textLarger",
                              ["Ctrl+=", QKeySequence(QKeySequence.StandardKey.ZoomIn)])
        self.smaller = _action(window, "&Smaller text", "textSmaller",
                               ["Ctrl+-", QKeySequence(QKeySequence.StandardKey.ZoomOut)])
        self.reset = _action(window, "&Default text size", "textDefault", ["Ctrl+0"])
        self.scale_label = _action(window, "", "textScaleShown")
        self.scale_label.setEnabled(False)
        self.open_session = _action(window, "Open &session...", "openSession",
                                    ["Ctrl+Shift+O"])
        self.save_session = _action(window, "Save s&ession...", "saveSession", ["Ctrl+S"])
        self.shortcuts = _action(window, "&Keyboard shortcuts", "shortcutsAction", ["F1"])
        self.about = _action(window, "&About ConvScope", "aboutAction")
        self.about_window: InfoWindow | None = None
        self.shortcuts_window: InfoWindow | None = None

        self.predict.toggled.connect(state.set_predict_mode)
        self.presentation.toggled.connect(state.set_presentation)
        self.linked.toggled.connect(state.set_linked_views)
        self.full_screen.toggled.connect(self._full_screen)
        self.larger.triggered.connect(lambda: state.step_text_scale(1))
        self.smaller.triggered.connect(lambda: state.step_text_scale(-1))
        self.reset.triggered.connect(self._default_scale)
        self.open_session.triggered.connect(classroom.sessions.ask_open)
        self.save_session.triggered.connect(classroom.sessions.ask_save)
        self.shortcuts.triggered.connect(self.show_shortcuts)
        self.about.triggered.connect(self.show_about)
        for signal, action in ((state.predictModeChanged, self.predict),
                               (state.presentationChanged, self.presentation),
                               (state.linkedViewsChanged, self.linked)):
            signal.connect(action.setChecked)
        state.textScaleChanged.connect(self._show_scale)
        self._show_scale(state.text_scale)

    def file_items(self, menu: QMenu) -> None:
        menu.addAction(self.open_session)
        menu.addAction(self.save_session)

    def view_menu(self, menu: QMenu) -> None:
        menu.addAction(self.predict)
        menu.addSeparator()
        menu.addAction(self.presentation)
        menu.addAction(self.full_screen)
        menu.addAction(self.linked)
        menu.addSeparator()
        menu.addAction(self.scale_label)
        menu.addAction(self.larger)
        menu.addAction(self.smaller)
        menu.addAction(self.reset)

    def help_items(self, menu: QMenu) -> None:
        menu.addAction(self.shortcuts)
        menu.addAction(self.about)

    def toolbar(self) -> QToolBar:
        bar = QToolBar("Classroom")
        bar.setObjectName("classroomToolbar")
        bar.setMovable(False)
        for action in (self.predict, self.presentation, self.linked):
            bar.addAction(action)
        return bar

    def _show_scale(self, percent: int) -> None:
        mode = " (presentation)" if self.classroom.state.presentation else ""
        self.scale_label.setText(f"Text size: {percent} %{mode}")

    def _default_scale(self) -> None:
        state, defaults = self.classroom.state, self.classroom.defaults
        state.set_text_scale(defaults.presentation_text_scale if state.presentation
                             else defaults.text_scale)

    def _full_screen(self, on: bool) -> None:
        if on:
            self.window.showFullScreen()
        else:
            self.window.showNormal()

    def show_about(self) -> InfoWindow:
        if self.about_window is None:
            self.about_window = InfoWindow("About ConvScope", "aboutWindow", about_html(),
                                           self.window)
        return _raise(self.about_window)

    def show_shortcuts(self) -> InfoWindow:
        html = shortcuts_html(self.window)
        if self.shortcuts_window is None:
            self.shortcuts_window = InfoWindow("Keyboard shortcuts", "shortcutsWindow", html,
                                               self.window)
        self.shortcuts_window.set_html(html)
        return _raise(self.shortcuts_window)


def _raise(window: InfoWindow) -> InfoWindow:
    window.show()
    window.raise_()
    window.activateWindow()
    return window
