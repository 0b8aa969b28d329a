"""Class defaults that cannot be used never stop the window: a bad folder value (an unknown
user's ~, an over-long name, a folder that cannot be entered) is dropped alone, with a note,
whether it comes from the environment or the INI file; a settings "file" that is a FIFO is
not read, so start-up cannot hang."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from engine.storage.atomic import SaveError
from gui.settings import Settings, load_settings, save_settings
from tests.conftest import ROOT
from tests.live_window import open_window
from tests.unprivileged import as_unprivileged, open_folder, remove_folder

UNKNOWN_USER_HOME = "~convscope-no-such-user-4821/images"
BAD_FOLDERS = [UNKNOWN_USER_HOME, "/tmp/" + "f" * 300, "f" * 300]


@pytest.fixture
def shared():
    folder = open_folder()
    yield folder
    remove_folder(folder)


@pytest.mark.parametrize("folder", BAD_FOLDERS)
def test_a_bad_folder_in_the_environment_is_dropped_alone(tmp_path, folder):
    settings = load_settings({"CONVSCOPE_SETTINGS": str(tmp_path / "none.ini"),
                              "CONVSCOPE_IMAGE_FOLDER": folder,
                              "CONVSCOPE_DISPLAY_MAPPING": "clip"})
    assert settings == Settings(display_mapping="clip")
    assert len(settings.notes) == 1 and settings.notes[0].startswith("CONVSCOPE_IMAGE_FOLDER: ")
    assert "File > Open starts in its usual place" in settings.notes[0]


@pytest.mark.parametrize("folder", BAD_FOLDERS)
def test_a_bad_folder_in_the_file_keeps_the_files_other_values(tmp_path, folder):
    path = tmp_path / "class.ini"
    path.write_text(f"version=1\n[defaults]\nimage_folder={folder}\nstart_in_lesson=1\n"
                    f"display_mapping=diverging\n")
    settings = load_settings({"CONVSCOPE_SETTINGS": str(path)})
    assert settings == Settings(start_in_lesson=True, display_mapping="diverging")
    assert len(settings.notes) == 1 and settings.notes[0].startswith("defaults/image_folder: ")


def test_an_unknown_users_home_is_named_in_the_note(tmp_path):
    settings = load_settings({"CONVSCOPE_SETTINGS": str(tmp_path / "none.ini"),
                              "CONVSCOPE_IMAGE_FOLDER": UNKNOWN_USER_HOME})
    assert "names a home folder this computer does not know" in settings.notes[0]


def folder_setting(settings_file, folder) -> tuple[str, tuple[str, ...]]:
    settings = load_settings({"CONVSCOPE_SETTINGS": str(settings_file),
                              "CONVSCOPE_IMAGE_FOLDER": str(folder)})
    return settings.image_folder, settings.notes


def test_folders_the_user_cannot_enter_are_dropped(shared):
    (shared / "open").mkdir()
    (shared / "private").mkdir(mode=0o700)
    (shared / "private" / "inside").mkdir()
    (shared / "closed").mkdir()
    (shared / "closed").chmod(0o000)
    none = shared / "none.ini"
    assert as_unprivileged(folder_setting, none, shared / "open") == (str(shared / "open"), ())
    folder, notes = as_unprivileged(folder_setting, none, shared / "private" / "inside")
    assert folder == "" and f"cannot be used ({os.strerror(13)})" in notes[0]
    folder, notes = as_unprivileged(folder_setting, none, shared / "closed")
    assert folder == "" and "is a folder you may not open (permission denied)" in notes[0]


def test_the_window_opens_with_an_unusable_folder(qtbot, monkeypatch):
    monkeypatch.setenv("CONVSCOPE_IMAGE_FOLDER", UNKNOWN_USER_HOME)
    window = open_window(qtbot)
    assert window.settings.image_folder == ""
    assert "CONVSCOPE_IMAGE_FOLDER" in window.statusBar().currentMessage()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_as_the_settings_file_is_not_read(tmp_path):
    fifo = tmp_path / "settings.ini"
    os.mkfifo(fifo)
    code = ("from gui.settings import load_settings; s = load_settings(); "
            "print(s.display_mapping); print(*s.notes)")
    env = {**os.environ, "CONVSCOPE_SETTINGS": str(fifo)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, cwd=ROOT, env=env)  # before: waited for a writer
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "auto", "Settings file settings.ini is unreadable (not a regular file): using the "
                "defaults."]


def test_saving_settings_where_no_folder_can_be_made_is_a_save_error(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(SaveError, match="Cannot create the folder"):
        save_settings(Settings(), tmp_path / "a-file" / "lab" / "ConvScope.ini")
