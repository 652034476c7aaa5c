"""The network's output over the input plane, for problems with two inputs.

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


def input_ranges(dataset: Dataset, margin: float = DEFAULT_MARGIN
                 ) -> tuple[tuple[float, float], ...]:
    """(low, high) in raw units of every input, covering training and validation points,
    widened by ``margin`` times the data's range on each side (EMPTY_PAD raw units where all
    points share one value)."""
    _check_margin(margin)
    raw = dataset.to_raw(np.concatenate([dataset.x_train, dataset.x_val]))
    low, high = raw.min(axis=0), raw.max(axis=0)
    pad = np.where(high > low, margin * (high - low), EMPTY_PAD)
    return tuple((float(lo - p), float(hi + p)) for lo, hi, p in zip(low, high, pad,
                                                                      strict=True))


def plane_extent(dataset: Dataset, margin: float = DEFAULT_MARGIN
                 ) -> tuple[tuple[float, float], tuple[float, float]]:
    """((x_low, x_high), (y_low, y_high)) in raw units covering training and validation points,
    widened by ``margin`` times the data's range on each side."""
    ranges = input_ranges(dataset, margin)
    return ranges[0], ranges[1]


def chunk_rows(network: Network) -> int:
    """Grid points per forward pass: each layer's product stays on one BLAS thread (see
    landscape.ONE_THREAD_PRODUCT), and the memory of 512 x 512 grids is bounded."""
    widest = max(layer.units * layer.fan_in for layer in network.layers)
    return max(MIN_CHUNK_ROWS, ONE_THREAD_PRODUCT // widest)


def decision_grid(network: Network, dataset: Dataset, points: int = DEFAULT_POINTS,
                  margin: float = DEFAULT_MARGIN) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, outputs): the network's outputs on a points x points grid over the data.

    xs and ys (each of length ``points``) run evenly across ``plane_extent(dataset, margin)``
    in raw input units. ``outputs[r, c, :]`` is the output for the raw input (xs[c], ys[r]):
    rows follow y, like an image with y upwards (pyqtgraph ``ImageItem(axisOrder="row-major")``
    with its rectangle set to the extent). The network is only read.
    """
    if network.inputs != 2 or dataset.inputs != 2:
        raise ValueError(f"the decision boundary needs 2 inputs; this network has "
                         f"{network.inputs} and the data {dataset.inputs}")
    check_points(points)
    (x_low, x_high), (y_low, y_high) = plane_extent(dataset, margin)
    xs, ys = np.linspace(x_low, x_high, points), np.linspace(y_low, y_high, points)
    raw = np.column_stack([np.tile(xs, points), np.repeat(ys, points)])  # row r * P + c
    inputs = dataset.to_network(raw)
    rows = chunk_rows(network)
    with np.errstate(over="ignore", under="ignore"):  # sigmoid's exp overflows towards 0: fine
        outputs = np.concatenate([network.predict(inputs[start:start + rows])
                                  for start in range(0, inputs.shape[0], rows)])
    return xs, ys, outputs.reshape(points, points, -1)


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
