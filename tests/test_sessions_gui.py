"""Sessions in the real window: saved and opened back to the same outputs (the arrays
compared, and against the NumPy reference), every kind of bad file changing nothing, a moved
image asked for, --session and the class default, and the lesson's seed."""

import json
import shutil

import numpy as np
import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QPushButton, QSpinBox

from engine.kernels.presets import FILTER_BANK, RANDOM, random_kernel
from engine.storage.session import session_to_json
from engine.teaching.lesson import Lesson
from tests.conftest import ASCENT, FACE
from tests.live_window import ENGINE_TIMEOUT_MS, find, open_window, wait_for_images
from tests.numpy_reference import cross_correlate


@pytest.fixture(autouse=True)
def own_settings(monkeypatch, tmp_path):
    """Text scales set here must not reach other tests' windows."""
    monkeypatch.setenv("CONVSCOPE_SETTINGS", str(tmp_path / "convscope.ini"))


def settled(qtbot, window):
    """Until the output on screen is the one for the state's model and image."""
    def current():
        shown = window.pipeline.shown
        return (shown is not None and shown.model == window.state.model
                and shown.image is window.state.image)
    qtbot.waitUntil(current, timeout=ENGINE_TIMEOUT_MS)
    return window.pipeline.shown


def reference(window):
    spec, image = window.state.spec, window.state.image
    return cross_correlate(image.pixels, spec.kernel, spec.strides, spec.padding, spec.dilation,
                           spec.bias, spec.activation)


def prepared(qtbot, tmp_path):
    """A teacher's window: an RGB photo of their own, four filters, settings, a quiz."""
    photo = tmp_path / "home" / "pictures" / "photo.png"
    photo.parent.mkdir(parents=True)
    shutil.copy(FACE, photo)
    window = open_window(qtbot, photo)
    assert window.set_color_mode("rgb")
    window.state.set_filter_count(4)
    window.kernel_controls.apply_preset(FILTER_BANK)
    window.state.update_spec(strides=(2, 1), padding="same", activation="relu",
                             bias=np.array([1, -2, 3.5, 0], np.float32))
    window.state.select_filter(2)
    window.state.set_display_mapping("diverging")
    window.state.set_shared_scale(True)
    window.quiz_panel.start(9)
    window.quiz_panel.answer.setText(window.quiz_panel.question.answer_text)
    window.quiz_panel.check()
    window.explain_tabs.setCurrentWidget(window.quiz_panel)
    window.classroom_state.set_text_scale(150)
    find(window, QAction, "predictMode").trigger()
    return window


def test_a_session_opens_back_to_the_same_outputs(qtbot, tmp_path):
    window = prepared(qtbot, tmp_path)
    first = settled(qtbot, window)
    outputs = [np.array(o) for o in first.outputs]
    np.testing.assert_allclose(outputs[0], reference(window), rtol=1e-4, atol=1e-2)
    path = tmp_path / "home" / "class.convscope"
    assert window.save_session(path)
    model, quiz = window.state.model, window.classroom_state.quiz
    window.close()

    again = open_window(qtbot)  # another start, on the default ascent photo
    assert again.open_session(path)
    shown = settled(qtbot, again)
    assert again.state.model == model and again.state.color == "rgb"
    assert again.state.image.name == "photo.png" and again.state.image.channels == 3
    assert len(shown.outputs) == len(outputs)
    for got, want in zip(shown.outputs, outputs):
        assert np.array_equal(got, want)  # the same layer on the same pixels, bit for bit
    state, classroom = again.state, again.classroom_state
    assert (state.selected_filter, state.display_mapping, state.shared_scale, state.seed) == \
        (2, "diverging", True, 3)
    assert classroom.quiz == quiz and classroom.text_scale == 150 and classroom.predict_mode
    assert again.explain_tabs.currentWidget() is again.quiz_panel
    assert "Score: 1 of 1 right" in again.quiz_panel.score.text()
    assert again.output_view.values.shape == outputs[0].shape[1:3]
    assert "Opened the session class.convscope" in again.statusBar().currentMessage()


def test_a_session_with_a_moved_image_asks_for_it(qtbot, tmp_path):
    window = prepared(qtbot, tmp_path)
    path = tmp_path / "home" / "class.convscope"
    assert window.save_session(path)
    model = window.state.model
    window.close()
    elsewhere = tmp_path / "usb" / "photo.png"
    elsewhere.parent.mkdir()
    shutil.move(str(tmp_path / "home" / "pictures" / "photo.png"), elsewhere)

    again = open_window(qtbot)
    before = again.state.image
    assert again.open_session(path)  # everything but the image
    assert again.state.model == model and again.state.color == "rgb"
    assert again.state.image is not before and again.state.image.name == "ascent.png"
    notice = again.banner.message
    assert "photo.png was not found" in notice and "\n" not in notice
    button = find(again, QPushButton, "bannerAction")
    assert button.isVisible() and button.text() == "Find the image..."
    assert again.classroom.sessions.locate_image(elsewhere)
    assert again.state.image.name == "photo.png" and again.state.image.channels == 3
    qtbot.waitUntil(lambda: not button.isVisible())
    settled(qtbot, again)
    np.testing.assert_allclose(again.pipeline.shown.outputs[0], reference(again), rtol=1e-4,
                               atol=1e-2)


def test_a_session_and_its_pictures_copied_together_still_open(qtbot, tmp_path):
    window = prepared(qtbot, tmp_path)
    assert window.save_session(tmp_path / "home" / "class.convscope")
    window.close()
    shutil.move(str(tmp_path / "home"), str(tmp_path / "lab"))  # home/ is gone
    again = open_window(qtbot)
    assert again.open_session(tmp_path / "lab" / "class.convscope")
    assert again.state.image_path == str((tmp_path / "lab" / "pictures" / "photo.png")
                                         .resolve())
    assert not find(again, QPushButton, "bannerAction").isVisible()


