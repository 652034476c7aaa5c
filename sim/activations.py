"""Activation functions a = f(z) and their derivatives f'(z).

Each activation is elementwise except softmax, whose Jacobian is not diagonal; softmax is only
allowed on the output layer together with cross-entropy, where the loss supplies
dE/dz = (y - t)/n directly (see `sim.losses`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ELEMENTWISE = ("sigmoid", "tanh", "relu", "leaky_relu", "linear")
KINDS = ELEMENTWISE + ("softmax",)

# A unit counts as saturated when f'(z) is below this fraction of the largest value f' can take:
# it then passes back less than 1/20 of the error it would at its steepest point.
SATURATION_FRACTION = 0.05


@dataclass(frozen=True)
class Activation:
    """One activation function, with its derivative written in terms of z and h = f(z)."""

    kind: str
    slope: float = 0.01  # leaky_relu: f(z) = slope * z for z <= 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown activation {self.kind!r}")

    @property
    def elementwise(self) -> bool:
        return self.kind != "softmax"

    @property
    def saturates(self) -> bool:
        """Sigmoid and tanh flatten out for large |z|, which is what makes gradients vanish."""
        return self.kind in ("sigmoid", "tanh")

    @property
    def max_derivative(self) -> float:
        return {"sigmoid": 0.25, "tanh": 1.0}.get(self.kind, 1.0)

    def forward(self, z: np.ndarray) -> np.ndarray:
        """h = f(z) for a batch z of shape (samples, units); for linear, z itself (never mutated)."""
        if self.kind == "leaky_relu":
            return np.where(z > 0.0, z, self.slope * z)
        return _FORWARD[self.kind](z)

    def derivative(self, z: np.ndarray, h: np.ndarray) -> np.ndarray:
        """f'(z), elementwise; h must be f(z). ReLU's derivative at exactly 0 is taken as 0."""
        if self.kind == "leaky_relu":
            return np.where(z > 0.0, 1.0, self.slope)
        if self.kind == "softmax":
            raise ValueError("softmax has no elementwise derivative; it is fused with "
                             "cross_entropy")
        return _DERIVATIVE[self.kind](z, h)

    def formula(self) -> str:
        """How a student would write f and f' for this activation."""
        return {
            "sigmoid": "f(z) = 1/(1 + e^-z),  f'(z) = a (1 - a)",
            "tanh": "f(z) = tanh z,  f'(z) = 1 - a^2",
            "relu": "f(z) = max(0, z),  f'(z) = 1 if z > 0 else 0",
            "leaky_relu": f"f(z) = z if z > 0 else {self.slope:g} z,  f'(z) = 1 or {self.slope:g}",
            "linear": "f(z) = z,  f'(z) = 1",
            "softmax": "f(z)_j = e^z_j / sum_k e^z_k",
        }[self.kind]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # For z < -709, exp(-z) overflows to inf (numpy warns) and 1/(1 + inf) = 0 is the limit.
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))  # shifted so that exp cannot overflow
    return e / e.sum(axis=1, keepdims=True)


def _identity(z: np.ndarray) -> np.ndarray:
    return z


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


_FORWARD = {"sigmoid": _sigmoid, "tanh": np.tanh, "relu": _relu, "linear": _identity,
            "softmax": _softmax}
_DERIVATIVE = {
    "sigmoid": lambda z, h: h * (1.0 - h),
    "tanh": lambda z, h: 1.0 - h * h,
    "relu": lambda z, h: (z > 0.0).astype(np.float64),
    "linear": lambda z, h: np.ones_like(z),
}
