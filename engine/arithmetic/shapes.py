"""The output shape explained with the actual numbers, one axis at a time.

The shape panel and the lesson show these lines, so a teacher can point at every number:
the formula filled in, the padding split for 'same', and the input rows or columns that no
window ever reaches, for a Conv2D and for a pooling layer (whose window is the pool size,
never dilated, and whose 'same' padding is no zeros but positions left out). Plain Python:
the text is ready before TensorFlow has loaded.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np

from engine.arithmetic.pooling import pool_output_size, pool_padding
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
    pooling: bool = False  # a pooling window: the pool size, and padding that is left out
    reads_image: bool = True  # the layer reads the input image (its unread rows are drawn)

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
            elif self.pooling:
                odd = (f" (odd: TensorFlow puts the extra one at the {after})"
                       if total % 2 else "")
                notes.append(
                    f"  padding: ({self.out} - 1) * {self.stride} + {self.k} - {self.n} = "
                    f"{_plural(total, word)} outside the input: {self.pad_before} {before}, "
                    f"{self.pad_after} {after}{odd}; not zeros: max pooling never picks them "
                    f"and the average leaves them out of its count")
            else:
                odd = (f" (odd: TensorFlow puts the extra one at the {after})"
                       if total % 2 else "")
                notes.append(
                    f"  padding: ({self.out} - 1) * {self.stride} + {self.effective} - {self.n}"
                    f" = {total} zero {word}s: {self.pad_before} {before}, "
                    f"{self.pad_after} {after}{odd}")
        if self.out < 1:
            window = "pool" if self.pooling else "window"
            notes.append(f"  the {window} ({self.effective}) is longer than the input "
                         f"({self.n}): the output is empty")
        if self.uncovered:
            last_start = (self.out - 1) * self.stride - self.pad_before
            first = self.n - self.uncovered
            which = f"{first}" if self.uncovered == 1 else f"{first}-{self.n - 1}"
            verb = "is" if self.uncovered == 1 else "are"
            red = " (red on the input)" if self.reads_image else ""
            notes.append(
                f"  the last {_plural(self.uncovered, word)} ({which}) {verb} never "
                f"read{red}: the last window starts at {word} {last_start}")
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


def explain_pool(image_hw: tuple[int, int], spec,
                 reads_image: bool = True) -> tuple[AxisExplanation, ...]:
    """Both axes of a pooling layer (a PoolSpec): valid floor((n - p) / s) + 1, same
    ceil(n / s)."""
    explained = []
    for axis, n, p, s in zip(AXES, image_hw, spec.pool_size, spec.step):
        before, after = pool_padding(n, p, s) if spec.padding == "same" else (0, 0)
        explained.append(AxisExplanation(axis, n, p, s, 1, spec.padding,
                                         pool_output_size(n, p, s, spec.padding), before,
                                         after, pooling=True, reads_image=reads_image))
    return tuple(explained)


def explain_window(image_hw: tuple[int, int], spec,
                   reads_image: bool = True) -> tuple[AxisExplanation, ...] | None:
    """The axes of any layer that slides a window (a Conv2D or a pooling), else None."""
    if spec.kind == "Conv2D":
        return tuple(replace(axis, reads_image=reads_image)
                     for axis in explain_shape(image_hw, spec))
    if spec.kind.endswith("Pooling2D"):
        return explain_pool(image_hw, spec, reads_image)
    return None


def _axis_lines(axes) -> list[str]:
    lines = []
    for axis in axes:
        lines.append(axis.formula())
        lines.extend(axis.notes())
    return lines


def shape_lines(image_hw: tuple[int, int], spec: ConvSpec) -> list[str]:
    """Every line the shape panel shows under the shapes: formula, then its notes."""
    return _axis_lines(explain_shape(image_hw, spec))


def layer_shape_lines(input_shape: tuple[int, int, int, int], spec,
                      reads_image: bool = True) -> list[str]:
    """The selected layer's arithmetic, whatever its kind, with its numbers (``reads_image``
    False: its input is the previous layer's maps, not the image drawn on screen)."""
    axes = explain_window(tuple(input_shape[1:3]), spec, reads_image)
    if axes is not None:
        lines = _axis_lines(axes)
        if spec.kind.endswith("Pooling2D"):
            what = "largest" if spec.mode == "max" else "mean"
            lines.append(f"channels: {input_shape[3]} in, {input_shape[3]} out (the {what} "
                         f"of each window, one channel at a time)")
        return lines
    kind, channels = spec.kind, input_shape[3]
    if kind in ("Activation", "ReLU"):
        return [f"output = input: {spec.activation} acts on each of the "
                f"{input_shape[1]}·{input_shape[2]}·{channels} values on its own"]
    if kind == "Rescaling":
        return [f"output = input: each value becomes x · {spec.scale:.6g} + {spec.offset:.6g}"]
    return [f"output = input: {kind} {spec.what_it_does()}; at inference it passes its "
            f"input through unchanged"]


def flipped_kernel(kernel: np.ndarray) -> np.ndarray:
    """The kernel a textbook convolution slides: flipped top-bottom and left-right
    (channels, if any, stay in place). Keras's Conv2D does not flip."""
    return np.flip(np.asarray(kernel), axis=(0, 1))
