"""An independent NumPy cross-correlation, written from TensorFlow's documented semantics.

It shares no code with engine/: the padding split and the output size are derived here again,
so a mistake in the engine's arithmetic cannot hide in both.
"""

from __future__ import annotations

import numpy as np


def _same_pads(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2  # the odd pixel goes after (bottom/right)


def cross_correlate(image: np.ndarray, kernel: np.ndarray, strides=(1, 1), padding="valid",
                    dilation=(1, 1), bias=0.0, activation="linear") -> np.ndarray:
    """image (H, W) or (H, W, C); kernel (kh, kw), (kh, kw, C) or Keras's (kh, kw, C, F);
    bias one number or F. Returns (1, Ho, Wo, F)."""
    w = np.asarray(kernel, np.float64)
    if w.ndim == 4:
        biases = np.broadcast_to(np.asarray(bias, np.float64), (w.shape[3],))
        return np.concatenate([_one_filter(image, w[..., f], strides, padding, dilation,
                                           float(biases[f]), activation)
                               for f in range(w.shape[3])], axis=3)
    return _one_filter(image, w, strides, padding, dilation, float(bias), activation)


def _one_filter(image, w, strides, padding, dilation, bias, activation) -> np.ndarray:
    x = np.asarray(image, np.float64)
    if x.ndim == 2:
        x = x[:, :, None]
    if w.ndim == 2:
        w = w[:, :, None]
    kh, kw, _ = w.shape
    (sh, sw), (dh, dw) = strides, dilation
    if padding == "same":
        top, bottom = _same_pads(x.shape[0], kh, sh, dh)
        left, right = _same_pads(x.shape[1], kw, sw, dw)
        x = np.pad(x, ((top, bottom), (left, right), (0, 0)))
    span_h, span_w = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    out_h = (x.shape[0] - span_h) // sh + 1
    out_w = (x.shape[1] - span_w) // sw + 1
    out = np.zeros((max(out_h, 0), max(out_w, 0)))
    if out.size == 0:  # the kernel does not fit: an empty output
        return out[None, :, :, None]
    for a in range(kh):
        for b in range(kw):
            window = x[a * dh: a * dh + (out_h - 1) * sh + 1: sh,
                       b * dw: b * dw + (out_w - 1) * sw + 1: sw, :]
            out += (window * w[a, b, :]).sum(axis=2)
    out += bias
    if activation == "relu":
        out = np.maximum(out, 0)
    return out[None, :, :, None]
