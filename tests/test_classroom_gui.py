"""The classroom parts in the real window (pytest-qt, real Keras): predict mode for a shape
and for one value, the quiz, presentation mode's text scale, a layout that never jumps,
linked views with values on the pixels, the views' own menu, and the Help windows."""

from importlib import metadata

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QAction, QCursor, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from engine.formatting import format_number
from engine.teaching.quiz import question
from gui.panels.pixel_values import short_number
from tests.layers import conv
from tests.live_window import (
    ENGINE_TIMEOUT_MS,
    find,
    open_window,
    shown_output,
    viewport_pos,
    wait_for_output,
)
from tests.numpy_reference import cross_correlate


@pytest.fixture(autouse=True)
def cursor_put_back(qtbot):
    """Tests that hover over a pixel move to a view's centre; the cursor left there would
    make the next test's first move to a centre no move at all."""
    yield
    QCursor.setPos(QPoint(0, 0))


def trigger(window, name):
    find(window, QAction, name).trigger()


def type_into(qtbot, widget, text):
    widget.selectAll()
    qtbot.keyClicks(widget, text)


def click(qtbot, window, name):
    qtbot.mouseClick(find(window, QPushButton, name), Qt.MouseButton.LeftButton)


def covering(window):
    return {name: cover.covering for name, cover in window.classroom.predict.covers.items()}


def predict(qtbot, window, rows, cols, channels):
    for name, value in (("predictRows", rows), ("predictCols", cols),
                        ("predictChannels", channels)):
        type_into(qtbot, find(window, QSpinBox, name), str(value))
    click(qtbot, window, "predictCheck")
    return window.classroom.predict.verdict


def test_a_predicted_shape_is_checked_per_axis(qtbot, window):
    trigger(window, "predictMode")
    assert find(window, QWidget, "predictForm").isVisible()
    assert not any(covering(window).values())  # what was on screen has been seen
    window.state.update_spec(strides=(3, 3))  # floor((512 - 3) / 3) + 1 = 170
    assert all(covering(window).values())
    for cover in window.classroom.predict.covers.values():  # over the whole of each
        assert cover.geometry() == cover.target.rect() and cover.isVisibleTo(cover.target)
    question_text = find(window, QLabel, "predictQuestion").text()
    assert "strides=(3, 3)" in question_text and "(1, 512, 512, 1)" in question_text

    verdict = predict(qtbot, window, 170, 171, 1)
    assert [axis.right for axis in verdict.axes] == [True, False, True] and not verdict.right
    result = find(window, QLabel, "predictResult").text()
    assert "rows: you said 170: right" in result
    assert "cols: you said 171: wrong, it is 170" in result
    assert "rows: floor((512 - 3) / 3) + 1 = 170" in result and "output (1, 170, 170, 1)" in result
    assert not any(covering(window).values())
    wait_for_output(qtbot, window, (170, 170))

    window.state.update_spec(padding="same")  # ceil(512 / 3) = 171
    assert all(covering(window).values())
    assert predict(qtbot, window, 171, 171, 1).right
    assert "All three right" in find(window, QLabel, "predictResult").text()
    window.state.set_kernel_entry(0, 0, 5.0)  # the shape stays: nothing to predict
    assert not any(covering(window).values())
    trigger(window, "predictMode")  # off: the form goes, nothing is hidden
    window.state.update_spec(strides=(2, 2))
    assert not any(covering(window).values())
    assert not find(window, QWidget, "predictForm").isVisible()


