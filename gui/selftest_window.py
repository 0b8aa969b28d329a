"""The self-test's window check: the real MainWindow, built offscreen, up to its first output.

It runs the same path a student's start-up does (window first, Keras loading on the engine
worker, then the lesson's output), so its timings are the app's start-up times.
"""

from __future__ import annotations

import os
import time

from engine.commands.selftest import LESSON_SHAPE, CheckFailed, run_self_test

FIRST_OUTPUT_TIMEOUT_S = 180.0


def check_window(timeout_s: float = FIRST_OUTPUT_TIMEOUT_S) -> str:
    """Build and show the window, wait for the engine's first output, close it cleanly."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display needed
    from gui.system_check import qt_start_problem

    problem = qt_start_problem()
    if problem:
        raise CheckFailed(problem)
    from PySide6.QtWidgets import QApplication

    from gui.app import configure_application
    from gui.main_window import MainWindow

    started = time.perf_counter()
    app = QApplication.instance() or QApplication(["ConvScope"])
    configure_application(app)
    window = MainWindow()
    window.show()
    app.processEvents()
    shown_s = time.perf_counter() - started
    try:
        _wait_for_output(window, timeout_s)
    finally:
        window.close()  # stops the engine worker thread
    shape = window.output_view.image_item.image.shape
    if (1, *shape, 1) != LESSON_SHAPE:
        raise CheckFailed(f"the window shows a {shape} output, expected {LESSON_SHAPE[1:3]}.")
    first_s = time.perf_counter() - started
    return (f"{app.platformName()} platform, shown after {shown_s:.1f} s, "
            f"first Keras output {shape[0]}x{shape[1]} after {first_s:.1f} s")


def _wait_for_output(window, timeout_s: float) -> None:
    """Run the event loop until the output view has an image, the engine fails, or time out."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    poll = QTimer(interval=50)
    poll.timeout.connect(lambda: _done(window) and loop.quit())
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    poll.start()
    if not _done(window):
        loop.exec()
    poll.stop()
    status = window.pipeline.engine_status
    if status not in ("loading", "ready"):
        raise CheckFailed(status)
    if window.output_view.values is None:
        raise CheckFailed(f"no output within {timeout_s:.0f} s (engine {status}).")


def _done(window) -> bool:
    return (window.output_view.values is not None
            or window.pipeline.engine_status not in ("loading", "ready"))


def main() -> int:
    """``--self-test``: every engine check plus this window check."""
    return run_self_test(window_check=check_window)
