"""What changed between two models, in the words the Undo menu uses ("Undo padding").

Plain data comparison, so the history needs no knowledge of which widget made a change.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from engine.model.network import ModelSpec

#: Settings whose quick repeated changes (a held spinbox arrow) are one undo step.
MERGEABLE = ("bias", "strides", "dilation", "kernel size", "filters", "pool size",
             "pool strides", "scale", "offset")

#: How the Undo menu names a changed field of a layer without weights.
FIELD_NAMES = {"pool_size": "pool size", "strides": "pool strides", "padding": "padding",
               "mode": "pooling type", "activation": "activation", "keras_class": "layer type",
               "scale": "scale", "offset": "offset", "config": "layer settings"}


def _conv_changes(before, after) -> list[str]:
    changes = []
    (bh, bw, bc, bf), (ah, aw, ac, af) = before.weights_shape, after.weights_shape
    if (bh, bw) != (ah, aw):
        changes.append("kernel size")
    if bc != ac:
        changes.append("input channels")
    if bf != af:
        changes.append("filters")
    if not changes and not np.array_equal(before.kernel, after.kernel):
        changed = np.argwhere(before.kernel != after.kernel)
        filters = sorted(set(int(f) for f in changed[:, 3]))
        cells = sorted({(int(r), int(c)) for r, c, _, _ in changed})
        if len(cells) == 1 and len(filters) == 1:
            changes.append(f"weight {list(cells[0])} of filter {filters[0]}"
                           if bf > 1 else f"weight {list(cells[0])}")
        elif len(filters) == 1 and bf > 1:
            changes.append(f"filter {filters[0]}'s weights")
        else:
            changes.append("kernel weights")
    if bf == af and not np.array_equal(before.bias, after.bias):
        changes.append("bias")
    changes += [name for name in ("strides", "padding", "dilation", "activation", "use_bias")
                if getattr(before, name) != getattr(after, name)]
    return changes


def _field_changes(before, after) -> list[str]:
    """The changed settings of a layer without weights (pooling, activation, ...)."""
    return [FIELD_NAMES.get(field.name, field.name) for field in fields(before)
            if getattr(before, field.name) != getattr(after, field.name)]


def _stack_change(before: ModelSpec, after: ModelSpec) -> str:
    """A layer added, removed or moved: "add max_pooling2d", "remove re_lu", "layer order"."""
    kinds_before = [layer.kind for layer in before.layers]
    kinds_after = [layer.kind for layer in after.layers]
    longer, shorter = (after, before) if len(after) > len(before) else (before, after)
    if abs(len(after) - len(before)) == 1:
        index = next((i for i, (a, b) in enumerate(zip(longer.layers, shorter.layers))
                      if a.kind != b.kind or (a.kind != "Conv2D" and a != b)), len(shorter))
        name = longer.layer_names()[index]
        return f"add {name}" if longer is after else f"remove {name}"
    if len(after) == len(before) and sorted(kinds_before) == sorted(kinds_after):
        return "layer order"
    return "layers"


def describe_change(before: ModelSpec, after: ModelSpec) -> str:
    """A short name for the change, e.g. "padding", "weight [1, 2]", "kernel size", or
    "layer settings" when several things changed at once."""
    if len(before) != len(after) or before.layer_names() != after.layer_names():
        return _stack_change(before, after)
    changes = []
    for index, (a, b) in enumerate(zip(before.layers, after.layers)):
        if a.kind != b.kind:
            changes.append(f"layer {index + 1}")
        elif a != b:
            changes += _conv_changes(a, b) if a.kind == "Conv2D" else _field_changes(a, b)
    if len(changes) == 1:
        return changes[0]
    return "layer settings" if changes else "nothing"


def arrow_step(before: ModelSpec, after: ModelSpec) -> bool:
    """Whether ``after`` is one spinbox arrow step from ``before`` (a count or a size by one),
    as a held arrow repeats it; a typed jump (4 filters to 12) is a step of its own."""
    if len(before) != len(after):
        return False
    for a, b in zip(before.layers, after.layers):
        if a.kind != b.kind:
            return False
        if a.kind == "Conv2D" and a != b:
            sizes = [*a.kernel_size, a.filters, *a.strides, *a.dilation]
            others = [*b.kernel_size, b.filters, *b.strides, *b.dilation]
            if sum(abs(x - y) for x, y in zip(sizes, others)) > 1:
                return False
        elif a.kind.endswith("Pooling2D") and a != b:
            sizes, others = [*a.pool_size, *a.step], [*b.pool_size, *b.step]
            if sum(abs(x - y) for x, y in zip(sizes, others)) > 1:
                return False
    return True
