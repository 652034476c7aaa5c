"""Weight initialisation: Glorot/Xavier and He, uniform, normal, zeros and constants.

For a layer with fan_in inputs and fan_out units (Glorot & Bengio 2010; He et al. 2015):

- xavier_uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out))
- xavier_normal: N(0, std^2), std = sqrt(2 / (fan_in + fan_out))
- he_uniform: U(-l, l), l = sqrt(6 / fan_in)
- he_normal: N(0, std^2), std = sqrt(2 / fan_in)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

KINDS = ("xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "uniform", "normal",
         "zeros", "constant")


@dataclass(frozen=True)
class InitSpec:
    """How to draw a layer's weights; ``bias`` is a constant or "same" (drawn like the weights)."""

    kind: str = "xavier_uniform"
    low: float = -0.5  # uniform
    high: float = 0.5  # uniform
    std: float = 0.1  # normal
    value: float = 0.0  # constant
    bias: float | str = 0.0

    def draw(self, shape: tuple[int, ...], fan_in: int, fan_out: int,
             rng: np.random.Generator) -> np.ndarray:
        """An array of the given shape drawn from this distribution."""
        kind = self.kind
        if kind == "xavier_uniform":
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            return rng.uniform(-limit, limit, shape)
        if kind == "xavier_normal":
            return rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), shape)
        if kind == "he_uniform":
            limit = math.sqrt(6.0 / fan_in)
            return rng.uniform(-limit, limit, shape)
        if kind == "he_normal":
            return rng.normal(0.0, math.sqrt(2.0 / fan_in), shape)
        if kind == "uniform":
            return rng.uniform(self.low, self.high, shape)
        if kind == "normal":
            return rng.normal(0.0, self.std, shape)
        if kind == "zeros":
            return np.zeros(shape)
        if kind == "constant":
            return np.full(shape, float(self.value))
        raise ValueError(f"unknown initialisation {kind!r}")

    def draw_layer(self, units: int, fan_in: int,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Weights of shape (units, fan_in) and biases of shape (units,), weights drawn first."""
        weights = self.draw((units, fan_in), fan_in, units, rng)
        if self.bias == "same":
            biases = self.draw((units,), fan_in, units, rng)
        else:
            biases = np.full(units, float(self.bias))
        return weights, biases
