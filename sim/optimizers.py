"""Optimizers: each turns a gradient g into a parameter change dw, keeping state per parameter.

Every optimizer works on the flat vector of trainable parameters, so its state (velocity,
moments) is an array with one entry per parameter, never shared between parameters.

- ``sgd`` with momentum in the form of Rumelhart, Hinton & Williams (1986):
  ``dw(t) = -lr g + momentum dw(t-1)``. With a constant learning rate this equals PyTorch's
  ``v = mu v + g; w -= lr v``; the two differ once the learning rate changes.
  ``nesterov`` evaluates the momentum step ahead: ``v = momentum v - lr g; dw = momentum v - lr g``.
- ``rmsprop``: ``v = rho v + (1 - rho) g^2; dw = -lr g / (sqrt(v) + epsilon)``.
- ``adam``: Kingma & Ba (2015), Algorithm 1, in PyTorch's order of operations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from .schema import ExperimentError, Section


@dataclass(frozen=True)
class OptimizerSpec:
    """Which optimizer and its hyperparameters, as the experiment file gives them."""

    kind: str = "sgd"
    learning_rate: float = 0.1
    momentum: float = 0.0  # sgd
    nesterov: bool = False  # sgd
    rho: float = 0.9  # rmsprop
    beta1: float = 0.9  # adam
    beta2: float = 0.999  # adam
    epsilon: float = 1e-8  # rmsprop, adam

    @classmethod
    def from_json(cls, value: Any, path: str) -> OptimizerSpec:
        """Read an ``optimizer`` object; a key that the kind does not use is refused."""
        s = Section(value, path, KEYS)
        kind = s.choice("kind", KINDS, "sgd")
        optimizer = OPTIMIZERS[kind]
        for key in KEYS[2:]:
            if s.has(key) and key not in optimizer.options:
                raise ExperimentError(s.at(key), f'is not used by optimizer "{kind}"')
        return cls(
            kind=kind,
            learning_rate=s.number("learning_rate", optimizer.default_learning_rate,
                                   positive=True, maximum=1e6),
            momentum=s.number("momentum", 0.0, minimum=0.0, maximum=0.999),
            nesterov=s.boolean("nesterov", False),
            rho=s.number("rho", 0.9, minimum=0.0, maximum=0.9999),
            beta1=s.number("beta1", 0.9, minimum=0.0, maximum=0.9999),
            beta2=s.number("beta2", 0.999, minimum=0.0, maximum=0.999999),
            epsilon=s.number("epsilon", 1e-8, positive=True, maximum=1.0),
        )

    def to_json(self) -> dict[str, Any]:
        """The kind, the learning rate and the options the kind uses."""
        out: dict[str, Any] = {"kind": self.kind, "learning_rate": self.learning_rate}
        out.update({key: getattr(self, key) for key in OPTIMIZERS[self.kind].options})
        return out


class Optimizer:
    """Base class: ``compute(g, lr, out)`` writes dw into ``out`` and advances the state.

    A subclass names the spec's ``options`` it reads (the file refuses the others) and its
    ``default_learning_rate``; adding an optimizer is one subclass listed in ``OPTIMIZERS``.
    """

    state_names: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    default_learning_rate = 0.1

    def __init__(self, spec: OptimizerSpec, size: int) -> None:
        self.spec = spec
        self.size = size

    def compute(self, g: np.ndarray, lr: float, out: np.ndarray) -> None:
        raise NotImplementedError

    @property
    def updates(self) -> int | None:
        """How many updates this optimizer has computed, where its rule uses the count
        (Adam's t); None where it does not."""
        return None

    def state(self) -> dict[str, np.ndarray | int]:
        """The buffers that make a resumed run continue exactly (copies)."""
        return {name: _copy(getattr(self, name)) for name in self.state_names}

    def load_state(self, state: dict) -> None:
        for name in self.state_names:
            current = getattr(self, name)
            if isinstance(current, np.ndarray):
                current[...] = state[name]
            else:
                setattr(self, name, int(state[name]))


class SGD(Optimizer):
    state_names = ("velocity",)
    options = ("momentum", "nesterov")

    def __init__(self, spec: OptimizerSpec, size: int) -> None:
        super().__init__(spec, size)
        self.velocity = np.zeros(size)  # dw(t-1), in parameter units as in the 1986 paper

    def compute(self, g: np.ndarray, lr: float, out: np.ndarray) -> None:
        momentum = self.spec.momentum
        np.multiply(g, -lr, out=out)
        if momentum == 0.0:
            return
        velocity = self.velocity
        velocity *= momentum
        velocity += out  # dw(t) = -lr g + momentum dw(t-1)
        if self.spec.nesterov:
            out += momentum * velocity
        else:
            out[...] = velocity


class RMSprop(Optimizer):
    state_names = ("square_avg",)
    options = ("rho", "epsilon")

    def __init__(self, spec: OptimizerSpec, size: int) -> None:
        super().__init__(spec, size)
        self.square_avg = np.zeros(size)

    def compute(self, g: np.ndarray, lr: float, out: np.ndarray) -> None:
        rho = self.spec.rho
        self.square_avg *= rho
        self.square_avg += (1.0 - rho) * (g * g)
        denominator = np.sqrt(self.square_avg)
        denominator += self.spec.epsilon  # epsilon outside the root, as PyTorch does
        np.divide(g, denominator, out=out)
        out *= -lr


class Adam(Optimizer):
    state_names = ("m", "v", "t")
    options = ("beta1", "beta2", "epsilon")
    default_learning_rate = 0.001

    def __init__(self, spec: OptimizerSpec, size: int) -> None:
        super().__init__(spec, size)
        self.m = np.zeros(size)
        self.v = np.zeros(size)
        self.t = 0

    @property
    def updates(self) -> int | None:
        return self.t

    def compute(self, g: np.ndarray, lr: float, out: np.ndarray) -> None:
        b1, b2 = self.spec.beta1, self.spec.beta2
        self.t += 1
        # torch.optim.Adam (single-tensor path): m.lerp_(g, 1-b1); v.mul_(b2).addcmul_(g, g, 1-b2)
        self.m += (g - self.m) * (1.0 - b1)
        self.v *= b2
        self.v += (1.0 - b2) * (g * g)
        bias_correction1 = 1.0 - b1 ** self.t
        bias_correction2 = 1.0 - b2 ** self.t
        step_size = lr / bias_correction1
        denominator = np.sqrt(self.v)
        denominator /= math.sqrt(bias_correction2)
        denominator += self.spec.epsilon
        np.divide(self.m, denominator, out=out)
        out *= -step_size


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}
KINDS = tuple(OPTIMIZERS)
KEYS = tuple(field.name for field in fields(OptimizerSpec))


def make_optimizer(spec: OptimizerSpec, size: int) -> Optimizer:
    """A fresh optimizer with zero state for ``size`` trainable parameters."""
    return OPTIMIZERS[spec.kind](spec, size)


def _copy(value: np.ndarray | int) -> np.ndarray | int:
    return value.copy() if isinstance(value, np.ndarray) else value
