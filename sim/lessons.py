"""The lessons shipped in assets/lessons: their order and topics (assets/lessons/index.json)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from .experiment import Experiment, load

DEFAULT_LESSON = "xor.json"


def lesson_dir() -> Path:
    """Where the lesson files are: the installed assets, or the source checkout's."""
    checkout = Path(__file__).resolve().parents[1] / "assets" / "lessons"
    if checkout.is_dir():
        return checkout
    return Path(str(resources.files("backprop_studio_assets") / "lessons"))


def _index() -> dict:
    return json.loads((lesson_dir() / "index.json").read_text(encoding="utf-8"))


def lesson_files() -> list[Path]:
    """Every lesson file, in the order of the number keys (1 opens the first)."""
    return [lesson_dir() / name for name in _index()["lessons"]]


def lesson_sections() -> list[tuple[str, list[Path]]]:
    """The lessons grouped by topic, as the Lessons menu shows them."""
    return [(section["title"], [lesson_dir() / name for name in section["lessons"]])
            for section in _index()["sections"]]


def recurrent_section() -> tuple[str, list[Path]]:
    """The recurrent lessons' section of the Lessons menu: they open in a window of their own
    (gui.recurrent_window), so they are not among `lesson_files`."""
    section = _index()["recurrent"]
    return section["title"], [lesson_dir() / name for name in section["lessons"]]


def load_lesson(name: str = DEFAULT_LESSON) -> Experiment:
    return load(lesson_dir() / name)
