"""A small CNN in the real window: the layer stack built through its panel, every row's shape
and parameter count against Keras's own model.summary() numbers, an edit of the first conv
reaching the last layer, the pooling and deep-conv inspector, real .keras files opened and
saved back, the Code tab's Sequential and the second lesson (pytest-qt, real Keras, checked
against the NumPy reference)."""

import subprocess
import sys
import threading

import keras
import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QWidget,
)

import gui.image_loader
from engine.arithmetic.through_layers import receptive_field
from engine.images.loading import load_image as real_load_image
from tests.conftest import FACE
from tests.live_window import edit_cell, find, shown_output
from tests.numpy_reference import run_layers
from tests.test_filters_gui import wait_for_model

L = keras.layers


def add(win, kind_label):
    combo = find(win, QComboBox, "layerKind")
    combo.setCurrentIndex(combo.findText(kind_label))
    find(win, QPushButton, "addLayer").click()


def select_row(qtbot, win, row):
    """Click row ``row`` of the stack (0 is the input)."""
    tree = find(win, QTreeWidget, "layerStack")
    item = tree.topLevelItem(row)
    tree.scrollToItem(item)
    rect = tree.visualItemRect(item)
    assert tree.viewport().rect().contains(rect.center())
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def build_issue_stack(win):
    """conv(4) -> relu -> maxpool -> conv(2), through the panel and the Layer tab."""
    find(win, QSpinBox, "filterCount").setValue(4)
    add(win, "Activation (relu)")
    add(win, "MaxPooling2D (2x2)")
    add(win, "Conv2D")
    assert win.state.selected_layer == 3
    find(win, QSpinBox, "filterCount").setValue(2)


def summary_rows(win):
    """What model.summary() says for the same stack, from a real keras.Sequential."""
    first = win.state.model.layers[0]
    model = keras.Sequential([
        keras.Input((512, 512, 1)),
        L.Conv2D(4, 3, strides=first.strides), L.Activation("relu"), L.MaxPooling2D(),
        L.Conv2D(2, 3)])
    return [("Input", "(1, 512, 512, 1)", "")] + [
        (f"{name} ({type(layer).__name__})", str((1, *layer.output.shape[1:])),
         f"{layer.count_params():,}")
        for name, layer in zip(win.state.model.layer_names(), model.layers)]


def test_build_conv_relu_maxpool_conv_through_the_panel(qtbot, window):
    build_issue_stack(window)
    stack = window.layer_stack
    assert stack.rows() == summary_rows(window)
    assert stack.rows()[1:] == [("conv2d (Conv2D)", "(1, 255, 510, 4)", "40"),
                                ("activation (Activation)", "(1, 255, 510, 4)", "0"),
                                ("max_pooling2d (MaxPooling2D)", "(1, 127, 255, 4)", "0"),
                                ("conv2d_1 (Conv2D)", "(1, 125, 253, 2)", "74")]
    assert find(window, QLabel, "totalParams").text() == "Total params: 114"
    assert window.state.model.layers[3].weights_shape == (3, 3, 4, 2)
    assert find(window, QLabel, "weightsShape").text() == \
        "weights: kernel (3, 3, 4, 2), bias (2,)"
    result = wait_for_model(qtbot, window)
    want = run_layers(window.state.image.pixels, window.state.model.layers)
    for got, expected in zip(result.outputs, want):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-2)
    np.testing.assert_array_equal(shown_output(window), result.output(3)[0, :, :, 0])

    select_row(qtbot, window, 1)  # the first conv: edit one of its filters
    assert window.state.selected_layer == 0
    before = result.output(3).copy()
    find(window, QComboBox, "filterSelect").setCurrentIndex(2)
    edit_cell(window, 1, 1, "4")
    after = wait_for_model(qtbot, window)
    assert not np.allclose(after.output(3), before)
    for got, expected in zip(after.outputs, run_layers(window.state.image.pixels,
                                                       window.state.model.layers)):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-2)


