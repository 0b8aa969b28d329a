"""`main.py --self-test` in a real process, its failure report, and the desktop files."""

import ast
import configparser
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from PIL import Image

from engine.commands import selftest
from engine.images.loading import from_array
from engine.storage.resources import icon_paths, sample_paths
from tests.conftest import ROOT
from tests.numpy_reference import cross_correlate


def test_self_test_passes_headless(run_main):
    result = run_main("--self-test", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for check in ("sample image", "main window", "Keras lesson shape", "all-ones kernel"):
        assert any(line.startswith(f"ok   {check}: ") for line in lines), result.stdout
    assert "(1, 255, 510, 1)" in result.stdout
    assert "first Keras output 255x510" in result.stdout
    assert lines[-1].startswith("self-test passed")


def test_a_failing_check_exits_1_and_is_named(capsys):
    def broken_window() -> str:
        raise selftest.CheckFailed("no output within 1 s")

    assert selftest.run_self_test(window_check=broken_window) == 1
    out = capsys.readouterr().out
    assert "FAIL main window: no output within 1 s" in out
    assert out.splitlines()[-1] == "self-test FAILED at: main window"
    assert "Keras lesson shape" not in out  # it stops at the first failure


def test_wrong_sample_image_fails_the_first_check(monkeypatch, tmp_path, capsys):
    small = tmp_path / "ascent.png"
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(small)
    monkeypatch.setattr(selftest, "default_sample", lambda: small)
    assert selftest.run_self_test() == 1
    assert "FAIL sample image: " in capsys.readouterr().out


def test_box_sum_agrees_with_the_reference():
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 256, size=(13, 17)).astype(np.float32)
    for strides in ((1, 1), (2, 1), (3, 2)):
        np.testing.assert_allclose(selftest.box_sum(pixels, 3, strides),
                                   cross_correlate(pixels, np.ones((3, 3)), strides))
    assert "matches the NumPy box sum" in selftest.check_box_sum(from_array(pixels))


def test_icon_sizes_svg_and_ico():
    sizes = [Image.open(p).size for p in icon_paths()]
    assert sizes == [(s, s) for s in (16, 24, 32, 48, 64, 128, 256)]
    assert all(p.name != "icon-16.png" for p in sample_paths())  # icons are not samples
    svg = ET.parse(ROOT / "resources" / "icon.svg").getroot()
    assert svg.get("viewBox") == "0 0 256 256"
    ico = Image.open(ROOT / "resources" / "icon.ico")
    assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= ico.info["sizes"]


def test_window_icon_is_set(qapp):
    from gui.app import configure_application

    configure_application(qapp)
    assert not qapp.windowIcon().isNull()
    assert {s.width() for s in qapp.windowIcon().availableSizes()} >= {16, 32, 256}


def test_desktop_entry_and_windows_version_info():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(ROOT / "packaging" / "linux" / "convscope.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Name"] == "ConvScope"
    assert desktop["Exec"].endswith("/ConvScope %f") and desktop["Icon"] == "convscope"
    assert "Education;" in desktop["Categories"]
    validator = shutil.which("desktop-file-validate")
    if validator:  # freedesktop.org's own checker, where installed
        checked = subprocess.run([validator, str(ROOT / "packaging/linux/convscope.desktop")],
                                 capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr

    sys.path.insert(0, str(ROOT / "packaging"))
    from version_info import project_version, version_tuple, windows_version_info

    version = project_version(ROOT / "pyproject.toml")
    text = windows_version_info(version)
    ast.parse(text)  # PyInstaller evaluates it as Python
    assert f"filevers={version_tuple(version)}" in text and f"'{version}'" in text
    assert version_tuple("1.2.3rc1") == (1, 2, 3, 0) and version_tuple("2") == (2, 0, 0, 0)


def test_app_data_dir_is_qts_app_local_data_location(qapp):
    from PySide6.QtCore import QStandardPaths

    from engine.storage.folders import app_data_dir

    qapp.setOrganizationName("ConvScope")
    qapp.setApplicationName("ConvScope")
    qt_dir = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppLocalDataLocation)
    assert Path(qt_dir) == app_data_dir()


def test_keras_settings_stay_in_convscopes_folder(tmp_path):
    """A lab account's ~/.keras/keras.json (channels_first) neither changes the output nor
    gets a sibling: Keras reads and writes its settings in ConvScope's data folder."""
    home = tmp_path / "home"
    (home / ".keras").mkdir(parents=True)
    (home / ".keras" / "keras.json").write_text('{"image_data_format": "channels_first"}')
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_HOME", "XDG_DATA_HOME")}
    env["HOME"] = str(home)
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "convolve", str(ROOT / "resources" / "ascent.png"),
         "--strides", "2", "1"], capture_output=True, text=True, env=env, timeout=180,
        cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "(1, 255, 510, 1)"
    assert sorted(p.name for p in (home / ".keras").iterdir()) == ["keras.json"]
    ours = home / ".local" / "share" / "ConvScope" / "ConvScope" / "keras" / "keras.json"
    assert '"channels_last"' in ours.read_text()
