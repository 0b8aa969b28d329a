"""Kernel edits, presets, kernel files and display mappings: the pure engine parts."""

import json

import numpy as np
import pytest

from engine.images.display import MAPPINGS, abs_lut, diverging_lut, map_levels, render
from engine.kernels.edits import channels_identical, normalize_kernel, resize_kernel, to_channels
from engine.kernels.files import (
    KernelFileError,
    load_kernel_file,
    save_kernel_file,
    spec_from_json,
    spec_to_json,
)
from engine.kernels.presets import FIXED, PRESET_NAMES, RANDOM, preset_kernel
from engine.model.spec import ConvSpec, ConvSpecError
from engine.storage.atomic import SaveError


def test_resize_keeps_overlap_and_zero_fills():
    kernel = np.arange(9, dtype=np.float32).reshape(3, 3)
    grown = resize_kernel(kernel, 4, 5)
    assert grown.shape == (4, 5)
    assert np.array_equal(grown[:3, :3], kernel)
    assert grown[3:].sum() == 0 and grown[:, 3:].sum() == 0
    assert np.array_equal(resize_kernel(grown, 3, 3), kernel)
    assert np.array_equal(resize_kernel(kernel, 2, 1), [[0], [3]])
    colour = resize_kernel(np.ones((3, 3, 3)), 2, 4)
    assert colour.shape == (2, 4, 3) and colour[:, :3].min() == 1 and colour[:, 3].max() == 0
    with pytest.raises(ConvSpecError):
        resize_kernel(kernel, 16, 3)


def test_normalize_divides_by_sum_and_refuses_zero_sum():
    np.testing.assert_allclose(normalize_kernel(np.ones((3, 3))), np.full((3, 3), 1 / 9),
                               rtol=1e-6)
    assert normalize_kernel(FIXED["sharpen"]).sum() == pytest.approx(1.0)
    with pytest.raises(ConvSpecError, match="sum to 0"):
        normalize_kernel(FIXED["Sobel X"])


def test_presets_by_name():
    assert PRESET_NAMES[-1] == "custom" and len(PRESET_NAMES) == 12
    ident = preset_kernel("identity", (4, 2))
    assert ident.shape == (4, 2) and ident[1, 0] == 1 and ident.sum() == 1
    assert np.array_equal(preset_kernel("box blur (all ones)", (2, 5)), np.ones((2, 5)))
    assert preset_kernel("Gaussian blur 5x5").sum() == pytest.approx(1.0)
    assert preset_kernel("Gaussian blur 3x3", (7, 7)).shape == (3, 3)
    assert np.array_equal(preset_kernel("Sobel Y"), FIXED["Sobel X"].T)
    a = preset_kernel(RANDOM, (3, 3), seed=5)
    assert np.array_equal(a, preset_kernel(RANDOM, (3, 3), seed=5))
    assert not np.array_equal(a, preset_kernel(RANDOM, (3, 3), seed=6))
    assert np.abs(a).max() <= np.sqrt(6 / 18)
    shared = preset_kernel(RANDOM, (3, 3), channels=3, seed=1)
    separate = preset_kernel(RANDOM, (3, 3), channels=3, seed=1, same_for_all_channels=False)
    assert shared.shape == separate.shape == (3, 3, 3)
    assert channels_identical(shared) and not channels_identical(separate)
    assert np.abs(separate).max() <= np.sqrt(6 / (27 + 9))  # fan_in counts the channels


def test_to_channels():
    plane = np.arange(4.0).reshape(2, 2)
    rgb = to_channels(plane, 3)
    assert rgb.shape == (2, 2, 3) and all(np.array_equal(rgb[:, :, c], plane) for c in range(3))
    assert np.array_equal(to_channels(rgb, 1), plane)


def test_json_round_trip_keeps_every_setting(tmp_path):
    spec = ConvSpec(kernel=np.random.default_rng(1).normal(size=(2, 5, 3)), strides=(1, 1),
                    padding="same", dilation=(2, 3), bias=-1.25, activation="relu")
    path = tmp_path / "k.json"
    save_kernel_file(path, spec)
    document = json.loads(path.read_text())
    assert document["size"] == [2, 5] and document["activation"] == "relu"
    assert np.array(document["values"]).shape == (2, 5, 3)
    assert load_kernel_file(path, ConvSpec()) == spec
    assert spec_from_json(spec_to_json(spec)) == spec


