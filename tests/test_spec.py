"""The shape arithmetic and validation, without TensorFlow."""

import numpy as np
import pytest

from engine.arithmetic.sizes import same_padding
from engine.kernels.edits import keras_kernel
from engine.kernels.text import format_kernel, parse_kernel, parse_number
from engine.model.conv import ConvSpec, check_conv
from engine.model.errors import LayerSpecError
from engine.model.network import ModelSpec


def spec(kh=3, kw=3, filters=1, **kw_args):
    return ConvSpec(kernel=keras_kernel(np.ones((kh, kw)), filters=filters), **kw_args)


def shape(hw, layer, channels=1):
    return layer.output_shape((1, *hw, channels))


def test_lesson_shapes():
    assert shape((512, 512), spec(strides=(2, 1))) == (1, 255, 510, 1)
    assert shape((512, 512), spec(padding="same")) == (1, 512, 512, 1)
    assert shape((512, 512), spec(filters=4)) == (1, 510, 510, 4)


@pytest.mark.parametrize("n,k,s,d,expected", [
    (512, 3, 2, 1, 255), (512, 3, 1, 1, 510), (7, 3, 1, 2, 3), (5, 5, 1, 1, 1), (4, 2, 3, 1, 1),
])
def test_valid_size_formula(n, k, s, d, expected):
    assert shape((n, n), spec(k, k, strides=(s, s), dilation=(d, d)))[1] == expected


def test_same_size_is_ceil_and_odd_padding_goes_after():
    assert shape((7, 7), spec(strides=(2, 2), padding="same"))[1:3] == (4, 4)
    assert same_padding(512, 4, 1, 1) == (1, 2)  # even kernel: extra row at the bottom
    assert same_padding(5, 3, 2, 1) == (1, 1)
    assert same_padding(6, 3, 2, 1) == (0, 1)


def test_strides_with_dilation_is_explained():
    with pytest.raises(LayerSpecError, match="strides > 1 with dilation > 1"):
        check_conv(spec(strides=(2, 1), dilation=(2, 2)))


def test_empty_output_is_explained():
    with pytest.raises(LayerSpecError, match="empty"):
        check_conv(spec(5, 5), image_hw=(3, 3))
    check_conv(spec(5, 5, padding="same"), image_hw=(1, 1))  # 'same' never empties


def test_non_finite_kernel_refused():
    with pytest.raises(LayerSpecError, match="finite"):
        check_conv(ConvSpec(kernel=keras_kernel(np.array([[1.0, np.nan]]))))


@pytest.mark.parametrize("kernel", [np.ones(3), np.ones((3, 3)), np.ones((3, 3, 1)),
                                    np.ones((0, 3, 1, 1)), np.ones((3, 3, 1, 1, 1))])
def test_a_kernel_not_in_keras_layout_is_the_projects_error(kernel):
    """Not an IndexError from reading the size of a 1-D kernel."""
    with pytest.raises(LayerSpecError):
        ConvSpec(kernel=kernel)


def test_one_bias_per_filter():
    assert np.array_equal(spec(filters=3, bias=2.0).bias, [2, 2, 2])
    with pytest.raises(LayerSpecError, match="one value per filter"):
        spec(filters=3, bias=np.ones(2))


def test_parameter_count_is_model_summarys():
    layer = ConvSpec(kernel=np.ones((3, 3, 3, 4)))
    assert layer.param_count == 3 * 3 * 3 * 4 + 4 == 112
    assert layer.param_arithmetic() == "3·3·3·4 + 4 = 112"


def test_too_many_filters_refused():
    """The window offers 16 filters; an opened model may have up to 512 (CNNs use 32, 64)."""
    check_conv(spec(filters=64))
    with pytest.raises(LayerSpecError, match="at most 512"):
        check_conv(spec(filters=513))


def test_model_checks_each_layer_on_its_own_input():
    first, second = spec(filters=4), ConvSpec(kernel=np.ones((3, 3, 4, 2)))
    model = ModelSpec((first, second))
    assert model.output_shapes((1, 10, 10, 1)) == [(1, 8, 8, 4), (1, 6, 6, 2)]
    assert model.layer_names() == ("conv2d", "conv2d_1")
    with pytest.raises(LayerSpecError, match="Layer 2 \\(conv2d_1\\)"):
        model.check((1, 4, 4, 1))  # 4 -> 2 rows: the second 3x3 kernel no longer fits
    with pytest.raises(LayerSpecError, match="input channel"):
        ModelSpec((second,)).check((1, 10, 10, 1))


@pytest.mark.parametrize("text", ["", "abc", "nan", "inf", "1e400", "-5e6"])
def test_bad_cell_text_refused(text):
    with pytest.raises(LayerSpecError):
        parse_number(text)


def test_kernel_text_round_trip():
    kernel = parse_kernel("1 2,3; -0.5 0 1e-3")
    assert kernel.shape == (2, 3)
    assert np.array_equal(parse_kernel(format_kernel(kernel)), kernel)
    with pytest.raises(LayerSpecError, match="different lengths"):
        parse_kernel("1 2; 3")


def test_spec_is_immutable_and_compares_by_value():
    kernel = keras_kernel(np.ones((3, 3)))
    a = ConvSpec(kernel=kernel)
    kernel[0, 0] = 5  # the caller's array is copied, not shared
    assert a == ConvSpec(kernel=keras_kernel(np.ones((3, 3))))
    assert a != a.with_changes(bias=1.0)
    with pytest.raises(ValueError):
        a.kernel[0, 0, 0, 0] = 2
    with pytest.raises(ValueError):
        a.bias[0] = 2
