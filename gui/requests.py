"""The messages that travel between the GUI thread and the engine worker.

Plain immutable values: the GUI never shares a mutable object with the worker. A result
carries the model and image it was computed for, so every panel that explains it describes
exactly the output on screen, even while a newer edit is on its way. Its outputs are
read-only (in process mode, the very shared-memory blocks the engine wrote), and each map's
exact range comes with them from the engine, which computed it while storing the output.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from engine.backend.transfer import map_ranges
from engine.images.display import ValueSummary, levels_for_range, summarize
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
    summarized: float  # the result is made and sent to the GUI thread
    store_seconds: float = 0.0  # in the engine: outputs into shared memory, with ranges


@dataclass(frozen=True, eq=False)
class ModelResult:
    request_id: int
    image: LoadedImage
    model: ModelSpec
    outputs: tuple[np.ndarray, ...]  # float32 (1, H, W, C) per layer, straight from Keras
    seconds: float  # the engine's whole turn for this request, as the worker saw it
    layer_seconds: float = 0.0  # of which the bare layer calls themselves
    timeline: Timeline | None = None  # when each step happened, for the benchmark
    value_ranges: tuple = ()  # per layer (minimums, maximums), from the engine; () unknown
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
        if layer < len(self.value_ranges):
            return self.value_ranges[layer]
        return self._cached(("ranges", layer), lambda: map_ranges(self.outputs[layer]))

    def summary(self, layer: int, filter_index: int) -> ValueSummary:
        """Range and histogram of one map (computed once, then kept; the histogram from a
        sample of rows, the range exact)."""
        def compute() -> ValueSummary:
            minimums, maximums = self.ranges(layer)
            return summarize(self.feature_map(layer, filter_index), value_range=(
                float(minimums[filter_index]), float(maximums[filter_index])))

        return self._cached(("summary", layer, filter_index), compute)

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
        """What the screen needs first: every map's range (the engine usually sent them)."""
        layer, _ = focus
        if 0 <= layer < len(self.outputs):
            self.ranges(layer)

    def offer_summary(self, layer: int, filter_index: int, summary: ValueSummary) -> None:
        """Keep a summary made elsewhere (the engine makes the one on screen), unless one is
        already there or being made here."""
        with self._lock:
            if ("summary", layer, filter_index) not in self._cache:
                entry = _Pending()
                entry.value = summary
                entry.done.set()
                self._cache[("summary", layer, filter_index)] = entry

    def _cached(self, key: tuple, compute):
        """``compute()`` once per key, whichever thread asks first; a thread asking while
        another computes it waits for that value instead of computing it again."""
        with self._lock:
            entry = self._cache.get(key)
            if entry is None:
                entry = self._cache[key] = _Pending()
                mine = True
            else:
                mine = False
        if mine:
            try:
                entry.value = compute()
            except BaseException as exc:
                entry.error = exc
                with self._lock:
                    self._cache.pop(key, None)  # the next caller tries again
                raise
            finally:
                entry.done.set()
        entry.done.wait()
        if entry.error is not None:
            raise entry.error
        return entry.value


class _Pending:
    """A cached value that is being (or has been) computed."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value = None
        self.error: BaseException | None = None


@dataclass(frozen=True)
class EngineFailure:
    request_id: int
    message: str  # one line, for the banner
    kind: str = "error"  # "spec" (settings refused), "memory", "stopped" or "error"
