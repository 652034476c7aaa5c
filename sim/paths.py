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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from . import notation
from .activations import ACTIVATIONS
from .address import LayerShape, ParameterAddress
from .network import Pass
from .schema import finite_or_none

if TYPE_CHECKING:
    from .experiment import NetworkSpec
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

    @property
    def name(self) -> str:
        """The factor's name in the seeds' notation (sim.notation): x₂, a⁽¹⁾₁, f′(z⁽¹⁾₂),
        w⁽²⁾₁₂, ∂E/∂z⁽³⁾₁; "1" for a bias's input; keep⁽¹⁾₂ and skip⁽²⁾₁ for a dropout factor
        and a residual link."""
        unit = self.unit - 1
        if self.kind == "input":
            return "1" if self.unit == 0 else notation.activation(self.layer, unit)
        if self.kind == "slope":
            return notation.slope(self.layer, unit)
        if self.kind == "weight":
            assert self.source is not None  # a weight has the unit it comes from
            return notation.weight(self.layer, unit, self.source - 1)
        if self.kind == "output":
            return notation.gradient(notation.net_input(self.layer, unit))
        return f"{self.kind}{notation.layer_mark(self.layer)}{notation.units_mark(unit)}"


@dataclass(frozen=True)
class Path:
    """One path from the weight to an output unit: the units it runs through and its factors."""

    through: tuple[tuple[int, int], ...]  # (layer, unit), both from 1, from the weight's unit up
    factors: tuple[Factor, ...]
    product: float

    @property
    def slopes(self) -> tuple[Factor, ...]:
        """The slopes f′(z) the path crosses: the factors that make gradients vanish."""
        return tuple(f for f in self.factors if f.kind == "slope")


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
    activations: tuple[str, ...]  # the activation of each layer from the weight's up

    @property
    def complete(self) -> bool:
        return len(self.paths) == self.count

    @property
    def listed_sum(self) -> float:
        """The sum of the listed paths' products (``total`` when every path is listed)."""
        return math.fsum(path.product for path in self.paths)

    def activation(self, layer: int) -> str:
        """The activation of ``layer`` (the weight's own or one above it)."""
        return self.activations[layer - self.address.layer]


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
    activation: str  # the kind, a key of sim.activations.ACTIVATIONS


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
    # A diverged pass holds infinities: its paths carry them (inf × 0 is NaN) as it did.
    with np.errstate(over="ignore", invalid="ignore"):
        tails = _Tails(above)
        count = tails.count(layer, unit)
        shown = count if count <= ALL_PATHS_UP_TO else LARGEST_SHOWN
        best = tails.best(layer, unit, shown)
        paths = tuple(_path(input_factor, layer, unit, factors) for factors in best)
        total = input_factor.value * tails.total(layer, unit)
        rest = 0.0 if len(paths) == count else \
            total - math.fsum(path.product for path in paths)
    return PathSum(address, sample, paths, count, total, rest, gradient,
                   tuple(layer.activation for layer in above))


