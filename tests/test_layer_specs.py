"""Activation and pooling layer specs, stack edits, the pooling arithmetic and the receptive
field through several layers, against the independent NumPy reference (no Qt, no Keras)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.arithmetic.layer_pixel import elementwise_lines, explain_pool_pixel, pool_lines
from engine.arithmetic.receptive_field import explain_pixel, summary_lines, term_line
from engine.arithmetic.shapes import layer_shape_lines
from engine.arithmetic.through_layers import field_lines, receptive_field
from engine.kernels.presets import random_kernel
from engine.model.activation import ActivationSpec
from engine.model.changes import describe_change
from engine.model.conv import ConvSpec
from engine.model.errors import LayerSpecError
from engine.model.network import ModelSpec
from engine.model.pooling import PoolSpec
from engine.model.rescaling import RescalingSpec
from engine.model.stack import fit_channels, insert_layer, move_layer, new_layer, remove_layer
from tests.numpy_reference import pool, run_layers

RNG = np.random.default_rng(5)


def conv(channels=1, filters=1, **settings):
    return ConvSpec(kernel=RNG.normal(size=(3, 3, channels, filters)), **settings)


def lesson_stack():
    """conv(4) -> relu -> 2x2 max pooling -> conv(2), as the stack panel builds it."""
    return ModelSpec((conv(1, 4), ActivationSpec("relu"), PoolSpec((2, 2)), conv(4, 2)))


@pytest.mark.parametrize("n,p,s,padding,expected", [
    (510, 2, 2, "valid", 255), (511, 2, 2, "valid", 255), (7, 3, 2, "valid", 3),
    (7, 3, 1, "valid", 5), (7, 2, 2, "same", 4), (5, 3, 3, "same", 2), (2, 3, 1, "valid", 0),
])
def test_pool_sizes_are_keras_formulas(n, p, s, padding, expected):
    """valid floor((n - p) / s) + 1 and same ceil(n / s), checked against the reference too."""
    layer = PoolSpec((p, p), (s, s), padding)
    assert layer.output_shape((1, n, n, 3)) == (1, expected, expected, 3)
    if expected > 0:
        assert pool(np.zeros((1, n, n, 3)), (p, p), (s, s), padding).shape == layer.output_shape(
            (1, n, n, 3))


def test_pool_strides_default_to_the_pool_size_and_settings_are_checked():
    assert PoolSpec((3, 2)).step == (3, 2) and PoolSpec((3, 2), (1, 1)).step == (1, 1)
    assert PoolSpec().kind == "MaxPooling2D" and PoolSpec(mode="average").kind == \
        "AveragePooling2D"
    assert PoolSpec().param_count == 0 and ActivationSpec().param_count == 0
    with pytest.raises(LayerSpecError, match="empty"):
        PoolSpec((4, 4)).check((1, 3, 3, 1))
    with pytest.raises(LayerSpecError, match="1 to 16"):
        PoolSpec((0, 2)).check()
    with pytest.raises(LayerSpecError, match="linear, relu, sigmoid, tanh"):
        ActivationSpec("softmax").check()
    with pytest.raises(LayerSpecError, match="ReLU layer always computes relu"):
        ActivationSpec("tanh", "ReLU").check()
    assert ActivationSpec("relu", "ReLU").kind == "ReLU"
    assert PoolSpec() == PoolSpec() and PoolSpec() != PoolSpec(mode="average")


def test_a_stack_names_and_shapes_its_layers_like_keras():
    model = lesson_stack()
    assert model.layer_names() == ("conv2d", "activation", "max_pooling2d", "conv2d_1")
    assert model.output_shapes((1, 512, 512, 1)) == [
        (1, 510, 510, 4), (1, 510, 510, 4), (1, 255, 255, 4), (1, 253, 253, 2)]
    assert model.channels(1) == [1, 4, 4, 4, 2]
    assert model.param_counts() == [40, 0, 0, 74]
    model.check((1, 512, 512, 1))


def test_the_stack_checks_a_later_conv_against_what_it_receives():
    model = ModelSpec((conv(1, 4), PoolSpec(), conv(3, 2)))
    with pytest.raises(LayerSpecError, match="Layer 3 .conv2d_1.: The kernel has 3 input"):
        model.check((1, 20, 20, 1))


def test_earlier_filter_changes_fit_later_kernels_with_untrained_channels():
    """conv(4) -> pool -> conv(2): 4 filters become 6; the second conv keeps its 4 trained
    input channels and gets 2 untrained ones from the seed; back to 3 drops the last."""
    model = lesson_stack()
    second = model.layers[3]
    wider = model.with_layer(0, conv(1, 6))
    fitted = fit_channels(wider, 1, seed=7)
    kernel = fitted.layers[3].kernel
    assert kernel.shape == (3, 3, 6, 2)
    np.testing.assert_array_equal(kernel[:, :, :4], second.kernel)
    np.testing.assert_array_equal(kernel[:, :, 4:], random_kernel((3, 3), 6, 2, 7)[:, :, 4:])
    fitted.check((1, 64, 64, 1))
    narrower = fit_channels(model.with_layer(0, conv(1, 3)), 1, seed=7)
    np.testing.assert_array_equal(narrower.layers[3].kernel, second.kernel[:, :, :3])
    assert fit_channels(model, 1, seed=7) is model  # already fitted: nothing changes


def test_adding_removing_and_moving_layers_keep_the_stack_runnable():
    model = ModelSpec((conv(1, 4),))
    for index, kind in enumerate(("ReLU", "MaxPooling2D", "Conv2D", "AveragePooling2D")):
        model = insert_layer(model, index + 1, new_layer(kind, 4, 0), 1, 0)
    assert [layer.kind for layer in model.layers] == [
        "Conv2D", "ReLU", "MaxPooling2D", "Conv2D", "AveragePooling2D"]
    assert model.layers[3].channels == 4
    model.check((1, 64, 64, 1))
    without_first = remove_layer(model, 0, 1, 0)
    assert without_first.layers[2].channels == 1  # now it reads the image
    without_first.check((1, 64, 64, 1))
    moved = move_layer(model, 3, 0, 1, 0)
    assert [layer.kind for layer in moved.layers][:2] == ["Conv2D", "Conv2D"]
    assert moved.layers[0].channels == 1 and moved.layers[1].channels == 1
    moved.check((1, 64, 64, 1))
    with pytest.raises(LayerSpecError):
        remove_layer(ModelSpec((conv(),)), 0, 1, 0)


def test_a_loaded_models_names_stay_and_new_layers_get_free_ones():
    model = ModelSpec((conv(1, 2), conv(2, 2)), names=("conv2d", "conv2d_1"))
    added = insert_layer(model, 1, new_layer("Conv2D", 2, 0), 1, 0)
    assert added.layer_names() == ("conv2d", "conv2d_2", "conv2d_1")
    assert remove_layer(added, 0, 1, 0).layer_names() == ("conv2d_2", "conv2d_1")


def test_undo_names_stack_edits():
    model = lesson_stack()
    assert describe_change(model, insert_layer(model, 3, PoolSpec(), 1, 0)) == \
        "add max_pooling2d_1"
    assert describe_change(model, remove_layer(model, 1, 1, 0)) == "remove activation"
    assert describe_change(model, model.with_layer(2, PoolSpec((3, 3)))) == "pool size"
    assert describe_change(model, model.with_layer(1, ActivationSpec("tanh"))) == "activation"


def test_pooling_shape_lines_say_the_formula_and_the_padding_rule():
    lines = layer_shape_lines((1, 511, 510, 4), PoolSpec(), reads_image=False)
    assert lines[0] == "rows: floor((511 - 2) / 2) + 1 = 255"
    assert "the last 1 row (510) is never read:" in lines[1] and "red" not in lines[1]
    assert lines[2] == "cols: floor((510 - 2) / 2) + 1 = 255"
    assert lines[3].startswith("channels: 4 in, 4 out (the largest")
    same = layer_shape_lines((1, 7, 7, 1), PoolSpec((2, 2), padding="same", mode="average"))
    assert same[0] == "rows: ceil(7 / 2) = 4"
    assert "1 row outside the input: 0 top, 1 bottom" in same[1]
    assert "leaves them out of its count" in same[1]
    assert "relu acts on each of the 5·5·3" in layer_shape_lines((1, 5, 5, 3),
                                                                 ActivationSpec())[0]


@given(st.integers(3, 9), st.integers(3, 9), st.sampled_from([(2, 2), (3, 2), (2, 1)]),
       st.sampled_from([None, (1, 1), (2, 2), (1, 3)]), st.sampled_from(["valid", "same"]),
       st.sampled_from(["max", "average"]))
def test_pool_pixel_explanation_is_the_references_value(h, w, size, strides, padding, mode):
    layer = PoolSpec(size, strides, padding, mode)
    maps = RNG.normal(size=(h, w, 2)).astype(np.float32)
    if min(layer.output_hw((h, w))) < 1:
        return
    want = pool(maps, size, strides, padding, mode)
    for r in range(want.shape[1]):
        for c in range(want.shape[2]):
            explained = explain_pool_pixel(maps, layer, r, c, 1, "re_lu")
            assert explained.value == pytest.approx(want[0, r, c, 1], rel=1e-6, abs=1e-6)
            if mode == "max":
                assert maps[explained.picked.row, explained.picked.col, 1] == explained.value


def test_pool_lines_mark_the_maximum_and_list_the_average():
    maps = np.array([[1, 5, 2], [3, 4, 9]], np.float32)
    lines = pool_lines(explain_pool_pixel(maps, PoolSpec((2, 2), (1, 1)), 0, 1, 0, "conv2d"))
    assert lines[0] == "conv2d[0..1, 1..2, 0]:"
    assert lines[1].split() == ["5", "2"] and lines[2].split() == ["4", "[9]"]
    assert lines[-1] == "max of 4 values = 9 (at row 1, column 2)"
    mean = explain_pool_pixel(maps, PoolSpec((2, 2), padding="same", mode="average"), 0, 1, 0)
    text = pool_lines(mean)
    assert "(2 + 9) / 2 = 5.5" in text[-1] and "leaves them out" in text[-2]


def test_a_second_conv_sums_over_every_input_channel():
    maps = RNG.normal(size=(6, 6, 4)).astype(np.float32)
    layer = conv(4, 2, bias=np.float32([0.5, -1]))
    explained = explain_pixel(maps, layer, 2, 3, 1, source="re_lu", channel_names=())
    sums = explained.channel_sums()
    assert [c for c, _ in sums] == [0, 1, 2, 3]
    for channel, total in sums:
        want = float(np.sum(maps[2:5, 3:6, channel] * layer.kernel[:, :, channel, 1]))
        assert total == pytest.approx(want, rel=1e-5)
    lines = summary_lines(explained)
    assert lines[0].startswith("channel 0: sum of 9 products = ")
    assert lines[4].startswith("sum over all 4 input channels = ")
    assert term_line(explained.terms[0], "re_lu", ()).startswith("re_lu[2, 3, 0] × w[0, 0, 0]")
    want = run_layers(maps, [layer])[0][0, 2, 3, 1]
    assert explained.value == pytest.approx(want, rel=1e-5)


def test_activation_and_rescaling_lines():
    assert elementwise_lines(ActivationSpec("relu"), -2.5, "conv2d", "1, 2, 0") == [
        "conv2d[1, 2, 0] = -2.5", "relu: max(-2.5, 0) = 0"]
    assert elementwise_lines(RescalingSpec(0.5, 1), 4, "x", "0, 0")[1] == "x · 0.5 + 1 = 3"
    assert elementwise_lines(ActivationSpec("tanh"), 0.5, "x", "0, 0")[1] == \
        f"tanh: tanh(0.5) = {np.tanh(0.5):.6g}"


def impulse_field(model, hw, layer, row, col):
    """The image pixels whose change moves output (row, col) of ``layer``: run the NumPy
    reference on one-hot images through all-positive weights (no cancellation) and average
    pooling, so every pixel a window reaches shows up."""
    positive = ModelSpec(tuple(
        spec.with_changes(kernel=np.ones(spec.kernel.shape, np.float32), bias=0.0,
                          activation="linear") if spec.kind == "Conv2D" else
        spec.with_changes(mode="average") if spec.kind.endswith("Pooling2D") else spec
        for spec in model.layers))
    reached = np.zeros(hw, bool)
    for r in range(hw[0]):
        for c in range(hw[1]):
            image = np.zeros(hw)
            image[r, c] = 1
            reached[r, c] = run_layers(image, positive.layers)[layer][0, row, col, 0] > 0
    return reached


@pytest.mark.parametrize("layers", [
    (ConvSpec(kernel=np.ones((3, 3, 1, 1))), PoolSpec((2, 2)),
     ConvSpec(kernel=np.ones((3, 3, 1, 1)))),
    (ConvSpec(kernel=np.ones((3, 2, 1, 1)), strides=(2, 1), padding="same"),
     ActivationSpec("linear"), PoolSpec((3, 3), (2, 2), "same"),
     ConvSpec(kernel=np.ones((2, 2, 1, 1)), dilation=(2, 2))),
])
def test_the_receptive_field_composed_through_every_layer_is_the_references(layers):
    """The region is the box around every pixel that moves the output (a dilated kernel
    can leave holes inside it; without dilation it is filled)."""
    model, hw = ModelSpec(layers), (19, 17)
    last = len(model) - 1
    out_h, out_w = model.output_shapes((1, *hw, 1))[last][1:3]
    for row, col in ((0, 0), (out_h // 2, out_w // 2), (out_h - 1, out_w - 1)):
        region = receptive_field(model, (1, *hw, 1), last, row, col).clipped(hw)
        reached = impulse_field(model, hw, last, row, col)
        rows, cols = np.flatnonzero(reached.any(axis=1)), np.flatnonzero(reached.any(axis=0))
        assert (region.top, region.bottom, region.left, region.right) == (
            rows[0], rows[-1], cols[0], cols[-1])
        if all(spec.kind != "Conv2D" or spec.dilation == (1, 1) for spec in layers):
            assert reached[region.top:region.bottom + 1, region.left:region.right + 1].all()


def test_receptive_field_growth_lines():
    assert field_lines(lesson_stack(), (1, 512, 512, 1), 3) == [
        "conv2d: 1 + (3 - 1)·1·1 = 3 rows", "max_pooling2d: 3 + (2 - 1)·1·1 = 4 rows",
        "conv2d_1: 4 + (3 - 1)·1·2 = 8 rows"]
    assert receptive_field(lesson_stack(), (1, 512, 512, 1), 3, 10, 20).height == 8


def test_the_pooling_lesson_steps_keep_the_students_changes():
    from engine.teaching.pooling_lesson import PoolingLesson

    lesson = PoolingLesson(seed=2)
    model = lesson.exact_model(0)
    assert model.output_shapes((1, 512, 512, 1)) == [(1, 510, 510, 4)]
    changed = model.with_layer(0, model.layers[0].with_changes(strides=(2, 2)))
    for index in (1, 2, 3):
        changed = lesson.model_for(index, changed)
    assert changed.layers[0].strides == (2, 2)  # kept through the steps
    assert [layer.kind for layer in changed.layers] == [
        "Conv2D", "Activation", "MaxPooling2D", "Conv2D"]
    assert changed.output_shapes((1, 512, 512, 1))[-1] == (1, 125, 125, 2)
    exact = lesson.exact_model(3)
    assert exact.output_shapes((1, 512, 512, 1))[-1] == (1, 253, 253, 2)
    from engine.images.loading import from_array

    photo = from_array(np.zeros((512, 512), np.float32), "ascent.png")
    assert "3·3·4·2 + 2 = 74" in lesson.model_text(3, photo, exact)
    assert "no longer this step's" in lesson.model_text(3, photo, exact.with_layer(
        1, PoolSpec()))
    assert lesson.model_for(2, ModelSpec((conv(),))) == lesson.exact_model(2)
