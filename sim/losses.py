"""Loss functions E(y, t) over a batch, with their conventions stated exactly.

n is the number of samples in the batch and k the number of outputs:

=============  ===========================================================
``sse``        sum over samples and outputs of (t - y)^2
``half_sse``   1/2 of sse (the seeds' E = 1/2 (t - y)^2)
``mse``        mean over all n*k elements of (t - y)^2
``half_mse``   1/2 of mse
``bce``        mean over all n*k elements of -[t log y + (1-t) log(1-y)], sigmoid output
``cross_entropy``  (1/n) sum over samples of -sum_j t_j log softmax(z)_j, softmax output
``huber``      mean over all n*k elements of h(y - t), h(d) = d^2/2 for |d| <= 1, |d| - 1/2
               beyond (PyTorch's HuberLoss with delta 1): squared near the target, linear far
               from it, so a far outlier pulls with a force of 1, not with its distance
=============  ===========================================================

For bce and cross_entropy the loss is computed from the output's z, never from log(y), so a
saturated output gives a large finite loss instead of log(0); their output delta dE/dz is the
fused form (y - t) scaled, which is also what keeps it exact when y rounds to 0 or 1.

Adding a loss is one `Loss` in `LOSSES` (and its tests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .schema import ExperimentError

# Each sample's share of a batch's loss, from (y, z, t) as ``Loss.evaluate`` takes them.
PerSample = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


class LossResult(NamedTuple):
    """The loss of one batch and the error it sends back into the output layer.

    For the squared losses ``dE_da`` is dE/dy (the chain rule then multiplies by f'(z));
    for the fused losses ``delta`` is dE/dz directly and ``dE_da`` is None. (A named tuple,
    not a frozen dataclass: one is made every step, and it is made in a sixth of the time.)
    """

    value: float
    dE_da: np.ndarray | None
    delta: np.ndarray | None


@dataclass(frozen=True)
class Loss:
    """Everything the program knows about one loss function.

    ``evaluate(y, z, t)`` gives the value and the output error of a batch (y = f(z) and t of
    shape (n, k)); ``per_sample`` each sample's share, the shares summing to the value.
    ``formula`` is the loss as a student would write it, with a for the network's output;
    ``gradient_text`` is dE/da as a template ({a}, {t} and {nk}, the number of elements
    averaged over), or None for a fused loss, whose ``fused_output`` names the output
    activation it needs, whose error is dE/dz (``fused_text``, a template like gradient_text
    that may also use {n}, the batch's samples) and whose targets must lie between 0 and 1.
    ``mean``: the loss averages over the batch's samples (else it sums).
    """

    name: str
    evaluate: Callable[[np.ndarray, np.ndarray, np.ndarray], LossResult]
    per_sample: PerSample
    formula: str
    mean: bool
    gradient_text: str | None = None
    fused_output: str | None = None
    fused_text: str | None = None

    @property
    def fused_formula(self) -> str | None:
        """The fused output's error as a formula, e.g. "softmax + cross_entropy: ∂E/∂z =
        (a − t)/n"; None for a loss that is not fused."""
        if self.fused_text is None:
            return None
        rule = self.fused_text.format(a="a", t="t", n="n", nk="(n k)")
        return f"{self.fused_output} + {self.name}: ∂E/∂z = {rule}"

    @property
    def needs_unit_targets(self) -> bool:
        """Cross-entropies take the targets as probabilities: each between 0 and 1."""
        return self.fused_output is not None


def _squares(y: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, float]:
    diff = y - t
    return diff, float(np.dot(diff.ravel(), diff.ravel()))


def _sse(y: np.ndarray, z: np.ndarray, t: np.ndarray) -> LossResult:
    diff, squares = _squares(y, t)
    return LossResult(squares, 2.0 * diff, None)


def _half_sse(y: np.ndarray, z: np.ndarray, t: np.ndarray) -> LossResult:
    diff, squares = _squares(y, t)
    return LossResult(0.5 * squares, diff, None)


def _mse(y: np.ndarray, z: np.ndarray, t: np.ndarray) -> LossResult:
    n, k = y.shape
    diff, squares = _squares(y, t)
    return LossResult(squares / (n * k), diff * (2.0 / (n * k)), None)


def _half_mse(y: np.ndarray, z: np.ndarray, t: np.ndarray) -> LossResult:
    n, k = y.shape
    diff, squares = _squares(y, t)
    return LossResult(0.5 * squares / (n * k), diff * (1.0 / (n * k)), None)


def _squares_per_sample(scale: Callable[[int, int], float]) -> PerSample:
    """Per-sample shares of a squared loss that is ``scale(n, k)`` times the sum of squares."""
    def shares(y: np.ndarray, z: np.ndarray, t: np.ndarray) -> np.ndarray:
        n, k = y.shape
        return np.sum((y - t) ** 2, axis=1) * scale(n, k)
    return shares


HUBER_DELTA = 1.0  # where the Huber loss turns from squared to linear


def _huber_elements(y: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """h(y - t) and h'(y - t) of each element."""
    diff = y - t
    size = np.abs(diff)
    squared = size <= HUBER_DELTA
    value = np.where(squared, 0.5 * diff * diff, HUBER_DELTA * (size - 0.5 * HUBER_DELTA))
    return value, np.clip(diff, -HUBER_DELTA, HUBER_DELTA)


def _huber(y: np.ndarray, z: np.ndarray, t: np.ndarray) -> LossResult:
    n, k = y.shape
    value, slope = _huber_elements(y, t)
    return LossResult(float(np.sum(value)) / (n * k), slope * (1.0 / (n * k)), None)


def _huber_per_sample(y: np.ndarray, z: np.ndarray, t: np.ndarray) -> np.ndarray:
    n, k = y.shape
    return _huber_elements(y, t)[0].sum(axis=1) / (n * k)


def _bce(y: np.ndarray, z: np.ndarray, t: np.ndarray) -> LossResult:
    n, k = y.shape
    value = float(np.sum(_bce_elements(z, t))) / (n * k)
    return LossResult(value, None, (y - t) * (1.0 / (n * k)))


def _bce_per_sample(y: np.ndarray, z: np.ndarray, t: np.ndarray) -> np.ndarray:
    n, k = y.shape
    return _bce_elements(z, t).sum(axis=1) / (n * k)


def _cross_entropy(y: np.ndarray, z: np.ndarray, t: np.ndarray) -> LossResult:
    n = y.shape[0]
    target_mass = t.sum(axis=1, keepdims=True)  # 1 for one-hot targets
    value = float(np.sum(_logsumexp(z) * target_mass) - np.sum(t * z)) / n
    return LossResult(value, None, (y * target_mass - t) * (1.0 / n))


def _cross_entropy_per_sample(y: np.ndarray, z: np.ndarray, t: np.ndarray) -> np.ndarray:
    n = y.shape[0]
    return (_logsumexp(z)[:, 0] * t.sum(axis=1) - np.sum(t * z, axis=1)) / n


def _bce_elements(z: np.ndarray, t: np.ndarray) -> np.ndarray:
    # -[t log s(z) + (1-t) log(1-s(z))] = max(z, 0) - t z + log(1 + e^-|z|), finite for all z.
    return np.maximum(z, 0.0) - t * z + np.log1p(np.exp(-np.abs(z)))


def _logsumexp(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=1, keepdims=True)
    return m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))


LOSSES: dict[str, Loss] = {loss.name: loss for loss in (
    Loss("sse", _sse, _squares_per_sample(lambda n, k: 1.0), "E = Σ (t − a)²", mean=False,
         gradient_text="2({a} − {t})"),
    Loss("half_sse", _half_sse, _squares_per_sample(lambda n, k: 0.5), "E = 1/2 Σ (t − a)²",
         mean=False, gradient_text="({a} − {t})"),
    Loss("mse", _mse, _squares_per_sample(lambda n, k: 1.0 / (n * k)),
         "E = 1/(n k) Σ (t − a)²", mean=True, gradient_text="2({a} − {t})/{nk}"),
    Loss("half_mse", _half_mse, _squares_per_sample(lambda n, k: 0.5 / (n * k)),
         "E = 1/(2 n k) Σ (t − a)²", mean=True, gradient_text="({a} − {t})/{nk}"),
    Loss("bce", _bce, _bce_per_sample, "E = −1/(n k) Σ [t log a + (1 − t) log(1 − a)]",
         mean=True, fused_output="sigmoid",
         fused_text="({a} − {t})/{nk}"),
    Loss("cross_entropy", _cross_entropy, _cross_entropy_per_sample,
         "E = −1/n Σ over the samples of Σⱼ tⱼ log aⱼ", mean=True, fused_output="softmax",
         fused_text="({a} − {t})/{n}"),
    Loss("huber", _huber, _huber_per_sample,
         "E = 1/(n k) Σ h(a − t), h(d) = d²/2 for |d| ≤ 1, |d| − 1/2 beyond", mean=True,
         gradient_text="clip({a} − {t}, −1, 1)/{nk}"),
)}
KINDS = tuple(LOSSES)
FUSED = {loss.name: loss.fused_output for loss in LOSSES.values() if loss.fused_output}


def named(kind: str) -> Loss:
    """The loss called ``kind``; ValueError for a name that is not one."""
    try:
        return LOSSES[kind]
    except KeyError:
        raise ValueError(f"unknown loss {kind!r}") from None


def evaluate(kind: str, y: np.ndarray, z: np.ndarray, t: np.ndarray) -> LossResult:
    """Loss value and output error for outputs y = f(z) against targets t, all (n, k)."""
    return named(kind).evaluate(y, z, t)


def value(kind: str, y: np.ndarray, z: np.ndarray, t: np.ndarray) -> float:
    """Only the loss value (validation, gradient checks, loss landscapes)."""
    return named(kind).evaluate(y, z, t).value


def per_sample(kind: str, y: np.ndarray, z: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Each sample's share of the loss, so that they sum to the batch loss."""
    return named(kind).per_sample(y, z, t)


def checked_targets(loss: str, *target_sets: np.ndarray) -> np.ndarray:
    """Every target of the data (training, validation, test) in one array; ExperimentError
    naming ``loss`` if it cannot take them (a loss that needs targets between 0 and 1)."""
    targets = np.concatenate(target_sets)
    if LOSSES[loss].needs_unit_targets and (targets.min() < 0.0 or targets.max() > 1.0):
        raise ExperimentError("loss", f'"{loss}" needs targets between 0 and 1; the data '
                                      f"has {targets.min():g} to {targets.max():g}")
    return targets


def check_output_layer(loss: str, activation: str, units: int, path: str) -> None:
    """ExperimentError if ``loss`` cannot train an output layer of ``units`` units with this
    ``activation`` (a softmax output needs cross-entropy and two units; a fused loss its own
    output); ``path`` is the layer's place in the file, e.g. "network.layers[1]"."""
    if activation == "softmax":
        if loss != "cross_entropy":
            raise ExperimentError(f"{path}.activation", 'softmax output needs loss '
                                                        f'"cross_entropy", got "{loss}"')
        if units < 2:
            raise ExperimentError(f"{path}.units", "a softmax output needs at least 2 units")
    needed = FUSED.get(loss)
    if needed and activation != needed:
        raise ExperimentError("loss", f'"{loss}" needs a {needed} output layer, got '
                                      f"{activation}")


def weight_penalty(weights: Iterable[np.ndarray], l1: float, l2: float) -> float:
    """l2/2 Σ w² + l1 Σ |w| over these weight arrays (flat), added array by array."""
    total = 0.0
    for w in weights:
        if l2:
            total += 0.5 * l2 * float(np.dot(w, w))
        if l1:
            total += l1 * float(np.sum(np.abs(w)))
    return total
