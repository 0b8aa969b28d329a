"""The engine's training service: requests in, reports out, as the engine process runs it."""

from __future__ import annotations

import time

import numpy as np
import pytest

from engine.training.gradient import WeightRef
from engine.training.messages import PAUSE, RESET, RUN, STEP, STOP, TrainRequest
from engine.training.settings import TrainSettings
from engine.training.targets import TrainTarget
from tests.test_training import nhwc, untrained

service_module = pytest.importorskip("engine.backend.training_service")


@pytest.fixture
def pixels(ascent_pixels):
    import tensorflow as tf

    return tf.constant(nhwc(ascent_pixels))


def request(request_id, action, model, session=1, steps=1, settings=None, target=None,
            adopt=False):
    target = target or TrainTarget("mystery", "Sobel Y").model_for(untrained(0, strides=(2, 1)))
    return TrainRequest(request_id, session, action, model, target, settings or TrainSettings(),
                        WeightRef(row=1, col=1), steps, report_every=0.05, adopt=adopt)


def test_run_reports_every_step_once_then_pause_and_step(pixels):
    service = service_module.TrainingService()
    model = untrained(0, strides=(2, 1))
    assert service.handle(request(1, RUN, model), pixels) is None and service.running
    reports = []
    started = time.perf_counter()
    while len(reports) < 4 and time.perf_counter() - started < 60:
        report = service.work()
        if report is not None:
            reports.append(report)
    assert len(reports) == 4
    assert reports[0].target_output is not None and reports[1].target_output is None
    assert reports[0].first_step == 0
    for before, after in zip(reports, reports[1:]):
        assert after.first_step == before.steps  # every loss exactly once, in order
    assert all(r.running and r.steps_per_second > 0 for r in reports[1:])
    quick = [r for r in reports if r.explanation is None and r.losses.size]
    assert all(r.loss == pytest.approx(float(r.losses[-1])) for r in quick)  # the newest step's
    explained = [r for r in reports if r.explanation is not None]  # a few a second
    assert explained and explained[0].explanation.ref == WeightRef(row=1, col=1)

    paused = service.handle(request(2, PAUSE, reports[-1].model), pixels)
    assert not service.running and not paused.running and paused.request_id == 2
    assert paused.explanation is not None  # paused: always worked out for these weights
    assert service.work() is None
    stepped = service.handle(request(3, STEP, paused.model, steps=5), pixels)
    assert stepped.steps == paused.steps + 5 and stepped.losses.shape == (5,)
    assert stepped.first_step == paused.steps


def test_an_edit_while_paused_is_trained_from_and_reset_goes_to_its_model(pixels):
    service = service_module.TrainingService()
    model = untrained(0, strides=(2, 1))
    first = service.handle(request(1, STEP, model, steps=3), pixels)
    edited_kernel = np.array(first.model.layers[0].kernel)
    edited_kernel[0, 0, 0, 0] = 5.0
    edited = first.model.with_layer(0, first.model.layers[0].with_changes(kernel=edited_kernel))
    stale = service.handle(request(2, PAUSE, model), pixels)  # weights the window showed
    assert stale.model == first.model  # older than the engine's: not taken
    paused = service.handle(request(3, PAUSE, edited, adopt=True), pixels)
    assert paused.model == edited and paused.steps == 3  # the same run, the student's weights
    reset = service.handle(request(4, RESET, model), pixels)
    assert reset.model == model and reset.steps == 0 and reset.losses.size == 0


def test_a_new_session_starts_from_the_model_given(pixels):
    service = service_module.TrainingService()
    model = untrained(0, strides=(2, 1))
    one = service.handle(request(1, STEP, model, steps=4), pixels)
    two = service.handle(request(2, STEP, one.model, session=2, steps=2), pixels)
    assert two.steps == 2 and two.first_step == 0 and two.target_output is not None


def test_refusals_and_divergence_stop_training_with_a_message(pixels):
    service = service_module.TrainingService()
    model = untrained(0, strides=(2, 1))
    bad = service.handle(request(1, RUN, model, settings=TrainSettings(learning_rate=-1)),
                         pixels)
    assert not service.running and "learning rate" in bad.message
    service.handle(request(2, RUN, model, settings=TrainSettings("mse", "sgd", 0.01)), pixels)
    report = None
    started = time.perf_counter()
    while service.running and time.perf_counter() - started < 60:
        report = service.work() or report
    assert not service.running and "grew without bound" in report.message
    assert np.all(np.isfinite(report.model.layers[0].kernel))
    assert service.handle(request(3, STOP, model), pixels) is None
    assert service.trainer is None
