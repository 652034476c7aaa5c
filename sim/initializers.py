"""Weight initialisation: Glorot/Xavier and He, uniform, normal, zeros and constants.

For a layer with fan_in inputs and fan_out units (Glorot & Bengio 2010; He et al. 2015):

- xavier_uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out))
- xavier_normal: N(0, std^2), std = sqrt(2 / (fan_in + fan_out))
- he_uniform: U(-l, l), l = sqrt(6 / fan_in)
- he_normal: N(0, std^2), std = sqrt(2 / fan_in)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from .schema import ExperimentError, Section, describe, read_number

KINDS = ("xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "uniform", "normal",
         "zeros", "constant")
OPTIONS = {"uniform": ("low", "high"), "normal": ("std",), "constant": ("value",)}  # by kind


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

    @classmethod
    def from_json(cls, value: Any, path: str) -> InitSpec:
        """Read an ``init`` object; a key that the kind does not use is refused."""
        s = Section(value, path, KEYS)
        kind = s.choice("kind", KINDS, "xavier_uniform")
        chosen: dict[str, Any] = {"kind": kind}
        if kind == "uniform":
            chosen["low"] = s.number("low", -0.5, minimum=-1e6, maximum=1e6)
            chosen["high"] = s.number("high", 0.5, minimum=-1e6, maximum=1e6)
            if chosen["high"] < chosen["low"]:
                raise ExperimentError(s.at("high"), f"must not be below low "
                                                    f"({chosen['low']:g})")
        if kind == "normal":
            chosen["std"] = s.number("std", 0.1, minimum=0.0, maximum=1e6)
        if kind == "constant":
            chosen["value"] = s.number("value", 0.0, minimum=-1e6, maximum=1e6)
        for key in ("low", "high", "std", "value"):
            if s.has(key) and key not in chosen:
                raise ExperimentError(s.at(key), f'is not used by init kind "{kind}"')
        bias = s.raw("bias", 0.0)
        if isinstance(bias, str) and bias != "same":
            raise ExperimentError(s.at("bias"), f'must be a number or "same", got '
                                                f'{describe(bias)}')
        chosen["bias"] = bias if bias == "same" else read_number(bias, s.at("bias"),
                                                                 minimum=-1e6, maximum=1e6)
        return cls(**chosen)

    def to_json(self) -> dict[str, Any]:
        """The kind, the options it uses, and the bias."""
        out: dict[str, Any] = {"kind": self.kind}
        out.update({key: getattr(self, key) for key in OPTIONS.get(self.kind, ())})
        out["bias"] = self.bias
        return out


KEYS = tuple(field.name for field in fields(InitSpec))
