"""Class defaults (settings file or CONVSCOPE_* variables) reach the real window."""

from gui.settings import Settings, save_settings
from tests.conftest import FACE
from tests.live_window import make_window, wait_for_images


def open_window(qtbot, *args):
    return make_window(qtbot, *args, seed=1)


def test_environment_sets_mapping_and_starts_the_lesson(qtbot, monkeypatch):
    monkeypatch.setenv("CONVSCOPE_DISPLAY_MAPPING", "diverging")
    monkeypatch.setenv("CONVSCOPE_START_IN_LESSON", "1")
    window = open_window(qtbot)
    assert window.state.display_mapping == "diverging"
    assert window.output_view.mapping == "diverging"
    assert window.explain_tabs.currentWidget() is window.explain_tabs.lesson


def test_settings_file_is_read_and_an_image_argument_wins_over_the_lesson(qtbot, monkeypatch,
                                                                          tmp_path):
    path = tmp_path / "class.ini"
    save_settings(Settings(image_folder=str(tmp_path), start_in_lesson=True,
                           display_mapping="clip"), path)
    monkeypatch.setenv("CONVSCOPE_SETTINGS", str(path))
    window = open_window(qtbot, FACE)
    wait_for_images(qtbot, window)
    assert window.settings.image_folder == str(tmp_path)
    assert window.state.display_mapping == "clip"
    assert window.state.image.name == "face.png"  # not replaced by the lesson's ascent


def test_defaults_without_settings(qtbot):
    window = open_window(qtbot)
    assert window.state.display_mapping == "auto"
    assert window.explain_tabs.currentWidget() is not window.explain_tabs.lesson


def test_the_guides_class_file_is_accepted(qtbot, monkeypatch, tmp_path):
    """The example in docs/lab-deployment.md, copied as a teacher would, must work."""
    from pathlib import Path

    guide = (Path(__file__).resolve().parent.parent / "docs" / "lab-deployment.md").read_text()
    example = guide.split("```ini\n", 1)[1].split("```", 1)[0]
    example = example.replace("/srv/class/conv-images", str(tmp_path))
    path = tmp_path / "convscope-class.ini"
    path.write_text(example)
    monkeypatch.setenv("CONVSCOPE_SETTINGS", str(path))
    window = open_window(qtbot)
    assert window.settings.notes == ()
    assert window.settings.image_folder == str(tmp_path)
    assert window.state.display_mapping == "diverging"
