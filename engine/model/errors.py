"""The one error a layer setting raises: worded for a student, with the way out."""

from __future__ import annotations


class LayerSpecError(ValueError):
    """A setting the layer (or the model) cannot run with, e.g. strides > 1 with dilation > 1
    or a kernel larger than its 'valid' input. The message says what to change."""
