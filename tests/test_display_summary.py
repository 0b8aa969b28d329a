"""The per-result summary the display uses instead of rescanning the output on the GUI
thread: exact range, a histogram that still counts pixels, and the same levels as
map_levels on the values themselves."""

import numpy as np
import pytest

from engine.images.display import MAPPINGS, map_levels, summarize


@pytest.mark.parametrize("shape", [(7, 9), (3000, 700)])
def test_summary_matches_the_values(shape):
    rng = np.random.default_rng(1)
    values = rng.normal(0, 300, shape).astype(np.float32)
    values[-1, -1] = 5000.0  # a lone extreme pixel in the last row still sets the range
    summary = summarize(values, histogram_samples=500_000)
    assert summary.minimum == values.min() and summary.maximum == 5000.0
    assert summary.edges[0] == values.min() and summary.edges[-1] == 5000.0
    assert summary.counts.sum() == pytest.approx(values.size, rel=1e-12)
    if values.size <= 500_000:  # every value counted: the same bins as NumPy's histogram
        want, _ = np.histogram(values.astype(np.float64), bins=len(summary.counts),
                               range=(float(values.min()), 5000.0))
        np.testing.assert_array_equal(summary.counts, want)
    for mode in MAPPINGS:
        levels, lut = summary.levels(mode)
        want_levels, want_lut = map_levels(values, mode)
        assert levels == want_levels
        assert (lut is None) == (want_lut is None)


def test_values_on_bin_edges_fall_where_numpy_puts_them():
    """Integer outputs land exactly on edges: 0..98 over 128 bins put 49 on an edge."""
    values = np.repeat(np.arange(99, dtype=np.float32), 3).reshape(9, 33)
    summary = summarize(values)
    want, _ = np.histogram(values.astype(np.float64), bins=128, range=(0.0, 98.0))
    np.testing.assert_array_equal(summary.counts, want)


@pytest.mark.parametrize("value", [1e15, -3e16, 1e30])
def test_a_huge_flat_output_still_has_a_range(value):
    summary = summarize(np.full((3, 4), value, np.float32))
    lo, hi = summary.levels("auto")[0]
    assert lo < float(np.float32(value)) < hi and summary.counts.sum() == 12


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


@pytest.mark.parametrize("shape", [(1, 1_000_000), (2, 300_000), (3, 400_000), (7, 100_000),
                                   (1001, 997)])
def test_sampled_histograms_still_count_every_pixel(shape):
    """A short, wide output has fewer rows than the sampling step: the counts scale by the
    rows actually sampled, not by the step (which gave 4,000,000 for one row of a million)."""
    values = np.random.default_rng(2).normal(0, 50, shape).astype(np.float32)
    counts = summarize(values).counts
    assert counts.sum() == pytest.approx(values.size, rel=1e-12)
    want, _ = np.histogram(values.astype(np.float64), bins=len(counts),
                           range=(float(values.min()), float(values.max())))
    assert np.abs(counts - want).max() <= 0.05 * want.max()  # the same shape, estimated
    assert summarize(np.zeros((1, 1_000_000), np.float32)).counts.sum() == 1_000_000
