"""An opaque sheet over a widget: what it shows stays in place (the layout never moves) but
cannot be seen until the sheet is lifted. Predict mode covers the output's shape with it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QWidget

STYLE = ("background: #f3f3f3; color: #444; border: 1px dashed #999; padding: 8px;")


class Cover(QLabel):
    """A sheet over ``target`` (a child of it, kept at its size, above its children)."""

    def __init__(self, target: QWidget, text: str, name: str) -> None:
        super().__init__(text, target)
        self.setObjectName(name)
        self.target = target
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet(STYLE)
        self.setAutoFillBackground(True)
        self._follower = _Follower(self)
        target.installEventFilter(self._follower)
        self.setVisible(False)

    def cover(self, on: bool = True) -> None:
        if on:
            self.setGeometry(self.target.rect())
            self.raise_()
        self.setVisible(on)

    @property
    def covering(self) -> bool:
        """Whether the sheet is up (whatever the target's own visibility)."""
        return not self.isHidden()


class _Follower(QObject):
    def __init__(self, cover: Cover) -> None:
        super().__init__(cover)
        self.cover = cover

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Resize and self.cover.covering:
            self.cover.setGeometry(self.cover.target.rect())
        return False
