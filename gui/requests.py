"""The messages that travel between the GUI thread and the engine worker.

Plain immutable values: the GUI never shares a mutable object with the worker.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from engine.images.display import ValueSummary, summarize
from engine.images.loading import LoadedImage
from engine.model.spec import ConvSpec


@dataclass(frozen=True, eq=False)
class ConvRequest:
    request_id: int
    image: LoadedImage
    spec: ConvSpec
    created_at: float = field(default_factory=time.perf_counter)  # perf_counter seconds


@dataclass(frozen=True)
class Timeline:
    """perf_counter times of one request's way to the screen: where an edit's latency goes
    (``make bench`` reports the steps)."""

    requested: float  # the state changed and the request was made (GUI thread)
    started: float  # the worker took it
    computed: float  # the engine's answer arrived
    summarized: float  # range and histogram done; the result is sent to the GUI thread


@dataclass(frozen=True, eq=False)
class ConvResult:
    request_id: int
    image: LoadedImage
    spec: ConvSpec
    output: np.ndarray  # float32, (1, H_out, W_out, 1), straight from the layer
    seconds: float  # the engine's whole turn for this request, as the worker saw it
    layer_seconds: float = 0.0  # of which the bare ``layer(x)`` call itself
    summary: ValueSummary | None = None  # range and histogram, computed on the worker thread
    timeline: Timeline | None = None  # when each step happened, for the benchmark

    @property
    def values(self) -> np.ndarray:
        """The (H_out, W_out) plane the views show."""
        return self.output[0, :, :, 0]

    def value_summary(self) -> ValueSummary:
        return self.summary if self.summary is not None else summarize(self.values)


@dataclass(frozen=True)
class ConvFailure:
    request_id: int
    message: str
