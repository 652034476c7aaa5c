"""What the health view and the activation panel show, computed from a Snapshot.

Health: which per-layer history column tells a layer's trouble (``saturated`` for sigmoid and
tanh, ``dead`` for ReLU), the update/weight ratio's rule of thumb, and the accuracy readout.
Activation panel: a layer's f and f′ over z, where f′ is flat (saturated) or zero (dead), the
largest f′, and each unit's z for the batch and for the followed sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import notation
from .activations import ACTIVATIONS, SATURATION_FRACTION, Activation
from .history import Series
from .snapshot import Snapshot
from .stopping import restored_step

# Karpathy's rule of thumb: a step should change the weights by about a thousandth of their
# size; far above, training is unstable, far below, it crawls.
UPDATE_RATIO_RULE = 1e-3
Z_REACH = 6.0  # the curve runs over at least −6 to 6: past it sigmoid and tanh are flat
MAX_Z_REACH = 60.0  # and at most this far, however far a diverging z lies
Z_MARGIN = 1.05  # the farthest z of the batch stands a little inside the curve's end
CURVE_POINTS = 481
# How f′ is written in the label of its largest value ("max sigma′ = 0.25").
DERIVATIVE_SYMBOLS = {"sigmoid": "\N{GREEK SMALL LETTER SIGMA}′", "tanh": "tanh′"}


def layer_condition(activation: str) -> str | None:
    """The history column (without its layer number) of the trouble this activation can
    have: "saturated" (f′ flat, sigmoid and tanh), "dead" (f′ zero, ReLU), or None."""
    definition = ACTIVATIONS[activation]
    return "saturated" if definition.saturates else "dead" if definition.dies else None


def accuracy_readout(snapshot: Snapshot) -> str:
    """"accuracy 87.5 % (last batch), validation 80.0 %", or "" for regression or before the
    first step. The batch's accuracy is that of the outputs before the last update. After
    early stopping put back an earlier step's weights, only the validation of those weights
    ("validation 84.3 % (step 151)"), if the history still holds that step exactly."""
    restored = restored_step(snapshot.stop_event)
    if restored is not None:
        value = exact_value(snapshot.history.get("val_accuracy"), restored)
        return "" if value is None else f"validation {value:.1%} (step {restored})"
    parts = []
    for name, label in (("accuracy", "accuracy {} (last batch)"),
                        ("val_accuracy", "validation {}")):
        series = snapshot.history.get(name)
        if series is None:
            continue
        measured = series.high[np.isfinite(series.high)]
        if len(measured):
            parts.append(label.format(f"{measured[-1]:.1%}"))
    return ", ".join(parts)


def exact_value(series: Series | None, step: int) -> float | None:
    """A series' value at ``step`` if it holds that step's own point (not a bucket's range);
    None otherwise."""
    if series is None:
        return None
    found = np.flatnonzero(series.steps == step)
    if not len(found) or series.low[found[-1]] != series.high[found[-1]]:
        return None
    return float(series.low[found[-1]])


@dataclass(frozen=True)
class ActivationCurve:
    """One layer's f and f′ over z, with the batch's z of each unit."""

    layer: int
    activation: str
    formula: str
    z: np.ndarray  # the curve's z, evenly spaced
    f: np.ndarray
    fprime: np.ndarray
    max_derivative: float  # the largest f′ takes, at z = 0 (sigmoid, tanh) or z > 0
    max_label: str  # "max sigma′ = 0.25", sigma as the Greek letter
    saturated_beyond: float | None  # |z| beyond this: f′ below SATURATION_FRACTION of its max
    dead_below: float | None  # z at or below this: f′ = 0 (ReLU)
    batch_z: np.ndarray | None  # (samples, units) of the batch's pass; None before forward
    batch_f: np.ndarray | None  # f(z) of the same
    batch_fprime: np.ndarray | None
    followed_row: int | None  # the batch row of the followed sample
    note: str  # what the picture shows, in a sentence or two


def activation_curve(snapshot: Snapshot, layer: int, followed_row: int | None
                     ) -> ActivationCurve | None:
    """Layer ``layer``'s activation (from 1), None for softmax (no elementwise f′)."""
    spec: Activation = snapshot.experiment.network.layers[layer - 1].activation
    definition = spec.definition
    if definition.derivative is None:
        return None
    # What f took: after batch normalisation, z̃ = γ ẑ + β rather than z.
    z_batch, f_batch = snapshot.layers[layer - 1].activation_input, snapshot.layers[layer - 1].h
    low, high = z_range(z_batch)
    z = np.linspace(low, high, CURVE_POINTS)
    with np.errstate(over="ignore"):  # sigmoid's exp(-z) at z far below 0: its limit, 0
        f = definition.forward(z, spec.slope)
        fprime = definition.derivative(z, f, spec.slope)
        batch_fprime = None if z_batch is None or f_batch is None else \
            definition.derivative(z_batch, f_batch, spec.slope)
    saturated = _saturated_beyond(spec) if definition.saturates else None
    dead = 0.0 if definition.dies else None
    row = None if z_batch is None or followed_row is None or \
        not 0 <= followed_row < z_batch.shape[0] else followed_row
    return ActivationCurve(layer=layer, activation=spec.kind, formula=definition.formula.format(
        slope=spec.slope), z=z, f=f, fprime=fprime, max_derivative=definition.max_derivative,
        max_label=f"max {DERIVATIVE_SYMBOLS.get(spec.kind, 'f′')} = "
                  f"{notation.number(definition.max_derivative)}",
        saturated_beyond=saturated, dead_below=dead, batch_z=z_batch, batch_f=f_batch,
        batch_fprime=batch_fprime,
        followed_row=row, note=_note(spec, saturated))


def z_range(z: np.ndarray | None) -> tuple[float, float]:
    """The z axis of the activation panel: symmetric about 0 (so that f′'s peak, and
    sigmoid's and tanh's two flat tails, are where they belong), at least ±Z_REACH, and
    reaching every finite z of ``z`` (the batch's) with a margin, up to ±MAX_Z_REACH."""
    reach = Z_REACH
    if z is not None:
        finite = z[np.isfinite(z)]
        if len(finite):
            reach = min(MAX_Z_REACH, max(reach, float(np.abs(finite).max()) * Z_MARGIN))
    return -reach, reach


def _saturated_beyond(spec: Activation) -> float:
    """The |z| past which f′ is below SATURATION_FRACTION of its largest value (f′ falls
    monotonically with |z| for sigmoid and tanh): found by bisection."""
    definition = spec.definition
    derivative = definition.derivative
    assert derivative is not None  # sigmoid and tanh have one
    threshold = SATURATION_FRACTION * definition.max_derivative
    low, high = 0.0, MAX_Z_REACH
    for _ in range(60):
        middle = (low + high) / 2.0
        z = np.array([middle])
        if derivative(z, definition.forward(z, spec.slope), spec.slope)[0] < threshold:
            high = middle
        else:
            low = middle
    return high


def _note(spec: Activation, saturated: float | None) -> str:
    definition = spec.definition
    largest = notation.number(definition.max_derivative)
    if saturated is not None:
        edge = notation.number(saturated, 3)
        return (f"f′ is at most {largest}, at z = 0: every {spec.kind} layer passes back at "
                f"most {largest} of the error it receives. Beyond |z| = {edge} (shaded) f′ is "
                f"below {SATURATION_FRACTION:.0%} of that: the unit is saturated and learns "
                f"almost nothing.")
    if definition.dies:
        return ("f′ is 1 for z > 0 and 0 for z ≤ 0 (shaded): a unit whose z is at or below 0 "
                "for every sample passes back no error at all, and never learns again: it is "
                "dead.")
    if spec.kind == "leaky_relu":
        return (f"f′ is 1 for z > 0 and {notation.number(spec.slope)} for z ≤ 0: a unit below "
                f"0 still passes back a little error, so it cannot die.")
    return f"f′ is {largest} everywhere: the error passes back unchanged."

