"""Learning-rate schedules: the learning rate used by step t (counting from 1) or epoch e.

- ``constant``: lr
- ``step``: lr * gamma^floor((n - 1) / step_size), n the step (or epoch) number
- ``exponential``: lr * gamma^((n - 1) / decay_steps)
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from .schema import ExperimentError, Section

UNITS = ("steps", "epochs")
OPTIONS = {"constant": (), "step": ("step_size", "gamma", "unit"),
           "exponential": ("gamma", "decay_steps", "unit")}  # the keys each kind uses
KINDS = tuple(OPTIONS)


@dataclass(frozen=True)
class ScheduleSpec:
    kind: str = "constant"
    step_size: int = 100  # step
    gamma: float = 0.5  # step, exponential
    decay_steps: float = 100.0  # exponential
    unit: str = "steps"  # what n counts

    def learning_rate(self, base: float, step: int, epoch: int) -> float:
        """The learning rate for optimizer step ``step`` taken during epoch ``epoch`` (both
        counted from 1)."""
        if self.kind == "constant":
            return base
        n = step if self.unit == "steps" else epoch
        if self.kind == "step":
            return base * self.gamma ** ((n - 1) // self.step_size)
        return base * self.gamma ** ((n - 1) / self.decay_steps)

    @classmethod
    def from_json(cls, value: Any, path: str) -> ScheduleSpec:
        """Read a ``schedule`` object; a key that the kind does not use is refused."""
        s = Section(value, path, KEYS)
        kind = s.choice("kind", KINDS, "constant")
        for key in KEYS[1:]:
            if s.has(key) and key not in OPTIONS[kind]:
                raise ExperimentError(s.at(key), f'is not used by schedule "{kind}"')
        return cls(
            kind=kind,
            step_size=s.integer("step_size", 100, minimum=1, maximum=10**9),
            gamma=s.number("gamma", 0.5, positive=True, maximum=1.0),
            decay_steps=s.number("decay_steps", 100.0, positive=True, maximum=1e9),
            unit=s.choice("unit", UNITS, "steps"),
        )

    def to_json(self) -> dict[str, Any]:
        """The kind and the options it uses."""
        return {"kind": self.kind, **{key: getattr(self, key) for key in OPTIONS[self.kind]}}


KEYS = tuple(field.name for field in fields(ScheduleSpec))
