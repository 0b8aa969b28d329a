"""Kernel edits, presets, kernel files and display mappings: the pure engine parts."""

import json

import numpy as np
import pytest

from engine.images.display import MAPPINGS, abs_lut, diverging_lut, map_levels, render
from engine.kernels.edits import (
    channels_identical,
    keras_kernel,
    normalize_kernel,
    resize_kernel,
    to_channels,
    with_filter,
    with_filter_count,
    with_weight,
)
from engine.kernels.files import (
    KernelFileError,
    load_kernel_file,
    load_weights_npy,
    save_kernel_file,
    spec_from_json,
    spec_to_json,
)
from engine.kernels.presets import (
    BANK,
    BOX,
    CUSTOM,
    FILTER_BANK,
    FIXED,
    IDENTITY,
    PRESET_NAMES,
    RANDOM,
    filter_bank,
    identify_preset,
    preset_filter,
    preset_plane,
    random_filter,
    random_kernel,
)
from engine.model.conv import ConvSpec
from engine.model.errors import LayerSpecError
from engine.storage.atomic import SaveError
from tests.layers import conv, keras_glorot


def test_resize_keeps_overlap_and_zero_fills_every_filter():
    kernel = np.arange(36, dtype=np.float32).reshape(3, 3, 1, 4)
    grown = resize_kernel(kernel, 4, 5)
    assert grown.shape == (4, 5, 1, 4)
    assert np.array_equal(grown[:3, :3], kernel)
    assert grown[3:].sum() == 0 and grown[:, 3:].sum() == 0
    assert np.array_equal(resize_kernel(grown, 3, 3), kernel)
    assert np.array_equal(resize_kernel(kernel, 2, 1)[:, :, 0, 1], [[1], [13]])
    with pytest.raises(LayerSpecError):
        resize_kernel(kernel, 16, 3)


def test_weight_filter_and_filter_count_edits():
    kernel = np.zeros((2, 2, 3, 2), np.float32)
    one = with_weight(kernel, 1, 0, 1, 5.0)
    assert one[1, 0, :, 1].tolist() == [5, 5, 5] and one.sum() == 15  # every channel
    assert with_weight(kernel, 1, 0, 1, 5.0, channel=2).sum() == 5
    assert kernel.sum() == 0  # the argument is left alone
    replaced = with_filter(kernel, 0, np.ones((3, 3)))  # another size resizes the kernel
    assert replaced.shape == (3, 3, 3, 2) and replaced[..., 0].min() == 1
    assert replaced[..., 1].max() == 0
    fresh = np.full((2, 2, 3, 4), 7, np.float32)
    more, bias = with_filter_count(one, np.array([1, 2], np.float32), 4, fresh)
    assert more.shape == (2, 2, 3, 4) and bias.tolist() == [1, 2, 0, 0]
    assert np.array_equal(more[..., :2], one) and more[..., 2:].min() == 7
    fewer, bias = with_filter_count(more, bias, 1, fresh)
    assert fewer.shape == (2, 2, 3, 1) and bias.tolist() == [1]
    with pytest.raises(LayerSpecError):
        with_filter_count(one, bias, 17, fresh)


def test_normalize_divides_by_sum_and_refuses_zero_sum():
    np.testing.assert_allclose(normalize_kernel(np.ones((3, 3, 1))), np.full((3, 3, 1), 1 / 9),
                               rtol=1e-6)
    assert normalize_kernel(FIXED["sharpen"]).sum() == pytest.approx(1.0)
    with pytest.raises(LayerSpecError, match="sum to 0"):
        normalize_kernel(FIXED["Sobel X"])


