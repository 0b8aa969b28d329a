"""``ConvScope --self-test``: prove an install works, headless, in about the time it starts.

An admin who unpacks the app on a lab machine runs it once: it loads the bundled ascent photo,
runs the lesson's layer through Keras, checks the all-ones kernel against a box sum computed
here in NumPy (summed-area table, independent of the engine's code path), and, through a check
passed in by the caller, builds the real window offscreen. It prints one line per check and
exits 0, or 1 naming the first check that failed.

Engine code stays free of Qt: the window check lives in ``gui.selftest_window``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

import numpy as np

from engine.arithmetic.sizes import format_shape
from engine.images.loading import LoadedImage, load_image
from engine.kernels.edits import keras_kernel
from engine.kernels.presets import box, random_kernel
from engine.model.conv import ConvSpec
from engine.storage.resources import default_sample
from engine.storage.system_libraries import missing_library_message

LESSON_STRIDES = (2, 1)
LESSON_SHAPE = (1, 255, 510, 1)
ASCENT_HW = (512, 512)


class CheckFailed(Exception):
    """A self-test check did not hold; the message says what was expected and what came."""


def box_sum(pixels: np.ndarray, size: int, strides: tuple[int, int]) -> np.ndarray:
    """Sum of every size x size window ('valid', no dilation), sampled at ``strides``.

    Uses a summed-area table in float64, unlike the engine's Keras path, so both cannot share
    one mistake. Returns (1, H_out, W_out, 1) like the layer.
    """
    table = np.zeros((pixels.shape[0] + 1, pixels.shape[1] + 1))
    table[1:, 1:] = np.cumsum(np.cumsum(np.asarray(pixels, np.float64), axis=0), axis=1)
    sums = (table[size:, size:] - table[:-size, size:]
            - table[size:, :-size] + table[:-size, :-size])
    return sums[::strides[0], ::strides[1]][None, :, :, None]


def check_sample() -> tuple[str, LoadedImage]:
    path = default_sample()
    image = load_image(path)
    if image.hw != ASCENT_HW or image.channels != 1:
        raise CheckFailed(f"{path} is {image.hw} with {image.channels} channel(s), "
                          f"expected {ASCENT_HW} grayscale.")
    return f"{path.name} {image.hw[0]}x{image.hw[1]}, values {image.pixels.min():g}-" \
           f"{image.pixels.max():g}", image


def check_lesson_shape(image: LoadedImage) -> str:
    from engine.backend.keras_model import convolve  # imports TensorFlow

    spec = ConvSpec(kernel=random_kernel((3, 3), 1, 1, seed=0), strides=LESSON_STRIDES)
    output = convolve(image, spec)
    if output.shape != LESSON_SHAPE:
        raise CheckFailed(f"output shape {format_shape(output.shape)}, "
                          f"expected {format_shape(LESSON_SHAPE)}.")
    if not np.all(np.isfinite(output)):
        raise CheckFailed("the output contains NaN or infinity.")
    return f"random 3x3, strides {LESSON_STRIDES} -> {format_shape(output.shape)}"


def check_box_sum(image: LoadedImage) -> str:
    from engine.backend.keras_model import convolve

    output = convolve(image, ConvSpec(kernel=keras_kernel(box((3, 3))), strides=LESSON_STRIDES))
    want = box_sum(image.pixels, 3, LESSON_STRIDES)
    if output.shape != want.shape:
        raise CheckFailed(f"shape {format_shape(output.shape)}, NumPy gives "
                          f"{format_shape(want.shape)}.")
    worst = float(np.max(np.abs(output - want)))
    if not np.allclose(output, want, rtol=1e-6, atol=1e-3):
        raise CheckFailed(f"Keras and the NumPy box sum differ by up to {worst:g}.")
    return f"Keras matches the NumPy box sum, max difference {worst:g}"


def run_self_test(window_check: Callable[[], str] | None = None,
                  out: TextIO | None = None) -> int:
    """Run every check in order, stop at the first failure; 0 when all passed, else 1."""
    out = out or sys.stdout
    started = time.perf_counter()
    print("ConvScope self-test", file=out, flush=True)

    def run(name: str, check: Callable[[], str]) -> bool:
        begun = time.perf_counter()
        try:
            detail = check()
        except Exception as exc:  # any fault is a failed check, reported in one line
            reason = (str(exc) if isinstance(exc, CheckFailed)
                      else missing_library_message(exc) or f"{type(exc).__name__}: {exc}")
            print(f"FAIL {name}: {reason}", file=out, flush=True)
            return False
        print(f"ok   {name}: {detail} ({time.perf_counter() - begun:.1f} s)", file=out, flush=True)
        return True

    loaded: list[LoadedImage] = []

    def sample() -> str:
        detail, image = check_sample()
        loaded.append(image)
        return detail

    checks = [("sample image", sample)]
    if window_check is not None:
        checks.append(("main window", window_check))
    checks += [("Keras lesson shape", lambda: check_lesson_shape(loaded[0])),
               ("all-ones kernel", lambda: check_box_sum(loaded[0]))]
    for name, check in checks:
        if not run(name, check):
            print(f"self-test FAILED at: {name}", file=out, flush=True)
            return 1
    print(f"self-test passed in {time.perf_counter() - started:.1f} s", file=out, flush=True)
    return 0