def snapshot_paths(s: Snapshot, address: ParameterAddress, row: int) -> PathSum:
    """The paths of a weight for row ``row`` of the snapshot's batch, as its pass computed
    them (its dropout included); ValueError if the backward phase has not reached its layer."""
    address.check(s.layers)
    layer, unit, source = address
    _check_no_batch_norm([ls.number for ls in s.layers[layer - 1:] if ls.has_batch_norm],
                         "a gradient through it is no sum over one sample's paths")
    if s.layers[layer - 1].delta is None:  # the backward pass runs from the output down
        raise ValueError(f"the backward phase has not reached layer {layer} yet")
    above = [PassLayer(ls.number, s.weights_in_pass(ls.number)[0], ls.residual,
                       ls.computed("delta" if ls.number == s.depth else "fprime")[row],
                       None if ls.keep is None else ls.keep[row], ls.activation)
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
    check_one_sample_pass(network)
    one = Pass(x[sample:sample + 1], t[sample:sample + 1], None, network.depth)
    for number in range(1, network.depth + 1):
        network.forward_layer(one, number, None)
    network.compute_loss(one, loss, 0.0, 0.0)
    for number in range(network.depth, 0, -1):
        network.backward_layer(one, number, 0.0, 0.0)
    layer = address.layer
    above = [PassLayer(net_layer.number, net_layer.W.copy(), net_layer.residual,
                       one.computed("delta" if net_layer.number == network.depth
                                    else "fprime", net_layer.number)[0], None,
                       net_layer.activation.kind)
             for net_layer in network.layers[layer - 1:]]
    gradient = float(network.grad[address.flat_index(network)])
    return path_sum(above, one.computed("a", layer - 1)[0], address, sample, gradient)


class CoupledSamples(ValueError):
    """A layer on the paths normalises over the batch: there a sample's error depends on every
    other sample of the batch, and no sum of products of one sample's slopes and weights
    gives it."""


def check_one_sample_pass(network: Network) -> None:
    """CoupledSamples if one sample cannot pass through ``network`` alone (as
    ``sample_paths`` passes it): a layer normalises over the batch."""
    _check_no_batch_norm([layer.number for layer in network.layers if layer.norm is not None],
                         "one sample alone, a batch of one, cannot pass through it")


def _check_no_batch_norm(normalised: list[int], why: str) -> None:
    if normalised:
        raise CoupledSamples(f"layer {normalised[0]} has batch normalisation, which couples the "
                             f"samples of a batch: {why}")


class PathLayer(LayerShape, Protocol):
    """What the edges of paths are found in: a layer's shape, and whether a residual link
    adds the unit below to each of its units (a network's layer or a snapshot's)."""

    @property
    def number(self) -> int: ...
    @property
    def residual(self) -> bool: ...


@dataclass(frozen=True)
class LayerEdges:
    """Which edges into one layer lie on a set of paths (True: on one of them)."""

    weights: np.ndarray  # (units, fan_in): w_ji
    biases: np.ndarray  # (units,): b_j, only ever the parameter whose paths these are
    skips: np.ndarray  # (units,): the residual link into unit j from unit j below

    @classmethod
    def none(cls, layer: PathLayer) -> LayerEdges:
        return cls(np.zeros((layer.units, layer.fan_in), dtype=bool),
                   np.zeros(layer.units, dtype=bool), np.zeros(layer.units, dtype=bool))


def edges_of_every_path(layers: Sequence[PathLayer], address: ParameterAddress
                        ) -> dict[int, LayerEdges]:
    """The edges on every path of the parameter at ``address``, its own included, by layer
    from its own up: which edges they are follows from the network's shape alone.

    From unit j of the parameter's layer a path takes any edge leaving a unit it has reached:
    every weight out of it into the layer above, and the residual link to the same unit.
    """
    address.check(layers)
    edges = {address.layer: _own_edge(layers, address)}
    reached = np.zeros(layers[address.layer - 1].units, dtype=bool)
    reached[address.unit] = True
    for layer in layers[address.layer:]:
        layer_edges = LayerEdges.none(layer)
        layer_edges.weights[:, reached] = True
        if layer.residual:  # a residual layer has as many units as it has inputs
            layer_edges.skips[reached] = True
        reached = layer_edges.weights.any(axis=1) | layer_edges.skips
        edges[layer.number] = layer_edges
    return edges


def edges_of(paths: Iterable[Path], layers: Sequence[PathLayer], address: ParameterAddress
             ) -> dict[int, LayerEdges]:
    """The edges the given paths of the parameter at ``address`` run along, its own included,
    by layer from its own up."""
    address.check(layers)
    edges = {address.layer: _own_edge(layers, address)}
    edges |= {layer.number: LayerEdges.none(layer) for layer in layers[address.layer:]}
    for path in paths:
        for f in path.factors:
            if f.kind == "weight":
                assert f.source is not None  # a weight has the unit it comes from
                edges[f.layer].weights[f.unit - 1, f.source - 1] = True
            elif f.kind == "skip":
                edges[f.layer].skips[f.unit - 1] = True
    return edges


def _own_edge(layers: Sequence[PathLayer], address: ParameterAddress) -> LayerEdges:
    own = LayerEdges.none(layers[address.layer - 1])
    if address.source is None:
        own.biases[address.unit] = True
    else:
        own.weights[address.unit, address.source] = True
    return own


# ---------------------------------------------------------------------------- in words

def weight_address(text: str, network: NetworkSpec) -> ParameterAddress:
    """The parameter "L,J,I" names, as the command line and the app's --paths take it: the
    weight into unit J of layer L from unit I below, all from 1, I = 0 the bias of unit J.
    ValueError saying, counting from 1, what is wrong and what the network has."""
    parts = text.split(",")
    if len(parts) != 3 or not all(part.strip().isdigit() for part in parts):
        raise ValueError(f"expected three whole numbers L,J,I (the layer, the unit in it, the "
                         f"unit below that feeds it; I = 0 for the bias), got {text!r}")
    layer, unit, source = (int(part) for part in parts)
    if layer < 1 or unit < 1:
        raise ValueError(f"layers and units count from 1, got {text!r}")
    layers = network.layers
    if layer > len(layers):
        raise ValueError(f"layer {layer} does not exist; the network has layers 1 to "
                         f"{len(layers)}")
    target = layers[layer - 1]
    fan_in = network.inputs if layer == 1 else layers[layer - 2].units
    if unit > target.units:
        raise ValueError(f"layer {layer} has units 1 to {target.units}, not {unit}")
    if source > fan_in:
        raise ValueError(f"the units of layer {layer} have inputs 1 to {fan_in} (and 0 for "
                         f"the bias), not {source}")
    if source == 0 and not target.bias:
        raise ValueError(f"layer {layer} has no biases (I = 0 is the bias)")
    return ParameterAddress(layer, unit - 1, None if source == 0 else source - 1)


def written_out(path: Path) -> tuple[str, str]:
    """A path's product in names, and in numbers with its result:
    ("x₁ × f′(z⁽¹⁾₁) × w⁽²⁾₁₁ × ∂E/∂z⁽²⁾₁", "0.5 × 0.2436 × 0.5 × (−0.01048) = −0.000638")."""
    names = " × ".join(f.name for f in path.factors)
    numbers = " × ".join(notation.factor(f.value) for f in path.factors)
    return names, f"{numbers} = {notation.number(path.product)}"


def summary(ps: PathSum, gradient_label: str) -> list[str]:
    """How the listed products add up to the gradient, in three lines: the count; the listed
    products' sum and the rest's; the sum over all paths, and beside it backpropagation's
    value (``gradient_label`` says which: "backpropagation's ∂E/∂w⁽¹⁾₁₂ for this sample")."""
    listed = len(ps.paths)
    if ps.complete:
        count = f"paths: {ps.count:,}, every one listed"
        sums = f"sum of the listed products: {notation.number(ps.listed_sum)}"
    else:
        count = f"paths: {ps.count:,}; listed: the {listed} of largest |product|"
        sums = (f"sum of the listed products: {notation.number(ps.listed_sum)}; of the other "
                f"{ps.count - listed:,} paths' products: {notation.number(ps.rest)}")
    total = (f"sum over all paths (added up as backpropagation does): "
             f"{notation.exact(ps.total)}; {gradient_label}: {notation.exact(ps.gradient)}")
    return [count, sums, total]


def slope_note(ps: PathSum) -> str | None:
    """Why the products are small, when the slopes say so: the slopes f′ on the largest path,
    their product, and the most they could multiply to (sigmoid's f′ is at most 0.25). None
    when the path crosses no slope whose largest value is below 1."""
    if not ps.paths:
        return None
    slopes = ps.paths[0].slopes
    kinds = [ps.activation(f.layer) for f in slopes]
    limits = {kind: ACTIVATIONS[kind].max_derivative for kind in kinds}
    if not slopes or all(limit >= 1.0 for limit in limits.values()):
        return None
    actual = math.prod(f.value for f in slopes)
    if len(slopes) == 1:
        kind = kinds[0]
        return (f"The slope on path 1 is {slopes[0].name} = {notation.number(actual)}: "
                f"{kind}'s f′ is at most {notation.number(limits[kind])}.")
    bound = math.prod(limits[kind] for kind in kinds)
    if len(limits) == 1:
        kind, limit = next(iter(limits.items()))
        why = (f"{kind}'s f′ is at most {notation.number(limit)}, so {len(slopes)} of them "
               f"multiply to at most {notation.power(limit, len(slopes))} = "
               f"{notation.number(bound)}")
    else:
        each = ", ".join(f"{kind}'s f′ ≤ {notation.number(limit)}"
                         for kind, limit in limits.items())
        why = f"with {each}, they multiply to at most {notation.number(bound)}"
    return f"The {len(slopes)} slopes f′ on path 1 multiply to {notation.number(actual)}: {why}."


def to_json(ps: PathSum) -> dict[str, Any]:
    """The paths as ``python -m sim paths --json`` prints them: the weight as [L, J, I] (units
    from 1, I = 0 for a bias), the sample from 0, every listed path with its units, factors,
    their names and product; the count, the total, the rest's sum and the engine's gradient.
    A number that is not finite is null."""
    layer, unit, source = ps.address
    return {
        "weight": [layer, unit + 1, 0 if source is None else source + 1],
        "sample": ps.sample,
        "count": ps.count,
        "paths": [{"through": [list(step) for step in path.through],
                   "factors": [finite_or_none(f.value) for f in path.factors],
                   "names": [f.name for f in path.factors],
                   "product": finite_or_none(path.product)} for path in ps.paths],
        "total": finite_or_none(ps.total),
        "rest": finite_or_none(ps.rest),
        "gradient": finite_or_none(ps.gradient),
    }



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
