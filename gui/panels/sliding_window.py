"""The kernel window walking over the output positions, row by row, like the conv_arithmetic
animations but on the real image.

A QTimer in the GUI thread moves a position counter; nothing is recomputed: each step only
names the output pixel, and the pixel inspector draws its window from the output on screen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

#: Output positions per second the speed slider offers.
SPEEDS = (0.5, 1, 2, 4, 8, 15, 30, 60, 120, 250, 500, 1000, 2000)
DEFAULT_SPEED = 4  # index into SPEEDS: 8 positions per second
TICK_MS = 16  # the fastest the timer runs; faster speeds move several positions per tick


class SlidingWindowPlayer(QWidget):
    positionChanged = Signal(int, int)  # output row, col the window now makes

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("slidingWindow")
        self.out_hw = (0, 0)
        self.index = -1  # row-major position; -1 before the first step
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)

        self.play = QPushButton("Play")
        self.play.setObjectName("animationPlay")
        self.play.setCheckable(True)
        self.back = QPushButton("< Step")
        self.back.setObjectName("animationBack")
        self.step = QPushButton("Step >")
        self.step.setObjectName("animationStep")
        self.restart = QPushButton("Restart")
        self.restart.setObjectName("animationRestart")
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setObjectName("animationSpeed")
        self.speed.setRange(0, len(SPEEDS) - 1)
        self.speed.setValue(DEFAULT_SPEED)
        self.speed_label = QLabel()
        self.speed_label.setMinimumWidth(90)
        self.follow = QCheckBox("Follow while stepping")
        self.follow.setObjectName("animationFollow")
        self.follow.setToolTip("Checked: at every step or tick, both views zoom onto the "
                               "window's new position.")
        self.follow.setChecked(True)
        self.position = QLabel("Play or step to slide the kernel window over the image.")
        self.position.setObjectName("animationPosition")

        buttons = QHBoxLayout()
        for widget in (self.play, self.back, self.step, self.restart):
            buttons.addWidget(widget)
        buttons.addWidget(QLabel("Speed"))
        buttons.addWidget(self.speed, stretch=1)
        buttons.addWidget(self.speed_label)
        buttons.addWidget(self.follow)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.position)

        self.play.toggled.connect(self._on_play)
        self.step.clicked.connect(lambda: self.move_by(1))
        self.back.clicked.connect(lambda: self.move_by(-1))
        self.restart.clicked.connect(lambda: self.move_to(0))
        self.speed.valueChanged.connect(self._on_speed)
        self._on_speed(self.speed.value())

    @property
    def positions(self) -> int:
        return self.out_hw[0] * self.out_hw[1]

    @property
    def speed_per_second(self) -> float:
        return SPEEDS[self.speed.value()]

    def set_output_hw(self, out_hw: tuple[int, int]) -> None:
        """A new output is on screen; a new shape starts the walk again."""
        if tuple(out_hw) != self.out_hw:
            self.out_hw = tuple(out_hw)
            self.index = -1
            self.play.setChecked(False)
            self.position.setText(f"{self.positions:,} output positions, "
                                  f"{self.out_hw[0]} rows x {self.out_hw[1]} columns.")

    def move_by(self, steps: int) -> None:
        self.move_to(max(self.index, 0 if steps < 0 else -1) + steps)

    def move_to(self, index: int) -> None:
        if self.positions == 0:
            return
        self.index = min(max(index, 0), self.positions - 1)
        row, col = divmod(self.index, self.out_hw[1])
        self.position.setText(f"Position {self.index + 1:,} of {self.positions:,}: output "
                              f"row {row}, column {col}.")
        self.positionChanged.emit(row, col)
        if self.index == self.positions - 1:
            self.play.setChecked(False)

    def _on_play(self, playing: bool) -> None:
        self.play.setText("Pause" if playing else "Play")
        if playing:
            if self.index >= self.positions - 1:
                self.index = -1  # finished: play again from the start
            self.timer.start()
        else:
            self.timer.stop()

    def _on_speed(self, value: int) -> None:
        speed = SPEEDS[value]
        self.speed_label.setText(f"{speed:g} per second")
        self.timer.setInterval(max(TICK_MS, round(1000 / speed)))

    def _tick(self) -> None:
        per_tick = max(1, round(self.speed_per_second * self.timer.interval() / 1000))
        self.move_by(per_tick)
