"""Class defaults a teacher sets once for a lab: where File > Open starts, whether the lesson
opens at start, and how the output is mapped to gray levels.

Read from an INI file (QSettings, organization and application "ConvScope"), then overridden
by environment variables, so a lab image can preset them without touching user files:

- ``CONVSCOPE_SETTINGS``: path of an INI file to read instead of the user's;
- ``CONVSCOPE_IMAGE_FOLDER``: File > Open starts there;
- ``CONVSCOPE_START_IN_LESSON``: 1 or 0;
- ``CONVSCOPE_DISPLAY_MAPPING``: auto, clip, diverging or abs;
- ``CONVSCOPE_TEXT_SCALE`` and ``CONVSCOPE_PRESENTATION_TEXT_SCALE``: the text scale in
  percent (100 to 250), outside and in presentation mode, until a user changes it;
- ``CONVSCOPE_START_IN_PRESENTATION``: 1 or 0;
- ``CONVSCOPE_SESSION``: a session (.convscope) to open at start.

A file that is corrupt, unreadable, not a regular file (a pipe would block start-up), or
written by another version never stops the window: the defaults are used and
``Settings.notes`` says why (to be shown in the status bar). A bad value, in the file or the
environment, drops that value alone, with a note; the file's other values are kept.
Saving goes through engine.storage.atomic, so a failed save leaves the old file intact.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from PySide6.QtCore import QSettings

from engine.images.display import MAPPINGS
from engine.storage.atomic import SaveError, atomic_write_bytes
from engine.storage.paths import os_reason
from engine.storage.session import MAX_TEXT_SCALE, MIN_TEXT_SCALE

ORGANIZATION = APPLICATION = "ConvScope"
#: Bumped whenever a key changes meaning; files with another version are not trusted.
SETTINGS_VERSION = 1
DISPLAY_MAPPINGS = MAPPINGS
TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("0", "false", "no", "off")

KEY_VERSION = "version"
KEY_IMAGE_FOLDER = "defaults/image_folder"
KEY_START_IN_LESSON = "defaults/start_in_lesson"
KEY_DISPLAY_MAPPING = "defaults/display_mapping"
ENV_SETTINGS = "CONVSCOPE_SETTINGS"
ENV_IMAGE_FOLDER = "CONVSCOPE_IMAGE_FOLDER"
ENV_START_IN_LESSON = "CONVSCOPE_START_IN_LESSON"
ENV_DISPLAY_MAPPING = "CONVSCOPE_DISPLAY_MAPPING"
KEY_TEXT_SCALE = "defaults/text_scale"
KEY_PRESENTATION_TEXT_SCALE = "defaults/presentation_text_scale"
KEY_START_IN_PRESENTATION = "defaults/start_in_presentation"
KEY_SESSION = "defaults/session"
ENV_TEXT_SCALE = "CONVSCOPE_TEXT_SCALE"
ENV_PRESENTATION_TEXT_SCALE = "CONVSCOPE_PRESENTATION_TEXT_SCALE"
ENV_START_IN_PRESENTATION = "CONVSCOPE_START_IN_PRESENTATION"
ENV_SESSION = "CONVSCOPE_SESSION"


@dataclass(frozen=True)
class Settings:
    """The class defaults; ``image_folder`` "" means File > Open's own choice."""

    image_folder: str = ""
    start_in_lesson: bool = False
    display_mapping: str = "auto"
    text_scale: int = 100
    presentation_text_scale: int = 200
    start_in_presentation: bool = False
    session: str = ""  # a session file to open at start; "" for none
    notes: tuple[str, ...] = field(default=(), compare=False)


def settings_path(env: Mapping[str, str] | None = None) -> Path:
    """The INI file read: CONVSCOPE_SETTINGS, else the user's ConvScope.ini."""
    env = os.environ if env is None else env
    if env.get(ENV_SETTINGS):
        return Path(env[ENV_SETTINGS])
    user = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION,
                     APPLICATION)
    return Path(user.fileName())


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """The file's values (or the defaults, with a note), then the environment's."""
    env = os.environ if env is None else env
    notes: list[str] = []
    path = settings_path(env)
    try:
        settings = _read_file(path, notes)
    except Exception as exc:  # whatever the file holds, the window must open
        notes.append(f"Settings file {path.name} could not be read ({exc}): using the "
                     f"defaults.")
        settings = Settings()
    settings = _apply_environment(settings, env, notes)
    return replace(settings, notes=tuple(notes))


