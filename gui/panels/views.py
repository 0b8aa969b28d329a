"""The input image and the layer's output, each bound to what it shows."""

from __future__ import annotations

from engine.display import auto_levels
from engine.images import LoadedImage
from engine.kernel_text import format_number
from gui.panels.image_panel import ImagePanel
from gui.requests import ConvResult
from gui.state import AppState


class InputView(ImagePanel):
    """The image exactly as the layer receives it (one channel, unscaled)."""

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__("Input image", "inputView", parent)
        state.imageChanged.connect(self.show_image)
        if state.image is not None:
            self.show_image(state.image)

    def show_image(self, image: LoadedImage) -> None:
        pixels = image.pixels if image.channels == 1 else image.pixels.mean(axis=2)
        self.show_array(pixels, auto_levels(pixels))
        notes = " ".join(image.notes)
        self.caption.setText(f"{image.name}: {image.hw[0]} x {image.hw[1]} pixels, values "
                             f"{format_number(pixels.min())} to {format_number(pixels.max())}. "
                             f"{notes}".strip())


class OutputView(ImagePanel):
    """The raw float32 layer output; the levels alone decide what is black and white."""

    def __init__(self, parent=None) -> None:
        super().__init__("Conv2D output", "outputView", parent)
        self.caption.setText("The output appears when the Keras engine has loaded.")

    def show_result(self, result: ConvResult) -> None:
        values = result.output[0, :, :, 0]
        levels = auto_levels(values)
        self.show_array(values, levels)
        lo, hi = format_number(values.min()), format_number(values.max())
        self.caption.setText(
            f"Values from {lo} (black) to {hi} (white): the output is signed and unbounded, "
            f"so the display stretches its own range. Computed in "
            f"{result.seconds * 1000:.0f} ms.")

    def show_engine_status(self, status: str) -> None:
        """Without an engine there is no output: the caption must not promise one."""
        if status not in ("loading", "ready") and self.values is None:
            self.caption.setText("No output: the Keras engine is unavailable (the message "
                                 "above says how to install it).")
