"""What the layer learns: the output of a target kernel on the same image.

The target is either a *mystery kernel* (random small whole numbers from a seed, a preset
picked at random from that seed, or a named preset) or *the current kernel*, frozen so the
student can re-roll the weights and learn them back. A target keeps only weights: the layer
settings (strides, padding, ...) are always the model's own, so the target output follows
them. Works for any model: every layer with a kernel gets a target kernel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.kernels.presets import BOX, FIXED, IDENTITY, preset_plane
from engine.model.errors import LayerSpecError
from engine.model.network import ModelSpec

RANDOM_WEIGHTS = "random weights"
RANDOM_PRESET = "a random preset"
#: Where a mystery kernel comes from, in the order the Train tab lists them.
MYSTERY_SOURCES = (RANDOM_WEIGHTS, RANDOM_PRESET, IDENTITY, BOX, *FIXED)
#: A random mystery weight is a whole number in this range: easy to read once revealed.
RANDOM_RANGE = (-2, 2)

MYSTERY = "mystery"
CURRENT = "current"


def trainable_layers(model: ModelSpec) -> list[int]:
    """Indices of the layers with weights (a kernel and a bias); pooling has none."""
    return [i for i, layer in enumerate(model.layers) if getattr(layer, "kernel", None)
            is not None]


def _presets_of_size(kernel_size: tuple[int, int]) -> list[str]:
    return [IDENTITY, BOX, *(name for name, plane in FIXED.items()
                             if plane.shape == tuple(kernel_size))]


def mystery_kernel(source: str, shape: tuple[int, int, int, int], seed: int) -> np.ndarray:
    """A (kh, kw, C, F) mystery kernel: each filter one plane, the same on every channel."""
    kh, kw, channels, filters = shape
    rng = np.random.default_rng(int(seed))
    planes = []
    for _ in range(filters):
        if source == RANDOM_WEIGHTS:
            plane = np.zeros((kh, kw))
            while not plane.any():  # a kernel of zeros has nothing to find
                plane = rng.integers(RANDOM_RANGE[0], RANDOM_RANGE[1] + 1, (kh, kw))
        elif source == RANDOM_PRESET:
            names = _presets_of_size((kh, kw))
            plane = preset_plane(names[int(rng.integers(len(names)))], (kh, kw))
        elif source in MYSTERY_SOURCES:
            plane = preset_plane(source, (kh, kw))
            if plane.shape != (kh, kw):
                raise LayerSpecError(
                    f"{source} is {plane.shape[0]}x{plane.shape[1]}, but the layer's kernel is "
                    f"{kh}x{kw}: set the kernel size to {plane.shape[0]}x{plane.shape[1]} or "
                    f"pick another mystery.")
        else:
            raise LayerSpecError(f"There is no mystery kernel called {source!r}.")
        planes.append(np.asarray(plane, np.float32))
    kernel = np.stack(planes, axis=-1)[:, :, None, :]
    return np.repeat(kernel, channels, axis=2).astype(np.float32)


@dataclass(frozen=True, eq=False)
class TrainTarget:
    """``kind`` MYSTERY (``source`` and ``seed`` draw it) or CURRENT (``frozen``: the
    (kernel, bias) of every trainable layer when it was frozen)."""

    kind: str = MYSTERY
    source: str = "Sobel Y"
    seed: int = 0
    frozen: tuple = field(default=())

    @staticmethod
    def freeze(model: ModelSpec) -> TrainTarget:
        """The model's current weights as the target."""
        frozen = tuple((np.array(model.layers[i].kernel), np.array(model.layers[i].bias))
                       for i in trainable_layers(model))
        return TrainTarget(CURRENT, "the current kernel", 0, frozen)

    def describe(self) -> str:
        if self.kind == CURRENT:
            return "the kernel frozen on screen"
        if self.source == RANDOM_WEIGHTS:
            return f"random whole-number weights from seed {self.seed}"
        if self.source == RANDOM_PRESET:
            return f"a preset picked at random from seed {self.seed}"
        return self.source

    def model_for(self, model: ModelSpec) -> ModelSpec:
        """``model`` with every trainable layer's weights replaced by the target's (bias 0 for
        a mystery). LayerSpecError when a frozen kernel no longer fits the layer."""
        indices = trainable_layers(model)
        if not indices:
            raise LayerSpecError("This model has no layer with weights to train.")
        if self.kind == CURRENT and len(self.frozen) != len(indices):
            raise LayerSpecError("The frozen target has another number of layers with "
                                 "weights: freeze the current kernel again.")
        target = model
        for number, index in enumerate(indices):
            spec = model.layers[index]
            if self.kind == CURRENT:
                kernel, bias = self.frozen[number]
                if kernel.shape != spec.kernel.shape:
                    raise LayerSpecError(
                        f"The frozen target kernel is {kernel.shape} but the layer's is now "
                        f"{spec.kernel.shape}: freeze the current kernel again.")
            else:
                # each layer its own draw, reproducible from the one seed
                kernel = mystery_kernel(self.source, spec.weights_shape, self.seed + number)
                bias = np.zeros(spec.filters, np.float32)
            target = target.with_layer(index, spec.with_changes(kernel=kernel, bias=bias))
        return target
