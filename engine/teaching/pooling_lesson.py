"""The second guided lesson, "Pooling and feature maps": the next steps of the course after
one convolution: a layer with several filters, relu, 2x2 max pooling and a second Conv2D.

Each step sets the stack (the steps before it, as the student left them, plus its own new
layer) and says what to look at, with the numbers of the stack on screen: shapes, parameter
counts, the pooling formula and the receptive field. Pure data and text, like
engine/teaching/lesson.py; the lesson panel applies each model through the AppState.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.arithmetic.shapes import layer_shape_lines
from engine.arithmetic.sizes import format_shape
from engine.arithmetic.through_layers import field_lines, receptive_field
from engine.images.loading import LoadedImage
from engine.kernels.presets import BANK, filter_bank, random_kernel
from engine.model.activation import ActivationSpec
from engine.model.conv import ConvSpec
from engine.model.network import ModelSpec
from engine.model.pooling import PoolSpec
from engine.model.stack import fit_channels

#: The classes the steps' stack holds, in order: step i has the first i + 1 of them.
KINDS = ("Conv2D", "Activation", "MaxPooling2D", "Conv2D")
FIRST_FILTERS = 4
SECOND_FILTERS = 2


@dataclass(frozen=True)
class PoolingStep:
    title: str


class PoolingLesson:
    """Four steps on the one-channel ascent photo, from the seed of the seed box."""

    name = "Pooling and feature maps"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.steps = [PoolingStep("1. Several filters, several feature maps"),
                      PoolingStep("2. relu: keep the positive responses"),
                      PoolingStep("3. 2x2 max pooling: half the rows and columns"),
                      PoolingStep("4. A second Conv2D reads all four maps")]

    def __len__(self) -> int:
        return len(self.steps)

    def _layer(self, index: int, channels: int):
        if index == 0:
            return ConvSpec(kernel=filter_bank(channels, FIRST_FILTERS, self.seed))
        if index == 1:
            return ActivationSpec("relu")
        if index == 2:
            return PoolSpec((2, 2))
        return ConvSpec(kernel=random_kernel((3, 3), channels, SECOND_FILTERS, self.seed))

    def exact_model(self, index: int, model: ModelSpec | None = None) -> ModelSpec:
        """Step ``index`` exactly as the lesson has it."""
        layers, channels = [], 1
        for step in range(index + 1):
            layer = self._layer(step, channels)
            layers.append(layer)
            channels = layer.output_shape((1, 1, 1, channels))[3]
        return ModelSpec(tuple(layers))

    def model_for(self, index: int, model: ModelSpec) -> ModelSpec:
        """Moving on to step ``index``: the stack on screen, when it still is this lesson's,
        keeps the student's changes and gets the step's layer; otherwise the exact step."""
        kinds = tuple(layer.kind for layer in model.layers)
        if index == 0 or kinds != KINDS[:index]:
            return self.exact_model(index)
        channels = model.channels(1)[-1]
        stack = ModelSpec((*model.layers, self._layer(index, channels)))
        return fit_channels(stack, 1, self.seed)

    def selected_layer(self, index: int) -> int:
        return index  # the step's new layer is the one on screen

    def model_text(self, index: int, image: LoadedImage, model: ModelSpec,
                   filter_index: int = 0, seed: int | None = None) -> str:
        """The step's sentences, then its formulas, with the numbers of the stack shown on
        ``image`` (``filter_index`` and ``seed`` as the classic lesson takes them)."""
        if tuple(layer.kind for layer in model.layers)[:index + 1] != KINDS[:index + 1]:
            return ("The stack on screen is no longer this step's: press 'Set this step "
                    "again' to get it back.")
        source = image.nhwc_shape
        names, shapes = model.layer_names(), model.output_shapes(source)
        conv = model.layers[0]
        if index == 0:
            bank = ", ".join(BANK[:min(conv.filters, len(BANK))])
            return (f"One Conv2D with {conv.filters} filters ({bank}) makes {conv.filters} "
                    f"feature maps, stacked on the last axis: {format_shape(source)} becomes "
                    f"{format_shape(shapes[0])}. Its kernel is {format_shape(conv.weights_shape)}"
                    f" and its bias ({conv.filters},): {conv.param_arithmetic()} parameters. "
                    f"Click a map in the grid to edit its filter.\n"
                    + "\n".join(layer_shape_lines(source, conv)))
        if index == 1:
            return (f"{names[1]} applies relu, max(x, 0), to every value: negative responses "
                    f"(Sobel's dark edges) become 0. The shape stays {format_shape(shapes[1])} "
                    f"and it adds 0 parameters. Select {names[0]} and {names[1]} in the layer "
                    f"stack and compare their maps' ranges in the grid.")
        if index == 2:
            pool_input = shapes[1]
            return (f"{names[2]} keeps the largest value of each 2x2 window of each map: "
                    f"{format_shape(pool_input)} becomes {format_shape(shapes[2])}, with 0 "
                    f"parameters. Hover over its output and open Inspect a pixel to see the "
                    f"window and which of its four values won.\n"
                    + "\n".join(layer_shape_lines(pool_input, model.layers[2],
                                                  reads_image=False)))
        second = model.layers[3]
        field = receptive_field(model, source, 3, 0, 0)
        return (f"{names[3]} reads all {second.channels} maps at once: its kernel is "
                f"{format_shape(second.weights_shape)} (rows, cols, input channels, filters), "
                f"so each output value sums {second.channels} windows of "
                f"{second.kernel_size[0]}x{second.kernel_size[1]}, one per map: "
                f"{second.param_arithmetic()} parameters; output {format_shape(shapes[3])}. "
                f"One of its pixels sees a patch of {field.height}x{field.width} pixels of the "
                f"photo (its receptive field, drawn on the input when you inspect a pixel). Edit a "
                f"filter of {names[0]} and watch every later map change.\n"
                + "\n".join(field_lines(model, source, 3)))
