"""File > Load kernel on whatever a disk, an editor or an attacker produces: every file is
either a valid layer or one KernelFileError (the banner's message), never another exception;
huge files are refused by their size before they are read; a FIFO never blocks; the encodings
real editors write (UTF-8 with a BOM, UTF-16 from PowerShell, Latin-1 comments) load."""

from __future__ import annotations

import json
import os
import threading
import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.kernels.files import (
    MAX_KERNEL_FILE_BYTES,
    MAX_TEXT_KERNEL_BYTES,
    KernelFileError,
    load_kernel_file,
    spec_from_json,
    spec_to_json,
)
from engine.model.conv import ConvSpec, check_conv
from tests.conftest import ASCENT
from tests.live_window import open_window
from tests.unprivileged import as_unprivileged, open_folder, remove_folder

KERNEL = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], np.float32)
TEXT_KERNEL = "# a 3x3 kernel\n1 2 3\n4 5 6\n7 8 9\n"


def refusal(path, current: ConvSpec | None = None) -> str:
    """The message loading ``path`` gives (the test fails if it loads, or raises another
    exception)."""
    with pytest.raises(KernelFileError) as info:
        load_kernel_file(path, current or ConvSpec())
    return str(info.value)


def document(**fields) -> str:
    return json.dumps({"values": [[1, 2], [3, 4]], **fields})


HOSTILE_JSON = [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"values": ' + "[" * 500 + "1" + "]" * 500 + "}", "in rows of equal length"),
    ('{"values": [[1]], "strides": [Infinity, 1]}', '"strides" must be a finite number'),
    ('{"values": [[1]], "dilation": [1, -Infinity]}', '"dilation" must be a finite number'),
    ('{"values": [[1]], "strides": [NaN, 1]}', '"strides" must be a finite number'),
    ('{"values": [[1]], "bias": 1' + "0" * 400 + "}", '"bias" must be a finite number'),
    ('{"values": [[1]], "bias": 1e400}', '"bias" must be a finite number'),
    ('{"values": [[1' + "0" * 400 + "]]}", "every entry must lie between -1e+06 and 1e+06"),
    ('{"values": [[1e39]]}', "every entry must lie between"),
    ('{"values": [[-Infinity]]}', "every entry must lie between"),
    ('{"values": [[1]], "size": [1' + "0" * 5000 + ", 1]}", "4300 digits"),
    (document(values=[[True, False]]), '"values" must be numbers only, not false'),
    (document(values=[[1, True]]), '"values" must be numbers only, not true'),
    (document(values=[["1", "2"]]), '"values" must be numbers only, not "2"'),
    (document(values=[[None]]), '"values" must be numbers only, not null'),
    (document(values=[[{"a": 1}]]), '"values" must be numbers only'),
    (document(bias=True), '"bias" must be a number, not true'),
    (document(strides=[True, 1]), '"strides" must be a number, not true'),
    (document(dilation=[1, False]), '"dilation" must be a number, not false'),
    (document(bias="x" * 500), "..."),
]


@pytest.mark.parametrize("text,reason", HOSTILE_JSON,
                         ids=[f"json{i}" for i in range(len(HOSTILE_JSON))])
def test_hostile_json_is_one_clear_refusal(tmp_path, text, reason):
    path = tmp_path / "hostile.json"
    path.write_text(text)
    message = refusal(path)
    assert message.startswith("hostile.json") and reason in message
    assert len(message) < 200  # one line for the banner, whatever the file holds


LEAVES = (st.none() | st.booleans() | st.integers() | st.integers(10**300, 10**320)
          | st.floats() | st.text(max_size=5))
JSON_VALUES = (st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=4)
                            | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                            max_leaves=12)
               | st.lists(LEAVES, min_size=2, max_size=2)  # shaped like strides or a size
               | st.lists(st.lists(LEAVES, min_size=1, max_size=3), min_size=1, max_size=3))
FIELDS = ["values", "size", "channels", "strides", "padding", "dilation", "bias",
          "activation"]


def leaves(value):
    if isinstance(value, list):
        for item in value:
            yield from leaves(item)
    else:
        yield value


@given(field=st.sampled_from(FIELDS), value=JSON_VALUES)
def test_any_value_in_any_field_is_a_valid_layer_or_a_refusal(field, value):
    text = json.dumps({**json.loads(document()), field: value})
    try:
        spec = spec_from_json(text, "k.json")
    except KernelFileError:
        return
    check_conv(spec)
    assert np.all(np.isfinite(spec.kernel)) and np.all(np.isfinite(spec.bias))
    assert spec.bias.shape == (spec.filters,)
    if field in ("values", "bias", "strides", "dilation"):  # weights and steps: numbers only
        assert all(type(leaf) in (int, float) for leaf in leaves(value)), value


