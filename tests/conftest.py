"""Shared test set-up: Qt runs offscreen, and helpers to build experiments quickly."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

import sim  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "assets" / "lessons"


def experiment(**fields: Any) -> sim.Experiment:
    """An experiment from a partial document (defaults: a 2-2-1 sigmoid net on XOR)."""
    document: dict[str, Any] = {
        "data": {"kind": "xor"},
        "network": {"inputs": 2, "layers": [{"units": 2, "activation": "sigmoid"},
                                            {"units": 1, "activation": "sigmoid"}]},
        "optimizer": {"kind": "sgd", "learning_rate": 0.5},
    }
    document.update(fields)
    return sim.parse(document)


@pytest.fixture(autouse=True)
def _numpy_overflow_is_expected_in_divergence_tests():
    # Divergence tests drive the engine into overflow on purpose; the engine reports it as an
    # event, so numpy's RuntimeWarnings are noise here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        yield
