"""The packaged app, as a lab machine gets it (slow: `make package-test`).

Builds dist/ConvScope with PyInstaller unless it is newer than every source file, copies the
folder somewhere away from the source tree, and runs it there with no display, no PYTHONPATH
and no access to the checkout: the self-test, the lesson through `convolve`, and a clean error.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
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


# --- The portable Linux bundle on minimal Debian 11 systems (`make package-test`) ---------
# CONVSCOPE_LAB_ROOTS names the folder of roots packaging/portable/make_root.sh made:
# bullseye-lab (minbase plus the packages docs/lab-deployment.md lists) and bullseye-bare
# (minbase alone). The bundle is copied to /opt/ConvScope inside each and run there, chrooted,
# with no variable of this machine but the display.

LAB_ROOTS = os.environ.get("CONVSCOPE_LAB_ROOTS")
IN_ROOT = ROOT / "packaging" / "portable" / "in_root.sh"
MAX_BUNDLE_MB = 1000
MISSING_GL = "libGL.so.1 is missing: install libgl1 (Debian/Ubuntu) or mesa-libGL (RHEL)"


def debian_root(name: str) -> Path:
    if not (sys.platform.startswith("linux") and LAB_ROOTS):
        pytest.skip("needs the Debian 11 roots of `make package-test` (CONVSCOPE_LAB_ROOTS)")
    root = Path(LAB_ROOTS).resolve() / name
    assert (root / f".convscope-root-{name.split('-')[1]}").exists(), f"{root}: not made"
    return root


def install_into(root: Path) -> Path:
    """The bundle copied to ROOT/opt/ConvScope, fresh, as an admin would unpack it."""
    target = root / "opt" / "ConvScope"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(build_bundle(), target, symlinks=True)
    return target


@pytest.fixture(scope="module")
def lab_machine() -> Path:
    root = debian_root("bullseye-lab")
    install_into(root)
    return root


@pytest.fixture(scope="module")
def bare_machine() -> Path:
    root = debian_root("bullseye-bare")
    install_into(root)
    return root


def root_command(root: Path, *args: str, platform: str | None) -> list[str]:
    """/opt/ConvScope/ConvScope ARGS, chrooted into ROOT, started in a fresh home folder."""
    home = Path(tempfile.mkdtemp(dir=root / "tmp", prefix="home-"))
    env = [f"HOME=/tmp/{home.name}"] + ([f"QT_QPA_PLATFORM={platform}"] if platform else [])
    return [str(IN_ROOT), str(root), "/usr/bin/env", *env, "/opt/ConvScope/ConvScope", *args]


def host_env(display: str | None) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], **({"DISPLAY": display} if display else {})}


def run_in_root(root: Path, *args: str, display: str | None = None,
                platform: str | None = "offscreen") -> subprocess.CompletedProcess:
    return subprocess.run(root_command(root, *args, platform=platform), capture_output=True,
                          text=True, env=host_env(display), timeout=RUN_TIMEOUT_S)


def start_in_root(root: Path, display: str | None = None,
                  platform: str | None = "offscreen") -> subprocess.Popen:
    """The window, started in its own process group (the chroot's processes are in it)."""
    return subprocess.Popen(root_command(root, platform=platform), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=host_env(display),
                            start_new_session=True)


def stop(app: subprocess.Popen) -> str:
    """End the window and every process it started; its stderr."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(app.pid, signal.SIGTERM)
    try:
        return app.communicate(timeout=60)[1]
    except subprocess.TimeoutExpired:
        os.killpg(app.pid, signal.SIGKILL)
        return app.communicate()[1]


@pytest.fixture(scope="module")
def xvfb_display():
    """A virtual X display on this machine; the roots see its socket (in_root.sh)."""
    if not shutil.which("Xvfb"):
        pytest.fail("Xvfb is missing: apt-get install xvfb x11-utils")
    number = 90 + os.getpid() % 9
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x800x24",
                               "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    socket = Path(f"/tmp/.X11-unix/X{number}")
    deadline = time.monotonic() + 30
    while not socket.exists() and time.monotonic() < deadline and server.poll() is None:
        time.sleep(0.1)
    assert socket.exists(), "Xvfb did not start"
    yield f":{number}"
    server.terminate()
    server.wait(timeout=30)


def assert_no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr


def test_glibc_floor_is_debian_11():
    debian_root("bullseye-lab")  # the portable build only
    result = subprocess.run([sys.executable, str(ROOT / "packaging" / "glibc_floor.py"),
                             str(build_bundle()), "--max-glibc", "2.31", "--max-glibcxx",
                             "3.4.28"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout


def test_portable_bundle_leaves_out_system_and_unused_files():
    debian_root("bullseye-lab")
    bundle = build_bundle()
    names = {p.name for p in bundle.rglob("*")}
    for system in ("libstdc++.so.6", "libgcc_s.so.1", "libexpat.so.1", "libc.so.6"):
        assert system not in names, system
    for unused in ("stablehlo_extension.so", "_xla_ops.so", "lib_native_proto_caster.so",
                   "libqwayland-egl.so", "libqeglfs.so", "libqvnc.so", "libqgtk3.so",
                   "libQt6Network.so.6", "libgssapi_krb5.so.2"):
        assert unused not in names, unused
    assert not list(bundle.rglob("translations/*.qm"))
    assert not [p for p in bundle.rglob("*") if p.is_symlink() and not p.exists()]
    assert {"libqxcb.so", "libqoffscreen.so", "libxcb-cursor.so.0"} <= names
    size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink())
    assert size <= MAX_BUNDLE_MB * 2**20, f"{size / 2**20:.0f} MB"


def test_self_test_on_minimal_debian_11(lab_machine):
    result = run_in_root(lab_machine, "--self-test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok   main window: offscreen platform" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("self-test passed")
    assert_no_traceback(result)


def test_the_lesson_through_convolve_on_minimal_debian_11(lab_machine, ascent_pixels):
    out = lab_machine / "tmp" / "lesson.npy"
    out.unlink(missing_ok=True)
    result = run_in_root(lab_machine, "convolve", "/opt/ConvScope/_internal/resources/ascent.png",
                         "--strides", "2", "1", "-o", "/tmp/lesson.npy")
    assert_lesson_run(result, out, ascent_pixels)


def test_window_starts_offscreen_on_minimal_debian_11(lab_machine):
    """The ordinary start (not the self-test): still running once the engine has loaded."""
    app = start_in_root(lab_machine)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            app.wait(timeout=25)
    finally:
        stderr = stop(app)
    assert "Traceback" not in stderr and "cannot start" not in stderr, stderr


def test_window_on_xvfb_on_minimal_debian_11(lab_machine, xvfb_display):
    result = run_in_root(lab_machine, "--self-test", display=xvfb_display, platform="xcb")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok   main window: xcb platform" in result.stdout
    assert_no_traceback(result)
    # The ordinary start, with no platform set: Qt picks xcb and the window maps on the display.
    app = start_in_root(lab_machine, display=xvfb_display, platform=None)
    try:
        deadline, tree = time.monotonic() + 120, ""
        while time.monotonic() < deadline and app.poll() is None and '"ConvScope' not in tree:
            time.sleep(0.5)
            tree = subprocess.run(["xwininfo", "-root", "-tree", "-display", xvfb_display],
                                  capture_output=True, text=True, timeout=30).stdout
        running = app.poll() is None
    finally:
        stderr = stop(app)
    assert running, stderr
    assert '"ConvScope' in tree, tree
    assert "Traceback" not in stderr, stderr


def test_a_missing_system_library_is_named(bare_machine, ascent_pixels):
    """On minbase alone, without libGL: one line naming the package, exit 1, no traceback."""
    result = run_in_root(bare_machine, "--self-test")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"FAIL main window: {MISSING_GL}" in result.stdout
    assert result.stdout.splitlines()[-1] == "self-test FAILED at: main window"
    assert_no_traceback(result)
    window = run_in_root(bare_machine, platform=None)
    assert window.returncode == 1
    assert MISSING_GL in window.stderr
    assert_no_traceback(window)
    # The headless command needs no graphics library at all.
    out = bare_machine / "tmp" / "lesson.npy"
    out.unlink(missing_ok=True)
    lesson = run_in_root(bare_machine, "convolve", "/opt/ConvScope/_internal/resources/ascent.png",
                         "--strides", "2", "1", "-o", "/tmp/lesson.npy")
    assert_lesson_run(lesson, out, ascent_pixels)
