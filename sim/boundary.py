"""The network's output over the input plane: of two-input problems, and slices of larger ones.

The plane is laid out in raw input units, as the user sees the data; every grid point passes
through the dataset's standardisation (if any) on its way into the network, exactly as the
training samples did. All grid points go through one forward pass (in chunks), without
dropout. What an output means follows from the output layer: a sigmoid gives P(class 1), a
softmax the class probabilities, tanh a value from -1 to 1, any other activation the raw value.
``boundary_colours`` turns outputs into the heat map's colours, and targets into the points'.
"""

from __future__ import annotations

import math

import numpy as np

from .data import Dataset
from .landscape import ONE_THREAD_PRODUCT, check_points
from .network import Network
from .palette import BINS, DIVERGING, NAN_COLOUR, activation_colours, scale_for

DEFAULT_POINTS = 100
DEFAULT_MARGIN = 0.1  # fraction of the data's range added on each side
MAX_MARGIN = 10.0
MIN_CHUNK_ROWS = 256  # grid points per forward pass at least, however wide the layers
EMPTY_PAD = 1.0  # raw units either side when all points share one coordinate

# Class colours for softmax outputs: classes 0 and 1 take the ends of the diverging map (as a
# single sigmoid output does), the rest Okabe & Ito's colour-blind-safe set.
CLASS_COLOURS = np.array([DIVERGING[0], DIVERGING[-1], (0, 158, 115), (204, 121, 167),
                          (240, 228, 66), (86, 180, 233), (213, 94, 0), (0, 0, 0)],
                         dtype=np.float64)
