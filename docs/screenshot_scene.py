"""Open the window in the state a README picture shows, then wait to be captured.

    /work/shared/tools/screenshot.sh /tmp/shot.png 15 -- python docs/screenshot_scene.py inspector
    convert /tmp/shot.png -crop 1280x760+0+0 docs/inspector.png     # the same for "lesson"

"inspector": the pixel inspector on the bottom-right output pixel of a 'same', stride-2
layer (five padding zeros, the previous window dashed); "lesson": Help > Lesson, step 1;
"correlation": the flipped kernel beside the one Keras uses; "filters": four filters from the
filter bank and their feature maps; "presentation": presentation mode at 200 % on the lesson's
first step, the views linked (1600x1000: convert ... -crop 1600x1000+0+0); "predict": predict
mode after strides (3, 3), the new shape hidden and a prediction typed in; "stack": the
Pooling and feature maps lesson's stack (conv(4) -> relu -> 2x2 max pooling -> conv(2)) with
the pooling layer selected and one of its pixels inspected; "train": the Train tab after Keras
has learned a mystery Sobel Y, paused and revealed (wait 40 s).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# The pictures never depend on (or change) what this machine's window remembered.
os.environ["CONVSCOPE_SETTINGS"] = os.path.join(tempfile.mkdtemp(), "settings.ini")

from PySide6.QtCore import QTimer  # noqa: E402, TID251
from PySide6.QtWidgets import QApplication  # noqa: E402, TID251

from engine.kernels.presets import FILTER_BANK  # noqa: E402
from gui.main_window import MainWindow  # noqa: E402
from gui.panels.lesson_panel import POOLING  # noqa: E402


def arrange(window: MainWindow, scene: str) -> None:
    if window.output_view.values is None:  # the engine is still loading
        QTimer.singleShot(200, lambda: arrange(window, scene))
        return
    tabs = window.explain_tabs
    if scene == "lesson":
        window.start_lesson()
        return
    if scene == "filters":
        window.state.set_filter_count(4)
        window.kernel_controls.apply_preset(FILTER_BANK)
        window.state.select_filter(2)
        return
    if scene == "presentation":
        window.resize(1600, 1000)
        window.start_lesson()
        window.classroom_state.set_presentation(True)
        return
    if scene == "predict":
        window.classroom_state.set_predict_mode(True)
        window.state.update_spec(strides=(3, 3))
        form = window.classroom.predict_form
        for axis, value in zip(("rows", "cols", "channels"), (171, 170, 1)):
            form.boxes[axis].setValue(value)
        return
    if scene == "stack":
        if len(window.state.model) == 1:
            window.start_lesson(POOLING)
            for _ in range(3):
                tabs.lesson.next.click()
            QTimer.singleShot(2500, lambda: arrange(window, scene))
            return
        window.state.select_layer(2)
        window.state.select_filter(2)
        tabs.setCurrentIndex(0)
        pooled = window.pipeline.shown.output(2)[0, 80:120, 100:140, 2]
        row, col = divmod(int(pooled.argmax()), pooled.shape[1])
        tabs.inspector.pin(80 + row, 100 + col)
    if scene == "train":
        train_scene(window)
        return
    if scene == "correlation":
        tabs.setCurrentWidget(tabs.correlation)
        tabs.correlation.show_flipped.setChecked(True)
        return
    if window.state.spec.padding != "same":
        window.state.update_spec(strides=(2, 2), padding="same")
        QTimer.singleShot(1500, lambda: arrange(window, scene))
        return
    tabs.setCurrentIndex(0)
    out_h, out_w = window.output_view.values.shape
    tabs.player.move_to(out_h * out_w - 2)
    tabs.player.move_by(1)


def train_scene(window: MainWindow) -> None:
    """Start learning a hidden Sobel Y; once every weight is within 1e-2, pause and reveal."""
    from engine.training.recovery import recovered
    from engine.training.targets import TrainTarget

    tabs = window.explain_tabs
    tabs.parent().setSizes([330, 410])  # the views over the tabs: room for the Train tab
    tabs.setCurrentWidget(window.train_panel)
    window.train_state.set_target(TrainTarget("mystery", "Sobel Y", 0))
    controls = window.train_panel.controls
    controls.start.click()

    def settle() -> None:
        target = window.train_state.target.model_for(window.state.model)
        if window.train_state.steps and recovered(window.state.model, target):
            controls.start.click()
            controls.reveal.click()
            return
        QTimer.singleShot(100, settle)

    settle()


def main() -> int:
    scene = sys.argv[1] if len(sys.argv) > 1 else "inspector"
    app = QApplication(sys.argv[:1])
    window = MainWindow(seed=0)
    window.resize(1280, 760)
    window.move(0, 0)
    window.show()
    QTimer.singleShot(500, lambda: arrange(window, scene))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
