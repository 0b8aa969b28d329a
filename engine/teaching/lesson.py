"""The classic Keras convolution lesson on ``ascent``, as four steps.

Each step names the layer settings it sets. Its text is not written per step and then filled
in: every sentence is derived from what is on screen (the image, the layer's settings and
weights, the filter in the table) and says only what is true of it. A step's point that no
longer holds (the student changed the weights, the padding, the channels) is not claimed; the
text says plainly what the student changed since the step set it, and settings Keras refuses
are named as such. Pure data and text: the lesson panel applies the settings through the
AppState like any other edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.arithmetic.shapes import shape_lines
from engine.arithmetic.sizes import format_shape
from engine.formatting import format_number
from engine.images.loading import LoadedImage
from engine.kernels.edits import channels_identical, keras_kernel
from engine.kernels.presets import CUSTOM, RANDOM, box, identify_preset, random_kernel
from engine.model.conv import ConvSpec
from engine.model.errors import LayerSpecError

LESSON_IMAGE = "ascent.png"
CHANNEL_NAMES = ("R", "G", "B")


@dataclass(frozen=True)
class LessonStep:
    title: str
    #: ConvSpec fields this step sets; "kernel" is a (kh, kw) plane put on every input
    #: channel (and filter), "filters" a filter count.
    changes: dict = field(default_factory=dict)


def _weights_grid(plane: np.ndarray) -> str:
    return "\n".join("  [" + ", ".join(format_number(v) for v in row) + "]" for row in plane)


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _ordinal(n: int) -> str:
    return {1: "", 2: "2nd ", 3: "3rd "}.get(n, f"{n}th ")


def _keras_call(spec: ConvSpec) -> str:
    """The layer as the Keras call that makes it."""
    extra = "" if spec.dilation == (1, 1) else f", dilation_rate={spec.dilation}"
    extra += "" if spec.activation == "linear" else f", activation='{spec.activation}'"
    return (f"Conv2D({spec.filters}, {spec.kernel_size}, strides={spec.strides}, "
            f"padding='{spec.padding}'{extra})")


def _axis_rule(spec: ConvSpec) -> str:
    if spec.padding == "same":
        return "ceil(n / s)"
    if spec.dilation == (1, 1):
        return "floor((n - k) / s) + 1"
    return "floor((n - d(k-1) - 1) / s) + 1"


def _window_words(spec: ConvSpec, channels: int) -> tuple[str, int]:
    """("3x3", 9) for one channel, ("3x3x3", 27) for three: the values one window reads."""
    kh, kw = spec.kernel_size
    if channels == 1:
        return f"{kh}x{kw}", kh * kw
    return f"{kh}x{kw}x{channels}", kh * kw * channels


def _stride_words(spec: ConvSpec) -> str:
    sh, sw = spec.strides
    if (sh, sw) == (1, 1):
        return ""
    rows = "every row" if sh == 1 else f"every {_ordinal(sh)}row"
    cols = "every column" if sw == 1 else f"every {_ordinal(sw)}column"
    return f" (strides {spec.strides}: a window at {rows} and {cols})"


class Lesson:
    """The four steps, with one random kernel drawn when the lesson starts (``seed``)."""

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

    def changed_since(self, index: int, image: LoadedImage, spec: ConvSpec) -> list[str]:
        """What on screen differs from step ``index`` as the lesson sets it, in words."""
        lesson = self.exact_spec(index, spec)
        changed = []
        if image.name != LESSON_IMAGE:
            changed.append("image")
        if image.channels != 1:
            changed.append("input channels (RGB)")
        if spec.filters != lesson.filters:
            changed.append("number of filters")
        if spec.kernel_size != lesson.kernel_size:
            changed.append("kernel size")
        elif spec.filters == lesson.filters and not np.array_equal(spec.kernel, lesson.kernel):
            changed.append("weights")
        changed += [name for name in ("strides", "padding", "dilation", "activation")
                    if getattr(spec, name) != getattr(lesson, name)]
        if spec.filters == lesson.filters and not np.array_equal(spec.bias, lesson.bias):
            changed.append("bias")
        return changed

    def text_for(self, index: int, image: LoadedImage, spec: ConvSpec, filter_index: int = 0,
                 seed: int | None = None) -> str:
        """Step ``index``'s sentences for ``image`` and the layer ``spec`` on screen (the
        table showing filter ``filter_index``; ``seed`` the seed box's, for telling untrained
        weights). The first line is prose; the lines after it (formulas, weights) are a
        block."""
        seed = self.seed if seed is None else seed
        try:
            spec.check(image.nhwc_shape)
        except LayerSpecError as exc:
            return self._refused_text(image, spec, str(exc))
        text = [self._step_1, self._step_2, self._step_3, self._step_4][index](
            image, spec, min(filter_index, spec.filters - 1), seed)
        prose, newline, block = text.partition("\n")
        changed = self.changed_since(index, image, spec)
        if changed:
            prose += (f" Changed since this step: the {_listed(changed)}. What is said here is "
                      f"about the layer on screen now; \"Set this step again\" puts the step's "
                      f"own settings back.")
        return prose + newline + block

    # -- the steps, each true of the layer and image it is given -------------------------
    def _shapes(self, image: LoadedImage, spec: ConvSpec) -> tuple[str, str]:
        return format_shape(image.nhwc_shape), format_shape(spec.output_shape(image.nhwc_shape))

    def _step_1(self, image, spec, _filter, seed) -> str:
        source, shape = self._shapes(image, spec)
        untrained = all(identify_preset(spec.kernel, f, seed) == RANDOM
                        for f in range(spec.filters))
        weights = ("with random glorot-uniform weights, as a fresh Keras layer starts"
                   if untrained else "with the weights in the kernel table")
        maps = ", one feature map per filter on the last axis" if spec.filters > 1 else ""
        return (f"{_keras_call(spec)} {weights}. The image, {image.name}, enters as {source} "
                f"(batch, height, width, channels) and leaves as {shape}{maps}. Each axis "
                f"follows {_axis_rule(spec)}:\n" + "\n".join(shape_lines(image.hw, spec)))

    def _step_2(self, image, spec, filter_index, seed) -> str:
        block = spec.kernel[:, :, :, filter_index]
        which = f"filter {filter_index}'s weights" if spec.filters > 1 else "the weights"
        if spec.channels > 1:
            which += (", the same on every input channel" if channels_identical(block)
                      else f", input channel {CHANNEL_NAMES[0]} (the other channels have "
                           f"their own tabs)")
        preset = identify_preset(spec.kernel, filter_index, seed)
        origin = ("nothing was trained, so these numbers are random" if preset == RANDOM
                  else "these are the numbers you set" if preset == CUSTOM
                  else f"these numbers are the {preset} preset")
        return (f"The layer has two weights: a kernel of shape "
                f"{format_shape(spec.weights_shape)} (rows, columns, input channels, filters) "
                f"and a bias of shape {format_shape((spec.filters,))}. The kernel table on the "
                f"right shows {which}; {origin}:\n"
                f"{_weights_grid(block[:, :, 0])}\n"
                f"bias = [{', '.join(format_number(b) for b in spec.bias)}]")

    def _step_3(self, image, spec, _filter, _seed) -> str:
        _, shape = self._shapes(image, spec)
        window, taps = _window_words(spec, image.channels)
        channels = f" (over the {image.channels} channels)" if image.channels > 1 else ""
        inspect = (f"Hover over the output and open the Inspect tab to see the {taps} terms of "
                   f"any pixel.")
        if not np.all(spec.kernel == 1):
            return (f"The kernel is not all ones now, so the output {shape} is not a plain "
                    f"box sum: each output pixel adds up the {taps} pixel values under the "
                    f"window{channels}, each times its weight, plus the bias. {inspect}")
        brightest = float(np.max(image.pixels))
        bias = "" if not np.any(spec.bias) else ", plus the bias"
        maps = (f" Every filter is all ones, so all {spec.filters} feature maps are this same "
                f"blur." if spec.filters > 1 else "")
        top = format_number(brightest)
        sum_words = f"the plain sum of the {window} pixel values under the window{channels}"
        bound = f"{taps} x {top} = {format_number(taps * brightest)}{bias}"
        return " ".join((
            f"Every weight is now 1, so each output pixel is {sum_words}: up to {bound} (the "
            f"brightest pixel is {top}).",
            f"The output {shape} is a blurred copy of the image{_stride_words(spec)}.{maps}",
            inspect))

    def _step_4(self, image, spec, _filter, _seed) -> str:
        _, shape = self._shapes(image, spec)
        lines = "\n" + "\n".join(shape_lines(image.hw, spec))
        if spec.padding != "same":
            return (f"Padding is 'valid' now: no zeros are added, every window stays inside "
                    f"the image, and the output is {shape}." + lines)
        if spec.strides == (1, 1):
            size = (f"Strides (1, 1) and padding 'same': TensorFlow adds zeros around the image "
                    f"so the output keeps the input's height and width, {shape}.")
        else:
            size = (f"Padding 'same' with strides {spec.strides}: TensorFlow adds zeros around "
                    f"the image and each axis gets ceil(n / s) values, so the output is {shape}, "
                    f"the input's height and width divided by the strides, rounded up.")
        darker = bool(np.all(spec.kernel >= 0) and np.min(image.pixels) >= 0)
        border = (" Border pixels come out darker, because part of their window reads padding "
                  "zeros." if darker else " Part of a border pixel's window reads padding "
                  "zeros (hover over a corner of the output to see them in the Inspect tab).")
        return size + border + lines

    def _refused_text(self, image: LoadedImage, spec: ConvSpec, reason: str) -> str:
        return (f"Keras refuses the settings on screen now ({_keras_call(spec)} on "
                f"{format_shape(image.nhwc_shape)}): {reason} Nothing is computed for them, so "
                f"the output view does not show them. \"Set this step again\" puts this "
                f"step's own settings back.")


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
