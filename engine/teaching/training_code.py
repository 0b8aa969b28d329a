"""The runnable Keras script that trains the layer the way the Train tab does.

Same image loading as the layer script (engine/teaching/codegen.py), then the target layer
and its output, the layer to train with its starting weights (``GlorotUniform(seed)`` when
they are the untrained weights of that seed, literals otherwise), Keras's loss and optimizer,
and the GradientTape step the app traces with ``tf.function``, run for as many steps as the
app has run. From the same starting weights it learns the same weights (float32 on the CPU).
"""

from __future__ import annotations

import numpy as np

from engine.arithmetic.sizes import format_shape
from engine.kernels.presets import random_kernel
from engine.model.conv import ConvSpec
from engine.model.network import ModelSpec
from engine.teaching.codegen import _kernel_lines, _loading_lines, float_literal
from engine.training.settings import AMSGRAD_NOTE, LOSSES, OPTIMIZERS, TrainSettings

HIDDEN = "hidden"  # what the target's weights read while the mystery is not revealed


def _bias_literal(bias: np.ndarray) -> str:
    return "np.array([" + ", ".join(float_literal(b) for b in bias) + "], dtype=np.float32)"


def _layer_lines(spec: ConvSpec) -> list[str]:
    return [
        "def conv2d(**weights):",
        '    """The layer\'s settings, shared by the layer and its target."""',
        "    return keras.layers.Conv2D(",
        f"        filters={spec.filters}, kernel_size={spec.kernel_size}, "
        f"strides={spec.strides},",
        f"        padding={spec.padding!r}, dilation_rate={spec.dilation},",
        f"        activation={spec.activation!r}, use_bias=True, **weights)",
    ]


def _target_lines(target: ConvSpec, hidden: bool) -> list[str]:
    build = f"target.build((None, None, None, {target.channels}))"
    if hidden:
        return ["# The target kernel is the Train tab's mystery: press Reveal there to see its",
                "# weights here (the script needs them to run).",
                f"kernel = None  # {HIDDEN}",
                "target = conv2d()", build, "target.set_weights([kernel, None])"]
    return ["# The target: the kernel the layer should learn",
            *_kernel_lines(target),
            "target = conv2d()", build,
            f"target.set_weights([kernel, {_bias_literal(target.bias)}])"]


def _start_lines(start: ConvSpec, seed: int | None) -> list[str]:
    build = f"layer.build((None, None, None, {start.channels}))"
    untrained = seed is not None and np.array_equal(
        start.kernel, random_kernel(start.kernel_size, start.channels, start.filters, seed))
    if untrained and not np.any(start.bias):
        return ["# The layer to train, untrained: the weights a fresh Conv2D draws",
                f"layer = conv2d(kernel_initializer=keras.initializers.GlorotUniform(seed={seed}))",
                build]
    return ["# The layer to train, from the weights it had when training started",
            *_kernel_lines(start),
            "layer = conv2d()", build,
            f"layer.set_weights([kernel, {_bias_literal(start.bias)}])"]


def _optimizer_line(settings: TrainSettings) -> list[str]:
    name = OPTIMIZERS[settings.optimizer][0]
    rate = repr(float(settings.learning_rate))  # "1.0", not "1": Keras wants a float
    if settings.optimizer == "adam":
        return [f"# {AMSGRAD_NOTE}",
                f"optimizer = keras.optimizers.{name}(learning_rate={rate}, amsgrad=True)"]
    return [f"optimizer = keras.optimizers.{name}(learning_rate={rate})"]


def training_script(start: ModelSpec, target: ModelSpec, settings: TrainSettings, steps: int,
                    image_path: str | None, color: str = "gray", seed: int | None = None,
                    hidden: bool = False, edited: bool = False) -> str:
    """The script that trains ``start`` (one Conv2D) for ``steps`` steps toward ``target``'s
    output. ``seed``: the random preset's seed, so untrained starting weights are written as
    ``GlorotUniform(seed)``; ``hidden`` leaves the target's weights out (an unrevealed
    mystery); ``edited`` notes that weights were edited along the way."""
    first, goal = start.layers[0], target.layers[0]
    if len(start) != 1 or not isinstance(first, ConvSpec):
        return "# The training script covers a single Conv2D layer.\n"
    scale = (["x = x / 255.0  # inputs scaled to 0-1 (the Train tab's option)"]
             if settings.scale_inputs else ["# pixels stay 0-255, unscaled, as in the lesson"])
    edit_note = (["# The weights were edited during training, so the app's path differs from",
                  "# this uninterrupted run."] if edited else [])
    lines = [
        '"""Trains a Conv2D the way ConvScope\'s Train tab does: its output on the image is',
        "pulled toward the output of a target kernel, one GradientTape step at a time.",
        "",
        "Usage: python THIS_FILE.py [KERNEL_OUT.npy]   (saves the learned kernel, "
        f"{format_shape(first.weights_shape)})",
        '"""',
        "import os",
        "import sys",
        "",
        'os.environ.setdefault("KERAS_BACKEND", "tensorflow")',
        'os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")',
        "",
        "import keras",
        "import numpy as np",
        "import tensorflow as tf",
        "from PIL import Image, ImageOps",
        "",
        "",
        *_loading_lines(image_path, color),
        *scale,
        "x = tf.constant(x, dtype=tf.float32)",
        "",
        "",
        *_layer_lines(first),
        "",
        "",
        *_target_lines(goal, hidden),
        "y_target = target(x)  # what the layer's output should become",
        "",
        *_start_lines(first, seed),
        "",
        f"loss_fn = keras.losses.{LOSSES[settings.loss][0]}()  # {settings.loss_words}",
        *_optimizer_line(settings),
        "optimizer.build(layer.trainable_variables)",
        "",
        "",
        "@tf.function  # traced once, then every step runs as one TensorFlow graph",
        "def train_step():",
        "    with tf.GradientTape() as tape:",
        "        loss = loss_fn(y_target, layer(x))",
        "    gradients = tape.gradient(loss, layer.trainable_variables)  # dL/dkernel, dL/dbias",
        "    optimizer.apply_gradients(zip(gradients, layer.trainable_variables))",
        "    return loss",
        "",
        "",
        *edit_note,
        f"STEPS = {int(steps)}  # the steps the Train tab has run",
        "for step in range(STEPS):",
        "    loss = train_step()",
        "    if (step + 1) % 500 == 0:",
        '        print(f"step {step + 1}: loss {float(loss):.6g}")',
        "kernel, bias = layer.get_weights()",
        'print(f"loss {float(loss_fn(y_target, layer(x))):.6g}")',
        "for f in range(kernel.shape[3]):",
        "    print(kernel[:, :, 0, f])",
        'print("bias", bias)',
        "if len(sys.argv) > 1:",
        "    np.save(sys.argv[1], kernel)",
        "",
    ]
    return "\n".join(lines)
