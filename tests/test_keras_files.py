"""Real Keras model files: opening them (every layer listed with Keras's own shapes and
parameter counts, the supported part run and compared with Keras's own intermediate outputs),
saving the stack and loading it back in plain Keras, and files that are not models, are
damaged or hostile (each one clean error)."""

import re
import struct
import zipfile

import keras
import numpy as np
import pytest

from engine.backend.helper import run_helper
from engine.backend.keras_files import MAX_MODEL_BYTES, load_model_file, save_model_file
from engine.backend.keras_model import run_model
from engine.images.loading import LoadedImage
from engine.images.resize import fit_to_input
from engine.model.activation import ActivationSpec
from engine.model.conv import ConvSpec
from engine.model.loaded import ModelFileError
from engine.model.network import ModelSpec
from engine.model.pooling import PoolSpec
from engine.storage.atomic import SaveError
from tests.numpy_reference import run_layers

RNG = np.random.default_rng(21)
L = keras.layers


def small_cnn():
    """A small CNN as a course would train it: 0..1 pixels, conv/pool blocks, a dense head."""
    model = keras.Sequential([  # named: Keras's automatic names depend on the session
        keras.Input((28, 28, 1)), L.Rescaling(1 / 255, name="scale"),
        L.Conv2D(4, 3, activation="relu", name="conv_a"), L.MaxPooling2D(name="pool_a"),
        L.Dropout(0.25, name="drop"), L.Conv2D(8, 3, use_bias=False, name="conv_b"),
        L.ReLU(name="relu_b"), L.AveragePooling2D(2, padding="same", name="pool_b"),
        L.Activation("tanh", name="squash"), L.Flatten(name="flatten"), L.Dense(10, name="head")])
    for layer in model.layers:  # trained-looking weights, not the initializers'
        layer.set_weights([RNG.normal(0, 0.3, w.shape).astype(np.float32)
                           for w in layer.get_weights()])
    return model


def keras_outputs(model, x, count):
    """Keras's own outputs of the first ``count`` layers, as one Model at inference."""
    probe = keras.Model(model.inputs, [layer.output for layer in model.layers[:count]])
    return [np.asarray(y) for y in probe(x, training=False)]


@pytest.fixture(scope="module")
def cnn_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "cnn.keras"
    model = small_cnn()
    model.save(path)
    return path, model


def test_a_small_cnn_opens_with_every_layer_as_model_summary_has_it(cnn_file):
    path, model = cnn_file
    loaded = load_model_file(path)
    assert loaded.input_size == (28, 28, 1) and loaded.fixed_hw == (28, 28)
    assert [row.name for row in loaded.layers] == [layer.name for layer in model.layers]
    assert [row.kind for row in loaded.layers] == [type(layer).__name__
                                                   for layer in model.layers]
    assert [row.output_shape for row in loaded.layers] == [
        (1, *layer.output.shape[1:]) for layer in model.layers]
    assert [row.params for row in loaded.layers] == [layer.count_params()
                                                     for layer in model.layers]
    assert loaded.total_params == model.count_params()
    runs = [row.runs for row in loaded.layers]
    assert runs == [True] * 8 + [False] * 2
    flatten, dense = loaded.not_run
    assert "one long vector" in flatten.why and "after flatten (Flatten)" in dense.why
    assert loaded.model.layer_names() == tuple(layer.name for layer in model.layers[:8])
    assert [spec.kind for spec in loaded.model.layers] == [
        "Rescaling", "Conv2D", "MaxPooling2D", "Dropout", "Conv2D", "ReLU",
        "AveragePooling2D", "Activation"]
    assert loaded.model.layers[4].use_bias is False
    assert loaded.model.param_counts() == [row.params for row in loaded.layers[:8]]


def test_the_part_that_runs_gives_keras_own_intermediate_outputs(cnn_file, ascent_pixels):
    path, model = cnn_file
    loaded = load_model_file(path)
    image = fit_to_input(LoadedImage(ascent_pixels, "ascent.png"), loaded.fixed_hw)
    assert image.hw == (28, 28) and "Resized from 512x512 to 28x28" in image.notes[-1]
    ours = run_model(image, loaded.model)
    theirs = keras_outputs(model, image.pixels[None, :, :, None], 8)
    for index, (mine, keras_own) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(mine, keras_own, rtol=1e-5, atol=1e-5, err_msg=str(index))
    reference = run_layers(image.pixels, loaded.model.layers)
    np.testing.assert_allclose(ours[-1], reference[-1], rtol=1e-4, atol=1e-5)


