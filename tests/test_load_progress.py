"""load_image's progress reports and cancel: the stages a window can show while a large photo
loads, the same pixels with or without a callback, and a cancel that is never taken for a
damaged file."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from engine.images import loading
from engine.images.loading import LoadCancelled, load_image


def photo(path, height: int, width: int, mode: str = "L", seed: int = 0):
    """A photo-like image: smooth shading plus noise (so decoding has real work), written by
    Pillow in the format the name says."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    shade = 127 + 60 * np.sin(rows / 37) * np.cos(cols / 53)
    gray = np.clip(shade + rng.integers(0, 24, (height, width)), 0, 255).astype(np.uint8)
    if mode == "L":
        Image.fromarray(gray, "L").save(path)
    else:
        Image.fromarray(np.stack([gray, gray[:, ::-1], 255 - gray], axis=2), "RGB").save(path)
    return path


@pytest.mark.parametrize("color", ["gray", "rgb"])
@pytest.mark.parametrize("name, mode", [("p.png", "RGB"), ("p.jpg", "L"), ("p.tif", "RGB")])
def test_progress_goes_through_the_stages_and_changes_nothing(tmp_path, monkeypatch, color,
                                                               name, mode):
    monkeypatch.setattr(loading, "BAND_BYTES", 100_000)  # bands of 27 or 9 rows here
    path = photo(tmp_path / name, 700, 900, mode)
    reports = []
    image = load_image(path, color, progress=lambda stage, f: reports.append((stage, f)))
    plain = load_image(path, color)
    want = np.asarray(Image.open(path).convert("L" if color == "gray" else "RGB"), np.float32)
    np.testing.assert_array_equal(image.pixels, want)
    np.testing.assert_array_equal(plain.pixels, want)
    assert image.notes == plain.notes
    stages = [stage for stage, _ in reports]
    assert stages[0] == "reading"
    assert stages.index("decoding") < stages.index("converting")
    assert stages[-1] == "converting" and reports[-1][1] == 1.0
    for stage in ("decoding", "converting"):
        fractions = [f for s, f in reports if s == stage]
        assert fractions == sorted(fractions) and fractions[0] >= 0 and fractions[-1] <= 1
    assert stages.count("converting") > 3  # converted a band at a time


def test_wide_images_are_converted_in_bands_with_their_values(tmp_path, monkeypatch):
    monkeypatch.setattr(loading, "BAND_BYTES", 4096)
    values = (np.arange(300 * 200, dtype=np.uint32).reshape(300, 200) % 65536).astype(np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(values).save(path)
    stages = []
    rgb = load_image(path, "rgb", progress=lambda stage, _f: stages.append(stage))
    np.testing.assert_array_equal(rgb.pixels, np.repeat(values[:, :, None], 3, 2))
    assert stages.count("converting") > 20


def test_value_range_is_the_pixels_range(tmp_path):
    path = photo(tmp_path / "p.png", 50, 60, "RGB")
    image = load_image(path, "rgb")
    pixels = np.asarray(Image.open(path), np.float64)
    assert image.value_range == (pixels.min(), pixels.max())


@pytest.mark.parametrize("stop_at", ["reading", "decoding", "converting"])
def test_a_cancel_from_the_callback_is_never_a_damaged_file(tmp_path, stop_at):
    path = photo(tmp_path / "p.jpg", 800, 800, "RGB")

    def progress(stage, _fraction):
        if stage == stop_at:
            raise LoadCancelled

    with pytest.raises(LoadCancelled):
        load_image(path, "gray", progress=progress)
    assert load_image(path, "gray").hw == (800, 800)  # and the file is not held open

