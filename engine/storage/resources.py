"""Where the bundled sample images live, from a source checkout or a packaged app."""

from __future__ import annotations

import sys
from pathlib import Path

DEFAULT_SAMPLE = "ascent.png"


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)  # set by a PyInstaller bundle
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def sample_paths() -> list[Path]:
    """The bundled sample images, the lesson's image first."""
    folder = resources_dir()
    samples = sorted(folder.glob("*.png"), key=lambda p: (p.name != DEFAULT_SAMPLE, p.name))
    return [p for p in samples if not p.name.startswith("icon")]


def default_sample() -> Path:
    return resources_dir() / DEFAULT_SAMPLE


def icon_paths() -> list[Path]:
    """The application icon's PNG sizes (resources/icon-16.png ... icon-256.png)."""
    return sorted(resources_dir().glob("icon-*.png"), key=lambda p: int(p.stem.split("-")[1]))
