"""Switching the input between one grayscale channel and three RGB channels.

The image is reloaded from its file in the new mode (the pixels differ, not just their
shape; resized again when an opened Keras model fixes the input size), off the GUI thread,
and the first Conv2D's kernel gets the matching number of input channels in the same step.
If the file cannot be read any more, the reason is shown and everything stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from engine.kernels.edits import to_channels
from engine.model.network import ModelSpec
from gui.state import AppState

if TYPE_CHECKING:  # gui.image_opener uses with_input_channels from here
    from gui.image_opener import ImageOpener


def with_input_channels(model: ModelSpec, channels: int) -> ModelSpec:
    """The model for an input with ``channels`` channels: the first Conv2D (the one that
    reads the image's channels, after any pooling or activation) gets each filter's first
    (R) plane on every channel; later layers read feature maps and do not change. The same
    model when that Conv2D already reads ``channels`` channels."""
    for index, layer in enumerate(model.layers):
        if layer.kind == "Conv2D":
            if layer.channels == channels:
                return model
            return model.with_layer(index, layer.with_changes(
                kernel=to_channels(layer.kernel, channels)))
    return model


class ColorModeSwitch:
    """Asks the ImageOpener for the current file in the other mode; the image is read off
    the GUI thread and arrives with its model in one step (gui/image_opener.py)."""

    def __init__(self, state: AppState, opener: ImageOpener,
                 report_problem: Callable[[str], None]) -> None:
        self.state = state
        self.opener = opener
        self.report_problem = report_problem

    def switch(self, color: str, model: ModelSpec | None = None,
               then: Callable[[bool], None] | None = None) -> bool:
        """Start reloading the current image as ``color`` with ``model``, or with the model in
        force when it arrives, its first kernel repeated on every channel (RGB) or reduced to
        its R plane (gray). False (and the reason shown) when there is no file to reload;
        ``then`` hears whether the image arrived."""
        if self.opener.target_path() is None:
            return self._refuse("This image was not opened from a file, so it cannot be "
                                "reloaded in another channel mode.")
        self.opener.reload(color, model, then)
        return True

    def _refuse(self, message: str) -> bool:
        self.report_problem(message)
        self.state.colorChanged.emit(self.state.color)  # controls show the mode still in force
        return False
