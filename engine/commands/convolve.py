"""The headless ``convolve`` command: the same Keras layer as the window, for scripts and tests.

Prints the output shape on the first line of stdout, e.g. ``(1, 255, 510, 1)``, once the
outputs are saved. Bad input, a failed save or too little memory exits 1 with one
``error: ...`` line on stderr (and no shape); usage mistakes exit 2 (argparse). Outputs never
replace a file the command reads.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from engine.images.display import MAPPINGS, render
from engine.images.loading import COLOR_MODES, ImageLoadError, load_image
from engine.kernels.edits import to_channels
from engine.kernels.text import parse_kernel
from engine.model.spec import (
    ACTIVATIONS,
    ConvSpec,
    ConvSpecError,
    format_shape,
    output_shape,
    validate,
)
from engine.storage.atomic import SaveError, atomic_write_bytes, save_npy, save_png
from engine.storage.paths import same_file, shown_name
from engine.teaching.codegen import keras_script

OUTPUT_SUFFIXES = (".npy", ".png")


class OutOfMemory(Exception):
    """Too little memory for a step; the message names the size that did not fit."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="convscope convolve",
        description="Run an image through a real Keras Conv2D and report the output shape.")
    parser.add_argument("image", help="image file (any format Pillow reads)")
    parser.add_argument("--kernel", default="1 1 1; 1 1 1; 1 1 1",
                        help='rows separated by ";", values by spaces or commas '
                             '(default: "1 1 1; 1 1 1; 1 1 1")')
    parser.add_argument("--strides", nargs=2, type=int, default=(1, 1), metavar=("SH", "SW"))
    parser.add_argument("--padding", choices=("valid", "same"), default="valid")
    parser.add_argument("--dilation", nargs=2, type=int, default=(1, 1), metavar=("DH", "DW"))
    parser.add_argument("--bias", type=float, default=0.0)
    parser.add_argument("--activation", choices=ACTIVATIONS, default="linear")
    parser.add_argument("--color", choices=COLOR_MODES, default="gray",
                        help="gray: one channel (Pillow 'L'); rgb: three channels, the kernel "
                             "applied to each and summed (default: gray)")
    parser.add_argument("--display", choices=MAPPINGS, default="auto",
                        help="how -o OUT.png maps values to colours (default: auto, "
                             "min black, max white)")
    parser.add_argument("--emit-code", type=Path, metavar="FILE.py",
                        help="also write the Keras script that reproduces this output")
    parser.add_argument("-o", "--output", type=Path,
                        help="save the raw float32 output (.npy) or the displayed image (.png)")
    return parser


def run(args: argparse.Namespace) -> tuple[int, ...]:
    """Do the work; raises the project's own errors for bad input."""
    if args.output is not None and args.output.suffix.lower() not in OUTPUT_SUFFIXES:
        raise SaveError(f"-o must end in .npy or .png, not {args.output.name!r}.")
    _refuse_overwriting_inputs(args)
    channels = 3 if args.color == "rgb" else 1
    spec = ConvSpec(kernel=to_channels(parse_kernel(args.kernel), channels),
                    strides=tuple(args.strides), padding=args.padding,
                    dilation=tuple(args.dilation), bias=args.bias, activation=args.activation)
    validate(spec)  # refuse bad settings before paying for the TensorFlow import
    image = load_image(args.image, color=args.color)
    validate(spec, image.hw, image.channels)
    if args.emit_code is not None:
        script = keras_script(spec, str(Path(args.image).resolve()), args.color)
        atomic_write_bytes(args.emit_code, script.encode("utf-8"))

    from engine.backend.keras_model import convolve  # imports TensorFlow

    try:
        output = convolve(image, spec)
    except Exception as exc:
        if not _is_out_of_memory(exc):
            raise
        shape = output_shape(image.hw, spec)
        raise OutOfMemory(f"not enough memory to compute the output {format_shape(shape)} "
                          f"({_megabytes(shape)} as float32) from the {image.hw[0]} x "
                          f"{image.hw[1]} image: close other programs, or use a smaller "
                          f"image or larger strides.") from None
    _save_output(args, output)  # before the shape: a failed save must not look like success
    print(format_shape(output.shape), flush=True)
    return output.shape


def _refuse_overwriting_inputs(args: argparse.Namespace) -> None:
    """-o and --emit-code never replace the image this command reads, nor each other."""
    taken = [(args.image, "the input image: ConvScope never overwrites a file the command "
                          "reads")]
    for flag, path in (("-o", args.output), ("--emit-code", args.emit_code)):
        if path is None:
            continue
        for other, what in taken:
            if same_file(path, other):
                raise SaveError(f"{flag} {shown_name(path)} is {what}; choose another name.")
        taken.append((path, f"also the file {flag} writes"))


def _save_output(args: argparse.Namespace, output) -> None:
    if args.output is None:
        return
    try:
        if args.output.suffix.lower() == ".npy":
            save_npy(args.output, output)
        else:
            save_png(args.output, render(output[0, :, :, 0], args.display))
    except MemoryError:
        raise OutOfMemory(f"not enough memory to save the output {format_shape(output.shape)} "
                          f"({_megabytes(output.shape)} as float32) as "
                          f"{shown_name(args.output)}: close other programs.") from None


def _is_out_of_memory(exc: BaseException) -> bool:
    """NumPy's MemoryError, or TensorFlow's ResourceExhaustedError (named, not imported)."""
    return isinstance(exc, MemoryError) or any(
        cls.__name__ == "ResourceExhaustedError" for cls in type(exc).__mro__)


def _megabytes(shape: tuple[int, ...]) -> str:
    return f"{4 * int(np.prod(shape, dtype=np.int64)) / 1e6:,.0f} MB"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        run(args)
    except (ConvSpecError, ImageLoadError, SaveError, OutOfMemory) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ImportError as exc:  # TensorFlow or Keras missing or broken
        print(f"error: the Keras engine is unavailable ({exc}); install it with "
              f"'pip install tensorflow-cpu' (macOS: 'pip install tensorflow').", file=sys.stderr)
        return 1
    except MemoryError:
        print("error: not enough memory for this image and these settings: close other "
              "programs, or use a smaller image.", file=sys.stderr)
        return 1
    except Exception as exc:  # the promise is one line, never a traceback
        print(f"error: unexpected failure: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0
