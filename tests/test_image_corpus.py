"""Every odd and broken file of tests/image_corpus.py through load_image (gray and rgb), the
window's open_path and the ``convolve`` command, plus the failures only a fault can provoke."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image, ImageFile, ImageOps

import engine.images.loading as images
from engine.commands import convolve as cli
from engine.images.loading import ImageLoadError, load_image
from tests.image_corpus import ORIENT, build_corpus, case_names, png_bytes
from tests.live_window import open_window, wait_for_output
from tests.numpy_reference import cross_correlate

NAMES = case_names()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return {case.name: case for case in build_corpus(tmp_path_factory.mktemp("corpus"))}


@pytest.mark.parametrize("color", ["gray", "rgb"])
@pytest.mark.parametrize("name", NAMES)
def test_load_image(corpus, name, color):
    case = corpus[name]
    if not case.loads:
        with pytest.raises(ImageLoadError) as info:
            load_image(case.path, color)
        assert case.error in str(info.value) and name in str(info.value)
        return
    image = load_image(case.path, color)
    assert image.name == name and image.hw == case.hw
    assert image.pixels.dtype == np.float32 and image.pixels.flags.c_contiguous
    assert image.pixels.shape == (case.hw if color == "gray" else (*case.hw, 3))
    assert np.isfinite(image.pixels).all()
    want = case.gray if color == "gray" else case.rgb
    if want is not None:
        np.testing.assert_array_equal(image.pixels, want)
    assert case.note in " ".join(image.notes), image.notes


def test_16_bit_values_are_not_clamped(corpus):
    pixels = load_image(corpus["gray16.png"].path).pixels
    assert pixels.max() == 65527 and len(np.unique(pixels)) == 12  # convert("L") gives 2


def test_jpeg_orientation_is_applied(corpus):
    pixels = load_image(corpus["orient6.jpg"].path).pixels
    stored = np.kron(np.array([[0, 255, 0], [0, 0, 0]]), np.ones((16, 16)))
    upright = np.rot90(stored, -1)  # orientation 6: rotate 90 degrees clockwise
    assert np.abs(pixels - upright).max() < 8  # JPEG at quality 100 is nearly lossless


def test_uncompressed_tiff_rotation_is_not_scrambled(tmp_path):
    """Pillow's memory-mapped reader scrambles these when opened by file name."""
    path = tmp_path / "raw6.tif"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(ORIENT).save(path, exif=exif)
    assert np.array_equal(load_image(path).pixels, np.rot90(ORIENT, -1))


def test_bomb_limit_is_named_and_checked_before_decoding(tmp_path, monkeypatch):
    path = tmp_path / "small.png"
    Image.fromarray(np.zeros((40, 40), np.uint8)).save(path)
    monkeypatch.setattr(images, "MAX_PIXELS", 1000)
    with pytest.raises(ImageLoadError, match="up to 1,000 pixels"):
        load_image(path)
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self))
    monkeypatch.setattr(Image, "_decompression_bomb_check", lambda size: None)  # Pillow's off
    with pytest.raises(ImageLoadError, match=r"\(40 x 40 pixels\).*up to 1,000 pixels"):
        load_image(path)  # our own header check still refuses
    assert decoded == []


def fail_with(error):
    def load(self):
        raise error
    return load


@pytest.mark.parametrize("error,words", [
    (MemoryError(), "(4 x 4 pixels, 1 channel(s), 64 bytes as float32) is too large for this "
                    "computer's memory"),
    (IndexError("tile index"), "could not be decoded (IndexError: tile index)"),
    (EOFError(), "damaged or incomplete"),
    (PermissionError(13, "denied"), "cannot be read: denied."),
])
def test_any_decoder_fault_becomes_a_message(tmp_path, monkeypatch, error, words):
    path = tmp_path / "fine.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(path)
    monkeypatch.setattr(ImageFile.ImageFile, "load", fail_with(error))
    with pytest.raises(ImageLoadError) as info:
        load_image(path)
    assert words in str(info.value)