def save_settings(settings: Settings, path: str | Path | None = None) -> Path:
    """Write ``settings`` atomically (raises SaveError; the old file stays)."""
    path = Path(path) if path is not None else settings_path()
    with tempfile.TemporaryDirectory() as scratch:  # QSettings formats, we write
        draft = QSettings(str(Path(scratch) / "draft.ini"), QSettings.Format.IniFormat)
        draft.setValue(KEY_VERSION, SETTINGS_VERSION)
        draft.setValue(KEY_IMAGE_FOLDER, settings.image_folder)
        draft.setValue(KEY_START_IN_LESSON, "true" if settings.start_in_lesson else "false")
        draft.setValue(KEY_DISPLAY_MAPPING, settings.display_mapping)
        draft.setValue(KEY_TEXT_SCALE, settings.text_scale)
        draft.setValue(KEY_PRESENTATION_TEXT_SCALE, settings.presentation_text_scale)
        draft.setValue(KEY_START_IN_PRESENTATION,
                       "true" if settings.start_in_presentation else "false")
        if settings.session:
            draft.setValue(KEY_SESSION, settings.session)
        draft.sync()
        data = Path(draft.fileName()).read_bytes()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as exc:
        raise SaveError(f"Cannot create the folder {path.parent}: {os_reason(exc)}.") from None
    atomic_write_bytes(path, data)
    return path


def _read_file(path: Path, notes: list[str]) -> Settings:
    if not path.exists():
        return Settings()
    if not path.is_file():  # QSettings would block forever on a FIFO
        notes.append(f"Settings file {path.name} is unreadable (not a regular file): using "
                     f"the defaults.")
        return Settings()
    ini = QSettings(str(path), QSettings.Format.IniFormat)
    keys = ini.allKeys()
    if ini.status() != QSettings.Status.NoError or (not keys and path.stat().st_size > 0):
        notes.append(f"Settings file {path.name} is unreadable or corrupt: using the "
                     f"defaults.")
        return Settings()
    if not keys:
        return Settings()
    version = _as_int(ini.value(KEY_VERSION))
    if version != SETTINGS_VERSION:
        made_by = "an older" if version is None or version < SETTINGS_VERSION else "a newer"
        found = "no version number" if version is None else f"version {version}"
        notes.append(f"Settings file {path.name} was written by {made_by} ConvScope "
                     f"({found}; this one reads version {SETTINGS_VERSION}): using the "
                     f"defaults.")
        return Settings()
    defaults = Settings()
    return Settings(
        image_folder=_folder(ini.value(KEY_IMAGE_FOLDER), KEY_IMAGE_FOLDER, notes) or "",
        start_in_lesson=_flag(ini.value(KEY_START_IN_LESSON), KEY_START_IN_LESSON,
                              defaults.start_in_lesson, notes),
        display_mapping=_mapping(ini.value(KEY_DISPLAY_MAPPING), KEY_DISPLAY_MAPPING,
                                 defaults.display_mapping, notes),
        text_scale=_scale(ini.value(KEY_TEXT_SCALE), KEY_TEXT_SCALE, defaults.text_scale,
                          notes),
        presentation_text_scale=_scale(ini.value(KEY_PRESENTATION_TEXT_SCALE),
                                       KEY_PRESENTATION_TEXT_SCALE,
                                       defaults.presentation_text_scale, notes),
        start_in_presentation=_flag(ini.value(KEY_START_IN_PRESENTATION),
                                    KEY_START_IN_PRESENTATION, defaults.start_in_presentation,
                                    notes),
        session=_session(ini.value(KEY_SESSION), KEY_SESSION, notes))


