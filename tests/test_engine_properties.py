"""Property tests: the real Keras Conv2D against the independent NumPy reference, over random
image sizes (1-40), kernel sizes (1-7, even and non-square), 1 to 16 filters, strides,
dilation, padding, per-filter bias, activation and 1 or 3 channels; and the text and image
readers over random input.

One KerasModelRunner serves every example (a new layer only when the configuration changes),
so an example costs a few milliseconds. Example counts come from the profile in conftest.py.
"""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from engine.backend.keras_model import KerasModelRunner, keras
from engine.images.loading import load_image
from engine.kernels.edits import keras_kernel
from engine.kernels.text import format_kernel, parse_kernel, parse_number
from engine.model.conv import MAX_ABS_WEIGHT, MAX_FILTERS, ConvSpec
from engine.model.errors import LayerSpecError
from engine.model.network import single_conv
from tests.numpy_reference import cross_correlate

RUNNER = KerasModelRunner()  # shared by every example: the layer cache is part of the test


def run(runner, image, spec):
    return runner.run(image, single_conv(spec))[0]


@st.composite
def layer_cases(draw):
    """An image and a spec; about a quarter of them are settings Keras refuses."""
    channels = draw(st.sampled_from([1, 3]))
    hw = (draw(st.integers(1, 40)), draw(st.integers(1, 40)))
    kernel_size = (draw(st.integers(1, 7)), draw(st.integers(1, 7)))
    steps = draw(st.sampled_from(["strides", "dilation", "neither", "strides", "dilation",
                                  "both"]))  # both > 1 is what Keras refuses
    strides = ((draw(st.integers(1, 4)), draw(st.integers(1, 4)))
               if steps in ("strides", "both") else (1, 1))
    dilation = ((draw(st.integers(1, 3)), draw(st.integers(1, 3)))
                if steps in ("dilation", "both") else (1, 1))
    padding = draw(st.sampled_from(["valid", "same"]))
    filters = draw(st.sampled_from([1, 1, 2, 3, 4, 8, MAX_FILTERS]))
    bias = draw(st.lists(st.floats(-300, 300, width=32), min_size=filters, max_size=filters))
    activation = draw(st.sampled_from(["linear", "relu"]))
    scale = draw(st.sampled_from([1.0, 255.0, 65535.0]))  # unit, 8-bit and 16-bit ranges
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    image = (rng.uniform(0, scale, (*hw, channels)) if channels == 3
             else rng.uniform(0, scale, hw)).astype(np.float32)
    kernel = rng.normal(0, 1, (*kernel_size, channels, filters)).astype(np.float32)
    spec = ConvSpec(kernel=kernel, strides=strides, padding=padding, dilation=dilation,
                    bias=bias, activation=activation)
    return image, spec


def reference(image, spec):
    return cross_correlate(image, spec.kernel, spec.strides, spec.padding, spec.dilation,
                           spec.bias, spec.activation)


def keras_refuses_too(image, spec) -> bool:
    """A fresh, raw Keras layer (no ConvScope code) also rejects these settings."""
    try:
        layer = keras.layers.Conv2D(spec.filters, spec.kernel_size, strides=spec.strides,
                                    padding=spec.padding, dilation_rate=spec.dilation)
        layer(image.reshape(1, image.shape[0], image.shape[1], -1))
    except ValueError:
        return True
    return False


@settings(max_examples=3 * settings.default.max_examples)  # the heart of the issue
@given(layer_cases())
def test_keras_matches_the_reference_or_refuses_clearly(case):
    image, spec = case
    want = reference(image, spec)
    refused = max(spec.strides) > 1 and max(spec.dilation) > 1 or want.size == 0
    event("refused" if refused else f"computed, {spec.channels} channel(s), {spec.padding}")
    event(f"{spec.filters} filter(s)")
    if refused:
        with pytest.raises(LayerSpecError) as info:
            run(RUNNER, image, spec)
        assert any(words in str(info.value) for words in ("output would be empty",
                                                          "strides > 1 with dilation > 1"))
        assert keras_refuses_too(image, spec)  # the refusal is Keras's, not an invention
        return
    got = run(RUNNER, image, spec)
    assert got.dtype == np.float32
    channels = 1 if image.ndim == 2 else image.shape[2]
    assert got.shape == want.shape == spec.output_shape((1, *image.shape[:2], channels))
    size = float(np.abs(image).max() * np.abs(spec.kernel).sum() + np.abs(spec.bias).max())
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6 * size + 1e-5)


@st.composite
def edit_walks(draw):
    """One image, two layer settings and a run of edits that switch between them with new
    weights, each edit followed or not by an idle moment (in which the engine traces the
    current layer call), as a user's edits reach the engine."""
    image, first = draw(layer_cases())
    channels = 1 if image.ndim == 2 else 3
    second = draw(layer_cases().filter(lambda case: case[1].channels == channels))[1]
    steps = []
    for _ in range(draw(st.integers(2, 8))):
        base = draw(st.sampled_from([first, second]))
        spec = base.with_changes(kernel=base.kernel * draw(st.sampled_from([1.0, -2.0, 0.5])),
                                 bias=base.bias + draw(st.floats(-300, 300, width=32)))
        steps.append((spec, draw(st.booleans())))
    return image, steps


