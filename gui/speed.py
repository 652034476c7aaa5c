"""The speed slider: the lesson's own speed, slower notches below it, and "max" one notch above
(sim.lesson_view.speed_notches), so that Play is watchable by default and as fast as possible
is one step away."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSlider, QWidget

from sim import notation
from sim.lesson_view import speed_notches


def speed_text(speed: float | None) -> str:
    """How the label names a notch: "50/s", "2.5/s" or "max"."""
    return "max" if speed is None else f"{notation.number(speed, 5)}/s"  # up to 10000/s


class SpeedControl(QWidget):
    """A slider over the notches of one lesson's speed and its label."""

    speed_changed = Signal(object)  # steps per second, or None: as fast as possible

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notches: list[float | None] = speed_notches(None)
        self.lesson_speed: float | None = None
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setFixedWidth(140)
        self.slider.setPageStep(1)
        self.label = QLabel()
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(" speed "))
        layout.addWidget(self.slider)
        layout.addWidget(self.label)
        self.slider.valueChanged.connect(self._moved)
        self.set_lesson_speed(None)

    @property
    def speed(self) -> float | None:
        """The speed chosen: steps per second, or None for as fast as possible."""
        return self.notches[self.slider.value()]

    def set_lesson_speed(self, speed: float | None) -> None:
        """The notches of a lesson whose story unfolds at ``speed`` steps per second (None:
        it gives none, and plays as fast as possible), the slider on that speed."""
        self.lesson_speed = speed
        self.notches = speed_notches(speed)
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(self.notches) - 1)
        self.slider.setValue(self.notches.index(speed))
        self.slider.blockSignals(False)
        self._moved(self.slider.value())

    @Slot(int)
    def _moved(self, position: int) -> None:
        speed = self.notches[position]
        lesson = " (lesson)" if speed is not None and speed == self.lesson_speed else ""
        self.label.setText(f" {speed_text(speed)}{lesson} ")
        self.slider.setToolTip("Steps per second while playing; the top notch is as fast as "
                               "the computer can")
        self.speed_changed.emit(speed)
