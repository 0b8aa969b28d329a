"""The message banner laid over the top of the image views instead of above them, so a
message appearing or going never pushes the window's contents down; with an optional button
beside it (Find the image... when a session's image has moved).

The dock sizes itself to the banner's text whenever the banner changes (its layout asks for
a new size) and follows the views when they move or resize. It stays shown at zero height
while the banner is hidden, so the banner's own visibility is the one that counts.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, QRect
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

MARGIN = 6


class BannerDock(QWidget):
    def __init__(self, banner: QLabel, over: QWidget, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("bannerDock")
        self.banner, self.over = banner, over
        self.action_button = QPushButton()
        self.action_button.setObjectName("bannerAction")
        self.action_button.setVisible(False)
        self._action: Callable[[], object] | None = None
        self._action_notice = ""
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(banner, stretch=1)
        layout.addWidget(self.action_button)
        self.action_button.clicked.connect(self._on_action)
        self._watch = _Watch(self)
        over.installEventFilter(self._watch)
        parent.installEventFilter(self._watch)
        self.place()

    def set_action(self, text: str, action: Callable[[], object]) -> None:
        """A button beside the banner's current notice; it goes when the notice does."""
        self._action, self._action_notice = action, getattr(self.banner, "notice", "")
        self.action_button.setText(text)
        self.action_button.setVisible(True)
        self.place()

    def clear_action(self) -> None:
        self._action = None
        self.action_button.setVisible(False)
        self.place()

    def place(self) -> None:
        """Over the top of ``over``, as tall as the banner's text needs (0 when hidden)."""
        if self._action is not None and getattr(self.banner, "notice", "") != \
                self._action_notice:
            self._action = None
            self.action_button.setVisible(False)
        top_left = self.over.mapTo(self.parentWidget(), QPoint(0, 0))
        width = max(self.over.width() - 2 * MARGIN, 50)
        shown = not self.banner.isHidden() or self.action_button.isVisible()
        height = self.layout().totalHeightForWidth(width) if shown else 0
        if not self.layout().hasHeightForWidth():
            height = self.layout().totalSizeHint().height() if shown else 0
        geometry = QRect(top_left.x() + MARGIN, top_left.y() + MARGIN, width, height)
        if geometry != self.geometry():
            self.setGeometry(geometry)
        self.raise_()

    def event(self, event) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:  # the banner's text or visibility
            self.place()
        return handled

    def _on_action(self) -> None:
        action = self._action
        self.clear_action()
        if action is not None:
            action()


class _Watch(QObject):
    def __init__(self, dock: BannerDock) -> None:
        super().__init__(dock)
        self.dock = dock

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt override)
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Move, QEvent.Type.Show):
            self.dock.place()
        return False
