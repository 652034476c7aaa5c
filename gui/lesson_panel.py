"""The lesson panel: the open experiment's name and its guidance (what to press, what to see)."""

from __future__ import annotations

from html import escape

import sim

from .text_panel import TextPanel


class LessonPanel(TextPanel):
    """Shows the name and description of the experiment the window shows."""

    def show_experiment(self, experiment: sim.Experiment) -> None:
        about = experiment.description or "This experiment has no description."
        paragraphs = "".join(f"<p>{escape(part)}</p>" for part in about.split("\n\n"))
        self.label.setText(f"<h3>{escape(experiment.name)}</h3>{paragraphs}")
