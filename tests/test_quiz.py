"""The quiz and the predict checks, pure parts: seeded questions whose answers agree with a
real Keras layer and the independent NumPy reference, and the per-axis verdicts."""

import keras
import numpy as np
import pytest

from engine.teaching.predict import check_shape, check_value, parse_number, verdict_lines
from engine.teaching.quiz import (
    KINDS,
    OUTPUT_SHAPE,
    PARAMS,
    UNREAD,
    AnswerFormatError,
    QuizProgress,
    format_rows,
    parse_count,
    parse_rows,
    parse_shape,
    question,
)
from tests.layers import conv
from tests.numpy_reference import cross_correlate

SHAPES = [(1, 512, 512, 1), (1, 768, 1024, 3), (1, 23, 31, 1)]


def keras_layer(q):
    spec = q.layer
    return keras.layers.Conv2D(spec.filters, spec.kernel_size, strides=spec.strides,
                               padding=spec.padding, dilation_rate=spec.dilation)


def describe(q):
    return (q.kind, q.axis, q.layer_code, q.prompt, q.answer_text, tuple(q.worked()),
            q.layer.kernel.tobytes())


def test_the_same_seed_gives_the_same_questions_and_another_seed_others():
    first = [describe(question(42, i, SHAPES[0])) for i in range(12)]
    assert first == [describe(question(42, i, SHAPES[0])) for i in range(12)]
    assert first != [describe(question(43, i, SHAPES[0])) for i in range(12)]
    for block in range(4):  # every block of three asks each kind once
        assert sorted(question(42, 3 * block + i, SHAPES[0]).kind for i in range(3)) == \
            sorted(KINDS)


@pytest.mark.parametrize("input_shape", SHAPES)
def test_answers_agree_with_keras(input_shape):
    for index in range(30):
        q = question(7, index, input_shape)
        layer = keras_layer(q)
        assert q.layer.channels == input_shape[3]
        keras_shape = tuple(layer.compute_output_shape(input_shape))
        assert keras_shape == q.layer.output_shape(input_shape)
        assert min(keras_shape) >= 1  # every quiz layer runs on the image
        if q.kind == OUTPUT_SHAPE:
            assert q.answer == keras_shape[1:]
            assert q.check(", ".join(map(str, keras_shape[1:]))).right
        if q.kind == PARAMS:
            layer.build(input_shape)
            assert q.answer == layer.count_params()
            assert q.check(str(layer.count_params())).right
            assert not q.check(str(layer.count_params() + 1)).right


def never_read(q):
    """Input rows (or columns) no output depends on, by the NumPy reference: an identity
    image makes each column a one-hot row, so output column j is 0 when row j is unread."""
    spec, n = q.layer, q.input_shape[1 if q.axis == "rows" else 2]
    axis = 0 if q.axis == "rows" else 1
    pick = (lambda pair: (pair[0], 1)) if axis == 0 else (lambda pair: (1, pair[1]))
    kernel = np.ones(pick(spec.kernel_size))
    image = np.eye(n) if axis == 0 else np.eye(n).T
    out = cross_correlate(image, kernel, pick(spec.strides), spec.padding, pick(spec.dilation))
    touched = np.abs(out[0, :, :, 0]).sum(axis=axis)
    return {j for j in range(n) if touched[j] == 0}


@pytest.mark.parametrize("input_shape", SHAPES)
def test_unread_rows_agree_with_the_numpy_reference(input_shape):
    asked = []
    for index in range(45):
        q = question(11, index, input_shape)
        if q.kind != UNREAD:
            continue
        asked.append(q)
        assert q.answer == never_read(q)
        assert q.check(format_rows(q.answer)).right
        assert q.worked()[-1].endswith("never read") or "every" in q.worked()[-1]
    assert any(q.answer for q in asked) and len(asked) == 15


def test_a_wrong_answer_is_worked_out_and_a_bad_one_is_not_counted():
    q = next(question(5, i, SHAPES[0]) for i in range(9)
             if question(5, i, SHAPES[0]).kind == OUTPUT_SHAPE)
    rows, cols, channels = q.answer
    check = q.check(f"{rows + 1}, {cols}, {channels}")
    assert not check.right
    assert check.lines[0] == f"Not quite: the answer is {q.answer_text}."
    assert any(line.startswith("rows: ") and line.endswith(f"= {rows}") for line in check.lines)
    assert q.check(f"(1, {rows}, {cols}, {channels})").right  # the NHWC shape is fine too
    with pytest.raises(AnswerFormatError):
        q.check("about two hundred")
    progress = QuizProgress(seed=5).after(check)
    assert (progress.right, progress.answered, progress.score) == (0, 1, "0 of 1 right")
    assert progress.next().index == 1 and not progress.next().checked


def test_answer_parsers():
    assert parse_shape("255, 510, 1") == (255, 510, 1)
    assert parse_shape("(1, 255, 510, 4)") == (255, 510, 4)
    assert parse_rows("510-511, 3") == {3, 510, 511}
    assert parse_rows(" none ") == frozenset()
    assert parse_count("1,234") == 1234
    assert format_rows([1, 2, 3, 7, 9, 10]) == "1-3, 7, 9-10"
    for bad, parser in (("1 2", parse_shape), ("a-b", parse_rows), ("9-3", parse_rows),
                        ("0-99999999", parse_rows), ("", parse_rows), ("-5", parse_count),
                        ("1.5", parse_count)):
        with pytest.raises(AnswerFormatError):
            parser(bad)


def test_shape_verdict_per_axis_with_the_formulas():
    spec = conv(strides=(2, 1))
    verdict = check_shape((256, 510, 1), spec.output_shape((1, 512, 512, 1)))
    assert [a.right for a in verdict.axes] == [False, True, True] and not verdict.right
    lines = verdict_lines(verdict, (1, 512, 512, 1), spec)
    assert lines[0] == "Not quite: the output is (1, 255, 510, 1)."
    assert "rows: you said 256: wrong, it is 255" in lines
    assert "cols: you said 510: right" in lines
    assert "rows: floor((512 - 3) / 2) + 1 = 255" in lines
    assert check_shape((255, 510, 1), (1, 255, 510, 1)).right


def test_value_checks_allow_rounding_only():
    assert check_value(2295.4, 2295.0).right  # three significant digits
    assert not check_value(2290, 2295.0).right
    assert check_value(0.004, 0.0).right and not check_value(0.02, 0.0).right
    assert "off by -5" in check_value(2290, 2295.0).line()
    assert parse_number(" -12.5 ") == -12.5
    for bad in ("12,5", "", "nan", "inf"):
        with pytest.raises(ValueError):
            parse_number(bad)
