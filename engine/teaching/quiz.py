"""The quiz: random layer settings on the current image, one question at a time.

Each question is drawn from the quiz's seed and its number only, so a teacher who gives a
class one seed gives everyone the same questions in the same order, with no network and no
accounts. Every block of three questions asks each kind once, in a seeded order: the output
shape, the input rows (or columns) no window reads, and the parameter count. Answers come from
the same arithmetic the shape panel uses (engine.arithmetic, engine.model), and every answer
is worked out with the real numbers. Plain Python: nothing here needs Keras or Qt.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace

import numpy as np

from engine.arithmetic.shapes import explain_shape
from engine.arithmetic.sizes import format_shape
from engine.kernels.presets import random_kernel
from engine.model.conv import ConvSpec
from engine.model.errors import LayerSpecError
from engine.teaching.predict import answer_lines

OUTPUT_SHAPE, UNREAD, PARAMS = "output_shape", "unread", "params"
KINDS = (OUTPUT_SHAPE, UNREAD, PARAMS)
_WORDS = {"rows": "row", "cols": "column"}
_NONE_WORDS = ("none", "no", "nothing", "no rows", "no columns", "-")
#: Most rows one typed range may name (a typo like 1-99999999 must not fill memory).
MAX_RANGE = 100_000


class AnswerFormatError(ValueError):
    """The typed answer cannot be read; the message says how to type it. Not counted."""


@dataclass(frozen=True)
class QuizCheck:
    right: bool
    lines: tuple[str, ...]  # the verdict, then the worked answer


@dataclass(frozen=True, eq=False)
class Question:
    seed: int
    index: int  # 0-based
    kind: str
    input_shape: tuple[int, int, int, int]
    layer: ConvSpec
    axis: str  # "rows" or "cols" for UNREAD, "" otherwise

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def layer_code(self) -> str:
        """The layer as Keras code, e.g. ``Conv2D(8, (3, 3), strides=(2, 2), padding='same')``."""
        spec = self.layer
        dilation = f", dilation_rate={spec.dilation}" if spec.dilation != (1, 1) else ""
        return (f"Conv2D({spec.filters}, {spec.kernel_size}, strides={spec.strides}, "
                f"padding={spec.padding!r}{dilation})")

    @property
    def prompt(self) -> str:
        if self.kind == OUTPUT_SHAPE:
            return "What is the output shape?"
        if self.kind == UNREAD:
            word = "rows" if self.axis == "rows" else "columns"
            return f"Which input {word} does no window ever read?"
        return "How many parameters does the layer have (as model.summary() counts them)?"

    @property
    def hint(self) -> str:
        if self.kind == OUTPUT_SHAPE:
            return "Type rows, cols, channels, e.g. 255, 510, 1."
        if self.kind == UNREAD:
            word = _WORDS[self.axis]
            return f"Type {word} numbers or a range, e.g. 510-511, or none."
        return "Type a whole number."

    @property
    def answer(self):
        """(rows, cols, channels), a frozenset of row/column numbers, or the count."""
        if self.kind == OUTPUT_SHAPE:
            return tuple(self.layer.output_shape(self.input_shape)[1:])
        if self.kind == UNREAD:
            axis = self._axis()
            return frozenset(range(axis.n - axis.uncovered, axis.n))
        return self.layer.param_count

    @property
    def answer_text(self) -> str:
        if self.kind == OUTPUT_SHAPE:
            return format_shape(self.layer.output_shape(self.input_shape))
        if self.kind == UNREAD:
            return format_rows(self.answer)
        return str(self.answer)

    def worked(self) -> list[str]:
        """The answer worked out with the real numbers."""
        if self.kind == OUTPUT_SHAPE:
            return answer_lines(self.input_shape, self.layer, on_screen=False)
        if self.kind == UNREAD:
            return self._worked_unread()
        spec = self.layer
        kh, kw, c, f = spec.weights_shape
        return [f"kernel {format_shape(spec.weights_shape)}: {kh}·{kw}·{c}·{f} = "
                f"{spec.kernel.size} weights",
                f"bias ({f},): one per filter = {f}",
                f"params: {spec.param_arithmetic()}"]

    def check(self, text: str) -> QuizCheck:
        """Judge a typed answer; AnswerFormatError when it cannot be read."""
        if self.kind == OUTPUT_SHAPE:
            right = parse_shape(text) == self.answer
        elif self.kind == UNREAD:
            right = parse_rows(text) == self.answer
        else:
            right = parse_count(text) == self.answer
        verdict = "Right." if right else f"Not quite: the answer is {self.answer_text}."
        return QuizCheck(right, (verdict, *self.worked()))

    def _axis(self):
        rows, cols = explain_shape(tuple(self.input_shape[1:3]), self.layer)
        return rows if self.axis == "rows" else cols

    def _worked_unread(self) -> list[str]:
        axis, word = self._axis(), _WORDS[self.axis]
        last_start = (axis.out - 1) * axis.stride - axis.pad_before
        last_read = min(axis.n - 1, last_start + axis.effective - 1)
        lines = [axis.formula(),
                 f"each window spans d(k-1)+1 = {axis.dilation}*({axis.k}-1)+1 = "
                 f"{axis.effective} {word}s"]
        if axis.pad_before:
            lines.append(f"'same' padding puts {axis.pad_before} zero {word}(s) before the "
                         f"image, so window i starts at {word} i*{axis.stride} - "
                         f"{axis.pad_before}")
        lines.append(f"the last window (i = {axis.out - 1}) starts at {word} {last_start} and "
                     f"reads up to {word} {last_read}")
        if axis.uncovered == 1:
            lines.append(f"so {word} {format_rows(self.answer)} is never read")
        elif axis.uncovered:
            lines.append(f"so {word}s {format_rows(self.answer)} are never read")
        else:
            lines.append(f"that is the last {word} ({axis.n - 1}): every {word} is read")
        return lines


@dataclass(frozen=True)
class QuizProgress:
    """Where a quiz stands: its seed, the question on screen and the running score."""

    seed: int
    index: int = 0  # the question on screen, 0-based
    right: int = 0
    answered: int = 0
    checked: bool = False  # the question on screen has been answered

    def after(self, check: QuizCheck) -> QuizProgress:
        return replace(self, right=self.right + int(check.right), answered=self.answered + 1,
                       checked=True)

    def next(self) -> QuizProgress:
        return replace(self, index=self.index + 1, checked=False)

    @property
    def score(self) -> str:
        return f"{self.right} of {self.answered} right"


def question(seed: int, index: int, input_shape: tuple[int, int, int, int]) -> Question:
    """Question ``index`` (0-based) of the quiz ``seed`` on an input of ``input_shape``: the
    same arguments always give the same question."""
    input_shape = tuple(int(v) for v in input_shape)
    kind = question_kind(seed, index)
    rng = random.Random(f"convscope-quiz:{seed}:{index}")
    layer, axis = _draw_conv(rng, input_shape, kind)
    kernel = random_kernel(layer.kernel_size, layer.channels, layer.filters,
                           (seed * 1009 + index) % 2**31)
    return Question(seed, index, kind, input_shape, layer.with_changes(kernel=kernel), axis)


def question_kind(seed: int, index: int) -> str:
    """Each block of three questions asks every kind once, in an order drawn from the seed."""
    order = random.Random(f"convscope-quiz-order:{seed}:{index // 3}").sample(KINDS, 3)
    return order[index % 3]


def _draw_conv(rng: random.Random, input_shape: tuple[int, int, int, int],
               kind: str) -> tuple[ConvSpec, str]:
    """Random Conv2D settings that run on ``input_shape``; for UNREAD, ones whose read rows
    are one block from the first (so the answer is a range), mostly with some left unread."""
    axis = rng.choice(("rows", "cols")) if kind == UNREAD else ""
    want_unread = rng.random() < 0.7
    channels = int(input_shape[3])
    fallback = None
    for _attempt in range(300):
        kh = rng.choice((1, 2, 3, 3, 3, 4, 5, 5, 7))
        kw = kh if rng.random() < 0.7 else rng.choice((1, 2, 3, 5))
        strides = (rng.choice((1, 1, 2, 2, 3, 4)),) * 2
        if rng.random() < 0.35:
            strides = (strides[0], rng.choice((1, 2, 3)))
        dilation = (1, 1)
        if strides == (1, 1) and rng.random() < 0.4:
            dilation = (rng.choice((1, 2, 3)), rng.choice((2, 3)))
        padding = rng.choice(("valid", "same")) if kind != UNREAD or rng.random() < 0.3 \
            else "valid"
        filters = rng.choice((1, 2, 3, 4, 8, 16))
        spec = ConvSpec(kernel=np.zeros((kh, kw, channels, filters), np.float32), strides=strides,
                        padding=padding, dilation=dilation)
        try:
            spec.check(input_shape)
        except LayerSpecError:
            continue
        if kind != UNREAD:
            return spec, axis
        explained = dict(zip(("rows", "cols"), explain_shape(tuple(input_shape[1:3]), spec)))
        if explained[axis].skipped_inside:
            continue
        fallback = fallback or spec
        if bool(explained[axis].uncovered) == want_unread:
            return spec, axis
    if fallback is not None:
        return fallback, axis
    return ConvSpec(kernel=np.zeros((1, 1, channels, 1), np.float32)), axis  # reads every pixel


def format_rows(rows) -> str:
    """Row numbers as ranges, e.g. ``509-511`` or ``3, 7-8``; ``none`` for no rows."""
    rows = sorted(rows)
    if not rows:
        return "none"
    runs, start = [], rows[0]
    for previous, current in zip(rows, [*rows[1:], None]):
        if current is None or current != previous + 1:
            runs.append(f"{start}" if start == previous else f"{start}-{previous}")
            start = current
    return ", ".join(runs)


def parse_shape(text: str) -> tuple[int, int, int]:
    """(rows, cols, channels) from three numbers, or from a whole NHWC shape (1, H, W, C)."""
    numbers = [int(v) for v in re.findall(r"-?\d+", text)]
    if len(numbers) == 4 and numbers[0] == 1:
        numbers = numbers[1:]
    if len(numbers) != 3:
        raise AnswerFormatError("Type three numbers: rows, cols, channels (e.g. 255, 510, 1).")
    return tuple(numbers)


def parse_rows(text: str) -> frozenset[int]:
    """Row numbers from ``510-511``, ``3, 7`` or ``none``."""
    cleaned = text.strip().lower().replace("–", "-")
    if cleaned in _NONE_WORDS:
        return frozenset()
    rows: set[int] = set()
    for token in re.split(r"[,;\s]+", cleaned):
        if not token:
            continue
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", token)
        if match is None:
            raise AnswerFormatError(f"{token!r} is not a row number or a range like 510-511 "
                                    f"(or type none).")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) else first
        if last < first or last - first > MAX_RANGE:
            raise AnswerFormatError(f"{token!r}: a range goes from the smaller number to the "
                                    f"larger, like 510-511.")
        rows.update(range(first, last + 1))
    if not rows:
        raise AnswerFormatError("Type the row numbers, a range like 510-511, or none.")
    return frozenset(rows)


def parse_count(text: str) -> int:
    """A whole number; spaces, commas and underscores between digits are allowed."""
    cleaned = re.sub(r"[\s,_]", "", text)
    if not re.fullmatch(r"\d{1,12}", cleaned):
        raise AnswerFormatError("Type the number of parameters as a whole number, e.g. 80.")
    return int(cleaned)