def test_presets_by_name():
    assert PRESET_NAMES[-2:] == (FILTER_BANK, CUSTOM) and len(PRESET_NAMES) == 13
    ident = preset_plane(IDENTITY, (4, 2))
    assert ident.shape == (4, 2) and ident[1, 0] == 1 and ident.sum() == 1
    assert np.array_equal(preset_plane(BOX, (2, 5)), np.ones((2, 5)))
    assert preset_plane("Gaussian blur 5x5").sum() == pytest.approx(1.0)
    assert preset_plane("Gaussian blur 3x3", (7, 7)).shape == (3, 3)
    assert np.array_equal(preset_plane("Sobel Y"), FIXED["Sobel X"].T)
    sobel = preset_filter("Sobel X", (5, 5), 3, 2, 1, seed=0)
    assert sobel.shape == (3, 3, 3) and np.array_equal(sobel[:, :, 2], FIXED["Sobel X"])


def test_random_filters_come_from_one_untrained_kernel():
    whole = random_kernel((3, 3), 3, 4, seed=5)
    assert whole.shape == (3, 3, 3, 4)
    assert np.array_equal(whole, random_kernel((3, 3), 3, 4, seed=5))
    assert not np.array_equal(whole, random_kernel((3, 3), 3, 4, seed=6))
    drawn = keras_glorot((3, 3, 3, 4), 5)  # what a fresh Conv2D(4, (3, 3)) on RGB draws
    assert np.array_equal(whole.view(np.uint32), drawn.view(np.uint32))
    separate = random_filter((3, 3), 3, 4, 2, seed=5, same_for_all_channels=False)
    shared = random_filter((3, 3), 3, 4, 2, seed=5, same_for_all_channels=True)
    assert np.array_equal(separate, whole[..., 2])
    assert channels_identical(shared) and np.array_equal(shared[:, :, 1], whole[:, :, 0, 2])


def test_filter_bank_gives_each_filter_a_classic_filter():
    bank = filter_bank(1, 12, seed=3)
    assert bank.shape == (3, 3, 1, 12)
    for index, name in enumerate(BANK):
        assert np.array_equal(bank[:, :, 0, index], preset_plane(name, (3, 3))), name
    for index in range(len(BANK), 12):  # more filters than classics: untrained ones
        assert identify_preset(bank, index, seed=3) == RANDOM


def test_the_preset_shown_is_read_off_the_weights():
    kernel = np.stack([keras_kernel(preset_plane(name))[..., 0]
                       for name in ("Sobel Y", BOX, "emboss")], axis=-1)
    assert [identify_preset(kernel, f, seed=0) for f in range(3)] == ["Sobel Y", BOX, "emboss"]
    kernel[0, 0, 0, 1] = 2
    assert identify_preset(kernel, 1, seed=0) == CUSTOM
    drawn = random_kernel((3, 3), 1, 2, seed=9)
    assert identify_preset(drawn, 1, seed=9) == RANDOM
    assert identify_preset(drawn, 1, seed=10) == CUSTOM  # not the seed on screen


def test_to_channels():
    kernel = np.arange(8.0).reshape(2, 2, 1, 2)
    rgb = to_channels(kernel, 3)
    assert rgb.shape == (2, 2, 3, 2)
    assert all(np.array_equal(rgb[:, :, c], kernel[:, :, 0]) for c in range(3))
    assert np.array_equal(to_channels(rgb, 1), kernel)


def test_json_round_trip_keeps_every_setting(tmp_path):
    rng = np.random.default_rng(1)
    spec = ConvSpec(kernel=rng.normal(size=(2, 5, 3, 4)), strides=(1, 1), padding="same",
                    dilation=(2, 3), bias=rng.normal(size=4), activation="relu")
    path = tmp_path / "k.json"
    save_kernel_file(path, spec)
    document = json.loads(path.read_text())
    assert document["size"] == [2, 5] and document["activation"] == "relu"
    assert document["filters"] == 4 and len(document["bias"]) == 4
    np.testing.assert_array_equal(np.array(document["values"], np.float32), spec.kernel)
    assert load_kernel_file(path, ConvSpec()) == spec
    assert spec_from_json(spec_to_json(spec)) == spec


