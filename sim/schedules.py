"""Learning-rate schedules: the learning rate used by step t (counting from 1) or epoch e.

- ``constant``: lr
- ``step``: lr * gamma^floor((n - 1) / step_size), n the step (or epoch) number
- ``exponential``: lr * gamma^((n - 1) / decay_steps)
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("constant", "step", "exponential")
UNITS = ("steps", "epochs")


@dataclass(frozen=True)
class ScheduleSpec:
    kind: str = "constant"
    step_size: int = 100  # step
    gamma: float = 0.5  # step, exponential
    decay_steps: float = 100.0  # exponential
    unit: str = "steps"  # what n counts

    def learning_rate(self, base: float, step: int, epoch: int) -> float:
        """The learning rate for optimizer step ``step`` taken during epoch ``epoch`` (both from 1)."""
        if self.kind == "constant":
            return base
        n = step if self.unit == "steps" else epoch
        if self.kind == "step":
            return base * self.gamma ** ((n - 1) // self.step_size)
        return base * self.gamma ** ((n - 1) / self.decay_steps)