def test_text_kernel_round_trip_and_imagej_style(tmp_path):
    path = tmp_path / "k.txt"
    path.write_text("# ImageJ style\n-1 -1 -1\n-1  8 -1\n\t-1 -1 -1\n")
    current = ConvSpec(strides=(2, 1), bias=3)
    spec = load_kernel_file(path, current)
    assert np.array_equal(spec.kernel, FIXED["outline"])
    assert spec.strides == (2, 1) and spec.bias == 3  # text replaces only the weights
    colour = load_kernel_file(path, ConvSpec(kernel=np.ones((3, 3, 3))))
    assert colour.kernel.shape == (3, 3, 3) and channels_identical(colour.kernel)
    odd = ConvSpec(kernel=np.float32([[0.1, 1 / 3], [2e-7, -5]]))
    save_kernel_file(tmp_path / "odd.txt", odd)
    assert np.array_equal(load_kernel_file(tmp_path / "odd.txt", odd).kernel, odd.kernel)
    with pytest.raises(SaveError, match="JSON"):
        save_kernel_file(tmp_path / "rgb.txt",
                         ConvSpec(kernel=np.random.default_rng(0).normal(size=(3, 3, 3))))
    assert not (tmp_path / "rgb.txt").exists()


@pytest.mark.parametrize("name,content,reason", [
    ("a.json", "{not json", "not valid JSON"),
    ("b.json", '{"size": [3, 3]}', "no \"values\""),
    ("c.json", '{"values": [[1, 2], [3]]}', "c.json"),
    ("d.json", '{"values": [[1, 2]], "size": [3, 3]}', "size"),
    ("e.json", '{"values": [[1]], "strides": [2, 2], "dilation": [2, 2]}', "dilation"),
    ("f.json", '{"values": [[1]], "padding": "full"}', "Padding"),
    ("g.json", '{"kernel": [[NaN]]}', "finite"),
    ("s.json", '{"values": [[1]], "strides": [1.5, 1]}', "two whole numbers"),
    ("t.json", '{"values": [[1]], "bias": null}', "must be a number"),
    ("u.json", '{"values": [[1, "a"]]}', "must be numbers"),
    ("h.txt", "1 2 3\n4 5\n", "different lengths"),
    ("i.txt", "1 x 3\n", "not a number"),
    ("j.txt", "", "empty"),
    ("k.txt", "1 " * 20 + "\n", "at most"),
])
def test_malformed_files_are_explained(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(KernelFileError, match=reason) as info:
        load_kernel_file(path, ConvSpec())
    assert name in str(info.value)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(KernelFileError, match="no such file"):
        load_kernel_file(tmp_path / "none.json", ConvSpec())
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(KernelFileError):
        load_kernel_file(binary, ConvSpec())


def test_display_mappings():
    values = np.array([[-50.0, 0.0], [100.0, 400.0]], np.float32)
    assert map_levels(values, "auto") == ((-50.0, 400.0), None)
    assert map_levels(values, "clip") == ((0.0, 255.0), None)
    levels, lut = map_levels(values, "diverging")
    assert levels == (-400.0, 400.0) and lut.shape == (256, 3)
    assert tuple(diverging_lut()[0]) == (0, 0, 255) and tuple(diverging_lut()[-1]) == (255, 0, 0)
    assert tuple(diverging_lut(257)[128]) == (255, 255, 255)
    assert tuple(diverging_lut()[127]) == tuple(diverging_lut()[128]) == (255, 255, 255)
    assert tuple(abs_lut()[0]) == tuple(abs_lut()[-1]) == (255, 255, 255)
    with pytest.raises(ValueError):
        map_levels(values, "rainbow")


def test_render_as_each_mapping_shows():
    values = np.array([[-100.0, 0.0, 100.0, 300.0]], np.float32)
    assert render(values, "clip").tolist() == [[0, 0, 100, 255]]
    assert render(values, "auto").tolist() == [[0, 64, 128, 255]]
    div = render(values, "diverging")
    assert div.shape == (1, 4, 3)
    assert div[0, 0, 2] == 255 and div[0, 0, 0] < 255  # negative: blue
    assert div[0, 2, 0] == 255 and div[0, 2, 2] < 255  # positive: red
    assert div[0, 1].min() >= 254  # zero: white
    absolute = render(np.array([[-100.0, 0.0, 100.0]], np.float32), "abs")
    assert absolute[0, 0, 0] == absolute[0, 2, 0] == 255 and absolute[0, 1, 0] == 0
    for mode in MAPPINGS:
        assert render(np.zeros((2, 2), np.float32), mode).dtype == np.uint8


def test_identity_preset_reproduces_the_input_with_same_padding():
    """For even sizes too: the 1 sits where TensorFlow's 'same' padding puts the output."""
    from engine.backend.keras_model import convolve

    image = np.random.default_rng(2).uniform(0, 255, (9, 12)).astype(np.float32)
    for size in [(3, 3), (4, 4), (2, 5), (1, 6)]:
        out = convolve(image, ConvSpec(kernel=preset_kernel("identity", size), padding="same"))
        np.testing.assert_array_equal(out[0, :, :, 0], image)


def test_json_channels_must_agree_with_the_values():
    import json

    from engine.kernels.files import KernelFileError, spec_from_json

    text = json.dumps({"values": [[1, 0], [0, 1]], "channels": 3})
    with pytest.raises(KernelFileError, match='"channels" says 3'):
        spec_from_json(text)
    assert spec_from_json(json.dumps({"values": [[1, 0], [0, 1]], "channels": 1})).channels == 1
