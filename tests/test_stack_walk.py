"""A random walk through the layer stack of the real window: layers added, removed, moved and
selected in any order, filter counts, pool settings and kernel cells changed on whichever
layer is selected.

After every step no exception escaped into Qt, every row of the stack shows the shape the
model's arithmetic gives, the selected map exists and the Layer tab shows the selected
layer's kind. A "wait" step lets the engine catch up and compares every layer's output with
the NumPy reference.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from PySide6.QtWidgets import QApplication

from engine.model.errors import LayerSpecError
from engine.model.stack import LAYER_CHOICES
from gui.panels.layer_stack import shape_text
from tests.live_window import caught_up, edit_cell, open_window, wait_until_caught_up
from tests.numpy_reference import run_layers


class StackWalk(RuleBasedStateMachine):
    window = qtbot = None

    def act(self, action) -> None:
        with self.qtbot.capture_exceptions() as escaped:
            action()
            QApplication.processEvents()
        assert not escaped, [f"{kind.__name__}: {value}" for kind, value, _ in escaped]

    @property
    def state(self):
        return self.window.state

    @rule(choice=st.sampled_from([kind for _, kind in LAYER_CHOICES]))
    def add_a_layer(self, choice):
        if len(self.state.model) < 6:
            combo = self.window.layer_stack.kind
            self.act(lambda: combo.setCurrentIndex(combo.findData(choice)))
            self.act(self.window.layer_stack.add.click)

    @rule()
    def remove_the_selected_layer(self):
        self.act(self.window.layer_stack.remove.click)

    @rule(up=st.booleans())
    def move_the_selected_layer(self, up):
        button = self.window.layer_stack.up if up else self.window.layer_stack.down
        self.act(button.click)

    @rule(index=st.integers(0, 6))
    def select_a_layer(self, index):
        self.act(lambda: self.state.select_layer(index % len(self.state.model)))

    @rule(filters=st.integers(1, 6))
    def set_the_filter_count(self, filters):
        if self.state.spec.kind == "Conv2D":
            self.act(lambda: self.window.layer_controls.filter_count.setValue(filters))

    @rule(size=st.integers(1, 4), same=st.booleans())
    def set_the_pool(self, size, same):
        pool = self.window.layer_settings.pool
        if self.state.spec.kind.endswith("Pooling2D"):
            self.act(lambda: pool.rows.setValue(size))
            if pool.padding_same.isChecked() != same:
                self.act(pool.padding_same.click)

    @rule(row=st.integers(0, 2), col=st.integers(0, 2), value=st.integers(-3, 3))
    def type_in_a_cell(self, row, col, value):
        if self.state.spec.kind == "Conv2D":
            table = self.window.kernel_table
            self.act(lambda: edit_cell(self.window, row % table.rowCount(),
                                       col % table.columnCount(), str(value)))

    def runnable(self) -> bool:
        try:
            self.state.model.check(self.state.image.nhwc_shape)
        except LayerSpecError:
            return False
        return True

    @precondition(lambda self: self.runnable())
    @rule()
    def wait_for_the_engine(self):
        pipeline, banner = self.window.pipeline, self.window.banner
        self.act(lambda: wait_until_caught_up(self.qtbot, self.window))
        assert caught_up(self.window) and banner.problem == "", banner.problem
        want = run_layers(self.state.image.pixels, self.state.model.layers)
        for got, expected in zip(pipeline.shown.outputs, want):
            scale = float(np.abs(expected).max()) + 1
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * scale)

    @invariant()
    def rows_show_the_arithmetic(self):
        rows = self.window.layer_stack.rows()
        model = self.state.model
        assert len(rows) == len(model) + 1
        shapes = model.output_shapes(self.state.image.nhwc_shape)
        assert [row[1] for row in rows[1:]] == [shape_text(shape) for shape in shapes]
        assert [row[2] for row in rows[1:]] == [f"{n:,}" for n in model.param_counts()]

    @invariant()
    def the_selection_exists_and_the_controls_follow(self):
        state = self.state
        assert 0 <= state.selected_layer < len(state.model)
        assert 0 <= state.selected_filter < state.map_count()
        page = self.window.layer_settings.currentWidget()
        kind = state.spec.kind
        assert (page is self.window.layer_controls) == (kind == "Conv2D")
        if kind == "Conv2D":
            assert self.window.layer_controls.filter_count.value() == state.spec.filters
        if not self.runnable():
            assert self.window.banner.text()


def test_random_walk_through_the_layer_stack(qtbot, tmp_path):
    from PIL import Image

    path = tmp_path / "small.png"
    rng = np.random.default_rng(8)
    Image.fromarray(rng.integers(0, 256, (21, 26), dtype=np.uint8)).save(path)
    window = open_window(qtbot, path)

    class Walk(StackWalk):
        pass

    Walk.window, Walk.qtbot = window, qtbot
    Walk.TestCase.settings = settings(max_examples=max(4, settings.default.max_examples // 20),
                                      stateful_step_count=25)
    Walk.TestCase().runTest()


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
