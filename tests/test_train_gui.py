"""The Train tab in the real window with its real engine (pytest-qt): Start, Pause, Step,
Reset, a student's edit during training, one undo step, a new image, closing mid-training.
Learned weights are checked against the target, and outputs against the NumPy reference."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QComboBox, QLabel, QPlainTextEdit, QPushButton, QWidget

from engine.images.loading import from_array
from engine.kernels.presets import FIXED
from engine.training.recovery import recovered, relative_error
from gui import MainWindow
from gui.pipeline import LivePipeline
from gui.state import AppState
from gui.training.controller import TrainController
from gui.training.state import TrainState
from gui.undo import UndoHistory
from tests.conftest import FACE
from tests.layers import model as conv_model
from tests.live_window import ENGINE_TIMEOUT_MS, edit_cell, find
from tests.numpy_reference import cross_correlate

TRAIN_TIMEOUT_MS = 180_000


def open_train_tab(win: MainWindow, mystery: str = "Sobel Y"):
    win.explain_tabs.setCurrentWidget(win.train_panel)
    source = find(win, QComboBox, "mysterySource")
    source.setCurrentIndex(source.findData(mystery))
    return find(win, QPushButton, "trainStart")


def target_of(win: MainWindow):
    return win.train_state.target.model_for(win.state.model)


def wait_quiet(qtbot, win: MainWindow) -> None:
    """Until the engine has answered the newest training request."""
    qtbot.waitUntil(lambda: win.train_state.reported_request == win.training.latest_request,
                    timeout=ENGINE_TIMEOUT_MS)


def test_start_recovers_a_hidden_sobel_and_pause_stops(qtbot, window):
    """The issue's scene: a mystery Sobel Y, hidden; Start; the table settles on it."""
    start = open_train_tab(window)
    assert window.train_state.hidden
    table = find(window, QWidget, "targetKernel")
    start.click()
    assert window.train_state.running and start.text() == "Pause"
    qtbot.waitUntil(lambda: window.train_state.steps > 0
                    and recovered(window.state.model, target_of(window)),
                    timeout=TRAIN_TIMEOUT_MS)
    assert "target ?" in table.item(0, 0).text()  # still hidden
    spec = window.state.spec  # the target output: Keras's Sobel Y on the same image
    np.testing.assert_allclose(window.train_state.target_output,
                               cross_correlate(window.state.image.pixels,
                                               FIXED["Sobel Y"], spec.strides),
                               rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(window.train_panel.target_output.values,
                                  window.train_state.target_output[0, :, :, 0])
    start.click()
    assert not window.train_state.running and start.text() == "Start"
    wait_quiet(qtbot, window)
    learned = window.state.spec.kernel[:, :, 0, 0]
    assert relative_error(window.state.model, target_of(window)) <= 1e-2
    np.testing.assert_allclose(learned, FIXED["Sobel Y"], atol=0.02)
    # the kernel table, the loss curve and the output show the learned weights
    cell = window.kernel_table.model().index(0, 1)
    assert float(window.kernel_table.model().data(cell)) == pytest.approx(learned[0, 1],
                                                                          abs=1e-5)
    steps = window.train_state.steps
    assert window.train_state.losses.size == steps
    assert window.train_state.losses[-1] < window.train_state.losses[0] * 1e-3
    assert find(window, QLabel, "trainStatus").text().startswith(f"step {steps:,}")
    qtbot.waitUntil(lambda: window.pipeline.shown.model == window.state.model,
                    timeout=ENGINE_TIMEOUT_MS)
    spec = window.state.spec
    np.testing.assert_allclose(window.pipeline.shown.output(0),
                               cross_correlate(window.state.image.pixels, spec.kernel,
                                               spec.strides, bias=spec.bias),
                               rtol=1e-4, atol=1e-2)
    # paused means paused: the next Step starts from exactly where it stopped
    find(window, QPushButton, "trainStep").click()
    wait_quiet(qtbot, window)
    assert window.train_state.steps == steps + 1
    # Reveal: the target next to the learned kernel, with each weight's error
    find(window, QPushButton, "revealTarget").click()
    assert not window.train_state.hidden
    assert table.item(0, 0).text().splitlines()[1] == "target -1"
    assert "within 1%" in find(window, QLabel, "recoveryLabel").text()


def test_step_explains_the_gradient_and_reset_goes_back(qtbot, window):
    open_train_tab(window, "a random preset")
    before = window.state.model
    find(window, QPushButton, "trainStep").click()
    wait_quiet(qtbot, window)
    assert window.train_state.steps == 1 and window.train_state.losses.size == 1
    assert window.state.model != before
    assert window.train_state.start_model == before
    explanation = window.train_state.explanation
    assert explanation is not None and explanation.ref == window.train_state.watch
    assert explanation.gradient == pytest.approx(explanation.tape, rel=5e-4)
    text = find(window, QPlainTextEdit, "gradientText").toPlainText()
    assert text.startswith("dL/dw[0, 0, 0, 0] = 2/F x mean over the 130,050 output positions")
    assert "GradientTape: " in text
    # another weight: its own gradient, at the same weights
    chooser = find(window, QComboBox, "gradientWeight")
    chooser.setCurrentIndex(chooser.findText("b[0]"))
    qtbot.waitUntil(lambda: window.train_state.explanation.ref.bias, timeout=ENGINE_TIMEOUT_MS)
    assert window.history.stack.undoText() == "training"
    find(window, QPushButton, "trainReset").click()
    assert window.state.model == before
    wait_quiet(qtbot, window)
    assert window.train_state.steps == 0 and window.train_state.losses.size == 0


def test_an_edit_during_training_pauses_it_and_takes_effect(qtbot, window):
    start = open_train_tab(window)
    start.click()
    qtbot.waitUntil(lambda: window.train_state.steps >= 20, timeout=TRAIN_TIMEOUT_MS)
    edit_cell(window, 1, 1, "7")
    assert not window.train_state.running and start.text() == "Start"
    wait_quiet(qtbot, window)
    assert window.state.spec.kernel[1, 1, 0, 0] == 7.0  # no report overwrote the edit
    steps = window.train_state.steps
    find(window, QPushButton, "trainStep").click()
    wait_quiet(qtbot, window)
    assert window.train_state.steps == steps + 1  # the same run goes on...
    learning_rate = window.train_state.settings.learning_rate
    assert abs(window.state.spec.kernel[1, 1, 0, 0] - 7.0) <= learning_rate * 1.01  # ...from 7
    assert window.train_state.edited


def test_training_is_one_undo_step(qtbot, window):
    start = open_train_tab(window)
    before = window.state.model
    depth = window.history.stack.count()
    start.click()
    qtbot.waitUntil(lambda: window.train_state.steps >= 100, timeout=TRAIN_TIMEOUT_MS)
    start.click()
    wait_quiet(qtbot, window)
    assert window.history.stack.count() == depth + 1
    assert window.undo_action.text() == "&Undo training"
    window.undo_action.trigger()
    assert window.state.model == before
    window.redo_action.trigger()
    assert window.state.model != before and window.state.model == window.state.model


def test_a_new_image_stops_training(qtbot, window):
    start = open_train_tab(window)
    start.click()
    qtbot.waitUntil(lambda: window.train_state.steps > 0, timeout=TRAIN_TIMEOUT_MS)
    window.open_path(FACE)
    assert not window.train_state.running and start.text() == "Start"
    assert "image changed" in find(window, QLabel, "trainMessage").text()
    assert window.train_state.steps == 0 and window.train_state.target_output is None
    learned = window.state.model
    qtbot.waitUntil(lambda: window.pipeline.shown is not None
                    and window.pipeline.shown.image is window.state.image,
                    timeout=ENGINE_TIMEOUT_MS)
    assert window.state.model == learned  # no late report changed the weights


def test_a_setting_keras_cannot_train_is_explained(qtbot, window):
    start = open_train_tab(window, "Gaussian blur 5x5")
    start.click()
    assert not window.train_state.running
    assert "5x5, but the layer's kernel is 3x3" in find(window, QLabel, "trainMessage").text()
    rate = find(window, QWidget, "learningRate")
    rate.setText("-3")
    rate.editingFinished.emit()
    assert "learning rate" in find(window, QLabel, "trainMessage").text()
    assert window.train_state.settings.learning_rate > 0


def test_closing_during_training_ends_the_engines_loop(qtbot):
    """A window with an engine process of its own: closing it mid-training stops the
    training loop and the process ends gracefully (exit code 0), well within the grace
    period that would otherwise kill it."""
    win = MainWindow(seed=1)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.output_view.values is not None, timeout=ENGINE_TIMEOUT_MS)
    open_train_tab(win).click()
    qtbot.waitUntil(lambda: win.train_state.steps > 0, timeout=TRAIN_TIMEOUT_MS)
    process = win.pipeline.worker._engine._process
    win.close()
    assert not win.pipeline.worker.isRunning()
    process.join(10)
    assert process.exitcode == 0