UNDECIDED = DIVERGING[BINS // 2].astype(np.float64)  # the map's neutral grey: p = 1/2 or 1/k


Pair = tuple[int, int]


def _raw_points(dataset: Dataset) -> np.ndarray:
    """Every sample's raw inputs: training, validation and test."""
    return dataset.to_raw(np.concatenate([dataset.x_train, dataset.x_val, dataset.x_test]))


def input_ranges(dataset: Dataset, margin: float = DEFAULT_MARGIN
                 ) -> tuple[tuple[float, float], ...]:
    """(low, high) in raw units of every input, covering every sample (training, validation
    and test), widened by ``margin`` times the data's range on each side (EMPTY_PAD raw units
    where all points share one value)."""
    _check_margin(margin)
    raw = _raw_points(dataset)
    return tuple(_range(raw[:, i], margin) for i in range(raw.shape[1]))


def plane_extent(dataset: Dataset, margin: float = DEFAULT_MARGIN, inputs: Pair = (0, 1)
                 ) -> tuple[tuple[float, float], tuple[float, float]]:
    """((x_low, x_high), (y_low, y_high)) in raw units of the inputs numbered ``inputs`` (from
    0), covering every sample, widened by ``margin`` times the data's range on each side."""
    ranges = input_ranges(dataset, margin)
    first, second = _checked(dataset, inputs)
    return ranges[first], ranges[second]


def line_extent(dataset: Dataset, margin: float = DEFAULT_MARGIN) -> tuple[float, float]:
    """(low, high) in raw units of a one-input problem's input, covering every sample, widened
    by ``margin`` times the data's range on each side, and reaching to 0 when the data lies
    within its own range of 0 (a line through the origin, z = w·x, shows where it passes)."""
    _check_margin(margin)
    raw = _raw_points(dataset)[:, 0]
    low, high = _range(raw, margin)
    spread = float(raw.max() - raw.min()) if len(raw) else 0.0
    if 0.0 < low <= max(spread, EMPTY_PAD):
        low = 0.0
    elif -max(spread, EMPTY_PAD) <= high < 0.0:
        high = 0.0
    return low, high


def view_ranges(dataset: Dataset) -> tuple[tuple[float, float], ...]:
    """(low, high) in raw units of every input as the pictures of the data show it: one
    input's ``line_extent`` (the data view's curve and every unit's neuron-map curve), more
    inputs' ``input_ranges`` (the decision boundary and the neuron maps over the plane)."""
    return (line_extent(dataset),) if dataset.inputs == 1 else input_ranges(dataset)


def _range(values: np.ndarray, margin: float) -> tuple[float, float]:
    low, high = float(values.min()), float(values.max())
    pad = margin * (high - low) if high > low else EMPTY_PAD
    return low - pad, high + pad


def _checked(dataset: Dataset, inputs: Pair) -> Pair:
    first, second = inputs
    if not (0 <= first < dataset.inputs and 0 <= second < dataset.inputs and first != second):
        raise ValueError(f"a plane needs two different inputs from 0 to {dataset.inputs - 1}, "
                         f"got {first} and {second}")
    return inputs


def chunk_rows(network: Network) -> int:
    """Grid points per forward pass: each layer's product stays on one BLAS thread (see
    landscape.ONE_THREAD_PRODUCT), and the memory of 512 x 512 grids is bounded."""
    widest = max(layer.units * layer.fan_in for layer in network.layers)
    return max(MIN_CHUNK_ROWS, ONE_THREAD_PRODUCT // widest)


def decision_grid(network: Network, dataset: Dataset, points: int = DEFAULT_POINTS,
                  margin: float = DEFAULT_MARGIN, inputs: Pair = (0, 1)
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, outputs): the network's outputs on a points x points grid over the data.

    xs and ys (each of length ``points``) run evenly across ``plane_extent(dataset, margin,
    inputs)`` in raw units of the two inputs numbered ``inputs``; any other input is held at
    its raw training mean (a slice through the input space). ``outputs[r, c, :]`` is the
    output for (xs[c], ys[r]): rows follow y, like an image with y upwards (pyqtgraph
    ``ImageItem(axisOrder="row-major")`` with its rectangle set to the extent). The network is
    only read.
    """
    if network.inputs != dataset.inputs or dataset.inputs < 2:
        raise ValueError(f"a decision plane needs at least 2 inputs, the same in the network "
                         f"and the data; this network has {network.inputs} and the data "
                         f"{dataset.inputs}")
    check_points(points)
    (x_low, x_high), (y_low, y_high) = plane_extent(dataset, margin, inputs)
    xs, ys = np.linspace(x_low, x_high, points), np.linspace(y_low, y_high, points)
    raw = np.tile(training_means(dataset), (points * points, 1))
    raw[:, inputs[0]] = np.tile(xs, points)  # row r * P + c
    raw[:, inputs[1]] = np.repeat(ys, points)
    outputs = outputs_at(network, dataset.to_network(raw))
    return xs, ys, outputs.reshape(points, points, -1)


def training_means(dataset: Dataset) -> np.ndarray:
    """Each input's mean over the training set, in raw units."""
    return dataset.to_raw(dataset.x_train).mean(axis=0)


def outputs_at(network: Network, inputs: np.ndarray) -> np.ndarray:
    """The network's outputs (evaluation mode) for many network inputs, one row each."""
    rows = chunk_rows(network)
    with np.errstate(over="ignore", under="ignore"):  # sigmoid's exp overflows towards 0: fine
        return np.concatenate([network.predict(inputs[start:start + rows])
                               for start in range(0, inputs.shape[0], rows)])


def class_colours(outputs: np.ndarray, activation: str) -> np.ndarray:
    """RGB colours (uint8) of the class each output decides for, without shades: softmax the
    most probable class, sigmoid above or below 1/2, any other activation above or below 0
    (orange below, blue above). NaN or infinite outputs get the not-a-number colour."""
    outputs = np.asarray(outputs, dtype=np.float64)
    finite = np.isfinite(outputs).all(axis=-1)
    if activation == "softmax" and outputs.shape[-1] >= 2:
        winner = np.where(finite, np.nan_to_num(outputs).argmax(axis=-1), 0)
        colours = CLASS_COLOURS[winner % len(CLASS_COLOURS)].astype(np.uint8)
    else:
        threshold = 0.5 if activation == "sigmoid" else 0.0
        above = outputs[..., 0] > threshold
        colours = np.where(above[..., None], DIVERGING[-1], DIVERGING[0]).astype(np.uint8)
    colours[~finite] = NAN_COLOUR
    return colours


def boundary_colours(outputs: np.ndarray, activation: str,
                     high: float | None = None) -> np.ndarray:
    """RGB colours (uint8, shape outputs.shape[:-1] + (3,)) for outputs of shape (..., k).

    Softmax (k >= 2): the most probable class's colour, faded to grey as its probability falls
    to 1/k. One output on the diverging map: sigmoid from orange (0, class 0) through grey
    (1/2) to blue (1, class 1); tanh from -1 to 1; any other activation from -high to high
    (None: the largest |output|, rounded up). NaN or infinite outputs get the not-a-number
    colour. For the data points pass the targets: a target is a fully confident output (give
    a regression the heat map's ``high`` so both share one scale).
    """
    outputs = np.asarray(outputs, dtype=np.float64)
    k = outputs.shape[-1] if outputs.ndim else 0
    if activation == "softmax" and k >= 2:
        return _class_colours(outputs)
    if k != 1:
        raise ValueError(f"colours need one output or softmax classes; got {k} {activation} "
                         f"outputs (pass outputs[..., [j]] to colour output j)")
    values = outputs[..., 0]
    if activation == "sigmoid":
        return activation_colours(2.0 * values - 1.0, 1.0)
    if activation == "tanh":
        return activation_colours(values, 1.0)
    if high is None:
        high = scale_for("weight", [values]).high
    elif not (math.isfinite(high) and high > 0.0):
        raise ValueError(f"high must be a positive finite number, got {high!r}")
    return activation_colours(values, high)


def _class_colours(probabilities: np.ndarray) -> np.ndarray:
    k = probabilities.shape[-1]
    winner = probabilities.argmax(axis=-1)
    confidence = (probabilities.max(axis=-1) - 1.0 / k) / (1.0 - 1.0 / k)
    strength = np.where(np.isfinite(confidence), np.clip(confidence, 0.0, 1.0), 0.0)[..., None]
    target = CLASS_COLOURS[winner % len(CLASS_COLOURS)]
    colours = np.rint(UNDECIDED + strength * (target - UNDECIDED)).astype(np.uint8)
    colours[~np.isfinite(probabilities).all(axis=-1)] = NAN_COLOUR
    return colours


def _check_margin(margin: float) -> None:
    number = isinstance(margin, (int, float, np.floating)) and not isinstance(margin, bool)
    if not (number and math.isfinite(margin) and 0.0 <= margin <= MAX_MARGIN):
        raise ValueError(f"margin must be a number from 0 to {MAX_MARGIN:g}, got {margin!r}")
