"""File > Save session and Open session: the window's state to and from a .convscope file.

Opening reads and checks the whole file first (engine/storage/session.py), then the image
(off the GUI thread, gui/image_opener.py), then changes the window in one go, so a bad file
changes nothing. A session whose image has moved opens all the same, on the image already on
screen, and the banner offers a button to find the image.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from engine.kernels.edits import channels_identical
from engine.storage.atomic import SaveError
from engine.storage.paths import shown_name
from engine.storage.session import (
    SUFFIX,
    Session,
    SessionFileError,
    image_ref,
    read_session,
    write_session,
)

SESSION_FILTER = f"ConvScope session (*{SUFFIX});;All files (*)"


class SessionActions:
    """``window`` is the MainWindow (sessions touch every part of it); ``report(message,
    is_problem)`` says what happened; ``image_filter`` is File > Open's list of formats."""

    def __init__(self, window, report: Callable[[str, bool], None], image_filter: str) -> None:
        self.window, self.report, self.image_filter = window, report, image_filter

    def tabs(self) -> dict:
        tabs = self.window.explain_tabs
        return {"inspect": tabs.widget(0), "correlation": tabs.correlation,
                "lesson": tabs.lesson, "quiz": self.window.quiz_panel}

    def current(self, path: str | Path) -> Session:
        """The window as a session saved at ``path``."""
        window, state = self.window, self.window.state
        classroom = window.classroom_state
        tab = next((name for name, widget in self.tabs().items()
                    if widget is window.explain_tabs.currentWidget()), "inspect")
        return Session(
            model=state.model, image=image_ref(state.image_path, path), color=state.color,
            display_mapping=state.display_mapping, shared_scale=state.shared_scale,
            selected_layer=state.selected_layer, selected_filter=state.selected_filter,
            seed=state.seed, same_kernel=state.same_kernel,
            lesson_step=window.explain_tabs.lesson.step, quiz=classroom.quiz, tab=tab,
            text_scale=classroom.text_scale, predict_mode=classroom.predict_mode,
            linked_views=classroom.linked_views)

    def save(self, path: str | Path) -> bool:
        if self.window.state.image_path is None:
            self.report("Session not saved: the image was not opened from a file.",
                               True)
            return False
        try:
            write_session(path, self.current(path))
        except SaveError as exc:
            self.report(f"Session not saved: {exc}", True)
            return False
        self.report(f"Saved the session to {shown_name(path)}", False)
        return True

    def open(self, path: str | Path) -> bool:
        """Open ``path`` as ``start_open`` does and return when it is done: True when the
        session is on screen, False (and nothing changed) when it cannot be used. The event
        loop runs meanwhile."""
        outcome: list[bool] = []
        if not self.start_open(path, outcome.append):
            return False
        self.window.images.wait()
        return bool(outcome and outcome[0])

    def start_open(self, path: str | Path, done: Callable[[bool], None] | None = None) -> bool:
        """Start opening ``path``: False (and nothing changed) when it cannot be used at all;
        otherwise its image is read off the GUI thread and the session applied with it, and
        ``done`` hears whether it was."""
        done = done or (lambda _opened: None)
        try:
            session = read_session(path)
        except SessionFileError as exc:
            self.report(f"Session not opened, nothing changed: {exc}", True)
            return False
        image_file = session.image.locate(Path(path).resolve().parent)
        if image_file is None:
            return self._without_image(session, path, "was not found where the session says",
                                       done)
        expected = str(image_file)

        def read(applied: bool) -> None:
            target = self.window.images.last
            if target is None or target.path != expected:
                done(False)  # another image was asked for meanwhile: that one wins
            elif applied:
                self._apply(session)
                self.report(f"Opened the session {shown_name(path)}", False)
                done(True)
            elif not (target.error and self._without_image(
                    session, path, f"cannot be opened ({target.error})", done)):
                done(False)  # (or the window closed)

        self.window.images.open(image_file, read, color=session.color, model=session.model)
        return True

    def _without_image(self, session: Session, path: str | Path, missing: str,
                       done: Callable[[bool], None]) -> bool:
        """The session on the image already on screen (in the session's mode), with a button
        to find its own; False when there is no image to use."""
        window, state = self.window, self.window.state
        if window.images.target_path() is None:
            self.report(f"Session not opened, nothing changed: its image "
                        f"{session.image.name} {missing}.", True)
            return False

        def apply(applied: bool = True) -> None:
            if not applied:
                done(False)  # the image on screen cannot be reloaded: the switch said why
                return
            self._apply(session)
            window.banner.set_notice(
                f"Opened the session {shown_name(path)}, but its image {session.image.name} "
                f"{missing}; the image on screen stays. Find the image to use it:")
            window.banner_dock.set_action("Find the image...", self.ask_image)
            done(True)

        if session.color == state.color:
            apply()
            return True
        return window.color_switch.switch(session.color, session.model, apply)

    def _apply(self, session: Session) -> None:
        """Everything but the image (already in place, in the session's mode)."""
        window, state = self.window, self.window.state
        state.set_model(session.model, session.selected_layer)
        state.set_seed(session.seed)
        state.select_filter(session.selected_filter)
        first = session.model.layers[0]
        state.set_same_kernel(session.same_kernel and channels_identical(first.kernel))
        state.set_display_mapping(session.display_mapping)
        state.set_shared_scale(session.shared_scale)
        classroom = window.classroom_state
        classroom.set_text_scale(session.text_scale)
        classroom.set_linked_views(session.linked_views)
        classroom.set_predict_mode(session.predict_mode)
        classroom.set_quiz(session.quiz)
        if session.lesson_step is not None:
            window.explain_tabs.lesson.resume(session.lesson_step)
        window.explain_tabs.setCurrentWidget(self.tabs()[session.tab])

    def locate_image(self, path: str | Path) -> bool:
        """The moved image, found: open it (in the session's channel mode, now in force), and
        return when it is on screen."""
        return self.window.open_path(path) is not None

    # -- the menu handlers: ask for a path, then call the methods above ------------------
    def ask_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Save session",
                                              f"class{SUFFIX}", SESSION_FILTER)
        if path:
            self.save(path)

    def ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open session", "", SESSION_FILTER)
        if path:
            self.start_open(path)

    def ask_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Find the session's image",
                                              self.window.settings.image_folder,
                                              self.image_filter)
        if path:
            self.window.open_image(path)  # (locate_image, without waiting)
