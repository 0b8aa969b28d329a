"""Training the real Keras layers toward a target output, with a traced GradientTape step.

A KerasTrainer builds one Keras layer per layer of a ModelSpec (the same ``build_layer`` and
``assign_weights`` the window's runner uses), computes the target output with a second set of
layers holding the target's weights, and trains every trainable weight with Keras's own loss
and optimizer. Steps run in chunks inside one ``tf.function`` (a ``tf.while_loop`` that
records each step's loss), about a fifth faster than one Python call per step. Importing this
module imports TensorFlow (through keras_model).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

# keras_model sets TensorFlow's environment (quiet logs, Keras home) before TensorFlow loads
from engine.backend.keras_model import assign_weights, build_layer, keras

# isort: split
import tensorflow as tf

from engine.model.conv import MAX_ABS_WEIGHT
from engine.model.errors import LayerSpecError
from engine.model.network import ModelSpec
from engine.training.gradient import (
    GradientExplanation,
    WeightRef,
    explain_upstream,
    explain_weight,
)
from engine.training.settings import TrainSettings, input_scale
from engine.training.targets import trainable_layers


class TrainingDiverged(LayerSpecError):
    """The loss or a weight stopped being a usable number; the weights before it are back."""


def make_loss(settings: TrainSettings):
    return (keras.losses.MeanSquaredError() if settings.loss == "mse"
            else keras.losses.MeanAbsoluteError())


def make_optimizer(settings: TrainSettings):
    if settings.optimizer == "adam":
        # amsgrad: the step never grows again once the gradients shrink (see AMSGRAD_NOTE)
        return keras.optimizers.Adam(learning_rate=settings.learning_rate, amsgrad=True)
    return keras.optimizers.SGD(learning_rate=settings.learning_rate)


def _call(layers, x):
    outputs = []
    for layer in layers:
        x = layer(x)
        outputs.append(x)
    return outputs


def _built_layers(model: ModelSpec, input_shape: tuple[int, ...]) -> list:
    layers = []
    for spec, shape in zip(model.layers, model.input_shapes(input_shape)):
        layer = build_layer(spec, int(shape[3]))
        assign_weights(layer, spec, None)
        layers.append(layer)
    return layers


def _learned(layer, spec):
    """``spec`` holding the Keras layer's current weights (a layer without weights as is)."""
    if getattr(spec, "kernel", None) is None:
        return spec
    return spec.with_changes(kernel=np.asarray(layer.kernel.numpy(), np.float32),
                             bias=np.asarray(layer.bias.numpy(), np.float32))


