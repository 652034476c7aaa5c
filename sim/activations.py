"""Activation functions a = f(z) and their derivatives f'(z), one record per kind.

Each activation is elementwise except softmax, whose Jacobian is not diagonal; softmax is only
allowed on the output layer together with cross-entropy, where the loss supplies
dE/dz = (y - t)/n directly (see `sim.losses`).

Adding an activation is one `ActivationKind` in `ACTIVATIONS` (and its tests): the engine, the
file format, the captions and the saturation counts all read it from there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .schema import ExperimentError, Section, describe, read_choice

# A unit counts as saturated when f'(z) is below this fraction of the largest value f' can take:
# it then passes back less than 1/20 of the error it would at its steepest point.
SATURATION_FRACTION = 0.05
DEFAULT_SLOPE = 0.01  # leaky_relu's slope for z <= 0 when the file gives none


@dataclass(frozen=True)
class ActivationKind:
    """Everything the program knows about one kind of activation function.

    ``forward(z, slope)`` and ``derivative(z, h, slope)`` work on a batch of shape
    (samples, units), h being forward(z); ``slope`` is only read by leaky_relu. ``formula``
    and ``derivative_text`` are templates: ``{slope}`` in the first, ``{a}`` and ``{z}`` in the
    second stand for the numbers or names of one unit. A caption multiplies by
    ``derivative_text`` ("... × (1 − a²)"), so a sum or difference in it is bracketed.
    """

    name: str
    forward: Callable[[np.ndarray, float], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray, float], np.ndarray] | None  # None: softmax
    formula: str
    derivative_text: str | None  # None when there is no elementwise derivative
    max_derivative: float = 1.0  # the largest value f' takes
    saturates: bool = False  # f' flattens out for large |z|, which makes gradients vanish
    kink: bool = False  # f' jumps at z = 0, where f has no derivative (finite differences)
    dies: bool = False  # f' is 0 for every z <= 0: a unit below 0 on every sample learns nothing


# Module-level functions, not lambdas: a record (and a spec holding one) can then be pickled.

def _sigmoid(z: np.ndarray, slope: float) -> np.ndarray:
    # For z < -709, exp(-z) overflows to inf (numpy warns) and 1/(1 + inf) = 0 is the limit.
    return 1.0 / (1.0 + np.exp(-z))


def _sigmoid_derivative(z: np.ndarray, h: np.ndarray, slope: float) -> np.ndarray:
    return h * (1.0 - h)


def _tanh(z: np.ndarray, slope: float) -> np.ndarray:
    return np.tanh(z)


def _tanh_derivative(z: np.ndarray, h: np.ndarray, slope: float) -> np.ndarray:
    return 1.0 - h * h


def _relu(z: np.ndarray, slope: float) -> np.ndarray:
    return np.maximum(z, 0.0)


def _relu_derivative(z: np.ndarray, h: np.ndarray, slope: float) -> np.ndarray:
    return (z > 0.0).astype(np.float64)  # f'(0) is taken as 0


def _leaky_relu(z: np.ndarray, slope: float) -> np.ndarray:
    return np.where(z > 0.0, z, slope * z)


def _leaky_relu_derivative(z: np.ndarray, h: np.ndarray, slope: float) -> np.ndarray:
    return np.where(z > 0.0, 1.0, slope)


def _linear(z: np.ndarray, slope: float) -> np.ndarray:
    return z  # z itself, never mutated


def _linear_derivative(z: np.ndarray, h: np.ndarray, slope: float) -> np.ndarray:
    return np.ones_like(z)


def _softmax(z: np.ndarray, slope: float) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))  # shifted so that exp cannot overflow
    return e / e.sum(axis=1, keepdims=True)


ACTIVATIONS: dict[str, ActivationKind] = {kind.name: kind for kind in (
    ActivationKind("sigmoid", _sigmoid, _sigmoid_derivative,
                   "f(z) = 1/(1 + e^-z),  f'(z) = a (1 - a)", "{a}(1 − {a})",
                   max_derivative=0.25, saturates=True),
    ActivationKind("tanh", _tanh, _tanh_derivative, "f(z) = tanh z,  f'(z) = 1 - a^2",
                   "(1 − {a}²)", saturates=True),
    ActivationKind("relu", _relu, _relu_derivative,
                   "f(z) = max(0, z),  f'(z) = 1 if z > 0 else 0", "[{z} > 0]",
                   kink=True, dies=True),
    ActivationKind("leaky_relu", _leaky_relu, _leaky_relu_derivative,
                   "f(z) = z if z > 0 else {slope:g} z,  f'(z) = 1 or {slope:g}",
                   "(1 if {z} > 0 else slope)", kink=True),
    ActivationKind("linear", _linear, _linear_derivative, "f(z) = z,  f'(z) = 1", "1"),
    ActivationKind("softmax", _softmax, None, "f(z)_j = e^z_j / sum_k e^z_k", None),
)}
KINDS = tuple(ACTIVATIONS)


@dataclass(frozen=True)
class Activation:
    """One activation function of a layer: its kind and, for leaky_relu, its slope."""

    kind: str
    slope: float = DEFAULT_SLOPE  # leaky_relu: f(z) = slope * z for z <= 0

    def __post_init__(self) -> None:
        if self.kind not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.kind!r}")
        # Looked up once, not in every training step; not a field, so not compared or written.
        object.__setattr__(self, "definition", ACTIVATIONS[self.kind])

    definition: ClassVar[ActivationKind]  # this activation's kind (set for each instance)

    @property
    def saturates(self) -> bool:
        """Whether f flattens out for large |z| (sigmoid, tanh), which makes gradients vanish."""
        return self.definition.saturates

    @property
    def max_derivative(self) -> float:
        return self.definition.max_derivative

    def forward(self, z: np.ndarray) -> np.ndarray:
        """h = f(z) for a batch z of shape (samples, units); linear gives z itself (unchanged)."""
        return self.definition.forward(z, self.slope)

    def derivative(self, z: np.ndarray, h: np.ndarray) -> np.ndarray:
        """f'(z), elementwise; h must be f(z). ReLU's derivative at exactly 0 is taken as 0."""
        if self.definition.derivative is None:
            raise ValueError(f"{self.kind} has no elementwise derivative; it is fused with "
                             "cross_entropy")
        return self.definition.derivative(z, h, self.slope)

    def formula(self) -> str:
        """How a student would write f and f' for this activation."""
        return self.definition.formula.format(slope=self.slope)

    @classmethod
    def from_json(cls, value: Any, path: str) -> Activation:
        """A name such as "sigmoid", or an object such as {"kind": "leaky_relu", "slope": 0.1}."""
        if isinstance(value, str):
            return cls(read_choice(value, path, KINDS))
        if not isinstance(value, dict):
            raise ExperimentError(path, 'must be a name such as "sigmoid" or an object such '
                                        'as {"kind": "leaky_relu", "slope": 0.1}, '
                                        f"got {describe(value)}")
        s = Section(value, path, ("kind", "slope"))
        kind = s.choice("kind", KINDS)
        if s.has("slope") and kind != "leaky_relu":
            raise ExperimentError(s.at("slope"), f'is only used by "leaky_relu", not "{kind}"')
        return cls(kind, s.number("slope", DEFAULT_SLOPE, minimum=0.0, maximum=1.0))

    def to_json(self) -> Any:
        """The name, or for leaky_relu an object that also gives the slope."""
        if self.kind == "leaky_relu":
            return {"kind": "leaky_relu", "slope": self.slope}
        return self.kind

