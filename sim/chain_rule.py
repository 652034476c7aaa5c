"""The chain rule for one weight, with every factor as a number.

For the weight w_ji of layer l (from unit i of the layer below to unit j)::

    dE/dw_ji = sum over samples of  dE/da_j * f'(z_j) * a_i      (data part)
               + l2 w_ji + l1 sign(w_ji)                          (penalty part)

and the optimizer receives that gradient after clipping. With dropout the factor keep_j
(0 or 1/(1-p)) stands between dE/da_j and f'(z_j). For a bias, a_i is 1. For the fused outputs
(softmax + cross_entropy, sigmoid + bce) the loss gives dE/dz_j directly and the first two
factors are replaced by it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .network import Network, Pass

FUSED_FORMULAS = {
    "cross_entropy": "softmax + cross_entropy: dE/dz_j = (y_j - t_j) / n",
    "bce": "sigmoid + bce: dE/dz_j = (y_j - t_j) / (n k)",
}


@dataclass(frozen=True)
class ChainRule:
    """Every factor of dE/dw_ji (or dE/db_j when ``i`` is None), per sample and for the batch."""

    layer: int
    j: int
    i: int | None
    value: float  # the weight (or bias) as it was in this pass
    dE_da: np.ndarray | None  # error arriving at unit j, per sample; None when fused
    keep: np.ndarray | None  # dropout scale of unit j, per sample; None without dropout
    fprime: np.ndarray | None  # f'(z_j) per sample; None when fused
    delta: np.ndarray  # dE/dz_j per sample
    a_i: np.ndarray  # the input along the weight, per sample (ones for a bias)
    per_sample: np.ndarray  # delta * a_i: each sample's share of the data gradient
    data_gradient: float  # sum of per_sample
    penalty_gradient: float  # l2 w + l1 sign(w); 0 for biases
    gradient: float  # data + penalty: what backpropagation computed (before clipping)
    clipped_gradient: float  # what the optimizer received
    fused: str | None  # the fused output formula, if this is a fused output unit

    @property
    def clip_factor(self) -> float:
        """How much clipping scaled this gradient (1 when it did nothing)."""
        if self.gradient == 0.0:
            return 1.0
        return self.clipped_gradient / self.gradient


def breakdown(network: Network, p: Pass, loss_kind: str, layer_number: int, j: int,
              i: int | None, l1: float, l2: float, raw_grad: np.ndarray,
              clipped_grad: np.ndarray, update: np.ndarray) -> ChainRule:
    """The chain rule for w_ji (or b_j) from a pass whose backward phase reached this layer.

    ``raw_grad`` and ``clipped_grad`` are the network's flat gradient before and after clipping;
    ``update`` is the step the parameters took after the pass (used if ``p.updated``).
    The factors are the engine's own arrays, so delta is bit-identical to what it used.
    """
    layer = network.layers[layer_number - 1]
    delta = p.delta[layer_number]
    if delta is None:
        raise ValueError(f"the backward phase has not reached layer {layer_number} yet")
    fused = p.fused_delta is not None and layer_number == network.depth
    if i is None:
        a_i = np.ones(delta.shape[0])
        flat = layer.bias_start + j
    else:
        a_i = p.a[layer_number - 1][:, i]
        flat = layer.segment.start + j * layer.fan_in + i
    value = float(network.theta[flat])
    if p.updated and flat < network.n_trainable:
        value -= float(update[flat])  # the weight the pass used, before its step
    penalty = 0.0 if i is None else l2 * value + l1 * float(np.sign(value))
    per_sample = delta[:, j] * a_i
    return ChainRule(
        layer=layer_number, j=j, i=i, value=value,
        dE_da=None if fused else p.dE_da[layer_number][:, j].copy(),
        keep=None if p.keep[layer_number] is None else p.keep[layer_number][:, j].copy(),
        fprime=None if fused else p.fprime[layer_number][:, j].copy(),
        delta=delta[:, j].copy(), a_i=np.array(a_i), per_sample=per_sample,
        data_gradient=math.fsum(per_sample.tolist()), penalty_gradient=penalty,
        gradient=float(raw_grad[flat]), clipped_gradient=float(clipped_grad[flat]),
        fused=FUSED_FORMULAS[loss_kind] if fused else None,
    )