def test_broken_orientation_tag_is_a_note_not_a_failure(tmp_path, monkeypatch):
    path = tmp_path / "fine.png"
    Image.fromarray(np.zeros((4, 5), np.uint8)).save(path)
    monkeypatch.setattr(ImageOps, "exif_transpose", fail_with(KeyError(274)))
    image = load_image(path)
    assert image.hw == (4, 5) and "orientation tag is unreadable" in " ".join(image.notes)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads files whatever their permissions "
                           "(test_any_decoder_fault_becomes_a_message covers the message)")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(path)
    path.chmod(0)
    try:
        with pytest.raises(ImageLoadError, match="cannot be opened: Permission denied"):
            load_image(path)
    finally:
        path.chmod(0o600)


def test_header_claiming_a_huge_size_is_refused_fast(tmp_path):
    path = tmp_path / "claims.png"
    path.write_bytes(png_bytes(60_000, 60_000, 16, 6))  # 3.6 gigapixels, 16-bit RGBA
    with pytest.raises(ImageLoadError, match="megapixels"):
        load_image(path, "rgb")


# -- the window ------------------------------------------------------------------------------
def test_open_path_whole_corpus(qtbot, corpus):
    win = open_window(qtbot)
    win.state.update_spec(strides=(1, 1), padding="same")  # every image gives an output
    for name in NAMES:
        case, before = corpus[name], win.state.image
        result = win.open_path(case.path)
        if case.loads:
            assert result is win.state.image and result.hw == case.hw, name
            assert f"(1, {case.hw[0]}, {case.hw[1]}, 1)" in win.shape_panel.input_shape.text()
            for note in result.notes:
                assert note in win.input_view.caption.text(), name
            wait_for_output(qtbot, win, case.hw)
            assert "previous image stays" not in win.banner.text()
        else:
            assert result is None and win.state.image is before, name
            assert case.error in win.banner.text() and "previous image stays" in win.banner.text()
            assert win.input_view.values.shape == before.hw


# -- the convolve command --------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_convolve_command_in_process(corpus, name, capsys):
    case = corpus[name]
    code = cli.main([str(case.path), "--padding", "same", "--kernel", "1 2; 3 4"])
    out, err = capsys.readouterr()
    if case.loads:
        assert code == 0, err
        assert out.splitlines()[0] == f"(1, {case.hw[0]}, {case.hw[1]}, 1)"
    else:
        assert code == 1 and out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and case.error in lines[0]


def test_convolve_command_refusals_in_real_processes(corpus, run_main):
    """Refused before TensorFlow loads, so each process is quick: all of them run."""
    for case in corpus.values():
        if not case.loads:
            result = run_main("convolve", case.path)
            assert result.returncode == 1, (case.name, result.stderr)
            assert "Traceback" not in result.stderr
            assert result.stderr.strip().splitlines() == [
                line for line in result.stderr.strip().splitlines()
                if line.startswith("error: ") and case.error in line], case.name


def test_convolve_command_keeps_the_16_bit_range(corpus, run_main, tmp_path):
    out = tmp_path / "out.npy"
    result = run_main("convolve", corpus["gray16.png"].path, "--padding", "same", "-o", out)
    assert result.returncode == 0, result.stderr
    saved = np.load(out)
    want = cross_correlate(corpus["gray16.png"].gray, np.ones((3, 3)), padding="same")
    np.testing.assert_allclose(saved, want, rtol=1e-6)
    assert saved.max() > 9 * 255  # only possible if the values were not clamped to 255


def test_damaged_later_frames_still_give_the_first(corpus, monkeypatch):
    from PIL import GifImagePlugin

    def unreadable(self):
        raise OSError("frame 2 is damaged")

    monkeypatch.setattr(GifImagePlugin.GifImageFile, "n_frames", property(unreadable))
    image = load_image(corpus["animated.gif"].path)
    assert np.array_equal(image.pixels, corpus["animated.gif"].gray)
    assert "later frames are damaged" in " ".join(image.notes)
