"""The status bar's note of an image being read: what is happening and how far it is.

Non-modal: the window keeps working (and the previous image stays) while it shows.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget


class LoadProgress(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("imageLoadProgress")
        self.label = QLabel()
        self.label.setObjectName("imageLoadStatus")
        self.bar = QProgressBar()
        self.bar.setObjectName("imageLoadBar")
        self.bar.setMaximumWidth(140)
        self.bar.setTextVisible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        self.setVisible(False)

    def show_progress(self, text: str, fraction: float | None) -> None:
        """``text`` and the fraction done (None: a stage whose length is unknown); ""
        hides it."""
        if not text:
            self.setVisible(False)
            return
        self.label.setText(text)
        if fraction is None:
            self.bar.setRange(0, 0)  # busy, length unknown
        else:
            self.bar.setRange(0, 100)
            self.bar.setValue(round(100 * fraction))
        self.setVisible(True)
