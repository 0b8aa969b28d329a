"""A stack of real Keras layers (Conv2D, Activation, ReLU, pooling, Rescaling, Dropout)
against the independent NumPy reference, and the runner recomputing only from the first
layer that changed."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.backend.keras_model import KerasModelRunner, run_model
from engine.model.activation import ACTIVATIONS, ActivationSpec
from engine.model.conv import ConvSpec
from engine.model.network import ModelSpec
from engine.model.passthrough import PassThroughSpec
from engine.model.pooling import PoolSpec
from engine.model.rescaling import RescalingSpec
from tests.numpy_reference import run_layers

RNG = np.random.default_rng(11)


def conv(channels=1, filters=1, size=(3, 3), **settings):
    return ConvSpec(kernel=RNG.normal(size=(*size, channels, filters)),
                    bias=RNG.normal(size=filters), **settings)


def check(image, model, rtol=1e-4):
    got = run_model(image, model)
    want = run_layers(image, model.layers)
    assert [o.shape for o in got] == [tuple(w.shape) for w in want] == \
        [tuple(s) for s in model.output_shapes((1, *image.shape[:2],
                                                1 if image.ndim == 2 else image.shape[2]))]
    for index, (g, w) in enumerate(zip(got, want)):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, w, rtol=rtol, atol=1e-4 * (np.abs(w).max() + 1),
                                   err_msg=f"layer {index}")


IMAGE = RNG.uniform(0, 255, (17, 14)).astype(np.float32)


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("size,strides,padding", [
    ((2, 2), None, "valid"), ((2, 2), None, "same"), ((3, 3), (2, 2), "same"),
    ((3, 2), (1, 2), "valid"), ((2, 3), (3, 1), "same"), ((4, 4), (1, 1), "same"),
])
def test_pooling_after_a_conv(mode, size, strides, padding):
    check(IMAGE, ModelSpec((conv(1, 3), PoolSpec(size, strides, padding, mode))))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_every_activation_as_a_layer_and_in_a_conv(name):
    check(IMAGE / 50, ModelSpec((conv(1, 2), ActivationSpec(name), conv(2, 2, activation=name))))


def test_relu_layer_rescaling_and_dropout_at_inference():
    model = ModelSpec((RescalingSpec(1 / 255, -0.5), conv(1, 4), ActivationSpec("relu", "ReLU"),
                       PassThroughSpec("Dropout", '{"rate": 0.5, "seed": 1}'),
                       PoolSpec((2, 2)), conv(4, 2, padding="same")))
    check(IMAGE, model)
    outputs = run_model(IMAGE, model)
    np.testing.assert_array_equal(outputs[3], outputs[2])  # Dropout passes through


def test_pooling_the_image_itself_and_three_channels():
    image = RNG.uniform(0, 255, (9, 11, 3)).astype(np.float32)
    check(image, ModelSpec((PoolSpec((2, 2), padding="same", mode="average"),
                            conv(3, 2), PoolSpec((2, 2)))))


def test_the_issues_stack_conv4_relu_maxpool_conv2(ascent_pixels):
    model = ModelSpec((conv(1, 4), ActivationSpec("relu"), PoolSpec((2, 2)), conv(4, 2)))
    check(ascent_pixels, model, rtol=1e-3)


@settings(max_examples=25)
@given(st.lists(st.sampled_from(["conv", "relu", "tanh", "max", "avg", "avg_same"]),
                min_size=1, max_size=5), st.integers(6, 16), st.integers(6, 16))
def test_random_stacks_match_the_reference(kinds, h, w):
    layers, channels = [], 1
    for kind in kinds:
        if kind == "conv":
            filters = int(RNG.integers(1, 4))
            layers.append(conv(channels, filters, size=(2, 2)))
            channels = filters
        elif kind in ("relu", "tanh"):
            layers.append(ActivationSpec(kind))
        else:
            layers.append(PoolSpec((2, 2), padding="same" if kind == "avg_same" else "valid",
                                   mode="max" if kind == "max" else "average"))
    model = ModelSpec(tuple(layers))
    shapes = model.output_shapes((1, h, w, 1))
    if min(min(shape[1:3]) for shape in shapes) < 1:
        return
    check(RNG.uniform(-5, 5, (h, w)).astype(np.float32), model)


def test_an_edit_of_layer_k_recomputes_k_and_after_only():
    """Layers before the edited one keep their outputs: the very tensors of the run before
    come back (the same memory), and only layers k, k+1, ... are new."""
    runner = KerasModelRunner()
    model = ModelSpec((conv(1, 4), ActivationSpec("relu"), PoolSpec((2, 2)), conv(4, 2)))
    runner.set_input(IMAGE)

    first_run = runner.run_input(model, copy=False)
    assert runner.last_first_layer == 0
    edited = model.with_layer(3, conv(4, 2))
    second = runner.run_input(edited, copy=False)
    assert runner.last_first_layer == 3
    assert all(np.shares_memory(a, b) for a, b in zip(first_run[:3], second[:3]))
    assert not np.shares_memory(first_run[3], second[3])
    want = run_layers(IMAGE, edited.layers)
    np.testing.assert_allclose(second[3], want[3], rtol=1e-4, atol=1e-3)
    builds = runner.layer_builds
    repooled = edited.with_layer(2, PoolSpec((2, 2), mode="average"))
    third = runner.run_input(repooled, copy=False)
    assert runner.last_first_layer == 2 and runner.layer_builds == builds + 1
    assert all(np.shares_memory(a, b) for a, b in zip(second[:2], third[:2]))
    assert not any(np.shares_memory(a, b) for a, b in zip(second[2:], third[2:]))
    first_edit = repooled.with_layer(0, conv(1, 4))
    last = runner.run_input(first_edit)  # copies, each its own array
    assert runner.last_first_layer == 0
    for out, want in zip(last, run_layers(IMAGE, first_edit.layers)):
        np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-3)
    assert not any(np.shares_memory(a, b) for a, b in zip(third, last))


def test_a_traced_stack_follows_weight_edits_of_the_first_conv():
    runner = KerasModelRunner()
    model = ModelSpec((conv(1, 8), ActivationSpec("relu"), PoolSpec((2, 2)), conv(8, 8)))
    runner.run(IMAGE, model)
    assert runner.compile_current()
    for _ in range(3):
        model = model.with_layer(0, conv(1, 8))
        got = runner.run(IMAGE, model)
        assert runner.last_first_layer == 0
        for g, w in zip(got, run_layers(IMAGE, model.layers)):
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-3)


def test_a_traced_stack_follows_new_bias_and_a_later_conv_changed_with_the_first():
    """The traced call assigns the first layer's kernel and bias inside its graph; a later
    layer changed in the same edit is assigned before the call."""
    runner = KerasModelRunner()
    model = ModelSpec((conv(1, 4), ActivationSpec("relu"), PoolSpec((2, 2)), conv(4, 2)))
    runner.run(IMAGE, model)
    assert runner.compile_current()
    for _ in range(3):
        first = conv(1, 4).with_changes(bias=RNG.normal(size=4) * 10)
        model = model.with_layer(0, first).with_layer(3, conv(4, 2))
        got = runner.run(IMAGE, model)
        assert runner.last_first_layer == 0
        for g, w in zip(got, run_layers(IMAGE, model.layers)):
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-3)
    same = runner.run(IMAGE, model)  # nothing changed: nothing computed again, same output
    np.testing.assert_array_equal(same[-1], got[-1])


def test_an_unchanged_model_run_again_traces_nothing_and_still_answers():
    """Run twice with nothing changed, the second run recomputes no layer: there is then no
    call to trace, and the next run with the traced path of the first layer still works."""
    runner = KerasModelRunner()
    model = ModelSpec((conv(1, 2),))
    runner.run(IMAGE, model)
    assert runner.compile_current()
    again = runner.run(IMAGE, model)
    assert runner.last_first_layer == 1 and not runner.compile_current()
    np.testing.assert_allclose(again[0], run_layers(IMAGE, model.layers)[0], rtol=1e-4,
                               atol=1e-3)
    edited = model.with_layer(0, conv(1, 2))
    np.testing.assert_allclose(runner.run(IMAGE, edited)[0],
                               run_layers(IMAGE, edited.layers)[0], rtol=1e-4, atol=1e-3)
