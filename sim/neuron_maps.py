"""Neuron maps: what every hidden and output unit computes over the whole input range.

For a network with two inputs, each unit's activation a⁽ˡ⁾ⱼ on a G x G grid over the input
plane (TensorFlow Playground's thumbnails); for one input, each unit's curve of G points over
the input's range. The range is the data view's (`sim.boundary.view_ranges`: the data's raw
range with a margin, for one input reaching 0 as the data view's curve does), every grid
point passes through the dataset's standardisation as the training samples did, and all of
them go through one batched forward pass in evaluation mode (no dropout) on the current
weights. The network is only read.

The value of a unit is the one the canvas shows on its node: a⁽ˡ⁾ⱼ, which is f(z⁽ˡ⁾ⱼ), plus the
unit below for a residual layer. Colours use the decision boundary's map and range: sigmoid and
softmax units from 0 (orange) to 1 (blue), tanh from -1 to 1, any other activation (and a
residual layer) symmetric about 0 up to the layer's largest |value|, rounded up (for the output
layer, the targets' too, as the boundary's regression scale).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .address import is_whole
from .boundary import boundary_colours, chunk_rows, view_ranges
from .data import Dataset
from .landscape import MAX_POINTS, MIN_POINTS
from .network import Network
from .palette import activation_colours, scale_for

DEFAULT_GRID = {2: 48, 1: 120}  # grid points per input, by the number of inputs
MAX_VALUES = 1 << 25  # units x grid points at most (256 MB of float64)
UNIT_INTERVAL = ("sigmoid", "softmax")  # activations whose values run from 0 to 1
SIGNED_INTERVAL = ("tanh",)  # from -1 to 1


@dataclass(frozen=True)
class NeuronMaps:
    """Every hidden and output unit's activation over the input range.

    ``layers[l - 1][u]`` is unit u of layer l: for two inputs a (G, G) array whose row r is at
    the second input ``y[r]`` and column c at the first input ``x[c]`` (an image with y
    upwards); for one input a (G,) curve at ``x``. ``ranges[l - 1]`` is (low, high), the values
    at the two ends of layer l's colour map (its middle is the neutral grey).
    """

    x: np.ndarray  # the first input's raw values, G of them, increasing
    y: np.ndarray | None  # the second input's (two inputs), else None
    layers: tuple[np.ndarray, ...]  # per layer: (units, G, G) or (units, G)
    ranges: tuple[tuple[float, float], ...]
    activations: tuple[str, ...]  # each layer's activation, as named in the file
    input_names: tuple[str, ...]
    train: np.ndarray  # (n, inputs) raw training inputs, for drawing the data over a map
    train_targets: np.ndarray  # (n, outputs)
    input_mean: np.ndarray  # the data's standardisation: network input = (raw - mean) / scale
    input_scale: np.ndarray

    @property
    def inputs(self) -> int:
        return 1 if self.y is None else 2

    @property
    def grid(self) -> int:
        return len(self.x)

    def unit(self, layer: int, unit: int) -> np.ndarray:
        """Unit ``unit`` (from 0) of layer ``layer`` (from 1): its map or its curve."""
        return self.layers[layer - 1][unit]

    def colours(self, layer: int, values: np.ndarray | None = None,
                scheme: str = "orange-blue") -> np.ndarray:
        """RGB (uint8, values.shape + (3,)) of values of layer ``layer`` on its colour map
        (default: the whole layer's maps); NaN and infinities get the not-a-number colour."""
        low, high = self.ranges[layer - 1]
        shown = self.layers[layer - 1] if values is None else np.asarray(values, dtype=float)
        with np.errstate(over="ignore", invalid="ignore"):  # inf and NaN: their own colour
            centred = (2.0 * shown - (low + high)) / (high - low)
        return activation_colours(centred, 1.0, scheme)

    def point_colours(self, scheme: str = "orange-blue") -> np.ndarray:
        """RGB (uint8, (n, 3)) of the training points, coloured by their targets as the
        output layer's map colours its values (softmax: the boundary's class colours)."""
        targets = self.train_targets
        if self.activations[-1] == "softmax" and targets.shape[1] >= 2:
            return boundary_colours(targets, "softmax")
        return self.colours(len(self.layers), targets[:, 0], scheme)

    def grid_position(self, network_inputs: np.ndarray) -> np.ndarray:
        """Where an input as the network receives it (a row of a batch) lies on the maps: per
        input, 0 at the grid's first point and 1 at its last (outside 0..1: off the map)."""
        inputs = np.asarray(network_inputs, dtype=float)
        if inputs.shape != (self.inputs,):
            raise ValueError(f"the maps are over {self.inputs} inputs; got an input of shape "
                             f"{inputs.shape}")
        raw = inputs * self.input_scale + self.input_mean
        axes = [self.x] if self.y is None else [self.x, self.y]
        return np.array([(value - axis[0]) / (axis[-1] - axis[0])
                         for value, axis in zip(raw, axes, strict=True)])

    def to_json(self) -> dict[str, Any]:
        """The command line's object (``python -m sim views --neurons --json``): NaN and
        infinities as null."""
        result: dict[str, Any] = {"inputs": self.inputs, "x": [float(self.x[0]),
                                                                float(self.x[-1])]}
        if self.y is not None:
            result["y"] = [float(self.y[0]), float(self.y[-1])]
        result["grid"] = self.grid
        result["layers"] = [_json_numbers(values) for values in self.layers]
        return result


def neuron_maps(network: Network, dataset: Dataset, grid: int | None = None) -> NeuronMaps:
    """Every unit's activation over the input range on a ``grid``-point grid per input
    (default DEFAULT_GRID); ValueError for a network without one or two inputs, or a grid
    outside 2..512 (or too large for the network's units)."""
    inputs = network.inputs
    if inputs not in DEFAULT_GRID or dataset.inputs != inputs:
        raise ValueError(f"neuron maps need one or two inputs; this network has {inputs}")
    points = DEFAULT_GRID[inputs] if grid is None else grid
    try:
        check_grid(points, inputs, sum(layer.units for layer in network.layers))
    except ValueError as problem:
        raise ValueError(f"the grid {problem}") from None
    axes = [np.linspace(low, high, points) for low, high in view_ranges(dataset)]
    if inputs == 2:  # row r * G + c is (x[c], y[r])
        raw = np.column_stack([np.tile(axes[0], points), np.repeat(axes[1], points)])
    else:
        raw = axes[0][:, None]
    per_layer = _activations(network, dataset.to_network(raw))
    shape = (points, points) if inputs == 2 else (points,)
    layers = tuple(np.ascontiguousarray(a.T).reshape(a.shape[1], *shape) for a in per_layer)
    ranges = tuple(_colour_range(layer.activation.kind, layer.residual, values,
                                 dataset.t_train if layer.number == network.depth else None)
                   for layer, values in zip(network.layers, layers, strict=True))
    return NeuronMaps(
        x=axes[0], y=axes[1] if inputs == 2 else None, layers=layers, ranges=ranges,
        activations=tuple(layer.activation.kind for layer in network.layers),
        input_names=dataset.input_names, train=dataset.to_raw(dataset.x_train),
        train_targets=dataset.t_train, input_mean=dataset.input_mean,
        input_scale=dataset.input_scale)


def check_grid(points: int, inputs: int, units: int) -> None:
    """ValueError (saying what the grid "must be") unless ``points`` per input is a grid the
    maps of ``units`` units can take."""
    if not (is_whole(points) and MIN_POINTS <= points <= MAX_POINTS):
        raise ValueError(f"must be a whole number from {MIN_POINTS} to {MAX_POINTS}, got "
                         f"{points!r}")
    if units * points ** inputs > MAX_VALUES:
        largest = math.floor((MAX_VALUES / units) ** (1.0 / inputs))
        raise ValueError(f"must be at most {largest} for {units} units, got {points}")


def _activations(network: Network, inputs: np.ndarray) -> list[np.ndarray]:
    """a of every layer (1..L) for the rows of ``inputs``: one forward pass without dropout,
    in chunks (see boundary.chunk_rows)."""
    rows = chunk_rows(network)
    with np.errstate(over="ignore", under="ignore"):  # sigmoid's exp overflows towards 0: fine
        passes = [network.forward(inputs[start:start + rows])
                  for start in range(0, inputs.shape[0], rows)]
    return [np.concatenate([p.computed("a", number) for p in passes])
            for number in range(1, network.depth + 1)]


def _colour_range(activation: str, residual: bool, values: np.ndarray,
                  targets: np.ndarray | None) -> tuple[float, float]:
    """The values at the two ends of a layer's colour map (see the module)."""
    if not residual and activation in UNIT_INTERVAL:
        return 0.0, 1.0
    if not residual and activation in SIGNED_INTERVAL:
        return -1.0, 1.0
    shown = [values] if targets is None else [values, targets]
    high = scale_for("weight", shown).high
    return -high, high


def _json_numbers(values: np.ndarray) -> list[Any]:
    """Nested lists of floats, None where a value is not finite (JSON has no NaN)."""
    as_objects = values.astype(object)
    as_objects[~np.isfinite(values)] = None
    listed: list[Any] = as_objects.tolist()
    return listed
