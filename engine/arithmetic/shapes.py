"""The output shape explained with the actual numbers, one axis at a time.

The shape panel and the lesson show these lines, so a teacher can point at every number:
the formula filled in, the padding split for 'same', and the input rows or columns that no
window ever reaches. Plain Python: the text is ready before TensorFlow has loaded.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from engine.arithmetic.sizes import output_size, same_padding
from engine.model.conv import ConvSpec

#: For each axis: its name in the formula, its sides for padding, and the word for one line.
AXES = {
    "rows": ("top", "bottom", "row"),
    "cols": ("left", "right", "column"),
}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass(frozen=True)
class AxisExplanation:
    """How one axis of the output gets its length."""

    axis: str  # "rows" or "cols"
    n: int  # input length
    k: int  # kernel length
    stride: int
    dilation: int
    padding: str
    out: int
    pad_before: int
    pad_after: int

    @property
    def effective(self) -> int:
        """How many input pixels one window spans: d(k-1)+1."""
        return self.dilation * (self.k - 1) + 1

    def rows_read(self) -> np.ndarray:
        """Which input rows/columns (0..n-1) at least one kernel tap reads, as a read-only
        bool mask (cached: every panel asks on every edit)."""
        return _rows_read(self.n, self.k, self.stride, self.dilation, self.out,
                          self.pad_before)

    @property
    def uncovered(self) -> int:
        """Input rows/columns at the end that no window reads (0 when the last one is read)."""
        if self.out < 1:
            return 0
        read = np.flatnonzero(self.rows_read())
        return self.n if read.size == 0 else self.n - 1 - int(read[-1])

    @property
    def skipped_inside(self) -> int:
        """Rows/columns before the unread end that no tap reads: the stride jumps over them
        (stride > window) or the dilation steps over them."""
        if self.out < 1:
            return 0
        return int(self.n - self.uncovered - np.count_nonzero(self.rows_read()))

    def formula(self) -> str:
        """E.g. ``rows: floor((512 - 3) / 2) + 1 = 255`` or ``rows: ceil(512 / 2) = 256``."""
        n, s = self.n, self.stride
        if self.padding == "same":
            return f"{self.axis}: ceil({n} / {s}) = {self.out}"
        inner = f"({n} - {self.effective}) / {s}"
        body = f"floor({inner})" if s > 1 else inner
        return f"{self.axis}: {body} + 1 = {self.out}"

    def notes(self) -> list[str]:
        """The sentences under the formula: dilation, padding split, unused input."""
        before, after, word = AXES[self.axis]
        notes = []
        if self.dilation > 1:
            notes.append(
                f"  dilation {self.dilation}: the kernel spans d(k-1)+1 = "
                f"{self.dilation}*({self.k}-1)+1 = {self.effective} {word}s, with "
                f"{_plural(self.dilation - 1, word)} skipped between taps")
        if self.padding == "same":
            total = self.pad_before + self.pad_after
            if total == 0:
                notes.append(f"  padding: none needed along the {word}s")
            else:
                odd = (f" (odd: TensorFlow puts the extra one at the {after})"
                       if total % 2 else "")
                notes.append(
                    f"  padding: ({self.out} - 1) * {self.stride} + {self.effective} - {self.n}"
                    f" = {total} zero {word}s: {self.pad_before} {before}, "
                    f"{self.pad_after} {after}{odd}")
        if self.out < 1:
            notes.append(f"  the window ({self.effective}) is longer than the input ({self.n}):"
                         f" the output is empty")
        if self.uncovered:
            last_start = (self.out - 1) * self.stride - self.pad_before
            first = self.n - self.uncovered
            which = f"{first}" if self.uncovered == 1 else f"{first}-{self.n - 1}"
            verb = "is" if self.uncovered == 1 else "are"
            notes.append(
                f"  the last {_plural(self.uncovered, word)} ({which}) {verb} never read "
                f"(red on the input): the last window starts at {word} {last_start}")
        if self.skipped_inside:
            verb = "is" if self.skipped_inside == 1 else "are"
            notes.append(
                f"  {_plural(self.skipped_inside, word)} in between {verb} never read: the "
                f"taps step over {'it' if verb == 'is' else 'them'} (stride {self.stride}, "
                f"window {self.effective})")
        return notes


@functools.lru_cache(maxsize=64)
def _rows_read(n: int, k: int, stride: int, dilation: int, out: int,
               pad_before: int) -> np.ndarray:
    read = np.zeros(n, bool)
    if out >= 1:
        starts = np.arange(out) * stride - pad_before
        positions = (starts[:, None] + np.arange(k) * dilation).ravel()
        read[positions[(positions >= 0) & (positions < n)]] = True
    read.setflags(write=False)
    return read


def explain_axis(axis: str, n: int, k: int, stride: int, dilation: int,
                 padding: str) -> AxisExplanation:
    before, after = same_padding(n, k, stride, dilation) if padding == "same" else (0, 0)
    return AxisExplanation(axis, n, k, stride, dilation, padding,
                           output_size(n, k, stride, dilation, padding), before, after)


def explain_shape(image_hw: tuple[int, int], spec: ConvSpec) -> tuple[AxisExplanation, ...]:
    """Both axes (rows, then cols) for this image size and layer."""
    return tuple(explain_axis(axis, n, k, s, d, spec.padding)
                 for axis, n, k, s, d in zip(AXES, image_hw, spec.kernel_size, spec.strides,
                                             spec.dilation))


def shape_lines(image_hw: tuple[int, int], spec: ConvSpec) -> list[str]:
    """Every line the shape panel shows under the shapes: formula, then its notes."""
    lines = []
    for axis in explain_shape(image_hw, spec):
        lines.append(axis.formula())
        lines.extend(axis.notes())
    return lines


def flipped_kernel(kernel: np.ndarray) -> np.ndarray:
    """The kernel a textbook convolution slides: flipped top-bottom and left-right
    (channels, if any, stay in place). Keras's Conv2D does not flip."""
    return np.flip(np.asarray(kernel), axis=(0, 1))