def test_a_functional_model_with_a_nested_augmentation_stops_at_its_branch(tmp_path):
    inputs = keras.Input((None, None, 3))
    augment = keras.Sequential([L.RandomFlip("horizontal", name="flip"),
                                L.RandomRotation(0.1, name="rotate")], name="augment")
    x = L.Conv2D(4, 3, padding="same", activation="sigmoid", name="c1")(augment(inputs))
    x = L.MaxPooling2D(3, strides=2, name="pool")(x)
    y = L.Conv2D(4, 1, name="c2")(x)
    z = L.Add(name="add")([x, y])
    model = keras.Model(inputs, L.Conv2D(2, 3, name="c3")(z))
    path = tmp_path / "branch.keras"
    model.save(path)
    loaded = load_model_file(path, image_hw=(32, 40))
    assert loaded.input_size == (None, None, 3) and loaded.fixed_hw is None
    assert [(r.name, r.runs) for r in loaded.layers] == [
        ("flip", True), ("rotate", True), ("c1", True), ("pool", True), ("c2", True),
        ("add", False), ("c3", False)]
    assert "joins several inputs" in loaded.layers[5].why
    assert loaded.layers[4].output_shape == (1, 15, 19, 4)
    image = RNG.uniform(0, 255, (32, 40, 3)).astype(np.float32)
    ours = run_model(image, loaded.model)
    probe = keras.Model(inputs, [model.get_layer("augment").output, x, y])
    flipped, pooled, branch = (np.asarray(t) for t in probe(image[None], training=False))
    np.testing.assert_array_equal(ours[1], flipped)  # the augmentations pass through
    np.testing.assert_allclose(ours[3], pooled, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours[4], branch, rtol=1e-5, atol=1e-5)


def test_h5_files_open_too(tmp_path):
    model = keras.Sequential([keras.Input((16, 16, 1)), L.Conv2D(2, 3, activation="relu"),
                              L.AveragePooling2D(2)])
    path = tmp_path / "legacy.h5"
    model.save(path)
    loaded = load_model_file(path)
    image = RNG.uniform(0, 255, (16, 16)).astype(np.float32)
    np.testing.assert_allclose(run_model(image, loaded.model)[-1],
                               np.asarray(model(image[None, :, :, None])), rtol=1e-5,
                               atol=1e-4)


def test_unsupported_settings_are_listed_with_why(tmp_path):
    model = keras.Sequential([keras.Input((12, 12, 1)), L.Conv2D(2, 3),
                              L.Activation("softmax"), L.Conv2D(2, 3)])
    path = tmp_path / "softmax.keras"
    model.save(path)
    loaded = load_model_file(path)
    assert [r.runs for r in loaded.layers] == [True, False, False]
    assert "'softmax' is not one of linear, relu, sigmoid, tanh" in loaded.layers[1].why
    assert loaded.layers[2].output_shape == (1, 8, 8, 2) and loaded.layers[2].params == 38


def test_save_then_plain_keras_loads_the_same_outputs(tmp_path):
    model = ModelSpec((ConvSpec(kernel=RNG.normal(size=(3, 3, 1, 4)), bias=RNG.normal(size=4)),
                       ActivationSpec("relu"), PoolSpec((2, 2)),
                       ConvSpec(kernel=RNG.normal(size=(3, 3, 4, 2)), padding="same")))
    image = RNG.uniform(0, 255, (20, 18)).astype(np.float32)
    path = tmp_path / "stack.keras"
    save_model_file(path, model, (None, None, 1))
    plain = keras.saving.load_model(path)
    assert [layer.name for layer in plain.layers] == list(model.layer_names())
    outputs = run_model(image, model)
    x = image[None, :, :, None]
    for mine, keras_own in zip(outputs, keras_outputs(plain, x, 4)):
        np.testing.assert_allclose(keras_own, mine, rtol=1e-5, atol=1e-4)
    again = load_model_file(path)
    assert again.model == model and all(row.runs for row in again.layers)


def test_save_is_atomic_and_needs_the_keras_suffix(tmp_path):
    model = ModelSpec((ConvSpec(),))
    with pytest.raises(SaveError, match=r"name it stack\.keras"):
        save_model_file(tmp_path / "stack.h5", model)
    with pytest.raises(SaveError):
        save_model_file(tmp_path / "missing-folder" / "m.keras", model)
    target = tmp_path / "kept.keras"
    target.write_bytes(b"earlier")
    (tmp_path / "ro").mkdir()
    with pytest.raises(SaveError):
        save_model_file(tmp_path / "ro" / "x" / "y.keras", model)
    assert target.read_bytes() == b"earlier"


