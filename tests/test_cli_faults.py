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
