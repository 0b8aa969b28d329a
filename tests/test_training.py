"""Training the real Keras Conv2D toward a target kernel's output, and the gradient of one
weight worked out in NumPy, each checked against an independent reference."""

from __future__ import annotations

import numpy as np
import pytest

from engine.kernels.presets import FIXED, preset_plane, random_kernel
from engine.model.conv import ConvSpec
from engine.model.errors import LayerSpecError
from engine.model.network import ModelSpec, single_conv
from engine.training.gradient import WeightRef, explain_weight
from engine.training.recovery import TOLERANCE, recovered, relative_error, weight_errors
from engine.training.settings import STEPS, TrainSettings
from engine.training.targets import (
    RANDOM_PRESET,
    RANDOM_WEIGHTS,
    TrainTarget,
    mystery_kernel,
)
from tests.numpy_reference import cross_correlate

keras_training = pytest.importorskip("engine.backend.keras_training")
KerasTrainer = keras_training.KerasTrainer

SOBEL_Y = FIXED["Sobel Y"]


def untrained(seed=0, filters=1, **settings) -> ModelSpec:
    """A fresh Conv2D: GlorotUniform(seed) weights, bias 0."""
    return single_conv(ConvSpec(kernel=random_kernel((3, 3), 1, filters, seed), **settings))


def nhwc(pixels):
    return pixels[np.newaxis, :, :, np.newaxis]


def steps_to_recover(trainer, target, limit, every=25):
    """Train in chunks of ``every`` until every weight is within TOLERANCE; the step count."""
    while trainer.steps < limit:
        trainer.train(every)
        if recovered(trainer.weights(), target):
            return trainer.steps
    return None


# -- recovery ----------------------------------------------------------------------------------
def test_defaults_recover_sobel_y_on_ascent_within_1200_steps(ascent_pixels):
    """The issue's scene: a mystery Sobel Y, Adam (AMSGrad) at its default rate, unscaled
    pixels, stride 1. Measured: 825 steps from GlorotUniform(0)."""
    model = untrained(0)
    target = TrainTarget("mystery", "Sobel Y").model_for(model)
    trainer = KerasTrainer(nhwc(ascent_pixels), model, target, TrainSettings())
    steps = steps_to_recover(trainer, target, 1200)
    assert steps is not None, relative_error(trainer.weights(), target)
    learned = trainer.weights().layers[0]
    np.testing.assert_allclose(learned.kernel[:, :, 0, 0], SOBEL_Y, atol=TOLERANCE * 2)
    assert abs(learned.bias[0]) <= TOLERANCE * 2


def test_several_filters_learn_their_own_kernels(ascent_pixels):
    """Two filters, two random whole-number mysteries, the lesson's strides (2, 1), within
    the command line's default steps. Measured: 2075 (the filter whose weights sum to 9
    converges last: its bias and its weights' sum act almost alike on a photo)."""
    model = untrained(1, filters=2, strides=(2, 1))
    target = TrainTarget("mystery", RANDOM_WEIGHTS, seed=4).model_for(model)
    assert not np.array_equal(target.layers[0].kernel[..., 0], target.layers[0].kernel[..., 1])
    trainer = KerasTrainer(nhwc(ascent_pixels), model, target, TrainSettings())
    assert steps_to_recover(trainer, target, STEPS) is not None


