"""The .convscope session format, pure parts: what is saved comes back exactly, and every
kind of bad file is refused with a reason."""

import json
import os
import shutil

import numpy as np
import pytest

from engine.kernels.presets import random_kernel
from engine.model.conv import ConvSpec
from engine.model.network import ModelSpec
from engine.storage.resources import resources_dir
from engine.storage.session import (
    LESSON_STEPS,
    MAX_BYTES,
    MAX_SEED,
    ImageRef,
    Session,
    SessionFileError,
    image_ref,
    read_session,
    session_to_json,
    write_session,
)
from engine.teaching.lesson import Lesson
from engine.teaching.quiz import QuizProgress
from tests.conftest import FACE


def rich_session(image=None) -> Session:
    first = ConvSpec(kernel=random_kernel((3, 5), 3, 4, 9), strides=(2, 1), padding="same",
                     bias=np.array([0.5, -1, 2.25, 1e-7], np.float32), activation="relu")
    second = ConvSpec(kernel=random_kernel((2, 2), 4, 2, 1), dilation=(2, 3))
    return Session(model=ModelSpec((first, second), ("first", "second")),
                   image=image or ImageRef(sample="face.png"), color="rgb",
                   display_mapping="diverging", shared_scale=True, selected_layer=1,
                   selected_filter=1, seed=123, same_kernel=False, lesson_step=2,
                   quiz=QuizProgress(seed=77, index=4, right=3, answered=4, checked=True),
                   tab="quiz", text_scale=200, predict_mode=True, linked_views=True)


def same(a: Session, b: Session) -> bool:
    plain = ("image", "color", "display_mapping", "shared_scale", "selected_layer",
             "selected_filter", "seed", "same_kernel", "lesson_step", "quiz", "tab",
             "text_scale", "predict_mode", "linked_views")
    return a.model == b.model and all(getattr(a, k) == getattr(b, k) for k in plain)


def test_a_session_comes_back_exactly(tmp_path):
    session = rich_session()
    path = tmp_path / "class.convscope"
    write_session(path, session)
    back = read_session(path)
    assert same(back, session)
    for got, want in zip(back.model.layers, session.model.layers):  # bit for bit
        assert got.kernel.dtype == np.float32 and got.kernel.tobytes() == want.kernel.tobytes()
        assert got.bias.tobytes() == want.bias.tobytes()
    document = json.loads(path.read_text())
    assert (document["format"], document["version"]) == ("convscope-session", 1)
    assert document["model"]["layers"][0]["kind"] == "Conv2D"
    assert np.array(document["model"]["layers"][0]["kernel"]).shape == (3, 5, 3, 4)


def test_images_are_found_as_samples_by_path_or_next_to_the_session(tmp_path):
    assert image_ref(resources_dir() / "ascent.png", tmp_path / "s.convscope") == \
        ImageRef(sample="ascent.png")
    home = tmp_path / "home"
    (home / "pictures").mkdir(parents=True)
    photo = home / "pictures" / "photo.png"
    shutil.copy(FACE, photo)
    ref = image_ref(photo, home / "s.convscope")
    assert ref.relative == "pictures/photo.png" and ref.locate(home) == photo
    moved = tmp_path / "lab"
    shutil.move(str(home), str(moved))  # the session and its pictures, copied elsewhere
    assert ref.locate(moved) == moved / "pictures" / "photo.png"
    assert ref.locate(tmp_path) is None  # moved away from the session too: ask for it
    assert ImageRef(sample="face.png").locate(None) == resources_dir() / "face.png"


def valid_document() -> dict:
    return json.loads(session_to_json(rich_session()))


def edited(change) -> str:
    document = valid_document()
    change(document)
    return json.dumps(document)


