"""What opening a Keras model file gives: the part ConvScope runs, and every layer of the
file with its shape, its parameter count and, for the layers that do not run, why.

Plain data (picklable), so it can come back from the short-lived process that ran Keras to
read the file, and the window can show it without TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.model.network import ModelSpec


class ModelFileError(Exception):
    """A model file that cannot be opened: not a Keras model, damaged, hostile, or without
    a single layer ConvScope runs. The message says which, in one line."""


@dataclass(frozen=True)
class FileLayer:
    """One layer as the file has it, as ``model.summary()`` lists it."""

    name: str
    kind: str  # the Keras class name
    output_shape: tuple  # (1, H, W, C), or Keras's own shape (None where it is unknown)
    params: int
    runs: bool  # part of the model ConvScope runs
    why: str = ""  # why it does not run ("" when it runs)


@dataclass(frozen=True, eq=False)
class LoadedModel:
    source: str  # the file's name
    model: ModelSpec  # the layers ConvScope runs, with the file's names and weights
    layers: tuple[FileLayer, ...]  # every layer of the file, in order
    input_size: tuple  # the file's input (H, W, C); None where any size is accepted
    notes: tuple[str, ...] = ()
    total_params: int = 0  # the whole file's, as model.summary() totals them

    @property
    def not_run(self) -> tuple[FileLayer, ...]:
        return tuple(layer for layer in self.layers if not layer.runs)

    @property
    def fixed_hw(self) -> tuple[int, int] | None:
        """The image size the file's input requires, or None when any size goes."""
        height, width = self.input_size[0], self.input_size[1]
        return (int(height), int(width)) if height and width else None

    @property
    def channels(self) -> int | None:
        return None if self.input_size[2] is None else int(self.input_size[2])
