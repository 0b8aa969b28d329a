"""The layer stack: every layer from the input to the last, as ``model.summary()`` lists
them (name and type, output shape, parameter count, the total under them), and the buttons
that add, remove and move layers.

Selecting a row selects that layer everywhere (the state's ``selected_layer``): its maps in
the grid and the output view, its settings on the Kernel and Layer tabs, its arithmetic in
the Shapes box. The layers of an opened Keras file that ConvScope does not run are listed
after the others, greyed, with why in their tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.arithmetic.sizes import format_shape
from engine.model.stack import LAYER_CHOICES
from gui.state import AppState, signals_blocked

GREY = QBrush(QColor(140, 140, 140))
INPUT_ROW = -1  # the row data of the input's row; layer rows hold their index


def shape_text(shape: tuple) -> str:
    if any(v is not None and v != "?" and v < 1 for v in shape[1:]):
        return f"{format_shape(shape)} empty"
    return "(" + ", ".join("?" if v == "?" else "None" if v is None else str(int(v))
                           for v in shape) + (",)" if len(shape) == 1 else ")")


class LayerStack(QWidget):
    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.tree = QTreeWidget()
        self.tree.setObjectName("layerStack")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Layer (type)", "Output shape", "Param #"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setToolTip("The model, layer by layer, as model.summary() lists it. Select "
                             "a layer to see its feature maps and edit it.")
        self.tree.setMinimumHeight(56)  # the input and two layers; longer stacks scroll
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.total = QLabel()
        self.total.setObjectName("totalParams")
        self.kind = QComboBox()
        self.kind.setObjectName("layerKind")
        self.kind.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.kind.setMinimumContentsLength(12)
        for label, kind in LAYER_CHOICES:
            self.kind.addItem(label, kind)
        self.add = QPushButton("Add")
        self.add.setObjectName("addLayer")
        self.add.setToolTip("Add the chosen layer after the selected one. A Conv2D reads the "
                            "channels the layer before it makes.")
        self.remove = QPushButton("Remove")
        self.remove.setObjectName("removeLayer")
        self.up = QPushButton("↑")
        self.up.setObjectName("moveLayerUp")
        self.up.setToolTip("Move the selected layer up (earlier in the model).")
        self.down = QPushButton("↓")
        self.down.setObjectName("moveLayerDown")
        self.down.setToolTip("Move the selected layer down (later in the model).")
        for button in (self.up, self.down):
            button.setMaximumWidth(36)
        buttons = QHBoxLayout()
        buttons.addWidget(self.kind, stretch=1)
        for button in (self.add, self.remove, self.up, self.down):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, stretch=1)
        layout.addWidget(self.total)
        layout.addLayout(buttons)

        self.tree.currentItemChanged.connect(self._on_current)
        self.add.clicked.connect(lambda: state.add_layer(self.kind.currentData()))
        self.remove.clicked.connect(lambda: state.remove_layer())
        self.up.clicked.connect(lambda: state.move_layer(state.selected_layer, -1))
        self.down.clicked.connect(lambda: state.move_layer(state.selected_layer, 1))
        self._shown_for: tuple | None = None
        for signal in (state.modelChanged, state.imageChanged, state.selectionChanged,
                       state.modelFileChanged):
            signal.connect(self.refresh)
        self.refresh()

    def rows(self) -> list[tuple[str, str, str]]:
        """(layer (type), output shape, param #) of every row, as shown."""
        return [tuple(self.tree.topLevelItem(i).text(c) for c in range(3))
                for i in range(self.tree.topLevelItemCount())]

    def refresh(self, *_changed) -> None:
        state = self.state
        shown_for = (state.geometry(), state.model_file)
        if shown_for != self._shown_for:  # a weight edit changes no row
            self._shown_for = shown_for
            self._fill()
        self._select_row()
        count = len(state.model)
        self.remove.setEnabled(count > 1)
        self.up.setEnabled(state.selected_layer > 0)
        self.down.setEnabled(state.selected_layer < count - 1)

    def _fill(self) -> None:
        state, model = self.state, self.state.model
        input_shape = (state.image.nhwc_shape if state.image is not None
                       else (1, None, None, state.image_channels))
        shapes = (model.output_shapes(input_shape) if state.image is not None
                  else [(1, None, None, c) for c in model.channels(state.image_channels)[1:]])
        with signals_blocked(self.tree):
            self.tree.clear()
            item = QTreeWidgetItem(["Input", shape_text(input_shape), ""])
            item.setData(0, Qt.ItemDataRole.UserRole, INPUT_ROW)
            item.setToolTip(0, "The image as the first layer receives it: (batch, height, "
                               "width, channels).")
            self.tree.addTopLevelItem(item)
            for index, (name, spec, shape) in enumerate(zip(model.layer_names(), model.layers,
                                                            shapes)):
                item = QTreeWidgetItem([f"{name} ({spec.kind})", shape_text(shape),
                                        f"{spec.param_count:,}"])
                item.setData(0, Qt.ItemDataRole.UserRole, index)
                item.setToolTip(2, spec.param_arithmetic())
                self.tree.addTopLevelItem(item)
            for layer in state.model_file.not_run if state.model_file else ():
                item = QTreeWidgetItem([f"{layer.name} ({layer.kind})",
                                        shape_text(layer.output_shape), f"{layer.params:,}"])
                item.setData(0, Qt.ItemDataRole.UserRole, None)
                item.setFlags(Qt.ItemFlag.NoItemFlags)  # listed, not selectable
                for column in range(3):
                    item.setForeground(column, GREY)
                    item.setToolTip(column, f"Not run in ConvScope: {layer.why}.")
                self.tree.addTopLevelItem(item)
        total = sum(model.param_counts())
        text = f"Total params: {total:,}"
        if state.model_file is not None and state.model_file.not_run:
            text += (f"  (the whole file {state.model_file.source}: "
                     f"{state.model_file.total_params:,}, greyed layers included)")
        self.total.setText(text)

    def _select_row(self) -> None:
        item = self.tree.topLevelItem(self.state.selected_layer + 1)
        if item is not None and self.tree.currentItem() is not item:
            with signals_blocked(self.tree):
                self.tree.setCurrentItem(item)

    def _on_current(self, item: QTreeWidgetItem | None, _previous) -> None:
        index = None if item is None else item.data(0, Qt.ItemDataRole.UserRole)
        if index is None or index == INPUT_ROW:  # the input or a layer that does not run
            self._select_row()
            return
        self.state.select_layer(int(index))
