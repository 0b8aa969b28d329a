"""Mapping the layer's signed, unbounded output to something a screen can show.

A 3x3 box sum of 0-255 pixels reaches 2295 and a random kernel gives negative values, so the
mapping is a teaching choice, not a detail. The raw float32 output is never changed; only the
levels (the value shown at each end of the scale) and a lookup table (the colour for each step
between them) are chosen here.

Mappings: ``"auto"`` (min..max, like imshow), ``"clip"`` (0..255, what saving to an 8-bit
image does), ``"diverging"`` (symmetric around 0: negative blue, 0 white, positive red) and
``"abs"`` (absolute value: 0 black, the largest magnitude of either sign white).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAPPINGS = ("auto", "clip", "diverging", "abs")
MAPPING_LABELS = {
    "auto": "auto range (min..max)",
    "clip": "clip to 0..255",
    "diverging": "diverging around 0",
    "abs": "absolute value",
}
#: How each mapping reads, for the caption under the output.
MAPPING_EXPLANATIONS = {
    "auto": "minimum black, maximum white (what imshow does)",
    "clip": "0 and below black, 255 and above white, as an 8-bit image would store it",
    "diverging": "negative blue, 0 white, positive red, symmetric around 0",
    "abs": "|value|: 0 black, the largest magnitude (of either sign) white",
}
LUT_SIZE = 256


def auto_levels(values: np.ndarray) -> tuple[float, float]:
    """Darkest = the minimum, brightest = the maximum (what matplotlib's imshow does).

    Above four million values only every few rows are scanned (whole rows, so memory is
    read in long runs), which keeps a 16-megapixel photo quick to show. A lone extreme pixel in a
    skipped row then shows clipped to black or white; the raw values are untouched."""
    if values.size == 0:
        return 0.0, 1.0
    step = int(np.ceil(values.size / 4_000_000))
    if step > 1 and values.ndim >= 2:
        values = values[::step]
    return _non_empty(float(np.min(values)), float(np.max(values)))


def _signed_distance(size: int) -> np.ndarray:
    """Each LUT entry's position in -1..1, with the two middle entries of an even-sized table
    both at exactly 0, so a value of 0 gets the centre colour whichever way it rounds."""
    t = np.linspace(-1.0, 1.0, size)
    half_step = 1.0 / (size - 1) if size % 2 == 0 else 0.0
    return np.sign(t) * np.maximum(np.abs(t) - half_step, 0) / (1 - half_step)


def diverging_lut(size: int = LUT_SIZE) -> np.ndarray:
    """(size, 3) uint8: blue at the low end, white in the middle, red at the high end."""
    t = _signed_distance(size)
    fade = 255 * (1 - np.abs(t))  # the other two channels fade out away from 0
    red = np.where(t < 0, fade, 255)
    blue = np.where(t > 0, fade, 255)
    return np.rint(np.stack([red, fade, blue], axis=1)).astype(np.uint8)


def abs_lut(size: int = LUT_SIZE) -> np.ndarray:
    """(size, 3) uint8 over levels (-m, m): brightness |t|, so -m and m are both white."""
    gray = np.rint(255 * np.abs(_signed_distance(size)))
    return np.repeat(gray[:, None], 3, axis=1).astype(np.uint8)


def levels_for_range(minimum: float, maximum: float,
                     mode: str) -> tuple[tuple[float, float], np.ndarray | None]:
    """(levels, lut) for ``mode`` given the output's range; lut None means plain gray. The
    values stay as they are: even "abs" maps -v and v to the same brightness through its
    lookup table."""
    if mode == "auto":
        return _non_empty(minimum, maximum), None
    if mode == "clip":
        return (0.0, 255.0), None
    m = max(abs(minimum), abs(maximum))
    m = m if m > 0 else 1.0
    if mode == "diverging":
        return (-m, m), diverging_lut()
    if mode == "abs":
        return (-m, m), abs_lut()
    raise ValueError(f"display mapping must be one of {MAPPINGS}, not {mode!r}")


def map_levels(values: np.ndarray, mode: str) -> tuple[tuple[float, float], np.ndarray | None]:
    """(levels, lut) for ``mode`` from the values' exact range (export, one-off renders)."""
    if values.size == 0:
        return levels_for_range(0.0, 0.0, mode)
    return levels_for_range(float(np.min(values)), float(np.max(values)), mode)


@dataclass(frozen=True, eq=False)
class ValueSummary:
    """What the display needs to know about an output, computed once per result (off the GUI
    thread): the exact range and a histogram."""

    minimum: float
    maximum: float
    counts: np.ndarray  # pixels per bin (estimated from sampled rows for big outputs)
    edges: np.ndarray  # len(counts) + 1 bin edges spanning the range

    def levels(self, mode: str) -> tuple[tuple[float, float], np.ndarray | None]:
        return levels_for_range(self.minimum, self.maximum, mode)


def summarize(values: np.ndarray, bins: int = 128,
              histogram_samples: int = 250_000) -> ValueSummary:
    """Exact min and max; the histogram from every k-th row above ``histogram_samples``
    values, scaled by the rows there are over the rows sampled, so the heights still count
    pixels (a short, wide output has fewer rows than k: all of them are counted)."""
    if values.size == 0:
        return ValueSummary(0.0, 0.0, np.zeros(bins), np.linspace(-0.5, 0.5, bins + 1))
    lo, hi = float(np.min(values)), float(np.max(values))
    step = max(int(np.ceil(values.size / histogram_samples)), 1)
    sample = values[::step] if values.ndim >= 2 else values
    counts, edges = _uniform_histogram(sample, _non_empty(lo, hi), bins)
    if sample.shape[0] < values.shape[0]:
        counts = counts * (values.shape[0] / sample.shape[0])
    return ValueSummary(lo, hi, counts, edges)


def _uniform_histogram(sample: np.ndarray, value_range: tuple[float, float],
                       bins: int) -> tuple[np.ndarray, np.ndarray]:
    """np.histogram's counts for equal bins, by index arithmetic and bincount: about half
    its time, and this runs once per result between the layer call and the screen. In float64:
    a float32 output whose min and max are a few float32 steps apart has no room for 128
    float32 bins."""
    lo, hi = value_range
    edges = np.linspace(lo, hi, bins + 1)
    # Multiplied before dividing: a value on an edge (integer outputs often are) then gets
    # that edge's exact bin, as np.histogram gives it, not the one below.
    index = ((sample.astype(np.float64) - lo) * bins / (hi - lo)).astype(np.intp)
    np.clip(index, 0, bins - 1, out=index)  # the top edge belongs to the last bin
    return np.bincount(index.ravel(), minlength=bins), edges


def _non_empty(lo: float, hi: float) -> tuple[float, float]:
    """A flat output still needs a non-empty range (half a unit each side, or more where
    half a unit is below float64's resolution, from about 1e15)."""
    if hi > lo:
        return lo, hi
    margin = max(0.5, abs(lo) * 2.0**-40)
    return lo - margin, hi + margin


def to_uint8(values: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """Scale ``values`` so levels[0] -> 0 and levels[1] -> 255, clipping outside."""
    lo, hi = levels
    scaled = (np.asarray(values, np.float32) - lo) * (255.0 / (hi - lo))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def render_levels(values: np.ndarray, levels: tuple[float, float],
                  lut: np.ndarray | None) -> np.ndarray:
    """(H, W) values as the screen shows them with these levels: (H, W) uint8 gray without a
    lookup table, (H, W, 3) uint8 RGB with one."""
    steps = to_uint8(values, levels)
    return steps if lut is None else lut[steps]


def render(values: np.ndarray, mode: str) -> np.ndarray:
    """The (H, W) values as the screen shows them with ``mode`` from their own range (PNG
    export, the command line)."""
    return render_levels(values, *map_levels(values, mode))


#: Pixels between two maps in a grid picture, and their gray.
GRID_GAP, GRID_GAP_GRAY = 4, 128


def render_grid(maps: list[np.ndarray], columns: int | None = None) -> np.ndarray:
    """Rendered feature maps (uint8, gray or RGB, one size) side by side in rows, as the
    window's grid shows them, with a gray gap between; (H, W, 3) uint8."""
    maps = [np.repeat(m[:, :, None], 3, axis=2) if m.ndim == 2 else m for m in maps]
    columns = columns or int(np.ceil(np.sqrt(len(maps))))
    rows = int(np.ceil(len(maps) / columns))
    height, width = maps[0].shape[:2]
    grid = np.full((rows * height + (rows - 1) * GRID_GAP,
                    columns * width + (columns - 1) * GRID_GAP, 3), GRID_GAP_GRAY, np.uint8)
    for index, image in enumerate(maps):
        top, left = (index // columns) * (height + GRID_GAP), (index % columns) * (width + GRID_GAP)
        grid[top:top + height, left:left + width] = image
    return grid