def _apply_environment(settings: Settings, env: Mapping[str, str], notes: list[str]) -> Settings:
    changes = {}
    if env.get(ENV_IMAGE_FOLDER):
        folder = _folder(env[ENV_IMAGE_FOLDER], ENV_IMAGE_FOLDER, notes)
        if folder:
            changes["image_folder"] = folder
    if env.get(ENV_START_IN_LESSON):
        changes["start_in_lesson"] = _flag(env[ENV_START_IN_LESSON], ENV_START_IN_LESSON,
                                           settings.start_in_lesson, notes)
    if env.get(ENV_DISPLAY_MAPPING):
        changes["display_mapping"] = _mapping(env[ENV_DISPLAY_MAPPING], ENV_DISPLAY_MAPPING,
                                              settings.display_mapping, notes)
    for env_name, key, read in (
            (ENV_TEXT_SCALE, "text_scale", _scale),
            (ENV_PRESENTATION_TEXT_SCALE, "presentation_text_scale", _scale),
            (ENV_START_IN_PRESENTATION, "start_in_presentation", _flag)):
        if env.get(env_name):
            changes[key] = read(env[env_name], env_name, getattr(settings, key), notes)
    if env.get(ENV_SESSION):
        changes["session"] = _session(env[ENV_SESSION], ENV_SESSION, notes)
    return replace(settings, **changes)


def _as_int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _folder(value, source: str, notes: list[str]) -> str | None:
    """An existing folder the user may open, or None (with a note unless nothing was set)."""
    if value in (None, ""):
        return None
    problem = _folder_problem(value)
    if problem:
        shown = repr(value) if len(repr(value)) <= 80 else f"{repr(value)[:60]}...'"
        notes.append(f"{source}: {shown} {problem}; File > Open starts in its usual place.")
        return None
    return str(Path(value).expanduser())


def _folder_problem(value) -> str:
    """Why ``value`` cannot be File > Open's start folder, or "" if it can."""
    if not isinstance(value, str):
        return "is not a folder"
    try:
        folder = Path(value).expanduser()
        if not folder.is_dir():
            return "is not a folder"
        if not os.access(folder, os.R_OK | os.X_OK):
            return "is a folder you may not open (permission denied)"
    except RuntimeError:  # "~name" for a user this computer does not know
        return "names a home folder this computer does not know"
    except (OSError, ValueError) as exc:
        return f"cannot be used ({os_reason(exc)})"
    return ""


def _flag(value, source: str, default: bool, notes: list[str]) -> bool:
    if value is None:
        return default
    word = str(value).strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    notes.append(f"{source}: {value!r} is not 1 or 0; using {int(default)}.")
    return default


def _mapping(value, source: str, default: str, notes: list[str]) -> str:
    if value is None:
        return default
    word = str(value).strip().lower()
    if word in DISPLAY_MAPPINGS:
        return word
    notes.append(f"{source}: {value!r} is not one of {', '.join(DISPLAY_MAPPINGS)}; using "
                 f"{default}.")
    return default


def _scale(value, source: str, default: int, notes: list[str]) -> int:
    """A text scale in percent, ``150`` or ``150%``."""
    if value is None:
        return default
    scale = _as_int(str(value).strip().rstrip("%"))
    if scale is not None and MIN_TEXT_SCALE <= scale <= MAX_TEXT_SCALE:
        return scale
    notes.append(f"{source}: {str(value)[:40]!r} is not a text scale from {MIN_TEXT_SCALE} to "
                 f"{MAX_TEXT_SCALE} (percent); using {default}.")
    return default


def _session(value, source: str, notes: list[str]) -> str:
    """A session file's path; whether it opens is told when the window opens it."""
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or "\0" in value:
        notes.append(f"{source}: not a file path; no session is opened at start.")
        return ""
    try:
        return str(Path(value).expanduser())
    except RuntimeError:  # "~name" for a user this computer does not know
        notes.append(f"{source}: {value[:60]!r} names a home folder this computer does not "
                     f"know; no session is opened at start.")
        return ""
