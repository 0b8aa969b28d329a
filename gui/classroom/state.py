"""The classroom choices: predict mode, presentation mode, the text scale, linked views and
the quiz's progress. Like AppState, the one place these live: widgets show them and edit
them through the setters, and listen to the signals.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from engine.storage.session import MAX_TEXT_SCALE, MIN_TEXT_SCALE
from engine.teaching.quiz import QuizProgress

#: The scales Ctrl+= and Ctrl+- step through, in percent.
SCALE_STEPS = (100, 110, 125, 150, 175, 200, 225, 250)


def clamp_scale(percent: int) -> int:
    return min(max(int(percent), MIN_TEXT_SCALE), MAX_TEXT_SCALE)


class ClassroomState(QObject):
    predictModeChanged = Signal(bool)
    presentationChanged = Signal(bool)
    textScaleChanged = Signal(int)  # the scale now in force, in percent
    linkedViewsChanged = Signal(bool)
    quizChanged = Signal(object)  # QuizProgress, or None before a quiz starts

    def __init__(self, text_scale: int = 100, presentation_scale: int = 200,
                 parent=None) -> None:
        super().__init__(parent)
        self.predict_mode = False
        self.presentation = False
        self.normal_scale = clamp_scale(text_scale)
        self.presentation_scale = clamp_scale(presentation_scale)
        self.linked_views = False
        self.quiz: QuizProgress | None = None
        self._linked_outside_presentation = False

    @property
    def text_scale(self) -> int:
        """The scale in force: presentation mode has its own (larger) one."""
        return self.presentation_scale if self.presentation else self.normal_scale

    def set_text_scale(self, percent: int) -> None:
        """The scale of the mode in force (presentation or not)."""
        percent = clamp_scale(percent)
        if percent == self.text_scale:
            return
        if self.presentation:
            self.presentation_scale = percent
        else:
            self.normal_scale = percent
        self.textScaleChanged.emit(percent)

    def step_text_scale(self, steps: int) -> None:
        """One step larger (1) or smaller (-1) through SCALE_STEPS."""
        now = self.text_scale
        if steps > 0:
            self.set_text_scale(next((s for s in SCALE_STEPS if s > now), SCALE_STEPS[-1]))
        else:
            self.set_text_scale(next((s for s in reversed(SCALE_STEPS) if s < now),
                                     SCALE_STEPS[0]))

    def set_presentation(self, on: bool) -> None:
        """Presentation mode: its own text scale, and linked views (put back on leaving)."""
        if on == self.presentation:
            return
        before = self.text_scale
        if on:
            self._linked_outside_presentation = self.linked_views
        self.presentation = on
        self.presentationChanged.emit(on)
        self.set_linked_views(True if on else self._linked_outside_presentation)
        if self.text_scale != before:
            self.textScaleChanged.emit(self.text_scale)

    def set_predict_mode(self, on: bool) -> None:
        if on != self.predict_mode:
            self.predict_mode = on
            self.predictModeChanged.emit(on)

    def set_linked_views(self, on: bool) -> None:
        if on != self.linked_views:
            self.linked_views = on
            self.linkedViewsChanged.emit(on)

    def set_quiz(self, progress: QuizProgress | None) -> None:
        if progress != self.quiz:
            self.quiz = progress
            self.quizChanged.emit(progress)
