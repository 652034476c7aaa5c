"""The lessons shipped in assets/lessons, in menu order (assets/lessons/index.json)."""

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


def lesson_files() -> list[Path]:
    """Every lesson file, in the order of the Lessons menu."""
    directory = lesson_dir()
    names = json.loads((directory / "index.json").read_text(encoding="utf-8"))["lessons"]
    return [directory / name for name in names]


def load_lesson(name: str = DEFAULT_LESSON) -> Experiment:
    return load(lesson_dir() / name)
