"""The classic Keras convolution lesson on ``ascent``, as four steps.

Each step names the layer settings it sets and the few sentences it shows. The sentences are
filled in from the settings on screen (shapes, weights), so they stay true when the student
changes something between steps. Pure data and text: the lesson panel applies the settings
through the AppState like any other edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.arithmetic.shapes import shape_lines
from engine.arithmetic.sizes import format_shape
from engine.formatting import format_number
from engine.kernels.edits import keras_kernel
from engine.kernels.presets import box, random_kernel
from engine.model.conv import ConvSpec
from engine.model.network import ModelSpec, single_conv

LESSON_IMAGE = "ascent.png"


@dataclass(frozen=True)
class LessonStep:
    title: str
    #: ConvSpec fields this step sets; "kernel" is a (kh, kw) plane put on every input
    #: channel (and filter), "filters" a filter count.
    changes: dict = field(default_factory=dict)


def _weights_grid(plane: np.ndarray) -> str:
    return "\n".join("  [" + ", ".join(format_number(v) for v in row) + "]" for row in plane)


class Lesson:
    """The four steps, with one random kernel drawn when the lesson starts (``seed``)."""

    name = "The classic Keras convolution lesson"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.random_kernel = random_kernel((3, 3), 1, 1, seed)[:, :, 0, 0]
        self.steps = [
            LessonStep("1. An untrained Conv2D", dict(
                kernel=self.random_kernel, filters=1, strides=(2, 1), padding="valid",
                dilation=(1, 1), bias=0.0, activation="linear")),
            LessonStep("2. The layer's weights"),
            LessonStep("3. All ones: a blur", dict(kernel=box((3, 3)))),
            LessonStep("4. Same padding", dict(strides=(1, 1), padding="same")),
        ]

    def __len__(self) -> int:
        return len(self.steps)

    def spec_for(self, index: int, current: ConvSpec) -> ConvSpec:
        """Moving on to step ``index``: the current settings (with whatever the student
        changed) plus the step's own changes."""
        return _apply(current, self.steps[index].changes)

    def exact_spec(self, index: int, current: ConvSpec) -> ConvSpec:
        """Step ``index`` exactly as the lesson has it (Back, or setting a step again):
        every step's changes up to it, in order."""
        for step in self.steps[:index + 1]:
            current = _apply(current, step.changes)
        return current

    # -- the same steps on the whole model (what the lesson panel applies) ------------------
    @staticmethod
    def _first_conv(model: ModelSpec) -> ConvSpec:
        first = model.layers[0]
        return first if first.kind == "Conv2D" else ConvSpec()

    def model_for(self, index: int, model: ModelSpec) -> ModelSpec:
        """The one-Conv2D model of step ``index``, keeping the student's changes to it."""
        return single_conv(self.spec_for(index, self._first_conv(model)))

    def exact_model(self, index: int, model: ModelSpec) -> ModelSpec:
        return single_conv(self.exact_spec(index, self._first_conv(model)))

    def model_text(self, index: int, image_hw: tuple[int, int], model: ModelSpec) -> str:
        return self.text_for(index, image_hw, self._first_conv(model))

    def selected_layer(self, index: int) -> int:
        return 0

    def text_for(self, index: int, image_hw: tuple[int, int], spec: ConvSpec) -> str:
        """The step's sentences, with the numbers of ``spec`` on ``image_hw``."""
        shape = format_shape(spec.output_shape((1, *image_hw, spec.channels)))
        source = format_shape((1, *image_hw, spec.channels))
        if index == 0:
            return (
                f"Conv2D(1, (3, 3), strides=(2, 1), padding='valid') with random "
                f"glorot-uniform weights, as a fresh Keras layer starts. The photo enters as "
                f"{source} (batch, height, width, channels) and leaves as {shape}. Each axis "
                f"follows floor((n - k) / s) + 1:\n" + "\n".join(shape_lines(image_hw, spec)))
        if index == 1:
            return (
                f"The layer has two weights: a kernel of shape "
                f"{format_shape(spec.weights_shape)} (rows, columns, input channels, filters) "
                f"and a bias of shape (1,). The kernel is the table on the right; nothing was "
                f"trained, so these numbers are random:\n"
                f"{_weights_grid(spec.kernel[:, :, 0, 0])}\n"
                f"bias = [{', '.join(format_number(b) for b in spec.bias)}]")
        if index == 2:
            taps = spec.kernel_size[0] * spec.kernel_size[1]
            return (
                f"Every weight is now 1, so each output pixel is the plain sum of the "
                f"{spec.kernel_size[0]}x{spec.kernel_size[1]} pixels under the window: up to "
                f"{taps} x 255 = {taps * 255}. The output {shape} is a blurred copy of the "
                f"photo. Hover over the output and open the Inspect tab to see the {taps} "
                f"terms of any pixel.")
        return (
            f"Strides (1, 1) and padding 'same': TensorFlow adds zeros around the image so "
            f"the output keeps the input's size, {shape}. Border pixels come out darker, "
            f"because part of their window reads padding zeros.\n"
            + "\n".join(shape_lines(image_hw, spec)))


def _apply(current: ConvSpec, changes: dict) -> ConvSpec:
    """A step's changes on top of ``current``. A step's kernel is written as one plane: it
    goes on every input channel (if the student has switched to RGB) and every filter, so
    the layer still runs."""
    changes = dict(changes)
    filters = changes.pop("filters", current.filters)
    if "kernel" in changes:
        changes["kernel"] = keras_kernel(changes["kernel"], current.channels, filters)
        if filters != current.filters and "bias" not in changes:
            changes["bias"] = 0.0
    return current.with_changes(**changes)
