"""A non-modal strip that says why the output is not current, or what the engine is doing.

Nothing here blocks: the last good output stays on screen while a message is shown. A problem
with the current settings outranks the engine's status. The strip never grows past two
lines, whatever a message quotes (a megabyte pasted into a kernel cell): what does not fit
is cut with "…", and the whole message, within reason, is in its tooltip.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

INFO_STYLE = "background: #e8f0fe; color: #1a3d7c; padding: 6px; border-radius: 3px;"
PROBLEM_STYLE = "background: #fff4d6; color: #6b4500; padding: 6px; border-radius: 3px;"
LOADING_TEXT = ("Loading TensorFlow and Keras (this takes a few seconds the first time)... "
                "The output appears as soon as the engine is ready.")
MAX_LINES = 2
#: A word longer than this is cut: one unbreakable word would otherwise widen the window.
LONGEST_WORD = 48
#: The tooltip holds the whole message up to this many characters.
TOOLTIP_CHARS = 2000
#: More than two lines of any banner hold: only this much of a message is laid out.
LAYOUT_CHARS = 1200
ELLIPSIS = "…"


def one_line(text: str) -> str:
    """Runs of spaces and line breaks as single spaces, no word longer than LONGEST_WORD."""
    text = " ".join(text.split())
    return re.sub(rf"\S{{{LONGEST_WORD + 1},}}",
                  lambda match: match.group()[:LONGEST_WORD] + ELLIPSIS, text)


def shortened(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with "…" where it was cut."""
    return text if len(text) <= limit else text[:limit] + ELLIPSIS


def brief(text: str, limit: int = 160) -> str:
    """A message that quotes what was typed, kept short: the start and the end (where the
    reason usually is), "…" between."""
    if len(text) <= limit:
        return text
    tail = limit // 3
    return text[:limit - tail] + ELLIPSIS + text[-tail:]


class MessageBanner(QLabel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBanner")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)  # a quoted '<b>' stays text
        self._engine_status = LOADING_TEXT
        self._problem = ""
        self._notice = ""
        self._message = ""
        self._fitted_width = -1
        self._refresh()

    @property
    def problem(self) -> str:
        return self._problem

    @property
    def notice(self) -> str:
        return self._notice

    @property
    def message(self) -> str:
        """The whole message; the strip shows as much of it as two lines hold."""
        return self._message

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
        if text != self._message:
            self._message = text
            self._fitted_width = -1
            self.setToolTip(shortened(text, TOOLTIP_CHARS))
        self._fit()
        self.setVisible(bool(text))

    def _fit(self) -> None:
        """Show as much of the message as MAX_LINES lines at the current width hold (laid
        out by the label itself, so its own word wrap decides)."""
        width = max(self.width(), 200)
        if width == self._fitted_width:
            return
        self._fitted_width = width
        self.setText("X")
        allowed = self.heightForWidth(width) + (MAX_LINES - 1) * self.fontMetrics().lineSpacing()

        def fits(candidate: str) -> bool:
            self.setText(candidate)
            return self.heightForWidth(width) <= allowed

        text = one_line(self._message[:LAYOUT_CHARS])
        if not fits(text):
            low, high = 0, len(text)  # the longest start of the text that fits, with "…"
            while low < high:
                middle = (low + high + 1) // 2
                if fits(text[:middle].rstrip() + ELLIPSIS):
                    low = middle
                else:
                    high = middle - 1
            text = text[:low].rstrip() + ELLIPSIS
        self.setText(text)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._fit()
