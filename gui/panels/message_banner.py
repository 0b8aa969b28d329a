"""A non-modal strip that says why the output is not current, or what the engine is doing.

Nothing here blocks: the last good output stays on screen while a message is shown. A problem
with the current settings outranks the engine's status.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

INFO_STYLE = "background: #e8f0fe; color: #1a3d7c; padding: 6px; border-radius: 3px;"
PROBLEM_STYLE = "background: #fff4d6; color: #6b4500; padding: 6px; border-radius: 3px;"
LOADING_TEXT = ("Loading TensorFlow and Keras (this takes a few seconds the first time)... "
                "The output appears as soon as the engine is ready.")


class MessageBanner(QLabel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBanner")
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

    def _refresh(self) -> None:
        text = " ".join(t for t in (self._notice, self._problem) if t) or self._engine_status
        style = PROBLEM_STYLE if text != LOADING_TEXT and text else INFO_STYLE
        if style != self.styleSheet():  # restyling costs more than the text itself
            self.setStyleSheet(style)
        self.setText(text)
        self.setVisible(bool(text))
