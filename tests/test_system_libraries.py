"""A missing system library is named with its package, in the self-test and at window start.

The libraries under test are real ELF shared objects written here whose DT_NEEDED names a
library no system has, so the dynamic loader itself produces the error being turned into a
message. (The bundle on a real minimal Debian 11 is tested in tests/test_package.py.)
"""

import os
import platform
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from engine.commands import selftest
from engine.storage.system_libraries import (
    PACKAGES,
    install_hint,
    load_problem,
    missing_library,
    missing_library_message,
)
from gui.system_check import platform_name, qt_start_problem
from tests.conftest import ROOT

ABSENT = "libconvscope-absent.so.1"
MISSING_GL = "libGL.so.1 is missing: install libgl1 (Debian/Ubuntu) or mesa-libGL (RHEL)"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux")
                                or platform.machine() not in ("x86_64", "aarch64"),
                                reason="writes an ELF shared object for this Linux machine")


def shared_object(path: Path, needed: str) -> Path:
    """The smallest ELF64 shared object the loader maps: one segment, a dynamic section whose
    only dependency is NEEDED, no symbols. Loading it fails exactly when NEEDED is missing."""
    machine = {"x86_64": 62, "aarch64": 183}[platform.machine()]
    strings = b"\0" + needed.encode() + b"\0"
    phoff, phnum = 64, 3
    strtab = phoff + 56 * phnum
    symtab = (strtab + len(strings) + 7) // 8 * 8
    dynamic = symtab + 24  # one null symbol
    entries = [(1, 1), (5, strtab), (10, len(strings)), (6, symtab), (11, 24), (0, 0)]
    size = dynamic + 16 * len(entries)
    header = (b"\x7fELF\x02\x01\x01" + bytes(9)
              + struct.pack("<HHIQQQIHHHHHH", 3, machine, 1, 0, phoff, 0, 0, 64, 56, phnum,
                            64, 0, 0))
    segments = (struct.pack("<IIQQQQQQ", 1, 6, 0, 0, 0, size, size, 0x1000)  # PT_LOAD
                + struct.pack("<IIQQQQQQ", 2, 6, dynamic, dynamic, dynamic, 16 * len(entries),
                              16 * len(entries), 8)  # PT_DYNAMIC
                + struct.pack("<IIQQQQQQ", 0x6474E551, 6, 0, 0, 0, 0, 0, 16))  # PT_GNU_STACK
    body = header + segments + strings
    body += bytes(symtab - len(body)) + bytes(24)
    body += b"".join(struct.pack("<qQ", tag, value) for tag, value in entries)
    path.write_bytes(body)
    return path


def test_the_issue_message_for_libgl():
    assert install_hint("libGL.so.1") == MISSING_GL
    error = ImportError("libGL.so.1: cannot open shared object file: No such file or directory")
    assert missing_library_message(error) == MISSING_GL


def test_every_known_library_is_recognised_in_the_loaders_words():
    for soname, (debian, rhel) in PACKAGES.items():
        text = f"{soname}: cannot open shared object file: No such file or directory"
        assert missing_library(OSError(text)) == soname
        assert f"install {debian} (Debian/Ubuntu) or {rhel} (RHEL)" in install_hint(soname)


def test_other_errors_are_not_taken_for_a_missing_library():
    for text in ("No module named 'PySide6'", "libGL.so.1: undefined symbol: glFoo",
                 "ELF load command address/offset not properly aligned", ""):
        assert missing_library(ImportError(text)) is None
        assert missing_library_message(text) is None


@linux_only
def test_the_real_loader_error_names_the_library(tmp_path):
    import ctypes

    with pytest.raises(OSError) as raised:
        ctypes.CDLL(str(shared_object(tmp_path / "libneeds.so", ABSENT)))
    assert missing_library(raised.value) == ABSENT
    assert load_problem(tmp_path / "libneeds.so") == install_hint(ABSENT)
    assert "apt-file search" in install_hint(ABSENT)  # unknown library: how to find it


@linux_only
def test_a_library_that_loads_or_is_absent_is_no_problem(tmp_path):
    assert load_problem(shared_object(tmp_path / "libfine.so", "libc.so.6")) is None
    assert load_problem(tmp_path / "not-there.so") is None
    (tmp_path / "broken.so").write_bytes(b"not an ELF file")
    assert load_problem(tmp_path / "broken.so").startswith("broken.so does not load: ")


def test_the_platform_qt_will_load(monkeypatch):
    for value, name in (("", "xcb"), ("offscreen", "offscreen"), ("xcb;offscreen", "xcb"),
                        ("offscreen:fontengine=freetype", "offscreen")):
        monkeypatch.setenv("QT_QPA_PLATFORM", value)
        assert platform_name() == name
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert qt_start_problem() is None  # this machine runs the test suite offscreen


def test_the_self_test_names_the_missing_library(capsys):
    def window_without_gl() -> str:
        raise ImportError("libGL.so.1: cannot open shared object file: No such file or directory")

    assert selftest.run_self_test(window_check=window_without_gl) == 1
    out = capsys.readouterr().out
    assert f"FAIL main window: {MISSING_GL}" in out
    assert out.splitlines()[-1] == "self-test FAILED at: main window"


def run_with_plugin(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """main.py with a Qt platform plugin whose library is missing, as Qt would find it."""
    shared_object(tmp_path / "platforms" / "libqconvscopetest.so", ABSENT)
    env = {**os.environ, "QT_QPA_PLATFORM": "convscopetest", "QT_PLUGIN_PATH": str(tmp_path)}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True,
                          text=True, cwd=tmp_path, env=env, timeout=300)


@linux_only
def test_self_test_and_window_start_name_a_platform_plugins_missing_library(tmp_path):
    (tmp_path / "platforms").mkdir()
    result = run_with_plugin(tmp_path, "--self-test")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"FAIL main window: {install_hint(ABSENT)}" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    window = run_with_plugin(tmp_path)
    assert window.returncode == 1
    last_line = window.stderr.strip().splitlines()[-1]
    assert last_line == f"ConvScope cannot start: {install_hint(ABSENT)}"
    assert "Traceback" not in window.stderr
