"""The chain rule for one weight, with every factor as a number.

For the weight w⁽ˡ⁾ⱼᵢ (into unit j of layer l from unit i of the layer below)::

    ∂(E+P)/∂w⁽ˡ⁾ⱼᵢ = Σ over the samples of ∂E/∂a⁽ˡ⁾ⱼ × f′(z⁽ˡ⁾ⱼ) × a⁽ˡ⁻¹⁾ᵢ   (∂E/∂w, the data's)
                   + l2 w⁽ˡ⁾ⱼᵢ + l1 sign(w⁽ˡ⁾ⱼᵢ)                         (∂P/∂w, the penalty's)

and the optimizer receives that gradient after clipping. With dropout the factor keep
(0 or 1/(1 − p)) stands between ∂E/∂a and f′(z). For a bias, a⁽ˡ⁻¹⁾ᵢ is 1. For the fused
outputs (softmax + cross_entropy, sigmoid + bce) the loss gives ∂E/∂z⁽ˡ⁾ⱼ directly and the
first two factors are replaced by it. With batch normalisation in the layer, ∂E/∂z⁽ˡ⁾ⱼ (δ)
comes back through the batch mean and variance, which every sample of the batch shares: δ
stands in for the first factors, and the backward caption (sim.explain) shows how it was found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import losses
from . import notation as name
from .address import ParameterAddress
from .notation import factor, number

if TYPE_CHECKING:
    from .snapshot import Snapshot



@dataclass(frozen=True)
class ChainRule:
    """Every factor of ∂E/∂w⁽ˡ⁾ⱼᵢ (or ∂E/∂b⁽ˡ⁾ⱼ when ``i`` is None), per sample and for the
    batch."""

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
    penalised: bool  # the loss has an L1 or L2 penalty on the weights
    normalised: bool = False  # the layer has batch normalisation: delta comes through it

    @property
    def clip_factor(self) -> float:
        """How much clipping scaled this gradient (1 when it did nothing)."""
        if self.gradient == 0.0:
            return 1.0
        return self.clipped_gradient / self.gradient

    def lines(self, row: int, sample: int) -> list[str]:
        """The chain rule in words and numbers: the factors of the term of ``row`` of the
        batch (training sample ``sample``, from 0), the batch's sum (every sample's term for
        batches of up to notation.MAX_LISTED_SAMPLES), the penalty's part and clipping."""
        layer, j, i = self.address
        gradient = name.gradient(self.address.label())
        source = "1" if i is None else name.activation(layer - 1, i)
        keep = "" if self.keep is None else " × keep"
        keep_value = "" if self.keep is None else f" × {factor(self.keep[row])}"
        dE_da, fprime = self.dE_da, self.fprime
        if dE_da is None or fprime is None:  # fused, or batch normalised: δ = ∂E/∂z is given
            symbols = f"{name.gradient(name.net_input(layer, j))} × {source}"
            values = f"{factor(self.delta[row])} × {factor(self.a_i[row])}"
        else:
            symbols = (f"{name.gradient(name.activation(layer, j))}{keep} × "
                       f"{name.slope(layer, j)} × {source}")
            values = (f"{factor(dE_da[row])}{keep_value} × {factor(fprime[row])} × "
                      f"{factor(self.a_i[row])}")
        batch = self.delta.shape[0]
        head = f"{gradient} =" if batch == 1 else f"sample {sample + 1}'s term of {gradient}:"
        lines = [f"{head} {symbols}", f"= {values} = {number(self.per_sample[row])}"]
        if self.fused is not None and not self.normalised:
            lines.append(f"({self.fused})")
        if self.normalised:
            lines.append(f"({name.delta(layer, j)} = {name.gradient(name.net_input(layer, j))} "
                         f"came back through batch normalisation, through the batch's mean and "
                         f"variance: see the backward caption)")
        if batch > 1:
            text = f"{gradient} = Σ over the batch of {batch}"
            if batch <= name.MAX_LISTED_SAMPLES:
                terms = [factor(term) for term in self.per_sample]
                text += f" = {name.batch_terms(terms, row)}"
            lines.append(f"{text} = {number(self.data_gradient)}")
        if self.penalised and i is not None:  # biases carry no penalty
            lines.append(f"{name.gradient(self.address.label(), penalised=True)} = "
                         f"{number(self.data_gradient)} + {factor(self.penalty_gradient)} = "
                         f"{number(self.gradient)}")
        if self.clipped_gradient != self.gradient:
            lines.append(f"after clipping (× {number(self.clip_factor)}): "
                         f"{number(self.clipped_gradient)} goes to the optimizer")
        return lines


def breakdown(s: Snapshot, address: ParameterAddress) -> ChainRule:
    """The chain rule for w⁽ˡ⁾ⱼᵢ (or b⁽ˡ⁾ⱼ) from a snapshot whose backward phase reached the layer.

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
    normalised = layer.has_batch_norm
    W, b = s.weights_in_pass(layer_number)
    if i is None:
        db, db_clipped = layer.db, layer.db_clipped
        assert b is not None and db is not None and db_clipped is not None  # checked: a bias
        a_i = np.ones(delta.shape[0])
        value, gradient, clipped = float(b[j]), float(db[j]), float(db_clipped[j])
        penalty = 0.0
    regularization = s.experiment.regularization
    if i is not None:
        a_i = np.array(s.computed("a", layer_number - 1)[:, i])
        value, gradient = float(W[j, i]), float(layer.dW[j, i])
        clipped = float(layer.dW_clipped[j, i])
        penalty = regularization.l2 * value + regularization.l1 * float(np.sign(value))
    per_sample = delta[:, j] * a_i
    return ChainRule(
        address=address, value=value,
        dE_da=None if fused or normalised else layer.computed("dE_da")[:, j].copy(),
        keep=None if layer.keep is None else layer.keep[:, j].copy(),
        fprime=None if fused or normalised else layer.computed("fprime")[:, j].copy(),
        delta=delta[:, j].copy(), a_i=a_i, per_sample=per_sample,
        data_gradient=math.fsum(per_sample.tolist()), penalty_gradient=penalty,
        gradient=gradient, clipped_gradient=clipped,
        fused=losses.LOSSES[s.experiment.loss].fused_formula if fused else None,
        penalised=bool(regularization.l1 or regularization.l2), normalised=normalised,
    )
