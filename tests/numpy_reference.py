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


def pool(maps: np.ndarray, pool_size, strides=None, padding="valid", mode="max") -> np.ndarray:
    """TensorFlow's max_pool / avg_pool on (1, H, W, C) or (H, W, C) maps: 'same' pads as a
    convolution does, but padded positions never win a max and are not counted in a mean."""
    x = np.asarray(maps, np.float64)
    x = x[0] if x.ndim == 4 else x
    (ph, pw) = pool_size
    (sh, sw) = strides or pool_size
    height, width, _ = x.shape
    valid = np.ones((height, width), bool)
    if padding == "same":
        top, bottom = _same_pads(height, ph, sh, 1)
        left, right = _same_pads(width, pw, sw, 1)
        x = np.pad(x, ((top, bottom), (left, right), (0, 0)))
        valid = np.pad(valid, ((top, bottom), (left, right)))
    out_h = (x.shape[0] - ph) // sh + 1
    out_w = (x.shape[1] - pw) // sw + 1
    out = np.zeros((out_h, out_w, x.shape[2]))
    for i in range(out_h):
        for j in range(out_w):
            block = x[i * sh:i * sh + ph, j * sw:j * sw + pw]
            inside = valid[i * sh:i * sh + ph, j * sw:j * sw + pw]
            values = block[inside]  # (n, C): only the input's own positions
            out[i, j] = values.max(axis=0) if mode == "max" else values.mean(axis=0)
    return out[None]


def activation(x: np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(x, np.float64)
    if name == "relu":
        return np.maximum(x, 0)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-x))
    if name == "tanh":
        return np.tanh(x)
    return x


def run_layers(image: np.ndarray, layers) -> list[np.ndarray]:
    """Every layer's output, (1, H, W, C) each, for a list of layer specs, computed here from
    each spec's settings and weights only."""
    x = np.asarray(image, np.float64)
    x = x[:, :, None] if x.ndim == 2 else x
    outputs = []
    for spec in layers:
        kind = spec.kind
        if kind == "Conv2D":
            y = cross_correlate(x, spec.kernel, spec.strides, spec.padding, spec.dilation,
                                spec.bias, "linear")
            y = activation(y, spec.activation)
        elif kind in ("MaxPooling2D", "AveragePooling2D"):
            y = pool(x, spec.pool_size, spec.strides, spec.padding,
                     "max" if kind == "MaxPooling2D" else "average")
        elif kind in ("Activation", "ReLU"):
            y = activation(x[None], spec.activation)
        elif kind == "Rescaling":
            y = x[None] * spec.scale + spec.offset
        else:  # Dropout and the like: the identity at inference
            y = x[None]
        outputs.append(y)
        x = y[0]
    return outputs
