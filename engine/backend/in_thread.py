"""Keras on the engine worker's own thread (``CONVSCOPE_ENGINE=thread``).

For comparison, and for platforms where a second process is unwanted. Keras keeps
thread-local state, so the layer is built and called on the thread that calls ``start``
and ``run``. Nothing here can be interrupted: closing waits for a call in progress.
"""

from __future__ import annotations

import sys
import time
import traceback

from engine.backend.protocol import (
    EngineOutOfMemory,
    EngineOutputs,
    EngineUnavailable,
    Summarized,
    is_out_of_memory,
    one_line,
)
from engine.backend.training_service import LocalTraining
from engine.backend.transfer import map_ranges
from engine.images.display import summarize
from engine.model.errors import LayerSpecError
from engine.model.network import ModelSpec


class InThreadEngine:
    """The ModelEngine protocol over a KerasModelRunner in this process."""

    pid = None

    def __init__(self) -> None:
        self._runner = None
        self.import_seconds: float | None = None
        self.last_call_seconds = 0.0
        self.on_silence = None  # never late: the call runs on the caller's thread
        self.starting = False
        self._focus = None  # (outputs, ranges, (layer, filter)) still to summarize
        self._training = LocalTraining()  # one chunk of steps per training_reports call

    @property
    def ready(self) -> bool:
        return self._runner is not None

    def start(self) -> None:
        started = time.perf_counter()
        self.starting = True
        try:
            from engine.backend.keras_model import KerasModelRunner

            self._runner = KerasModelRunner()
        except Exception as exc:
            raise EngineUnavailable(one_line(f"{type(exc).__name__}: {exc}")) from exc
        finally:
            self.starting = False
        self.import_seconds = time.perf_counter() - started

    def run(self, image, model: ModelSpec, focus: tuple[int, int] | None = None
            ) -> EngineOutputs:
        self._focus = None
        if self._runner is None:
            self.start()
        try:
            outputs = self._runner.run(image, model)
        except LayerSpecError:
            raise
        except Exception as exc:
            if is_out_of_memory(exc):
                raise EngineOutOfMemory(one_line(str(exc) or type(exc).__name__)) from exc
            raise
        self.last_call_seconds = self._runner.last_call_seconds
        ranges = [map_ranges(output) for output in outputs]
        for output in outputs:
            output.flags.writeable = False
        if focus is not None and 0 <= focus[0] < len(outputs) \
                and 0 <= focus[1] < outputs[focus[0]].shape[3]:
            self._focus = (outputs, ranges, focus)
        return EngineOutputs(tuple(outputs), tuple(low for low, _ in ranges),
                             tuple(high for _, high in ranges), self.last_call_seconds)

    def summary(self) -> Summarized | None:
        """The focus map's histogram, computed here (after the result was sent)."""
        if self._focus is None:
            return None
        outputs, ranges, (layer, filter_index) = self._focus
        self._focus = None
        values = outputs[layer][0, :, :, filter_index]
        lows, highs = ranges[layer]
        return Summarized(layer, filter_index, summarize(
            values, value_range=(float(lows[filter_index]), float(highs[filter_index]))))

    def train(self, image, request) -> None:
        self._training.train(image, request)

    def training_reports(self) -> list:
        return self._training.training_reports()

    def idle(self) -> None:
        """Trace the layer call for the next weight edit (see compile_current)."""
        if self._runner is None:
            return
        try:
            self._runner.compile_current()
        except Exception:  # the eager call still works; say why on the terminal
            traceback.print_exc(file=sys.stderr)

    def interrupt(self) -> None:
        """A call on this thread cannot be interrupted."""

    def abort(self) -> None:
        """Nor can it be aborted: closing waits for it (see EngineWorker.stop)."""

    def close(self) -> None:
        self._runner = None
