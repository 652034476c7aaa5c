"""Batch normalisation of a dense layer's net inputs, with PyTorch ``BatchNorm1d``'s semantics.

A layer with batch normalisation computes, for each unit j over the n samples of a batch,

    z  = a_prev W^T + b                    (b is usually absent: beta plays its part)
    mu = (1/n) sum_s z_s                   the batch mean
    var = (1/n) sum_s (z_s - mu)^2         the biased batch variance
    zhat = (z - mu) / sqrt(var + eps)      eps inside the square root
    y = gamma * zhat + beta                trainable gamma (initially 1) and beta (initially 0)
    h = f(y)                               (the captions write y as z̃, sim.notation)

While training, the running statistics follow the batches (starting at 0 and 1):

    running_mean = (1 - momentum) running_mean + momentum mu
    running_var  = (1 - momentum) running_var  + momentum var n / (n - 1)   (unbiased)

and evaluation (validation, test, the boundary, neuron maps, the landscape) normalises with
them instead: zhat = (z - running_mean) / sqrt(running_var + eps), the same for every sample.

Backwards, with g = dE/dy of each sample:

    dE/dgamma = sum_s g_s zhat_s,   dE/dbeta = sum_s g_s
    dE/dz_s = gamma / sqrt(var + eps) (g_s - mean(g) - zhat_s mean(g zhat))

because z_s reaches the loss three ways: directly through zhat_s, through the mean mu (which
every zhat depends on) and through the variance var. ``paths`` returns the three terms apart,
for the captions that write the formula out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .schema import ExperimentError, Section, describe

DEFAULT_MOMENTUM = 0.1  # as torch.nn.BatchNorm1d
DEFAULT_EPSILON = 1e-5
KEYS = ("momentum", "epsilon")

# Which statistics a pass normalises with: the batch's own (training, and the gradient check),
# or the running ones (evaluation).
Statistics = Literal["batch", "running"]


@dataclass(frozen=True)
class BatchNormSpec:
    """A layer's batch normalisation: the running statistics' momentum and epsilon."""

    momentum: float = DEFAULT_MOMENTUM
    epsilon: float = DEFAULT_EPSILON

    @classmethod
    def from_json(cls, value: Any, path: str) -> BatchNormSpec | None:
        """``true`` (the defaults), ``false`` (none) or {"momentum": m, "epsilon": e}."""
        if isinstance(value, bool):
            return cls() if value else None
        if not isinstance(value, dict):
            raise ExperimentError(path, "must be true, false or an object with momentum and "
                                        f"epsilon, got {describe(value)}")
        s = Section(value, path, KEYS)
        return cls(momentum=s.number("momentum", DEFAULT_MOMENTUM, minimum=0.0, maximum=1.0),
                   epsilon=s.number("epsilon", DEFAULT_EPSILON, positive=True, maximum=1.0))

    def to_json(self) -> dict[str, Any]:
        return {"momentum": self.momentum, "epsilon": self.epsilon}


class BatchNormLayer:
    """One layer's batch normalisation: its spec and views of its parameters, gradients and
    running statistics in the network's flat vectors."""

    __slots__ = ("spec", "gamma", "beta", "dgamma", "dbeta", "running_mean", "running_var",
                 "gamma_start", "running_start")

    def __init__(self, spec: BatchNormSpec) -> None:
        self.spec = spec
        empty = np.empty(0)
        self.gamma = self.beta = self.dgamma = self.dbeta = empty  # views, once laid out
        self.running_mean = self.running_var = empty
        self.gamma_start = -1  # index of gamma[0] in theta; beta follows gamma
        self.running_start = -1  # index of running_mean[0]; running_var follows it


@dataclass(frozen=True)
class NormPass:
    """What the forward pass of one layer's batch normalisation computed for a batch.

    ``mean`` and ``variance`` are the statistics it normalised with (the batch's, biased, or
    the running ones); ``std`` is sqrt(variance + eps); ``zhat`` the normalised net inputs and
    ``y`` = gamma zhat + beta, what the activation takes.
    """

    statistics: Statistics
    mean: np.ndarray  # (units,)
    variance: np.ndarray  # (units,)
    std: np.ndarray  # (units,)
    zhat: np.ndarray  # (samples, units)
    y: np.ndarray  # (samples, units)
    gamma: np.ndarray  # (units,) as the pass used them
    beta: np.ndarray
    # The running mean and variance before this pass moved them (None: it did not), so that
    # an iteration abandoned when training diverges can leave them as they were.
    running_before: tuple[np.ndarray, np.ndarray] | None = None


class OneSampleBatch(ValueError):
    """A batch of one sample: its variance is zero, and normalising it leaves nothing."""


def one_sample_problem(layer: int) -> str:
    return (f"batch normalisation in layer {layer} needs at least 2 samples in a batch: the "
            f"variance of one sample is 0")


