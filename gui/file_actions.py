"""Saving and loading kernels, and exporting the output: each action takes a path.

The File menu's handlers only ask for a path (QFileDialog) and call these, so tests drive the
real code without dialogs. Every failure is reported in words through ``report`` and changes
nothing; every write is atomic (engine.storage.atomic).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QFileDialog, QWidget

from engine.images.display import render
from engine.kernels.files import KernelFileError, load_kernel_file, save_kernel_file
from engine.model.spec import ConvSpec
from engine.storage.atomic import SaveError, save_npy, save_png
from gui.panels.views import OutputView
from gui.state import AppState

KERNEL_FILTER = "ConvScope kernel (*.json);;ImageJ text kernel (*.txt);;All files (*)"


class FileActions:
    def __init__(self, state: AppState, output_view: OutputView,
                 report: Callable[[str, bool], None],
                 switch_color: Callable[[str, ConvSpec], bool]) -> None:
        self.state = state
        self.output_view = output_view
        self.report = report  # (message, is_problem)
        self.switch_color = switch_color

    def save_kernel(self, path: str | Path) -> bool:
        """JSON (.json: the whole layer) or ImageJ-style text (any other name)."""
        try:
            save_kernel_file(path, self.state.spec)
        except SaveError as exc:
            self.report(f"Kernel not saved: {exc}", True)
            return False
        self.report(f"Saved the kernel to {Path(path).name}", False)
        return True

    def load_kernel(self, path: str | Path) -> bool:
        """Apply a kernel file; a malformed one is explained and changes nothing."""
        try:
            spec = load_kernel_file(path, self.state.spec)
        except KernelFileError as exc:
            self.report(f"Kernel not loaded, nothing changed: {exc}", True)
            return False
        if spec.channels not in (1, 3):
            self.report(f"Kernel not loaded, nothing changed: {Path(path).name} has "
                        f"{spec.channels} channels; ConvScope uses 1 (gray) or 3 (RGB).", True)
            return False
        wanted = "gray" if spec.channels == 1 else "rgb"
        if wanted != self.state.color:
            if not self.switch_color(wanted, spec):
                return False  # the switch said why; nothing changed
        else:
            self.state.set_spec(spec)
        self.report(f"Loaded the kernel from {Path(path).name}", False)
        return True

    def export_png(self, path: str | Path) -> bool:
        """The output as shown, with the current display mapping."""
        return self._export(path, "output image", lambda output: save_png(
            path, render(output[0, :, :, 0], self.output_view.mapping)))

    def export_npy(self, path: str | Path) -> bool:
        """The raw float32 output, shape (1, H, W, 1), exactly as the layer returned it."""
        return self._export(path, "raw output array", lambda output: save_npy(path, output))

    def _export(self, path: str | Path, what: str, write: Callable[[np.ndarray], None]) -> bool:
        result = self.output_view.result
        if result is None:
            self.report("No output to export yet: wait for the engine.", True)
            return False
        try:
            write(result.output)
        except SaveError as exc:
            self.report(f"The {what} was not exported: {exc}", True)
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

    def ask_export_npy(self, parent: QWidget) -> None:
        path, _ = QFileDialog.getSaveFileName(parent, "Export raw output", "output.npy",
                                              "NumPy array (*.npy)")
        if path:
            self.export_npy(path)
