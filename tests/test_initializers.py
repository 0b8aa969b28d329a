"""The NumPy GlorotUniform gives Keras's own weights, bit for bit, for Conv2D kernel shapes."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.kernels.initializers import compute_fans, glorot_limit, glorot_uniform
from tests.layers import keras_glorot

ROOT = Path(__file__).resolve().parent.parent

# (kh, kw, C, F): the smallest, the lesson's, even and non-square sizes, element counts that
# are not a multiple of 4 (TensorFlow's last, partial group of four), and the largest.
SHAPES = [(1, 1, 1, 1), (1, 1, 1, 3), (3, 3, 1, 1), (2, 2, 1, 1), (3, 5, 1, 1), (4, 2, 3, 1),
          (5, 5, 3, 7), (7, 1, 1, 2), (3, 3, 3, 16), (15, 15, 3, 16)]
SEEDS = [0, 1, 42, 999999]


def assert_bit_identical(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert ours.dtype == theirs.dtype == np.float32
    assert ours.shape == theirs.shape
    assert np.array_equal(ours.view(np.uint32), theirs.view(np.uint32)), (
        f"{np.count_nonzero(ours != theirs)} of {ours.size} values differ")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_same_bits_as_keras(shape, seed):
    assert_bit_identical(glorot_uniform(shape, seed), keras_glorot(shape, seed))


@given(kh=st.integers(1, 15), kw=st.integers(1, 15), channels=st.integers(1, 3),
       filters=st.integers(1, 16), seed=st.integers(0, 999999))
def test_same_bits_as_keras_for_any_kernel(kh, kw, channels, filters, seed):
    shape = (kh, kw, channels, filters)
    assert_bit_identical(glorot_uniform(shape, seed), keras_glorot(shape, seed))


@pytest.mark.parametrize("seed", [-1, 2**31 - 3, 2**31 - 2, 2**32 + 5, 2**62])
def test_seeds_keras_folds_into_int32_match_too(seed):
    assert_bit_identical(glorot_uniform((3, 3, 1, 2), seed), keras_glorot((3, 3, 1, 2), seed))


def test_a_built_conv2d_layer_gets_the_same_kernel():
    """What the app shows: the kernel of an untrained Conv2D seeded the same way."""
    import keras

    layer = keras.layers.Conv2D(4, (3, 5), kernel_initializer=keras.initializers.GlorotUniform(7))
    layer.build((1, 32, 32, 3))
    assert_bit_identical(glorot_uniform((3, 5, 3, 4), 7), np.asarray(layer.kernel))


@pytest.mark.parametrize("shape", SHAPES)
def test_limit_follows_keras_fans(shape):
    from keras.src.initializers.random_initializers import compute_fans as keras_compute_fans

    kh, kw, channels, filters = shape
    assert compute_fans(shape) == keras_compute_fans(shape) == (kh * kw * channels,
                                                                kh * kw * filters)
    limit = glorot_limit(shape)
    assert math.isclose(limit, math.sqrt(6 / (kh * kw * (channels + filters))), rel_tol=1e-15)
    values = glorot_uniform(shape, 3)
    assert np.all(np.abs(values) <= np.float32(limit))


def test_different_seeds_give_different_kernels():
    assert not np.array_equal(glorot_uniform((3, 3, 1, 1), 0), glorot_uniform((3, 3, 1, 1), 1))


@pytest.mark.parametrize("seed", [None, 1.5, "3", True])
def test_a_seed_that_is_not_an_integer_is_refused(seed):
    with pytest.raises(TypeError):
        glorot_uniform((3, 3, 1, 1), seed)


def test_drawing_a_kernel_does_not_load_tensorflow():
    code = ("import sys; from engine.kernels.initializers import glorot_uniform; "
            "glorot_uniform((3, 3, 1, 1), 0); "
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
