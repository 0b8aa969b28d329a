"""What the window and the engine say to each other about training: plain immutable values,
pickled between the processes (the image itself travels as for any output, in shared memory).

The window sends a TrainRequest whenever the student acts (Start, Pause, Step, Reset, a new
target or setting, an edit); each carries everything the engine needs to start a run, so the
engine never depends on an earlier message having arrived. The engine answers with
TrainProgress reports, about fifteen a second while it trains, each carrying the newest
weights and the losses of the steps since the one before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.model.network import ModelSpec
from engine.training.gradient import GradientExplanation, WeightRef
from engine.training.settings import TrainSettings

#: What a request asks the engine to do.
RUN, PAUSE, STEP, RESET, STOP = "run", "pause", "step", "reset", "stop"
ACTIONS = (RUN, PAUSE, STEP, RESET, STOP)

#: How often a training engine reports (seconds): the window redraws from each report.
REPORT_EVERY_S = 1 / 15


@dataclass(frozen=True, eq=False)
class TrainRequest:
    """``session`` numbers one training run (a new target, image, loss, scaling or layer
    layout starts another, from ``model``'s weights); ``model`` holds the weights on screen.
    ``adopt``: the engine takes ``model``'s weights (a student's edit, or Reset); otherwise
    it keeps its own, which are newer than any report the window has shown."""

    request_id: int
    session: int
    action: str
    model: ModelSpec
    target: ModelSpec
    settings: TrainSettings
    watch: WeightRef = field(default_factory=WeightRef)
    steps: int = 1  # for STEP
    report_every: float = REPORT_EVERY_S
    adopt: bool = False


@dataclass(frozen=True, eq=False)
class TrainProgress:
    """One report. ``losses`` are those of steps ``first_step`` + 1 ... ``steps`` (the step
    count after the last of them); ``model`` the weights after ``steps`` steps."""

    request_id: int  # the newest request the engine had applied
    session: int
    steps: int
    first_step: int
    losses: np.ndarray
    model: ModelSpec
    running: bool
    steps_per_second: float = 0.0
    loss: float | None = None  # at ``model``'s weights (while running: the newest step's)
    explanation: GradientExplanation | None = None  # while running, about four a second
    target_output: np.ndarray | None = None  # sent once per session
    message: str = ""  # why training stopped (diverged, a setting Keras refused), or ""


def stop_request(request_id: int) -> TrainRequest:
    """End training and drop what the engine holds for it (the window closes, or its image
    changes)."""
    empty = ModelSpec()
    return TrainRequest(request_id, -1, STOP, empty, empty, TrainSettings())
