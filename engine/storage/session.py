"""Sessions: everything a teacher prepares, in one ``.convscope`` file (JSON, versioned).

A session holds the image (a bundled sample by name, or a path, with the path from the
session's own folder too, so a folder holding both can be copied to another machine), the
channel mode, the whole model (every layer's settings and weights, each layer written by its
``kind`` and its fields, so any layer spec that follows the layer protocol fits), the display
choices, the selected layer and filter, the random preset's seed, the lesson step or the
quiz's progress, and the text scale.

Reading checks the whole file before anything is returned: a file that is unreadable,
truncated, hostile (huge, deeply nested, values out of range) or written by a newer ConvScope
raises SessionFileError, whose message says why, so the window changes nothing. Writing is
atomic.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from engine.images.display import MAPPINGS
from engine.images.loading import COLOR_MODES
from engine.model.errors import LayerSpecError
from engine.model.network import ModelSpec
from engine.storage.atomic import atomic_write_bytes
from engine.storage.json_fields import choice, flag, known, section, whole
from engine.storage.layer_json import LAYER_KINDS, layer_from_json, layer_to_json
from engine.storage.paths import shown_name
from engine.storage.resources import resources_dir, sample_paths
from engine.storage.text_files import TextFileError, read_small_text
from engine.teaching.quiz import QuizProgress

FORMAT = "convscope-session"
VERSION = 1
SUFFIX = ".convscope"
#: A session is a few kilobytes per layer (15x15x3x16 weights are 10,800 numbers); a file
#: far larger than any real one is refused before it is parsed.
MAX_BYTES = 8_000_000
MAX_LAYERS = 32
#: The seed box's range (gui/panels/kernel_controls.py MAX_SEED).
MAX_SEED = 999_999
MIN_TEXT_SCALE, MAX_TEXT_SCALE = 100, 250
LESSON_STEPS = 4
#: The tabs under the images a session can bring to the front.
TABS = ("inspect", "correlation", "lesson", "quiz")
__all__ = ["LAYER_KINDS", "ImageRef", "Session", "SessionFileError", "image_ref",
           "read_session", "session_from_json", "session_to_json", "write_session"]


class SessionFileError(Exception):
    """A session file cannot be used; nothing was changed. The message names the file."""


@dataclass(frozen=True)
class ImageRef:
    """Where the session's image is: a bundled sample, or a file."""

    sample: str | None = None  # a bundled sample's file name, e.g. "ascent.png"
    path: str | None = None  # absolute, as it was when saved
    relative: str | None = None  # from the session's folder (found when both are moved)

    @property
    def name(self) -> str:
        return self.sample or Path(self.path or self.relative or "").name

    def locate(self, session_folder: str | Path | None) -> Path | None:
        """The image file now: the sample, the saved path, or the path from the session's
        folder; None when it has moved (the window then asks for it)."""
        if self.sample is not None:
            return resources_dir() / self.sample
        candidates = [Path(self.path)] if self.path else []
        if self.relative and session_folder is not None:
            candidates.append(Path(session_folder) / self.relative)
        return next((c for c in candidates if c.is_file()), None)


def image_ref(image_path: str | Path, session_path: str | Path) -> ImageRef:
    """How a session saved at ``session_path`` refers to ``image_path``."""
    image = Path(image_path).resolve()
    if image.parent == resources_dir().resolve() and image.name in _sample_names():
        return ImageRef(sample=image.name)
    folder = Path(session_path).resolve().parent
    try:
        relative = Path(os.path.relpath(image, folder)).as_posix()
    except ValueError:  # another drive (Windows): only the absolute path
        relative = None
    return ImageRef(path=str(image), relative=relative)


@dataclass(frozen=True, eq=False)
class Session:
    model: ModelSpec
    image: ImageRef
    color: str = "gray"
    display_mapping: str = "auto"
    shared_scale: bool = False
    selected_layer: int = 0
    selected_filter: int = 0
    seed: int = 0
    same_kernel: bool = True
    lesson_step: int | None = None  # None: the lesson was not started
    quiz: QuizProgress | None = None  # None: no quiz was started
    tab: str = "inspect"
    text_scale: int = 100
    predict_mode: bool = False
    linked_views: bool = False


