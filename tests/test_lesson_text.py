"""The lesson's text is true of what is on screen in every state a student can reach, or says
plainly what the student changed since the step (no Qt, no Keras: the shapes and values it
states are checked against the independent NumPy reference)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.images.loading import from_array, load_image
from engine.kernels.edits import keras_kernel
from engine.kernels.presets import random_kernel
from engine.model.conv import ConvSpec
from engine.teaching.lesson import Lesson
from tests.conftest import ASCENT
from tests.numpy_reference import cross_correlate

SEED = 4


@pytest.fixture(scope="module")
def ascent():
    return load_image(ASCENT)


def step_spec(lesson: Lesson, index: int, **changes) -> ConvSpec:
    return lesson.exact_spec(index, ConvSpec()).with_changes(**changes)


def test_same_padding_step_with_other_strides_says_what_they_give(ascent):
    """Strides (2, 2) at the 'same' step: not "strides (1, 1) ... keeps the input's size"."""
    lesson = Lesson(SEED)
    text = lesson.text_for(3, ascent, step_spec(lesson, 3, strides=(2, 2)))
    assert "Strides (1, 1)" not in text and "keeps the input's" not in text
    assert "strides (2, 2)" in text and "(1, 256, 256, 1)" in text and "ceil(n / s)" in text
    assert "Changed since this step: the strides." in text


def test_first_step_names_the_layer_on_screen(ascent):
    lesson = Lesson(SEED)
    text = lesson.text_for(0, ascent, step_spec(lesson, 0, strides=(1, 1), padding="same"))
    assert "strides=(2, 1)" not in text and "floor((n - k) / s) + 1" not in text
    assert "Conv2D(1, (3, 3), strides=(1, 1), padding='same')" in text
    assert "follows ceil(n / s)" in text and "rows: ceil(512 / 1) = 512" in text
    assert "the strides and padding" in text


def test_rgb_blur_counts_27_terms_up_to_6885():
    lesson, rgb = Lesson(SEED), load_image(ASCENT, "rgb")
    spec = lesson.exact_spec(2, ConvSpec(kernel=np.ones((3, 3, 3, 1))))
    text = lesson.text_for(2, rgb, spec)
    assert "27 x 255 = 6885" in text and "the 27 terms" in text
    assert "9 x 255" not in text and "the 9 terms" not in text
    assert "input channels (RGB)" in text  # the lesson is on one gray channel
    reference = cross_correlate(rgb.pixels, spec.kernel, spec.strides)
    assert reference.max() <= 3 * 9 * 255 and reference.max() > 2295  # why 2295 was wrong


def test_several_filters_are_named(ascent):
    lesson = Lesson(SEED)
    four = keras_kernel(np.ones((3, 3)), 1, 4)
    text = lesson.text_for(0, ascent, step_spec(lesson, 0, kernel=four, bias=0.0))
    assert text.startswith("Conv2D(4, (3, 3), strides=(2, 1), padding='valid') with the weights")
    assert "(1, 255, 510, 4), one feature map per filter" in text
    assert "number of filters" in text and "random" not in text.split(".")[0]
    blur = lesson.text_for(2, ascent, step_spec(lesson, 2, kernel=four, bias=0.0))
    assert "all 4 feature maps are this same blur" in blur


def test_changed_weights_are_not_called_a_box_sum(ascent):
    lesson = Lesson(SEED)
    kernel = keras_kernel(np.array([[1, 1, 1], [1, 2, 1], [1, 1, 1]]))
    text = lesson.text_for(2, ascent, step_spec(lesson, 2, kernel=kernel))
    assert "Every weight is now 1" not in text and "2295" not in text
    assert "not a plain box sum" in text and "Changed since this step: the weights." in text


def test_refused_settings_are_named_as_refused(ascent):
    lesson = Lesson(SEED)
    text = lesson.text_for(1, ascent, step_spec(lesson, 1, dilation=(2, 2)))
    assert text.startswith("Keras refuses the settings on screen now")
    assert "strides > 1 with dilation > 1" in text and "(1, 255" not in text
    dot = from_array(np.full((2, 2), 7.0), "ascent.png")
    assert "output would be empty" in lesson.text_for(0, dot, step_spec(lesson, 0))


# -- every reachable state ------------------------------------------------------------------
def expected_size(n: int, k: int, s: int, d: int, padding: str) -> int:
    """The shape formula, from the Keras documentation (not from engine/)."""
    return -(-n // s) if padding == "same" else (n - d * (k - 1) - 1) // s + 1


@st.composite
def screen_states(draw):
    """A lesson step, an image and a layer the student reached from that step."""
    index = draw(st.integers(0, 3))
    channels = draw(st.sampled_from([1, 1, 3]))
    hw = (draw(st.integers(3, 24)), draw(st.integers(3, 24)))
    top = draw(st.sampled_from([255, 200]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    pixels = rng.integers(0, top + 1, (*hw, channels) if channels == 3 else hw).astype(float)
    pixels.flat[0] = top
    image = from_array(pixels, "ascent.png")
    size = draw(st.sampled_from([(3, 3), (3, 3), (2, 4), (5, 1)]))
    filters = draw(st.sampled_from([1, 1, 3]))
    kind = draw(st.sampled_from(["lesson", "ones", "random", "other"]))
    lesson_plane = random_kernel((3, 3), 1, 1, SEED)[:, :, 0, 0] if index < 2 else np.ones((3, 3))
    if kind == "lesson" and size == (3, 3):
        kernel = keras_kernel(lesson_plane, channels, filters)
        kind = "ones" if index >= 2 else kind
    elif kind == "random":
        kernel = random_kernel(size, channels, filters, SEED)
    elif kind == "other":
        kernel = rng.normal(size=(*size, channels, filters)) + 0.25
    else:
        kind, kernel = "ones", np.ones((*size, channels, filters))
    lesson_strides, lesson_padding = ((2, 1), "valid") if index < 3 else ((1, 1), "same")
    spec = ConvSpec(kernel=kernel,
                    strides=draw(st.sampled_from([lesson_strides, (1, 1), (2, 2), (1, 3)])),
                    padding=draw(st.sampled_from([lesson_padding, "valid", "same"])),
                    dilation=draw(st.sampled_from([(1, 1), (1, 1), (2, 1)])),
                    bias=draw(st.sampled_from([0.0, 0.0, 5.0])),
                    activation=draw(st.sampled_from(["linear", "linear", "relu"])))
    changed = {
        "input channels": channels != 1,
        "number of filters": filters != 1,
        "kernel size": size != (3, 3),
        "weights": (filters == 1 and size == (3, 3)
                    and not np.array_equal(kernel, keras_kernel(lesson_plane, channels, 1))),
        "strides": spec.strides != lesson_strides, "padding": spec.padding != lesson_padding,
        "dilation": spec.dilation != (1, 1), "activation": spec.activation != "linear",
        "bias": filters == 1 and spec.bias[0] != 0,
    }
    untrained = kind == "random" or (kind == "lesson" and index < 2 and channels == 1
                                     and filters == 1)
    return index, image, spec, kind, untrained, changed


@settings(max_examples=300, deadline=None)
@given(screen_states())
def test_every_sentence_is_true_of_the_screen(case):
    index, image, spec, kind, untrained, changed = case
    text = Lesson(SEED).text_for(index, image, spec, 0, SEED)
    (kh, kw), (sh, sw), (dh, dw) = spec.kernel_size, spec.strides, spec.dilation
    h, w = image.hw
    out_hw = (expected_size(h, kh, sh, dh, spec.padding), expected_size(w, kw, sw, dw,
                                                                         spec.padding))
    if (max(spec.strides) > 1 and max(spec.dilation) > 1) or min(out_hw) < 1:
        assert text.startswith("Keras refuses the settings on screen now"), text
        return
    reference = cross_correlate(image.pixels, spec.kernel, spec.strides, spec.padding,
                                spec.dilation, spec.bias, spec.activation)
    assert reference.shape[1:3] == out_hw
    shapes = {str((1, *image.hw, image.channels)), str(reference.shape),
              str(spec.kernel.shape)}
    for shape in re.findall(r"\(1, \d+, \d+, \d+\)", text):
        assert shape in shapes, (shape, text)
    for said in re.findall(r"[Ss]trides[ =]?\((\d+), (\d+)\)", text):
        assert tuple(map(int, said)) == spec.strides, text
    for said in re.findall(r"[Pp]adding(?:[ =]| is )'(\w+)'", text):
        assert said == spec.padding, text
    assert ("random" in text.split(". ")[0] or "these numbers are random" in text) == (
        untrained and index < 2), text
    taps = kh * kw * image.channels
    if "Every weight is now 1" in text:
        assert kind == "ones"
        bound = re.search(r"up to (\d+) x (\d+) = (\d+)", text).groups()
        assert tuple(map(int, bound)) == (taps, image.pixels.max(), taps * image.pixels.max())
        assert reference.max() <= taps * image.pixels.max() + spec.bias.max()
    for terms in re.findall(r"the (\d+) terms", text):
        assert int(terms) == taps
    assert ("Every weight is now 1" in text) == (index == 2 and kind == "ones")
    note = text.partition("Changed since this step: ")[2].partition(".")[0]
    for name, differs in changed.items():
        assert (name in note) == differs, (name, note, text)