def test_training_on_the_worker_thread(qtbot, monkeypatch):
    """CONVSCOPE_ENGINE=thread: the same service on the worker thread."""
    monkeypatch.setenv("CONVSCOPE_ENGINE", "thread")
    image = from_array(np.random.default_rng(0).uniform(0, 255, (40, 50)), "noise")
    state = AppState(conv_model(np.zeros((3, 3))), image)
    pipeline = LivePipeline(state)
    train = TrainState()
    history = UndoHistory(state, lambda *_: False)
    controller = TrainController(state, train, pipeline.worker, history)
    pipeline.start()
    try:
        qtbot.waitUntil(lambda: pipeline.shown is not None, timeout=ENGINE_TIMEOUT_MS)
        train.request("run")
        qtbot.waitUntil(lambda: train.steps >= 50, timeout=TRAIN_TIMEOUT_MS)
        train.request("pause")
        qtbot.waitUntil(lambda: train.reported_request == controller.latest_request,
                        timeout=ENGINE_TIMEOUT_MS)
    finally:
        pipeline.stop()
    assert train.losses[-1] < train.losses[0]
    assert state.model != conv_model(np.zeros((3, 3)))


def test_the_code_tab_trains_the_same_weights(qtbot, window, tmp_path):
    """The Code tab's training script, run in its own process, learns the weights the window
    shows after Pause, from the same GlorotUniform seed and the same number of steps."""
    import subprocess
    import sys

    start = open_train_tab(window)
    start.click()
    qtbot.waitUntil(lambda: window.train_state.steps >= 60, timeout=TRAIN_TIMEOUT_MS)
    start.click()
    wait_quiet(qtbot, window)
    code = window.code_panel
    code.script.setCurrentIndex(code.script.findData("training"))
    script = code.code
    assert f"STEPS = {window.train_state.steps}" in script
    assert "GlorotUniform(seed=3)" in script and "kernel = None  # hidden" in script
    find(window, QPushButton, "revealTarget").click()
    script = code.code
    assert "hidden" not in script
    path, out = tmp_path / "train.py", tmp_path / "kernel.npy"
    path.write_text(script)
    ran = subprocess.run([sys.executable, str(path), str(out)], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    np.testing.assert_allclose(np.load(out), window.state.spec.kernel, rtol=1e-6, atol=1e-6)


def test_the_weight_table_follows_an_edit_changing_only_that_cell(qtbot, window):
    """Even on a hidden tab the table holds the kernel as it is now (nothing stale for a
    script reading it); an edit rewrites the edited cell, the others stay as they were."""
    window.explain_tabs.setCurrentWidget(window.train_panel)
    table = find(window, QWidget, "targetKernel")
    window.explain_tabs.setCurrentIndex(0)  # another tab in front: the table is hidden
    assert not table.isVisible()
    others = {(r, c): table.item(r, c).text() for r in range(3) for c in range(3)
              if (r, c) != (0, 0)}
    edit_cell(window, 0, 0, "0.125")
    assert table.item(0, 0).text().startswith("0.125\n")
    assert {key: table.item(*key).text() for key in others} == others
