"""Check backpropagation against central finite differences, seed 000's house-price idea.

For each parameter w, nudge it by +h and -h, measure the loss E each time, and compare
``(E(w + h) - E(w - h)) / 2h`` with the gradient backpropagation computed. The loss is the
whole training set's data loss plus the penalty, without dropout, so it is a fixed function.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import Network

DEFAULT_STEP = 1e-6
ERROR_FLOOR = 1e-7  # below this, two gradients are compared by their difference alone


@dataclass(frozen=True)
class GradcheckResult:
    worst_relative_error: float
    worst_parameter: str  # e.g. "layer 2, w_01" or "layer 1, b_3"
    analytic: float  # backpropagation's gradient for the worst parameter
    numeric: float  # the finite-difference estimate for it
    checked: int  # how many parameters were compared
    total: int  # how many trainable parameters there are


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """|a - n| / max(|a| + |n|, floor): 0 for equal values, 1 for opposite signs."""
    return np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric),
                                                   ERROR_FLOOR)


def parameter_name(network: Network, index: int) -> str:
    """Where a flat parameter index points, in the seeds' notation with units from 1."""
    for layer in network.layers:
        if layer.segment.start <= index < layer.segment.start + layer.units * layer.fan_in:
            j, i = divmod(index - layer.segment.start, layer.fan_in)
            return f"layer {layer.number}, {weight_label(j, i)}"
        if layer.b is not None and layer.bias_start <= index < layer.bias_start + layer.units:
            return f"layer {layer.number}, b_{index - layer.bias_start + 1}"
    raise IndexError(index)


def weight_label(j: int, i: int) -> str:
    """w_ji for 0-based j and i, written with units counted from 1 as the seeds do."""
    return f"w_{j + 1}{i + 1}" if max(j, i) < 9 else f"w_{j + 1},{i + 1}"


def gradcheck(network: Network, x: np.ndarray, t: np.ndarray, loss: str, l1: float = 0.0,
              l2: float = 0.0, max_parameters: int | None = None, step: float = DEFAULT_STEP,
              seed: int = 0) -> GradcheckResult:
    """Compare analytic and numeric gradients of the trainable parameters.

    The network's weights are restored exactly afterwards; its gradient buffer is overwritten.
    With ``max_parameters`` a seeded random sample of that many parameters is checked.
    """
    network.loss_and_gradient(x, t, loss, l1, l2)
    analytic_all = network.trainable_grad.copy()
    total = network.n_trainable
    indices = np.arange(total)
    if max_parameters is not None and max_parameters < total:
        indices = np.sort(np.random.default_rng(seed).choice(total, max_parameters,
                                                             replace=False))
    theta = network.theta
    numeric = np.empty(len(indices))
    for position, index in enumerate(indices):
        original = theta[index]
        h = step * max(1.0, abs(original))
        theta[index] = original + h
        upper = network.loss_value(x, t, loss, l1, l2)
        theta[index] = original - h
        lower = network.loss_value(x, t, loss, l1, l2)
        theta[index] = original
        numeric[position] = (upper - lower) / (2.0 * h)
    analytic = analytic_all[indices]
    errors = relative_error(analytic, numeric)
    worst = int(np.argmax(errors))  # every network has at least one weight
    return GradcheckResult(
        worst_relative_error=float(errors[worst]),
        worst_parameter=parameter_name(network, int(indices[worst])),
        analytic=float(analytic[worst]), numeric=float(numeric[worst]),
        checked=len(indices), total=total)