def set_in(path, value):
    def change(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


LAYER = ("model", "layers", 0)
BAD_TEXT = {
    "empty": ("", "is empty"),
    "truncated": (session_to_json(rich_session())[:700], "damaged or incomplete"),
    "not JSON": ("convscope session, trust me", "damaged or incomplete"),
    "a list": ("[1, 2, 3]", "not a ConvScope session"),
    "a kernel file": ('{"format": "convscope-kernel", "version": 2}', "not a ConvScope"),
    "future version": (edited(set_in(("version",), 2)), "newer ConvScope"),
    "version as text": (edited(set_in(("version",), "1")), "no valid version"),
    "no model": (edited(lambda d: d.pop("model")), '"model" must be an object'),
    "no layers": (edited(set_in(("model", "layers"), [])), "at least one layer"),
    "unknown layer": (edited(set_in((*LAYER, "kind"), "Transformer")), "does not know"),
    "unknown entry": (edited(set_in(("secret",), 1)), "does not know"),
    "NaN weight": (session_to_json(rich_session()).replace(
        '"kernel": [\n     [\n      [\n       ', '"kernel": [\n     [\n      [\n       NaN, ', 1),
        "NaN is not a number"),
    "text weights": (edited(set_in((*LAYER, "kernel"), [[["a"]]])), "numbers"),
    "ragged kernel": (edited(set_in((*LAYER, "kernel"), [[1, 2], [3]])), "equal length"),
    "3-D kernel": (edited(set_in((*LAYER, "kernel"), [[[1.0]]])), "4 axes"),
    "huge weight": (edited(set_in((*LAYER, "bias"), [1e30] * 4)), "between"),
    "bool strides": (edited(set_in((*LAYER, "strides"), [True, 1])), "whole number"),
    "strides and dilation": (edited(lambda d: (set_in((*LAYER, "dilation"), [2, 2])(d))),
                             "cannot combine"),
    "bad padding": (edited(set_in((*LAYER, "padding"), "mirror")), "Padding"),
    "channels against colour": (edited(set_in(("color",), "gray")), "input channel"),
    "filter out of range": (edited(set_in(("selected", "filter"), 9)), '"selected" filter'),
    "layer out of range": (edited(set_in(("selected", "layer"), -1)), '"selected" layer'),
    "seed out of range": (edited(set_in(("seed",), MAX_SEED + 1)), '"seed"'),
    "text scale": (edited(set_in(("view", "text_scale"), 1000)), '"text_scale"'),
    "lesson step": (edited(set_in(("lesson", "step"), LESSON_STEPS)), "lesson"),
    "quiz score": (edited(set_in(("quiz", "right"), 99)), "quiz"),
    "mapping": (edited(set_in(("display", "mapping"), "rainbow")), '"mapping"'),
    "sample outside": (edited(set_in(("image",), {"sample": "../../etc/passwd"})),
                       "not one of ConvScope's"),
    "no image": (edited(set_in(("image",), {})), '"image" needs'),
    "deeply nested": ("[" * 200_000 + "]" * 200_000, "not a ConvScope session"),
    "long number": ('{"format": "convscope-session", "version": 1' + "1" * 5000 + "}",
                    "not a ConvScope session"),
}


@pytest.mark.parametrize("case", sorted(BAD_TEXT))
def test_every_bad_session_is_refused_with_a_reason(tmp_path, case):
    text, reason = BAD_TEXT[case]
    path = tmp_path / "bad.convscope"
    path.write_text(text)
    with pytest.raises(SessionFileError) as error:
        read_session(path)
    message = str(error.value)
    assert reason in message and "bad.convscope" in message
    assert "\n" not in message and "Traceback" not in message


def test_files_that_are_not_sessions_at_all(tmp_path):
    cases = {tmp_path / "missing.convscope": "no such file",
             tmp_path: "is a folder"}
    binary = tmp_path / "binary.convscope"
    binary.write_bytes(bytes(range(256)) * 4)
    cases[binary] = "not a text file"
    huge = tmp_path / "huge.convscope"
    with open(huge, "wb") as handle:
        handle.truncate(MAX_BYTES + 10)
    cases[huge] = "too large for a ConvScope session"
    if hasattr(os, "mkfifo"):  # a pipe would block a plain open()
        os.mkfifo(tmp_path / "pipe.convscope")
        cases[tmp_path / "pipe.convscope"] = "not a regular file"
    for path, reason in cases.items():
        with pytest.raises(SessionFileError, match=reason):
            read_session(path)


def test_a_failed_save_keeps_the_old_session(tmp_path):
    from engine.storage.atomic import SaveError

    path = tmp_path / "class.convscope"
    write_session(path, rich_session())
    before = path.read_bytes()
    with pytest.raises(SaveError):
        write_session(tmp_path / "no-such-folder" / "x.convscope", rich_session())
    assert path.read_bytes() == before


def test_the_session_limits_match_the_app():
    from gui.panels.kernel_controls import MAX_SEED as SEED_BOX_MAX

    assert MAX_SEED == SEED_BOX_MAX
    assert len(Lesson(0)) == LESSON_STEPS


def test_any_layer_kind_that_follows_the_protocol_is_saved_by_its_fields(monkeypatch):
    """A new layer spec (a pooling layer, say) needs only its entry in LAYER_KINDS."""
    from dataclasses import dataclass

    from engine.storage import session as sessions

    @dataclass(frozen=True)
    class Pool:
        kind = "MaxPooling2D"
        pool_size: tuple[int, int] = (2, 2)
        strides: tuple[int, int] | None = None
        padding: str = "valid"

        def check(self, _input_shape=None):
            if self.padding not in ("valid", "same"):
                raise ValueError("bad padding")

        channels = 1

    monkeypatch.setitem(sessions.LAYER_KINDS, "MaxPooling2D", Pool)
    conv = ConvSpec(kernel=random_kernel((3, 3), 1, 2, 0))
    model = ModelSpec((conv, Pool(pool_size=(3, 2), strides=None, padding="same")))
    session = Session(model=model, image=ImageRef(sample="ascent.png"))
    back = sessions.session_from_json(session_to_json(session))
    assert back.model.layers[1] == Pool(pool_size=(3, 2), strides=None, padding="same")
    assert back.model.layers[0] == conv