class KerasTrainer:
    """Trains ``model``'s weights so its output on ``pixels`` matches ``target``'s output.

    ``pixels`` is the image as the layer sees it, (1, H, W, C) (a tensor or an array).
    ``target`` has the same layers as ``model`` with the weights to be found."""

    def __init__(self, pixels, model: ModelSpec, target: ModelSpec,
                 settings: TrainSettings) -> None:
        settings.check()
        x = tf.convert_to_tensor(np.asarray(pixels, np.float32)
                                 if isinstance(pixels, np.ndarray) else pixels, tf.float32)
        shape = tuple(int(v) for v in x.shape)
        model.check(shape)
        target.check(shape)
        if model.layer_config() != target.layer_config():
            raise LayerSpecError("The target must have the same layers as the model.")
        self.settings = settings
        self.trainable = trainable_layers(model)
        if not self.trainable:
            raise LayerSpecError("This model has no layer with weights to train.")
        self.scale = (input_scale(float(tf.reduce_max(tf.abs(x))))
                      if settings.scale_inputs else 1.0)
        self._x = x / self.scale if settings.scale_inputs else x
        self._specs = model.layers
        self.names = model.names
        self.layout = model.layer_config()  # what a model must match to take its weights
        self._layers = _built_layers(model, shape)
        self.target_model = target
        self._target = _call(_built_layers(target, shape), self._x)[-1]
        self._variables = [v for i in self.trainable for v in
                           (self._layers[i].kernel, self._layers[i].bias)]
        self.start = model
        self.steps = 0
        self._losses: list[np.ndarray] = []
        self._new_optimizer()

    # -- what it holds ---------------------------------------------------------------------
    @property
    def input_array(self) -> np.ndarray:
        """The first layer's input as trained (scaled when the settings say so)."""
        return np.asarray(self._x)

    @property
    def target_output(self) -> np.ndarray:
        """The target model's output, (1, H, W, F): what the layer's output should become."""
        return np.asarray(self._target)

    @property
    def loss_history(self) -> np.ndarray:
        """The loss of every step so far (before its update), float32."""
        return (np.concatenate(self._losses) if self._losses else np.zeros(0, np.float32))

    def weights(self) -> ModelSpec:
        """The model with the weights learned so far."""
        return ModelSpec(tuple(_learned(layer, spec) for layer, spec in
                               zip(self._layers, self._specs)), self.names)

    # -- changing it ------------------------------------------------------------------------
    def set_weights(self, model: ModelSpec) -> None:
        """Take the weights of ``model`` (same layers), e.g. a student's edit while paused;
        the optimizer keeps what it has learned about the gradients."""
        if model.layer_config() != self.layout:
            raise LayerSpecError("These weights belong to other layers: start again.")
        for layer, spec in zip(self._layers, model.layers):
            assign_weights(layer, spec, None)

    def reset(self, model: ModelSpec | None = None) -> None:
        """Back to the starting weights (or ``model``'s), a fresh optimizer, no history."""
        self.start = self.start if model is None else model
        self.set_weights(self.start)
        self.steps = 0
        self._losses = []
        self._new_optimizer()

    def set_learning_rate(self, rate: float) -> None:
        self.settings = self.settings.with_changes(learning_rate=rate)
        self.settings.check()
        self._optimizer.learning_rate = rate  # a variable: no new trace

    def set_optimizer(self, settings: TrainSettings) -> None:
        """Another optimizer (its state starts empty); the weights and history stay."""
        settings.check()
        if (settings.loss, settings.scale_inputs) != (self.settings.loss,
                                                      self.settings.scale_inputs):
            raise LayerSpecError("A new loss or input scaling needs a new training run.")
        self.settings = settings
        self._new_optimizer()

    def _new_optimizer(self) -> None:
        self._optimizer = make_optimizer(self.settings)
        self._optimizer.build(self._variables)
        self._loss = make_loss(self.settings)
        self._chunk = tf.function(self._train_chunk, autograph=False)
        self._inspect = tf.function(self._gradients, autograph=False)

    # -- training -----------------------------------------------------------------------------
    def _train_chunk(self, count):
        """``count`` steps as one graph; each step's loss. Written with tf.while_loop, so
        tracing needs no autograph (which takes a second or more to convert the code)."""

        def step(i, losses):
            with tf.GradientTape() as tape:
                loss = self._loss(self._target, _call(self._layers, self._x)[-1])
            gradients = tape.gradient(loss, self._variables)
            self._optimizer.apply_gradients(zip(gradients, self._variables))
            return i + 1, losses.write(i, loss)

        _, losses = tf.while_loop(lambda i, _losses: i < count, step,
                                  (tf.constant(0), tf.TensorArray(tf.float32, size=count)))
        return losses.stack()

    def train(self, steps: int) -> np.ndarray:
        """Run ``steps`` optimizer steps; their losses. Raises TrainingDiverged (with the
        weights of before these steps restored) if the loss or a weight stops being a number
        ConvScope can use."""
        before = [np.array(v.numpy()) for v in self._variables]
        losses = np.asarray(self._chunk(tf.constant(int(steps), tf.int32)), np.float32)
        bad = np.flatnonzero(~np.isfinite(losses))
        weights_ok = all(np.all(np.isfinite(v.numpy())) and
                         np.max(np.abs(v.numpy())) <= MAX_ABS_WEIGHT for v in self._variables)
        if bad.size or not weights_ok:
            for variable, value in zip(self._variables, before):
                variable.assign(value)
            self._new_optimizer()  # its moments hold the same overflow
            at = self.steps + (int(bad[0]) if bad.size else len(losses)) + 1
            raise TrainingDiverged(
                f"The loss grew without bound at step {at} (the learning rate "
                f"{self.settings.learning_rate:g} is too large for these inputs): the weights "
                f"of step {self.steps} are back. Lower the learning rate"
                + (" (SGD on unscaled 0-255 pixels needs about 1e-6)."
                   if self.settings.optimizer == "sgd" and not self.settings.scale_inputs
                   else "."))
        self.steps += len(losses)
        self._losses.append(losses)
        return losses

    # -- explaining ---------------------------------------------------------------------------
    def _gradients(self):
        with tf.GradientTape() as tape:
            outputs = _call(self._layers, self._x)
            loss = self._loss(self._target, outputs[-1])
        gradients = tape.gradient(loss, [*self._variables, *outputs])
        return loss, gradients[:len(self._variables)], outputs, gradients[len(self._variables):]

    def current(self) -> tuple[float, np.ndarray]:
        """(loss, output) at the current weights, without a step."""
        outputs = _call(self._layers, self._x)
        return float(self._loss(self._target, outputs[-1])), np.asarray(outputs[-1])

    def gradient(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """GradientTape's (dL/dkernel, dL/dbias) for every trainable layer, at the current
        weights."""
        _, gradients, _, _ = self._inspect()
        pairs = [np.asarray(g) for g in gradients]
        return [(pairs[2 * n], pairs[2 * n + 1]) for n in range(len(self.trainable))]

    def explain(self, ref: WeightRef) -> tuple[float, GradientExplanation]:
        """(loss, the gradient of ``ref`` worked out in NumPy, with GradientTape's value)."""
        if ref.layer not in self.trainable or not ref.fits(self._specs[ref.layer]):
            raise LayerSpecError(f"There is no weight {ref.label()} in layer {ref.layer + 1}.")
        loss, gradients, outputs, upstream = self._inspect()
        layer = ref.layer
        spec = self._specs[layer]
        layer_input = self.input_array if layer == 0 else np.asarray(outputs[layer - 1])
        output = np.asarray(outputs[layer])
        if layer == len(self._layers) - 1:
            explanation = explain_weight(layer_input, output, self.target_output, spec, ref,
                                         self.settings.loss)
        else:
            explanation = explain_upstream(layer_input, np.asarray(upstream[layer]), spec, ref,
                                           self.settings.loss, output)
        number = self.trainable.index(layer)
        kernel_gradient, bias_gradient = (np.asarray(gradients[2 * number]),
                                          np.asarray(gradients[2 * number + 1]))
        tape = (bias_gradient[ref.filter] if ref.bias else
                kernel_gradient[ref.row, ref.col, ref.channel, ref.filter])
        return float(loss), replace(explanation, tape=float(tape))


def train_steps(trainer: KerasTrainer, steps: int, chunk: int = 250) -> float:
    """Run ``steps`` steps in chunks; the seconds it took (the command line and the bench)."""
    started = time.perf_counter()
    done = 0
    while done < steps:
        count = min(chunk, steps - done)
        trainer.train(count)
        done += count
    return time.perf_counter() - started
