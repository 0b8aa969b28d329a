"""What the layer specs without weights share (pooling, activations, rescaling, the
training-only layers): no parameters to count, and for all but pooling the same shape out
as in."""

from __future__ import annotations

from dataclasses import replace


class WithoutWeights:
    @property
    def param_count(self) -> int:
        return 0

    def with_changes(self, **changes):
        return replace(self, **changes)


class KeepsShape(WithoutWeights):
    """A layer that works on each value on its own: (1, H, W, C) in, the same out."""

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(int(v) for v in input_shape)
