"""The loss around the current weights along one or two chosen parameters, the others fixed.

For chosen parameters p, q and offsets d, e the curve is E(theta + d e_p) and the surface
E(theta + d e_p + e e_q), where E is exactly what ``Network.loss_value`` computes: the data loss
of a deterministic forward pass (no dropout) plus the L1/L2 penalty on the weights. Batch
normalisation there uses the running statistics: a fixed affine map of each unit's net input,
so everything below holds with it in place between z and f.

A grid of G points is not G forward passes. Changing w_ji of layer l by d (or b_j by d)
changes only unit j's net input, and only by a multiple of the unit's input,

    z_j^l(d) = z_j^l + d a_i^(l-1)          (for the bias: + d)

so layers 1..l-1 are computed once, unit j's new outputs a_j^l(d) for all G points at once
(G x n numbers for n samples), and they reach the layer above as a correction to its net input,

    z^(l+1)(d) = z^(l+1) + (a_j^l(d) - a_j^l) W^(l+1)[:, j].

From there on every unit depends on d, so layers l+1..L carry the grid as an extra axis and
each takes one matrix product over all G x n columns, a cache-sized chunk of grid points at
a time. A second parameter in a higher layer adds its own correction d a_i to that layer's z.
The penalty changes only by the chosen weights' own terms. The cost is therefore about
G n (units above layer l) activations: parameters near the output are cheap, parameters of
the first layer of a deep network the dearest. The network itself is only read, never written.

The engine keeps no per-weight history (``History`` holds per-layer norms), so
``ParameterTrace`` records the chosen parameters after each step, from the trainer or from
the Snapshots the GUI receives.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import batch_norm, losses
from .address import ParameterAddress, ParameterLayer, checked_index, is_whole
from .network import Layer, Network, Pass

if TYPE_CHECKING:
    from .snapshot import Snapshot


MIN_POINTS, MAX_POINTS = 2, 512
CURVE_POINTS, SURFACE_POINTS = 101, 64  # odd for the curve: the current value is a grid point
CHUNK_ROWS = 1 << 13  # samples x grid points per chunk: a unit's values fit in cache
CHUNK_ELEMENTS = 1 << 20  # and no array of a chunk exceeds 8 MiB, however wide the layers
# OpenBLAS runs a product of m x k by k x n on one thread while m k n is below 2^18. Threaded,
# a (16 x 16) by (16 x 8192) product took 100 times longer on a busy 2-core machine (it waits
# for a free core at each synchronisation), so grid products are cut into blocks below that.
ONE_THREAD_PRODUCT = 1 << 18
MIN_HALF_WIDTH = 1.0  # smallest default half-width, so a weight near 0 still shows a bowl
WEIGHT_FACTOR = 2.0  # default window reaches past 0 to -w: the sign flip and "unit off"
TRAJECTORY_MARGIN = 1.25  # the window covers the recent trajectory with 25% to spare
# Steps of the path kept: a ravine lesson's whole run (440 steps, zig-zag from the first).
# The loss is evaluated at each point whenever the view is made: on the spiral, 1,000 points
# made it 17 % slower than 200.
TRACE_CAPACITY = 500


# ---------------------------------------------------------------------------- windows

def default_half_width(value: float, trajectory: np.ndarray | None = None) -> float:
    """How far either side of ``value`` a window shows when the user has not chosen.

    max(1, 2 |w|, 1.25 x the farthest recent value from w): the window reaches past zero to the
    sign-flipped weight, never shrinks below 1 for a weight near zero, and keeps the whole
    recent trajectory in view. Non-finite trajectory values are ignored.
    """
    half_width = max(MIN_HALF_WIDTH, WEIGHT_FACTOR * abs(value))
    if trajectory is not None and np.size(trajectory):
        distances = np.abs(np.asarray(trajectory, dtype=float) - value)
        distances = distances[np.isfinite(distances)]
        if distances.size:
            half_width = max(half_width, TRAJECTORY_MARGIN * float(distances.max()))
    return half_width


def grid_values(value: float, half_width: float, points: int) -> np.ndarray:
    """``points`` values from value - half_width to value + half_width, symmetric about value.

    With an odd count the middle one is ``value`` exactly, so the current point is on the grid.
    """
    centre = (points - 1) / 2.0
    return value + half_width * ((np.arange(points) - centre) / centre)


# ---------------------------------------------------------------------------- the loss

def loss_curve(network: Network, x: np.ndarray, t: np.ndarray, loss: str, l1: float, l2: float,
               parameter: int, half_width: float | None = None,
               points: int = CURVE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """(values, losses): the loss with theta[parameter] set to each value, the rest as it is.

    The values run evenly from w - half_width to w + half_width around the current value w
    (half_width None: ``default_half_width(w)``). ``losses[k]`` is what
    ``network.loss_value(x, t, loss, l1, l2)`` would give with theta[parameter] = values[k].
    """
    check_points(points)
    current = _current_value(network, parameter)
    values = grid_values(current, _checked_half_width(half_width, current), points)
    return values, loss_at(network, x, t, loss, l1, l2, (parameter,), values[:, None])


def loss_surface(network: Network, x: np.ndarray, t: np.ndarray, loss: str, l1: float, l2: float,
                 parameters: tuple[int, int],
                 half_widths: tuple[float | None, float | None] = (None, None),
                 points: int = SURFACE_POINTS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(u, v, losses): the loss over a points x points grid of two parameters, the rest fixed.

    u runs around theta[parameters[0]] and v around theta[parameters[1]] as in ``loss_curve``.
    ``losses[r, c]`` is the loss at (u[c], v[r]): rows follow the second parameter, like an
    image with v upwards (pyqtgraph ``ImageItem(axisOrder="row-major")``, matplotlib
    ``contourf(u, v, losses)``).
    """
    check_points(points)
    if len(parameters) != 2:
        raise ValueError(f"a surface needs two parameters, got {len(parameters)}")
    first, second = (checked_index(network, p) for p in parameters)
    if first == second:
        raise ValueError(f"choose two different parameters, not parameter {first} twice")
    if len(half_widths) != 2:
        raise ValueError(f"give one half-width per parameter (or None), got {len(half_widths)}")
    u, v = (grid_values(value, _checked_half_width(half_width, value), points)
            for value, half_width in zip((_current_value(network, first),
                                          _current_value(network, second)), half_widths,
                                         strict=True))
    values = np.column_stack([np.tile(u, points), np.repeat(v, points)])  # row g = r * P + c
    grid = loss_at(network, x, t, loss, l1, l2, (first, second), values)
    return u, v, grid.reshape(points, points)


