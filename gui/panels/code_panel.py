"""The Keras script that reproduces the current output, always in step with the controls.

Read-only: the code follows the window, not the other way round. Copy puts the whole script
on the clipboard; saved as a file, ``python FILE.py OUT.npy`` writes the output the window
shows. While its tab is hidden the script is only written when the tab opens (or ``code`` is
read), so typing in the kernel table does not rebuild text nobody sees.

Settings Keras refuses are never computed, so no output on screen comes from them: the note
and the script's first lines then say that running it raises Keras's error, instead of
calling it the code for the output on screen.

With a TrainState, a choice above the code switches to the training script: the GradientTape
loop the Train tab runs, for the steps it has run (written when training pauses).
"""

from __future__ import annotations

import textwrap

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.model.errors import LayerSpecError
from engine.teaching.codegen import keras_script
from engine.teaching.training_code import training_script
from gui.state import AppState

NOTE = ("Runnable Keras code for the output on screen: python FILE.py OUT.npy saves the same "
        "array (a stack of layers: the last one; OUT.npz: every layer's).")
REFUSED_NOTE = ("Keras refuses these settings (the banner says why): nothing on screen comes "
                "from them, and this script stops with Keras's error. Change them back to get "
                "the code for an output.")
REFUSED_STYLE = "color: #9a3a00;"
TRAINING_NOTE = ("The Train tab's GradientTape loop for the steps it has run: python FILE.py "
                 "KERNEL.npy learns the same weights and saves them.")
SCRIPTS = {"layer": "Apply the layer: layer(x)", "training": "Train the layer: GradientTape"}


class CodePanel(QWidget):
    def __init__(self, state: AppState, train=None, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.train = train  # a gui.training.state.TrainState, for the training script
        self.script = QComboBox()
        self.script.setObjectName("codeScript")
        for data, label in SCRIPTS.items():
            self.script.addItem(label, data)
        self.script.setVisible(train is not None)
        self.view = QPlainTextEdit()
        self.view.setObjectName("codeView")
        self.view.setReadOnly(True)
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy = QPushButton("Copy")
        self.copy.setObjectName("copyCode")
        self.copy.setToolTip("Copy the script to the clipboard.")
        self.note = QLabel(NOTE)
        self.note.setObjectName("codeNote")
        self.note.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.note, stretch=1)
        top.addWidget(self.copy)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.script)
        layout.addLayout(top)
        layout.addWidget(self.view, stretch=1)

        self.copy.clicked.connect(self.copy_to_clipboard)
        self._stale = True  # the state changed since the script was written
        state.modelChanged.connect(self.refresh)
        state.imageChanged.connect(self.refresh)
        self.script.currentIndexChanged.connect(self.refresh)
        if train is not None:
            for signal in (train.targetChanged, train.settingsChanged, train.runningChanged):
                signal.connect(self.refresh)
            train.progressed.connect(lambda: None if train.running else self.refresh())

    @property
    def code(self) -> str:
        """The script for the current state (written now if the tab has not shown it yet)."""
        if self._stale:
            self._write()
        return self.view.toPlainText()

    def refresh(self, *_changed) -> None:
        self._stale = True
        training = self.script.currentData() == "training" and self.train is not None
        if self.isVisible() and not (training and self.train.running):  # written on Pause
            self._write()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self._stale:
            self._write()

    def _refusal(self) -> str:
        """Why Keras refuses the current settings for the current image; "" when it doesn't."""
        image = self.state.image
        if image is None:
            return ""
        try:
            self.state.model.check(image.nhwc_shape)
        except LayerSpecError as exc:
            return str(exc)
        return ""

    def _training_script(self) -> str:
        train, state = self.train, self.state
        try:
            target = train.target.model_for(state.model)
        except LayerSpecError as exc:
            return f"# No training script: {exc}\n"
        start = train.start_model or state.model
        if start.layer_config() != state.model.layer_config():
            start = state.model
        return training_script(start, target, train.settings, train.steps, state.image_path,
                               state.color, state.seed, train.hidden, train.edited)

    def _write(self) -> None:
        self._stale = False
        if self.script.currentData() == "training" and self.train is not None:
            self.note.setText(TRAINING_NOTE)
            self.note.setStyleSheet("")
            self._show(self._training_script())
            return
        script = keras_script(self.state.model, self.state.image_path, self.state.color,
                              self.state.fixed_hw)
        refused = self._refusal()
        self.note.setText(REFUSED_NOTE if refused else NOTE)
        self.note.setStyleSheet(REFUSED_STYLE if refused else "")
        if refused:
            header = (f"Keras refuses these settings, so no output on screen comes from them: "
                      f"running this script stops with Keras's error. ({refused})")
            script = textwrap.fill(header, 79, initial_indent="# ",
                                   subsequent_indent="# ") + "\n" + script
        self._show(script)

    def _show(self, script: str) -> None:
        if script != self.view.toPlainText():
            scroll = self.view.verticalScrollBar().value()
            self.view.setPlainText(script)
            self.view.verticalScrollBar().setValue(scroll)

    def copy_to_clipboard(self) -> None:
        QGuiApplication.clipboard().setText(self.code)
