"""Help > About ConvScope and Help > Keyboard shortcuts: small windows that stay open beside
the main one (nothing but the file choosers is modal).

About lists the versions installed (read from the packages' metadata: the window never
imports TensorFlow) and the sample images' credits. The shortcuts are read off the window's
own menus, so the list is always the one the window has.
"""

from __future__ import annotations

from html import escape

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QScrollArea, QVBoxLayout, QWidget

from engine.about import sample_credits, versions

MOUSE = (
    ("Mouse wheel over an image", "zoom in and out"),
    ("Drag an image", "pan"),
    ("Right-click an image", "View all, Zoom to window, Export image, Copy value"),
    ("Hover over the output", "inspect that pixel (Inspect a pixel tab)"),
    ("Click an output pixel", "pin it; in predict mode, guess its value"),
    ("Click a feature map", "select its filter"),
)


class InfoWindow(QWidget):
    """A non-modal window of rich text that scrolls."""

    def __init__(self, title: str, name: str, html: str, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.setAttribute(Qt.WidgetAttribute.WA_WindowPropagation)  # the text scale too
        self.text = QLabel(html)
        self.text.setObjectName(f"{name}Text")
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.text.setOpenExternalLinks(False)
        area = QScrollArea()
        area.setWidget(self.text)
        area.setWidgetResizable(True)
        QVBoxLayout(self).addWidget(area)
        self.resize(560, 480)

    def set_html(self, html: str) -> None:
        self.text.setText(html)


def _table(rows) -> str:
    cells = "".join(f"<tr><td><b>{escape(a)}</b></td><td>&nbsp;&nbsp;{escape(b)}</td></tr>"
                    for a, b in rows)
    return f"<table>{cells}</table>"


def about_html() -> str:
    rows = [*versions(), ("Qt", qVersion()), ("PySide6 (module)", PySide6.__version__)]
    credits = sample_credits()
    credit_html = _table(credits) if credits else "<p>(resources/README.md is missing)</p>"
    return ("<h2>ConvScope</h2><p>Watch a real Keras Conv2D work, live: kernels, strides, "
            "padding, dilation and the shapes they give.</p>"
            f"<h3>Versions</h3>{_table(rows)}"
            f"<h3>Sample images</h3>{credit_html}")


def menu_shortcuts(window: QMainWindow) -> list[tuple[str, str]]:
    """(keys, "Menu > Item") for every menu action with a shortcut, in menu order."""
    found = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            name = action.text().replace("&", "")
            if action.menu() is not None:
                walk(action.menu(), f"{path} > {name}")
            elif action.shortcuts():
                keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                                 for k in action.shortcuts())
                found.append((keys, f"{path} > {name}"))

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu(), top.text().replace("&", ""))
    for action in window.findChildren(QAction):  # shortcuts that live outside the menus
        if action.shortcuts() and action.property("shortcutHelp"):
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                             for k in action.shortcuts())
            found.append((keys, action.property("shortcutHelp")))
    return found


def shortcuts_html(window: QMainWindow) -> str:
    return (f"<h3>Keys</h3>{_table(menu_shortcuts(window))}"
            f"<h3>Mouse</h3>{_table(MOUSE)}")
