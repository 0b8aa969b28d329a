"""Undo and redo of every kernel and layer edit, as snapshots of the AppState.

Each change of the model (with the channel mode it belongs to) becomes one step on a
QUndoStack, whatever widget made it, so the history needs no knowledge of the panels. Each
step is named after what it changes ("Undo padding"). Holding a spinbox arrow produces many
changes of one setting in quick succession; those merge into a single step. Code that changes
the model in many small updates (training) groups them into one step with ``grouped``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import QAbstractSpinBox, QWidget

from engine.model.changes import MERGEABLE, arrow_step, describe_change
from engine.model.network import ModelSpec
from gui.state import AppState

#: Changes of one setting closer together than this (seconds) merge into one undo step.
MERGE_WINDOW_S = 0.8
_MERGE_ID = 1
_GROUP_ID = 2


@dataclass(frozen=True, eq=False)
class Snapshot:
    model: ModelSpec
    color: str
    model_file: object = None  # the Keras file the stack came from (LoadedModel or None)


class SnapshotCommand(QUndoCommand):
    def __init__(self, history: UndoHistory, before: Snapshot, after: Snapshot,
                 group: tuple[str, object] | None = None) -> None:
        super().__init__()
        self.history, self.before, self.after = history, before, after
        self.group = group  # (name, key): every change of one group is one step
        name = describe_change(before.model, after.model)
        if before.color != after.color:
            name = "input channels"
        if group is not None:
            name = group[0]
        self.setting = name if name in MERGEABLE and group is None else None
        self.stamp = time.monotonic()
        self._done = True  # pushed after the change already happened
        self.setText(name)

    def id(self) -> int:
        if self.group is not None:
            return _GROUP_ID
        return _MERGE_ID if self.setting else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt override)
        if self.group is not None:
            if not isinstance(other, SnapshotCommand) or other.group != self.group:
                return False
            self.after = other.after
            return True
        if (not isinstance(other, SnapshotCommand) or other.setting != self.setting
                or other.stamp - self.stamp > MERGE_WINDOW_S
                or not arrow_step(other.before.model, other.after.model)):
            return False
        self.after, self.stamp = other.after, other.stamp
        return True

    def undo(self) -> None:
        if not self.history.restore(self.before, self):
            self.setObsolete(True)  # the stack drops a step it cannot take, so it stays true

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        if not self.history.restore(self.after, self):
            self.setObsolete(True)


class UndoHistory:
    """Watches the state and records each change; ``restore`` goes back to a snapshot.

    ``switch_color(color, model, then)`` is called when a snapshot has another channel mode,
    since only the window can reload the image in that mode. The image is read off the GUI
    thread: the snapshot arrives later, and is then recognised as the step being taken, not
    a new one. If it never arrives (the file is gone), the step is dropped from the stack as
    a step that cannot be taken; an edit made meanwhile is newer and wins (the reload then
    adapts the edited model, and is recorded as a step of its own).
    """

    def __init__(self, state: AppState,
                 switch_color: Callable[[str, ModelSpec, Callable[[bool], None]], bool],
                 parent=None) -> None:
        self.state = state
        self.stack = QUndoStack(parent)
        self._switch_color = switch_color
        self._last = self._snapshot()
        self._restoring = False
        self._awaited: Snapshot | None = None  # a channel switch being reloaded
        self._group: tuple[str, object] | None = None
        state.modelChanged.connect(self._on_changed)

    @contextlib.contextmanager
    def grouped(self, name: str, key):
        """Changes made inside the block become one undo step named ``name``, together with
        every other change grouped under the same ``key`` right before or after it (training
        sends many updates; one Start is one step)."""
        self._group = (name, key)
        try:
            yield
        finally:
            self._group = None

    def _snapshot(self) -> Snapshot:
        return Snapshot(self.state.model, self.state.color, self.state.model_file)

    def _on_changed(self, *_args) -> None:
        current = self._snapshot()
        awaited, self._awaited = self._awaited, None
        arrived = (awaited is not None and current.color == awaited.color
                   and current.model == awaited.model)
        if self._restoring or arrived or current.model == self._last.model:
            self._last = current
            return
        before, self._last = self._last, current
        self.stack.push(SnapshotCommand(self, before, current, self._group))

    def restore(self, snapshot: Snapshot, command: QUndoCommand | None = None) -> bool:
        """Go back (or forward) to ``snapshot``; False when its channel mode cannot be
        restored (the image was not opened from a file), and nothing changed."""
        self._restoring = True
        try:
            self.state.set_model_file(snapshot.model_file)  # its greyed layers go with it
            if snapshot.color != self.state.color:
                self._awaited = snapshot
                started = bool(self._switch_color(
                    snapshot.color, snapshot.model, lambda ok: self._reloaded(command, ok)))
                if not started:
                    self._awaited = None
                return started
            self.state.set_model(snapshot.model)
            return True
        finally:
            self._restoring = False
            self._last = self._snapshot()

    def _reloaded(self, command: QUndoCommand | None, ok: bool) -> None:
        """A channel switch's image arrived, or could not be read: then the step it belonged
        to is dropped, the stack's own way (an obsolete command is deleted when taken)."""
        if ok:
            return
        self._awaited = None
        stack, index = self.stack, self.stack.index()
        if command is None:
            return
        if index < stack.count() and stack.command(index) is command:  # it was being undone
            command.setObsolete(True)
            stack.redo()
        elif index > 0 and stack.command(index - 1) is command:  # it was being redone
            command.setObsolete(True)
            stack.undo()


class UndoKeysToHistory(QObject):
    """Lets Ctrl+Z / Ctrl+Shift+Z reach the window's history while a spinbox has focus.

    A spinbox's text field would otherwise claim these keys for its own text undo, which
    only retypes a number (and so adds a step instead of going back one).
    """

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.ShortcutOverride and (
                event.matches(QKeySequence.StandardKey.Undo)
                or event.matches(QKeySequence.StandardKey.Redo)
                or event.keyCombination().toCombined() == QKeySequence("Ctrl+Shift+Z")[0]
                .toCombined()):
            event.ignore()
            return True
        return False

    def watch_spinboxes(self, root: QWidget) -> None:
        for box in root.findChildren(QAbstractSpinBox):
            box.installEventFilter(self)  # the box passes the event on to its text field