def test_selecting_a_layer_shows_its_maps_and_its_own_controls(qtbot, window):
    build_issue_stack(window)
    result = wait_for_model(qtbot, window)
    select_row(qtbot, window, 3)  # max_pooling2d
    assert window.state.selected_layer == 2 and window.state.spec.kind == "MaxPooling2D"
    assert window.layer_settings.currentWidget() is window.layer_settings.pool
    assert window.kernel_page.currentWidget() is window.kernel_page.note
    assert "no kernel" in find(window, QLabel, "noKernelNote").text()
    assert find(window, QWidget, "featureMaps").isVisible()
    assert find(window, QLabel, "featureMapCaption3").text().startswith("channel 3\n")
    qtbot.mouseClick(find(window, QWidget, "featureMap3"), Qt.MouseButton.LeftButton)
    np.testing.assert_array_equal(shown_output(window), result.output(2)[0, :, :, 3])
    assert window.output_view.title.text() == "max_pooling2d (MaxPooling2D) output, channel 3"
    text = find(window, QLabel, "shapeExplanation").text()
    assert "rows: floor((255 - 2) / 2) + 1 = 127" in text
    assert find(window, QLabel, "paramCount").text() == "params:  0 (pooling has no weights)"
    find(window, QSpinBox, "poolRows").setValue(3)
    find(window, QCheckBox, "poolStridesAuto").setChecked(False)
    find(window, QSpinBox, "poolStrideRows").setValue(1)
    assert window.state.spec.pool_size == (3, 2) and window.state.spec.strides == (1, 2)
    assert window.layer_stack.rows()[3][1] == "(1, 253, 255, 4)"
    assert window.layer_stack.rows()[4][1] == "(1, 251, 253, 2)"
    assert window.undo_action.text() == "&Undo pool strides"
    wait_for_model(qtbot, window)
    select_row(qtbot, window, 2)
    assert window.layer_settings.currentWidget() is window.layer_settings.activation
    find(window, QComboBox, "activationKind").setCurrentText("tanh")
    result = wait_for_model(qtbot, window)
    np.testing.assert_allclose(result.output(1), np.tanh(result.output(0)), rtol=1e-5,
                               atol=1e-6)


def test_remove_and_move_keep_the_stack_runnable(qtbot, window):
    build_issue_stack(window)
    select_row(qtbot, window, 1)
    find(window, QPushButton, "removeLayer").click()  # the first conv
    assert [row[0] for row in window.layer_stack.rows()[1:]] == [
        "activation (Activation)", "max_pooling2d (MaxPooling2D)", "conv2d (Conv2D)"]
    assert window.state.model.layers[2].weights_shape == (3, 3, 1, 2)  # now reads the image
    select_row(qtbot, window, 3)
    find(window, QPushButton, "moveLayerUp").click()
    assert window.state.selected_layer == 1 and window.state.spec.kind == "Conv2D"
    assert window.undo_action.text() == "&Undo layer order"
    result = wait_for_model(qtbot, window)
    for got, expected in zip(result.outputs, run_layers(window.state.image.pixels,
                                                        window.state.model.layers)):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-2)
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert len(window.state.model) == 4


def test_the_inspector_on_a_pooling_output_and_a_second_conv(qtbot, window):
    build_issue_stack(window)
    result = wait_for_model(qtbot, window)
    inspector = window.explain_tabs.inspector
    select_row(qtbot, window, 3)  # pooling
    window.state.select_filter(1)
    inspector.pin(40, 70)
    lines = find(window, QPlainTextEdit, "inspectorTerms").toPlainText().splitlines()
    assert lines[0] == "activation[80..81, 140..141, 1]:"
    window_values = result.output(1)[0, 80:82, 140:142, 1]
    assert lines[-1].startswith(f"max of 4 values = {window_values.max():.6g}")
    assert inspector.explanation.value == pytest.approx(float(result.output(2)[0, 40, 70, 1]))
    assert "[" in lines[1] + lines[2]  # the winner is marked
    select_row(qtbot, window, 4)  # the second conv
    window.state.select_filter(1)
    inspector.pin(10, 20)
    total = find(window, QLabel, "inspectorSum").text()
    assert "sum over all 4 input channels" in total and total.count("channel ") >= 4
    assert inspector.explanation.value == pytest.approx(
        float(result.output(3)[0, 10, 20, 1]), rel=1e-4, abs=1e-3)
    terms = find(window, QPlainTextEdit, "inspectorTerms").toPlainText().splitlines()
    assert len(terms) == 36 and terms[0].startswith("max_pooling2d[10, 20, 0] × w[0, 0, 0]")
    field = receptive_field(window.state.model, (1, 512, 512, 1), 3, 10, 20)
    frame = window.explain_tabs.overlay.frame.rect()
    assert (frame.y(), frame.x(), frame.height(), frame.width()) == (
        field.top, field.left, field.height, field.width) == (40, 40, 13, 8)
    assert "Receptive field on the input image (drawn): rows 40 to 52" in \
        inspector.heading.text()