# -- writing -------------------------------------------------------------------------------
def session_to_json(session: Session) -> str:
    model = session.model
    document = {
        "format": FORMAT,
        "version": VERSION,
        "image": {key: value for key, value in (("sample", session.image.sample),
                                                ("path", session.image.path),
                                                ("relative", session.image.relative))
                  if value is not None},
        "color": session.color,
        "model": {"layers": [layer_to_json(layer) for layer in model.layers],
                  "names": list(model.names)},
        "selected": {"layer": session.selected_layer, "filter": session.selected_filter},
        "seed": session.seed,
        "same_kernel": session.same_kernel,
        "display": {"mapping": session.display_mapping, "shared_scale": session.shared_scale},
        "lesson": None if session.lesson_step is None else {"step": session.lesson_step},
        "quiz": None if session.quiz is None else {
            "seed": session.quiz.seed, "question": session.quiz.index,
            "right": session.quiz.right, "answered": session.quiz.answered,
            "checked": session.quiz.checked},
        "view": {"text_scale": session.text_scale, "predict_mode": session.predict_mode,
                 "linked_views": session.linked_views, "tab": session.tab},
    }
    return json.dumps(document, indent=1, allow_nan=False) + "\n"


def write_session(path: str | Path, session: Session) -> None:
    """Save atomically (SaveError; an existing file of that name stays as it was)."""
    atomic_write_bytes(path, session_to_json(session).encode("utf-8"))


# -- reading -------------------------------------------------------------------------------
def read_session(path: str | Path) -> Session:
    """The session in ``path``; SessionFileError says why it cannot be opened."""
    try:
        text = read_small_text(path, MAX_BYTES, "ConvScope session")
    except TextFileError as exc:
        raise SessionFileError(str(exc)) from None
    return session_from_json(text, shown_name(path))


def session_from_json(text: str, source: str = "the session") -> Session:
    if not text.strip():
        raise SessionFileError(f"{source} is empty.")
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        where = "it ends too early" if exc.pos >= len(text.rstrip()) else \
            f"{exc.msg}, line {exc.lineno}"
        raise SessionFileError(f"{source} is damaged or incomplete ({where}).") from None
    except RecursionError:
        raise SessionFileError(f"{source} is not a ConvScope session (nested too "
                               f"deeply).") from None
    except _NotANumber as exc:
        raise SessionFileError(f"{source} is not a ConvScope session ({exc}).") from None
    except ValueError:  # an integer of thousands of digits
        raise SessionFileError(f"{source} is not a ConvScope session (a number in it is too "
                               f"long to read).") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SessionFileError(f"{source} is not a ConvScope session (no \"format\": "
                               f"\"{FORMAT}\").")
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SessionFileError(f"{source} has no valid version number.")
    if version > VERSION:
        raise SessionFileError(f"{source} was saved by a newer ConvScope (session version "
                               f"{version}; this one opens version {VERSION}). Update "
                               f"ConvScope to open it.")
    try:
        return _session(document)
    except (ValueError, TypeError, LayerSpecError, RecursionError) as exc:
        raise SessionFileError(f"{source}: {exc}") from None


class _NotANumber(ValueError):
    pass


def _refuse_constant(name: str):
    raise _NotANumber(f"{name} is not a number ConvScope accepts")


