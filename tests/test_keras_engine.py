"""The real Keras Conv2D against the independent NumPy reference."""

import numpy as np
import pytest

from engine.backend.keras_model import KerasConvolver, convolve
from engine.kernels.presets import glorot_uniform
from engine.model.spec import ConvSpec, ConvSpecError
from tests.numpy_reference import cross_correlate

RNG = np.random.default_rng(7)


def check(image, spec, rtol=1e-5):
    got = convolve(image, spec)
    want = cross_correlate(image, spec.kernel, spec.strides, spec.padding, spec.dilation,
                           spec.bias, spec.activation)
    assert got.dtype == np.float32
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-5 * np.abs(want).max() + 1e-3)


def test_lesson_step_1_random_kernel_strides_2_1(ascent_pixels):
    spec = ConvSpec(kernel=glorot_uniform((3, 3), seed=0), strides=(2, 1))
    out = convolve(ascent_pixels, spec)
    assert out.shape == (1, 255, 510, 1)
    check(ascent_pixels, spec)


def test_lesson_step_3_all_ones_is_a_box_sum(ascent_pixels):
    out = convolve(ascent_pixels, ConvSpec(kernel=np.ones((3, 3)), strides=(2, 1)))
    assert out[0, 0, 0, 0] == ascent_pixels[0:3, 0:3].sum()
    assert out[0, 10, 20, 0] == ascent_pixels[20:23, 20:23].sum()
    assert out.max() <= 9 * 255


def test_lesson_step_4_same_padding_keeps_shape(ascent_pixels):
    spec = ConvSpec(kernel=np.ones((3, 3)), padding="same")
    assert convolve(ascent_pixels, spec).shape == (1, 512, 512, 1)
    check(ascent_pixels, spec)


def test_no_kernel_flip():
    """Cross-correlation: a kernel with a single 1 at the top-left reads the pixel up-left."""
    image = RNG.uniform(0, 255, (6, 7)).astype(np.float32)
    kernel = np.zeros((3, 3))
    kernel[0, 0] = 1
    out = convolve(image, ConvSpec(kernel=kernel))
    np.testing.assert_array_equal(out[0, :, :, 0], image[:4, :5])


@pytest.mark.parametrize("kernel_shape,strides,padding,dilation", [
    ((3, 3), (1, 1), "valid", (1, 1)),
    ((3, 3), (2, 3), "same", (1, 1)),
    ((2, 2), (1, 1), "same", (1, 1)),      # even kernel: odd padding split
    ((4, 2), (2, 1), "same", (1, 1)),      # even, non-square
    ((1, 5), (1, 2), "valid", (1, 1)),
    ((3, 2), (1, 1), "valid", (2, 3)),     # dilation
    ((3, 3), (1, 1), "same", (2, 2)),
    ((5, 4), (3, 3), "same", (1, 1)),
])
def test_matches_reference(kernel_shape, strides, padding, dilation):
    image = RNG.uniform(0, 255, (17, 23)).astype(np.float32)
    kernel = RNG.normal(size=kernel_shape)
    check(image, ConvSpec(kernel=kernel, strides=strides, padding=padding, dilation=dilation,
                          bias=-3.5))


def test_relu_and_three_channels():
    image = RNG.uniform(0, 255, (9, 8, 3)).astype(np.float32)
    check(image, ConvSpec(kernel=RNG.normal(size=(3, 3, 3)), activation="relu"))


def test_reuses_layer_when_only_weights_change(ascent_pixels):
    convolver = KerasConvolver()
    first = convolver.convolve(ascent_pixels, ConvSpec(kernel=np.ones((3, 3))))
    second = convolver.convolve(ascent_pixels, ConvSpec(kernel=2 * np.ones((3, 3)), bias=1))
    assert convolver.layer_builds == 1
    np.testing.assert_allclose(second, 2 * first + 1, rtol=1e-6)
    convolver.convolve(ascent_pixels, ConvSpec(kernel=np.ones((3, 3)), strides=(2, 2)))
    assert convolver.layer_builds == 2


def test_refused_settings_raise_the_projects_error():
    image = np.zeros((4, 4), np.float32)
    with pytest.raises(ConvSpecError):
        convolve(image, ConvSpec(kernel=np.ones((3, 3)), strides=(2, 2), dilation=(2, 2)))
    with pytest.raises(ConvSpecError):
        convolve(image, ConvSpec(kernel=np.ones((5, 5))))


def test_glorot_uniform_matches_keras_bounds():
    import keras

    limit = np.sqrt(6 / (9 + 9))
    ours = glorot_uniform((3, 3), seed=1)
    theirs = np.asarray(keras.initializers.GlorotUniform(seed=1)((3, 3, 1, 1)))
    assert np.abs(ours).max() <= limit and np.abs(theirs).max() <= limit
    assert ours.std() > 0.1 * limit  # really random, not zeros
