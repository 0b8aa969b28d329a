"""The gradient of one chosen weight, worked out with numbers: what GradientTape computes for
it, as the mean of (output error x input pixel) over the positions that weight touches."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from engine.training.gradient import WeightRef
from gui.state import AppState, signals_blocked
from gui.training.state import TrainState

WAITING = ("The gradient of the chosen weight appears here once training has been set up "
           "(Start or Step): GradientTape's number, and the same number worked out by hand.")


class GradientNote(QWidget):
    def __init__(self, state: AppState, train: TrainState, parent=None) -> None:
        super().__init__(parent)
        self.state, self.train = state, train
        self.weight = QComboBox()
        self.weight.setObjectName("gradientWeight")
        self.text = QPlainTextEdit()
        self.text.setObjectName("gradientText")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        top = QHBoxLayout()
        top.addWidget(QLabel("Gradient of"))
        top.addWidget(self.weight, stretch=1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.text, stretch=1)
        self.weight.currentIndexChanged.connect(self._on_weight)
        state.specChanged.connect(lambda _spec: self._list_weights())
        state.selectionChanged.connect(lambda *_: self._on_selection())
        train.progressed.connect(self.show_explanation)
        self._list_weights()
        self.show_explanation()

    def _refs(self) -> list[WeightRef]:
        spec, layer, f = self.state.spec, self.state.selected_layer, self.state.selected_filter
        if getattr(spec, "kernel", None) is None:  # a layer without weights (pooling)
            return []
        kh, kw = spec.kernel_size
        return ([WeightRef(layer, r, c, 0, f) for r in range(kh) for c in range(kw)]
                + [WeightRef(layer, filter=f, bias=True)])

    def _list_weights(self) -> None:
        refs = self._refs()
        if [self.weight.itemData(i) for i in range(self.weight.count())] == refs:
            return
        with signals_blocked(self.weight):
            self.weight.clear()
            for ref in refs:
                self.weight.addItem(ref.label(), ref)
            index = self.weight.findData(self.train.watch)
            self.weight.setCurrentIndex(index if index >= 0 else 0)
        self._on_weight()

    def _on_selection(self) -> None:
        self._list_weights()
        self._on_weight()

    def _on_weight(self, *_changed) -> None:
        ref = self.weight.currentData()
        if ref is not None:
            self.train.set_watch(ref)

    def show_explanation(self) -> None:
        explanation = self.train.explanation
        if explanation is None:
            text = WAITING
        else:
            lines = explanation.lines()
            if explanation.tape is not None and explanation.tape != 0:
                differ = abs(explanation.gradient - explanation.tape) / abs(explanation.tape)
                lines.append(f"They agree to {differ:.1e} of the value: TensorFlow adds the "
                             f"{explanation.positions:,} products in float32 (about 7 digits).")
            text = "\n".join(lines)
        if text != self.text.toPlainText():
            self.text.setPlainText(text)
