"""Saving and loading kernels, and exporting the output: each action takes a path.

The File menu's handlers only ask for a path (QFileDialog) and call these, so tests drive the
real code without dialogs. Every failure is reported in words through ``report`` and changes
nothing; every write is atomic (engine.storage.atomic). Exports read the result on screen
from the pipeline and the map shown from the state, never from a view.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QFileDialog, QWidget

from engine.images.display import render_grid, render_levels
from engine.kernels.files import KernelFileError, load_kernel_file, save_kernel_file
from engine.model.network import ModelSpec
from engine.storage.atomic import SaveError, save_npy, save_png
from gui.color_mode import with_input_channels
from gui.pipeline import LivePipeline
from gui.requests import ModelResult
from gui.state import AppState

KERNEL_FILTER = "ConvScope kernel (*.json);;ImageJ text kernel (*.txt);;All files (*)"


class FileActions:
    def __init__(self, state: AppState, pipeline: LivePipeline,
                 report: Callable[[str, bool], None],
                 switch_color: Callable[[str, ModelSpec, Callable[[bool], None]], bool]
                 ) -> None:
        self.state = state
        self.pipeline = pipeline
        self.report = report  # (message, is_problem)
        self.switch_color = switch_color

    def _conv_selected(self, what: str) -> bool:
        kind = self.state.spec.kind
        if kind != "Conv2D":
            self.report(f"{what}: the selected layer is a {kind}, which has no kernel. Select a "
                        f"Conv2D in the layer stack.", True)
        return kind == "Conv2D"

    def save_kernel(self, path: str | Path) -> bool:
        """JSON (.json: the whole layer) or ImageJ-style text of the selected filter."""
        if not self._conv_selected("Kernel not saved"):
            return False
        try:
            save_kernel_file(path, self.state.spec, self.state.selected_filter)
        except SaveError as exc:
            self.report(f"Kernel not saved: {exc}", True)
            return False
        self.report(f"Saved the kernel to {Path(path).name}", False)
        return True

    def load_kernel(self, path: str | Path) -> bool:
        """Apply a kernel file; a malformed one is explained and changes nothing. A kernel for
        the other channel mode starts reloading the image (off the GUI thread) and is applied
        with it; True then means the reload has started, and the status bar says when the
        kernel is in force."""
        state = self.state
        if not self._conv_selected("Kernel not loaded, nothing changed"):
            return False
        try:
            spec = load_kernel_file(path, state.spec, state.selected_filter)
        except KernelFileError as exc:
            self.report(f"Kernel not loaded, nothing changed: {exc}", True)
            return False
        reads_image = all(layer.kind != "Conv2D"
                          for layer in state.model.layers[:state.selected_layer])
        if not reads_image and spec.channels != state.spec.channels:
            self.report(f"Kernel not loaded, nothing changed: {Path(path).name} has "
                        f"{spec.channels} input channels; this layer reads "
                        f"{state.spec.channels} feature maps.", True)
            return False
        if reads_image and spec.channels not in (1, 3):
            self.report(f"Kernel not loaded, nothing changed: {Path(path).name} has "
                        f"{spec.channels} input channels; ConvScope uses 1 (gray) or 3 (RGB).",
                        True)
            return False
        wanted = "gray" if spec.channels == 1 else "rgb"
        loaded = f"Loaded the kernel from {Path(path).name}"
        if reads_image and wanted != state.color:
            model = with_input_channels(state.model, spec.channels)
            layer = state.selected_layer

            def reloaded(ok: bool) -> None:
                if ok and state.model.layers[layer] == spec:  # not overtaken by a newer edit
                    self.report(loaded, False)
            # the switch says why if it cannot; nothing has changed then
            return self.switch_color(wanted, model.with_layer(layer, spec), reloaded)
        state.set_spec(spec)
        self.report(loaded, False)
        return True

    def export_png(self, path: str | Path, grid: bool = False) -> bool:
        """The map on screen as shown (its display mapping), or with ``grid`` every feature
        map of the layer side by side, each as the grid shows it."""
        return self._export(path, "output image", lambda result: save_png(
            path, self._rendered(result, grid)))

    def export_npy(self, path: str | Path) -> bool:
        """The layer's raw float32 output, shape (1, H, W, F), exactly as Keras returned it."""
        return self._export(path, "raw output array", lambda result: save_npy(
            path, result.output(self._shown_layer(result))))

    def _shown_layer(self, result: ModelResult) -> int:
        return min(self.state.selected_layer, len(result.outputs) - 1)

    def _rendered(self, result: ModelResult, grid: bool) -> np.ndarray:
        state, layer = self.state, self._shown_layer(result)
        count = result.map_count(layer)

        def render(index: int) -> np.ndarray:
            levels, lut = result.levels(layer, index, state.display_mapping,
                                        state.shared_scale)
            return render_levels(result.feature_map(layer, index), levels, lut)

        if grid:
            return render_grid([render(index) for index in range(count)])
        return render(min(state.selected_filter, count - 1))

    def _export(self, path: str | Path, what: str,
                write: Callable[[ModelResult], None]) -> bool:
        result = self.pipeline.shown
        if result is None:
            self.report("No output to export yet: wait for the engine.", True)
            return False
        if self.pipeline.stale_reason:  # the output shown is not what the table says
            self.report(f"The {what} was not exported: the output shown is from earlier "
                        f"settings ({self.pipeline.stale_reason}).", True)
            return False
        try:
            write(result)
        except SaveError as exc:
            self.report(f"The {what} was not exported: {exc}", True)
            return False
        except MemoryError:
            self.report(f"The {what} was not exported: not enough memory for it; close other "
                        f"programs and try again.", True)
            return False
        self.report(f"Exported the {what} to {Path(path).name}", False)
        return True

    # -- the thin menu handlers: ask for a path, then call the methods above ---------
    def ask_save_kernel(self, parent: QWidget) -> None:
        path, _ = QFileDialog.getSaveFileName(parent, "Save kernel", "kernel.json",
                                              KERNEL_FILTER)
        if path:
            self.save_kernel(path)

    def ask_load_kernel(self, parent: QWidget) -> None:
        path, _ = QFileDialog.getOpenFileName(parent, "Load kernel", "", KERNEL_FILTER)
        if path:
            self.load_kernel(path)

    def ask_export_png(self, parent: QWidget) -> None:
        path, _ = QFileDialog.getSaveFileName(parent, "Export output image", "output.png",
                                              "PNG image (*.png)")
        if path:
            self.export_png(path)

    def ask_export_grid_png(self, parent: QWidget) -> None:
        path, _ = QFileDialog.getSaveFileName(parent, "Export every feature map",
                                              "feature_maps.png", "PNG image (*.png)")
        if path:
            self.export_png(path, grid=True)

    def ask_export_npy(self, parent: QWidget) -> None:
        path, _ = QFileDialog.getSaveFileName(parent, "Export raw output", "output.npy",
                                              "NumPy array (*.npy)")
        if path:
            self.export_npy(path)
