"""Help > About's facts: versions from the installed packages' metadata, credits from the
file shipped with the images; finding them imports nothing."""

import subprocess
import sys
from importlib import metadata

from engine.about import UNKNOWN, installed_version, sample_credits, versions
from tests.conftest import ROOT


def test_versions_come_from_the_installed_packages():
    found = dict(versions())
    assert found["Keras"] == metadata.version("keras")
    assert found["NumPy"] == metadata.version("numpy")
    assert found["ConvScope"] == metadata.version("convscope")
    assert found["TensorFlow"] != UNKNOWN and found["Python"].count(".") == 2
    assert installed_version(("no-such-distribution-xyz",)) == UNKNOWN


def test_the_sample_credits_name_every_bundled_image(tmp_path):
    credits = dict(sample_credits())
    assert set(credits) == {"ascent.png", "face.png"}
    assert "public domain" in credits["ascent.png"] and "`" not in credits["ascent.png"]
    assert sample_credits(tmp_path / "missing.md") == []


def test_finding_the_versions_does_not_import_tensorflow():
    code = ("import sys, engine.about as a; a.versions(); "
            "print('tensorflow' in sys.modules or 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"
