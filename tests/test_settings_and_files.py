"""Atomic saves that never leave a half-written file, and settings that never stop the app."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest
from PIL import Image

import engine.storage.atomic as files
from engine.commands import convolve as cli
from engine.storage.atomic import SaveError, atomic_write_bytes, save_npy, save_png
from gui.settings import SETTINGS_VERSION, Settings, load_settings, save_settings
from tests.conftest import ASCENT
from tests.live_window import open_window
from tests.unprivileged import as_unprivileged, open_folder, remove_folder

OLD = b"the previous, complete file"


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def existing(tmp_path):
    path = tmp_path / "out.npy"
    path.write_bytes(OLD)
    return path


def no_space(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("where", ["fsync", "replace"])
def test_full_disk_leaves_the_old_file_intact(existing, monkeypatch, where):
    monkeypatch.setattr(files.os, where, no_space)
    with pytest.raises(SaveError, match="No space left on device"):
        save_npy(existing, np.ones((1, 3, 3, 1)))
    assert existing.read_bytes() == OLD
    assert leftovers(existing.parent) == []


def test_missing_folder_gives_save_error(tmp_path):
    with pytest.raises(SaveError, match="Cannot write in"):
        atomic_write_bytes(tmp_path / "no" / "such" / "folder" / "out.png", b"x")


def test_read_only_folder_leaves_the_old_file_intact():
    folder = open_folder()  # run as an unprivileged user: root writes into read-only folders
    try:
        existing = folder / "out.npy"
        existing.write_bytes(OLD)
        existing.chmod(0o666)  # the file is writable; only its folder is not
        folder.chmod(0o555)

        def save():
            try:
                save_npy(existing, np.ones((2, 2)))
            except SaveError as exc:
                return str(exc)
            return "saved"

        assert as_unprivileged(save) == f"Cannot write in {folder}: {os.strerror(13)}."
        assert existing.read_bytes() == OLD and leftovers(folder) == []
    finally:
        remove_folder(folder)


def test_saves_round_trip(tmp_path):
    values = np.arange(12, dtype=np.float32).reshape(1, 3, 4, 1) - 5
    save_npy(tmp_path / "raw.npy", values)
    assert np.array_equal(np.load(tmp_path / "raw.npy"), values)
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    save_png(tmp_path / "shown.png", gray)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "shown.png")), gray)
    assert leftovers(tmp_path) == []


def test_convolve_command_cannot_save(tmp_path, capsys, monkeypatch):
    target = tmp_path / "out.npy"
    target.write_bytes(OLD)
    monkeypatch.setattr(files.os, "replace", no_space)
    assert cli.main([str(ASCENT), "-o", str(target)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: Cannot save out.npy")
    assert target.read_bytes() == OLD


# -- settings --------------------------------------------------------------------------------
def env_for(path, **extra):
    return {"CONVSCOPE_SETTINGS": str(path), **extra}


def test_defaults_without_a_file(tmp_path):
    settings = load_settings(env_for(tmp_path / "none.ini"))
    assert settings == Settings() and settings.notes == ()


def test_save_and_load_round_trip(tmp_path):
    path = tmp_path / "lab" / "convscope.ini"
    chosen = Settings(image_folder=str(tmp_path), start_in_lesson=False,
                      display_mapping="diverging")
    save_settings(chosen, path)
    assert f"version={SETTINGS_VERSION}" in path.read_text()
    loaded = load_settings(env_for(path))
    assert loaded == chosen and loaded.notes == ()


def test_failed_settings_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "convscope.ini"
    save_settings(Settings(display_mapping="clip"), path)
    before = path.read_bytes()
    monkeypatch.setattr(files.os, "fsync", no_space)
    with pytest.raises(SaveError):
        save_settings(Settings(display_mapping="abs"), path)
    assert path.read_bytes() == before and leftovers(tmp_path) == []


@pytest.mark.parametrize("content,words", [
    (bytes(range(256)) * 8, "unreadable or corrupt"),
    (b"[defaults\nimage_folder=/tmp\n[[[\n=\n", "unreadable or corrupt"),
    (b"[defaults]\nstart_in_lesson=false\n", "older ConvScope"),
    (b"version=0\n[defaults]\ndisplay_mapping=clip\n", "older ConvScope"),
    (b"version=99\n[defaults]\ndisplay_mapping=clip\n", "newer ConvScope"),
    (b"version=banana\n[defaults]\ndisplay_mapping=clip\n", "older ConvScope"),
])
def test_corrupt_or_other_version_files_fall_back_to_defaults(tmp_path, content, words):
    path = tmp_path / "convscope.ini"
    path.write_bytes(content)
    settings = load_settings(env_for(path))
    assert settings == Settings()
    assert len(settings.notes) == 1 and words in settings.notes[0]


def test_any_failure_while_reading_falls_back(tmp_path, monkeypatch):
    import gui.settings

    def broken(*_args):
        raise RuntimeError("odd platform error")

    monkeypatch.setattr(gui.settings, "_read_file", broken)
    settings = load_settings(env_for(tmp_path / "convscope.ini"))
    assert settings == Settings() and "odd platform error" in settings.notes[0]


def test_a_folder_instead_of_a_file(tmp_path):
    settings = load_settings(env_for(tmp_path))
    assert settings == Settings() and "unreadable" in settings.notes[0]


def test_bad_values_fall_back_one_by_one(tmp_path):
    path = tmp_path / "convscope.ini"
    path.write_text("version=1\n[defaults]\nimage_folder=/no/such/folder\n"
                    "start_in_lesson=maybe\ndisplay_mapping=clip\n")
    settings = load_settings(env_for(path))
    assert settings == Settings(display_mapping="clip")  # the one good value is kept
    assert len(settings.notes) == 2
    assert "/no/such/folder" in settings.notes[0] and "maybe" in settings.notes[1]


def test_environment_overrides_the_file(tmp_path):
    path = tmp_path / "convscope.ini"
    save_settings(Settings(start_in_lesson=True, display_mapping="clip"), path)
    settings = load_settings(env_for(
        path, CONVSCOPE_IMAGE_FOLDER=str(tmp_path), CONVSCOPE_START_IN_LESSON="0",
        CONVSCOPE_DISPLAY_MAPPING="ABS"))
    assert settings == Settings(str(tmp_path), False, "abs") and settings.notes == ()


def test_bad_environment_values_are_noted_not_used(tmp_path):
    path = tmp_path / "convscope.ini"
    save_settings(Settings(display_mapping="clip"), path)
    settings = load_settings(env_for(
        path, CONVSCOPE_IMAGE_FOLDER=str(tmp_path / "gone"), CONVSCOPE_START_IN_LESSON="2",
        CONVSCOPE_DISPLAY_MAPPING="jet"))
    assert settings == Settings(display_mapping="clip")
    assert [n.split(":")[0] for n in settings.notes] == [
        "CONVSCOPE_IMAGE_FOLDER", "CONVSCOPE_START_IN_LESSON", "CONVSCOPE_DISPLAY_MAPPING"]


def test_window_opens_with_a_corrupt_settings_file(qtbot, tmp_path, monkeypatch):
    path = tmp_path / "convscope.ini"
    path.write_bytes(b"\x00\xff" * 300)
    monkeypatch.setenv("CONVSCOPE_SETTINGS", str(path))
    window = open_window(qtbot)
    assert window.settings == Settings()
    assert "corrupt" in window.statusBar().currentMessage()
