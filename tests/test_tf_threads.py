"""TensorFlow in the engine splits a layer call over twice as many threads as cores
(engine/backend/tf_threads.py), unless the environment already says how many."""

import os

from engine.backend import tf_threads


def test_twice_as_many_threads_as_usable_cores(monkeypatch):
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS", raising=False)
    tf_threads.share_cores_with_the_window()
    assert os.environ["TF_NUM_INTRAOP_THREADS"] == str(2 * tf_threads.usable_cores())


def test_an_administrators_setting_is_kept(monkeypatch):
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "3")
    tf_threads.share_cores_with_the_window()
    assert os.environ["TF_NUM_INTRAOP_THREADS"] == "3"


def test_usable_cores_is_this_processs_share(monkeypatch):
    if hasattr(os, "sched_getaffinity"):
        assert tf_threads.usable_cores() == len(os.sched_getaffinity(0))
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert tf_threads.usable_cores() == 1
