"""A layer spec as JSON and back, by its ``kind`` and its dataclass fields.

Every layer spec follows one protocol (engine/model/network.py): a ``kind`` (the Keras class
name), frozen dataclass fields and ``check()``. So a layer is written field by field (arrays as
nested lists of their exact float32 values, pairs as lists) and read back with each field
checked as the kind of its default: a number array, whole numbers, a word, a flag or a number.
A new layer kind is saved once it is added to LAYER_KINDS.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, fields

import numpy as np

from engine.model.conv import ConvSpec
from engine.model.errors import LayerSpecError
from engine.storage.json_fields import flag, known, number, whole

#: Layer classes by their Keras class name: a new layer spec is added here to be saved.
LAYER_KINDS: dict[str, type] = {ConvSpec.kind: ConvSpec}


def layer_to_json(layer) -> dict:
    """A layer spec as ``{"kind": ..., field: value, ...}``: arrays as nested lists of their
    exact float32 values, pairs as lists."""
    document = {"kind": layer.kind}
    for spec_field in fields(layer):
        document[spec_field.name] = _plain(getattr(layer, spec_field.name))
    return document


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def layer_from_json(document, index: int):
    """One layer spec from its ``kind`` and fields, each field read as its default's type."""
    where = f"layer {index + 1}"
    if not isinstance(document, dict):
        raise ValueError(f"{where} must be an object with a \"kind\"")
    kind = document.get("kind")
    cls = LAYER_KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"{where} is of kind {json.dumps(kind)}, which ConvScope does not "
                         f"know (it knows {', '.join(LAYER_KINDS)})")
    spec_fields = {f.name: f for f in fields(cls)}
    known(document, {"kind", *spec_fields}, where)
    values = {name: _field_value(document[name], _default(spec_field), f"{where} {name!r}")
              for name, spec_field in spec_fields.items() if name in document}
    try:
        spec = cls(**values)
        spec.check(None)
    except LayerSpecError as exc:
        raise ValueError(f"{where}: {exc}") from None
    return spec


def _default(spec_field):
    if spec_field.default is not MISSING:
        return spec_field.default
    if spec_field.default_factory is not MISSING:
        return spec_field.default_factory()
    return None


def _field_value(value, default, what: str):
    """``value`` checked against the kind of its field's default: a number array, a pair of
    whole numbers, a word, a flag or a number."""
    if isinstance(default, np.ndarray) or (isinstance(default, float)
                                            and isinstance(value, list)):
        return _number_array(value, what)
    if default is None:  # an optional pair (a pooling layer's strides): null or numbers
        if value is None:
            return None
        if not isinstance(value, list) or not 1 <= len(value) <= 4:
            raise ValueError(f"{what} must be null or whole numbers")
        return tuple(whole(v, what, 1, 10**6) for v in value)
    if isinstance(default, tuple):
        if not isinstance(value, list) or len(value) != len(default):
            raise ValueError(f"{what} must be {len(default)} whole numbers")
        return tuple(whole(v, what, 1, 10**6) for v in value)
    if isinstance(default, bool):
        return flag(value, what)
    if isinstance(default, str):
        if not isinstance(value, str) or len(value) > 100:
            raise ValueError(f"{what} must be a word")
        return value
    if isinstance(default, (int, float)):
        return number(value, what)
    raise ValueError(f"{what} cannot be read from a session")


def _number_array(value, what: str) -> np.ndarray:
    try:
        array = np.array(value)
    except (ValueError, TypeError):
        raise ValueError(f"{what} must be numbers in rows of equal length") from None
    if array.dtype.kind not in "iuf":
        raise ValueError(f"{what} must hold numbers only")
    return array.astype(np.float32)
