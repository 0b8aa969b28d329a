"""The headless ``convolve`` command: the same Keras layer as the window, for scripts and tests.

Prints the output shape on the first line of stdout, e.g. ``(1, 255, 510, 1)``. Bad input
exits 1 with one ``error: ...`` line on stderr; usage mistakes exit 2 (argparse).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.display import auto_levels, to_uint8
from engine.files import SaveError, save_npy, save_png
from engine.images import ImageLoadError, load_image
from engine.kernel_text import parse_kernel
from engine.spec import ConvSpec, ConvSpecError, format_shape, validate

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
    parser.add_argument("-o", "--output", type=Path,
                        help="save the raw float32 output (.npy) or the displayed image (.png)")
    return parser


def run(args: argparse.Namespace) -> tuple[int, ...]:
    """Do the work; raises the project's own errors for bad input."""
    if args.output is not None and args.output.suffix.lower() not in OUTPUT_SUFFIXES:
        raise SaveError(f"-o must end in .npy or .png, not {args.output.name!r}.")
    spec = ConvSpec(kernel=parse_kernel(args.kernel), strides=tuple(args.strides),
                    padding=args.padding, dilation=tuple(args.dilation), bias=args.bias)
    validate(spec)  # refuse bad settings before paying for the TensorFlow import
    image = load_image(args.image)
    validate(spec, image.hw, image.channels)

    from engine.keras_conv import convolve  # imports TensorFlow

    output = convolve(image, spec)
    print(format_shape(output.shape), flush=True)
    if args.output is not None:
        if args.output.suffix.lower() == ".npy":
            save_npy(args.output, output)
        else:
            save_png(args.output, to_uint8(output[0, :, :, 0], auto_levels(output)))
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
