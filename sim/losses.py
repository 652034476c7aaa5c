"""Loss functions E(y, t) over a batch, with their conventions stated exactly.

n is the number of samples in the batch and k the number of outputs:

=============  ===========================================================
``sse``        sum over samples and outputs of (t - y)^2
``half_sse``   1/2 of sse (the seeds' E = 1/2 (t - y)^2)
``mse``        mean over all n*k elements of (t - y)^2
``half_mse``   1/2 of mse
``bce``        mean over all n*k elements of -[t log y + (1-t) log(1-y)], sigmoid output
``cross_entropy``  (1/n) sum over samples of -sum_j t_j log softmax(z)_j, softmax output
=============  ===========================================================

For bce and cross_entropy the loss is computed from the output's z, never from log(y), so a
saturated output gives a large finite loss instead of log(0); their output delta dE/dz is the
fused form (y - t) scaled, which is also what keeps it exact when y rounds to 0 or 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("sse", "half_sse", "mse", "half_mse", "bce", "cross_entropy")
FUSED = {"bce": "sigmoid", "cross_entropy": "softmax"}  # loss -> the output activation it needs


@dataclass(frozen=True)
class LossResult:
    """The loss of one batch and the error it sends back into the output layer.

    For the squared losses ``dE_da`` is dE/dy (the chain rule then multiplies by f'(z));
    for the fused losses ``delta`` is dE/dz directly and ``dE_da`` is None.
    """

    value: float
    dE_da: np.ndarray | None
    delta: np.ndarray | None


def evaluate(kind: str, y: np.ndarray, z: np.ndarray, t: np.ndarray) -> LossResult:
    """Loss value and output error for outputs y = f(z) against targets t, all (n, k)."""
    n, k = y.shape
    if kind in ("sse", "half_sse", "mse", "half_mse"):
        diff = y - t
        squares = float(np.dot(diff.ravel(), diff.ravel()))
        if kind == "sse":
            return LossResult(squares, 2.0 * diff, None)
        if kind == "half_sse":
            return LossResult(0.5 * squares, diff, None)
        if kind == "mse":
            return LossResult(squares / (n * k), diff * (2.0 / (n * k)), None)
        return LossResult(0.5 * squares / (n * k), diff * (1.0 / (n * k)), None)
    if kind == "bce":
        value = float(np.sum(_bce_elements(z, t))) / (n * k)
        return LossResult(value, None, (y - t) * (1.0 / (n * k)))
    if kind == "cross_entropy":
        target_mass = t.sum(axis=1, keepdims=True)  # 1 for one-hot targets
        value = float(np.sum(_logsumexp(z) * target_mass) - np.sum(t * z)) / n
        return LossResult(value, None, (y * target_mass - t) * (1.0 / n))
    raise ValueError(f"unknown loss {kind!r}")


def value(kind: str, y: np.ndarray, z: np.ndarray, t: np.ndarray) -> float:
    """Only the loss value (validation, gradient checks, loss landscapes)."""
    return evaluate(kind, y, z, t).value


def per_sample(kind: str, y: np.ndarray, z: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Each sample's share of the loss, so that they sum to the batch loss."""
    n, k = y.shape
    if kind in ("sse", "half_sse", "mse", "half_mse"):
        scale = {"sse": 1.0, "half_sse": 0.5, "mse": 1.0 / (n * k), "half_mse": 0.5 / (n * k)}
        return np.sum((y - t) ** 2, axis=1) * scale[kind]
    if kind == "bce":
        return _bce_elements(z, t).sum(axis=1) / (n * k)
    if kind == "cross_entropy":
        return (_logsumexp(z)[:, 0] * t.sum(axis=1) - np.sum(t * z, axis=1)) / n
    raise ValueError(f"unknown loss {kind!r}")


def formula(kind: str) -> str:
    """The loss as a student would write it, with a for the network's output."""
    return {
        "sse": "E = Σ (t − a)²",
        "half_sse": "E = 1/2 Σ (t − a)²",
        "mse": "E = 1/(n k) Σ (t − a)²",
        "half_mse": "E = 1/(2 n k) Σ (t − a)²",
        "bce": "E = −1/(n k) Σ [t log a + (1 − t) log(1 − a)]",
        "cross_entropy": "E = −1/n Σ_samples Σ_j t_j log a_j",
    }[kind]


def _bce_elements(z: np.ndarray, t: np.ndarray) -> np.ndarray:
    # -[t log s(z) + (1-t) log(1-s(z))] = max(z, 0) - t z + log(1 + e^-|z|), finite for all z.
    return np.maximum(z, 0.0) - t * z + np.log1p(np.exp(-np.abs(z)))


def _logsumexp(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=1, keepdims=True)
    return m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
