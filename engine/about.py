"""What Help > About says: the versions installed and the sample images' credits.

Versions come from the installed distributions' metadata (importlib.metadata), never from
importing a package: the window must not import TensorFlow to learn its version. The credits
are read from resources/README.md, the file that ships with the images.
"""

from __future__ import annotations

import platform
import re
import sys
from importlib import metadata
from pathlib import Path

from engine.storage.resources import resources_dir

#: (what the About window calls it, the distributions that provide it, first found wins,
#: the module whose ``__version__`` is read if it is already imported and has no metadata,
#: as in a bundle that left the metadata out).
DISTRIBUTIONS = (
    ("ConvScope", ("convscope",), ""),
    ("Keras", ("keras",), "keras"),
    ("TensorFlow", ("tensorflow-cpu", "tensorflow", "tensorflow-macos"), "tensorflow"),
    ("NumPy", ("numpy",), "numpy"),
    ("Pillow", ("pillow",), "PIL"),
    ("pyqtgraph", ("pyqtgraph",), "pyqtgraph"),
    ("PySide6", ("PySide6-Essentials", "PySide6"), "PySide6"),
)
UNKNOWN = "not found (no package metadata)"


def installed_version(names: tuple[str, ...], module: str = "") -> str:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    loaded = sys.modules.get(module) if module else None  # never imported here
    return str(getattr(loaded, "__version__", UNKNOWN))


def versions() -> list[tuple[str, str]]:
    """(name, version) of ConvScope, Keras, TensorFlow, ..., and Python."""
    found = [(label, installed_version(names, module))
             for label, names, module in DISTRIBUTIONS]
    if found[0][1] == UNKNOWN:  # a source checkout that was never installed
        found[0] = ("ConvScope", _source_version() or UNKNOWN)
    return [*found, ("Python", platform.python_version())]


def _source_version() -> str | None:
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    try:
        match = re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text(), re.MULTILINE)
    except OSError:
        return None
    return match.group(1) if match else None


def sample_credits(readme: Path | None = None) -> list[tuple[str, str]]:
    """(file, where it comes from) for each bundled sample image, from the first table of
    resources/README.md; [] if the file is missing."""
    readme = readme or resources_dir() / "README.md"
    try:
        text = readme.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    credits = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].lower().endswith(".png") and \
                not cells[0].startswith("icon"):
            credits.append((cells[0], cells[1].replace("`", "")))
    return credits
