"""The headless ``learn`` command: train a Conv2D toward the output of a known kernel.

Starts from the untrained weights a fresh Keras Conv2D draws (GlorotUniform with ``--seed``,
bias 0), trains ``--steps`` full-image steps toward the output of ``--target-kernel`` on the
same image, and prints ``loss L`` (the loss of the learned weights) on the first line, then
the learned kernel's rows and ``bias B``. With several ``--target-kernel`` the layer has that
many filters: each filter's rows follow a ``filter F`` line. Bad input exits 1 with one
``error: ...`` line on stderr; usage mistakes exit 2 (argparse).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from engine.commands.reporting import run_reporting
from engine.formatting import format_number
from engine.images.loading import ImageLoadError, load_image
from engine.kernels.edits import keras_kernel
from engine.kernels.presets import random_kernel
from engine.kernels.text import parse_kernel
from engine.model.conv import MAX_FILTERS, ConvSpec, check_conv
from engine.model.errors import LayerSpecError
from engine.model.network import ModelSpec, single_conv
from engine.storage.atomic import SaveError, save_npy
from engine.storage.paths import same_file, shown_name
from engine.training.settings import LOSSES, MAX_STEPS, OPTIMIZERS, STEPS, TrainSettings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="convscope learn",
        description="Train a real Keras Conv2D until its output matches the output of a "
                    "target kernel on the same image, and print the learned kernel.")
    parser.add_argument("image", help="image file (any format Pillow reads), as one channel")
    parser.add_argument("--target-kernel", action="append", metavar="K", required=True,
                        help='the kernel to learn: rows separated by ";", values by spaces or '
                             'commas, e.g. "-1 -2 -1; 0 0 0; 1 2 1"; several for several '
                             'filters (all of one size)')
    parser.add_argument("--steps", type=int, default=STEPS,
                        help=f"optimizer steps, each on the whole image (default {STEPS})")
    parser.add_argument("--optimizer", choices=tuple(OPTIMIZERS), default="adam",
                        help="adam: keras.optimizers.Adam(amsgrad=True); sgd: "
                             "keras.optimizers.SGD (default adam)")
    parser.add_argument("--learning-rate", type=float, metavar="LR",
                        help="default: 1.0 for adam; for sgd 1e-6, or 0.1 with --scale-inputs")
    parser.add_argument("--loss", choices=tuple(LOSSES), default="mse",
                        help="mse: mean squared error; mae: mean absolute error (default mse)")
    parser.add_argument("--scale-inputs", action="store_true",
                        help="divide the pixels by 255 first (0-1 instead of 0-255)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the starting (glorot-uniform) weights (default 0)")
    parser.add_argument("--strides", nargs=2, type=int, default=(1, 1), metavar=("SH", "SW"))
    parser.add_argument("--padding", choices=("valid", "same"), default="valid")
    parser.add_argument("-o", "--output", type=Path, metavar="OUT.npy",
                        help="save the learned kernel, Keras layout (rows, cols, channels, "
                             "filters), float32")
    return parser


def models_from_args(args: argparse.Namespace) -> tuple[ModelSpec, ModelSpec, TrainSettings]:
    """(starting model, target model, settings); LayerSpecError for anything unusable."""
    planes = [parse_kernel(text) for text in args.target_kernel]
    if len({plane.shape for plane in planes}) > 1:
        raise LayerSpecError("Every --target-kernel must have the same size (a layer's "
                             "filters share one kernel size).")
    if len(planes) > MAX_FILTERS:
        raise LayerSpecError(f"{len(planes)} filters: ConvScope trains at most {MAX_FILTERS}.")
    if not 1 <= args.steps <= MAX_STEPS:
        raise LayerSpecError(f"--steps must be 1 to {MAX_STEPS:,}, not {args.steps}.")
    target_kernel = np.concatenate([keras_kernel(plane) for plane in planes], axis=3)
    target = ConvSpec(kernel=target_kernel, strides=tuple(args.strides), padding=args.padding)
    check_conv(target)  # refuse bad settings before paying for the TensorFlow import
    start = target.with_changes(
        kernel=random_kernel(target.kernel_size, 1, target.filters, args.seed), bias=0.0)
    settings = TrainSettings(args.loss, args.optimizer, args.learning_rate, args.scale_inputs)
    settings.check()
    return single_conv(start), single_conv(target), settings


def kernel_lines(spec: ConvSpec) -> list[str]:
    """The learned rows (one filter after another) and the bias line."""
    lines = []
    for f in range(spec.filters):
        if spec.filters > 1:
            lines.append(f"filter {f}")
        lines += [" ".join(format_number(v) for v in row) for row in spec.kernel[:, :, 0, f]]
    lines.append("bias " + " ".join(format_number(b) for b in spec.bias))
    return lines


def run(args: argparse.Namespace) -> ModelSpec:
    """Train and print; returns the learned model. Raises the project's own errors for bad
    input."""
    if args.output is not None and args.output.suffix.lower() != ".npy":
        raise SaveError(f"-o must end in .npy, not {shown_name(args.output)!r}.")
    if args.output is not None and same_file(args.output, args.image):
        raise SaveError(f"-o {shown_name(args.output)} is the input image; choose another "
                        f"name.")
    start, target, settings = models_from_args(args)
    image = load_image(args.image, color="gray")
    start.check(image.nhwc_shape)

    from engine.backend.keras_training import KerasTrainer, train_steps  # imports TensorFlow

    trainer = KerasTrainer(image.pixels[np.newaxis, :, :, np.newaxis], start, target, settings)
    train_steps(trainer, args.steps)
    learned = trainer.weights()
    loss, _ = trainer.current()
    if args.output is not None:
        save_npy(args.output, learned.layers[0].kernel)
    print(f"loss {loss:.6g}", flush=True)
    print("\n".join(kernel_lines(learned.layers[0])), flush=True)
    return learned


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_reporting(lambda: run(args), (LayerSpecError, ImageLoadError, SaveError))
