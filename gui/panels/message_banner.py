"""A non-modal strip that says why the output is not current, or what the engine is doing.

Nothing here blocks: the last good output stays on screen while a message is shown. A problem
with the current settings outranks the engine's status. A message may offer one action, a
button at the banner's right end (Restart engine, when the engine is not answering).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QPushButton

INFO_STYLE = "background: #e8f0fe; color: #1a3d7c; padding: 6px; border-radius: 3px;"
PROBLEM_STYLE = "background: #fff4d6; color: #6b4500; padding: 6px; border-radius: 3px;"
LOADING_TEXT = ("Loading TensorFlow and Keras (this takes a few seconds the first time)... "
                "The output appears as soon as the engine is ready.")


class MessageBanner(QLabel):
    actionTriggered = Signal()  # the banner's button was pressed

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBanner")
        self.action = QPushButton(self)
        self.action.setObjectName("bannerAction")
        self.action.hide()
        self.action.clicked.connect(self.actionTriggered)
        self.setWordWrap(True)
        self._engine_status = LOADING_TEXT
        self._problem = ""
        self._notice = ""
        self._refresh()

    @property
    def problem(self) -> str:
        return self._problem

    @property
    def notice(self) -> str:
        return self._notice

    def set_engine_status(self, status: str) -> None:
        """'loading', 'ready', or the reason the engine could not start."""
        self._engine_status = {"loading": LOADING_TEXT, "ready": ""}.get(status, status)
        self._refresh()

    def set_problem(self, text: str) -> None:
        """Why the output is not current; the pipeline clears it when a result arrives."""
        self._problem = text
        self._refresh()

    def set_notice(self, text: str) -> None:
        """A one-off refusal (a file that would not open, a cell not applied). A result
        arriving does not clear it, so it cannot flash away; the next accepted change does."""
        self._notice = text
        self._refresh()

    def clear_notice(self, *_changed) -> None:
        self.set_notice("")

    def set_action(self, text: str) -> None:
        """Offer a button labelled ``text`` at the right end ("" takes it away)."""
        if text == self.action.text() and self.action.isHidden() == (not text):
            return
        self.action.setText(text)
        self.action.adjustSize()
        self.action.setHidden(not text)
        self.setContentsMargins(0, 0, self.action.width() + 8 if text else 0, 0)
        self._place_action()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._place_action()

    def _place_action(self) -> None:
        self.action.move(self.width() - self.action.width() - 4,
                         max(0, (self.height() - self.action.height()) // 2))

    def _refresh(self) -> None:
        text = " ".join(t for t in (self._notice, self._problem) if t) or self._engine_status
        style = PROBLEM_STYLE if text != LOADING_TEXT and text else INFO_STYLE
        if style != self.styleSheet():  # restyling costs more than the text itself
            self.setStyleSheet(style)
        self.setText(text)
        self.setVisible(bool(text))