def test_a_stack_trains_every_layer_with_weights(ascent_pixels):
    """conv(2) -> relu -> 2x2 max pooling -> conv(1), the pooling lesson's shape: the target is
    the NumPy stack with a mystery in each conv, both convs move and the loss falls. (A deep
    stack has many weights that give the same output, so only the loss is asked to fall.)"""
    from engine.model.activation import ActivationSpec
    from engine.model.pooling import PoolSpec
    from tests.numpy_reference import run_layers

    model = ModelSpec((ConvSpec(kernel=random_kernel((3, 3), 1, 2, 0)), ActivationSpec("relu"),
                       PoolSpec((2, 2)), ConvSpec(kernel=random_kernel((3, 3), 2, 1, 1))))
    target = TrainTarget("mystery", RANDOM_WEIGHTS, seed=2).model_for(model)
    assert [i for i, (a, b) in enumerate(zip(model.layers, target.layers)) if a != b] == [0, 3]
    pixels = ascent_pixels[:96, :96]
    trainer = KerasTrainer(nhwc(pixels), model, target, TrainSettings(scale_inputs=True))
    want = run_layers(pixels / 255.0, target.layers)[-1]
    np.testing.assert_allclose(trainer.target_output, want, rtol=1e-4, atol=1e-4)
    trainer.train(300)
    losses = trainer.loss_history
    assert losses.shape == (300,) and losses[-1] < losses[0] / 10
    learned = trainer.weights()
    for index in (0, 3):
        assert not np.array_equal(learned.layers[index].kernel, model.layers[index].kernel)
    assert learned.layers[2] == model.layers[2]  # pooling has nothing to learn


@pytest.mark.slow
@pytest.mark.parametrize("name", ["identity", "box blur (all ones)", *(
    name for name, plane in FIXED.items() if plane.shape == (3, 3))])
def test_default_steps_recover_every_3x3_preset(ascent_pixels, name):
    """The command line's defaults (STEPS steps, Adam at its default rate) recover every 3x3
    preset on ascent from GlorotUniform(0). Measured at seeds 0 to 3: 826 to 1,901 steps (the
    box blur and the sharpen filter last: their bias converges slowest)."""
    model = untrained(0)
    target = single_conv(model.layers[0].with_changes(
        kernel=preset_plane(name)[:, :, None, None], bias=0.0))
    trainer = KerasTrainer(nhwc(ascent_pixels), model, target, TrainSettings())
    keras_training.train_steps(trainer, STEPS)
    assert recovered(trainer.weights(), target), relative_error(trainer.weights(), target)


# -- what the trainer computes, against NumPy ---------------------------------------------------
def test_target_output_and_loss_match_numpy(ascent_pixels):
    model = untrained(2, padding="same", strides=(2, 1))
    target = TrainTarget("mystery", "sharpen").model_for(model)
    trainer = KerasTrainer(nhwc(ascent_pixels), model, target, TrainSettings(scale_inputs=True))
    x = ascent_pixels / 255.0
    expected = cross_correlate(x, preset_plane("sharpen"), (2, 1), "same")
    np.testing.assert_allclose(trainer.target_output, expected, rtol=1e-5, atol=1e-5)
    loss, output = trainer.current()
    own = cross_correlate(x, model.layers[0].kernel, (2, 1), "same")
    np.testing.assert_allclose(output, own, rtol=1e-5, atol=1e-5)
    assert loss == pytest.approx(np.mean((own - expected) ** 2), rel=1e-5)


def test_losses_are_recorded_and_reset_goes_back(ascent_pixels):
    model = untrained(0, strides=(2, 1))
    target = TrainTarget("mystery", "Sobel X").model_for(model)
    trainer = KerasTrainer(nhwc(ascent_pixels), model, target, TrainSettings())
    first, _ = trainer.current()
    losses = trainer.train(20)
    assert losses.shape == (20,) and losses[0] == pytest.approx(first, rel=1e-6)
    assert trainer.steps == 20 and trainer.weights() != model
    trainer.train(280)
    assert trainer.loss_history.shape == (300,)
    assert trainer.loss_history[-1] < 1e-2 * first  # Adam's first steps are wide; then it falls
    trainer.reset()
    assert trainer.weights() == model and trainer.steps == 0 and trainer.loss_history.size == 0
    again = trainer.train(20)
    np.testing.assert_array_equal(again, losses)  # a fresh optimizer: the same path again


def test_learning_rate_change_takes_effect_without_a_new_optimizer(ascent_pixels):
    """SGD's step is rate x gradient: twice the rate, twice the change."""
    model = untrained(0, strides=(2, 1))
    target = TrainTarget("mystery", "Sobel X").model_for(model)
    settings = TrainSettings(optimizer="sgd", scale_inputs=True)
    trainer = KerasTrainer(nhwc(ascent_pixels), model, target, settings)
    kernel_gradient, _ = trainer.gradient()[0]
    trainer.set_learning_rate(0.2)
    trainer.train(1)
    moved = trainer.weights().layers[0].kernel - model.layers[0].kernel
    np.testing.assert_allclose(moved, -0.2 * kernel_gradient, rtol=1e-4, atol=1e-7)