def loss_at(network: Network, x: np.ndarray, t: np.ndarray, loss: str, l1: float, l2: float,
            parameters: Sequence[int], values: np.ndarray) -> np.ndarray:
    """The loss at each row of ``values``, of shape (G, len(parameters)).

    Row g sets theta[parameters[k]] to values[g, k] for every k, leaving the other parameters
    as they are: any set of points, such as a trajectory to draw on a curve or a surface.
    """
    _check_data(network, x, t, loss, l1, l2)
    indices = [checked_index(network, p) for p in parameters]
    if len(set(indices)) != len(indices):
        raise ValueError("each parameter may be chosen only once")
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != len(indices) or not indices:
        raise ValueError(f"values must have one column per parameter ({len(indices)}), got "
                         f"shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("values must be finite numbers")
    if values.shape[0] == 0:
        return np.empty(0)
    current = network.theta[indices]
    offsets = values - current
    changes = [_Change(*ParameterAddress.at_index(network, index), column)
               for column, index in enumerate(indices)]
    with np.errstate(over="ignore", under="ignore"):  # sigmoid's exp overflows towards 0: fine
        base = network.forward(x)
        data = np.concatenate([_data_losses(network, base, changes, chunk, t, loss)
                               for chunk in _chunks(network, offsets, x.shape[0])])
    return data + _penalties(network, changes, current, values, l1, l2)


# ---------------------------------------------------------------------------- grid forward pass

@dataclass(frozen=True)
class _Change:
    """One chosen parameter: w_ji of a layer (i None: b_j), and its column in the offsets."""

    layer: int
    j: int
    i: int | None
    column: int


def _chunks(network: Network, offsets: np.ndarray, samples: int) -> Iterator[np.ndarray]:
    """Slices of the grid points small enough that each array of a chunk stays modest."""
    widest = max(layer.units for layer in network.layers)
    size = max(1, min(CHUNK_ROWS, CHUNK_ELEMENTS // widest) // samples)
    return (offsets[start:start + size] for start in range(0, offsets.shape[0], size))


# Arrays that carry the grid are unit-major, (units, G, n): a layer's matrix product is one
# W @ (units, G n) with a long row dimension, a unit's column is contiguous, and the
# (G n, units) view that activations and losses take is Fortran-ordered, so their reductions
# over units (softmax, log-sum-exp) run along memory instead of across it: 4x faster, same bits.

def _data_losses(network: Network, base: Pass, changes: list[_Change], offsets: np.ndarray,
                 t: np.ndarray, kind: str) -> np.ndarray:
    """The data loss at each grid point of one chunk of offsets (G, parameters)."""
    first = min(change.layer for change in changes)
    moved_units: list[int] = []  # units of the first changed layer whose outputs move
    moved: np.ndarray | None = None  # their a_j(d) - a_j, shape (moved units, G, n)
    a_grid: np.ndarray | None = None  # all of a layer's outputs, shape (units, G, n)
    for number in range(first, network.depth + 1):
        layer = network.layers[number - 1]
        here = [change for change in changes if change.layer == number]
        if number == first and number < network.depth:  # hidden layers are elementwise
            moved_units, moved = _moved_units(layer, base, here, offsets)
            continue
        z_now = base.computed("z", number).T[:, None, :]  # (units, 1, n): z as it is now
        if moved is not None:
            z = _product(layer.W[:, moved_units], moved)
            z += z_now
            a_below = _densify(base.computed("a", number - 1), moved_units, moved) \
                if here or layer.residual else None
        elif a_grid is not None:
            z = _product(layer.W, a_grid)
            if layer.b is not None:
                z += layer.b[:, None, None]
            a_below = a_grid
        else:  # the output layer is the first that changes
            z = np.repeat(z_now, offsets.shape[0], axis=1)
            a_below = base.computed("a", number - 1).T[:, None, :]
        for change in here:
            assert a_below is not None  # made above, as there are changes here
            step = offsets[:, change.column, None]
            z[change.j] += step if change.i is None else step * a_below[change.i]
        z = _normalised(layer, z)  # what the activation takes
        a_grid = _activate(layer, z)
        if layer.residual:
            assert a_below is not None  # made above for a residual layer
            a_grid = a_grid + a_below
        moved = None
    assert a_grid is not None  # the output layer, the loop's last, is never skipped
    return _stacked_losses(kind, a_grid, z, t)


def _moved_units(layer: Layer, base: Pass, here: list[_Change],
                 offsets: np.ndarray) -> tuple[list[int], np.ndarray]:
    """The units of the first changed layer whose inputs move, and a_j(d) - a_j of each."""
    number = layer.number
    a_below, z, h = (base.computed("a", number - 1), base.computed("z", number),
                     base.computed("h", number))
    units = sorted({change.j for change in here})
    moved = np.empty((len(units), offsets.shape[0], a_below.shape[0]))
    for position, j in enumerate(units):
        z_j = z[:, j] + sum(
            offsets[:, change.column, None] * (1.0 if change.i is None else a_below[:, change.i])
            for change in here if change.j == j)
        # With a residual connection a_j = h_j + a_below_j, and a_below does not move.
        if layer.norm is not None:
            z_j = batch_norm.evaluate(layer.norm, z_j, j)
        moved[position] = layer.activation.forward(z_j) - h[:, j]
    return units, moved


def _product(W: np.ndarray, a: np.ndarray) -> np.ndarray:
    """W a for a of shape (fan_in, G, n), in blocks of columns that BLAS runs on one thread."""
    fan_in, g, n = a.shape
    columns = a.reshape(fan_in, g * n)
    z = np.empty((W.shape[0], g * n))
    block = max(1, ONE_THREAD_PRODUCT // (W.shape[0] * fan_in))
    for start in range(0, g * n, block):
        np.matmul(W, columns[:, start:start + block], out=z[:, start:start + block])
    return z.reshape(W.shape[0], g, n)


def _rows(a: np.ndarray) -> np.ndarray:
    """(units, G, n) seen as (G n, units), one row per sample per grid point."""
    return a.reshape(a.shape[0], -1).T


def _normalised(layer: Layer, z: np.ndarray) -> np.ndarray:
    """Net inputs (units, G, n) through the layer's batch normalisation with its running
    statistics, as evaluation normalises (z itself without batch normalisation)."""
    if layer.norm is None:
        return z
    return np.moveaxis(batch_norm.evaluate(layer.norm, np.moveaxis(z, 0, -1)), -1, 0)


def _activate(layer: Layer, z: np.ndarray) -> np.ndarray:
    h = layer.activation.forward(_rows(z))
    return np.ascontiguousarray(h.T).reshape(z.shape)


def _densify(a: np.ndarray, units: list[int], moved: np.ndarray) -> np.ndarray:
    """A layer's outputs on the grid, (units, G, n), from the unmoved ones and the moved units."""
    dense = np.repeat(a.T[:, None, :], moved.shape[1], axis=1)
    for position, j in enumerate(units):
        dense[j] += moved[position]
    return dense


def _stacked_losses(kind: str, y: np.ndarray, z: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The data loss of each grid point from outputs y and net inputs z of shape (k, G, n)."""
    _, g, n = y.shape
    targets = np.tile(t.T, (1, g))  # (k, G n): the targets of every grid point's samples
    shares = losses.per_sample(kind, _rows(y), _rows(z), targets.T)
    totals = shares.reshape(g, n).sum(axis=1)
    # per_sample divides a mean loss by the stacked count G n, where each grid point's is n.
    return totals * g if losses.LOSSES[kind].mean else totals


def _penalties(network: Network, changes: list[_Change], current: np.ndarray,
               values: np.ndarray, l1: float, l2: float) -> np.ndarray | float:
    """The penalty at each grid point: the current one, with the chosen weights' terms swapped."""
    if not (l1 or l2):
        return 0.0
    penalty = np.full(values.shape[0], network.penalty(l1, l2))
    for change in changes:
        if change.i is None:
            continue  # biases are never penalised
        new, old = values[:, change.column], current[change.column]
        penalty += 0.5 * l2 * (new * new - old * old) + l1 * (np.abs(new) - abs(old))
    return penalty


# ---------------------------------------------------------------------------- argument checks

def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def check_points(points: int) -> None:
    """Refuse a grid size outside MIN_POINTS..MAX_POINTS (also used by the boundary grid)."""
    if not (is_whole(points) and MIN_POINTS <= points <= MAX_POINTS):
        raise ValueError(f"points must be a whole number from {MIN_POINTS} to {MAX_POINTS}, "
                         f"got {points!r}")


def _current_value(network: Network, parameter: int) -> float:
    value = float(network.theta[checked_index(network, parameter)])
    if not math.isfinite(value):
        raise ValueError(f"parameter {parameter} is {value}; a landscape needs finite weights "
                         f"(reset the diverged run)")
    return value


def _checked_half_width(half_width: float | None, value: float) -> float:
    if half_width is None:
        return default_half_width(value)
    if not (_is_number(half_width) and math.isfinite(half_width) and half_width > 0.0):
        raise ValueError(f"half_width must be a positive finite number, got {half_width!r}")
    return float(half_width)


def _check_data(network: Network, x: np.ndarray, t: np.ndarray, loss: str, l1: float,
                l2: float) -> None:
    if loss not in losses.KINDS:
        raise ValueError(f"unknown loss {loss!r}; expected one of {', '.join(losses.KINDS)}")
    outputs = network.layers[-1].units
    if not (isinstance(x, np.ndarray) and x.ndim == 2 and x.shape[0] >= 1
            and x.shape[1] == network.inputs):
        raise ValueError(f"x must be an array of shape (samples, {network.inputs}), got "
                         f"{getattr(x, 'shape', type(x).__name__)}")
    if not (isinstance(t, np.ndarray) and t.shape == (x.shape[0], outputs)):
        raise ValueError(f"t must be an array of shape ({x.shape[0]}, {outputs}), got "
                         f"{getattr(t, 'shape', type(t).__name__)}")
    for name, strength in (("l1", l1), ("l2", l2)):
        if not (_is_number(strength) and math.isfinite(strength) and strength >= 0.0):
            raise ValueError(f"{name} must be a finite number >= 0, got {strength!r}")


# ---------------------------------------------------------------------------- trajectory

class ParameterTrace:
    """The chosen parameters' values after each step, from the Snapshots it is given.

    Keeps the last ``capacity`` steps (``truncated`` once earlier ones were dropped). A
    snapshot of a step already recorded replaces that step's values (phase-by-phase
    snapshots, a weight edited between steps); a step number lower than the last means a new
    run, and the trace starts over.
    """

    def __init__(self, addresses: Sequence[ParameterAddress],
                 capacity: int = TRACE_CAPACITY) -> None:
        if not addresses:
            raise ValueError("choose at least one parameter to trace")
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.addresses = tuple(ParameterAddress(*address) for address in addresses)
        self._points: deque[tuple[int, tuple[float, ...]]] = deque(maxlen=capacity)
        self.truncated = False  # points of earlier steps were dropped to keep the capacity

    def record(self, snapshot: Snapshot) -> None:
        self.record_layers(snapshot.step, snapshot.layers)

    def record_layers(self, step: int, layers: Sequence[ParameterLayer]) -> None:
        """The values after ``step`` steps in a network's or a snapshot's layers (a trainer's
        owner records every step this way, however few of them it publishes)."""
        values = tuple(address.value_in(layers) for address in self.addresses)
        if self._points and step < self._points[-1][0]:
            self.clear()
        if self._points and step == self._points[-1][0]:
            self._points.pop()
        elif len(self._points) == self._points.maxlen:
            self.truncated = True  # the oldest point goes
        self._points.append((step, values))

    def clear(self) -> None:
        self._points.clear()
        self.truncated = False

    def __len__(self) -> int:
        return len(self._points)

    @property
    def steps(self) -> np.ndarray:
        """Step number of each recorded point (weights after that many steps), oldest first."""
        return np.array([step for step, _ in self._points], dtype=np.int64)

    @property
    def values(self) -> np.ndarray:
        """Shape (points, parameters): column k follows ``addresses[k]``."""
        return np.array([values for _, values in self._points],
                        dtype=np.float64).reshape(len(self._points), len(self.addresses))
