"""`main.py convolve` in a real process: the lesson's shapes, saved outputs and clean errors."""

import numpy as np
from PIL import Image

from tests.conftest import ASCENT, assert_lesson_run


def test_lesson_shape_and_raw_output(run_main, tmp_path, ascent_pixels):
    out = tmp_path / "out.npy"
    result = run_main("convolve", ASCENT, "--strides", "2", "1", "-o", out)
    assert_lesson_run(result, out, ascent_pixels)


def test_same_padding_png_and_custom_kernel(run_main, tmp_path):
    out = tmp_path / "out.png"
    result = run_main("convolve", ASCENT, "--padding", "same",
                      "--kernel", "0 -1 0; -1 4 -1; 0 -1 0", "--bias", "2", "-o", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "(1, 512, 512, 1)"
    png = np.asarray(Image.open(out))
    assert png.shape == (512, 512) and png.min() == 0 and png.max() == 255


def one_error_line(result):
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_bad_inputs_exit_1_with_one_line(run_main, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(ASCENT.read_bytes()[:300])
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    assert "no such file" in one_error_line(run_main("convolve", tmp_path / "missing.png"))
    assert "damaged" in one_error_line(run_main("convolve", broken))
    assert "not an image" in one_error_line(run_main("convolve", text))
    assert "not a number" in one_error_line(run_main("convolve", ASCENT, "--kernel", "1 x"))
    assert "dilation" in one_error_line(
        run_main("convolve", ASCENT, "--strides", "2", "2", "--dilation", "2", "2"))
    tiny = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((2, 2), np.uint8)).save(tiny)
    assert "empty" in one_error_line(run_main("convolve", tiny))


def test_usage_mistakes_exit_2(run_main):
    assert run_main("convolve").returncode == 2
    assert run_main("convolve", ASCENT, "--padding", "full").returncode == 2


def test_png_with_a_display_mapping(run_main, tmp_path):
    out = tmp_path / "div.png"
    result = run_main("convolve", ASCENT, "--kernel", "-1 0 1", "--display", "diverging",
                      "-o", out)
    assert result.returncode == 0, result.stderr
    png = np.asarray(Image.open(out))
    assert png.shape == (512, 510, 3)  # colour: blue for negative, red for positive
    assert (png[:, :, 2] == 255).any() and (png[:, :, 0] == 255).any()


def test_several_filters_from_kernels_and_from_a_weights_file(run_main, tmp_path,
                                                              ascent_pixels):
    from tests.numpy_reference import cross_correlate

    kernels = ["1 0 -1; 2 0 -2; 1 0 -1", "0 0 0; 0 1 0; 0 0 0", "1 1 1; 1 1 1; 1 1 1",
               "0 1 0; 1 -4 1; 0 1 0"]
    out, grid = tmp_path / "maps.npy", tmp_path / "maps.png"
    args = [a for k in kernels for a in ("--kernel", k)]
    result = run_main("convolve", ASCENT, *args, "--bias", "0", "1", "2", "3", "-o", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "(1, 510, 510, 4)"
    saved = np.load(out)
    planes = np.stack([np.array([[float(v) for v in row.split()] for row in k.split(";")])
                       for k in kernels], axis=-1)[:, :, None, :]
    want = cross_correlate(ascent_pixels, planes, bias=np.arange(4.0))
    assert saved.shape == (1, 510, 510, 4)
    np.testing.assert_allclose(saved, want, rtol=1e-5, atol=1e-3)
    weights = tmp_path / "w.npy"
    np.save(weights, planes.astype(np.float32))
    result = run_main("convolve", ASCENT, "--weights", weights, "--padding", "same", "-o", grid)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "(1, 512, 512, 4)"
    assert np.asarray(Image.open(grid)).shape == (2 * 512 + 4, 2 * 512 + 4, 3)  # a 2x2 grid


def test_filter_mismatches_are_one_error_line_before_keras_loads(tmp_path, capsys):
    """Checked in this process: every one is refused before TensorFlow is imported."""
    import sys

    from engine.commands import convolve as cli

    np.save(tmp_path / "flat.npy", np.ones((3, 3)))
    np.save(tmp_path / "rgbw.npy", np.ones((3, 3, 3, 2)))
    np.save(tmp_path / "many.npy", np.ones((3, 3, 1, 17)))
    cases = [
        (["--kernel", "1 1; 1 1", "--kernel", "1 1 1"], "same size"),
        (["--kernel", "1", "--kernel", "2", "--bias", "1", "2", "3"], "one per filter (2)"),
        (["--weights", tmp_path / "flat.npy"], "4-D kernel"),
        (["--weights", tmp_path / "rgbw.npy"], "3 input channel(s)"),
        (["--weights", tmp_path / "many.npy"], "at most 16"),
        (["--weights", tmp_path / "missing.npy"], "no such file"),
        (["--weights", tmp_path / "flat.npy", "--kernel", "1"], "not both"),
    ]
    loaded_before = "tensorflow" in sys.modules
    for args, reason in cases:
        assert cli.main([str(ASCENT), *map(str, args)]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: ") and reason in err[0], (args, err)
    assert ("tensorflow" in sys.modules) == loaded_before