@settings(max_examples=max(10, settings.default.max_examples // 3))
@given(edit_walks())
def test_any_run_of_edits_and_idle_traces_matches_the_reference(walk):
    """Caught a traced graph of an earlier layer being called after the layer was rebuilt
    for the same settings (strides (1, 1) -> (2, 1) -> (1, 1) without an idle moment)."""
    image, steps = walk
    runner = KerasModelRunner()
    runner.set_input(image)
    for spec, idle in steps:
        try:
            got = runner.run_input(single_conv(spec))[0]
        except LayerSpecError:
            continue
        want = reference(image, spec)
        size = float(np.abs(image).max() * np.abs(spec.kernel).sum() + np.abs(spec.bias).max())
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6 * size + 1e-5)
        if idle:
            runner.compile_current()


@given(layer_cases())
def test_a_kernel_for_the_wrong_channel_count_is_refused(case):
    image, spec = case
    wrong = np.ones((2, 2, 1 if spec.channels == 3 else 3, spec.filters))
    runnable = spec.with_changes(kernel=wrong, strides=(1, 1), dilation=(1, 1), padding="same")
    with pytest.raises(LayerSpecError, match="input channel"):
        run(RUNNER, image, runnable)


@given(st.text(max_size=12) | st.from_regex(r"\s*[-+]?\d*[.,]?\d*([eE][-+]?\d{1,3})?\s*",
                                              fullmatch=True))
def test_any_cell_text_is_a_bounded_number_or_a_clear_refusal(text):
    try:
        value = parse_number(text)
    except LayerSpecError as exc:
        assert str(exc)  # always a reason
        return
    assert math.isfinite(value) and abs(value) <= MAX_ABS_WEIGHT
    assert value == 0 or np.float32(value) != 0


@given(st.floats(-MAX_ABS_WEIGHT, MAX_ABS_WEIGHT, width=32))
def test_numbers_typed_in_cells_are_taken_exactly(value):
    if value != 0 and np.float32(value) == 0:
        with pytest.raises(LayerSpecError, match="too small"):
            parse_number(repr(value))
    else:
        assert parse_number(repr(value)) == value


@given(st.lists(st.lists(st.floats(-1e3, 1e3, width=32), min_size=3, max_size=3),
                min_size=1, max_size=7))
def test_kernel_text_round_trips_to_six_digits(rows):
    kernel = np.array(rows, np.float32)
    again = parse_kernel(format_kernel(kernel))
    assert again.shape == kernel.shape
    np.testing.assert_allclose(again, kernel, rtol=5e-6, atol=1e-30)


LOSSLESS = {"L": np.uint8, "I;16": np.uint16, "F": np.float32, "RGB": np.uint8}


@settings(max_examples=max(10, settings.default.max_examples // 4),
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # tmp_path is reused
@given(st.sampled_from(sorted(LOSSLESS)), st.sampled_from(["png", "tif", "bmp"]),
       st.integers(1, 20), st.integers(1, 20), st.integers(0, 2**32 - 1))
def test_lossless_files_load_exactly(tmp_path, mode, fmt, height, width, seed):
    assume((mode, fmt) not in {("F", "png"), ("F", "bmp"), ("I;16", "bmp")})  # cannot hold
    rng = np.random.default_rng(seed)
    shape = (height, width, 3) if mode == "RGB" else (height, width)
    top = 1000.0 if mode == "F" else np.iinfo(LOSSLESS[mode]).max
    values = rng.uniform(-top if mode == "F" else 0, top, shape).astype(LOSSLESS[mode])
    path = tmp_path / f"random.{fmt}"
    Image.fromarray(values).save(path)
    image = load_image(path, "rgb" if mode == "RGB" else "gray")
    np.testing.assert_array_equal(image.pixels, values.astype(np.float32))


def test_shared_runner_really_reused_layers():
    """Guards the speed assumption behind the example counts above."""
    before = RUNNER.layer_builds
    spec = ConvSpec(kernel=keras_kernel(np.ones((2, 3))), strides=(1, 2))
    for k in range(5):
        run(RUNNER, np.ones((9, 9), np.float32), spec.with_changes(bias=float(k)))
    assert RUNNER.layer_builds <= before + 1


def test_header_bytes_are_what_the_corpus_claims():
    """png_bytes writes the size it is given (the bomb cases rely on it)."""
    from tests.image_corpus import png_bytes
    data = png_bytes(123_456, 7, 8, 0)
    assert struct.unpack(">II", data[16:24]) == (123_456, 7)
