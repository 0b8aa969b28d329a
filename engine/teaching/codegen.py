"""The runnable Keras script that reproduces what ConvScope shows.

The script loads the image with the same Pillow steps as ``engine.images.load_image`` (first
frame, EXIF rotation, transparency on white, 16-bit and float values as stored, NaN and
infinity as 0, "L" or "RGB", float32, unscaled) in a short function of its own, so it runs
without ConvScope installed; it builds the same ``keras.layers.Conv2D``, sets the exact
weights and bias as literals, calls ``layer(x)`` and saves the output to the .npy file named
on its command line. A stack of layers becomes a ``keras.Sequential`` with every weight, and
a loop that calls each layer in turn and prints its output shape (``OUT.npz`` saves every
layer's output by name). Weights are written with the shortest text that reads back to the
same float32, so the script's output equals the app's.
"""

from __future__ import annotations

import numpy as np

from engine.arithmetic.sizes import format_shape
from engine.images.loading import WIDE_MODES
from engine.kernels.edits import channels_identical
from engine.model.conv import ConvSpec
from engine.model.network import ModelSpec


def float_literal(value: float) -> str:
    """The shortest decimal that converts back to exactly this float32."""
    text = np.format_float_positional(np.float32(value), unique=True, trim="-")
    return "0" if text in ("0", "-0") else text


def plane_literal(plane: np.ndarray) -> str:
    """A (rows, cols) kernel as nested lists, one row per line, as the table shows it."""
    rows = ["    [" + ", ".join(float_literal(v) for v in row) + "],"
            for row in np.asarray(plane, np.float32)]
    return "[\n" + "\n".join(rows) + "\n]"


def _kernel_lines(spec: ConvSpec) -> list[str]:
    """The (kh, kw, C, F) kernel as one literal plane per filter (and per input channel
    where the channels differ), in Keras's own layout."""
    names = "RGB" if spec.channels == 3 else [str(c) for c in range(spec.channels)]
    lines = [f"kernel = np.zeros({format_shape(spec.weights_shape)}, dtype=np.float32)  "
             f"# (rows, cols, in_channels, filters)"]
    for f in range(spec.filters):
        block = spec.kernel[:, :, :, f]
        if channels_identical(block):
            every = " on every input channel" if spec.channels > 1 else ""
            lines.append(f"kernel[:, :, :, {f}] = np.array({plane_literal(block[:, :, 0])})"
                         f"[:, :, np.newaxis]  # filter {f}{every}")
            continue
        for c in range(spec.channels):
            lines.append(f"kernel[:, :, {c}, {f}] = {plane_literal(block[:, :, c])}  "
                         f"# filter {f}, channel {names[c]}")
    return lines


def _bias_literal(spec: ConvSpec) -> str:
    return "[" + ", ".join(float_literal(b) for b in spec.bias) + "]"


def _loader_lines(color: str) -> list[str]:
    """``engine.images.load_image`` as a short function a student can read: the same Pillow
    steps in the same order, without the app's error messages and notes."""
    wide_modes = "(" + ", ".join(f'"{mode}"' for mode in WIDE_MODES) + ")"
    if color == "rgb":
        shape = "(H, W, 3)"
        wide_return = ("return np.repeat(x[:, :, np.newaxis], 3, axis=2)  "
                       "# one channel into R, G and B")
        to_8_bit = ['return np.asarray(image.convert("RGB"), dtype=np.float32)  '
                    '# 0-255, unscaled']
    else:
        shape, wide_return = "(H, W)", "return x"
        to_8_bit = ['if image.mode not in ("1", "L"):  # palette, CMYK, LAB...: through RGB',
                    '    image = image.convert("RGB")',
                    'return np.asarray(image.convert("L"), dtype=np.float32)  # 0-255, unscaled']
    return [
        "def load_image(path):",
        f'    """The float32 pixels {shape} the layer sees, loaded as ConvScope loads them."""',
        "    # From a file handle, not the name: Pillow misreads rotated raw TIFFs by name.",
        '    with open(path, "rb") as handle, Image.open(handle) as image:',
        "        image.load()  # a multi-frame file (GIF, TIFF pages) gives its first frame",
        "        image = ImageOps.exif_transpose(image)  # upright, as the EXIF tag says",
        f"        if image.mode in {wide_modes}:",
        "            # 16-bit, 32-bit and float images keep their stored values, not 0-255",
        "            x = np.asarray(image, dtype=np.float32)",
        "            x = np.where(np.isfinite(x), x, np.float32(0))  # NaN and infinity become 0",
        f"            {wide_return}",
        '        if image.mode in ("RGBA", "RGBa", "LA", "La", "PA") or (',
        '                image.mode in ("P", "L", "RGB", "1") and "transparency" in image.info):',
        "            # Transparent pixels have no value of their own: composited on white",
        '            white = Image.new("RGBA", image.size, (255, 255, 255, 255))',
        '            image = Image.alpha_composite(white, image.convert("RGBA"))',
        *("        " + line for line in to_8_bit),
    ]


