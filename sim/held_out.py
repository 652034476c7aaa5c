"""The test set: held out from training, validation and the stopping rules, looked at once.

``data.test_fraction`` splits off samples that nothing in training reads: no step, no
validation, no stopping rule, no standardisation statistic. Their loss and accuracy are
measured on demand (the app's data view, ``python -m sim run``'s last lines) with the weights
as they are, in evaluation mode (no dropout).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .metrics import accuracy

if TYPE_CHECKING:
    from .trainer import Trainer

WHY_ONCE = ("The test set is looked at once, at the end: any choice made by looking at it (a "
            "setting, when to stop) would fit the network to it, and it would no longer "
            "measure how the network does on data it has never seen.")


@dataclass(frozen=True)
class HeldOutResult:
    """The data loss (no penalty) and accuracy of the test set with the weights of one step
    (the step reached, or the one early stopping restored the weights from)."""

    step: int  # whose weights
    samples: int
    loss: float
    accuracy: float  # NaN for regression

    def summary(self) -> str:
        """One line: the samples, whose weights, the loss and (for classification) the
        accuracy."""
        plural = "" if self.samples == 1 else "s"
        text = (f"test set ({self.samples} sample{plural}), weights of step {self.step}: "
                f"loss {self.loss:.4g}")
        if not math.isnan(self.accuracy):
            text += f", accuracy {self.accuracy:.1%}"
        return text


def held_out_result(trainer: Trainer) -> HeldOutResult | None:
    """The test set's loss and accuracy with the weights now; None without a test set.
    The trainer is only read."""
    dataset = trainer.dataset
    if not len(dataset.x_test):
        return None
    network = trainer.network
    with np.errstate(over="ignore", under="ignore"):  # a diverging network's outputs: inf
        p = network.forward(dataset.x_test)
        loss = network.loss_of(p, dataset.t_test, trainer.experiment.loss)
    restored = trainer.stopping.restored_from
    step = trainer.step_count if restored is None else restored
    return HeldOutResult(step, len(dataset.x_test), loss,
                         accuracy(trainer.accuracy_rule, p.output, dataset.t_test))
