"""The engine process: real TensorFlow in a spawned process, arrays through shared memory.

Checked against the NumPy reference; crashes and a TensorFlow that cannot load must leave
the window working and say what happened.
"""

import os
import signal
import threading
import time

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from engine.backend import launch
from engine.backend.process import EngineProcess, EngineStopped
from engine.images.loading import from_array
from engine.model.errors import LayerSpecError
from engine.model.network import single_conv
from gui.pipeline import LivePipeline
from gui.state import AppState
from gui.worker import STOP_GRACE_MS
from tests.layers import conv, model
from tests.numpy_reference import cross_correlate

ENGINE_TIMEOUT_MS = 120_000


def block_exists(name: str) -> bool:
    return os.path.exists(os.path.join("/dev/shm", name))


def mapped_blocks() -> set[str]:
    """The shared-memory blocks this process has mapped (Linux)."""
    with open("/proc/self/maps") as maps:
        return {line.rsplit("/", 1)[1].split()[0] for line in maps if "/dev/shm/psm_" in line}


def test_engine_process_computes_shares_and_frees():
    rng = np.random.default_rng(1)
    first = from_array(rng.uniform(0, 255, (40, 50)), "first")
    second = from_array(rng.uniform(0, 255, (31, 29)), "second")
    spec = conv(rng.normal(size=(3, 3)), strides=(2, 1), bias=0.5)
    others = mapped_blocks()  # other windows' engines (the tests' shared one) keep theirs
    launch.prestart()
    prestarted_pid = launch._prestarted[0].pid
    engine = EngineProcess()
    try:
        assert engine.pid == prestarted_pid  # the early-started process was adopted
        result = engine.run(first, single_conv(spec))
        out = result.arrays[0]
        want = cross_correlate(first.pixels, spec.kernel, (2, 1), bias=0.5)
        np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-4)
        assert result.minimums[0][0] == out.min() and result.maximums[0][0] == out.max()
        assert engine.last_call_seconds > 0
        assert engine._input is None  # the engine copied the image; its block is freed
        assert not out.flags.writeable  # shown as it is: nobody may write it
        kept = out.copy()
        again = engine.run(first, single_conv(spec.with_changes(bias=7.0))).arrays[0]
        np.testing.assert_allclose(again, want + 6.5, rtol=1e-5, atol=1e-3)
        assert np.array_equal(out, kept)  # the block still referred to was not written
        assert not np.shares_memory(out, again)
        del result, out
        engine.run(first, single_conv(spec))  # the first block is free again
        same = engine.run(first, single_conv(spec.with_changes(padding="same",
                                                                 strides=(1, 1))), (0, 0))
        assert same.arrays[0].shape == (1, 40, 50, 1) and np.abs(same.arrays[0]).max() > 0
        summarized = engine.summary()  # the histogram of the map on screen, made there
        values = same.arrays[0][0, :, :, 0].astype(np.float64)
        want_counts, _ = np.histogram(values, bins=128, range=(values.min(), values.max()))
        assert (summarized.layer, summarized.filter_index) == (0, 0)
        np.testing.assert_array_equal(summarized.summary.counts, want_counts)
        assert engine.summary() is None  # one per request
        np.testing.assert_allclose(
            engine.run(second, single_conv(spec)).arrays[0],
            cross_correlate(second.pixels, spec.kernel, (2, 1), bias=0.5), rtol=1e-5, atol=1e-4)
        with pytest.raises(LayerSpecError):  # refused before anything is sent
            engine.run(second, model(np.ones((40, 40))))
        names = mapped_blocks() - others
        assert names  # the outputs in use are shared memory mapped here
    finally:
        engine.close()
    del same
    assert not [name for name in names if block_exists(name)]  # nothing left behind


def test_an_engine_that_dies_during_a_call_says_how(monkeypatch):
    """SIGKILL while a request is in the engine: EngineStopped naming the signal (never
    "exit code None"); the next call starts a new engine and computes."""
    monkeypatch.setattr(launch, "CALL_TIMEOUT_S", 0.3)
    image = from_array(np.random.default_rng(4).uniform(0, 255, (30, 30)), "noise")
    engine = EngineProcess()
    silent = []
    engine.on_silence = silent.append
    try:
        engine.run(image, model())
        os.kill(engine.pid, signal.SIGSTOP)  # holds the next request unanswered
        killer = threading.Thread(target=lambda: wait_then_kill(silent, engine.pid))
        killer.start()
        with pytest.raises(EngineStopped) as stopped:
            engine.run(image, model(np.eye(3)))
        killer.join()
        assert silent and "SIGKILL" in str(stopped.value) and "None" not in str(stopped.value)
        restarted = engine.run(image, model(np.eye(3)))  # a new engine, the same request
        np.testing.assert_allclose(restarted.arrays[0],
                                   cross_correlate(image.pixels, np.eye(3), (1, 1)),
                                   rtol=1e-5, atol=1e-3)
    finally:
        engine.close()


def wait_then_kill(silent: list, pid: int) -> None:
    deadline = time.monotonic() + 60
    while not silent and time.monotonic() < deadline:  # the request is out, unanswered
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)


def test_engine_that_cannot_load_is_reported_not_raised(qtbot, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "no-such-backend")
    state = AppState(model(), from_array(np.ones((8, 8)), "ones"))
    pipeline = LivePipeline(state)
    statuses = []
    pipeline.engineStatusChanged.connect(statuses.append)
    pipeline.start()
    try:
        qtbot.waitUntil(lambda: len(statuses) > 0, timeout=ENGINE_TIMEOUT_MS)
    finally:
        pipeline.stop()
    assert statuses[0].startswith("The Keras engine could not start")
    assert "pip install" in statuses[0] and pipeline.shown is None
    assert "\n" not in statuses[0] and "next edit" not in statuses[0]  # one line, one story