#: ``engine.images.resize.fit_to_input`` for the script: a model with a fixed input size.
_FIT_LINES = [
    "def fit_to_input(x, height, width):",
    '    """Resized as ConvScope does for a model whose input has a fixed size: bilinear, each',
    '    channel on its own, values kept in their range."""',
    "    if x.shape[:2] == (height, width):",
    "        return x",
    "    planes = [x] if x.ndim == 2 else [x[:, :, c] for c in range(x.shape[2])]",
    '    planes = [np.asarray(Image.fromarray(p.astype(np.float32), "F").resize(',
    "        (width, height), Image.Resampling.BILINEAR), np.float32) for p in planes]",
    "    return planes[0] if x.ndim == 2 else np.stack(planes, axis=2)",
]


def _loading_lines(image_path: str | None, color: str,
                   fixed_hw: tuple[int, int] | None = None) -> list[str]:
    path = repr(str(image_path)) if image_path else repr("IMAGE.png")
    note = [] if image_path else ["# This image was not opened from a file: put its path here."]
    channel = ["x = x[:, :, np.newaxis]  # one channel: (H, W, 1)"] if color == "gray" else []
    fit = ["", "", *_FIT_LINES] if fixed_hw else []
    resize = [f"x = fit_to_input(x, {fixed_hw[0]}, {fixed_hw[1]})  # the model's input size"
              ] if fixed_hw else []
    return [*_loader_lines(color),
            *fit,
            "",
            "",
            *note,
            f"x = load_image({path})",
            *resize,
            *channel,
            "x = x[np.newaxis]  # NHWC: (1, H, W, channels)"]


def _header(usage: str, title: str) -> list[str]:
    return [f'"""{title}', "", f"Usage: python THIS_FILE.py {usage}", '"""', "import os",
            "import sys", "", 'os.environ.setdefault("KERAS_BACKEND", "tensorflow")',
            'os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")', "", "import keras",
            "import numpy as np", "from PIL import Image, ImageOps", "", ""]


def layer_literal(spec, name: str) -> str:
    """The Keras constructor of one layer spec, e.g. ``keras.layers.ReLU(name="re_lu")``."""
    kind = spec.kind
    if kind == "Conv2D":
        return (f"keras.layers.Conv2D(filters={spec.filters}, kernel_size={spec.kernel_size}, "
                f"strides={spec.strides}, padding={spec.padding!r}, "
                f"dilation_rate={spec.dilation}, activation={spec.activation!r}, "
                f"use_bias={spec.use_bias}, name={name!r})")
    if kind == "ReLU":
        return f"keras.layers.ReLU(name={name!r})"
    if kind == "Activation":
        return f"keras.layers.Activation({spec.activation!r}, name={name!r})"
    if kind.endswith("Pooling2D"):
        return (f"keras.layers.{kind}(pool_size={spec.pool_size}, strides={spec.step}, "
                f"padding={spec.padding!r}, name={name!r})")
    if kind == "Rescaling":
        return (f"keras.layers.Rescaling({float_literal(spec.scale)}, "
                f"{float_literal(spec.offset)}, name={name!r})")
    config = {key: value for key, value in spec.settings().items() if key != "name"}
    return f"keras.layers.{kind}.from_config({{**{config!r}, 'name': {name!r}}})"