def test_a_deeper_conv_is_edited_one_input_channel_at_a_time(qtbot, window):
    build_issue_stack(window)
    channel = find(window, QComboBox, "inputChannelSelect")
    assert channel.isVisible() and channel.count() == 4
    assert not find(window, QCheckBox, "sameKernel").isVisible()
    channel.setCurrentIndex(2)
    edit_cell(window, 0, 1, "9")
    kernel = window.state.spec.kernel
    assert kernel[0, 1, 2, 0] == 9 and kernel[0, 1, 1, 0] != 9
    assert window.kernel_table.item(0, 1).text() == "9"
    channel.setCurrentIndex(1)
    assert window.kernel_table.item(0, 1).text() != "9"


def cnn_file(tmp_path, channels=1, name="cnn.keras"):
    rng = np.random.default_rng(9)
    model = keras.Sequential([
        keras.Input((64, 64, channels)), L.Rescaling(1 / 255, name="scale"),
        L.Conv2D(6, 3, activation="relu", name="c1"), L.MaxPooling2D(name="p1"),
        L.Dropout(0.3, name="drop"), L.Conv2D(3, 3, name="c2"), L.Flatten(name="flat"),
        L.Dense(2, name="head")])
    for layer in model.layers:
        layer.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32)
                           for w in layer.get_weights()])
    path = tmp_path / name
    model.save(path)
    return path, model


def test_open_a_real_keras_model_edit_it_and_save_it_back(qtbot, window, tmp_path):
    path, model = cnn_file(tmp_path)
    assert window.open_model(path)
    rows = window.layer_stack.rows()
    assert rows[0] == ("Input", "(1, 64, 64, 1)", "")
    assert rows[1:] == [(f"{layer.name} ({type(layer).__name__})",
                         str((1, *layer.output.shape[1:])), f"{layer.count_params():,}")
                        for layer in model.layers]
    tree = find(window, QTreeWidget, "layerStack")
    flatten = tree.topLevelItem(6)
    assert flatten.flags() == Qt.ItemFlag.NoItemFlags
    assert "one long vector" in flatten.toolTip(0)
    assert f"the whole file cnn.keras: {model.count_params():,}" in \
        find(window, QLabel, "totalParams").text()
    assert window.state.image.hw == (64, 64)
    assert "Resized from 512x512 to 64x64" in window.input_view.caption.text()
    result = wait_for_model(qtbot, window)
    probe = keras.Model(model.inputs, [layer.output for layer in model.layers[:5]])
    x = window.state.image.pixels[None, :, :, None]
    for mine, theirs in zip(result.outputs, probe(x, training=False)):
        np.testing.assert_allclose(mine, np.asarray(theirs), rtol=1e-5, atol=1e-5)

    select_row(qtbot, window, 2)  # c1: edit a first-layer filter
    edit_cell(window, 1, 1, "3")
    edited = wait_for_model(qtbot, window)
    assert not np.allclose(edited.output(4), result.output(4))
    saved = tmp_path / "edited.keras"
    assert window.save_model(saved)
    plain = keras.saving.load_model(saved)
    assert [layer.name for layer in plain.layers] == ["scale", "c1", "p1", "drop", "c2"]
    outputs = plain(x, training=False)
    np.testing.assert_allclose(np.asarray(outputs), edited.output(4), rtol=1e-5, atol=1e-5)

    window.undo_action.trigger()  # the weight edit
    window.undo_action.trigger()  # back to the window's own layer, without the file's rows
    assert window.state.model_file is None and len(window.layer_stack.rows()) == 2


def test_an_image_opened_with_a_fixed_size_model_is_resized_to_its_input(qtbot, window,
                                                                         tmp_path):
    path, _ = cnn_file(tmp_path)
    assert window.open_model(path)
    image = window.open_path(FACE)
    assert image is window.state.image and image.hw == (64, 64)
    assert "to 64x64: the model's input has that fixed size" in image.notes[-1]
    assert "Resized from" in window.input_view.caption.text()


def test_a_colour_model_switches_to_rgb(qtbot, window, tmp_path):
    path, _ = cnn_file(tmp_path, channels=3, name="rgb.keras")
    assert window.open_model(path)
    assert window.state.color == "rgb" and window.state.image.pixels.shape == (64, 64, 3)
    assert window.state.model.layers[1].weights_shape == (3, 3, 3, 6)
    wait_for_model(qtbot, window)


