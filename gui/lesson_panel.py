"""The lesson panel: the open experiment's name and its guidance (what to press, what to see),
and a lesson's note on the course text, if it has one, set apart under its own heading."""

from __future__ import annotations

from html import escape

import sim

from .text_panel import TextPanel

NOTE = "Note on the course text:"  # how a paragraph that corrects a seed passage begins


def paragraph_html(text: str) -> str:
    if text.startswith(NOTE):
        return f"<p><b>{escape(NOTE)}</b>{escape(text[len(NOTE):])}</p>"
    return f"<p>{escape(text)}</p>"


class LessonPanel(TextPanel):
    """Shows the name and description of the experiment the window shows."""

    def show_experiment(self, experiment: sim.Experiment) -> None:
        self.show_lesson(experiment.name, experiment.description)

    def show_lesson(self, name: str, description: str) -> None:
        """A lesson's name and text (a recurrent experiment's too, whose window shows it)."""
        about = description or "This experiment has no description."
        paragraphs = "".join(paragraph_html(part) for part in about.split("\n\n"))
        self.label.setText(f"<h3>{escape(name)}</h3>{paragraphs}")
