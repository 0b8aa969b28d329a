"""The classroom's class defaults (text scales, presentation mode, a session) and what the
window remembers (its scales and geometry), on real INI files."""

import os

import pytest

from gui.classroom.remembered import Remembered, load_remembered, remember
from gui.settings import Settings, load_settings, save_settings
from tests.unprivileged import as_unprivileged, open_folder, remove_folder


def test_the_file_and_the_environment_preset_the_classroom(tmp_path):
    path = tmp_path / "class.ini"
    path.write_text("version=1\n[defaults]\ntext_scale=125%\npresentation_text_scale=175\n"
                    "start_in_presentation=true\nsession=~/week3.convscope\n")
    settings = load_settings({"CONVSCOPE_SETTINGS": str(path)})
    assert (settings.text_scale, settings.presentation_text_scale,
            settings.start_in_presentation) == (125, 175, True)
    assert settings.session == os.path.expanduser("~/week3.convscope")
    assert settings.notes == ()
    overridden = load_settings({"CONVSCOPE_SETTINGS": str(path), "CONVSCOPE_TEXT_SCALE": "150",
                                "CONVSCOPE_START_IN_PRESENTATION": "0",
                                "CONVSCOPE_SESSION": "/srv/other.convscope"})
    assert (overridden.text_scale, overridden.start_in_presentation, overridden.session) == \
        (150, False, "/srv/other.convscope")


@pytest.mark.parametrize("value", ["99", "251", "big", "1e3", ""])
def test_a_bad_scale_is_dropped_alone(tmp_path, value):
    settings = load_settings({"CONVSCOPE_SETTINGS": str(tmp_path / "none.ini"),
                              "CONVSCOPE_PRESENTATION_TEXT_SCALE": value,
                              "CONVSCOPE_DISPLAY_MAPPING": "clip"})
    assert settings == Settings(display_mapping="clip")
    assert len(settings.notes) == (1 if value else 0)
    if value:
        assert "100 to 250" in settings.notes[0]


def test_saved_class_defaults_read_back(tmp_path):
    wanted = Settings(text_scale=110, presentation_text_scale=225, start_in_presentation=True,
                      session=str(tmp_path / "s.convscope"))
    assert load_settings({"CONVSCOPE_SETTINGS": str(save_settings(wanted,
                                                                   tmp_path / "c.ini"))}) \
        == wanted


def test_remembered_values_keep_the_class_defaults(tmp_path):
    path = tmp_path / "convscope.ini"
    save_settings(Settings(display_mapping="abs", text_scale=125), path)
    assert load_remembered(path) == Remembered()
    assert remember(Remembered(150, 225, b"\x01geometry\x00"), path)
    assert load_remembered(path) == Remembered(150, 225, b"\x01geometry\x00")
    settings = load_settings({"CONVSCOPE_SETTINGS": str(path)})
    assert (settings.display_mapping, settings.text_scale, settings.notes) == ("abs", 125, ())


def test_a_file_of_another_version_or_read_only_is_never_written(tmp_path):
    newer = tmp_path / "newer.ini"
    newer.write_text("version=2\n[defaults]\ntext_scale=150\n")
    before = newer.read_bytes()
    assert not remember(Remembered(200, 200, None), newer)
    assert newer.read_bytes() == before and load_remembered(newer) == Remembered()
    shared = open_folder()  # a class file on a share the students may only read
    try:
        class_file = shared / "class.ini"
        save_settings(Settings(text_scale=175), class_file)
        saved = class_file.read_bytes()
        class_file.chmod(0o644)
        assert as_unprivileged(remember, Remembered(200, 200, b"geometry"), class_file) is False
        assert class_file.read_bytes() == saved
        assert as_unprivileged(load_settings, {"CONVSCOPE_SETTINGS": str(class_file)}) \
            .text_scale == 175
    finally:
        remove_folder(shared)
