"""The shape arithmetic and validation, without TensorFlow."""

import numpy as np
import pytest

from engine.kernels.text import format_kernel, parse_kernel, parse_number
from engine.model.spec import ConvSpec, ConvSpecError, output_shape, same_padding, validate


def spec(kh=3, kw=3, **kw_args):
    return ConvSpec(kernel=np.ones((kh, kw)), **kw_args)


def test_lesson_shapes():
    assert output_shape((512, 512), spec(strides=(2, 1))) == (1, 255, 510, 1)
    assert output_shape((512, 512), spec(padding="same")) == (1, 512, 512, 1)


@pytest.mark.parametrize("n,k,s,d,expected", [
    (512, 3, 2, 1, 255), (512, 3, 1, 1, 510), (7, 3, 1, 2, 3), (5, 5, 1, 1, 1), (4, 2, 3, 1, 1),
])
def test_valid_size_formula(n, k, s, d, expected):
    assert output_shape((n, n), spec(k, k, strides=(s, s), dilation=(d, d)))[1] == expected


def test_same_size_is_ceil_and_odd_padding_goes_after():
    assert output_shape((7, 7), spec(strides=(2, 2), padding="same"))[1:3] == (4, 4)
    assert same_padding(512, 4, 1, 1) == (1, 2)  # even kernel: extra row at the bottom
    assert same_padding(5, 3, 2, 1) == (1, 1)
    assert same_padding(6, 3, 2, 1) == (0, 1)


def test_strides_with_dilation_is_explained():
    with pytest.raises(ConvSpecError, match="strides > 1 with dilation > 1"):
        validate(spec(strides=(2, 1), dilation=(2, 2)))


def test_empty_output_is_explained():
    with pytest.raises(ConvSpecError, match="empty"):
        validate(spec(5, 5), image_hw=(3, 3))
    validate(spec(5, 5, padding="same"), image_hw=(1, 1))  # 'same' never empties


def test_non_finite_kernel_refused():
    with pytest.raises(ConvSpecError, match="finite"):
        validate(ConvSpec(kernel=np.array([[1.0, np.nan]])))


@pytest.mark.parametrize("text", ["", "abc", "nan", "inf", "1e400", "-5e6"])
def test_bad_cell_text_refused(text):
    with pytest.raises(ConvSpecError):
        parse_number(text)


def test_kernel_text_round_trip():
    kernel = parse_kernel("1 2,3; -0.5 0 1e-3")
    assert kernel.shape == (2, 3)
    assert np.array_equal(parse_kernel(format_kernel(kernel)), kernel)
    with pytest.raises(ConvSpecError, match="different lengths"):
        parse_kernel("1 2; 3")


def test_spec_is_immutable_and_compares_by_value():
    kernel = np.ones((3, 3))
    a = ConvSpec(kernel=kernel)
    kernel[0, 0] = 5  # the caller's array is copied, not shared
    assert a == ConvSpec(kernel=np.ones((3, 3)))
    assert a != a.with_changes(bias=1.0)
    with pytest.raises(ValueError):
        a.kernel[0, 0] = 2
