"""Keras's GlorotUniform kernel initializer, bit for bit, in pure NumPy.

The kernel table is filled before TensorFlow has loaded, yet a seeded "random" kernel must be
the very weights a fresh Keras layer would get. With the TensorFlow backend,
``keras.initializers.GlorotUniform(seed=S)(shape)`` comes down to:

1. Keras: ``limit = sqrt(3 * scale)``, ``scale = 1 / max(1, (fan_in + fan_out) / 2)`` in
   Python floats, then ``tf.random.stateless_uniform(shape, seed=[S mod (2**31 - 2), 0],
   minval=float32(-limit), maxval=float32(limit))`` (``draw_seed`` makes the int64 pair,
   ``_cast_seed`` folds it into int32 with ``floormod(seed, int32.max - 1)``).
2. ``StatelessRandomGetKeyCounter``: one Philox4x32-10 block of the counter
   ``(seed0 lo, seed0 hi, seed1 lo, seed1 hi)`` under the fixed key
   ``(0x3ec8f720, 0x02461e29)`` scrambles the seed: its words 0, 1 become the key and
   words 2, 3 the upper half of a counter whose lower half starts at 0.
3. ``StatelessRandomUniformV2`` on CPU: the flat (row-major) output is filled in groups of
   four; group g is the Philox block at counter + g, lane i gives element 4g + i (the last,
   partial group keeps its first lanes). Each uint32 becomes a float32 in [0, 1) by keeping
   its low 23 bits as the mantissa of a number in [1, 2) and subtracting 1.
4. ``rnd * (maxval - minval) + minval``, two separately rounded float32 operations.
"""

from __future__ import annotations

import math

import numpy as np

_KEY_SCRAMBLE = (0x3EC8F720, 0x02461E29)  # TensorFlow's fixed key for scrambling a seed
_W32A, _W32B = 0x9E3779B9, 0xBB67AE85  # Philox key schedule (Weyl) constants
_M4x32A, _M4x32B = 0xD2511F53, 0xCD9E8D57  # Philox round multipliers
_MASK32 = np.uint64(0xFFFFFFFF)
_SEED_MODULUS = 2**31 - 2  # Keras's _cast_seed: floormod(seed, tf.int32.max - 1)


def _philox4x32_10(counters: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """Philox4x32-10 as TensorFlow runs it, on many counters at once.

    ``counters`` is (n, 4) of 32-bit words held in uint64 so the 32x32-bit products fit;
    returns the (n, 4) output blocks in the same form.
    """
    c0, c1, c2, c3 = (counters[:, i].copy() for i in range(4))
    k0, k1 = key
    for round_index in range(10):
        if round_index:  # the key is raised between rounds, nine times in all
            k0, k1 = (k0 + _W32A) & 0xFFFFFFFF, (k1 + _W32B) & 0xFFFFFFFF
        p0 = c0 * np.uint64(_M4x32A)
        p1 = c2 * np.uint64(_M4x32B)
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0), p1 & _MASK32,
                          (p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1), p0 & _MASK32)
    return np.stack([c0, c1, c2, c3], axis=1)


def _key_counter(seed: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """The Philox key and the counter's upper words for a Keras int seed (steps 1-2)."""
    seed0 = seed % _SEED_MODULUS  # in [0, 2**31 - 3]: its high word and seed1 are 0
    mix = _philox4x32_10(np.array([[seed0, 0, 0, 0]], np.uint64), _KEY_SCRAMBLE)[0]
    return (int(mix[0]), int(mix[1])), (int(mix[2]), int(mix[3]))


def _stateless_uniform(size: int, seed: int) -> np.ndarray:
    """``size`` float32 values in [0, 1), as TensorFlow's stateless uniform fills them."""
    key, (c2, c3) = _key_counter(seed)
    groups = np.arange((size + 3) // 4, dtype=np.uint64)
    counters = np.empty((groups.size, 4), np.uint64)
    counters[:, 0] = groups & _MASK32  # a 64-bit block index over words 0, 1
    counters[:, 1] = groups >> np.uint64(32)
    counters[:, 2], counters[:, 3] = c2, c3
    bits = _philox4x32_10(counters, key).reshape(-1)[:size].astype(np.uint32)
    mantissa = (bits & np.uint32(0x7FFFFF)) | np.uint32(0x3F800000)  # a float in [1, 2)
    return mantissa.view(np.float32) - np.float32(1.0)


def compute_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) as Keras counts them: for a Conv2D kernel (kh, kw, C, F) that is
    (kh*kw*C, kh*kw*F), the units each output and each input connect to."""
    if len(shape) < 1:
        return 1, 1
    if len(shape) <= 2:
        return int(shape[0]), int(shape[-1])
    receptive_field = math.prod(shape[:-2])
    return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)


def glorot_limit(shape: tuple[int, ...]) -> float:
    """sqrt(6 / (fan_in + fan_out)), computed in the order Keras computes it (float64)."""
    fan_in, fan_out = compute_fans(shape)
    scale = 1.0 / max(1.0, (fan_in + fan_out) / 2.0)
    return math.sqrt(3.0 * scale)


def glorot_uniform(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Exactly ``keras.initializers.GlorotUniform(seed=seed)(shape)`` (TensorFlow backend,
    float32), without TensorFlow: for a Conv2D kernel shape (kh, kw, C, F), uniform in
    [-limit, limit) with limit = sqrt(6 / (kh*kw*C + kh*kw*F))."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, not {seed!r}")
    if not -2**63 <= int(seed) < 2**63:
        raise ValueError(f"seed must fit in 64 bits, as Keras requires: {seed}")
    shape = tuple(int(n) for n in shape)
    limit = glorot_limit(shape)
    minval, maxval = np.float32(-limit), np.float32(limit)
    rnd = _stateless_uniform(math.prod(shape), int(seed))
    return (rnd * (maxval - minval) + minval).reshape(shape)
