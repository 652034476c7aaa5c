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
    """Writes one row of the history per optimizer step, and the validation metrics into it.

    Most metrics are finished a block of steps at a time. Each step leaves what they are made
    of in preallocated buffers, one row per step: its per-layer sums of squares (of the
    gradient, the update and the weights after it, measured in the step as always), copies of
    its outputs and targets, for each saturating layer which of its f'(z) values are on the
    flat part, and for each dying (ReLU) layer each unit's sum of f'(z) over the batch; its
    scalar columns (step, epoch, loss, ...) wait in a list. The square roots, update ratios,
    accuracies and saturated or dead fractions wait until the buffers are full or anything
    reads the history; then a few numpy calls finish the whole block instead of a dozen for
    every step (a small network's step costs a few dozen microseconds, most of them numpy's
    per-call overhead).
    Each number comes from the same operations on the same values as it would one step at a
    time, so it is the same to the bit, and no reader of the history sees an unfinished row.
    """

    BLOCK = 256  # steps finished together, at most (the history keeps 2,048 rows in full)
    BLOCK_BYTES = 2**20  # the buffers of outputs, targets and f'(z) tests hold at most this

    def __init__(self, network: Network, accuracy_rule: str | None) -> None:
        self.history = History(history_columns(network.depth))
        self.history.complete = self.complete
        self.accuracy_rule = accuracy_rule  # see ``accuracy``
        index = self.history.index
        self._step_columns = evenly_spaced(index, STEP_COLUMNS)
        self._accuracy = index["accuracy"]
        self._grad_norm, self._grad_norm_clipped = index["grad_norm"], index["grad_norm_clipped"]
        numbers = range(1, network.depth + 1)
        (self._grad_norms, self._grad_norms_clipped, self._weight_norms,
         self._update_ratios) = (evenly_spaced(index, [f"{name}_{n}" for n in numbers])
                                 for name in ("grad_norm", "grad_norm_clipped", "weight_norm",
                                              "update_ratio"))
        self._val_loss, self._val_accuracy, self._train_loss = (
            index[name] for name in ("val_loss", "val_accuracy", "train_loss"))
        # (layer number, units, column, saturation threshold of f', or 0 for a ReLU's dead
        # units)
        self._health: list[tuple[int, int, int, float]] = []
        for layer in network.layers:
            activation = layer.activation
            if activation.saturates:
                self._health.append((layer.number, layer.units,
                                     index[f"saturated_{layer.number}"],
                                     SATURATION_FRACTION * activation.max_derivative))
            elif activation.definition.dies:
                self._health.append((layer.number, layer.units, index[f"dead_{layer.number}"],
                                     0.0))
        # (position in _health, layer number, threshold)
        self._tests = [(i, number, threshold)
                       for i, (number, _, _, threshold) in enumerate(self._health)]
        self._depth, self._outputs = network.depth, network.layers[-1].units
        self.pending = 0  # steps recorded and not finished yet
        # The step columns of each pending row (accuracy and the norms still NaN), written
        # into the rows when they are finished: one list append per step instead of a row
        # assignment, which converts its tuple to an array.
        self._scalars: list[tuple[float | None, ...]] = []
        self._weight_sums_before = np.zeros(network.depth)  # of the first pending step
        self._clips: list[tuple[int, ClipResult]] = []  # (pending row, clip) of clipped steps
        self._allocate(0)

    def _allocate(self, batch: int) -> None:
        """Buffers for the pending steps, for batches of up to ``batch`` samples."""
        per_step = batch * 16 * self._outputs + sum(
            batch * units if threshold else 8 * units for _, units, _, threshold in self._health)
        self.block = max(1, min(self.BLOCK, self.BLOCK_BYTES // max(per_step, 1)))
        rows, depth = self.block, self._depth
        # Per-layer sums of squares: of the gradient before clipping, of the update, of the
        # weights after it.
        self.gradient_sums, self.update_sums, self.weight_sums = (np.zeros((rows, depth))
                                                                  for _ in range(3))
        self._batch = batch
        self._batch_sizes = np.zeros(rows, dtype=np.intp)
        shape = (rows, batch, self._outputs)
        self._y, self._t = np.zeros(shape), np.zeros(shape)
        # For each layer of _health: of a saturating layer, which f' of each sample are below
        # the threshold (saturated); of a dying one (ReLU), each unit's sum of f' over the
        # batch: one matrix-vector product a step, where testing every f' and reducing the
        # tests over the batch cost three times as long on a 64 x 64 layer. The sum is above 0
        # exactly when some f' is, since a dying activation's f' is never negative or NaN
        # (ReLU's is 0 or 1).
        self._health_buffers = [np.zeros((rows, batch, units), dtype=bool) if threshold else
                       np.zeros((rows, units)) for _, units, _, threshold in self._health]
        self._ones = np.ones(batch)  # sums over a batch's samples
        # Each row's views of those buffers for a full batch, made once: a view costs as much
        # as the test that writes into it.
        self._full_rows = [tuple(buffer[k] for buffer in self._health_buffers)
                           for k in range(rows)]
        # f' was computed (record_step clears the entry of a layer whose f' is None, complete
        # sets it back): one write per step only where there is no f'.
        self._measured = np.ones((rows, len(self._health)), dtype=bool)

    def accuracy(self, y: np.ndarray, t: np.ndarray) -> float:
        """Fraction of right predictions y for targets t (NaN for regression)."""
        return accuracy(self.accuracy_rule, y, t)

    def weights_changed(self, weight_sums: np.ndarray) -> None:
        """The parameters were replaced between steps (an edit, a restored state or early
        stopping's best): ``weight_sums`` are the new ones' per-layer sums of squares, the
        denominator of the next step's update ratios."""
        self.complete()
        self._weight_sums_before = weight_sums.copy()

    def row_for_step(self, batch: int) -> int:
        """The buffer row of the next step, whose batch has ``batch`` samples: its sums of
        squares of the update and of the weights go into that row of ``update_sums`` and
        ``weight_sums``. A larger batch than the buffers hold finishes the pending steps and
        makes new buffers."""
        if batch > self._batch:
            self.complete()
            self._allocate(batch)
        return self.pending

    def record_step(self, step: int, epoch: int, p: Pass, learning_rate: float,
                    gradient_sums: np.ndarray, clip: ClipResult | None) -> np.ndarray:
        """Append the row of optimizer step ``step`` (taken in epoch ``epoch``, from 1) and
        return it, for the validation metrics to be written into.

        ``p`` is the step's pass and ``gradient_sums`` its gradient's per-layer sums of
        squares before clipping; the sums of the update and of the weights after it are
        already in row ``row_for_step(...)`` of ``update_sums`` and ``weight_sums``. ``clip``
        is the clipping's result if the gradient was clipped (None: the norms after are the
        norms before).
        """
        k, n = self.pending, p.t.shape[0]
        self.gradient_sums[k] = gradient_sums
        self._batch_sizes[k] = n
        if self.accuracy_rule is not None:
            self._y[k, :n] = p.output
            self._t[k, :n] = p.t
        full = n == self._batch
        outs = self._full_rows[k] if full else [buffer[k, :n] if buffer.ndim == 3 else buffer[k]
                                                for buffer in self._health_buffers]
        for (i, number, threshold), out in zip(self._tests, outs, strict=True):
            fprime = p.fprime[number]
            if fprime is None:  # an output fused with its loss
                self._measured[k, i] = False
            elif threshold:
                np.less(fprime, threshold, out=out)
            else:
                np.dot(self._ones if full else self._ones[:n], fprime, out=out)
        if clip is not None:
            self._clips.append((k, clip))
        row = self.history.new_row()
        # written, with accuracy and the norms, when the block is finished
        self._scalars.append((step, epoch, p.loss, p.penalty, math.nan, learning_rate,
                              math.nan, math.nan, clip is not None))
        self.pending = k + 1
        if self.pending == self.block:
            self.complete()
        return row

    def complete(self) -> None:
        """Finish the metrics of the pending steps and write them into their rows."""
        count = self.pending
        if not count:
            return
        rows = self.history.tail(count)
        rows[:, self._step_columns] = self._scalars
        self._scalars.clear()
        self._finish_norms(rows, count)
        sizes = self._batch_sizes[:count]
        # A short batch (an epoch's last) leaves the rest of its buffer row as it was.
        outside = np.arange(self._batch) >= sizes[:, np.newaxis]
        if self.accuracy_rule is not None:
            rows[:, self._accuracy] = accuracies(self.accuracy_rule, self._y[:count],
                                                 self._t[:count], outside)
        for i, ((_, _, column, threshold), buffer) in enumerate(zip(
                self._health, self._health_buffers, strict=True)):
            chosen = buffer[:count]
            if threshold:  # sigmoid, tanh: the values on the flat part of f
                chosen[outside] = False
                fraction = np.count_nonzero(chosen, axis=(1, 2)) / (sizes * chosen.shape[2])
            else:  # relu: units no sample of the batch activates, so no gradient reaches them
                fraction = 1.0 - np.count_nonzero(chosen > 0.0, axis=1) / chosen.shape[1]
            rows[:, column] = np.where(self._measured[:count, i], fraction, np.nan)
        self._measured[:count] = True
        self._clips.clear()
        self.pending = 0

    def _finish_norms(self, rows: np.ndarray, count: int) -> None:
        gradient = self.gradient_sums[:count]
        weights = self.weight_sums[:count]
        before = np.concatenate((self._weight_sums_before[np.newaxis], weights[:-1]))
        # Squares that overflowed give inf norms (and 0, inf or NaN ratios), as documented.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            total = np.sqrt(np.add.reduce(gradient, axis=1))
            norms = np.sqrt(gradient)
            # all-zero weights: the ratio is undefined (NaN), not infinite
            ratios = np.where(before > 0.0, np.sqrt(self.update_sums[:count] / before), np.nan)
        rows[:, self._grad_norm] = total
        rows[:, self._grad_norm_clipped] = total
        rows[:, self._grad_norms] = norms
        rows[:, self._grad_norms_clipped] = norms
        for index, clip in self._clips:
            rows[index, self._grad_norm_clipped] = clip.norm_after
            rows[index, self._grad_norms_clipped] = clip.layer_norms_after
        rows[:, self._weight_norms] = np.sqrt(weights)
        rows[:, self._update_ratios] = ratios
        self._weight_sums_before = weights[-1].copy()

    def record_validation(self, row: np.ndarray, train_loss: float, val_loss: float,
                          val_accuracy: float) -> None:
        """Write a validation's metrics into the row of the step it followed."""
        row[self._train_loss] = train_loss
        row[self._val_loss] = val_loss
        row[self._val_accuracy] = val_accuracy


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
    """Fraction of right predictions y for targets t under ``rule`` (NaN for regression)."""
    if rule is None or y.shape[0] == 0:
        return math.nan
    return float(accuracies(rule, y[np.newaxis], t[np.newaxis])[0])


def accuracies(rule: str | None, y: np.ndarray, t: np.ndarray,
               outside: np.ndarray | None = None) -> np.ndarray:
    """For the outputs and targets of several batches, stacked along a first axis, each
    batch's fraction of right predictions under ``rule`` (NaN for regression). ``outside``
    marks the rows of a stack that are no samples of their batch (a short batch's padding)."""
    if rule is None:
        return np.full(y.shape[0], np.nan)
    if rule == "argmax":
        right = y.argmax(axis=2) == t.argmax(axis=2)  # one answer per sample
    elif rule == "threshold_0.5":
        right = (y > 0.5) == (t > 0.5)  # one answer per output of each sample
    else:
        right = (y > 0.0) == (t > 0.0)
    samples = np.full(y.shape[0], y.shape[1])
    if outside is not None:
        right[outside] = False
        samples = samples - np.count_nonzero(outside, axis=1)
    answers = samples * (right[0].size // y.shape[1])
    # count_nonzero / size rather than np.mean: the same number, a fifth of the time.
    with np.errstate(invalid="ignore"):  # an empty batch: NaN
        return np.count_nonzero(right.reshape(right.shape[0], -1), axis=1) / answers
