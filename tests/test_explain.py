"""The shape explanation, the receptive field and the lesson's arithmetic, checked against the
independent NumPy reference (no Qt, no Keras)."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine.arithmetic.receptive_field import explain_pixel, summary_lines, taps, term_line, window
from engine.arithmetic.shapes import explain_shape, flipped_kernel, shape_lines
from engine.images.loading import from_array
from engine.kernels.edits import keras_kernel
from engine.model.conv import ConvSpec
from engine.model.errors import LayerSpecError
from engine.teaching.lesson import Lesson
from tests.numpy_reference import _same_pads, cross_correlate


def spec(kh=3, kw=3, **changes):
    return ConvSpec(kernel=keras_kernel(np.ones((kh, kw))), **changes)


def output_shape(hw, layer, channels=1):
    return layer.output_shape((1, *hw, channels))


def test_lesson_formulas_with_the_actual_numbers():
    lines = shape_lines((512, 512), spec(strides=(2, 1)))
    assert lines[0] == "rows: floor((512 - 3) / 2) + 1 = 255"
    assert "the last 1 row (511) is never read" in lines[1]
    assert "starts at row 508" in lines[1]
    assert lines[2] == "cols: (512 - 3) / 1 + 1 = 510"
    assert len(lines) == 3  # every column is used with stride 1


def test_dilation_shows_the_effective_kernel():
    lines = shape_lines((512, 512), spec(dilation=(2, 1)))
    assert lines[0] == "rows: (512 - 5) / 1 + 1 = 508"
    assert "2*(3-1)+1 = 5 rows" in lines[1] and "1 row skipped between taps" in lines[1]
    assert lines[2] == "cols: (512 - 3) / 1 + 1 = 510"


def test_same_shows_ceil_and_the_padding_split():
    rows, cols = (shape_lines((512, 7), spec(4, 3, strides=(1, 2), padding="same"))[i]
                  for i in (0, 2))
    assert rows == "rows: ceil(512 / 1) = 512"
    assert cols == "cols: ceil(7 / 2) = 4"
    lines = shape_lines((512, 7), spec(4, 3, strides=(1, 2), padding="same"))
    assert "(512 - 1) * 1 + 4 - 512 = 3 zero rows: 1 top, 2 bottom" in lines[1]
    assert "extra one at the bottom" in lines[1]
    assert "= 2 zero columns: 1 left, 1 right" in lines[3] and "odd" not in lines[3]


def test_stride_larger_than_window_says_what_is_skipped():
    lines = shape_lines((10, 10), spec(1, 1, strides=(3, 1)))
    assert lines[0] == "rows: floor((10 - 1) / 3) + 1 = 4"
    assert any("6 rows in between are never read" in line for line in lines)


def coverage_from_reference(n, k, s, d, padding):
    """Which input rows any window reads: run the reference on one-hot rows."""
    covered = []
    for row in range(n):
        image = np.zeros((n, 1))
        image[row, 0] = 1
        out = cross_correlate(image, np.ones((k, 1)), (s, 1), padding, (d, 1))
        covered.append(out.size > 0 and out.max() > 0)
    return covered


axis_settings = st.tuples(st.integers(1, 14), st.integers(1, 4), st.integers(1, 4),
                          st.integers(1, 3), st.sampled_from(["valid", "same"]))


@settings(max_examples=150, deadline=None)
@given(axis_settings)
def test_axis_explanation_matches_the_reference(case):
    n, k, s, d, padding = case
    if s > 1 and d > 1:
        d = 1
    (axis, _) = explain_shape((n, 1), spec(k, 1, strides=(s, 1), dilation=(d, 1),
                                            padding=padding))
    if axis.out < 1:  # the reference cannot build an empty output; check the reason
        assert padding == "valid" and axis.effective > n and "empty" in axis.notes()[-1]
        return
    want = cross_correlate(np.ones((n, 1)), np.ones((k, 1)), (s, 1), padding, (d, 1))
    assert axis.out == want.shape[1]
    if padding == "same":
        assert (axis.pad_before, axis.pad_after) == _same_pads(n, k, s, d)
    if axis.out >= 1:
        covered = coverage_from_reference(n, k, s, d, padding)
        read = [i for i, c in enumerate(covered) if c]
        trailing = n - (read[-1] + 1) if read else n
        assert axis.uncovered == trailing
        assert axis.skipped_inside == n - trailing - len(read)
        assert np.array_equal(axis.rows_read(), covered)


@settings(max_examples=120, deadline=None)
@given(st.integers(2, 9), st.integers(2, 9), st.integers(1, 4), st.integers(1, 4),
       st.integers(1, 3), st.integers(1, 3), st.sampled_from(["valid", "same"]),
       st.integers(1, 3), st.integers(1, 3), st.floats(-5, 5),
       st.sampled_from(["linear", "relu"]), st.integers(0, 2**16))
def test_every_pixel_is_the_sum_of_its_terms(h, w, kh, kw, s, d, padding, channels, filters,
                                             bias, activation, seed):
    strides, dilation = ((s, 1), (1, 1)) if s > 1 else ((1, 1), (d, d))
    rng = np.random.default_rng(seed)
    kernel = rng.normal(size=(kh, kw, channels, filters))
    layer = ConvSpec(kernel=kernel, strides=strides, padding=padding, dilation=dilation,
                     bias=bias + np.arange(filters), activation=activation)
    pixels = rng.integers(0, 256, size=(h, w) if channels == 1 else (h, w, channels))
    pixels = pixels.astype(np.float32)
    try:
        layer.check((1, h, w, channels))
    except LayerSpecError:
        assume(False)
    want = cross_correlate(pixels, layer.kernel, strides, padding, dilation, layer.bias,
                           activation)
    assert want.shape == output_shape((h, w), layer, channels)
    for f in range(filters):
        for i in range(want.shape[1]):
            for j in range(want.shape[2]):
                got = explain_pixel(pixels, layer, i, j, f)
                assert got.value == pytest.approx(want[0, i, j, f], rel=1e-9, abs=1e-9)
                assert len(got.terms) == kh * kw * channels


@pytest.mark.parametrize("padding,dilation", [("valid", (1, 1)), ("same", (1, 1)),
                                              ("same", (2, 3)), ("valid", (2, 1))])
def test_each_tap_reads_the_pixel_the_reference_reads(padding, dilation):
    """A one-hot image at a tap's input position gives exactly that tap's weight."""
    layer = ConvSpec(kernel=np.arange(1, 10).reshape(3, 3, 1, 1), padding=padding,
                     dilation=dilation)
    hw = (7, 8)
    out_h, out_w = output_shape(hw, layer)[1:3]
    for i, j in [(0, 0), (out_h - 1, out_w - 1), (out_h // 2, 1)]:
        for tap in taps(i, j, hw, layer):
            if not tap.inside:
                assert not (0 <= tap.input_index[0] < 7 and 0 <= tap.input_index[1] < 8)
                continue
            image = np.zeros(hw)
            image[tap.input_index] = 1
            got = cross_correlate(image, layer.kernel, (1, 1), padding, dilation)[0, i, j, 0]
            assert got == layer.kernel[(*tap.kernel_index, 0, 0)]


def test_padding_taps_lie_outside_and_count_as_zero():
    layer = ConvSpec(kernel=keras_kernel(np.ones((3, 3))), padding="same")
    corner = window(0, 0, (5, 5), layer)
    assert (corner.top, corner.left, corner.height, corner.width) == (-1, -1, 3, 3)
    explained = explain_pixel(np.full((5, 5), 10.0, np.float32), layer, 0, 0)
    padding = [term for term in explained.terms if not term.tap.inside]
    assert len(padding) == 5 and all(term.value == 0 for term in padding)
    assert explained.value == 40
    assert term_line(padding[0]) == "pad[-1, -1] × w[0, 0] = 0 × 1 = 0"
    assert summary_lines(explained)[0] == "sum of 9 products (5 from padding zeros) = 40"


def test_rgb_terms_name_their_channel_and_relu_is_shown():
    layer = ConvSpec(kernel=-np.ones((1, 1, 3, 1)), bias=2, activation="relu")
    explained = explain_pixel(np.array([[[1, 2, 3]]], np.float32), layer, 0, 0)
    assert [term_line(t) for t in explained.terms][2] == "x[0, 0, B] × w[0, 0, B] = 3 × -1 = -3"
    assert summary_lines(explained) == ["sum of 3 products = -6", "+ bias 2 = -4",
                                        "relu: max(-4, 0) = 0"]
    assert explained.value == 0


def test_outside_the_output_is_refused():
    with pytest.raises(ValueError, match="outside"):
        taps(255, 0, (512, 512), spec(strides=(2, 1)))


def test_flipped_kernel_is_np_flip_on_both_axes():
    kernel = np.arange(18).reshape(3, 2, 3)
    assert np.array_equal(flipped_kernel(kernel), np.flip(kernel, (0, 1)))
    assert flipped_kernel(np.array([[1, 2], [3, 4]])).tolist() == [[4, 3], [2, 1]]


def test_lesson_steps_give_the_lessons_shapes_and_outputs(ascent_pixels):
    lesson = Lesson(seed=5)
    ascent = from_array(ascent_pixels, "ascent.png")
    current = ConvSpec(kernel=keras_kernel(np.full((5, 5), 2.0), filters=3), dilation=(2, 2),
                       bias=3)
    shapes, outputs = [], []
    for index in range(len(lesson)):
        current = lesson.spec_for(index, current)
        shapes.append(output_shape(ascent_pixels.shape, current))
        outputs.append(current)
        assert lesson.text_for(index, ascent, current)
    assert shapes == [(1, 255, 510, 1)] * 3 + [(1, 512, 512, 1)]
    assert outputs[1] == outputs[0] and outputs[0].weights_shape == (3, 3, 1, 1)
    assert np.array_equal(outputs[0].kernel[:, :, 0, 0], lesson.random_kernel)
    assert np.array_equal(outputs[2].kernel, np.ones((3, 3, 1, 1)))
    blur = cross_correlate(ascent_pixels, outputs[2].kernel, outputs[2].strides)
    assert blur[0, 0, 0, 0] == ascent_pixels[:3, :3].sum()
    assert "(3, 3, 1, 1)" in lesson.text_for(1, ascent, outputs[1])
    assert "9 x 255 = 2295" in lesson.text_for(2, ascent, outputs[2])
    assert "rows: floor((512 - 3) / 2) + 1 = 255" in lesson.text_for(0, ascent, outputs[0])


def test_lesson_back_restores_a_step_exactly():
    lesson = Lesson(seed=1)
    changed = ConvSpec(kernel=keras_kernel(np.ones((5, 5))), strides=(1, 3), padding="same",
                       bias=9)
    third = lesson.exact_spec(2, changed)
    assert (third.strides, third.padding, third.bias.tolist()) == ((2, 1), "valid", [0])
    assert np.array_equal(third.kernel, np.ones((3, 3, 1, 1)))
    assert lesson.spec_for(1, changed) == changed  # step 2 only shows the weights
    assert lesson.spec_for(2, changed).strides == (1, 3)  # Next keeps the student's strides
