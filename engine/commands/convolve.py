"""The headless ``convolve`` command: the same Keras layer as the window, for scripts and tests.

Prints the output shape on the first line of stdout, e.g. ``(1, 255, 510, 1)``. Bad input
exits 1 with one ``error: ...`` line on stderr; usage mistakes exit 2 (argparse).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.images.display import MAPPINGS, render
from engine.images.loading import COLOR_MODES, ImageLoadError, load_image
from engine.kernels.edits import to_channels
from engine.kernels.text import parse_kernel
from engine.model.spec import ACTIVATIONS, ConvSpec, ConvSpecError, format_shape, validate
from engine.storage.atomic import SaveError, atomic_write_bytes, save_npy, save_png
from engine.teaching.codegen import keras_script

OUTPUT_SUFFIXES = (".npy", ".png")


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

    output = convolve(image, spec)
    print(format_shape(output.shape), flush=True)
    if args.output is not None:
        if args.output.suffix.lower() == ".npy":
            save_npy(args.output, output)
        else:
            save_png(args.output, render(output[0, :, :, 0], args.display))
    return output.shape


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        run(args)
    except (ConvSpecError, ImageLoadError, SaveError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ImportError as exc:  # TensorFlow or Keras missing or broken
        print(f"error: the Keras engine is unavailable ({exc}); install it with "
              f"'pip install tensorflow-cpu' (macOS: 'pip install tensorflow').", file=sys.stderr)
        return 1
    except Exception as exc:  # the promise is one line, never a traceback
        print(f"error: unexpected failure: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0
