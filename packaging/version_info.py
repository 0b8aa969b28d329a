"""The version the bundle reports, read from pyproject.toml, and its Windows version resource.

Windows shows the resource in the executable's Properties > Details tab (product name,
version, publisher). PyInstaller reads it from a text file of VSVersionInfo(...) source,
which ``windows_version_info`` writes, so the version is kept in pyproject.toml only.
"""

from __future__ import annotations

import re
from pathlib import Path

PRODUCT = "ConvScope"
DESCRIPTION = "ConvScope: watch a Keras Conv2D work, live"


def project_version(pyproject: Path) -> str:
    match = re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text(), re.MULTILINE)
    if match is None:
        raise ValueError(f"no version in {pyproject}")
    return match.group(1)


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """'0.1.0' -> (0, 1, 0, 0): Windows wants four numbers; pre-release tags are dropped."""
    release = re.match(r"\d+(\.\d+)*", version)
    numbers = [int(part) for part in release.group(0).split(".")[:4]] if release else []
    return tuple(numbers + [0] * (4 - len(numbers)))


def windows_version_info(version: str) -> str:
    """VSVersionInfo source for PyInstaller's ``EXE(version=...)``."""
    numbers = version_tuple(version)
    dotted = ".".join(map(str, numbers))
    strings = {
        "CompanyName": PRODUCT,
        "FileDescription": DESCRIPTION,
        "FileVersion": dotted,
        "InternalName": PRODUCT,
        "LegalCopyright": "MIT License",
        "OriginalFilename": f"{PRODUCT}.exe",
        "ProductName": PRODUCT,
        "ProductVersion": version,
    }
    entries = ",\n          ".join(f"StringStruct({k!r}, {v!r})" for k, v in strings.items())
    return f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={numbers}, prodvers={numbers}, mask=0x3f, flags=0x0,
                    OS=0x40004, fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([
      StringTable('040904B0', [
          {entries}])]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""
