"""The engine's faults, made real: signals sent to the engine process, an address-space limit
set on it (RLIMIT_AS), a 64 MB /dev/shm in a mount namespace of its own. Each time the window
says what happened in one line, keeps the last good output, leaves no shared memory behind
and computes the next edit.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from engine.backend import launch
from engine.backend.protocol import describe_exit
from engine.backend.shared_arrays import OwnedBlock
from engine.images.loading import from_array
from gui.pipeline import LivePipeline
from gui.state import AppState
from tests.layers import model
from tests.live_window import edit_cell, open_window, shown_output
from tests.numpy_reference import cross_correlate

ROOT = Path(__file__).resolve().parent.parent
ENGINE_TIMEOUT_MS = 120_000


def mapped_blocks() -> set[str]:
    """Shared-memory blocks this process maps now (Linux)."""
    with open("/proc/self/maps") as maps:
        return {line.rsplit("/", 1)[1].split()[0] for line in maps if "/dev/shm/psm_" in line}


def block_exists(name: str) -> bool:
    return os.path.exists(os.path.join("/dev/shm", name))


def virtual_size(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmSize")


@pytest.fixture
def pipeline_of(qtbot):
    """A started LivePipeline on ``image`` with ``model``, stopped after the test."""
    made = []

    def make(image, layer_model=None):
        state = AppState(layer_model or model(), image)
        pipeline = LivePipeline(state)
        pipeline.problems, pipeline.statuses = [], []
        pipeline.problemChanged.connect(pipeline.problems.append)
        pipeline.engineStatusChanged.connect(pipeline.statuses.append)
        pipeline.start()
        made.append(pipeline)
        return state, pipeline

    yield make
    for pipeline in made:
        pipeline.stop()


def wait_for_latest(qtbot, pipeline) -> None:
    qtbot.waitUntil(lambda: pipeline.shown is not None
                    and pipeline.shown.request_id == pipeline.latest_request_id,
                    timeout=ENGINE_TIMEOUT_MS)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS on another "
                    "process (prlimit) and /proc are Linux's")
def test_an_engine_out_of_memory_says_so_in_one_line_and_the_next_edit_works(
        qtbot, pipeline_of):
    """An address-space limit on the engine (what a lab's ulimit -v or a small container
    does): a 4000 x 3000 RGB image no longer fits. One line says so, with the sizes; the last
    output stays; a smaller image computes; nothing is left in /dev/shm."""
    others = mapped_blocks()  # other windows' engines (the tests' shared one) keep theirs
    small = from_array(np.random.default_rng(5).uniform(0, 255, (40, 30, 3)), "small")
    rgb_ones = model(np.ones((3, 3, 3, 1)))
    state, pipeline = pipeline_of(small, rgb_ones)
    wait_for_latest(qtbot, pipeline)
    seen = mapped_blocks() - others
    pid = pipeline.worker.engine_pid
    limit = virtual_size(pid) + 64 * 2**20  # the big image's 137 MB cannot be mapped
    resource.prlimit(pid, resource.RLIMIT_AS, (limit, limit))
    before = pipeline.shown
    state.set_image(from_array(np.ones((4000, 3000, 3), np.float32), "big"))
    qtbot.waitUntil(lambda: any("Not enough memory" in p for p in pipeline.problems),
                    timeout=ENGINE_TIMEOUT_MS)
    message = next(p for p in pipeline.problems if "Not enough memory" in p)
    assert "\n" not in message and "Traceback" not in message
    assert "4000 x 3000 RGB" in message and "3998 x 2998 x 1" in message
    assert pipeline.shown is before and pipeline.stale_reason  # the last output stays
    assert pipeline.worker.engine_pid == pid  # the engine lived through it
    smaller = from_array(np.random.default_rng(6).uniform(0, 255, (50, 60, 3)), "smaller")
    state.set_image(smaller)
    wait_for_latest(qtbot, pipeline)
    np.testing.assert_allclose(pipeline.shown.output(0),
                               cross_correlate(smaller.pixels, np.ones((3, 3, 3, 1))),
                               rtol=1e-5, atol=1e-2)
    assert pipeline.problems[-1] == "" and pipeline.stale_reason == ""
    seen |= mapped_blocks() - others
    pipeline.stop()
    assert seen and not [name for name in seen if block_exists(name)]


LIMITED_ATTACH = """
import json, os, resource, sys
sys.path.insert(0, sys.argv[1])
from engine.backend.protocol import BlockRef, EngineOutOfMemory
from engine.backend.shared_arrays import OwnedBlock, attach
limit = resource.getrlimit(resource.RLIMIT_AS)
with open("/proc/self/statm") as statm:
    used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