def test_a_model_reads_the_image_again_off_the_gui_thread(qtbot, window, tmp_path,
                                                          monkeypatch):
    """The colour model needs the photo again in RGB: it is read on another thread while the
    window stays live, and the image and the layers arrive together."""
    read_on = []

    def load_image(*args, **kwargs):
        read_on.append(threading.current_thread())
        return real_load_image(*args, **kwargs)

    monkeypatch.setattr(gui.image_loader, "load_image", load_image)
    path, _ = cnn_file(tmp_path, channels=3, name="rgb.keras")
    assert window.state.color == "gray" and window.state.image_path is not None
    assert window.open_model(path)
    assert len(read_on) == 1 and read_on[0] is not threading.main_thread()
    assert window.state.image.pixels.shape == (64, 64, 3)
    assert window.state.model.layers[1].weights_shape == (3, 3, 3, 6)
    assert "Resized from 512x512 to 64x64" in window.input_view.caption.text()


def test_an_image_opened_while_a_model_reads_it_again_stays(qtbot, window, tmp_path,
                                                            monkeypatch):
    """Another image opened while the model's image is being read again wins: the model is
    not opened and nothing the user chose is overwritten."""
    reading, opened = threading.Event(), threading.Event()

    def load_image(*args, **kwargs):
        reading.set()
        assert opened.wait(60)
        return real_load_image(*args, **kwargs)

    monkeypatch.setattr(gui.image_loader, "load_image", load_image)
    face = real_load_image(FACE, color="gray")

    def open_face_meanwhile():
        if reading.is_set() and not opened.is_set():
            window.state.set_image(face)
            opened.set()

    timer = QTimer()
    timer.timeout.connect(open_face_meanwhile)
    timer.start(10)
    before = window.state.model
    path, _ = cnn_file(tmp_path, channels=3, name="rgb.keras")
    assert not window.open_model(path)
    timer.stop()
    assert "another image was opened" in window.banner.text()
    assert window.state.image is face and window.state.color == "gray"
    assert window.state.model_file is None and window.state.model == before


def test_bad_model_files_are_one_line_in_the_banner(qtbot, window, tmp_path):
    before = window.state.model
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"PK not really a zip")
    assert not window.open_model(broken)
    assert "Model not opened, nothing changed" in window.banner.text()
    assert "zip archive" in window.banner.text()
    four = tmp_path / "four.keras"
    keras.Sequential([keras.Input((8, 8, 4)), L.Conv2D(1, 3)]).save(four)
    assert not window.open_model(four)
    assert "expects 4 input channels" in window.banner.text()
    assert window.state.model == before
    assert not window.save_model(tmp_path / "model.h5")
    assert "name it model.keras" in window.banner.text()


def test_the_code_tab_emits_the_stack_and_reproduces_every_layer(qtbot, window, tmp_path):
    build_issue_stack(window)
    result = wait_for_model(qtbot, window)
    window.side_tabs.setCurrentWidget(window.code_panel)
    code = window.code_panel.code
    assert "keras.Sequential([" in code and "for layer in model.layers:" in code
    script = tmp_path / "stack.py"
    script.write_text(code)
    out = tmp_path / "all.npz"
    done = subprocess.run([sys.executable, str(script), str(out)], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"{row[0]}: {row[1]}" for row in
                                        window.layer_stack.rows()[1:]] + ["(1, 125, 253, 2)"]
    saved = np.load(out)
    for name, output in zip(window.state.model.layer_names(), result.outputs):
        np.testing.assert_allclose(saved[name], output, rtol=1e-6, atol=1e-4)


def test_the_pooling_lesson_builds_the_stack_step_by_step(qtbot, window):
    find(window, QAction, "poolingLessonAction").trigger()
    text = find(window, QLabel, "lessonText")
    kinds = lambda: [layer.kind for layer in window.state.model.layers]  # noqa: E731
    assert kinds() == ["Conv2D"] and window.state.spec.filters == 4
    assert "(1, 510, 510, 4)" in text.text() and "3·3·1·4 + 4 = 40" in text.text()
    for step, expected in ((1, "Activation"), (2, "MaxPooling2D"), (3, "Conv2D")):
        find(window, QPushButton, "lessonNext").click()
        assert kinds()[-1] == expected and window.state.selected_layer == step
    assert "(3, 3, 4, 2)" in text.text() and "3·3·4·2 + 2 = 74" in text.text()
    assert "8x8 pixels of the photo" in text.text()
    assert window.layer_stack.rows()[4] == ("conv2d_1 (Conv2D)", "(1, 253, 253, 2)", "74")
    result = wait_for_model(qtbot, window)
    for got, expected in zip(result.outputs, run_layers(window.state.image.pixels,
                                                        window.state.model.layers)):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-2)
    find(window, QPushButton, "lessonBack").click()
    assert kinds() == ["Conv2D", "Activation", "MaxPooling2D"]
    assert "floor((510 - 2) / 2) + 1 = 255" in text.text()