def hostile_files(tmp_path, cnn_path):
    """Files a model file could be instead, each with the words its error must contain."""
    good = cnn_path.read_bytes()
    files = {}

    def add(name, data, words):
        (tmp_path / name).write_bytes(data)
        files[name] = words

    add("notes.keras", b"just some text", "zip archive")
    add("half.keras", good[:len(good) // 2], "zip archive")
    add("photo.h5", b"\x89PNG\r\n\x1a\n" + bytes(64), "not an HDF5 file")
    add("empty.keras", b"", "empty")
    add("model.txt", good, "not a Keras model file")
    with zipfile.ZipFile(tmp_path / "nomodel.keras", "w") as archive:
        archive.writestr("readme.txt", "hello")
    files["nomodel.keras"] = "no config.json"
    with zipfile.ZipFile(tmp_path / "bomb.keras", "w") as archive:
        archive.writestr("config.json", "{}")
    data = bytearray((tmp_path / "bomb.keras").read_bytes())
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 0xFFFFFFF0)  # claims 4 GB unpacked
    add("bomb.keras", bytes(data), "would unpack to")
    with open(tmp_path / "huge.keras", "wb") as handle:  # sparse: no disk used
        handle.truncate(MAX_MODEL_BYTES + 1)
    files["huge.keras"] = "up to 1 GB"
    with zipfile.ZipFile(tmp_path / "garbage.keras", "w") as archive:
        archive.writestr("config.json", '{"class_name": "Sequential", "config": {"layers": 7}}')
        archive.writestr("metadata.json", "{}")
    files["garbage.keras"] = "could not be read as a Keras model|class Keras cannot find"
    return files


def test_malformed_and_hostile_files_are_one_clean_error(tmp_path, cnn_file):
    for name, words in hostile_files(tmp_path, cnn_file[0]).items():
        with pytest.raises(ModelFileError) as caught:
            load_model_file(tmp_path / name)
        message = str(caught.value)
        assert re.search(words, message), (name, message)
        assert "\n" not in message and "Traceback" not in message
    with pytest.raises(ModelFileError, match="no such file"):
        load_model_file(tmp_path / "missing.keras")
    with pytest.raises(ModelFileError, match="not a file"):
        (tmp_path / "folder.keras").mkdir()
        load_model_file(tmp_path / "folder.keras")


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_lambda_layer_is_refused_never_run(tmp_path, suffix):
    """Safe mode: the file's Python code never runs (it would create a marker file)."""
    marker = tmp_path / "ran.txt"
    code = f"lambda x: (open({str(marker)!r}, 'w').close(), x)[1]"
    model = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(1, 3),
                              L.Lambda(eval(code))])  # noqa: S307 (the test's own code)
    marker.unlink(missing_ok=True)
    path = tmp_path / f"lambda{suffix}"
    model.save(path)
    marker.unlink(missing_ok=True)
    with pytest.raises(ModelFileError, match="holds a Lambda layer"):
        load_model_file(path)
    assert not marker.exists()


def test_a_custom_layer_class_is_refused(tmp_path):
    @keras.saving.register_keras_serializable(package="convscope_test")
    class Doubler(L.Layer):
        def call(self, x):
            return 2 * x

    model = keras.Sequential([keras.Input((8, 8, 1)), Doubler(), L.Conv2D(1, 3)])
    path = tmp_path / "custom.keras"
    model.save(path)
    keras.saving.get_custom_objects().pop("convscope_test>Doubler")
    with pytest.raises(ModelFileError, match=r"class Keras cannot find \(Doubler\)"):
        load_model_file(path)


def test_a_model_without_any_layer_convscope_runs(tmp_path):
    model = keras.Sequential([keras.Input((8, 8, 1)), L.Flatten(), L.Dense(3)])
    path = tmp_path / "dense.keras"
    model.save(path)
    with pytest.raises(ModelFileError, match="holds no layer ConvScope runs: flatten"):
        load_model_file(path)


def test_the_helper_process_opens_a_file_and_reports_a_refusal(cnn_file, tmp_path):
    loaded = run_helper("load", cnn_file[0], None)
    assert loaded.model.layer_names()[:2] == ("scale", "conv_a")
    broken = tmp_path / "broken.keras"
    broken.write_bytes(cnn_file[0].read_bytes()[:1000])
    with pytest.raises(ModelFileError, match="zip archive"):
        run_helper("load", broken, None)
