"""The packaged app, as a lab machine gets it (slow: `make package-test`).

Builds dist/ConvScope with PyInstaller unless it is newer than every source file, copies the
folder somewhere away from the source tree, and runs it there with no display, no PYTHONPATH
and no access to the checkout: the self-test, the lesson through `convolve`, and a clean error.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, assert_lesson_run

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3 * 3600)]  # builds for minutes

DIST = ROOT / "dist" / "ConvScope"
EXE_NAME = "ConvScope.exe" if sys.platform == "win32" else "ConvScope"
SOURCES = ["main.py", "pyproject.toml", "engine", "gui", "resources", "packaging"]
BUILD_TIMEOUT_S = 3600
RUN_TIMEOUT_S = 300


def newest_source_mtime() -> float:
    times = []
    for name in SOURCES:
        path = ROOT / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        times += [p.stat().st_mtime for p in files if "__pycache__" not in p.parts]
    return max(times)


def build_bundle() -> Path:
    exe = DIST / EXE_NAME
    if exe.exists() and exe.stat().st_mtime > newest_source_mtime():
        return DIST  # fresh: built after the last source change
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
                    "--distpath", "dist", "--workpath", "build", "packaging/convscope.spec"],
                   cwd=ROOT, check=True, timeout=BUILD_TIMEOUT_S)
    return DIST


@pytest.fixture(scope="module")
def lab_copy(tmp_path_factory) -> Path:
    """The bundle copied to a fresh folder, as an admin would unpack it."""
    target = tmp_path_factory.mktemp("lab") / "ConvScope"
    shutil.copytree(build_bundle(), target, symlinks=True)
    assert ROOT not in target.parents
    return target


def run_bundle(folder: Path, *args: str, cwd: Path,
               home: Path | None = None) -> subprocess.CompletedProcess:
    """Start the copied executable with no display and no trace of the development setup."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "PYTHONPATH",
                        "PYTHONHOME", "VIRTUAL_ENV", "KERAS_BACKEND", "KERAS_HOME")
           and not k.startswith("XDG_")}
    if home is not None:
        env["HOME"] = env["USERPROFILE"] = str(home)
        env.pop("LOCALAPPDATA", None)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if "venv" not in p)
    return subprocess.run([str(folder / EXE_NAME), *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=RUN_TIMEOUT_S)


def bundled_ascent(folder: Path) -> Path:
    found = list(folder.rglob("resources/ascent.png"))
    assert len(found) == 1, found
    return found[0]


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_self_test_passes_in_the_copied_bundle(lab_copy, tmp_path):
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    before = files_under(lab_copy)
    result = run_bundle(lab_copy, "--self-test", cwd=work, home=home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok   main window: offscreen platform" in result.stdout
    assert "(1, 255, 510, 1)" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("self-test passed")
    # It wrote nothing where it was started, nothing in its own folder, and in the home
    # folder only Keras's settings, inside ConvScope's data folder.
    assert files_under(work) == [] and files_under(lab_copy) == before
    if sys.platform.startswith("linux"):
        assert files_under(home) == [".local/share/ConvScope/ConvScope/keras/keras.json"]


def test_the_lesson_through_convolve(lab_copy, tmp_path, ascent_pixels):
    ascent = bundled_ascent(lab_copy)
    out = tmp_path / "lesson.npy"
    result = run_bundle(lab_copy, "convolve", str(ascent), "--strides", "2", "1",
                        "-o", str(out), cwd=tmp_path)
    assert_lesson_run(result, out, ascent_pixels)
    same = run_bundle(lab_copy, "convolve", str(ascent), "--padding", "same", cwd=tmp_path)
    assert same.returncode == 0 and same.stdout.splitlines()[0] == "(1, 512, 512, 1)"


def test_bad_input_is_one_error_line(lab_copy, tmp_path):
    result = run_bundle(lab_copy, "convolve", "missing.png", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["error: missing.png: no such file."]


def bundled_modules(folder: Path) -> set[str]:
    """Every Python module in the executable's archive (PyInstaller's own reader)."""
    readers = pytest.importorskip("PyInstaller.archive.readers")
    archive = readers.CArchiveReader(str(folder / EXE_NAME))
    return set(archive.open_embedded_archive("PYZ.pyz").toc)


def test_bundle_holds_the_resources_and_leaves_out_unused_parts(lab_copy):
    names = {p.name for p in lab_copy.rglob("*")}
    assert {"ascent.png", "face.png", "icon.svg", "icon.ico", "icon-256.png"} <= names
    for unused in ("QtNetwork.abi3.so", "QtQml.abi3.so", "QtQuick.abi3.so", "QtSql.abi3.so",
                   "QtTest.abi3.so"):
        assert unused not in names, unused
    modules = bundled_modules(lab_copy)
    assert {"keras", "tensorflow", "engine.backend.keras_model", "gui.selftest_window"} <= modules
    for unused in ("pytest", "_pytest", "pytestqt", "hypothesis", "tkinter", "matplotlib",
                   "PyQt5", "PyQt6", "PySide2", "setuptools", "pip", "pyqtgraph.examples"):
        assert not {m for m in modules if m == unused or m.startswith(unused + ".")}, unused


def test_linux_menu_entry_installs_for_one_user(lab_copy, tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("the .desktop entry is for Linux desktops")
    share = tmp_path / "share"
    result = subprocess.run([str(lab_copy / "install-desktop-entry.sh")], capture_output=True,
                            text=True, env={**os.environ, "XDG_DATA_HOME": str(share)},
                            timeout=60)
    assert result.returncode == 0, result.stderr
    entry = (share / "applications" / "convscope.desktop").read_text()
    assert f'Exec="{lab_copy / EXE_NAME}" %f' in entry
    assert (share / "icons/hicolor/48x48/apps/convscope.png").stat().st_size > 0
    assert (share / "icons/hicolor/scalable/apps/convscope.svg").exists()