def valid_text(window, tmp_path):
    path = tmp_path / "valid.convscope"
    assert window.save_session(path)
    return path.read_text()


def bad_files(window, tmp_path) -> dict:
    """Every kind of bad session, written by the test: name -> (file, what the banner says)."""
    text = valid_text(window, tmp_path)
    document = json.loads(text)
    future = dict(document, version=7)
    hostile = json.loads(text)
    hostile["model"]["layers"][0]["kernel"] = [[[[1e30]]]]
    unknown = json.loads(text)
    unknown["model"]["layers"][0]["kind"] = "Dense"
    contents = {
        "empty": (b"", "is empty"),
        "truncated": (text[: len(text) // 2].encode(), "damaged or incomplete"),
        "binary": (bytes(range(256)) * 8, "not a text file"),
        "future version": (json.dumps(future).encode(), "newer ConvScope"),
        "huge weights": (json.dumps(hostile).encode(), "between"),
        "unknown layer": (json.dumps(unknown).encode(), "does not know"),
        "deeply nested": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        "too large": (b" " * 8_000_100, "too large"),
        "not a session": (b'{"format": "convscope-kernel", "version": 2}', "not a ConvScope"),
    }
    files = {}
    for name, (data, reason) in contents.items():
        path = tmp_path / f"{name.replace(' ', '-')}.convscope"
        path.write_bytes(data)
        files[name] = (path, reason)
    files["missing"] = (tmp_path / "nowhere.convscope", "no such file")
    files["a folder"] = (tmp_path, "is a folder")
    return files


def test_every_bad_session_changes_nothing_and_says_why(qtbot, window, tmp_path):
    window.state.update_spec(strides=(3, 1))
    settled(qtbot, window)
    state, classroom = window.state, window.classroom_state
    before = (state.model, state.image, state.color, state.display_mapping,
              state.selected_filter, classroom.text_scale, classroom.quiz,
              window.pipeline.shown)
    for name, (path, reason) in bad_files(window, tmp_path).items():
        assert not window.open_session(path), name
        assert (state.model, state.image, state.color, state.display_mapping,
                state.selected_filter, classroom.text_scale, classroom.quiz,
                window.pipeline.shown) == before, name
        message = window.banner.message
        assert window.banner.isVisible(), name
        assert message.startswith("Session not opened, nothing changed: "), name
        assert reason in message and "\n" not in message, (name, message)
        assert "Traceback" not in message and len(message) < 300, name


def test_an_unwritable_place_keeps_the_old_session(qtbot, window, tmp_path):
    path = tmp_path / "class.convscope"
    assert window.save_session(path)
    saved = path.read_bytes()
    window.state.update_spec(strides=(2, 2))
    assert not window.save_session(tmp_path / "no-folder" / "class.convscope")
    assert "Session not saved" in window.banner.message
    assert path.read_bytes() == saved


def test_session_on_the_command_line_and_as_a_class_default(qtbot, tmp_path, monkeypatch):
    from gui.app import parse_args, start_window

    window = open_window(qtbot)
    window.state.update_spec(strides=(1, 3), padding="same")
    path = tmp_path / "class.convscope"
    assert window.save_session(path)
    model = window.state.model
    window.close()
    assert parse_args(["--session", str(path)]).session == str(path)
    _app, started = start_window(["--session", str(path)])
    qtbot.addWidget(started)
    wait_for_images(qtbot, started)  # the window shows at once; the session's image follows
    assert started.state.model == model
    settled(qtbot, started)
    assert started.output_view.values.shape == (512, 171)
    started.close()

    monkeypatch.setenv("CONVSCOPE_SESSION", str(path))
    preset = open_window(qtbot)
    assert preset.state.model == model
    preset.close()
    with_image = open_window(qtbot, FACE)  # an image given at start wins over the default
    assert with_image.state.image.name == "face.png" and with_image.state.model != model


def test_the_lesson_uses_the_seed_box_and_a_session_keeps_its_step(qtbot, window, tmp_path):
    seed_box = find(window, QSpinBox, "presetSeed")
    seed_box.setValue(17)
    window.start_lesson()
    kernel = window.state.spec.kernel.copy()
    assert np.array_equal(kernel, random_kernel((3, 3), 1, 1, 17))
    assert np.array_equal(kernel[:, :, 0, 0], Lesson(seed_box.value()).random_kernel)
    assert window.kernel_controls.preset.currentText() == RANDOM
    window.start_lesson()  # Help > Lesson again: the same weights
    assert np.array_equal(window.state.spec.kernel, kernel)
    window.explain_tabs.lesson.go_to(1)
    path = tmp_path / "lesson.convscope"
    assert window.save_session(path)
    assert json.loads(path.read_text())["lesson"] == {"step": 1}
    assert json.loads(path.read_text())["image"] == {"sample": "ascent.png"}
    window.close()

    again = open_window(qtbot, FACE)
    assert again.open_session(path)
    assert again.state.image.name == ASCENT.name and again.explain_tabs.lesson.step == 1
    assert find(again, QSpinBox, "presetSeed").value() == 17
    assert np.array_equal(again.state.spec.kernel, kernel)
    assert again.explain_tabs.currentWidget() is again.explain_tabs.lesson
    assert "(3, 3, 1, 1)" in again.explain_tabs.lesson.text.text()


def test_saved_text_is_the_engines_format(qtbot, window, tmp_path):
    path = tmp_path / "s.convscope"
    assert window.save_session(path)
    session = window.classroom.sessions.current(path)
    assert path.read_text() == session_to_json(session)
