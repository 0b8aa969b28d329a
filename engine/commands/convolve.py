"""The headless ``convolve`` command: the same Keras layer as the window, for scripts and tests.

Prints the output shape on the first line of stdout, e.g. ``(1, 255, 510, 1)`` or, with four
filters, ``(1, 510, 510, 4)``, once the outputs are saved. With ``--model M.keras`` it runs the
part of a saved Keras model ConvScope runs and prints, after the final shape, one line per
layer: ``name (Type): (1, H, W, C)``. Bad input, a failed save or too little memory exits 1
with one ``error: ...`` line on stderr (and no shape); usage mistakes exit 2 (argparse).
Outputs never replace a file the command reads.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np

from engine.arithmetic.sizes import format_shape
from engine.commands.reporting import run_reporting
from engine.images.display import MAPPINGS, render, render_grid
from engine.images.loading import COLOR_MODES, ImageLoadError, load_image
from engine.images.resize import fit_to_input
from engine.kernels.files import KernelFileError, load_weights_npy
from engine.kernels.text import parse_kernel
from engine.model.conv import ACTIVATIONS, MAX_FILTERS, ConvSpec, check_conv
from engine.model.errors import LayerSpecError
from engine.model.loaded import ModelFileError
from engine.model.network import ModelSpec, single_conv
from engine.storage.atomic import SaveError, atomic_write_bytes, save_npy, save_png
from engine.storage.paths import same_file, shown_name
from engine.teaching.codegen import keras_script

DEFAULT_KERNEL = "1 1 1; 1 1 1; 1 1 1"
OUTPUT_SUFFIXES = (".npy", ".npz", ".png")


class OutOfMemory(Exception):
    """Too little memory for a step; the message names the size that did not fit."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="convscope convolve",
        description="Run an image through a real Keras Conv2D and report the output shape.")
    parser.add_argument("image", help="image file (any format Pillow reads)")
    parser.add_argument("--kernel", action="append", metavar="K",
                        help='one filter: rows separated by ";", values by spaces or commas '
                             f'(default: "{DEFAULT_KERNEL}"); give it several times for '
                             'several filters, all of one size')
    parser.add_argument("--weights", type=Path, metavar="W.npy",
                        help="the kernel in Keras layout (rows, cols, channels, filters) from "
                             "a .npy file, instead of --kernel (channels must match --color)")
    parser.add_argument("--strides", nargs=2, type=int, default=(1, 1), metavar=("SH", "SW"))
    parser.add_argument("--padding", choices=("valid", "same"), default="valid")
    parser.add_argument("--dilation", nargs=2, type=int, default=(1, 1), metavar=("DH", "DW"))
    parser.add_argument("--bias", type=float, nargs="+", default=[0.0], metavar="B",
                        help="one bias for every filter, or one per filter (default: 0)")
    parser.add_argument("--activation", choices=ACTIVATIONS, default="linear")
    parser.add_argument("--model", type=Path, metavar="M.keras",
                        help="run a saved Keras model (.keras or .h5) instead of one Conv2D: "
                             "its layers up to the first one ConvScope does not run")
    parser.add_argument("--color", choices=COLOR_MODES, default=None,
                        help="gray: one channel (Pillow 'L'); rgb: three channels, the kernel "
                             "applied to each and summed (default: gray, or what --model's "
                             "input has)")
    parser.add_argument("--display", choices=MAPPINGS, default="auto",
                        help="how -o OUT.png maps values to colours (default: auto, "
                             "min black, max white)")
    parser.add_argument("--emit-code", type=Path, metavar="FILE.py",
                        help="also write the Keras script that reproduces this output")
    parser.add_argument("-o", "--output", type=Path,
                        help="save the raw float32 output (.npy, shape (1, H, W, filters)), "
                             "every layer's output by layer name (.npz) or the displayed image "
                             "(.png; every feature map side by side when there are several "
                             "filters)")
    return parser


def layer_from_args(args: argparse.Namespace) -> ConvSpec:
    """The Conv2D the arguments describe; LayerSpecError or KernelFileError for any mismatch
    (ragged kernels, wrong channels, wrong number of biases, too many filters)."""
    channels = 3 if args.color == "rgb" else 1
    if args.weights is not None:
        if args.kernel:
            raise LayerSpecError("Give the kernel either with --kernel or with --weights, "
                                 "not both.")
        kernel = load_weights_npy(args.weights)
        if kernel.shape[2] != channels:
            raise LayerSpecError(
                f"{args.weights.name} has {kernel.shape[2]} input channel(s) but --color "
                f"{args.color} gives the layer {channels}.")
    else:
        planes = [parse_kernel(text) for text in (args.kernel or [DEFAULT_KERNEL])]
        sizes = {plane.shape for plane in planes}
        if len(sizes) > 1:
            raise LayerSpecError(
                "Every --kernel must have the same size (a layer's filters share one kernel "
                f"size), not {', '.join(f'{r}x{c}' for r, c in (p.shape for p in planes))}.")
        kernel = np.repeat(np.stack(planes, axis=-1)[:, :, None, :], channels, axis=2)
    filters = kernel.shape[3]
    if filters > MAX_FILTERS:
        raise LayerSpecError(f"{filters} filters: ConvScope shows at most {MAX_FILTERS}.")
    if len(args.bias) not in (1, filters):
        raise LayerSpecError(f"--bias takes one value, or one per filter ({filters}), not "
                             f"{len(args.bias)}.")
    bias = args.bias[0] if len(args.bias) == 1 else np.array(args.bias, np.float32)
    spec = ConvSpec(kernel=kernel, strides=tuple(args.strides), padding=args.padding,
                    dilation=tuple(args.dilation), bias=bias, activation=args.activation)
    check_conv(spec)  # refuse bad settings before paying for the TensorFlow import
    return spec


