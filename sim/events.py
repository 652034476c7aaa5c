"""Small immutable records the trainer reports: where the phase cursor is, and what happened."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PHASE_KINDS = ("forward", "loss", "backward", "clip", "update")


@dataclass(frozen=True)
class Phase:
    """One phase of an iteration: forward or backward through one layer, loss, clip, update."""

    kind: str
    layer: int | None = None  # 1-based layer number for forward and backward

    def __str__(self) -> str:
        return self.kind if self.layer is None else f"{self.kind} layer {self.layer}"


def iteration_phases(depth: int) -> tuple[Phase, ...]:
    """forward 1..L, loss, backward L..1, clip, update."""
    return (tuple(Phase("forward", l) for l in range(1, depth + 1)) + (Phase("loss"),)
            + tuple(Phase("backward", l) for l in range(depth, 0, -1))
            + (Phase("clip"), Phase("update")))


@dataclass(frozen=True)
class Event:
    """Something worth pointing at: a clip, a divergence, a stop, a new best validation loss.

    ``kind`` is "clip", "diverged", "stopped" or "best"; ``step`` is the optimizer step (from 1)
    it belongs to; ``details`` holds the numbers (norms, layers, phase, reason).
    """

    kind: str
    step: int
    message: str
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"event": self.kind, "step": self.step, "message": self.message, **self.details}
