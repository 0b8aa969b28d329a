"""Fitting an image to a model whose input has a fixed size (a CNN trained on 28x28 digits
or 32x32 photos): resized with Pillow's bilinear filter, values kept in their own range,
with a note saying so."""

from __future__ import annotations

import numpy as np
from PIL import Image

from engine.images.loading import LoadedImage


def fit_to_input(image: LoadedImage, hw: tuple[int, int] | None) -> LoadedImage:
    """``image`` resized to ``hw`` (rows, cols) when the model asks for that size; the same
    image when it needs no change (``hw`` None: the model takes any size)."""
    if hw is None or tuple(image.hw) == tuple(hw):
        return image
    height, width = int(hw[0]), int(hw[1])
    pixels = image.pixels
    planes = [pixels] if pixels.ndim == 2 else [pixels[:, :, c] for c in range(pixels.shape[2])]
    resized = [np.asarray(Image.fromarray(np.asarray(plane, np.float32), "F")
                          .resize((width, height), Image.Resampling.BILINEAR), np.float32)
               for plane in planes]
    out = resized[0] if pixels.ndim == 2 else np.stack(resized, axis=2)
    note = (f"Resized from {image.hw[0]}x{image.hw[1]} to {height}x{width}: the model's input "
            f"has that fixed size.")
    return LoadedImage(pixels=np.ascontiguousarray(out), name=image.name,
                       notes=(*image.notes, note))
