"""When training stops: the step, epoch, loss and time limits, and early stopping.

The rules only decide; each check returns the "stopped" event to report, or None. Early
stopping keeps the best validation so far (its loss, step, the validations waited since and a
copy of the parameters), which a checkpoint saves through ``state()``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .events import Event

if TYPE_CHECKING:
    from .experiment import StoppingSpec


def stop_event(reason: str, step: int, message: str, **details: Any) -> Event:
    """The event that stops training at ``step`` for ``reason`` (a stopping rule's name)."""
    return Event("stopped", step, f"stopped at step {step}: {message}",
                 {"reason": reason, **details})


def restored_step(event: Event | None) -> int | None:
    """The step whose weights a stop put back (early stopping's restore_best), or None."""
    return None if event is None else event.details.get("restored_from")


class StoppingRules:
    """The experiment's stopping rules, and early stopping's record of the best validation."""

    def __init__(self, spec: StoppingSpec) -> None:
        self.spec = spec
        # Early stopping's best validation so far: "loss", "step", "wait" (validations without
        # improvement since) and "theta" (a copy of all parameters then); None before one.
        self.best: dict[str, Any] | None = None
        # The step whose weights early stopping put back when it stopped (None: it did not).
        self.restored_from: int | None = None

    def after_step(self, step: int, epochs: int, loss: float) -> Event | None:
        """The stop due after optimizer step ``step`` with batch loss ``loss``, once ``epochs``
        epochs are complete."""
        spec = self.spec
        if spec.loss_below is not None and loss < spec.loss_below:
            return stop_event("loss_below", step, f"loss {loss:.6g} is below "
                                                  f"{spec.loss_below:g}")
        if spec.max_steps is not None and step >= spec.max_steps:
            return stop_event("max_steps", step, f"reached {spec.max_steps} steps")
        if spec.max_epochs is not None and epochs >= spec.max_epochs:
            return stop_event("max_epochs", step, f"reached {spec.max_epochs} epochs")
        return None

    def after_time(self, train_seconds: float, step: int) -> Event | None:
        """The stop due once training has taken ``train_seconds``, after step ``step``."""
        limit = self.spec.time_limit
        if limit is not None and train_seconds >= limit:
            return stop_event("time_limit", step, f"trained for {limit:g} s")
        return None

    def after_validation(self, val_loss: float, step: int, theta: np.ndarray) -> Event | None:
        """Early stopping, after a validation at step ``step`` of the parameters ``theta``.

        Remembers a new best; when the patience has run out, returns the stop, having copied
        the best parameters back into ``theta`` if the rule restores them.
        """
        spec = self.spec.early_stopping
        if spec is None:
            return None
        best = self.best
        # A non-finite validation loss is never the best; it counts as no improvement.
        if math.isfinite(val_loss) and (best is None or val_loss < best["loss"] - spec.min_delta):
            self.best = {"loss": val_loss, "step": step, "wait": 0, "theta": theta.copy()}
            return None
        if best is None:
            return None  # nothing to compare with or restore yet; divergence stops such runs
        best["wait"] += 1
        if best["wait"] < spec.patience:
            return None
        restored, details = "", {}
        if spec.restore_best:
            theta[...] = best["theta"]
            self.restored_from = best["step"]
            restored = f"; weights restored from step {best['step']}"
            details = {"restored_from": best["step"], "best_val_loss": best["loss"]}
        return stop_event("early_stopping", step,
                          f"validation loss has not improved for {spec.patience} validations "
                          f"(best {best['loss']:.6g} at step {best['step']}){restored}",
                          **details)

    # ------------------------------------------------------------------ checkpoints

    def state(self) -> dict[str, Any] | None:
        """A copy of early stopping's best record (None before the first finite validation)."""
        best = self.best
        return None if best is None else {**best, "theta": best["theta"].copy()}

    def restore(self, best: dict[str, Any] | None) -> None:
        """Continue from a saved best record, as ``state()`` returns it."""
        self.best = None if best is None else {**best, "theta": best["theta"].copy()}
