"""The input image and the layer's output, each bound to what it shows."""

from __future__ import annotations

from engine.formatting import format_number
from engine.images.display import MAPPING_EXPLANATIONS, auto_levels
from engine.images.loading import LoadedImage
from gui.panels.image_panel import ImagePanel
from gui.requests import ModelResult
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
        low, high = image.value_range  # (the image loader has measured it on its thread)
        # colour: R, G, B as they are (0-255, or the full range of 16-bit and float images);
        # one channel: stretched like the output
        wide = image.channels > 1 and (high > 255 or low < 0)
        levels = auto_levels(pixels) if image.channels == 1 or wide else (0, 255)
        self.show_array(pixels, levels)
        notes = " ".join(image.notes)
        self.caption.setText(f"{image.name}: {image.hw[0]} x {image.hw[1]} pixels, values "
                             f"{format_number(low)} to {format_number(high)}. "
                             f"{notes}".strip())


class OutputView(ImagePanel):
    """One feature map of the output on screen, the raw float32 values never altered: the
    display mapping is only levels and a lookup table, so the value under the cursor is always
    the layer's own. Which map: the state's selected layer and filter."""

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__("Conv2D output", "outputView", parent)
        self.state = state
        self.caption.setText("The output appears when the Keras engine has loaded.")
        self.result: ModelResult | None = None
        self.stale_reason = ""  # why the output shown is not the table's ("" when it is)
        state.displayMappingChanged.connect(self._redraw)
        state.selectionChanged.connect(self._redraw)
        state.sharedScaleChanged.connect(self._redraw)

    @property
    def mapping(self) -> str:
        return self.state.display_mapping

    def show_result(self, result: ModelResult) -> None:
        self.result = result
        self._redraw()

    def shown_map(self) -> tuple[int, int] | None:
        """(layer, filter) of the map on screen, or None before the first output."""
        if self.result is None:
            return None
        layer = min(self.state.selected_layer, len(self.result.outputs) - 1)
        return layer, min(self.state.selected_filter, self.result.map_count(layer) - 1)

    def _redraw(self, *_changed) -> None:
        shown = self.shown_map()
        if shown is None:
            return
        result, (layer, filter_index) = self.result, shown
        levels, lut = result.levels(layer, filter_index, self.mapping, self.state.shared_scale)
        self.image_item.setLookupTable(lut, update=False)
        self.show_array(result.feature_map(layer, filter_index), levels)
        minimums, maximums = result.ranges(layer)
        lo, hi = format_number(minimums[filter_index]), format_number(maximums[filter_index])
        count = result.map_count(layer)
        which = f"Feature map {filter_index} of {count}: t" if count > 1 else "T"
        kind = result.model.layers[layer].kind
        name = f"{result.model.layer_names()[layer]} " if len(result.model) > 1 else ""
        word = "filter" if kind == "Conv2D" else "channel"
        title = f"{name}({kind}) output" if name else f"{kind} output"
        self.title.setText(title + (f", {word} {filter_index}" if count > 1 else "")
                           + (f": NOT the table's settings ({self.stale_reason})"
                              if self.stale_reason else ""))
        self.caption.setText(
            f"{which}rue values from {lo} to {hi}. Shown: {MAPPING_EXPLANATIONS[self.mapping]}"
            f"{'; one scale for all maps' if self.state.shared_scale and count > 1 else ''}; "
            f"the Display tab has other mappings. Computed in {result.seconds * 1000:.0f} ms.")

    def mark_stale(self, reason: str) -> None:
        """Say on the output itself that it is from earlier settings ("" when it is not)."""
        self.stale_reason = reason
        self._redraw()

    def show_engine_status(self, status: str) -> None:
        """Without an engine there is no output: the caption must not promise one."""
        if status not in ("loading", "ready") and self.values is None:
            self.caption.setText("No output: the Keras engine is unavailable (the message "
                                 "above says how to install it).")
