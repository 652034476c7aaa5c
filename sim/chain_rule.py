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
from typing import TYPE_CHECKING

import numpy as np

from . import losses
from .address import ParameterAddress

if TYPE_CHECKING:
    from .snapshot import Snapshot



@dataclass(frozen=True)
class ChainRule:
    """Every factor of dE/dw_ji (or dE/db_j when ``i`` is None), per sample and for the batch."""

    address: ParameterAddress
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


def breakdown(s: Snapshot, address: ParameterAddress) -> ChainRule:
    """The chain rule for w_ji (or b_j) from a snapshot whose backward phase reached the layer.

    The factors are copies of the engine's own arrays, so delta is bit-identical to what it
    used; the gradients are the engine's before and after clipping.
    """
    address.check(s.layers)
    layer_number, j, i = address
    layer = s.layers[layer_number - 1]
    delta = layer.delta
    if delta is None:
        raise ValueError(f"the backward phase has not reached layer {layer_number} yet")
    fused = s.fused_delta and layer_number == s.depth
    W, b = s.weights_in_pass(layer_number)
    if i is None:
        db, db_clipped = layer.db, layer.db_clipped
        assert b is not None and db is not None and db_clipped is not None  # checked: a bias
        a_i = np.ones(delta.shape[0])
        value, gradient, clipped = float(b[j]), float(db[j]), float(db_clipped[j])
        penalty = 0.0
    else:
        a_i = np.array(s.computed("a", layer_number - 1)[:, i])
        value, gradient = float(W[j, i]), float(layer.dW[j, i])
        clipped = float(layer.dW_clipped[j, i])
        regularization = s.experiment.regularization
        penalty = regularization.l2 * value + regularization.l1 * float(np.sign(value))
    per_sample = delta[:, j] * a_i
    return ChainRule(
        address=address, value=value,
        dE_da=None if fused else layer.computed("dE_da")[:, j].copy(),
        keep=None if layer.keep is None else layer.keep[:, j].copy(),
        fprime=None if fused else layer.computed("fprime")[:, j].copy(),
        delta=delta[:, j].copy(), a_i=a_i, per_sample=per_sample,
        data_gradient=math.fsum(per_sample.tolist()), penalty_gradient=penalty,
        gradient=gradient, clipped_gradient=clipped,
        fused=losses.LOSSES[s.experiment.loss].fused_formula if fused else None,
    )
