"""The ``convolve`` command never overwrites a file it reads, prints the output shape only
once its outputs are saved, and says in one line which size did not fit in memory."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from engine.commands import convolve as cli
from tests.conftest import ASCENT, ROOT


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "in.png"
    path.write_bytes(ASCENT.read_bytes())
    return path


def refused(capsys, *argv) -> str:
    assert cli.main([str(a) for a in argv]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == "" and len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


def test_convolve_never_overwrites_its_input(tmp_path, photo, capsys):
    original = photo.read_bytes()
    (tmp_path / "alias.png").symlink_to(photo)
    os.link(photo, tmp_path / "hard.png")
    for argv in ([photo, "-o", photo], [photo, "-o", tmp_path / "alias.png"],
                 [photo, "-o", tmp_path / "hard.png"],
                 [tmp_path / "alias.png", "-o", tmp_path / "." / "in.png"],
                 [photo, "--emit-code", photo]):
        line = refused(capsys, *argv)
        assert "is the input image" in line and "choose another name" in line, line
    assert photo.read_bytes() == original


def test_convolve_refuses_two_outputs_with_one_name(tmp_path, photo, capsys):
    line = refused(capsys, photo, "-o", tmp_path / "x.npy", "--emit-code", tmp_path / "x.npy")
    assert line == "error: --emit-code x.npy is also the file -o writes; choose another name."
    assert not (tmp_path / "x.npy").exists()


def test_convolve_refuses_its_input_in_a_real_process(run_main, photo):
    original = photo.read_bytes()
    result = run_main("convolve", photo, "-o", photo)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == ("error: -o in.png is the input image: ConvScope never "
                                     "overwrites a file the command reads; choose another "
                                     "name.")
    assert photo.read_bytes() == original


def test_a_failed_save_prints_no_shape(tmp_path, photo, capsys):
    line = refused(capsys, photo, "-o", tmp_path / "no-such-folder" / "out.npy")
    assert line.startswith("error: Cannot write in")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is enforced on "
                    "Linux only")
def test_too_little_memory_for_the_image_is_one_line_naming_its_size(tmp_path):
    path = tmp_path / "large.png"
    Image.fromarray(np.full((4000, 4000), 7, np.uint8)).save(path)
    script = (f"import resource, sys\nsys.path.insert(0, {str(ROOT)!r})\n"
              f"from engine.commands.convolve import main\n"
              f"size = int(open('/proc/self/statm').read().split()[0]) * "
              f"resource.getpagesize()\n"
              f"resource.setrlimit(resource.RLIMIT_AS, (size + 48 * 2**20, "
              f"resource.RLIM_INFINITY))\n"
              f"sys.exit(main([{str(path)!r}]))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1 and result.stdout == "", result.stderr
    assert result.stderr == ("error: large.png (4000 x 4000 pixels, 1 channel(s), 64 MB as "
                             "float32) is too large for this computer's memory: close other "
                             "programs or use a smaller image.\n")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is enforced on "
                    "Linux only")
def test_too_little_memory_for_the_output_is_one_line_and_no_shape(tmp_path):
    """The memory limit is set after TensorFlow has loaded and run once, at several sizes
    around what the 4000 x 4000 layer needs. Every run either works (shape printed, output
    saved) or prints one clean line and no shape; some run must fail in the layer itself.
    TensorFlow's own allocator sometimes ends the process natively (SIGSEGV) at such limits:
    no Python code can catch that, so those runs are only counted."""
    path = tmp_path / "large.png"
    Image.fromarray(np.full((4000, 4000), 7, np.uint8)).save(path)
    script = ("import resource, sys\n"
              f"sys.path.insert(0, {str(ROOT)!r})\n"
              "import numpy as np\n"
              "from engine.backend.keras_model import convolve\n"
              "from engine.commands.convolve import main\n"
              "from engine.model.conv import ConvSpec\n"
              "convolve(np.ones((50, 50), np.float32), ConvSpec())  # thread pools first\n"
              "size = int(open('/proc/self/statm').read().split()[0]) * resource.getpagesize()\n"
              "resource.setrlimit(resource.RLIMIT_AS, (size + int(sys.argv[1]) * 2**20, "
              "resource.RLIM_INFINITY))\n"
              "sys.exit(main(sys.argv[2:]))\n")
    outcomes = []
    for headroom in range(150, 501, 50):
        out = tmp_path / f"out{headroom}.npy"
        result = subprocess.run([sys.executable, "-c", script, str(headroom), str(path), "-o",
                                 str(out)], capture_output=True, text=True, timeout=300)
        outcomes.append((headroom, result.returncode, result.stderr.strip()))
        if result.returncode == 0:
            assert result.stdout == "(1, 3998, 3998, 1)\n"
            assert np.load(out).shape == (1, 3998, 3998, 1)
        elif result.returncode == 1:
            lines = result.stderr.strip().splitlines()
            assert result.stdout == "" and len(lines) == 1, (headroom, result.stderr)
            assert lines[0].startswith("error: ") and "\x1b" not in lines[0]
            assert "unexpected failure" not in lines[0], lines[0]
        else:
            assert result.returncode == -11, (headroom, result.returncode, result.stderr)
    assert any("not enough memory to compute the output (1, 3998, 3998, 1) (64 MB as float32)"
               in err for _h, code, err in outcomes if code == 1), outcomes