def _stack_script(model: ModelSpec, image_path: str | None, color: str,
                  fixed_hw: tuple[int, int] | None) -> str:
    channels = 3 if color == "rgb" else 1
    height, width = fixed_hw or (None, None)
    names = model.layer_names()
    lines = [*_header("[OUT.npy | OUT.npz]",
                      "Reproduces a ConvScope stack of layers with a real keras.Sequential."),
             *_loading_lines(image_path, color, fixed_hw), "",
             "model = keras.Sequential([",
             f"    keras.Input(shape=({height}, {width}, {channels})),",
             *(f"    {layer_literal(spec, name)}," for spec, name in zip(model.layers, names)),
             "])"]
    for spec, name in zip(model.layers, names):
        if spec.kind != "Conv2D":
            continue
        lines += ["", f"# {name}: Keras stores the kernel as (rows, cols, in_channels, filters) "
                  f"= {format_shape(spec.weights_shape)}", *_kernel_lines(spec)]
        if spec.use_bias:
            lines += [f"bias = np.array({_bias_literal(spec)}, dtype=np.float32)  "
                      f"# shape ({spec.filters},)",
                      f"model.get_layer({name!r}).set_weights([kernel, bias])"]
        else:
            lines.append(f"model.get_layer({name!r}).set_weights([kernel])  # no bias")
    lines += [
        "",
        "# Every layer in turn, as at inference: its output and its shape (NHWC)",
        "y = keras.ops.convert_to_tensor(x)",
        "outputs = {}",
        "for layer in model.layers:",
        "    y = layer(y, training=False)",
        "    outputs[layer.name] = keras.ops.convert_to_numpy(y).astype(np.float32)",
        '    print(f"{layer.name} ({type(layer).__name__}): {tuple(int(v) for v in y.shape)}")',
        "last = outputs[model.layers[-1].name]",
        "print(tuple(int(v) for v in last.shape))  # the final output: (1, H, W, C)",
        "if len(sys.argv) > 1:",
        '    if sys.argv[1].endswith(".npz"):',
        "        np.savez(sys.argv[1], **outputs)  # every layer's output, by its name",
        "    else:",
        "        np.save(sys.argv[1], last)",
        "",
    ]
    return "\n".join(lines)


def keras_script(model: ModelSpec, image_path: str | None, color: str = "gray",
                 fixed_hw: tuple[int, int] | None = None) -> str:
    """The complete script for ``model`` applied to the image at ``image_path``: one Conv2D
    as a layer of its own, any other stack as a keras.Sequential. ``fixed_hw``: the input
    size a loaded model fixes (the image is resized to it, as the app does)."""
    if len(model) > 1 or model.layers[0].kind != "Conv2D" or fixed_hw:
        return _stack_script(model, image_path, color, fixed_hw)
    spec = model.layers[0]
    channels = "1 channel" if spec.channels == 1 else f"{spec.channels} channels"
    filters = "1 filter" if spec.filters == 1 else f"{spec.filters} filters"
    lines = [
        *_header("[OUT.npy]", "Reproduces a ConvScope output with a real Keras Conv2D."),
        *_loading_lines(image_path, color),
        "",
        "layer = keras.layers.Conv2D(",
        f"    filters={spec.filters}, kernel_size={spec.kernel_size}, strides={spec.strides},",
        f"    padding={spec.padding!r}, dilation_rate={spec.dilation},",
        f"    activation={spec.activation!r}, use_bias={spec.use_bias})",
        f"layer.build((None, None, None, {spec.channels}))  # {channels} in, {filters} out",
        "",
        f"# Keras stores the kernel as (rows, cols, in_channels, filters) = "
        f"{format_shape(spec.weights_shape)}",
        *_kernel_lines(spec),
        *([f"bias = np.array({_bias_literal(spec)}, dtype=np.float32)  # shape "
           f"({spec.filters},)", "layer.set_weights([kernel, bias])"] if spec.use_bias else
          ["layer.set_weights([kernel])  # no bias"]),
        "",
        "y = keras.ops.convert_to_numpy(layer(keras.ops.convert_to_tensor(x)))",
        "print(tuple(int(v) for v in y.shape))  # NHWC: (1, H_out, W_out, filters)",
        "if len(sys.argv) > 1:",
        "    np.save(sys.argv[1], y.astype(np.float32))",
        "",
    ]
    return "\n".join(lines)
