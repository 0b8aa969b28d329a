"""Opening and saving real Keras model files (.keras; .h5 where Keras reads it).

Opening never runs code from the file: Keras loads it in safe mode (a Lambda layer's
Python code is refused, not executed) and without compiling. Before Keras sees a file its
size and, for a .keras zip, its unpacked size are checked, so a huge file or a zip bomb is
refused at once. The model is walked layer by layer (nested Sequential models included):
each layer becomes a layer spec until the first one ConvScope does not run; that one and
all after it are still listed with their shapes and parameter counts, and why they do not
run. Saving writes a keras.Sequential of the stack with its weights, atomically.

Keras is imported only inside these functions: the command line and the window's helper
process pay for TensorFlow only when a model file is really opened or saved.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import zipfile
from pathlib import Path

from engine.backend.layer_mapping import keras_shape, layer_spec, param_count
from engine.model.errors import LayerSpecError
from engine.model.loaded import FileLayer, LoadedModel, ModelFileError
from engine.model.network import ModelSpec
from engine.storage.atomic import SaveError, atomic_write_bytes

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
#: The largest model file opened, and the most a .keras archive may unpack to (a small CNN
#: is a few megabytes; VGG16 is about 530 MB).
MAX_MODEL_BYTES = 1 << 30
MAX_UNPACKED_BYTES = 2 << 30
MAX_CONFIG_BYTES = 64 << 20
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _keras():
    from engine.backend.keras_model import keras  # TensorFlow's import, quietly

    return keras


def check_model_file(path: str | Path) -> Path:
    """Refuse, before Keras reads a byte, what cannot be a model file ConvScope opens."""
    path = Path(path)
    name = path.name
    if not path.exists():
        raise ModelFileError(f"{name}: no such file.")
    if not path.is_file():
        raise ModelFileError(f"{name} is not a file.")
    if path.suffix.lower() not in MODEL_SUFFIXES:
        raise ModelFileError(f"{name} is not a Keras model file: ConvScope opens .keras "
                             f"(and .h5) files saved by Keras.")
    size = path.stat().st_size
    if size == 0:
        raise ModelFileError(f"{name} is empty.")
    if size > MAX_MODEL_BYTES:
        raise ModelFileError(f"{name} is {size / 2**30:.1f} GB; ConvScope opens model files "
                             f"up to {MAX_MODEL_BYTES / 2**30:.0f} GB.")
    with open(path, "rb") as handle:
        head = handle.read(8)
    if path.suffix.lower() == ".keras":
        _check_archive(path)
    elif head != HDF5_SIGNATURE:
        raise ModelFileError(f"{name} is not an HDF5 file, so it is not a Keras .h5 model.")
    return path


def _check_archive(path: Path) -> None:
    name = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ModelFileError(f"{name} is not a Keras model: a .keras file is a zip archive, "
                             f"and this one cannot be read ({exc}). It may be truncated or "
                             f"damaged.") from None
    names = {entry.filename for entry in entries}
    if "config.json" not in names:
        raise ModelFileError(f"{name} is a zip archive but not a Keras model (it has no "
                             f"config.json).")
    unpacked = sum(entry.file_size for entry in entries)
    config = next(entry.file_size for entry in entries if entry.filename == "config.json")
    if unpacked > MAX_UNPACKED_BYTES or config > MAX_CONFIG_BYTES:
        raise ModelFileError(f"{name} would unpack to {unpacked / 2**30:.1f} GB, far more "
                             f"than a model ConvScope can show: refused.")


def _load(path: Path):
    keras = _keras()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return keras.saving.load_model(str(path), safe_mode=True, compile=False)
    except Exception as exc:  # Keras raises many kinds; the user gets one sentence
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "Lambda" in text or "safe_mode" in text or "arbitrary code" in text:
            raise ModelFileError(
                f"{path.name} holds a Lambda layer (Python code). ConvScope never runs code "
                f"from a file (Keras safe mode), so it cannot open this model.") from None
        unknown = re.search(r"(?:Could not locate class|Unknown layer:?) '?([\w.>]+)", str(exc))
        if unknown:
            raise ModelFileError(f"{path.name} names a class Keras cannot find "
                                 f"({unknown.group(1)}): a custom layer, or a damaged file. "
                                 f"ConvScope cannot open it.") from None
        raise ModelFileError(f"{path.name} could not be read as a Keras model "
                             f"({type(exc).__name__}: {text[:200]}). It may be truncated, "
                             f"damaged or not a model.") from None


def _chain(model, keras) -> list[tuple[object, str]]:
    """The model's layers in order, nested models expanded, as (layer, why it breaks the
    chain or "")."""
    result: list[tuple[object, str]] = []
    flowing = None  # the id of the tensor the next layer must read, for functional models
    functional = not isinstance(model, keras.Sequential)
    if functional:
        if len(model.inputs) != 1:
            return [(layer, "the model has several inputs; ConvScope runs a plain chain "
                     "of layers") for layer in model.layers
                    if type(layer).__name__ != "InputLayer"]
        flowing = id(model.inputs[0])
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        why = ""
        if functional:
            nodes = [node for node in getattr(layer, "_inbound_nodes", [])
                     if any(id(t) == flowing for t in node.input_tensors)]
            if not nodes:
                why = ("it reads from an earlier layer, not the one before it (a branch); "
                       "ConvScope runs a plain chain of layers")
            elif len(nodes[0].input_tensors) > 1:
                why = "it joins several inputs; ConvScope runs a plain chain of layers"
            else:
                flowing = id(nodes[0].output_tensors[0])
        if not why and isinstance(layer, keras.Model):
            result.extend(_chain(layer, keras))
            continue
        result.append((layer, why))
    return result


def _input_size(model) -> tuple:
    try:
        shape = tuple(model.inputs[0].shape)[1:]
    except (AttributeError, IndexError, TypeError, ValueError):
        shape = (None, None, None)
    if len(shape) != 3:
        raise ModelFileError("The model's input is not an image (height, width, channels): "
                             f"its shape is {shape}.")
    height, width, channels = shape
    return (height, width, channels)


def _unique(names: list[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    result = []
    for name in names:
        unique, count = name, 0
        while unique in seen:
            count += 1
            unique = f"{name}_{count}"
        seen.add(unique)
        result.append(unique)
    return tuple(result)


def _next_shape(spec, shape: tuple) -> tuple:
    """``spec``'s output shape for ``shape``, which may have unknown (None) parts."""
    if shape[3] is None and spec.kind == "Conv2D":
        shape = (*shape[:3], spec.channels)
    if None in shape:
        channels = None if shape[3] is None else spec.output_shape((1, 1, 1, shape[3]))[3]
        return (1, None, None, channels)
    spec.check(shape)
    return spec.output_shape(shape)