def test_version_1_files_still_load():
    gray = spec_from_json(json.dumps({"format": "convscope-kernel", "version": 1,
                                      "values": [[1, 2], [3, 4]], "bias": 0.5}))
    assert gray.weights_shape == (2, 2, 1, 1) and gray.bias.tolist() == [0.5]
    assert gray.kernel[1, 0, 0, 0] == 3
    rgb = spec_from_json(json.dumps({"values": [[[1, 2, 3]]], "channels": 3}))
    assert rgb.weights_shape == (1, 1, 3, 1) and rgb.kernel[0, 0, :, 0].tolist() == [1, 2, 3]


def test_text_kernel_goes_into_the_selected_filter(tmp_path):
    path = tmp_path / "k.txt"
    path.write_text("# ImageJ style\n-1 -1 -1\n-1  8 -1\n\t-1 -1 -1\n")
    current = conv(np.ones((3, 3, 1, 3)), strides=(2, 1), bias=3)
    spec = load_kernel_file(path, current, filter_index=1)
    assert np.array_equal(spec.kernel[:, :, 0, 1], FIXED["outline"])
    assert spec.kernel[..., 0].min() == spec.kernel[..., 2].min() == 1  # others unchanged
    assert spec.strides == (2, 1) and spec.bias.tolist() == [3, 3, 3]  # only weights change
    colour = load_kernel_file(path, conv(np.ones((3, 3, 3, 1))))
    assert colour.weights_shape == (3, 3, 3, 1) and channels_identical(colour.kernel)
    odd = conv(np.float32([[0.1, 1 / 3], [2e-7, -5]]))
    save_kernel_file(tmp_path / "odd.txt", odd)
    assert np.array_equal(load_kernel_file(tmp_path / "odd.txt", odd).kernel, odd.kernel)
    with pytest.raises(SaveError, match="JSON"):
        save_kernel_file(tmp_path / "rgb.txt",
                         conv(np.random.default_rng(0).normal(size=(3, 3, 3, 1))))
    assert not (tmp_path / "rgb.txt").exists()
    with pytest.raises(KernelFileError, match="one size"):
        load_kernel_file(path, conv(np.ones((5, 5, 1, 2))))


def test_weights_npy_in_keras_layout(tmp_path):
    good = tmp_path / "w.npy"
    np.save(good, np.ones((3, 3, 1, 4)))
    assert load_weights_npy(good).shape == (3, 3, 1, 4)
    for name, array in (("flat.npy", np.ones((3, 3))), ("text.npy", np.array([["a"]]))):
        np.save(tmp_path / name, array)
        with pytest.raises(KernelFileError, match=name):
            load_weights_npy(tmp_path / name)
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    with pytest.raises(KernelFileError, match="not a NumPy"):
        load_weights_npy(tmp_path / "junk.npy")
    np.save(tmp_path / "objects.npy", np.array([object()], dtype=object), allow_pickle=True)
    with pytest.raises(KernelFileError):  # never unpickled
        load_weights_npy(tmp_path / "objects.npy")


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
        out = convolve(image, conv(preset_plane(IDENTITY, size), padding="same"))
        np.testing.assert_array_equal(out[0, :, :, 0], image)


def test_json_channels_must_agree_with_the_values():
    import json

    from engine.kernels.files import KernelFileError, spec_from_json

    text = json.dumps({"values": [[1, 0], [0, 1]], "channels": 3})
    with pytest.raises(KernelFileError, match='"channels" says 3'):
        spec_from_json(text)
    assert spec_from_json(json.dumps({"values": [[1, 0], [0, 1]], "channels": 1})).channels == 1


def test_json_counts_are_numbers_not_booleans_and_quoted_short():
    with pytest.raises(KernelFileError, match='"channels" says true'):
        spec_from_json(json.dumps({"values": [[1]], "channels": True}))
    with pytest.raises(KernelFileError) as info:
        spec_from_json(json.dumps({"values": [[1]], "size": [[[[0] * 1000]]]}))
    assert len(str(info.value)) < 200
