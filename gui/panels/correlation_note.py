"""Correlation or convolution: Keras slides the kernel as it is; a textbook convolution flips it.

Shows the flipped kernel (np.flip on both axes) beside the note, and offers to load it, so the
student can see that the layer with the flipped weights computes the textbook convolution.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from engine.arithmetic.shapes import flipped_kernel
from engine.formatting import format_number
from engine.model.conv import ConvSpec
from gui.state import AppState

NOTE = ("Keras's Conv2D computes a cross-correlation: output[i, j] = sum over a, b of "
        "input[i*sh + a, j*sw + b] × w[a, b], with the kernel exactly as it is in the table. "
        "A textbook (mathematical) convolution flips the kernel top-bottom and left-right "
        "first: w[kh-1-a, kw-1-b], which is np.flip(kernel, (0, 1)). Keras does not flip; a "
        "trained network simply learns its weights the other way round.")


def kernel_grid(plane: np.ndarray) -> str:
    """A (kh, kw) plane's rows as aligned text."""
    cells = [[format_number(v) for v in row] for row in plane]
    width = max(len(cell) for row in cells for cell in row)
    return "\n".join("  ".join(cell.rjust(width) for cell in row) for row in cells)


class CorrelationNote(QWidget):
    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("correlationNote")
        self.state = state
        note = QLabel(NOTE)
        note.setObjectName("flipNote")
        note.setWordWrap(True)
        self.show_flipped = QPushButton("Show the flipped kernel")
        self.show_flipped.setObjectName("flipToggle")
        self.show_flipped.setCheckable(True)
        self.use_flipped = QPushButton("Use it (convolve the textbook way)")
        self.use_flipped.setObjectName("useFlipped")
        self.use_flipped.setToolTip("Load the flipped kernel into the layer: Keras then "
                                    "computes the textbook convolution of the original.")
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.kernel_text = QLabel()
        self.kernel_text.setObjectName("kernelAsIs")
        self.flipped_text = QLabel()
        self.flipped_text.setObjectName("flippedKernel")
        self.verdict = QLabel()
        self.verdict.setObjectName("flipVerdict")
        self.verdict.setWordWrap(True)
        for label in (self.kernel_text, self.flipped_text):
            label.setFont(fixed)

        self.grids = QWidget()
        grids = QHBoxLayout(self.grids)
        grids.setContentsMargins(0, 0, 0, 0)
        grids.setSpacing(40)
        for title, label in (("Keras uses (as typed)", self.kernel_text),
                             ("Convolution uses (flipped)", self.flipped_text)):
            column = QVBoxLayout()
            column.addWidget(QLabel(title))
            column.addWidget(label)
            column.addStretch(1)
            grids.addLayout(column)
        grids.addStretch(1)
        self.grids.setVisible(False)

        buttons = QHBoxLayout()
        buttons.addWidget(self.show_flipped)
        buttons.addWidget(self.use_flipped)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(buttons)
        layout.addWidget(self.grids)
        layout.addWidget(self.verdict)
        layout.addStretch(1)

        self.show_flipped.toggled.connect(self.grids.setVisible)
        self.use_flipped.clicked.connect(self._use_flipped)
        state.specChanged.connect(self.refresh)
        state.selectionChanged.connect(lambda *_: self.refresh())
        self.refresh(state.spec)

    def refresh(self, spec: ConvSpec | None = None) -> None:
        spec = spec or self.state.spec
        self.use_flipped.setEnabled(spec.kind == "Conv2D")
        if spec.kind != "Conv2D":
            self.verdict.setText(f"The selected layer is a {spec.kind}: it has no kernel to "
                                 f"flip. Select a Conv2D in the layer stack.")
            return
        weights = spec.kernel[..., self.state.selected_filter]  # (kh, kw, C)
        flipped = flipped_kernel(weights)
        self.kernel_text.setText(kernel_grid(weights[:, :, 0]))
        self.flipped_text.setText(kernel_grid(flipped[:, :, 0]))
        channels = " (every channel is flipped the same way)" if spec.channels > 1 else ""
        self.verdict.setText(
            "This kernel is symmetric under the flip: correlation and convolution give the "
            "same output." if np.array_equal(weights, flipped) else
            f"This kernel changes when flipped{channels}: a textbook convolution would give a "
            f"different output from the one shown.")

    def _use_flipped(self) -> None:
        weights = self.state.spec.kernel[..., self.state.selected_filter]
        self.state.set_filter_weights(flipped_kernel(weights).copy())
