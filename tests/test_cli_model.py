"""`main.py convolve IMAGE --model M.keras` in a real process: the final shape, one line per
layer, every layer's output in an .npz (checked against Keras's own outputs), and bad model
files as one error line."""

import keras
import numpy as np
import pytest

from engine.images.loading import load_image
from engine.images.resize import fit_to_input
from tests.conftest import ASCENT, FACE
from tests.test_cli import one_error_line

L = keras.layers


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    rng = np.random.default_rng(4)
    model = keras.Sequential([
        keras.Input((32, 32, 3)), L.Rescaling(1 / 255, name="scale"),
        L.Conv2D(4, 3, activation="relu", name="conv_a"), L.MaxPooling2D(name="pool"),
        L.Conv2D(2, 3, padding="same", name="conv_b"), L.Flatten(name="flat"),
        L.Dense(3, name="head")])
    for layer in model.layers:
        layer.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32)
                           for w in layer.get_weights()])
    path = tmp_path_factory.mktemp("cli") / "cnn.keras"
    model.save(path)
    return path, model


def test_shapes_per_layer_and_every_output(run_main, tmp_path, model_file):
    path, model = model_file
    out = tmp_path / "all.npz"
    result = run_main("convolve", FACE, "--model", path, "-o", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "(1, 15, 15, 2)", "scale (Rescaling): (1, 32, 32, 3)", "conv_a (Conv2D): (1, 30, 30, 4)",
        "pool (MaxPooling2D): (1, 15, 15, 4)", "conv_b (Conv2D): (1, 15, 15, 2)"]
    assert "Resized from" in result.stderr and "stops at flat (Flatten)" in result.stderr
    saved = np.load(out)
    assert list(saved.keys()) == ["scale", "conv_a", "pool", "conv_b"]
    image = fit_to_input(load_image(FACE, "rgb"), (32, 32))
    probe = keras.Model(model.inputs, [layer.output for layer in model.layers[:4]])
    for name, keras_own in zip(saved.keys(), probe(image.pixels[None], training=False)):
        np.testing.assert_allclose(saved[name], np.asarray(keras_own), rtol=1e-5, atol=1e-5)
    last = tmp_path / "last.npy"
    assert run_main("convolve", FACE, "--model", path, "-o", last).returncode == 0
    np.testing.assert_array_equal(np.load(last), saved["conv_b"])


def test_bad_model_files_are_one_error_line(run_main, tmp_path, model_file):
    text = tmp_path / "notes.keras"
    text.write_text("not a model")
    half = tmp_path / "half.keras"
    half.write_bytes(model_file[0].read_bytes()[:2000])
    dense = tmp_path / "dense.keras"
    keras.Sequential([keras.Input((4, 4, 1)), L.Flatten(), L.Dense(2)]).save(dense)
    assert "zip archive" in one_error_line(run_main("convolve", ASCENT, "--model", text))
    assert "zip archive" in one_error_line(run_main("convolve", ASCENT, "--model", half))
    assert "holds no layer ConvScope runs" in one_error_line(
        run_main("convolve", ASCENT, "--model", dense))
    assert "use --color rgb" in one_error_line(
        run_main("convolve", ASCENT, "--model", model_file[0], "--color", "gray"))
    assert "not both" in one_error_line(
        run_main("convolve", ASCENT, "--model", model_file[0], "--kernel", "1"))


def test_the_emitted_sequential_script_reproduces_every_layer(run_main, tmp_path, model_file):
    script, direct, replayed = tmp_path / "stack.py", tmp_path / "d.npz", tmp_path / "r.npz"
    result = run_main("convolve", FACE, "--model", model_file[0], "-o", direct,
                      "--emit-code", script)
    assert result.returncode == 0, result.stderr
    text = script.read_text()
    assert "keras.Sequential([" in text and "keras.Input(shape=(32, 32, 3))" in text
    from tests.test_codegen import run_script

    replay = run_script(script, replayed, tmp_path)
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout.splitlines() == [*result.stdout.splitlines()[1:],
                                          result.stdout.splitlines()[0]]
    want, got = np.load(direct), np.load(replayed)
    assert list(got.keys()) == list(want.keys())
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-6, atol=1e-5)