def _session(document: dict) -> Session:
    known(document, {"format", "version", "image", "color", "model", "selected", "seed",
                      "same_kernel", "display", "lesson", "quiz", "view"}, "the session")
    color = choice(document.get("color", "gray"), COLOR_MODES, '"color"')
    model = _model(section(document, "model", required=True))
    first = model.layers[0]
    if first.channels != (1 if color == "gray" else 3):
        raise ValueError(f"the first layer has {first.channels} input channel(s) but the "
                         f"colour mode {color!r} gives {1 if color == 'gray' else 3}")
    selected = section(document, "selected")
    known(selected, {"layer", "filter"}, '"selected"')
    layer_index = whole(selected.get("layer", 0), '"selected" layer', 0, len(model) - 1)
    filters = getattr(model.layers[layer_index], "filters", 1)
    filter_index = whole(selected.get("filter", 0), '"selected" filter', 0, filters - 1)
    display = section(document, "display")
    known(display, {"mapping", "shared_scale"}, '"display"')
    view = section(document, "view")
    known(view, {"text_scale", "predict_mode", "linked_views", "tab"}, '"view"')
    lesson = document.get("lesson")
    return Session(
        model=model,
        image=_image(section(document, "image", required=True)),
        color=color,
        display_mapping=choice(display.get("mapping", "auto"), MAPPINGS, '"mapping"'),
        shared_scale=flag(display.get("shared_scale", False), '"shared_scale"'),
        selected_layer=layer_index,
        selected_filter=filter_index,
        seed=whole(document.get("seed", 0), '"seed"', 0, MAX_SEED),
        same_kernel=flag(document.get("same_kernel", True), '"same_kernel"'),
        lesson_step=None if lesson is None else _lesson_step(lesson),
        quiz=_quiz(document.get("quiz")),
        tab=choice(view.get("tab", "inspect"), TABS, '"tab"'),
        text_scale=whole(view.get("text_scale", 100), '"text_scale"', MIN_TEXT_SCALE,
                          MAX_TEXT_SCALE),
        predict_mode=flag(view.get("predict_mode", False), '"predict_mode"'),
        linked_views=flag(view.get("linked_views", False), '"linked_views"'))


def _model(section: dict) -> ModelSpec:
    known(section, {"layers", "names"}, '"model"')
    layers = section.get("layers")
    if not isinstance(layers, list) or not layers:
        raise ValueError('"layers" must be a list of at least one layer')
    if len(layers) > MAX_LAYERS:
        raise ValueError(f"the model has {len(layers)} layers; ConvScope opens at most "
                         f"{MAX_LAYERS}")
    specs = [layer_from_json(layer, index) for index, layer in enumerate(layers)]
    names = section.get("names", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ValueError('"names" must be a list of layer names')
    return ModelSpec(tuple(specs), tuple(names))


def _image(section: dict) -> ImageRef:
    known(section, {"sample", "path", "relative"}, '"image"')
    sample = section.get("sample")
    if sample is not None:
        if sample not in _sample_names():
            raise ValueError(f"the image is the sample {json.dumps(sample)}, which is not one "
                             f"of ConvScope's ({', '.join(_sample_names())})")
        return ImageRef(sample=sample)
    path, relative = section.get("path"), section.get("relative")
    for name, value in (('"path"', path), ('"relative"', relative)):
        if value is not None and (not isinstance(value, str) or not value or "\0" in value
                                  or len(value) > 4096):
            raise ValueError(f"the image {name} must be a file path")
    if path is None and relative is None:
        raise ValueError('"image" needs a "sample" or a "path"')
    return ImageRef(path=path, relative=relative)


def _lesson_step(section) -> int:
    if not isinstance(section, dict):
        raise ValueError('"lesson" must be null or {"step": N}')
    known(section, {"step"}, '"lesson"')
    return whole(section.get("step"), 'the lesson "step"', 0, LESSON_STEPS - 1)


def _quiz(section) -> QuizProgress | None:
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ValueError('"quiz" must be null or an object')
    known(section, {"seed", "question", "right", "answered", "checked"}, '"quiz"')
    answered = whole(section.get("answered", 0), 'the quiz "answered"', 0, 10**6)
    progress = QuizProgress(
        seed=whole(section.get("seed"), 'the quiz "seed"', 0, MAX_SEED),
        index=whole(section.get("question", 0), 'the quiz "question"', 0, 10**6),
        right=whole(section.get("right", 0), 'the quiz "right"', 0, answered),
        answered=answered,
        checked=flag(section.get("checked", False), 'the quiz "checked"'))
    return progress


def _sample_names() -> list[str]:
    return [p.name for p in sample_paths()]