resource.setrlimit(resource.RLIMIT_AS, (used + 32 * 2**20, limit[1]))
said = {}
for what, call in (("attach", lambda: attach(BlockRef(sys.argv[2], (64, 2**20)))),
                   ("create", lambda: OwnedBlock((64, 2**20)))):
    try:
        call()
        said[what] = "mapped"
    except EngineOutOfMemory as exc:
        said[what] = str(exc)
print(json.dumps(said))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/dev/shm and RLIMIT_AS "
                    "are Linux's")
def test_a_block_that_cannot_be_mapped_is_refused_and_stays_the_windows():
    """CPython's SharedMemory unlinks a block whose mmap fails even when it only attaches;
    the engine's attach must not (the window owns the name), and must say it is memory."""
    block = OwnedBlock((64, 2**20))  # 256 MB, more than the limited process can map
    try:
        done = subprocess.run([sys.executable, "-c", LIMITED_ATTACH, str(ROOT), block.name],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        said = json.loads(done.stdout)
        assert said["attach"].startswith("the engine could not map 256 MB"), said
        assert said["create"].startswith("the window could not map 256 MB"), said
        assert block_exists(block.name)  # still there for its owner
    finally:
        block.release()
    assert not block_exists(block.name)


def can_mount_a_small_shm() -> str:
    """'' when this process may give a child its own /dev/shm; else why not."""
    if not sys.platform.startswith("linux"):
        return "needs Linux mount namespaces"
    if shutil.which("unshare") is None:
        return "needs util-linux's unshare"
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            "mount -t tmpfs -o size=1m tmpfs /dev/shm"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return ("needs the right to mount a tmpfs in a mount namespace (root, or "
                f"CAP_SYS_ADMIN): {probe.stderr.strip()}")
    return ""


@pytest.mark.skipif(bool(can_mount_a_small_shm()), reason=can_mount_a_small_shm() or "-")
def test_a_64_mb_dev_shm_keeps_the_window_alive_and_says_why(tmp_path):
    """Docker's default /dev/shm is 64 MB. An 8-megapixel photo in RGB mode needs 96 MB for
    its input: before, writing it ended the window with SIGBUS. Now the space is checked and
    reserved first, the arrays go through the pipe, the output is right and a notice says
    why."""
    rng = np.random.default_rng(8)
    photo = tmp_path / "photo.png"
    Image.fromarray(rng.integers(0, 256, (2448, 3264, 3), dtype=np.uint8), "RGB").save(photo)
    script = ROOT / "tests" / "small_shm_probe.py"
    command = (f"mount -t tmpfs -o size=64m tmpfs /dev/shm && exec {sys.executable} "
               f"{script} {photo}")
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                           command], capture_output=True, text=True, timeout=420,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, (done.returncode, done.stderr[-3000:])
    line = next(x for x in done.stdout.splitlines() if x.startswith("PROBE "))
    probe = json.loads(line.removeprefix("PROBE "))
    assert probe["image"] == [2448, 3264, 3]
    assert probe["shape"] == [1, 1223, 3262, 1] and probe["matches"]  # the lesson's strides
    assert any("Shared memory is short" in n and "/dev/shm has" in n and "pipe" in n
               for n in probe["notices"]), probe["notices"]
    assert all("\n" not in n for n in probe["notices"])
    assert probe["left_in_shm"] == []  # nothing left behind in the small /dev/shm


