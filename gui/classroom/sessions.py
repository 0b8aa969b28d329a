"""File > Save session and Open session: the window's state to and from a .convscope file.

Opening reads and checks the whole file first (engine/storage/session.py), then the image,
then changes the window in one go, so a bad file changes nothing. A session whose image has
moved opens all the same, on the image already on screen, and the banner offers a button to
find the image.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from engine.images.loading import ImageLoadError, LoadedImage, load_image
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
        """Open ``path``; False (and nothing changed) when it cannot be used."""
        window = self.window
        try:
            session = read_session(path)
        except SessionFileError as exc:
            self.report(f"Session not opened, nothing changed: {exc}", True)
            return False
        folder = Path(path).resolve().parent
        image_file = session.image.locate(folder)
        image, missing = None, ""
        if image_file is None:
            missing = "was not found where the session says"
        else:
            try:
                image = load_image(image_file, color=session.color)
            except ImageLoadError as exc:
                missing = f"cannot be opened ({exc})"
        if image is None and window.state.image_path is None:
            self.report(f"Session not opened, nothing changed: its image "
                          f"{session.image.name} {missing}.", True)
            return False
        if not self._apply(session, image, image_file):
            return False
        name = shown_name(path)
        if image is None:
            window.banner.set_notice(
                f"Opened the session {name}, but its image {session.image.name} {missing}; "
                f"the image on screen stays. Find the image to use it:")
            window.banner_dock.set_action("Find the image...", self.ask_image)
        else:
            self.report(f"Opened the session {name}", False)
        return True

    def _apply(self, session: Session, image: LoadedImage | None,
               image_file: Path | None) -> bool:
        window, state = self.window, self.window.state
        if image is not None:
            window.banner.set_problem("")
            state.image_path = str(image_file.resolve())
            state.set_color_image(session.color, image, session.model)
            window.setWindowTitle(f"ConvScope: {image.name}")
        elif session.color != state.color and not window.set_color_mode(session.color,
                                                                         session.model):
            return False  # the image on screen cannot be reloaded: the switch said why
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
        return True

    def locate_image(self, path: str | Path) -> bool:
        """The moved image, found: open it (in the session's channel mode, now in force)."""
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
            self.open(path)

    def ask_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Find the session's image",
                                              self.window.settings.image_folder,
                                              self.image_filter)
        if path:
            self.locate_image(path)
