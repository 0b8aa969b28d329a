"""The window tests share one real engine process (tests/live_window.py): a closed window
gives it back to the next, a second window open at the same time gets its own."""

from engine.backend.process import EngineProcess
from tests.live_window import SHARED_ENGINE, EngineLoan, open_window


def test_windows_opened_one_after_another_share_one_engine_process(qtbot):
    first = open_window(qtbot)
    pid = first.pipeline.worker.engine_pid
    assert pid is not None and pid == SHARED_ENGINE.engine.pid
    first.close()  # as at the end of a test
    second = open_window(qtbot)
    assert second.pipeline.worker.engine_pid == pid


def test_the_shared_engine_is_lent_to_one_worker_at_a_time(qtbot):
    SHARED_ENGINE.start()
    loan = SHARED_ENGINE.lend()
    other = SHARED_ENGINE.lend()
    try:
        assert isinstance(loan, EngineLoan) and loan.pid == SHARED_ENGINE.engine.pid
        assert isinstance(other, EngineProcess) and other.pid is None  # its own, not started
    finally:
        other.close()
        loan.close()
    again = SHARED_ENGINE.lend()
    assert isinstance(again, EngineLoan)
    again.close()