def test_a_diverging_rate_stops_with_the_last_good_weights(ascent_pixels):
    model = untrained(0, strides=(2, 1))
    target = TrainTarget("mystery", "Sobel Y").model_for(model)
    trainer = KerasTrainer(nhwc(ascent_pixels), model, target,
                           TrainSettings(optimizer="sgd", learning_rate=0.01))
    trainer.train(1)
    before = trainer.weights()
    with pytest.raises(keras_training.TrainingDiverged, match="1e-6"):
        for _ in range(10):
            before = trainer.weights()
            trainer.train(20)
    assert trainer.weights() == before
    assert np.all(np.isfinite(trainer.weights().layers[0].kernel))


def test_bad_settings_are_refused_in_words(ascent_pixels):
    model = untrained(0)
    target = TrainTarget().model_for(model)
    for settings, words in ((TrainSettings(learning_rate=0), "learning rate"),
                            (TrainSettings(learning_rate=float("nan")), "learning rate"),
                            (TrainSettings(optimizer="rmsprop"), "optimizer"),
                            (TrainSettings(loss="huber"), "loss")):
        with pytest.raises(LayerSpecError, match=words):
            KerasTrainer(nhwc(ascent_pixels), model, target, settings)


# -- the gradient of one weight ----------------------------------------------------------------
def float64_tape(x, spec: ConvSpec, target_output, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """dL/dkernel and dL/dbias from GradientTape on a float64 copy of the layer: Keras's own
    autodiff without float32's rounding, built here independently of the app."""
    import keras
    import tensorflow as tf

    layer = keras.layers.Conv2D(spec.filters, spec.kernel_size, strides=spec.strides,
                                padding=spec.padding, dilation_rate=spec.dilation,
                                activation=spec.activation, dtype="float64")
    layer.build((None, None, None, spec.channels))
    layer.set_weights([spec.kernel.astype(np.float64), spec.bias.astype(np.float64)])
    loss_fn = (keras.losses.MeanSquaredError(dtype="float64") if loss == "mse"
               else keras.losses.MeanAbsoluteError(dtype="float64"))
    with tf.GradientTape() as tape:
        value = loss_fn(tf.constant(target_output, tf.float64),
                        layer(tf.constant(x, tf.float64)))
    kernel_gradient, bias_gradient = tape.gradient(value, [layer.kernel, layer.bias])
    return np.asarray(kernel_gradient), np.asarray(bias_gradient)


CASES = {
    "lesson strides": (dict(strides=(2, 1)), TrainSettings(), 1),
    "same padding, scaled": (dict(padding="same"), TrainSettings(scale_inputs=True), 1),
    "relu, 2 filters": (dict(activation="relu", strides=(1, 2)), TrainSettings(), 2),
    "dilation, MAE": (dict(dilation=(2, 2)), TrainSettings(loss="mae"), 1),
}


@pytest.mark.parametrize("case", CASES)
def test_numpy_gradient_equals_gradient_tape(ascent_pixels, case):
    """The explanation's dL/dw (NumPy) for every weight and bias equals GradientTape's, at the
    starting weights and after 40 steps. Against a float64 tape to rtol 1e-4 (they agree to
    about 1e-8: the formula is exact); against the app's own float32 tape, which the optimizer
    uses, to 5e-4: TensorFlow's oneDNN kernel adds the 100,000+ products of one weight in
    float32, which alone is off the exact sum by up to 1.3e-4 here (measured)."""
    settings_of_layer, settings, filters = CASES[case]
    model = untrained(3, filters=filters, **settings_of_layer)
    target = TrainTarget("mystery", RANDOM_PRESET, seed=5).model_for(model)
    trainer = KerasTrainer(nhwc(ascent_pixels), model, target, settings)
    for _ in range(2):
        spec = trainer.weights().layers[0]
        x = trainer.input_array
        exact_kernel, exact_bias = float64_tape(x, spec, trainer.target_output, settings.loss)
        _, prediction = trainer.current()
        for ref in [WeightRef(row=r, col=c, filter=f) for r in range(3) for c in range(3)
                    for f in range(filters)] + [WeightRef(bias=True, filter=f)
                                                for f in range(filters)]:
            mine = explain_weight(x, prediction, trainer.target_output, spec, ref,
                                  settings.loss).gradient
            exact = exact_bias[ref.filter] if ref.bias else exact_kernel[ref.row, ref.col, 0,
                                                                         ref.filter]
            assert mine == pytest.approx(exact, rel=1e-4), ref
            _, shown = trainer.explain(ref)
            assert shown.gradient == pytest.approx(mine, rel=1e-9)
            assert shown.tape == pytest.approx(mine, rel=5e-4), ref
        trainer.train(40)


def test_the_explanation_in_words_lists_the_largest_terms(ascent_pixels):
    model = untrained(0, strides=(2, 1))
    target = TrainTarget("mystery", "Sobel Y").model_for(model)
    trainer = KerasTrainer(nhwc(ascent_pixels), model, target, TrainSettings())
    _, explanation = trainer.explain(WeightRef(row=0, col=1))
    lines = explanation.lines()
    assert lines[0].startswith("dL/dw[0, 1, 0, 0] = 2/F x mean over the 130,050 output")
    assert lines[-1].startswith("GradientTape: ")
    term = explanation.terms[0]
    r, c = term.pixel_at
    assert r == term.position[0] * 2 + 0 and c == term.position[1] + 1
    assert term.pixel == ascent_pixels[r, c]
    assert abs(term.product) == max(abs(t.product) for t in explanation.terms)


# -- targets and recovery measures --------------------------------------------------------------
def test_mystery_kernels():
    drawn = mystery_kernel(RANDOM_WEIGHTS, (3, 3, 3, 4), seed=7)
    assert drawn.shape == (3, 3, 3, 4) and drawn.dtype == np.float32
    assert np.array_equal(drawn, np.round(drawn)) and drawn.min() >= -2 and drawn.max() <= 2
    assert all(drawn[..., f].any() for f in range(4))
    assert np.array_equal(drawn, mystery_kernel(RANDOM_WEIGHTS, (3, 3, 3, 4), seed=7))
    assert np.all(drawn == drawn[:, :, :1])  # one plane per filter, on every channel
    presets = mystery_kernel(RANDOM_PRESET, (3, 3, 1, 6), seed=1)
    known = [preset_plane(n) for n in ("identity", "box blur (all ones)", *FIXED)]
    assert all(any(np.array_equal(presets[:, :, 0, f], p) for p in known) for f in range(6))
    with pytest.raises(LayerSpecError, match="3x3, but the layer's kernel is 5x5"):
        mystery_kernel("Sobel Y", (5, 5, 1, 1), 0)


def test_a_frozen_target_keeps_its_weights_and_follows_the_settings():
    model = untrained(0)
    frozen = TrainTarget.freeze(model)
    rerolled = untrained(9, strides=(2, 2))
    target = frozen.model_for(rerolled)
    assert np.array_equal(target.layers[0].kernel, model.layers[0].kernel)
    assert target.layers[0].strides == (2, 2)
    with pytest.raises(LayerSpecError, match="freeze the current kernel again"):
        frozen.model_for(untrained(0, filters=2))


def test_relative_error_is_relative_to_the_largest_target_weight():
    target = single_conv(ConvSpec(kernel=SOBEL_Y[:, :, None, None]))
    near = target.layers[0].kernel.copy()
    near[1, 1] += 0.019  # 0.95 % of the largest weight, 2
    learned = single_conv(ConvSpec(kernel=near, bias=-0.021))
    assert relative_error(learned, target) == pytest.approx(0.0105, rel=1e-3)
    assert not recovered(learned, target)
    assert recovered(single_conv(ConvSpec(kernel=near)), target)
    errors = weight_errors(learned, target)[0]
    assert errors.kernel[1, 1, 0, 0] == pytest.approx(0.019, rel=1e-4)
