"""A random walk through the real window: kernel cell edits (numbers and garbage), filters
(their number, which one is edited, the filter bank), strides, padding, dilation, bias and
file opens (good and broken), in any order.

After every step: no exception escaped into Qt (pytest-qt's capture), the views agree with
the state, and the output-shape label matches the shape formula recomputed here. A "wait"
step lets the engine catch up and compares the output on screen with the NumPy reference.

To add an action (a preset menu, a kernel-size control), add one ``@rule`` method that drives
its widget inside ``self.act(...)``; the invariants already read everything from the state.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.image_corpus import build_corpus
from tests.layers import conv
from tests.live_window import caught_up, edit_cell, open_window, wait_until_caught_up
from tests.numpy_reference import cross_correlate

CELL_TEXTS = st.one_of(
    st.integers(-9, 9).map(str),
    st.floats(-1e3, 1e3, width=32).map(lambda v: f"{v:.4g}"),
    st.sampled_from(["", " ", "nan", "inf", "-inf", "1e400", "2e6", "abc", "1,5", "-0",
                     "1e-50", "0x10", "½", "1e6"]),
    st.text(max_size=6),
)


def expected_size(n: int, k: int, s: int, d: int, padding: str) -> int:
    """The shape formula, written again here from the Keras documentation."""
    if padding == "same":
        return math.ceil(n / s)
    return math.floor((n - d * (k - 1) - 1) / s) + 1


class WindowWalk(RuleBasedStateMachine):
    """Set ``window``, ``qtbot`` and ``files`` on a subclass before running it."""

    window = qtbot = files = None

    def __init__(self) -> None:
        super().__init__()
        win = self.window
        self.act(lambda: win.open_path(self.files["base.png"]))
        self.act(lambda: win.state.set_spec(conv()))

    def act(self, action) -> None:
        """Run one user action, then let queued signals land; nothing may escape."""
        with self.qtbot.capture_exceptions() as escaped:
            action()
            QApplication.processEvents()
        assert not escaped, [f"{kind.__name__}: {value}" for kind, value, _ in escaped]

    # -- actions -------------------------------------------------------------------------
    @rule(row=st.integers(0, 14), col=st.integers(0, 14), text=CELL_TEXTS)
    def type_in_a_cell(self, row, col, text):
        table = self.window.kernel_table
        self.act(lambda: edit_cell(self.window, row % table.rowCount(),
                                   col % table.columnCount(), text))

    @rule(axis=st.sampled_from(["strideRows", "strideCols"]), value=st.integers(1, 16))
    def set_a_stride(self, axis, value):
        box = getattr(self.window.layer_controls, {"strideRows": "stride_rows",
                                                   "strideCols": "stride_cols"}[axis])
        assert box.objectName() == axis
        self.act(lambda: box.setValue(value))

    @rule()
    def click_padding(self):
        button = self.window.layer_controls.padding_same
        self.act(lambda: self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton))

    @rule(dilation=st.tuples(st.integers(1, 4), st.integers(1, 4)))
    def set_dilation(self, dilation):
        self.act(lambda: self.window.state.update_spec(dilation=dilation))

    @rule(filters=st.integers(1, 16))
    def set_the_filter_count(self, filters):
        box = self.window.layer_controls.filter_count
        assert box.objectName() == "filterCount"
        self.act(lambda: box.setValue(filters))

    @rule(index=st.integers(0, 15))
    def select_a_filter(self, index):
        combo = self.window.kernel_tabs.filter_select
        assert combo.objectName() == "filterSelect"
        self.act(lambda: combo.setCurrentIndex(index % combo.count()))

    @rule()
    def pick_the_filter_bank(self):
        self.act(lambda: self.window.kernel_controls.preset.setCurrentText(
            "filter bank (a classic filter per filter)"))

    @rule(bias=st.floats(-1e3, 1e3, width=32))
    def set_bias(self, bias):
        self.act(lambda: self.window.layer_controls.bias.setValue(bias))

    @rule(data=st.data())
    def open_a_file(self, data):
        name = data.draw(st.sampled_from(sorted(self.files)))
        before, opened = self.window.state.image, []
        self.act(lambda: opened.append(self.window.open_path(self.files[name])))
        if opened[0] is None:
            assert self.window.state.image is before
            assert "previous image stays" in self.window.banner.text()
        else:
            assert self.window.state.image is opened[0]
            assert "previous image stays" not in self.window.banner.text()

    @precondition(lambda self: self.runnable())
    @rule()
    def wait_for_the_engine(self):
        """The newest request reaches the screen, with the reference's values."""
        pipeline, state, banner = self.window.pipeline, self.window.state, self.window.banner
        self.act(lambda: wait_until_caught_up(self.qtbot, self.window))
        assert caught_up(self.window) and banner.problem == "", banner.problem
        spec, pixels = state.spec, state.image.pixels
        want = cross_correlate(pixels, spec.kernel, spec.strides, spec.padding, spec.dilation,
                               spec.bias, spec.activation)
        size = float(np.abs(pixels).max() * np.abs(spec.kernel).sum() + np.abs(spec.bias).max())
        tolerance = dict(rtol=1e-5, atol=2e-6 * size + 1e-4)
        np.testing.assert_allclose(pipeline.shown.output(0), want, **tolerance)
        np.testing.assert_allclose(self.window.output_view.values,
                                   want[0, :, :, state.selected_filter], **tolerance)

    # -- what must hold after every step ---------------------------------------------------
    def expected_shape(self) -> tuple[int, int, int, int]:
        spec, (h, w) = self.window.state.spec, self.window.state.image.hw
        (kh, kw), (sh, sw), (dh, dw) = spec.kernel_size, spec.strides, spec.dilation
        return (1, expected_size(h, kh, sh, dh, spec.padding),
                expected_size(w, kw, sw, dw, spec.padding), spec.filters)

    def runnable(self) -> bool:
        spec = self.window.state.spec
        strided_and_dilated = max(spec.strides) > 1 and max(spec.dilation) > 1
        return not strided_and_dilated and min(self.expected_shape()) >= 1

    @invariant()
    def shape_label_matches_the_formula(self):
        text = self.window.shape_panel.output_shape.text()
        assert text.startswith(f"output: {self.expected_shape()}"), text

    @invariant()
    def widgets_show_the_state(self):
        win, spec = self.window, self.window.state.spec
        controls = win.layer_controls
        assert (controls.stride_rows.value(), controls.stride_cols.value()) == spec.strides
        assert controls.padding_same.isChecked() == (spec.padding == "same")
        assert controls.filter_count.value() == spec.filters
        selected = win.state.selected_filter
        assert 0 <= selected < spec.filters
        assert win.kernel_tabs.filter_select.currentIndex() == selected
        table = win.kernel_table
        assert (table.rowCount(), table.columnCount()) == spec.kernel_size
        for row, col in [(r, c) for r in range(table.rowCount())
                         for c in range(table.columnCount()) if (r, c) not in
                         table.invalid_cells]:
            shown = float(table.item(row, col).text())
            want = float(spec.kernel[row, col, 0, selected])
            assert shown == pytest.approx(want, rel=1e-5, abs=1e-30)

    @invariant()
    def refused_settings_are_explained(self):
        if not self.runnable():
            assert self.window.banner.isVisible() and self.window.banner.text()

    @invariant()
    def the_kernel_in_force_is_always_valid(self):
        kernel = self.window.state.spec.kernel
        assert np.isfinite(kernel).all() and np.abs(kernel).max() <= 1e6


@pytest.fixture(scope="module")
def walk_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("walk")
    files = {case.name: case.path for case in build_corpus(folder / "corpus")
             if case.name not in ("pipe.png",)}
    rng = np.random.default_rng(5)
    Image.fromarray(rng.integers(0, 256, (24, 31), dtype=np.uint8)).save(folder / "base.png")
    files["base.png"] = folder / "base.png"
    return files


def test_random_walk_through_the_window(qtbot, walk_files):
    window = open_window(qtbot, walk_files["base.png"])

    class Walk(WindowWalk):
        pass

    Walk.window, Walk.qtbot, Walk.files = window, qtbot, walk_files
    budget = settings(max_examples=max(10, settings.default.max_examples // 8),
                      stateful_step_count=25)
    Walk.TestCase.settings = budget
    Walk.TestCase().runTest()
