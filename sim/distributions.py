"""Each layer's distribution of weights and of gradients over the run, as percentile bands.

Like TensorBoard's distributions: at a recorded step, the weights W of each layer (biases
apart) and the gradient dE/dW backpropagation computed for them (the penalty's share included,
before clipping) are summarised by five percentiles, min, 10 %, median, 90 % and max
(``np.percentile``'s default, linear interpolation between order statistics).

Recorded at the rate a plot can show: every ``stride`` steps into at most ``capacity``
records. When the records are full, every other one is dropped and the stride doubles, so a
run of any length keeps between half and all of ``capacity`` evenly spaced records, and the
cost per step falls as the run grows. A network of more than ``WEIGHTS_PER_STEP`` weights
starts with a longer stride, a power of two, so that about that many weights are summarised a
step: a record sorts each layer's weights and gradient, on fresh values about 25 ns a value
above a few hundred (docs/hazards.md), which at every step cost a 64-64-64-10 network 2.5
times its training. Every lesson's network (at most 336 weights) is recorded at every step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .network import Network

PERCENTILES = (0.0, 10.0, 50.0, 90.0, 100.0)
CAPACITY = 256
WEIGHTS_PER_STEP = 512


@dataclass(frozen=True)
class Bands:
    """The recorded percentiles: ``weights[k, l, p]`` is percentile PERCENTILES[p] of layer
    l + 1's weights after step ``steps[k]``; ``gradients`` likewise, of that step's gradient."""

    steps: np.ndarray  # (records,) optimizer steps, increasing
    weights: np.ndarray  # (records, layers, len(PERCENTILES))
    gradients: np.ndarray


class DistributionRecorder:
    """Records each layer's weight and gradient percentiles every ``stride`` steps."""

    def __init__(self, network: Network, capacity: int = CAPACITY) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError(f"capacity must be an even number of at least 2, got {capacity}")
        depth, width = network.depth, len(PERCENTILES)
        weights = sum(layer.W.size for layer in network.layers)
        self.stride = 2 ** max(0, math.ceil(math.log2(max(1.0, weights / WEIGHTS_PER_STEP))))
        # Where each percentile falls among a layer's sorted values: the sizes never change, so
        # a record is a sort and a few lookups (np.percentile's own overhead is ten times that).
        self._positions = [positions_among(layer.W.size) for layer in network.layers]
        self._steps = np.zeros(capacity, dtype=np.int64)
        self._weights = np.zeros((capacity, depth, width))
        self._gradients = np.zeros((capacity, depth, width))
        self._count = 0

    def after_step(self, step: int, network: Network, gradient: np.ndarray) -> None:
        """Record the weights after optimizer step ``step`` and the step's flat gradient
        (``gradient``, laid out as the network's parameters), if the step is due."""
        if step % self.stride:
            return
        if self._count == len(self._steps):
            self._thin()
            if step % self.stride:
                return
        k = self._count
        self._steps[k] = step
        with np.errstate(invalid="ignore"):  # a diverged layer's NaN gives NaN percentiles
            for number, (layer, (dW, _), where) in enumerate(zip(
                    network.layers, network.layer_views(gradient), self._positions,
                    strict=True)):
                # W above dW: a new array (2 x size as a view), reordered in place
                both = np.concatenate((layer.W, dW)).reshape(2, -1)
                self._weights[k, number], self._gradients[k, number] = row_percentiles(both,
                                                                                       where)
        self._count += 1

    def bands(self) -> Bands:
        """A copy of the records so far, oldest first."""
        n = self._count
        return Bands(self._steps[:n].copy(), self._weights[:n].copy(),
                     self._gradients[:n].copy())

    def _thin(self) -> None:
        """Keep the records at multiples of twice the stride; the stride doubles."""
        self.stride *= 2
        keep = self._steps[:self._count] % self.stride == 0
        kept = int(keep.sum())
        for array in (self._steps, self._weights, self._gradients):
            array[:kept] = array[:self._count][keep]
        self._count = kept


class Positions(NamedTuple):
    """Where PERCENTILES fall among a number of sorted values, as ``np.percentile`` finds them
    (its default, "linear" method: position q/100 · (size − 1))."""

    below: np.ndarray  # for each percentile, the sorted position at or below it
    above: np.ndarray  # and the next one (the last position for the maximum)
    fraction: np.ndarray  # of the way from below to above
    rest: np.ndarray  # 1 − fraction
    upper: np.ndarray  # fraction >= 0.5: numpy's lerp then works from the upper end


def positions_among(size: int) -> Positions:
    """Where each of PERCENTILES falls among ``size`` sorted values."""
    quantiles = np.asarray(PERCENTILES) / 100.0
    virtual = (size - 1) * quantiles
    below = np.floor(virtual).astype(np.intp)
    above = np.minimum(below + 1, size - 1)
    fraction = virtual - below
    return Positions(below, above, fraction, 1.0 - fraction, fraction >= 0.5)


def percentiles(values: np.ndarray, where: Positions) -> np.ndarray:
    """The PERCENTILES of ``values`` at the positions ``positions_among(values.size)`` gives, by
    np.percentile's interpolation; any NaN makes them all NaN, as it does np.percentile's."""
    return row_percentiles(values.reshape(1, -1).copy(), where)[0]


def row_percentiles(rows: np.ndarray, where: Positions) -> np.ndarray:
    """The PERCENTILES of each row of ``rows`` (one row per set of values, each of the size
    ``where`` was made for), one row each; ``rows`` is sorted in place. A layer's weights
    and gradient go together: the numpy calls per record halve, and on a small network these
    calls, not the sorting, are the cost. (np.partition at the positions used gives the same
    values; on fresh values it is no faster than the sort: see docs/hazards.md.)"""
    rows.sort(axis=1)
    low, high = rows.take(where.below, axis=1), rows.take(where.above, axis=1)
    gap = high - low
    # numpy's lerp: from the nearer end, so that a fraction of 0 or 1 gives that end exactly.
    result = np.where(where.upper, high - gap * where.rest, low + gap * where.fraction)
    for row, largest in enumerate(rows[:, -1].tolist()):
        if math.isnan(largest):  # NaN sorts last
            result[row] = np.nan
    return result
