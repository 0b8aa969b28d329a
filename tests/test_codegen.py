"""The emitted Keras script reproduces the command's output, run in real processes, and loads
every image of tests/image_corpus.py exactly as the app does."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from engine.images.loading import load_image
from engine.kernels.edits import keras_kernel
from engine.model.conv import ConvSpec
from engine.model.network import single_conv
from engine.teaching.codegen import float_literal, keras_script
from tests.conftest import ASCENT, FACE
from tests.image_corpus import good_cases


def run_script(path, out, cwd):
    return subprocess.run([sys.executable, str(path), str(out)], capture_output=True,
                          text=True, timeout=180, cwd=cwd)


@pytest.mark.parametrize("image,args", [
    (ASCENT, ["--kernel", "0.1 -0.2 0.3; 1e-3 5 -7.25; 0 1 2", "--strides", "2", "1",
              "--bias", "-3.5"]),
    (FACE, ["--color", "rgb", "--kernel", "1 0 -1 2; 0 0.5 0 1", "--padding", "same",
            "--dilation", "2", "3", "--activation", "relu"]),
    (ASCENT, ["--kernel", "1 0 -1; 2 0 -2; 1 0 -1", "--kernel", "0 1 0; 1 -4 1; 0 1 0",
              "--kernel", "0.5 0.25 0; 1 1 1; -3 0 2", "--bias", "1", "-2", "0.5"]),
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
    spec = ConvSpec(kernel=keras_kernel(np.float32([[1 / 3, -2e-8], [7, 0]])), strides=(2, 1),
                    bias=0.1)
    code = keras_script(single_conv(spec), "/data/img.png")
    assert "filters=1, kernel_size=(2, 2), strides=(2, 1)" in code
    assert "0.33333334" in code and "-0.00000002" in code
    assert "np.zeros((2, 2, 1, 1)" in code and "np.array([0.1]" in code
    assert "'/data/img.png'" in code and 'convert("L")' in code
    compile(code, "emitted.py", "exec")
    kernel = np.ones((3, 3, 3, 2), np.float32)
    kernel[:, :, 1, 1] = 2  # filter 1's G plane differs: written plane by plane
    rgb = keras_script(single_conv(ConvSpec(kernel=kernel)), None, "rgb")
    assert 'convert("RGB")' in rgb and "np.zeros((3, 3, 3, 2)" in rgb and "IMAGE.png" in rgb
    assert "kernel[:, :, :, 0] =" in rgb and "kernel[:, :, 1, 1] =" in rgb
    assert "filters=2" in rgb and "np.array([0, 0]" in rgb
    compile(rgb, "emitted_rgb.py", "exec")


def _accepted_names() -> list[str]:
    """The corpus files load_image accepts, for test ids (built once in a scratch folder)."""
    with tempfile.TemporaryDirectory() as scratch:
        return [case.name for case in good_cases(Path(scratch))]


@pytest.fixture(scope="module")
def accepted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    return {case.name: case.path for case in good_cases(folder)}


def small_spec(color: str) -> ConvSpec:
    return ConvSpec(kernel=np.ones((2, 2, 3 if color == "rgb" else 1, 1), np.float32))


def emitted_input(script: str, monkeypatch) -> np.ndarray:
    """Run the script's lines up to the layer, without Keras: the NHWC input it builds."""
    head, layer_part = script.split("\nlayer = keras.layers.Conv2D(")
    assert "\nimport keras\n" in head and "import engine" not in script
    assert "from engine" not in script
    for name in ("KERAS_BACKEND", "TF_CPP_MIN_LOG_LEVEL"):  # the script's setdefault calls
        monkeypatch.setenv(name, os.environ.get(name, "tensorflow"))
    namespace = {"__name__": "emitted"}
    exec(compile(head.replace("\nimport keras\n", "\n"), "emitted.py", "exec"), namespace)
    return namespace["x"]


@pytest.mark.parametrize("color", ["gray", "rgb"])
@pytest.mark.parametrize("name", _accepted_names())
def test_emitted_script_loads_the_image_as_the_app(accepted, monkeypatch, name, color):
    """Same pixels as load_image for every odd file: alpha, 16-bit, float, NaN, CMYK,
    frames, EXIF rotation."""
    path = accepted[name]
    want = load_image(path, color).pixels
    x = emitted_input(keras_script(single_conv(small_spec(color)), str(path), color), monkeypatch)
    assert x.dtype == np.float32
    assert x.shape == (1, *want.shape[:2], 3 if color == "rgb" else 1)
    np.testing.assert_array_equal(x[0] if color == "rgb" else x[0, :, :, 0], want)


@pytest.mark.parametrize("name,color", [("rgba.png", "rgb"), ("float_nan.tif", "rgb")])
def test_whole_emitted_script_matches_the_app(accepted, tmp_path, name, color):
    """Run end to end in its own process, the emitted script gives the app's layer output."""
    from engine.backend.keras_model import convolve

    spec = small_spec(color)
    image = load_image(accepted[name], color)
    script, out = tmp_path / "conv.py", tmp_path / "out.npy"
    script.write_text(keras_script(single_conv(spec), str(accepted[name]), color),
                      encoding="utf-8")
    replay = run_script(script, out, tmp_path)
    assert replay.returncode == 0, replay.stderr
    np.testing.assert_array_equal(np.load(out), convolve(image, spec))
