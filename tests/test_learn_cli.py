"""`main.py learn` in a real process, and the training script the Code tab shows, run in
another: both learn the same kernel from the same seed."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from engine.commands.learn import build_parser, models_from_args
from engine.kernels.presets import FIXED
from engine.teaching.training_code import HIDDEN, training_script
from engine.training.settings import TrainSettings
from tests.conftest import ASCENT
from tests.test_cli import one_error_line

SOBEL_Y_TEXT = "-1 -2 -1; 0 0 0; 1 2 1"


def test_learn_recovers_sobel_y_and_saves_the_kernel(run_main, tmp_path):
    out = tmp_path / "learned.npy"
    result = run_main("learn", ASCENT, "--target-kernel", SOBEL_Y_TEXT, "--steps", "1200",
                      "-o", out)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("loss ") and float(lines[0].split()[1]) < 0.1
    rows = np.array([[float(v) for v in line.split()] for line in lines[1:4]])
    np.testing.assert_allclose(rows, FIXED["Sobel Y"], atol=0.02)  # 1e-2 of the largest, 2
    assert lines[4].startswith("bias ") and abs(float(lines[4].split()[1])) <= 0.02
    assert len(lines) == 5
    saved = np.load(out)
    assert saved.dtype == np.float32 and saved.shape == (3, 3, 1, 1)
    np.testing.assert_allclose(saved[:, :, 0, 0], rows, atol=1e-5)  # printed to 6 digits


def test_learn_several_filters_prints_each(run_main, tmp_path):
    out = tmp_path / "two.npy"
    result = run_main("learn", ASCENT, "--target-kernel", SOBEL_Y_TEXT, "--target-kernel",
                      "0 0 0; 0 1 0; 0 0 0", "--steps", "3", "--strides", "2", "1",
                      "--padding", "same", "--optimizer", "sgd", "--scale-inputs", "-o", out)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == "filter 0" and lines[5] == "filter 1" and len(lines[-1].split()) == 3
    assert np.load(out).shape == (3, 3, 1, 2)


@pytest.mark.parametrize("args, words", [
    (["--target-kernel", "1 2; 3"], "row"),
    (["--target-kernel", "1 1 1", "--steps", "0"], "--steps"),
    (["--target-kernel", "1 1 1", "--learning-rate", "0"], "learning rate"),
    (["--target-kernel", "1 1 1", "--learning-rate", "nan"], "learning rate"),
    (["--target-kernel", "1 1 1", "-o", "out.png"], ".npy"),
    (["--target-kernel", "1 1; 1 1", "--target-kernel", "1"], "same size"),
    (["--target-kernel", SOBEL_Y_TEXT, "--optimizer", "sgd", "--learning-rate", "0.01",
      "--steps", "200", "--strides", "4", "4"], "grew without bound"),
])
def test_bad_input_exits_1_with_one_line(run_main, args, words):
    assert words in one_error_line(run_main("learn", ASCENT, *args))


def test_missing_image_and_usage(run_main, tmp_path):
    assert "no such file" in one_error_line(
        run_main("learn", tmp_path / "missing.png", "--target-kernel", "1"))
    assert run_main("learn", ASCENT).returncode == 2  # --target-kernel is required


def test_the_training_script_learns_what_the_app_learns(run_main, tmp_path):
    """The Code tab's GradientTape loop, run on its own, gives the app's learned weights bit
    for bit (same start from GlorotUniform(seed), same steps, float32 on the CPU)."""
    app_out, script_out = tmp_path / "app.npy", tmp_path / "script.npy"
    argv = [str(ASCENT), "--target-kernel", SOBEL_Y_TEXT, "--steps", "120", "--seed", "4",
            "--strides", "2", "1"]
    result = run_main("learn", *argv, "-o", app_out)
    assert result.returncode == 0, result.stderr
    start, target, settings = models_from_args(build_parser().parse_args(argv))
    script = training_script(start, target, settings, 120, str(ASCENT), seed=4)
    assert "GlorotUniform(seed=4)" in script and "amsgrad=True" in script
    path = tmp_path / "train.py"
    path.write_text(script)
    ran = subprocess.run([sys.executable, str(path), str(script_out)], capture_output=True,
                         text=True, timeout=300, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[0] == result.stdout.splitlines()[0]  # the same loss line
    np.testing.assert_array_equal(np.load(script_out), np.load(app_out))


def test_a_hidden_target_stays_out_of_the_script():
    start, target, _ = models_from_args(build_parser().parse_args(
        [str(ASCENT), "--target-kernel", "3 -7 5; 1 1 1; 0 0 9"]))
    hidden = training_script(start, target, TrainSettings(), 10, str(ASCENT), hidden=True)
    shown = training_script(start, target, TrainSettings(), 10, str(ASCENT))
    assert HIDDEN in hidden and "-7" not in hidden and "9]" not in hidden
    assert "-7" in shown and HIDDEN not in shown
