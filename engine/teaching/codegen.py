"""The runnable Keras script that reproduces what ConvScope shows.

The script loads the image with the same Pillow steps as ``engine.images.load_image`` (first
frame, EXIF rotation, transparency on white, 16-bit and float values as stored, NaN and
infinity as 0, "L" or "RGB", float32, unscaled) in a short function of its own, so it runs
without ConvScope installed; it builds the same ``keras.layers.Conv2D``, sets the exact
weights and bias as literals, calls ``layer(x)`` and saves the output to the .npy file named
on its command line. Weights are written with the shortest text that reads back to the same
float32, so the script's output equals the app's.
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


def _loading_lines(image_path: str | None, color: str) -> list[str]:
    path = repr(str(image_path)) if image_path else repr("IMAGE.png")
    note = [] if image_path else ["# This image was not opened from a file: put its path here."]
    channel = ["x = x[:, :, np.newaxis]  # one channel: (H, W, 1)"] if color == "gray" else []
    return [*_loader_lines(color),
            "",
            "",
            *note,
            f"x = load_image({path})",
            *channel,
            "x = x[np.newaxis]  # NHWC: (1, H, W, channels)"]


def keras_script(model: ModelSpec, image_path: str | None, color: str = "gray") -> str:
    """The complete script for ``model`` (one Conv2D) applied to the image at
    ``image_path``."""
    spec = model.layers[0]
    channels = "1 channel" if spec.channels == 1 else f"{spec.channels} channels"
    filters = "1 filter" if spec.filters == 1 else f"{spec.filters} filters"
    lines = [
        '"""Reproduces a ConvScope output with a real Keras Conv2D.',
        "",
        "Usage: python THIS_FILE.py [OUT.npy]",
        '"""',
        "import os",
        "import sys",
        "",
        'os.environ.setdefault("KERAS_BACKEND", "tensorflow")',
        'os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")',
        "",
        "import keras",
        "import numpy as np",
        "from PIL import Image, ImageOps",
        "",
        "",
        *_loading_lines(image_path, color),
        "",
        "layer = keras.layers.Conv2D(",
        f"    filters={spec.filters}, kernel_size={spec.kernel_size}, strides={spec.strides},",
        f"    padding={spec.padding!r}, dilation_rate={spec.dilation},",
        f"    activation={spec.activation!r}, use_bias=True)",
        f"layer.build((None, None, None, {spec.channels}))  # {channels} in, {filters} out",
        "",
        f"# Keras stores the kernel as (rows, cols, in_channels, filters) = "
        f"{format_shape(spec.weights_shape)}",
        *_kernel_lines(spec),
        f"bias = np.array({_bias_literal(spec)}, dtype=np.float32)  # shape ({spec.filters},)",
        "layer.set_weights([kernel, bias])",
        "",
        "y = keras.ops.convert_to_numpy(layer(keras.ops.convert_to_tensor(x)))",
        "print(tuple(int(v) for v in y.shape))  # NHWC: (1, H_out, W_out, filters)",
        "if len(sys.argv) > 1:",
        "    np.save(sys.argv[1], y.astype(np.float32))",
        "",
    ]
    return "\n".join(lines)