def _keras_next_shape(layer, shape: tuple) -> tuple:
    """What Keras says a layer ConvScope does not run outputs: for this input, else the
    shape in the file's own graph, else "?"."""
    if "?" not in shape:
        with contextlib.suppress(Exception):  # a layer that cannot say it for this input
            return keras_shape(layer.compute_output_shape((None, *shape[1:])))
    try:
        return keras_shape(layer.output.shape)
    except Exception:  # not in a graph of its own
        return ("?",)


def load_model_file(path: str | Path, image_hw: tuple[int, int] | None = None
                    ) -> LoadedModel:
    """Open a Keras model file: the part ConvScope runs (layer specs with the file's weights
    and names), every layer of the file with its shape and parameter count, notes, and the
    input size (H, W, C) the file asks for. Shapes are worked out for the file's fixed input
    or, when it takes any size, for ``image_hw``. Raises ModelFileError only."""
    path = check_model_file(path)
    keras = _keras()
    model = _load(path)
    chain = _chain(model, keras)
    height, width, channels = _input_size(model)
    hw = (height, width) if height and width else (image_hw or (None, None))
    shape = (1, *hw, channels)
    specs, names, rows, stopped = [], [], [], None
    for layer, why in chain:
        kind, spec = type(layer).__name__, None
        if not why and stopped is None:
            try:
                spec = layer_spec(layer)
                shape = _next_shape(spec, shape)
            except LayerSpecError as exc:
                spec, why = None, str(exc)
        if spec is None:
            if stopped is None:
                stopped = f"{layer.name} ({kind})"
            elif not why:
                why = f"it comes after {stopped}, which ConvScope does not run"
            shape = _keras_next_shape(layer, shape)
        else:
            specs.append(spec)
            names.append(layer.name)
        rows.append(FileLayer(layer.name, kind, tuple(shape), param_count(layer),
                              spec is not None, why))
    if not specs:
        first = rows[0] if rows else None
        reason = f": {first.name} ({first.kind}): {first.why}" if first else ""
        raise ModelFileError(f"{path.name} holds no layer ConvScope runs{reason}.")
    notes = [f"{path.name}: {len(specs)} of {len(rows)} layers run in ConvScope."]
    if stopped is not None:
        notes.append(f"It stops at {stopped}; that layer and the ones after it are listed, "
                     f"greyed, with why.")
    if channels is None:  # the first conv says what the input must have
        channels = next((spec.channels for spec in specs if spec.kind == "Conv2D"), None)
    return LoadedModel(path.name, ModelSpec(tuple(specs), _unique(names)), tuple(rows),
                       (height, width, channels), tuple(notes), _total_params(model))


def _total_params(model) -> int:
    try:
        return int(model.count_params())
    except ValueError:
        return 0


def save_model_file(path: str | Path, model: ModelSpec,
                    input_size: tuple = (None, None, 1)) -> None:
    """Write ``model`` as a keras.Sequential with its weights to ``path`` (.keras), whose
    input takes ``input_size`` (H, W, C; None: any size). Atomic: a failure leaves any
    earlier file intact. Raises SaveError only."""
    path = Path(path)
    if path.suffix.lower() != ".keras":
        raise SaveError(f"ConvScope saves Keras models as .keras files; name it "
                        f"{path.stem}.keras.")
    keras = _keras()
    from engine.backend.keras_model import keras_layer

    try:
        layers = [keras_layer(spec, name) for spec, name in zip(model.layers,
                                                                model.layer_names())]
        sequential = keras.Sequential([keras.Input(shape=tuple(input_size)), *layers])
        for layer, spec in zip(layers, model.layers):
            if spec.kind == "Conv2D":
                layer.set_weights([spec.kernel, spec.bias] if spec.use_bias else [spec.kernel])
        with tempfile.TemporaryDirectory(prefix="convscope-save-") as folder:
            temporary = os.path.join(folder, "model.keras")
            sequential.save(temporary)
            data = Path(temporary).read_bytes()
    except (LayerSpecError, ValueError, TypeError, OSError) as exc:
        raise SaveError(f"Keras could not write the model ({type(exc).__name__}: "
                        f"{str(exc)[:200]}).") from None
    atomic_write_bytes(path, data)
