"""Cyclic garbage is collected between edits, not during them (gui/garbage.py)."""

from __future__ import annotations

import gc
import weakref

import pytest

from gui import garbage
from gui.garbage import IdleCollector
from tests.live_window import open_window


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def _a_dead_cycle() -> weakref.ref:
    cycle = _Cycle()
    return weakref.ref(cycle)  # only the cycle keeps it alive now


@pytest.fixture
def collector(qtbot):
    busy = {"now": False}
    made = IdleCollector(lambda: busy["now"])
    made.busy = busy
    yield made
    made.close()


def test_automatic_collection_is_off_while_a_collector_lives(collector):
    assert not gc.isenabled()
    collector.close()
    assert gc.isenabled()
    collector.close()  # twice is harmless
    assert gc.isenabled()


def test_a_quiet_moment_collects_a_cycle_that_automatic_collection_would_have(collector):
    cycle = _a_dead_cycle()
    gc.collect(0)  # what a collector pass does: the cycle is in generation 0 or 1
    gc.collect(1)
    assert cycle() is None
    cycle = _a_dead_cycle()
    assert cycle() is not None  # nothing automatic runs meanwhile
    assert collector.collect_if_quiet() == 0
    assert cycle() is None


def test_the_generations_follow_pythons_own_rhythm(collector):
    passes = [collector.collect_if_quiet() for _ in range(garbage.FULL_EVERY)]
    assert passes.count(2) == 1 and passes[-1] == 2
    assert passes.count(1) == garbage.FULL_EVERY // garbage.MIDDLE_EVERY - 1
    assert passes[garbage.MIDDLE_EVERY - 1] == 1 and passes[0] == 0


def test_nothing_runs_while_an_edit_is_in_flight_until_it_has_waited_too_long(
        collector, monkeypatch, qtbot):
    collector.busy["now"] = True
    cycle = _a_dead_cycle()
    assert collector.collect_if_quiet() is None
    assert cycle() is not None
    monkeypatch.setattr(garbage, "MAX_WAIT_S", 0.05)
    qtbot.waitUntil(lambda: cycle() is None, timeout=5000)  # the timer's forced young pass
    collector.busy["now"] = False


def test_a_window_holds_automatic_collection_off_and_gives_it_back_when_closed(qtbot):
    win = open_window(qtbot)
    assert not gc.isenabled()
    assert win.pipeline.in_flight is False  # its first output is on screen
    win.close()
    assert gc.isenabled()