def test_a_clicked_pixel_hides_its_value_until_a_guess(qtbot, window, ascent_pixels):
    window.state.update_spec(kernel=conv().kernel, strides=(1, 1))  # box sums: whole numbers
    box = cross_correlate(ascent_pixels, np.ones((3, 3)))[0, :, :, 0]
    qtbot.waitUntil(lambda: shown_output(window).shape == box.shape
                    and np.allclose(shown_output(window), box), timeout=ENGINE_TIMEOUT_MS)
    trigger(window, "predictMode")
    output, inspector = window.output_view, window.explain_tabs.inspector
    cover = window.classroom.predict.value_cover
    pos = viewport_pos(output, 10, 20)
    qtbot.mouseMove(output.plot.viewport(), pos)
    assert "?" in output.readout.text() and format_number(box[10, 20]) not in \
        output.readout.text()
    qtbot.mouseClick(output.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert inspector.pixel == (10, 20) and inspector.pinned.isChecked()
    terms = find(window, QPlainTextEdit, "inspectorTerms").toPlainText().splitlines()
    assert len(terms) == 9 and all(" × " in line for line in terms)  # the products stay
    assert cover.covering and cover.geometry() == inspector.total.rect()  # the sum does not
    guess = find(window, QLineEdit, "valueGuessInput")
    assert guess.isEnabled()

    type_into(qtbot, guess, "12")
    click(qtbot, window, "valueGuessCheck")
    result = find(window, QLabel, "valueGuessResult").text()
    assert result.startswith("Not quite: you said 12") and format_number(box[10, 20]) in result
    assert not cover.covering  # guessed: the sum is shown

    pos = viewport_pos(output, 11, 20)
    qtbot.mouseClick(output.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert inspector.pixel == (11, 20) and cover.covering
    type_into(qtbot, guess, format_number(box[11, 20]))
    guess.returnPressed.emit()
    assert find(window, QLabel, "valueGuessResult").text().startswith("Right")
    assert window.classroom.predict.value_verdict.actual == pytest.approx(box[11, 20])


def run_quiz(qtbot, window, seed, answers):
    panel = find(window, QWidget, "quizPanel")
    window.explain_tabs.setCurrentWidget(panel)
    type_into(qtbot, find(window, QSpinBox, "quizSeed"), str(seed))
    click(qtbot, window, "quizStart")
    asked = []
    for right in answers:
        q = panel.question
        text = find(window, QLabel, "quizQuestion").text()
        answer = q.answer_text if right else "1, 2, 3" if q.kind == "output_shape" else "7"
        type_into(qtbot, find(window, QLineEdit, "quizAnswer"), answer)
        click(qtbot, window, "quizCheck")
        asked.append((text, find(window, QLabel, "quizResult").text()))
        click(qtbot, window, "quizNext")
    return asked, find(window, QLabel, "quizScore").text()


def test_a_quiz_seed_gives_the_same_questions_again(qtbot, window):
    first, score = run_quiz(qtbot, window, 42, [True, False, True, True])
    assert score == "Score: 3 of 4 right"
    assert first[0][0].startswith("Question 1 (seed 42): Conv2D(")
    assert first[1][1].startswith("Not quite: the answer is ")
    again, _ = run_quiz(qtbot, window, 42, [True, False, True, True])
    assert again == first
    other, _ = run_quiz(qtbot, window, 43, [True, True, True, True])
    assert [q for q, _ in other] != [q for q, _ in first]
    for index in range(4):  # what the tab asked is the engine's question for that seed
        q = question(42, index, window.state.image.nhwc_shape)
        assert q.layer_code in first[index][0] and q.prompt in first[index][0]


def test_the_quiz_layer_can_be_tried_in_the_window(qtbot, window):
    panel = find(window, QWidget, "quizPanel")
    run_quiz(qtbot, window, 5, [])
    while panel.question.kind != "output_shape":
        type_into(qtbot, find(window, QLineEdit, "quizAnswer"), panel.question.answer_text)
        click(qtbot, window, "quizCheck")
        click(qtbot, window, "quizNext")
    q = panel.question
    type_into(qtbot, find(window, QLineEdit, "quizAnswer"), q.answer_text)
    click(qtbot, window, "quizCheck")
    click(qtbot, window, "quizShow")
    spec = window.state.spec
    assert (spec.kernel_size, spec.strides, spec.padding, spec.filters) == \
        (q.layer.kernel_size, q.layer.strides, q.layer.padding, q.layer.filters)
    want = cross_correlate(window.state.image.pixels, spec.kernel, spec.strides, spec.padding,
                           spec.dilation)
    assert want.shape[1:] == q.answer  # the worked answer is what the layer gives
    wait_for_output(qtbot, window, want.shape[1:3])


def fonts(window):
    """The point size of a widget in every panel (own fonts and inherited ones)."""
    names = {QWidget: ["kernelTable", "strideRows", "outputShape", "shapeExplanation",
                       "lessonText", "inspectorTerms", "codeView", "messageBanner",
                       "quizQuestion", "predictQuestion", "presetCombo", "sideTabs",
                       "outputViewCaption", "explainTabs", "valueGuessPrompt"]}
    sizes = {name: find(window, QWidget, name).font().pointSizeF() for name in names[QWidget]}
    file_menu = window.menuBar().actions()[0].menu()
    sizes["File menu"] = file_menu.font().pointSizeF()
    axis = window.output_view.plot.getPlotItem().getAxis("left")
    sizes["output axis ticks"] = axis.style["tickFont"].pointSizeF()
    return sizes


def assert_scaled(window, base, percent):
    for name, size in fonts(window).items():
        assert size == pytest.approx(base[name] * percent / 100, rel=0.02), name


def test_presentation_scales_every_panel_and_is_remembered(qtbot, monkeypatch, tmp_path):
    monkeypatch.setenv("CONVSCOPE_SETTINGS", str(tmp_path / "convscope.ini"))
    window = open_window(qtbot)
    base = fonts(window)
    trigger(window, "presentationMode")
    classroom = window.classroom_state
    assert classroom.presentation and classroom.text_scale == 200
    assert_scaled(window, base, 200)
    assert classroom.linked_views  # on by default in presentation mode
    views, tabs = window.views_and_tabs.sizes()
    assert views > 2.5 * tabs  # the views take the space
    assert window.side.width() <= 0.33 * window.width() + 1
    qtbot.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert classroom.text_scale == 225
    assert_scaled(window, base, 225)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert not classroom.presentation and not classroom.linked_views
    assert_scaled(window, base, 100)
    qtbot.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert classroom.text_scale == 125
    assert_scaled(window, base, 125)
    window.resize(1150, 700)
    geometry = bytes(window.saveGeometry())
    window.close()

    again = open_window(qtbot)  # a restart: the scales and the window's size come back
    assert again.classroom_state.text_scale == 125
    assert again.classroom.remembered.geometry == geometry  # restored (within the screen)
    assert_scaled(again, base, 125)
    trigger(again, "presentationMode")
    assert again.classroom_state.text_scale == 225
    assert_scaled(again, base, 225)
    qtbot.keyClick(again, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert again.classroom_state.text_scale == 200  # the class default for presentation


def test_a_class_can_preset_the_scale_and_presentation(qtbot, monkeypatch, tmp_path):
    monkeypatch.setenv("CONVSCOPE_SETTINGS", str(tmp_path / "class.ini"))
    monkeypatch.setenv("CONVSCOPE_PRESENTATION_TEXT_SCALE", "175")
    monkeypatch.setenv("CONVSCOPE_START_IN_PRESENTATION", "1")
    window = open_window(qtbot)
    assert window.classroom_state.presentation and window.classroom_state.text_scale == 175
    assert find(window, QAction, "presentationMode").isChecked()


def geometry_of(window):
    views = window.input_view
    return (window.views_and_tabs.sizes(), window.side.width(),
            views.plot.mapTo(window, views.plot.rect().topLeft()), views.plot.size(),
            window.output_view.plot.size())


def test_the_layout_never_jumps(qtbot, window):
    before = geometry_of(window)
    window.banner.set_notice("A long notice " * 20)  # overlays the views, moves nothing
    qtbot.waitUntil(lambda: window.banner_dock.height() > 0)
    assert window.banner.isVisible() and geometry_of(window) == before
    dock = window.banner_dock.geometry()
    views = window.input_view.plot.mapTo(window.centralWidget(), QPoint(0, 0))
    assert dock.top() < views.y() + window.input_view.plot.height()  # over the views
    window.banner.clear_notice()
    qtbot.waitUntil(lambda: window.banner_dock.height() == 0)
    for name in ("kernelRows", "kernelCols"):
        type_into(qtbot, find(window, QSpinBox, name), "15")
        qtbot.keyClick(find(window, QSpinBox, name), Qt.Key.Key_Return)
    assert window.state.spec.kernel_size == (15, 15)
    window.state.update_spec(padding="same", dilation=(1, 1), strides=(1, 1))
    QApplication.processEvents()
    assert geometry_of(window) == before
    window.start_lesson()
    for _step in range(3):
        click(qtbot, window, "lessonNext")
        QApplication.processEvents()
        assert geometry_of(window) == before


def test_linked_views_share_a_scale_and_write_values(qtbot, window):
    window.state.update_spec(strides=(3, 3))
    wait_for_output(qtbot, window, (170, 170))
    trigger(window, "linkedViews")
    link, inputs, outputs = window.classroom.link, window.input_view, window.output_view
    assert link.scale(inputs) == pytest.approx(link.scale(outputs), rel=1e-3)
    assert inputs.view_box.viewRect().topLeft() == outputs.view_box.viewRect().topLeft()

    def screen_width(panel):
        corner = panel.view_box.mapViewToScene(QPointF(0, 0))
        end = panel.view_box.mapViewToScene(QPointF(panel.values.shape[1], 0))
        return end.x() - corner.x()
    assert screen_width(outputs) / screen_width(inputs) == pytest.approx(170 / 512, rel=1e-3)

    inputs.view_box.setRange(QRectF(100, 100, 6, 6), padding=0)  # zoom in: the output follows
    assert outputs.view_box.viewRect().topLeft() == inputs.view_box.viewRect().topLeft()
    in_labels, out_labels = window.classroom.labels
    inputs.plot.grab()
    outputs.plot.grab()
    assert short_number(inputs.values[101, 102]) in in_labels.drawn
    assert short_number(outputs.values[101, 101]) in out_labels.drawn
    trigger(window, "predictMode")  # predict mode: no values on the output
    outputs.plot.grab()
    assert out_labels.drawn == []
    inputs.view_box.setRange(QRectF(0, 0, 400, 400), padding=0)  # zoomed out: no numbers
    inputs.plot.grab()
    assert in_labels.drawn == []


def test_the_views_menu_is_convscopes_own(qtbot, window):
    output = window.output_view
    assert not output.view_box.menuEnabled()
    pos = viewport_pos(output, 7, 9)
    qtbot.mouseClick(output.plot.viewport(), Qt.MouseButton.RightButton, pos=pos)
    menu = window.classroom.menus[1].menu
    assert menu is not None and menu.isVisible()
    texts = [action.text() for action in menu.actions()]
    assert texts == ["View all", "Zoom to window", "Export image...", "Copy value"]
    assert not menu.actions()[1].isEnabled()  # no pixel inspected yet
    menu.actions()[3].trigger()
    menu.close()
    assert QGuiApplication.clipboard().text() == format_number(shown_output(window)[7, 9])
    menu.actions()[0].trigger()  # View all: the whole output in view
    rect = output.view_box.viewRect()
    assert rect.width() >= 510 or rect.height() >= 255


def test_about_and_shortcuts_stay_open_beside_the_window(qtbot, window):
    trigger(window, "aboutAction")
    about = find(window, QWidget, "aboutWindow")
    assert about.isVisible() and not about.isModal()
    text = find(window, QLabel, "aboutWindowText").text()
    for name in ("keras", "tensorflow-cpu", "numpy"):
        assert metadata.version(name) in text
    assert "ascent.png" in text and "public domain" in text
    trigger(window, "shortcutsAction")
    shortcuts = find(window, QLabel, "shortcutsWindowText").text()
    for expected in ("F5", "View &gt; Presentation mode", "F11", "Ctrl+Z", "Ctrl+0",
                     "File &gt; Save session..."):
        assert expected in shortcuts
    assert QApplication.activeModalWidget() is None
    window.state.update_spec(strides=(1, 1))  # the window goes on working
    wait_for_output(qtbot, window, (510, 510))
