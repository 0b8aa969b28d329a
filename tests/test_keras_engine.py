"""The real Keras Conv2D against the independent NumPy reference."""

import numpy as np
import pytest

from engine.backend.keras_model import KerasModelRunner, convolve, run_model
from engine.kernels.edits import keras_kernel
from engine.kernels.presets import random_kernel
from engine.model.conv import ConvSpec
from engine.model.errors import LayerSpecError
from engine.model.network import ModelSpec, single_conv
from tests.numpy_reference import cross_correlate

RNG = np.random.default_rng(7)


def check(image, spec, rtol=1e-5):
    got = convolve(image, spec)
    want = cross_correlate(image, spec.kernel, spec.strides, spec.padding, spec.dilation,
                           spec.bias, spec.activation)
    assert got.dtype == np.float32
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-5 * np.abs(want).max() + 1e-3)


def ones(kh=3, kw=3):
    return keras_kernel(np.ones((kh, kw)))


def test_lesson_step_1_random_kernel_strides_2_1(ascent_pixels):
    spec = ConvSpec(kernel=random_kernel((3, 3), 1, 1, seed=0), strides=(2, 1))
    out = convolve(ascent_pixels, spec)
    assert out.shape == (1, 255, 510, 1)
    check(ascent_pixels, spec)


def test_lesson_step_3_all_ones_is_a_box_sum(ascent_pixels):
    out = convolve(ascent_pixels, ConvSpec(kernel=ones(), strides=(2, 1)))
    assert out[0, 0, 0, 0] == ascent_pixels[0:3, 0:3].sum()
    assert out[0, 10, 20, 0] == ascent_pixels[20:23, 20:23].sum()


def test_lesson_step_4_same_padding_keeps_shape(ascent_pixels):
    spec = ConvSpec(kernel=ones(), padding="same")
    assert convolve(ascent_pixels, spec).shape == (1, 512, 512, 1)
    check(ascent_pixels, spec)


def test_no_kernel_flip():
    """Cross-correlation: a kernel with a single 1 at the top-left reads the pixel up-left."""
    image = RNG.uniform(0, 255, (6, 7)).astype(np.float32)
    kernel = np.zeros((3, 3))
    kernel[0, 0] = 1
    out = convolve(image, ConvSpec(kernel=keras_kernel(kernel)))
    np.testing.assert_array_equal(out[0, :, :, 0], image[:4, :5])


@pytest.mark.parametrize("kernel_shape,strides,padding,dilation", [
    ((3, 3, 1, 1), (1, 1), "valid", (1, 1)),
    ((3, 3, 1, 4), (2, 3), "same", (1, 1)),
    ((2, 2, 1, 2), (1, 1), "same", (1, 1)),      # even kernel: odd padding split
    ((4, 2, 1, 3), (2, 1), "same", (1, 1)),      # even, non-square
    ((1, 5, 1, 1), (1, 2), "valid", (1, 1)),
    ((3, 2, 1, 5), (1, 1), "valid", (2, 3)),     # dilation
    ((3, 3, 1, 16), (1, 1), "same", (2, 2)),
    ((5, 4, 1, 2), (3, 3), "same", (1, 1)),
])
def test_matches_reference(kernel_shape, strides, padding, dilation):
    image = RNG.uniform(0, 255, (17, 23)).astype(np.float32)
    kernel = RNG.normal(size=kernel_shape)
    bias = RNG.normal(0, 5, kernel_shape[3])
    check(image, ConvSpec(kernel=kernel, strides=strides, padding=padding, dilation=dilation,
                          bias=bias))


def test_relu_and_three_channels_many_filters():
    image = RNG.uniform(0, 255, (9, 8, 3)).astype(np.float32)
    check(image, ConvSpec(kernel=RNG.normal(size=(3, 3, 3, 6)), activation="relu"))


def test_each_filter_makes_its_own_map(ascent_pixels):
    """Filter f's map is what a one-filter layer with f's weights gives: nothing mixes."""
    kernel = RNG.normal(size=(3, 3, 1, 4)).astype(np.float32)
    bias = np.array([0, 1, -2, 3], np.float32)
    together = convolve(ascent_pixels, ConvSpec(kernel=kernel, bias=bias))
    for f in range(4):
        alone = convolve(ascent_pixels, ConvSpec(kernel=kernel[..., f:f + 1], bias=bias[f]))
        np.testing.assert_allclose(together[..., f:f + 1], alone, rtol=1e-5, atol=1e-3)


def test_reuses_layer_when_only_weights_change(ascent_pixels):
    runner = KerasModelRunner()
    first = runner.run(ascent_pixels, single_conv(ConvSpec(kernel=ones())))[0]
    second = runner.run(ascent_pixels, single_conv(ConvSpec(kernel=2 * ones(), bias=1)))[0]
    assert runner.layer_builds == 1
    np.testing.assert_allclose(second, 2 * first + 1, rtol=1e-6)
    runner.run(ascent_pixels, single_conv(ConvSpec(kernel=ones(), strides=(2, 2))))
    assert runner.layer_builds == 2


def test_a_stack_of_two_convs_feeds_maps_forward():
    """The second layer reads the first one's F maps as its input channels."""
    image = RNG.uniform(0, 255, (12, 11)).astype(np.float32)
    first = ConvSpec(kernel=RNG.normal(size=(3, 3, 1, 4)), bias=RNG.normal(size=4))
    second = ConvSpec(kernel=RNG.normal(size=(2, 2, 4, 2)), padding="same")
    outputs = run_model(image, ModelSpec((first, second)))
    middle = cross_correlate(image, first.kernel, bias=first.bias)
    want = cross_correlate(middle[0], second.kernel, padding="same")
    assert [o.shape for o in outputs] == [(1, 10, 9, 4), (1, 10, 9, 2)]
    np.testing.assert_allclose(outputs[0], middle, rtol=1e-5, atol=1e-2)
    np.testing.assert_allclose(outputs[1], want, rtol=1e-4, atol=0.5)


def test_refused_settings_raise_the_projects_error():
    image = np.zeros((4, 4), np.float32)
    with pytest.raises(LayerSpecError):
        convolve(image, ConvSpec(kernel=ones(), strides=(2, 2), dilation=(2, 2)))
    with pytest.raises(LayerSpecError):
        convolve(image, ConvSpec(kernel=ones(5, 5)))


def test_random_preset_is_a_fresh_keras_layers_kernel():
    """The same seed gives the weights keras.initializers.GlorotUniform gives a fresh
    Conv2D(4, (3, 3)) on 3 channels, for the whole (kh, kw, C, F) kernel."""
    import keras

    layer = keras.layers.Conv2D(4, (3, 3), kernel_initializer=keras.initializers.GlorotUniform(
        seed=11))
    layer.build((None, None, None, 3))
    np.testing.assert_array_equal(random_kernel((3, 3), 3, 4, seed=11),
                                  np.asarray(layer.kernel))
