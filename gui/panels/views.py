"""The input image and the layer's output, each bound to what it shows."""

from __future__ import annotations

from engine.formatting import format_number
from engine.images.display import MAPPING_EXPLANATIONS, auto_levels
from engine.images.loading import LoadedImage
from gui.panels.image_panel import ImagePanel
from gui.requests import ConvResult
from gui.state import AppState


class InputView(ImagePanel):
    """The image exactly as the layer receives it (one or three channels, unscaled)."""

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__("Input image", "inputView", parent)
        state.imageChanged.connect(self.show_image)
        if state.image is not None:
            self.show_image(state.image)

    def show_image(self, image: LoadedImage) -> None:
        pixels = image.pixels
        # colour: R, G, B as they are (0-255, or the full range of 16-bit and float images);
        # one channel: stretched like the output
        wide = image.channels > 1 and (pixels.max() > 255 or pixels.min() < 0)
        levels = auto_levels(pixels) if image.channels == 1 or wide else (0, 255)
        self.show_array(pixels, levels)
        notes = " ".join(image.notes)
        self.caption.setText(f"{image.name}: {image.hw[0]} x {image.hw[1]} pixels, values "
                             f"{format_number(pixels.min())} to {format_number(pixels.max())}. "
                             f"{notes}".strip())


class OutputView(ImagePanel):
    """The raw float32 layer output, never altered: the display mapping is only levels and a
    lookup table, so the value under the cursor is always the layer's own."""

    def __init__(self, parent=None) -> None:
        super().__init__("Conv2D output", "outputView", parent)
        self.caption.setText("The output appears when the Keras engine has loaded.")
        self.mapping = "auto"
        self.result: ConvResult | None = None

    def show_result(self, result: ConvResult) -> None:
        self.result = result
        self._redraw()

    def set_mapping(self, mode: str) -> None:
        self.mapping = mode
        if self.result is not None:
            self._redraw()

    def _redraw(self) -> None:
        result = self.result
        summary = result.value_summary()
        levels, lut = summary.levels(self.mapping)
        self.image_item.setLookupTable(lut, update=False)
        self.show_array(result.values, levels)
        lo, hi = format_number(summary.minimum), format_number(summary.maximum)
        self.caption.setText(
            f"True values from {lo} to {hi}. Shown: {MAPPING_EXPLANATIONS[self.mapping]}; "
            f"the Display tab has other mappings. Computed in {result.seconds * 1000:.0f} ms.")

    def show_engine_status(self, status: str) -> None:
        """Without an engine there is no output: the caption must not promise one."""
        if status not in ("loading", "ready") and self.values is None:
            self.caption.setText("No output: the Keras engine is unavailable (the message "
                                 "above says how to install it).")
