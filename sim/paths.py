"""The sum over paths: one weight's gradient, for one sample, as a sum of products along paths.

Backpropagation computes dE/dw of every weight at once by passing errors backwards layer by
layer. Written out for one weight w_ji of layer l (into unit j from unit i below) and one
sample, the same number is a sum over every path from unit j up to an output unit o:

    dE/dw_ji = a_i · Σ over paths  f′(z_j) · w_kj · f′(z_k) · w_mk · … · dE/dz_o

Each path crosses one unit per layer above l; each crossing multiplies by the weight of the
edge taken and the slope f′(z) of the unit reached, and the path ends on an output unit's error
dE/dz_o. A residual layer (a = f(z) + a_prev) adds a skip edge from unit j below to unit j of
that layer, with factor 1 and no slope. A unit dropped out in this pass multiplies by its keep
factor (0, or 1/(1 − p)). For a bias b_j the input factor is 1.

The number of paths is the product of the widths above the weight, far too many to list in a
deep network; the sum is computed layer by layer exactly as backpropagation does (the paths
share their tails), the count by the same recursion, and only the ``shown`` paths of largest
|product| are built, by keeping the best few tails of every unit (a product's magnitude is the
product of its factors' magnitudes, so the best paths through a unit continue along the best
tails of the units above it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .address import ParameterAddress
from .network import Pass

if TYPE_CHECKING:
    from .network import Network
    from .snapshot import Snapshot

ALL_PATHS_UP_TO = 64  # with this many paths or fewer every one is listed
LARGEST_SHOWN = 10  # otherwise the ones of largest |product|


@dataclass(frozen=True)
class Factor:
    """One factor of a path's product: what it is, where (layer and units from 1), its value.

    ``kind`` is "input" (a_i of the layer below, or 1 for a bias), "slope" (f′(z) of a unit),
    "keep" (the unit's dropout factor in this pass), "weight" (w_kj into unit k of ``layer``
    from unit j below), "skip" (a residual edge, 1) or "output" (dE/dz of an output unit).
    """

    kind: str
    layer: int
    unit: int  # the unit the factor belongs to (for a weight or skip: the unit it leads into)
    source: int | None  # for a weight or skip: the unit below it comes from; else None
    value: float


@dataclass(frozen=True)
class Path:
    """One path from the weight to an output unit: the units it runs through and its factors."""

    through: tuple[tuple[int, int], ...]  # (layer, unit), both from 1, from the weight's unit up
    factors: tuple[Factor, ...]
    product: float


@dataclass(frozen=True)
class PathSum:
    """Every path of one weight's gradient for one sample, or its largest, and their sum.

    ``total`` is the sum of all ``count`` products, computed as backpropagation computes it;
    ``rest`` is the part of it the listed paths leave out. ``gradient`` is the engine's own
    dE/dw for this sample (delta_j × a_i), which ``total`` equals up to rounding.
    """

    address: ParameterAddress
    sample: int
    paths: tuple[Path, ...]  # by |product|, largest first
    count: int
    total: float
    rest: float
    gradient: float

    @property
    def complete(self) -> bool:
        return len(self.paths) == self.count


@dataclass(frozen=True)
class PassLayer:
    """What the paths need of one layer of a computed pass, for the followed sample.

    ``W`` is the layer's weights as the pass used them. ``signal`` is what a path takes on
    entering a unit: its slope f′(z) in a hidden layer, its error dE/dz in the output layer
    (where paths end).
    """

    number: int  # from 1
    W: np.ndarray  # (units, fan_in)
    residual: bool
    signal: np.ndarray  # (units,) f′(z), or dE/dz in the output layer, of the sample
    keep: np.ndarray | None  # (units,) dropout factors, None without dropout in this pass


def path_sum(above: list[PassLayer], inputs_below: np.ndarray, address: ParameterAddress,
             sample: int, gradient: float) -> PathSum:
    """The paths of the weight (or bias) at ``address`` for one sample.

    ``above`` describes the layers of the pass from the weight's own layer up to the output;
    ``inputs_below`` is a of the layer below for the sample (the weight's layer's inputs);
    ``gradient`` is the engine's dE/dw for the sample, reported beside the sum.
    """
    layer, unit, source = address
    input_factor = Factor("input", layer - 1, 0 if source is None else source + 1, None,
                          1.0 if source is None else float(inputs_below[source]))
    tails = _Tails(above)
    count = tails.count(layer, unit)
    shown = count if count <= ALL_PATHS_UP_TO else LARGEST_SHOWN
    best = tails.best(layer, unit, shown)
    paths = tuple(_path(input_factor, layer, unit, factors) for factors in best)
    total = input_factor.value * tails.total(layer, unit)
    rest = 0.0 if len(paths) == count else \
        total - math.fsum(path.product for path in paths)
    return PathSum(address, sample, paths, count, total, rest, gradient)


def snapshot_paths(s: Snapshot, address: ParameterAddress, row: int) -> PathSum:
    """The paths of a weight for row ``row`` of the snapshot's batch, as its pass computed
    them (its dropout included); ValueError if the backward phase has not reached its layer."""
    address.check(s.layers)
    layer, unit, source = address
    above = [PassLayer(ls.number, s.weights_in_pass(ls.number)[0], ls.residual,
                       ls.computed("delta" if ls.number == s.depth else "fprime")[row],
                       None if ls.keep is None else ls.keep[row])
             for ls in s.layers[layer - 1:]]
    below = s.computed("a", layer - 1)[row]
    delta = float(s.computed("delta", layer)[row, unit])
    gradient = delta if source is None else delta * float(below[source])
    sample = row if s.indices is None else int(s.indices[row])
    return path_sum(above, below, address, sample, gradient)


def sample_paths(network: Network, x: np.ndarray, t: np.ndarray, loss: str,
                 address: ParameterAddress, sample: int) -> PathSum:
    """The paths of a weight for sample ``sample`` of (x, t) alone: a batch of that one
    sample, no dropout, the data loss without penalty; ``gradient`` is the engine's dE/dw.

    The pass runs on ``network`` itself and leaves its gradient in ``network.grad``.
    """
    address.check(network.layers)
    one = Pass(x[sample:sample + 1], t[sample:sample + 1], None, network.depth)
    for number in range(1, network.depth + 1):
        network.forward_layer(one, number, None)
    network.compute_loss(one, loss, 0.0, 0.0)
    for number in range(network.depth, 0, -1):
        network.backward_layer(one, number, 0.0, 0.0)
    layer = address.layer
    above = [PassLayer(net_layer.number, net_layer.W.copy(), net_layer.residual,
                       one.computed("delta" if net_layer.number == network.depth
                                    else "fprime", net_layer.number)[0], None)
             for net_layer in network.layers[layer - 1:]]
    gradient = float(network.grad[address.flat_index(network)])
    return path_sum(above, one.computed("a", layer - 1)[0], address, sample, gradient)


def _path(input_factor: Factor, layer: int, unit: int, tail: tuple[Factor, ...]) -> Path:
    through = [(layer, unit + 1)] + [(f.layer, f.unit) for f in tail
                                     if f.kind in ("weight", "skip")]
    factors = (input_factor, *tail)
    product = 1.0
    for factor in factors:
        product *= factor.value
    return Path(tuple(through), factors, product)


_Tail = tuple[float, tuple[Factor, ...]]  # a tail's product and its factors


class _Tails:
    """The tails of paths from each unit's net input z up to the outputs, layer by layer.

    A tail from unit j of layer m starts with the unit's own slope (and keep), then takes one
    edge leaving it. ``_z[m]`` holds each unit's sum of tail products (backpropagation's delta
    for this sample) and ``_z_counts[m]`` the number of tails; ``_a`` and ``_a_counts`` the same
    from the unit's output a, before its slope (a residual edge skips the slope above).
    """

    def __init__(self, above: list[PassLayer]) -> None:
        self.layers = {layer.number: layer for layer in above}
        depth, lowest = above[-1].number, above[0].number
        self.depth = depth
        out = self.layers[depth]
        self._z: dict[int, np.ndarray] = {depth: np.asarray(out.signal, dtype=float)}
        self._z_counts: dict[int, list[int]] = {depth: [1] * out.W.shape[0]}
        self._a: dict[int, np.ndarray] = {}
        self._a_counts: dict[int, list[int]] = {}
        self._z_bound: dict[int, np.ndarray] = {depth: np.abs(self._z[depth])}
        self._a_bound: dict[int, np.ndarray] = {}
        for m in range(depth - 1, lowest - 1, -1):
            next_layer = self.layers[m + 1]
            a_sum = self._z[m + 1] @ next_layer.W
            counts = [sum(self._z_counts[m + 1])] * next_layer.W.shape[1]
            bound = (np.abs(next_layer.W) * self._z_bound[m + 1][:, None]).max(axis=0)
            if next_layer.residual:
                a_sum = a_sum + self._a[m + 1]
                counts = [c + skip for c, skip in zip(counts, self._a_counts[m + 1],
                                                      strict=True)]
                bound = np.maximum(bound, self._a_bound[m + 1])
            gain = self._gain(m)
            self._a[m], self._a_counts[m], self._a_bound[m] = a_sum, counts, bound
            self._z[m], self._z_counts[m] = a_sum * gain, counts
            self._z_bound[m] = np.abs(gain) * bound
        self._best_z: dict[tuple[int, int], list[_Tail]] = {}
        self._best_a: dict[tuple[int, int], list[_Tail]] = {}

    def _gain(self, m: int) -> np.ndarray:
        """keep × f′(z) of hidden layer m's units: the factor a tail takes entering a unit."""
        layer = self.layers[m]
        return layer.signal if layer.keep is None else layer.signal * layer.keep

    def count(self, m: int, unit: int) -> int:
        return self._z_counts[m][unit]

    def total(self, m: int, unit: int) -> float:
        return float(self._z[m][unit])

    def best(self, m: int, unit: int, k: int) -> list[tuple[Factor, ...]]:
        """The k tails from the z of ``unit`` of layer m with the largest |product|."""
        return [tail for _, tail in self._best_from_z(m, unit, k)]

    def _best_from_z(self, m: int, unit: int, k: int) -> list[_Tail]:
        key = (m, unit)
        if key not in self._best_z:
            layer = self.layers[m]
            if m == self.depth:
                value = float(layer.signal[unit])
                self._best_z[key] = [(value, (Factor("output", m, unit + 1, None, value),))]
            else:
                head = [Factor("slope", m, unit + 1, None, float(layer.signal[unit]))]
                if layer.keep is not None:
                    head.append(Factor("keep", m, unit + 1, None, float(layer.keep[unit])))
                gain = float(self._gain(m)[unit])
                self._best_z[key] = [(gain * product, (*head, *tail))
                                     for product, tail in self._best_from_a(m, unit, k)]
        return self._best_z[key]

    def _best_from_a(self, m: int, unit: int, k: int) -> list[_Tail]:
        """The k best tails from the output a of ``unit`` of layer m (below the output)."""
        key = (m, unit)
        if key in self._best_a:
            return self._best_a[key]
        number = m + 1
        next_layer = self.layers[number]
        weights = next_layer.W[:, unit]
        # A unit above is worth expanding only while its best tail can still make the top k.
        bounds = np.abs(weights) * self._z_bound[number]
        best: list[_Tail] = []
        for target in np.argsort(-bounds, kind="stable").tolist():
            if len(best) >= k and bounds[target] <= abs(best[-1][0]):
                break
            w = float(weights[target])
            edge = Factor("weight", number, target + 1, unit + 1, w)
            best = _largest(best + [(w * product, (edge, *tail))
                                    for product, tail in self._best_from_z(number, target, k)],
                            k)
        if next_layer.residual:
            skip = Factor("skip", number, unit + 1, unit + 1, 1.0)
            best = _largest(best + [(product, (skip, *tail))
                                    for product, tail in self._best_from_a(number, unit, k)], k)
        self._best_a[key] = best
        return best


def _largest(candidates: list[_Tail], k: int) -> list[_Tail]:
    return sorted(candidates, key=lambda item: -abs(item[0]))[:k]
