"""The history row of each step: which metrics there are and how each is measured.

Columns are addressed by name; the recorder resolves the names to positions once, when it is
set up, so that each step writes its row through ready-made indices and slices (a step of a
small network costs tens of microseconds, and every dictionary lookup shows).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from .activations import SATURATION_FRACTION
from .clipping import ClipResult
from .history import History
from .network import Network, Pass

# Measured at every step, in this order (one slice of the row).
STEP_COLUMNS = ("step", "epoch", "loss", "penalty", "accuracy", "learning_rate", "grad_norm",
                "grad_norm_clipped", "clipped")
# Measured at validations only; NaN in the other rows.
VALIDATION_COLUMNS = ("val_loss", "val_accuracy", "train_loss")
SCALAR_COLUMNS = STEP_COLUMNS + VALIDATION_COLUMNS
# One column per layer each, named "<metric>_<layer number>".
LAYER_COLUMNS = ("grad_norm", "grad_norm_clipped", "weight_norm", "update_ratio", "saturated",
                 "dead")


def history_columns(depth: int) -> list[str]:
    """Every column of the history of a network with ``depth`` layers, in row order."""
    columns = list(SCALAR_COLUMNS)
    for number in range(1, depth + 1):
        columns += [f"{name}_{number}" for name in LAYER_COLUMNS]
    return columns


class MetricRecorder:
    """Writes one row of the history per optimizer step, and the validation metrics into it."""

    def __init__(self, network: Network, accuracy_rule: str | None) -> None:
        self.history = History(history_columns(network.depth))
        self.accuracy_rule = accuracy_rule  # see ``accuracy``
        index = self.history.index
        self._step_columns = evenly_spaced(index, STEP_COLUMNS)
        numbers = range(1, network.depth + 1)
        (self._grad_norms, self._grad_norms_clipped, self._weight_norms,
         self._update_ratios) = (evenly_spaced(index, [f"{name}_{n}" for n in numbers])
                                 for name in ("grad_norm", "grad_norm_clipped", "weight_norm",
                                              "update_ratio"))
        self._val_loss, self._val_accuracy, self._train_loss = (
            index[name] for name in ("val_loss", "val_accuracy", "train_loss"))
        # (layer number, column, saturation threshold of f', or 0 for a ReLU's dead units)
        self._health: list[tuple[int, int, float]] = []
        for layer in network.layers:
            activation = layer.activation
            if activation.saturates:
                self._health.append((layer.number, index[f"saturated_{layer.number}"],
                                     SATURATION_FRACTION * activation.max_derivative))
            elif activation.definition.dies:
                self._health.append((layer.number, index[f"dead_{layer.number}"], 0.0))
        self._ones_cache = np.ones(0)

    def accuracy(self, y: np.ndarray, t: np.ndarray) -> float:
        """Fraction of right predictions y for targets t (NaN for regression)."""
        return accuracy(self.accuracy_rule, y, t)

    def record_step(self, step: int, epoch: int, p: Pass, learning_rate: float,
                    grad_norms: np.ndarray, clip: ClipResult, weight_sq: np.ndarray,
                    update_sq: np.ndarray, previous_weight_sq: np.ndarray) -> np.ndarray:
        """Append the row of optimizer step ``step`` (taken in epoch ``epoch``, from 1) and
        return it, for the validation metrics to be written into.

        ``p`` is the step's pass; ``grad_norms`` each layer's gradient norm before clipping;
        ``weight_sq``, ``update_sq`` and ``previous_weight_sq`` each layer's sum of squares of
        the parameters after the step, of the step's change, and of the parameters before it.
        """
        row = self.history.new_row()
        row[self._step_columns] = (step, epoch, p.loss, p.penalty,
                                   accuracy(self.accuracy_rule, p.output, p.t), learning_rate,
                                   clip.norm_before, clip.norm_after, clip.clipped)
        row[self._grad_norms] = grad_norms
        row[self._grad_norms_clipped] = clip.layer_norms_after
        row[self._weight_norms] = np.sqrt(weight_sq)
        if previous_weight_sq.all():
            row[self._update_ratios] = np.sqrt(update_sq / previous_weight_sq)
        else:  # all-zero weights: the ratio is undefined (NaN), not infinite
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.sqrt(update_sq / previous_weight_sq)
            row[self._update_ratios] = np.where(previous_weight_sq > 0.0, ratio, np.nan)
        for number, column, threshold in self._health:
            fprime = p.fprime[number]
            if fprime is None:
                continue
            if threshold:  # sigmoid, tanh: units on the flat part of f
                row[column] = np.count_nonzero(fprime < threshold) / fprime.size
            else:  # relu: no sample of the batch activates the unit, so no gradient reaches it
                active_samples = self._ones(fprime.shape[0]) @ fprime  # column sums, via BLAS
                row[column] = 1.0 - np.count_nonzero(active_samples) / fprime.shape[1]
        return row

    def record_validation(self, row: np.ndarray, train_loss: float, val_loss: float,
                          val_accuracy: float) -> None:
        """Write a validation's metrics into the row of the step it followed."""
        row[self._train_loss] = train_loss
        row[self._val_loss] = val_loss
        row[self._val_accuracy] = val_accuracy

    def _ones(self, n: int) -> np.ndarray:
        if self._ones_cache.shape[0] != n:
            self._ones_cache = np.ones(n)
        return self._ones_cache


def evenly_spaced(index: Mapping[str, int], names: Sequence[str]) -> slice:
    """The slice of a row that holds the columns ``names``, in order; ValueError unless their
    positions are evenly spaced (as every metric's per-layer columns are)."""
    positions = [index[name] for name in names]
    stride = positions[1] - positions[0] if len(positions) > 1 else 1
    if stride < 1 or positions != list(range(positions[0], positions[-1] + 1, stride)):
        raise ValueError(f"the columns {', '.join(names)} are not evenly spaced")
    return slice(positions[0], positions[-1] + 1, stride)


def accuracy_rule(output_kind: str, targets: np.ndarray) -> str | None:
    """How to count a prediction as right, or None for regression."""
    if output_kind == "softmax":
        return "argmax"
    values = np.unique(targets)
    if output_kind == "sigmoid" and np.isin(values, (0.0, 1.0)).all():
        return "threshold_0.5"
    if output_kind == "tanh" and np.isin(values, (-1.0, 1.0)).all():
        return "sign"
    return None


def accuracy(rule: str | None, y: np.ndarray, t: np.ndarray) -> float:
    """Fraction of right predictions under ``rule`` (NaN for regression)."""
    if rule is None or y.shape[0] == 0:
        return math.nan
    # count_nonzero / size rather than np.mean: the same number, a fifth of the time (this
    # runs every step, and on small networks numpy's call overhead is the step's cost).
    if rule == "argmax":
        right = y.argmax(axis=1) == t.argmax(axis=1)
    elif rule == "threshold_0.5":
        right = (y > 0.5) == (t > 0.5)
    else:
        right = (y > 0.0) == (t > 0.0)
    return np.count_nonzero(right) / right.size