def forward(norm: BatchNormLayer, z: np.ndarray, statistics: Statistics, update_running: bool,
            layer: int) -> NormPass:
    """Normalise, scale and shift the net inputs ``z`` (samples, units); with batch statistics
    and ``update_running``, move the running statistics towards the batch's."""
    spec = norm.spec
    if statistics == "batch":
        n = z.shape[0]
        if n < 2:
            raise OneSampleBatch(one_sample_problem(layer))
        mean = z.mean(axis=0)
        centred = z - mean
        variance = (centred * centred).mean(axis=0)
        running_before = None
        if update_running:
            running_before = (norm.running_mean.copy(), norm.running_var.copy())
            m = spec.momentum
            norm.running_mean[...] = (1.0 - m) * norm.running_mean + m * mean
            norm.running_var[...] = (1.0 - m) * norm.running_var + m * variance * (n / (n - 1))
    else:
        mean, variance = norm.running_mean.copy(), norm.running_var.copy()
        centred = z - mean
        running_before = None
    std = np.sqrt(variance + spec.epsilon)
    zhat = centred / std
    gamma, beta = norm.gamma.copy(), norm.beta.copy()
    return NormPass(statistics, mean, variance, std, zhat, gamma * zhat + beta, gamma, beta,
                    running_before)


def undo_running_update(norm: BatchNormLayer, record: NormPass) -> None:
    """Put the running statistics back as they were before the pass of ``record`` moved
    them (nothing if it did not)."""
    if record.running_before is not None:
        norm.running_mean[...], norm.running_var[...] = record.running_before


def evaluate(norm: BatchNormLayer, z: np.ndarray, unit: int | None = None) -> np.ndarray:
    """gamma zhat + beta with the running statistics, for net inputs whose last axis is the
    units (a grid of them, say), or of the one ``unit`` given: what an evaluation pass gives
    for each, bit for bit (the same operations in the same order as ``forward``)."""
    pick = slice(None) if unit is None else unit
    std = np.sqrt(norm.running_var[pick] + norm.spec.epsilon)
    return norm.gamma[pick] * ((z - norm.running_mean[pick]) / std) + norm.beta[pick]


def backward(norm: BatchNormLayer, record: NormPass, dE_dy: np.ndarray) -> np.ndarray:
    """dE/dz from dE/dy; dE/dgamma and dE/dbeta go into the layer's gradient views.

    With running statistics (a pass that evaluates) the normalisation is a fixed affine map of
    each z, and dE/dz = gamma / std dE/dy; with batch statistics the mean and the variance
    depend on every sample too (see the module's formula).
    """
    np.add.reduce(dE_dy * record.zhat, axis=0, out=norm.dgamma)
    np.add.reduce(dE_dy, axis=0, out=norm.dbeta)
    dE_dzhat = dE_dy * record.gamma
    if record.statistics == "running":
        return dE_dzhat / record.std
    return (dE_dzhat - dE_dzhat.mean(axis=0)
            - record.zhat * (dE_dzhat * record.zhat).mean(axis=0)) / record.std


@dataclass(frozen=True)
class Paths:
    """dE/dz of one sample s and unit j as the sum of the three ways z reaches the loss, with
    the partial derivatives each is made of (batch statistics)."""

    direct: float  # dE/dzhat_s / std
    through_variance: float  # dE/dvar * dvar/dz_s = dE/dvar * 2 (z_s - mu) / n
    through_mean: float  # dE/dmu * dmu/dz_s = dE/dmu / n
    dE_dzhat: float  # g_s gamma
    dE_dvar: float  # sum_s' dE/dzhat_s' (z_s' - mu) (-1/2) (var + eps)^(-3/2)
    dE_dmu: float  # sum_s' dE/dzhat_s' (-1 / std) (the variance's share is 0: sum (z - mu) = 0)
    samples: int

    @property
    def total(self) -> float:
        return self.direct + self.through_variance + self.through_mean


def paths(record: NormPass, dE_dy: np.ndarray, z: np.ndarray, sample: int, unit: int) -> Paths:
    """The three terms of dE/dz for ``sample`` and ``unit`` (batch statistics only)."""
    if record.statistics != "batch":
        raise ValueError("the paths through the batch mean and variance exist only for a pass "
                         "that normalised with its batch's statistics")
    n = z.shape[0]
    mu, std = record.mean[unit], record.std[unit]
    dE_dzhat = dE_dy[:, unit] * record.gamma[unit]
    centred = z[:, unit] - mu
    dE_dvar = float(np.sum(dE_dzhat * centred) * -0.5 * std ** -3.0)
    dE_dmu = float(np.sum(dE_dzhat) * (-1.0 / std))
    return Paths(direct=float(dE_dzhat[sample] / std),
                 through_variance=dE_dvar * 2.0 * float(centred[sample]) / n,
                 through_mean=dE_dmu / n, dE_dzhat=float(dE_dzhat[sample]), dE_dvar=dE_dvar,
                 dE_dmu=dE_dmu, samples=n)