def model_from_file(args: argparse.Namespace):
    """The model of --model, the colour mode its input needs, the image fitted to it and the
    input size the model fixes (or None)."""
    if args.kernel or args.weights is not None:
        raise LayerSpecError("Give either --model or --kernel / --weights, not both.")
    from engine.backend.keras_files import load_model_file  # imports TensorFlow

    loaded = load_model_file(args.model)
    wanted = {1: "gray", 3: "rgb"}.get(loaded.channels)
    if wanted is None:
        raise LayerSpecError(f"{loaded.source} expects {loaded.channels} input channels; "
                             f"ConvScope feeds 1 (gray) or 3 (rgb).")
    if args.color is not None and args.color != wanted:
        raise LayerSpecError(f"{loaded.source} expects {loaded.channels} input channel(s): "
                             f"use --color {wanted}.")
    original = load_image(args.image, color=wanted)
    image = fit_to_input(original, loaded.fixed_hw)
    for note in (*loaded.notes, *image.notes[len(original.notes):]):
        print(f"note: {note}", file=sys.stderr)
    return loaded.model, wanted, image, loaded.fixed_hw


def save_output(path: Path, model: ModelSpec, outputs: list[np.ndarray], display: str) -> None:
    suffix = path.suffix.lower()
    if suffix == ".npy":
        save_npy(path, outputs[-1])
    elif suffix == ".npz":
        buffer = io.BytesIO()
        np.savez(buffer, **dict(zip(model.layer_names(), outputs)))
        atomic_write_bytes(path, buffer.getvalue())
    else:
        last = outputs[-1]
        maps = [render(last[0, :, :, f], display) for f in range(last.shape[3])]
        save_png(path, maps[0] if len(maps) == 1 else render_grid(maps))


def run(args: argparse.Namespace) -> tuple[int, ...]:
    """Do the work; raises the project's own errors for bad input."""
    if args.output is not None and args.output.suffix.lower() not in OUTPUT_SUFFIXES:
        raise SaveError(f"-o must end in .npy, .npz or .png, not {args.output.name!r}.")
    _refuse_overwriting_inputs(args)
    if args.model is not None:
        model, color, image, fixed = model_from_file(args)
    else:
        args.color = color = args.color or "gray"
        model, fixed = single_conv(layer_from_args(args)), None
        image = load_image(args.image, color=color)
    model.check(image.nhwc_shape)
    if args.emit_code is not None:
        script = keras_script(model, str(Path(args.image).resolve()), color, fixed)
        atomic_write_bytes(args.emit_code, script.encode("utf-8"))

    from engine.backend.keras_model import run_model  # imports TensorFlow

    try:
        outputs = run_model(image, model)
    except Exception as exc:
        if not _is_out_of_memory(exc):
            raise
        shape = model.output_shapes(image.nhwc_shape)[-1]
        raise OutOfMemory(f"not enough memory to compute the output {format_shape(shape)} "
                          f"({_megabytes(shape)} as float32) from the {image.hw[0]} x "
                          f"{image.hw[1]} image: close other programs, or use a smaller "
                          f"image or larger strides.") from None
    if args.output is not None:  # before the shape: a failed save must not look like success
        _save_output(args.output, model, outputs, args.display)
    print(format_shape(outputs[-1].shape), flush=True)
    if args.model is not None:
        for name, spec, output in zip(model.layer_names(), model.layers, outputs):
            print(f"{name} ({spec.kind}): {format_shape(output.shape)}", flush=True)
    return outputs[-1].shape


def _refuse_overwriting_inputs(args: argparse.Namespace) -> None:
    """-o and --emit-code never replace a file this command reads, nor each other."""
    reads = "ConvScope never overwrites a file the command reads"
    taken = [(args.image, f"the input image: {reads}")]
    for path, what in ((args.weights, "the weights file"), (args.model, "the model file")):
        if path is not None:
            taken.append((path, f"{what}: {reads}"))
    for flag, path in (("-o", args.output), ("--emit-code", args.emit_code)):
        if path is None:
            continue
        for other, what in taken:
            if same_file(path, other):
                raise SaveError(f"{flag} {shown_name(path)} is {what}; choose another name.")
        taken.append((path, f"also the file {flag} writes"))


def _save_output(path: Path, model: ModelSpec, outputs: list[np.ndarray], display: str) -> None:
    try:
        save_output(path, model, outputs, display)
    except MemoryError:
        last = outputs[-1]
        raise OutOfMemory(f"not enough memory to save the output {format_shape(last.shape)} "
                          f"({_megabytes(last.shape)} as float32) as {shown_name(path)}: close "
                          f"other programs.") from None


def _is_out_of_memory(exc: BaseException) -> bool:
    """NumPy's MemoryError, or TensorFlow's ResourceExhaustedError (named, not imported)."""
    return isinstance(exc, MemoryError) or any(
        cls.__name__ == "ResourceExhaustedError" for cls in type(exc).__mro__)


def _megabytes(shape: tuple[int, ...]) -> str:
    return f"{4 * int(np.prod(shape, dtype=np.int64)) / 1e6:,.0f} MB"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_reporting(lambda: run(args), (LayerSpecError, KernelFileError, ImageLoadError,
                                             SaveError, ModelFileError, OutOfMemory))
