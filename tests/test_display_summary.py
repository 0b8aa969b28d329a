"""The per-result summary the display uses instead of rescanning the output on the GUI
thread: exact range, a histogram that still counts pixels, and the same levels as
map_levels on the values themselves."""

import numpy as np
import pytest

from engine.display import MAPPINGS, map_levels, summarize


@pytest.mark.parametrize("shape", [(7, 9), (3000, 700)])
def test_summary_matches_the_values(shape):
    rng = np.random.default_rng(1)
    values = rng.normal(0, 300, shape).astype(np.float32)
    values[-1, -1] = 5000.0  # a lone extreme pixel in the last row still sets the range
    summary = summarize(values, histogram_samples=500_000)
    assert summary.minimum == values.min() and summary.maximum == 5000.0
    assert summary.edges[0] == values.min() and summary.edges[-1] == 5000.0
    assert abs(summary.counts.sum() - values.size) <= 0.01 * values.size
    if values.size <= 500_000:  # every value counted: the same bins as NumPy's histogram
        want, _ = np.histogram(values.astype(np.float64), bins=len(summary.counts),
                               range=(float(values.min()), 5000.0))
        assert np.abs(summary.counts - want).max() <= 1  # a value on an edge may move
        assert summary.counts.sum() == values.size
    for mode in MAPPINGS:
        levels, lut = summary.levels(mode)
        want_levels, want_lut = map_levels(values, mode)
        assert levels == want_levels
        assert (lut is None) == (want_lut is None)


def test_flat_and_empty_outputs_still_have_a_range():
    assert summarize(np.full((4, 4), 3.0, np.float32)).levels("auto")[0] == (2.5, 3.5)
    assert summarize(np.zeros((0, 5), np.float32)).levels("auto")[0] == (-0.5, 0.5)
    assert summarize(np.zeros((2, 2), np.float32)).levels("diverging")[0] == (-1.0, 1.0)


@pytest.mark.parametrize("lo,hi", [(1.0, float(np.nextafter(np.float32(1), np.float32(2)))),
                                   (1e6, 1e6 + 0.0625), (-3e38, 3e38)])
def test_nearly_flat_and_extreme_outputs_still_summarize(lo, hi):
    """A few float32 steps apart (found by the random walk) or spanning float32's range."""
    values = np.array([[lo, hi], [hi, lo]], np.float32)
    summary = summarize(values)
    assert summary.minimum == np.float32(lo) and summary.maximum == np.float32(hi)
    assert summary.counts.sum() == 4
