"""Outputs into shared memory with each map's range: the copy is exact, and the range equals
NumPy's own minimum and maximum of every map, whatever the shape, the filters or odd values."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine.backend.transfer as transfer
from engine.backend.transfer import map_ranges, store_with_ranges


def assert_stored_with_numpys_ranges(output: np.ndarray) -> None:
    """The copy is exact and both ways of ranging give NumPy's own min and max of each map."""
    into = np.full_like(output, 7.0)
    lows, highs = store_with_ranges(output, into)
    np.testing.assert_array_equal(into, output)
    np.testing.assert_array_equal(lows, output.min(axis=(0, 1, 2)).astype(np.float64))
    np.testing.assert_array_equal(highs, output.max(axis=(0, 1, 2)).astype(np.float64))
    again = map_ranges(output)
    np.testing.assert_array_equal(again[0], lows)
    np.testing.assert_array_equal(again[1], highs)


@given(height=st.integers(1, 70), width=st.integers(1, 90), filters=st.integers(1, 16),
       seed=st.integers(0, 2**16), odd=st.sampled_from(["none", "inf", "-inf", "nan", "huge"]))
def test_store_copies_exactly_and_ranges_every_map(height, width, filters, seed, odd):
    rng = np.random.default_rng(seed)
    output = rng.normal(0, 1000, (1, height, width, filters)).astype(np.float32)
    if odd != "none":
        where = (0, rng.integers(height), rng.integers(width), rng.integers(filters))
        output[where] = {"inf": np.inf, "-inf": -np.inf, "nan": np.nan, "huge": 3e38}[odd]
    assert_stored_with_numpys_ranges(output)


def test_pieces_of_a_big_output_cover_every_row():
    output = np.zeros((1, 3000, 700, 2), np.float32)
    output[0, -1, -1, 1], output[0, 0, 0, 0] = 5.0, -2.0  # the very last and first values
    lows, highs = store_with_ranges(output, np.empty_like(output))
    assert lows.tolist() == [-2.0, 0.0] and highs.tolist() == [0.0, 5.0]


@pytest.mark.parametrize("shape", [(1, 2, 3, 2), (1, 3, 1, 5), (1, 97, 61, 8), (1, 1, 9, 4)])
@pytest.mark.parametrize("odd", ["none", "nan", "inf"])
def test_two_threads_store_the_same(monkeypatch, shape, odd):
    """Large many-map outputs are stored half on a second thread: the same copy and ranges
    (here forced for small ones; a one-row output stays on one thread)."""
    monkeypatch.setattr(transfer, "TWO_THREADS_BYTES", 1)
    rng = np.random.default_rng(sum(shape))
    output = rng.normal(0, 100, shape).astype(np.float32)
    if odd != "none":
        output[0, -1, -1, -1] = np.nan if odd == "nan" else np.inf  # in the second half
    assert_stored_with_numpys_ranges(output)
