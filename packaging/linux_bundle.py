"""What the Linux bundle leaves out, and the stripping of its shared objects.

Used by convscope.spec on Linux. Two kinds of files are left out:

- libraries every Linux system has and that must come from the system, because a copy from the
  build machine can need a newer glibc than the lab machine has (libstdc++, libgcc_s, libexpat;
  glibc itself PyInstaller never copies);
- files the app never opens: traced with strace over the self-test, a window start and
  `convolve` (TensorFlow's StableHLO and XLA extensions, its native proto caster, grpc's
  Cython core, Qt's translations, every Qt platform but xcb, offscreen and minimal, Qt's
  network module that only the TUIO touch plugin pulls in, with Kerberos behind it, and the
  GTK3 theme plugin with its library chain, which does not load on a minimal system anyway).
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import struct
import subprocess
from pathlib import Path

FROM_THE_SYSTEM = ("libstdc++.so.6", "libgcc_s.so.1", "libexpat.so.1")

NEVER_USED = (
    "tensorflow/compiler/mlir/stablehlo/stablehlo_extension.so",
    "tensorflow/compiler/tf2xla/ops/_xla_ops.so",
    "tensorflow/python/framework/lib_native_proto_caster.so",
    "grpc/_cython/cygrpc.*.so",
    "PySide6/Qt/translations/*",
    "PySide6/Qt/plugins/platforms/libqwayland*",
    "PySide6/Qt/plugins/platforms/libqeglfs.so",
    "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
    "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/Qt/plugins/platforms/libqminimalegl.so",
    "PySide6/Qt/plugins/platforms/libqvkkhrdisplay.so",
    "PySide6/Qt/plugins/egldeviceintegrations/*",
    "PySide6/Qt/plugins/wayland-*/*",
    "PySide6/Qt/plugins/generic/libqtuiotouchplugin.so",
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    "PySide6/Qt/lib/libQt6Network.so.6",
    "PySide6/Qt/lib/libQt6Wayland*.so.6",
    "PySide6/Qt/lib/libQt6WlShellIntegration.so.6",
    "PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6",
    "PySide6/Qt/lib/libQt6EglFsKmsSupport.so.6",
    "PySide6/Qt/lib/libQt6EglFsKmsGbmSupport.so.6",
    # Qt6Network's Kerberos chain and the GTK3 theme's chain, wherever PyInstaller put them.
    *(f"{folder}{name}" for folder in ("", "PySide6/Qt/lib/") for name in (
        "libgssapi_krb5.so.*", "libkrb5.so.*", "libk5crypto.so.*", "libkrb5support.so.*",
        "libkeyutils.so.*", "libcom_err.so.*", "libgtk-3.so.*", "libgdk-3.so.*",
        "libcairo*.so.*", "libpango*.so.*", "libatk*.so.*", "libatspi.so.*",
        "libgdk_pixbuf-2.0.so.*", "libepoxy.so.*", "libwayland-*.so.*")),
)


def left_out(dest: str) -> bool:
    """True for a bundle path (relative to the bundle's _internal folder) that stays out."""
    dest = dest.replace("\\", "/")
    return dest in FROM_THE_SYSTEM or any(fnmatch.fnmatch(dest, p) for p in NEVER_USED)


def prune(toc):
    """The TOC (PyInstaller's (dest, source, typecode) list) without the left-out files."""
    return [entry for entry in toc if not left_out(entry[0])]


def remove_dangling_links(folder: Path) -> int:
    """Remove the symbolic links PyInstaller made to left-out files (it adds them after the
    Analysis, so ``prune`` cannot see them). Returns how many."""
    dangling = [p for p in folder.rglob("*") if p.is_symlink() and not p.exists()]
    for link in dangling:
        link.unlink()
    return len(dangling)


def is_elf(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(4) == b"\x7fELF"


def loadable_layout(path: Path) -> bool:
    """Every PT_LOAD segment lies inside the file and its offset agrees with its address modulo
    the alignment: the loader's own check ("ELF load command address/offset not properly
    aligned"), which GNU strip can break on libraries that patchelf rewrote."""
    data = path.read_bytes()
    if data[4] != 2:  # 32-bit: left unstripped
        return False
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        kind, _flags, offset, vaddr, _paddr, filesz, _memsz, align = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        if kind == 1 and (offset + filesz > len(data)
                          or (align > 1 and offset % align != vaddr % align)):
            return False
    return True


def strip_shared_objects(folder: Path) -> tuple[int, int]:
    """``strip --strip-unneeded`` the shared objects, where it is safe: never the executable
    (PyInstaller appends its archive to it), never the libraries auditwheel grafted into a
    wheel (``*.libs/``, rewritten by patchelf), and a stripped copy replaces the file only if
    its segments still load. Keeps what the dynamic loader needs; drops the static symbol
    tables and debug sections. Returns (files stripped, bytes saved)."""
    files, saved = 0, 0
    for path in sorted(folder.rglob("*.so*")):
        if (path.is_symlink() or not path.is_file() or not is_elf(path)
                or any(part.endswith(".libs") for part in path.parts)):
            continue
        stripped = path.with_name(path.name + ".stripped")
        subprocess.run(["strip", "--strip-unneeded", "-o", str(stripped), str(path)],
                       check=True)
        before, after = path.stat().st_size, stripped.stat().st_size
        if after < before and loadable_layout(stripped):
            shutil.copymode(path, stripped)
            os.replace(stripped, path)
            files, saved = files + 1, saved + before - after
        else:
            stripped.unlink()
    return files, saved