def test_engine_on_the_worker_thread_still_works(qtbot, monkeypatch):
    monkeypatch.setenv("CONVSCOPE_ENGINE", "thread")
    image = from_array(np.random.default_rng(2).uniform(0, 255, (20, 30)), "noise")
    state = AppState(model(np.eye(3), strides=(1, 2)), image)
    pipeline = LivePipeline(state)
    pipeline.start()
    try:
        qtbot.waitUntil(lambda: pipeline.shown is not None, timeout=ENGINE_TIMEOUT_MS)
    finally:
        pipeline.stop()
    assert pipeline.worker.engine_pid is None  # no second process in this mode
    np.testing.assert_allclose(pipeline.shown.output(0),
                               cross_correlate(image.pixels, np.eye(3), (1, 2)),
                               rtol=1e-5, atol=1e-3)


def test_compiled_layer_call_follows_new_weights_and_settings():
    from engine.backend.keras_model import KerasModelRunner

    rng = np.random.default_rng(3)
    image = from_array(rng.uniform(0, 255, (33, 41)), "noise")
    runner = KerasModelRunner()
    spec = conv(rng.normal(size=(3, 3)), strides=(2, 1))
    runner.run(image, single_conv(spec))
    assert runner.compile_current() and not runner.compile_current()  # traced once
    for kernel in (np.ones((3, 3)), rng.normal(size=(3, 3))):  # weights: the traced graph
        changed = model(kernel, strides=(2, 1), bias=-2.0)
        np.testing.assert_allclose(runner.run(image, changed)[0],
                                   cross_correlate(image.pixels, kernel, (2, 1), bias=-2.0),
                                   rtol=1e-5, atol=1e-3)
    wider = model(np.ones((5, 5)), strides=(2, 1), padding="same")  # a new layer: eager
    np.testing.assert_allclose(runner.run(image, wider)[0],
                               cross_correlate(image.pixels, np.ones((5, 5)), (2, 1), "same"),
                               rtol=1e-5, atol=1e-3)
    other = from_array(rng.uniform(0, 255, (20, 24)), "other")  # a new image: eager again
    assert runner.compile_current()
    np.testing.assert_allclose(runner.run(other, wider)[0],
                               cross_correlate(other.pixels, np.ones((5, 5)), (2, 1), "same"),
                               rtol=1e-5, atol=1e-3)


def test_closing_while_tensorflow_loads_ends_the_engine_at_once(qtbot):
    state = AppState(model(), from_array(np.ones((8, 8)), "ones"))
    pipeline = LivePipeline(state)
    statuses = []
    pipeline.engineStatusChanged.connect(statuses.append)
    pipeline.start()
    qtbot.waitUntil(lambda: pipeline.worker._engine is not None
                    and pipeline.worker._engine.starting
                    and pipeline.worker._engine.pid is not None, timeout=ENGINE_TIMEOUT_MS)
    process = pipeline.worker._engine._process
    pipeline.stop()  # returns without waiting for TensorFlow's import
    assert not pipeline.worker.isRunning()
    process.join(10)
    assert process.exitcode == -signal.SIGKILL  # killed mid-import, not a graceful stop
    QApplication.processEvents()  # the worker has ended: any signal it sent is delivered now
    assert statuses == []  # closing on purpose is not reported as a failure


def test_closing_never_waits_for_a_stuck_engine(qtbot):
    """An engine that stops answering (SIGSTOP stands in for a TensorFlow call that never
    returns) is ended after the grace period; the worker thread ends with it."""
    image = from_array(np.ones((16, 16)), "ones")
    state = AppState(model(), image)
    pipeline = LivePipeline(state)
    pipeline.start()
    qtbot.waitUntil(lambda: pipeline.shown is not None, timeout=ENGINE_TIMEOUT_MS)
    process = pipeline.worker._engine._process
    os.kill(process.pid, signal.SIGSTOP)
    state.set_kernel_entry(0, 0, 5.0)  # a request the engine will never answer
    qtbot.wait(200)
    started = time.monotonic()
    pipeline.stop()
    waited = time.monotonic() - started
    assert not pipeline.worker.isRunning()
    assert STOP_GRACE_MS / 1000 <= waited < 2 * STOP_GRACE_MS / 1000 + 5
    process.join(10)
    assert process.exitcode == -signal.SIGKILL


def test_closing_while_the_engine_restarts_ends_it_at_once(qtbot):
    """An engine restarting after a crash (TensorFlow loading again inside a request) is
    killed at once on close, as at start-up: no grace period for an import."""
    state = AppState(model(), from_array(np.ones((8, 8)), "ones"))
    pipeline = LivePipeline(state)
    pipeline.start()
    qtbot.waitUntil(lambda: pipeline.shown is not None, timeout=ENGINE_TIMEOUT_MS)
    engine = pipeline.worker._engine
    old = engine._process
    os.kill(engine.pid, signal.SIGKILL)
    old.join(10)
    state.set_kernel_entry(0, 0, 3.0)  # finds it dead: starts a new engine for this edit
    qtbot.waitUntil(lambda: engine.starting and engine.pid not in (None, old.pid),
                    timeout=ENGINE_TIMEOUT_MS)
    process = engine._process
    started = time.monotonic()
    pipeline.stop()
    assert time.monotonic() - started < STOP_GRACE_MS / 1000
    assert not pipeline.worker.isRunning()
    process.join(10)
    assert process.exitcode == -signal.SIGKILL
