"""The emitted Keras script reproduces the command's output, run in real processes."""

import subprocess
import sys

import numpy as np
import pytest

from engine.codegen import float_literal, keras_script
from engine.spec import ConvSpec
from tests.conftest import ASCENT, FACE


def run_script(path, out, cwd):
    return subprocess.run([sys.executable, str(path), str(out)], capture_output=True,
                          text=True, timeout=180, cwd=cwd)


@pytest.mark.parametrize("image,args", [
    (ASCENT, ["--kernel", "0.1 -0.2 0.3; 1e-3 5 -7.25; 0 1 2", "--strides", "2", "1",
              "--bias", "-3.5"]),
    (FACE, ["--color", "rgb", "--kernel", "1 0 -1 2; 0 0.5 0 1", "--padding", "same",
            "--dilation", "2", "3", "--activation", "relu"]),
])
def test_emitted_script_reproduces_the_command(run_main, tmp_path, image, args):
    script, direct, replayed = tmp_path / "conv.py", tmp_path / "direct.npy", tmp_path / "re.npy"
    result = run_main("convolve", image, *args, "-o", direct, "--emit-code", script)
    assert result.returncode == 0, result.stderr
    shape_line = result.stdout.splitlines()[0]
    replay = run_script(script, replayed, tmp_path)
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout.splitlines()[-1] == shape_line
    want, got = np.load(direct), np.load(replayed)
    assert got.shape == want.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-4)
    assert np.abs(want).max() > 0


def test_script_is_written_only_for_a_valid_command(run_main, tmp_path):
    script = tmp_path / "conv.py"
    result = run_main("convolve", ASCENT, "--strides", "2", "2", "--dilation", "2", "2",
                      "--emit-code", script)
    assert result.returncode == 1 and not script.exists()


def test_weights_are_exact_float32_literals():
    rng = np.random.default_rng(3)
    values = rng.normal(size=200).astype(np.float32)
    assert all(np.float32(float(float_literal(v))) == v for v in values)
    spec = ConvSpec(kernel=np.float32([[1 / 3, -2e-8], [7, 0]]), strides=(2, 1), bias=0.1)
    code = keras_script(spec, "/data/img.png")
    assert "kernel_size=(2, 2), strides=(2, 1)" in code
    assert "0.33333334" in code and "-0.00000002" in code
    assert "reshape(2, 2, 1, 1)" in code and "np.array([0.1]" in code
    assert "'/data/img.png'" in code and 'convert("L")' in code
    compile(code, "emitted.py", "exec")
    rgb = keras_script(ConvSpec(kernel=np.ones((3, 3, 3))), None, "rgb")
    assert 'convert("RGB")' in rgb and "reshape(3, 3, 3, 1)" in rgb and "IMAGE.png" in rgb
    compile(rgb, "emitted_rgb.py", "exec")