def test_an_engine_killed_while_tensorflow_loads_comes_back_with_the_next_edit(
        qtbot, pipeline_of):
    image = from_array(np.random.default_rng(9).uniform(0, 255, (24, 20)), "noise")
    state, pipeline = pipeline_of(image)
    worker = pipeline.worker
    qtbot.waitUntil(lambda: worker._engine is not None and worker._engine.starting
                    and worker._engine.pid is not None, timeout=ENGINE_TIMEOUT_MS)
    os.kill(worker._engine.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: any(s not in ("loading", "ready") for s in pipeline.statuses),
                    timeout=ENGINE_TIMEOUT_MS)
    status = next(s for s in pipeline.statuses if s not in ("loading", "ready"))
    assert "while TensorFlow was loading" in status and "SIGKILL" in status
    assert "starts again with the next edit" in status
    assert "pip install" not in status and "None" not in status and "\n" not in status
    assert worker.isRunning()  # the thread lives on (and the first request starts it again)
    state.set_kernel_entry(0, 0, 2.0)
    wait_for_latest(qtbot, pipeline)
    np.testing.assert_allclose(pipeline.shown.output(0),
                               cross_correlate(image.pixels, state.spec.kernel),
                               rtol=1e-5, atol=1e-3)
    assert pipeline.statuses[-1] == "ready"


def test_an_engine_that_died_while_idle_computes_the_edit_that_finds_it(qtbot, pipeline_of):
    image = from_array(np.arange(64 * 48, dtype=np.float32).reshape(64, 48) % 251, "ramp")
    state, pipeline = pipeline_of(image)
    wait_for_latest(qtbot, pipeline)
    process = pipeline.worker._engine._process
    os.kill(process.pid, signal.SIGKILL)
    process.join(10)  # dead before the edit
    state.set_kernel_entry(0, 0, 2.0)
    wait_for_latest(qtbot, pipeline)  # this very edit, computed by a new engine
    assert pipeline.worker.engine_pid != process.pid
    assert not [p for p in pipeline.problems if p]  # nothing was lost, nothing to say
    np.testing.assert_allclose(pipeline.shown.output(0),
                               cross_correlate(image.pixels, state.spec.kernel),
                               rtol=1e-5, atol=1e-3)
    steps = pipeline.shown.timeline  # what the benchmark splits an edit's time into
    assert steps.requested <= steps.started <= steps.computed <= steps.summarized
    assert steps.summarized <= pipeline.shown_received_at
    assert pipeline.shown.seconds == steps.computed - steps.started


def test_a_hung_engine_is_reported_marked_and_restarted(qtbot, monkeypatch, tmp_path):
    """SIGSTOP stands in for a TensorFlow call that never returns. After the per-call
    timeout (start-up has its own) the banner says the engine is not answering and offers
    Restart; the output says it is not the table's; exports refuse; Restart brings a new
    engine that computes what the table says."""
    monkeypatch.setattr(launch, "CALL_TIMEOUT_S", 1.0)
    window = open_window(qtbot)
    pid = window.pipeline.worker.engine_pid
    os.kill(pid, signal.SIGSTOP)  # closing the window kills it, should the test fail
    edit_cell(window, 0, 0, "2")
    qtbot.waitUntil(lambda: "has not answered" in window.banner.text(),
                    timeout=ENGINE_TIMEOUT_MS)
    text = window.banner.text()
    assert "\n" not in text and "None" not in text
    assert window.banner.action.isVisible() and window.banner.action.text() == "Restart engine"
    assert "NOT the table's settings" in window.output_view.title.text()
    saved = tmp_path / "out.npy"
    assert not window.export_output_npy(saved) and not saved.exists()
    assert "not exported" in window.banner.text()
    qtbot.mouseClick(window.banner.action, Qt.MouseButton.LeftButton)
    spec = window.state.spec
    want = cross_correlate(np.asarray(Image.open(ROOT / "resources" / "ascent.png"),
                                      np.float64), spec.kernel, spec.strides)[0, :, :, 0]
    qtbot.waitUntil(lambda: np.allclose(shown_output(window), want, rtol=1e-4, atol=1e-2),
                    timeout=ENGINE_TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.banner.problem == "", timeout=ENGINE_TIMEOUT_MS)  # (the
    # export's refusal stays, as every refusal does until the next accepted change)
    assert window.pipeline.worker.engine_pid != pid
    assert not window.banner.action.isVisible()
    assert "NOT" not in window.output_view.title.text()
    assert window.export_output_npy(saved)
    np.testing.assert_allclose(np.load(saved)[0, :, :, 0], want, rtol=1e-4, atol=1e-2)


def test_how_an_engine_ended_is_said_in_words():
    assert describe_exit(-signal.SIGKILL).startswith("was killed (SIGKILL")
    assert describe_exit(-signal.SIGSEGV) == "crashed (SIGSEGV)"
    assert describe_exit(3) == "exited with status 3"
    assert "None" not in describe_exit(None)
