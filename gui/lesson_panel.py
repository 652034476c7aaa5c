"""The lesson panel: the open experiment's name and its guidance (what to press, what to see)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QWidget

import sim


class LessonPanel(QScrollArea):
    """Shows the name and description of the experiment the window shows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setMargin(6)
        self.setWidget(self.label)

    def show_experiment(self, experiment: sim.Experiment) -> None:
        about = experiment.description or "This experiment has no description."
        paragraphs = "".join(f"<p>{escape(part)}</p>" for part in about.split("\n\n"))
        self.label.setText(f"<h3>{escape(experiment.name)}</h3>{paragraphs}")