# -- size, kind of file, permissions -----------------------------------------------------------
@pytest.mark.parametrize("name,size", [("huge.json", 10**9), ("big.txt", 100 * 10**6)])
def test_a_huge_file_is_refused_by_its_size_without_reading_it(tmp_path, name, size):
    path = tmp_path / name
    with open(path, "wb") as handle:
        handle.truncate(size)  # sparse: no disk space, but this size to anything reading it
    tracemalloc.start()
    try:
        message = refusal(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert f"is too large for a kernel file: {size:,} bytes" in message
    assert peak < 100_000  # nothing of the file was read into memory


@pytest.mark.parametrize("name,limit,body", [
    ("bound.json", MAX_KERNEL_FILE_BYTES, document()),
    ("bound.txt", MAX_TEXT_KERNEL_BYTES, TEXT_KERNEL),
])
def test_the_size_bound_is_exact(tmp_path, name, limit, body):
    path = tmp_path / name
    filler = limit - len(body) - 1  # spaces in JSON, a long comment in text, then a new line
    path.write_text(body + (" " if name.endswith(".json") else "#") * filler + "\n")
    assert path.stat().st_size == limit
    assert load_kernel_file(path, ConvSpec()).kernel.shape in ((2, 2, 1, 1), (3, 3, 1, 1))
    with open(path, "a") as handle:
        handle.write("\n")
    assert f"{limit + 1:,} bytes, and at most {limit:,} are read" in refusal(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "kernel.txt"
    os.mkfifo(fifo)
    outcome = []
    reader = threading.Thread(target=lambda: outcome.append(refusal(fifo)), daemon=True)
    reader.start()
    reader.join(30)
    if reader.is_alive():  # it blocked waiting for a writer: give it one, then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("reading a FIFO blocked")
    assert "not a regular file" in outcome[0]


def test_a_folder_and_a_binary_file(tmp_path):
    assert refusal(tmp_path) == f"{tmp_path.name} is a folder, not a kernel file."
    png = tmp_path / "photo.txt"
    png.write_bytes(ASCENT.read_bytes()[:4000])
    assert refusal(png) == "photo.txt is not a text file (it holds binary data)."


def test_a_kernel_file_the_user_may_not_read():
    folder = open_folder()
    try:
        path = folder / "kernel.txt"
        path.write_text(TEXT_KERNEL)
        path.chmod(0o000)

        def message():
            try:
                load_kernel_file(path, ConvSpec())
            except KernelFileError as exc:
                return str(exc)
            return "loaded"

        assert as_unprivileged(message) == (
            f"kernel.txt cannot be opened: {os.strerror(13)}.")
    finally:
        remove_folder(folder)


# -- what real editors write -----------------------------------------------------------------
ENCODINGS = {
    "UTF-8 with BOM (Notepad)": lambda text: text.encode("utf-8-sig"),
    "UTF-16 LE with BOM (PowerShell >)": lambda text: b"\xff\xfe" + text.encode("utf-16-le"),
    "UTF-16 BE with BOM": lambda text: b"\xfe\xff" + text.encode("utf-16-be"),
    "UTF-16 LE without BOM": lambda text: text.encode("utf-16-le"),
    "UTF-32 with BOM": lambda text: text.encode("utf-32"),
    "Windows line ends": lambda text: text.replace("\n", "\r\n").encode("ascii"),
}


@pytest.mark.parametrize("encode", ENCODINGS.values(), ids=ENCODINGS.keys())
def test_text_and_json_kernels_in_other_encodings(tmp_path, encode):
    text_file = tmp_path / "k.txt"
    text_file.write_bytes(encode(TEXT_KERNEL))
    assert np.array_equal(load_kernel_file(text_file, ConvSpec()).kernel[:, :, 0, 0], KERNEL)
    spec = ConvSpec(kernel=KERNEL[:, :, None, None], strides=(2, 1), padding="same", bias=0.5)
    json_file = tmp_path / "k.json"
    json_file.write_bytes(encode(spec_to_json(spec)))
    assert load_kernel_file(json_file, ConvSpec()) == spec


def test_latin1_comments_in_a_text_kernel(tmp_path):
    path = tmp_path / "flou.txt"
    path.write_bytes("# Noyau de flou élémentaire (3×3), «moyenne»\n1 2 3\n4 5 6\n7 8 9\n"
                     .replace("×", "x").encode("latin-1"))
    assert np.array_equal(load_kernel_file(path, ConvSpec()).kernel[:, :, 0, 0], KERNEL)


# -- the window ------------------------------------------------------------------------------
def test_the_window_explains_hostile_kernel_files_and_loads_powershells(qtbot, tmp_path):
    window = open_window(qtbot)
    before = window.state.spec
    hostile = {"deep.json": "[" * 100_000, "inf.json": document(strides=[float("inf"), 1]),
               "bool.json": document(values=[[True, False]])}
    for name, text in hostile.items():
        (tmp_path / name).write_text(text)
    with open(tmp_path / "huge.txt", "wb") as handle:
        handle.truncate(10**9)
    for name in [*hostile, "huge.txt"]:
        assert not window.load_kernel(tmp_path / name), name
        assert window.banner.isVisible(), name
        assert window.banner.text().startswith(f"Kernel not loaded, nothing changed: {name}")
        assert window.state.spec == before, name
    powershell = tmp_path / "from-powershell.txt"
    powershell.write_bytes(ENCODINGS["UTF-16 LE with BOM (PowerShell >)"](TEXT_KERNEL))
    assert window.load_kernel(powershell)
    assert np.array_equal(window.state.spec.kernel[:, :, 0, 0], KERNEL)
