"""How the layer is trained: the loss, the optimizer, its learning rate, and whether the pixels
are scaled to 0-1 first. Plain data, checked here, so the window and the command line refuse a
bad setting before TensorFlow is involved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from engine.model.errors import LayerSpecError

#: Loss name -> (Keras class in keras.losses, words for the student).
LOSSES = {
    "mse": ("MeanSquaredError", "mean squared error"),
    "mae": ("MeanAbsoluteError", "mean absolute error"),
}
#: Optimizer name -> (Keras class in keras.optimizers, words for the student).
OPTIMIZERS = {
    "adam": ("Adam", "Adam (AMSGrad)"),
    "sgd": ("SGD", "SGD (plain gradient descent)"),
}

#: Learning rates that work without tuning, per optimizer and input scaling (see NOTE).
#: Adam's step is about the learning rate in weight units whatever the pixels' scale; 1.0 with
#: AMSGrad recovers every 3x3 preset on the ascent photo within STEPS (the tests; measured from
#: GlorotUniform seeds 0 to 3: at most about 2,100 steps, 800 to 1,200 for Sobel Y).
#: SGD's safe rate shrinks with the square of the pixel scale: 1e-6 on 0-255, 0.1 on 0-1.
LEARNING_RATES = {("adam", False): 1.0, ("adam", True): 1.0,
                  ("sgd", False): 1e-6, ("sgd", True): 0.1}
#: Steps the command line runs by default: enough for every 3x3 preset on ascent with Adam.
STEPS = 3000
#: The largest learning rate accepted (beyond it every optimizer here diverges at once).
MAX_LEARNING_RATE = 100.0
#: The most steps one command may ask for.
MAX_STEPS = 1_000_000

#: The note under the scaling option, short enough for the Train tab (SCALE_NOTE is its tooltip).
SCALE_SHORT = ("Why it matters: on 0-255 pixels each gradient is about 65,000 times its size "
               "on 0-1, so SGD needs a rate near 1e-6 (0.1 after scaling); Adam adapts.")
#: Why unscaled pixels need a small rate, in full.
SCALE_NOTE = (
    "Pixels enter unscaled (0-255), as in the lesson. Each weight's gradient is a mean of "
    "(output error x pixel), and the output error itself grows with the pixels, so on 0-255 "
    "the gradient is about 255 x 255 = 65,025 times what it is on 0-1: plain SGD needs a "
    "learning rate near 1e-6 there or it blows up, and 0.1 after scaling to 0-1 (x / 255). "
    "Adam divides each step by the gradient's own size, so its rate (1.0) is a step in weight "
    "units either way.")

#: Why Adam runs with amsgrad=True, for the code and the README.
AMSGRAD_NOTE = ("amsgrad=True keeps the largest second moment seen, so a step never grows "
                "again once the gradients shrink: plain Adam at this rate jumps away from "
                "the answer after reaching it.")


def default_learning_rate(optimizer: str, scale_inputs: bool) -> float:
    return LEARNING_RATES[(optimizer, bool(scale_inputs))]


@dataclass(frozen=True)
class TrainSettings:
    """Loss, optimizer, learning rate, input scaling. ``learning_rate`` None: the default for
    the optimizer and scaling."""

    loss: str = "mse"
    optimizer: str = "adam"
    learning_rate: float | None = None
    scale_inputs: bool = False

    def __post_init__(self) -> None:
        if self.learning_rate is None:
            object.__setattr__(self, "learning_rate",
                               default_learning_rate(self.optimizer, self.scale_inputs)
                               if self.optimizer in OPTIMIZERS else 0.0)
        object.__setattr__(self, "learning_rate", float(self.learning_rate))
        object.__setattr__(self, "scale_inputs", bool(self.scale_inputs))

    def check(self) -> None:
        """Raise LayerSpecError, saying what to change, for a setting that cannot train."""
        if self.loss not in LOSSES:
            raise LayerSpecError(f"The loss must be one of {', '.join(LOSSES)}, not "
                                 f"{self.loss!r}.")
        if self.optimizer not in OPTIMIZERS:
            raise LayerSpecError(f"The optimizer must be one of {', '.join(OPTIMIZERS)}, "
                                 f"not {self.optimizer!r}.")
        rate = self.learning_rate
        if not math.isfinite(rate) or not 0 < rate <= MAX_LEARNING_RATE:
            raise LayerSpecError(f"The learning rate must be a number above 0 and at most "
                                 f"{MAX_LEARNING_RATE:g}, not {rate:g}.")

    def with_changes(self, **changes) -> TrainSettings:
        return replace(self, **changes)

    @property
    def loss_words(self) -> str:
        return LOSSES[self.loss][1]

    @property
    def optimizer_words(self) -> str:
        return OPTIMIZERS[self.optimizer][1]


def input_scale(pixel_max: float) -> float:
    """What "scale inputs to 0-1" divides by: 255 for 8-bit images, the largest value for
    images with a wider range (16-bit, float)."""
    return 255.0 if pixel_max <= 255 else float(pixel_max)
