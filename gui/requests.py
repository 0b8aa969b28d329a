"""The messages that travel between the GUI thread and the engine worker.

Plain immutable values: the GUI never shares a mutable object with the worker. A result
carries the model and image it was computed for, so every panel that explains it describes
exactly the output on screen, even while a newer edit is on its way.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from engine.images.display import ValueSummary, channel_ranges, levels_for_range, summarize
from engine.images.loading import LoadedImage
from engine.model.network import ModelSpec


@dataclass(frozen=True, eq=False)
class ModelRequest:
    request_id: int
    image: LoadedImage
    model: ModelSpec
    focus: tuple[int, int] = (0, 0)  # (layer, filter) on screen: summarized before sending
    created_at: float = field(default_factory=time.perf_counter)  # perf_counter seconds


@dataclass(frozen=True)
class Timeline:
    """perf_counter times of one request's way to the screen: where an edit's latency goes
    (``make bench`` reports the steps)."""

    requested: float  # the state changed and the request was made (GUI thread)
    started: float  # the worker took it
    computed: float  # the engine's answer arrived
    summarized: float  # ranges and histogram done; the result is sent to the GUI thread


@dataclass(frozen=True, eq=False)
class ModelResult:
    request_id: int
    image: LoadedImage
    model: ModelSpec
    outputs: tuple[np.ndarray, ...]  # float32 (1, H, W, C) per layer, straight from Keras
    seconds: float  # the engine's whole turn for this request, as the worker saw it
    layer_seconds: float = 0.0  # of which the bare layer calls themselves
    timeline: Timeline | None = None  # when each step happened, for the benchmark
    _cache: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def output(self, layer: int) -> np.ndarray:
        """Layer ``layer``'s whole output, (1, H, W, C)."""
        return self.outputs[layer]

    def feature_map(self, layer: int, filter_index: int) -> np.ndarray:
        """One (H, W) plane of a layer's output: the map of one filter (or channel)."""
        return self.outputs[layer][0, :, :, filter_index]

    def map_count(self, layer: int) -> int:
        return int(self.outputs[layer].shape[3])

    def ranges(self, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """Every map's exact (minimums, maximums) for ``layer``, as float64 arrays."""
        return self._cached(("ranges", layer), lambda: channel_ranges(self.outputs[layer]))

    def summary(self, layer: int, filter_index: int) -> ValueSummary:
        """Range and histogram of one map (computed once, then kept)."""
        return self._cached(("summary", layer, filter_index),
                            lambda: summarize(self.feature_map(layer, filter_index)))

    def levels(self, layer: int, filter_index: int, mode: str, shared: bool):
        """(levels, lut) of one feature map for display ``mode``: from its own range, or from
        the range of every map of the layer when they share one colour scale (so they can be
        compared)."""
        minimums, maximums = self.ranges(layer)
        if shared:
            return levels_for_range(float(minimums.min()), float(maximums.max()), mode)
        return levels_for_range(float(minimums[filter_index]), float(maximums[filter_index]),
                                mode)

    def prepare(self, focus: tuple[int, int]) -> None:
        """Compute what the screen needs first (on the worker thread, not the GUI's)."""
        layer, filter_index = focus
        if 0 <= layer < len(self.outputs) and 0 <= filter_index < self.map_count(layer):
            self.ranges(layer)
            self.summary(layer, filter_index)

    def _cached(self, key: tuple, compute):
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        value = compute()
        with self._lock:
            return self._cache.setdefault(key, value)


@dataclass(frozen=True)
class EngineFailure:
    request_id: int
    message: str
