"""Switching the input between one grayscale channel and three RGB channels.

The image is reloaded from its file in the new mode (the pixels differ, not just their
shape; resized again when an opened Keras model fixes the input size) and the first
Conv2D's kernel gets the matching number of input channels in the same step. If the file
cannot be read any more, the reason is shown and everything stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.images.loading import ImageLoadError, load_image
from engine.images.resize import fit_to_input
from engine.kernels.edits import to_channels
from engine.model.network import ModelSpec
from gui.state import AppState


def with_input_channels(model: ModelSpec, channels: int) -> ModelSpec:
    """The model for an input with ``channels`` channels: the first Conv2D (the one that
    reads the image's channels, after any pooling or activation) gets each filter's first
    (R) plane on every channel; later layers read feature maps and do not change."""
    for index, layer in enumerate(model.layers):
        if layer.kind == "Conv2D":
            return model.with_layer(index, layer.with_changes(
                kernel=to_channels(layer.kernel, channels)))
    return model


class ColorModeSwitch:
    def __init__(self, state: AppState, report_problem: Callable[[str], None]) -> None:
        self.state = state
        self.report_problem = report_problem

    def switch(self, color: str, model: ModelSpec | None = None) -> bool:
        """Reload the current image as ``color`` with ``model``, or with the current model's
        first kernel repeated on every channel (RGB) or reduced to its R plane (gray)."""
        state = self.state
        if model is None:
            model = with_input_channels(state.model, 1 if color == "gray" else 3)
        if state.image_path is None:
            return self._refuse("This image was not opened from a file, so it cannot be "
                                "reloaded in another channel mode.")
        try:
            image = fit_to_input(load_image(state.image_path, color=color), state.fixed_hw)
        except ImageLoadError as exc:
            return self._refuse(f"Could not reload the image as {color}: {exc}")
        state.set_color_image(color, image, model)
        return True

    def _refuse(self, message: str) -> bool:
        self.report_problem(message)
        self.state.colorChanged.emit(self.state.color)  # controls show the mode still in force
        return False
