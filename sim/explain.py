"""Captions: what the phase that just ran did, in words, with this iteration's numbers.

Written the way seed 004 works its example by hand, for example::

    delta_2 = dE/da_2 × f'(z_2) = (a_2 − t) × a_2(1 − a_2) = (0.7153 − 0.25) × 0.2037 = 0.09476

Numbers are shown to 4 significant digits. Units are counted from 1. In a chain of one-unit
layers (seed 004) a unit is named by its layer, as the seed does (z_1, a_2); otherwise by its
place in the layer named in the title.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import losses
from .gradcheck import weight_label

if TYPE_CHECKING:
    from .network import Layer, Pass
    from .trainer import Trainer

MAX_UNITS = 6  # units written out per layer; the rest are summarised
MAX_TERMS = 4  # terms of a weighted sum written out
MAX_WEIGHTS = 8  # weight gradients and updates written out per layer

DERIVATIVE_TEXT = {"sigmoid": "{a}(1 − {a})", "tanh": "1 − {a}²", "relu": "[{z} > 0]",
                   "leaky_relu": "(1 if {z} > 0 else slope)", "linear": "1"}
# dE/da for the squared losses; {nk} is the number of elements averaged over.
LOSS_GRADIENT_TEXT = {"sse": "2({a} − {t})", "half_sse": "({a} − {t})",
                      "mse": "2({a} − {t})/{nk}", "half_mse": "({a} − {t})/{nk}"}


@dataclass(frozen=True)
class Caption:
    title: str
    lines: tuple[str, ...]


def fmt(value: float) -> str:
    """4 significant digits; NaN and infinity say what they are."""
    if math.isnan(value):
        return "NaN (not a number)"
    if math.isinf(value):
        return "+infinity" if value > 0 else "−infinity"
    text = f"{value:.4g}"
    return text if "e" in text else text.replace("-", "−")


def caption(trainer: Trainer, sample: int = 0) -> Caption:
    """The caption for the phase the trainer ran last, following training sample ``sample``."""
    phase = trainer.last_phase
    p = trainer.current_pass
    if phase is None or p is None:
        return Caption("Ready", ("Step a phase to begin: forward, loss, backward, clip, "
                                 "update.",))
    row, note = _row_of(p, sample)
    lines: list[str] = [note] if note else []
    if phase.kind == "forward":
        title, body = _forward(trainer, p, phase.layer, row)
    elif phase.kind == "loss":
        title, body = _loss(trainer, p, row)
    elif phase.kind == "backward":
        title, body = _backward(trainer, p, phase.layer, row)
    elif phase.kind == "clip":
        title, body = _clip(trainer)
    else:
        title, body = _update(trainer)
    return Caption(title, tuple(lines + body))


def _row_of(p: Pass, sample: int) -> tuple[int, str]:
    """Which row of the batch holds the followed sample (the first row if it is absent)."""
    n = p.x.shape[0]
    if p.indices is None:
        if 0 <= sample < n:
            return sample, ""
        return 0, f"(sample {sample + 1} is not in this batch; showing its first sample)"
    rows = np.flatnonzero(p.indices == sample)
    if rows.size:
        return int(rows[0]), ""
    return 0, (f"(sample {sample + 1} is not in this batch; showing sample "
               f"{int(p.indices[0]) + 1})")


def _chain(trainer: Trainer) -> bool:
    return all(layer.units == 1 for layer in trainer.network.layers)


def _unit(trainer: Trainer, layer: int, j: int) -> str:
    """The subscript naming unit j (0-based) of a layer."""
    return f"_{layer}" if _chain(trainer) else f"_{j + 1}"


def _weight(trainer: Trainer, layer: int, j: int, i: int) -> str:
    """w_ji, or w_l in a chain of one-unit layers as seed 004 names them."""
    return f"w_{layer}" if _chain(trainer) else weight_label(j, i)


def _bias(trainer: Trainer, layer: int, j: int) -> str:
    return f"b{_unit(trainer, layer, j)}"


def _input_name(trainer: Trainer, layer: int, i: int) -> str:
    if layer == 1:
        names = trainer.dataset.input_names
        return names[i] if i < len(names) and len(names[i]) <= 12 else f"x_{i + 1}"
    return f"a{_unit(trainer, layer - 1, i)}"


def _role(trainer: Trainer, layer: Layer) -> str:
    return "output" if layer.number == trainer.network.depth else "hidden"


def _batch_note(p: Pass) -> str:
    n = p.x.shape[0]
    return "" if n == 1 else f" (this sample; the batch has {n} samples)"


def _forward(trainer: Trainer, p: Pass, number: int, row: int) -> tuple[str, list[str]]:
    layer = trainer.network.layers[number - 1]
    kind = layer.activation.kind
    title = (f"Forward · layer {number} ({_role(trainer, layer)}, {kind}): "
             f"z = Σ w·a + b, then a = f(z)")
    lines = []
    a_prev = p.a[number - 1][row]
    for j in range(min(layer.units, MAX_UNITS)):
        u = _unit(trainer, number, j)
        terms = [f"{fmt(a_prev[i])}×{fmt(layer.W[j, i])}" for i in range(layer.fan_in)]
        if layer.fan_in > MAX_TERMS:
            terms = [f"Σ of {layer.fan_in} inputs × weights"]
        if layer.b is not None:
            terms.append(fmt(layer.b[j]))
        z, a = p.z[number][row, j], p.a[number][row, j]
        text = f"z{u} = {' + '.join(terms)} = {fmt(z)}"
        if kind == "softmax":
            text += f",  a{u} = e^z{u} / Σ e^z = {fmt(a)}"
        else:
            text += f",  a{u} = {kind}({fmt(z)}) = {fmt(p.h[number][row, j])}"
        if p.keep[number] is not None:
            keep = p.keep[number][row, j]
            text += ", dropped out" if keep == 0.0 else f", kept ×{fmt(keep)}"
        if layer.residual:
            text += f" + a_prev = {fmt(a)}"
        lines.append(text)
    if layer.units > MAX_UNITS:
        lines.append(f"… and {layer.units - MAX_UNITS} more units")
    if p.x.shape[0] > 1:
        lines.append(f"Shown for one sample; all {p.x.shape[0]} samples of the batch go "
                     f"through at once.")
    return title, lines


def _loss(trainer: Trainer, p: Pass, row: int) -> tuple[str, list[str]]:
    kind = trainer.experiment.loss
    title = f"Loss: {losses.formula(kind)}"
    depth = trainer.network.depth
    y, t = p.a[depth][row], p.t[row]
    lines = []
    for j in range(min(len(y), MAX_UNITS)):
        u = _unit(trainer, depth, j)
        lines.append(f"output a{u} = {fmt(y[j])}, target t = {fmt(t[j])}, "
                     f"error a{u} − t = {fmt(y[j] - t[j])}")
    n, k = p.t.shape
    if n == 1 and kind in ("sse", "half_sse") and k == 1:
        half = "1/2 " if kind == "half_sse" else ""
        lines.append(f"E = {half}({fmt(t[0])} − {fmt(y[0])})² = {fmt(p.loss)}")
    else:
        share = losses.per_sample(kind, p.a[depth], p.z[depth], p.t)[row]
        lines.append(f"E = {fmt(p.loss)} over the batch of {n}; this sample adds {fmt(share)}")
    if p.penalty:
        lines.append(f"penalty on the weights = {fmt(p.penalty)}, total {fmt(p.loss + p.penalty)}")
    if kind in LOSS_GRADIENT_TEXT:
        rule = LOSS_GRADIENT_TEXT[kind].format(a="a", t="t", nk="(n k)")
        lines.append(f"The error sent back: dE/da = {rule}")
    else:
        lines.append("The error sent back: dE/dz = (a − t) scaled, the loss and the output's "
                     "activation taken together")
    return title, lines


def _backward(trainer: Trainer, p: Pass, number: int, row: int) -> tuple[str, list[str]]:
    network = trainer.network
    layer = network.layers[number - 1]
    kind = layer.activation.kind
    title = (f"Backward · layer {number} ({_role(trainer, layer)}): "
             f"delta = dE/da × f'(z), then dE/dw_ji = delta_j × a_i")
    lines = []
    fused = number == network.depth and p.fused_delta is not None
    for j in range(min(layer.units, MAX_UNITS)):
        lines.append(_delta_line(trainer, p, layer, j, row, fused))
    lines += _gradient_lines(trainer, p, layer, row)
    if p.x.shape[0] > 1:
        lines.append(f"The gradients are the batch's: each is the sum of the {p.x.shape[0]} "
                     f"samples' products (the loss already divides by n where it is a mean).")
    return title, lines


def _delta_line(trainer: Trainer, p: Pass, layer: Layer, j: int, row: int,
                fused: bool) -> str:
    number = layer.number
    u = _unit(trainer, number, j)
    delta = p.delta[number][row, j]
    if fused:
        return (f"delta{u} = dE/dz{u} = (a{u} − t) scaled = ({fmt(p.a[number][row, j])} − "
                f"{fmt(p.t[row, j])}) scaled = {fmt(delta)}")
    z, a = p.z[number][row, j], p.h[number][row, j]
    fprime = p.fprime[number][row, j]
    derivative = DERIVATIVE_TEXT[layer.activation.kind].format(a=f"a{u}", z=f"z{u}")
    dE_da = p.dE_da[number][row, j]
    if number == trainer.network.depth:
        template = LOSS_GRADIENT_TEXT[trainer.experiment.loss]
        source = template.format(a=f"a{u}", t="t", nk="(n k)")
        numbers = template.format(a=fmt(p.a[number][row, j]), t=fmt(p.t[row, j]),
                                  nk=p.t.size)
        text = (f"delta{u} = dE/da{u} × f'(z{u}) = {source} × {derivative} = "
                f"{numbers} × {fmt(fprime)} = {fmt(delta)}")
    else:
        above = trainer.network.layers[number]
        k_terms = [f"{fmt(above.W[k, j])}×{fmt(p.delta[number + 1][row, k])}"
                   for k in range(above.units)]
        if above.units > MAX_TERMS:
            k_terms = [f"Σ of {above.units} weights × deltas"]
        residual = " + (skip path)" if above.residual else ""
        text = (f"delta{u} = (Σ_k w_k{j + 1} delta_k{residual}) × f'(z{u}) = "
                f"({' + '.join(k_terms)}{residual}) × {fmt(fprime)} = {fmt(dE_da)} × "
                f"{fmt(fprime)} = {fmt(delta)}")
    if p.keep[number] is not None:
        text += f"  (dropout keep factor {fmt(p.keep[number][row, j])} included)"
    return text


def _gradient_lines(trainer: Trainer, p: Pass, layer: Layer, row: int) -> list[str]:
    number = layer.number
    lines = []
    a_prev = p.a[number - 1]
    batch = p.x.shape[0] > 1
    shown = 0
    for j in range(layer.units):
        for i in range(layer.fan_in):
            if shown == MAX_WEIGHTS:
                lines.append(f"… and {layer.units * layer.fan_in - shown} more weights")
                break
            delta, a_i = p.delta[number][row, j], a_prev[row, i]
            text = (f"dE/d{_weight(trainer, number, j, i)} = delta{_unit(trainer, number, j)} "
                    f"× {_input_name(trainer, number, i)} = {fmt(delta)} × {fmt(a_i)} = "
                    f"{fmt(delta * a_i)}")
            total = layer.dW[j, i]
            if batch or trainer.l1 or trainer.l2:
                text += f";  batch{' + penalty' if trainer.l1 or trainer.l2 else ''}: " \
                        f"{fmt(total)}"
            lines.append(text)
            shown += 1
        if shown == MAX_WEIGHTS:
            break
    if layer.b is not None:
        for j in range(min(layer.units, MAX_UNITS)):
            text = (f"dE/d{_bias(trainer, number, j)} = delta{_unit(trainer, number, j)} = "
                    f"{fmt(p.delta[number][row, j])}")
            if batch:
                text += f";  batch: {fmt(layer.db[j])}"
            lines.append(text + ("" if layer.train_bias else " (frozen: not updated)"))
    return lines


def _clip(trainer: Trainer) -> tuple[str, list[str]]:
    result = trainer.last_clip
    spec = trainer.experiment.clipping
    norms = ", ".join(fmt(v) for v in trainer._layer_norms)
    lines = [f"gradient norm ||g|| = √(Σ g²) = {fmt(result.norm_before)}  "
             f"(per layer: {norms})"]
    if spec.kind == "none":
        lines.append("Clipping is off: the gradients go to the optimizer unchanged.")
    elif not result.clipped:
        lines.append(f"{spec.kind} clipping at {fmt(spec.threshold)}: not needed this time.")
    elif spec.kind == "global_norm":
        factor = result.norm_after / result.norm_before
        lines.append(f"||g|| > {fmt(spec.threshold)}: every gradient × {fmt(spec.threshold)} / "
                     f"{fmt(result.norm_before)} = × {fmt(factor)}; new norm "
                     f"{fmt(result.norm_after)}")
    else:
        layers = ", ".join(str(l) for l in result.layers)
        lines.append(f"{spec.kind} clipping at {fmt(spec.threshold)} changed layers {layers}; "
                     f"new norm {fmt(result.norm_after)}")
    return "Clip: measure the gradient, limit it if it is too large", lines


def _update(trainer: Trainer) -> tuple[str, list[str]]:
    spec = trainer.experiment.optimizer
    lr = trainer.learning_rate
    network = trainer.network
    update, grad = trainer.last_update, network.trainable_grad
    rule = {"sgd": "w ← w − lr × dE/dw" if not spec.momentum else
            f"dw = −lr × dE/dw + {fmt(spec.momentum)} × dw(previous);  w ← w + dw",
            "rmsprop": "v ← ρ v + (1 − ρ) g²;  w ← w − lr × g / (√v + ε)",
            "adam": "m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;  "
                    "w ← w − lr × m̂ / (√v̂ + ε)"}[spec.kind]
    lines = [f"learning rate {fmt(lr)}: {rule}"]
    shown = 0
    for layer in network.layers:
        for j in range(layer.units):
            for i in range(layer.fan_in):
                if shown == MAX_WEIGHTS:
                    break
                index = layer.segment.start + j * layer.fan_in + i
                lines.append(_update_line(trainer, _layer_prefix(trainer, layer)
                                          + _weight(trainer, layer.number, j, i), index, lr,
                                          update, grad))
                shown += 1
        if layer.train_bias:
            for j in range(min(layer.units, 2)):
                if shown == MAX_WEIGHTS:
                    break
                lines.append(_update_line(trainer, _layer_prefix(trainer, layer)
                                          + _bias(trainer, layer.number, j),
                                          layer.bias_start + j, lr, update, grad))
                shown += 1
    remaining = network.n_trainable - shown
    if remaining > 0:
        lines.append(f"… and {remaining} more parameters, all at once")
    return "Update: every weight takes its step", lines


def _layer_prefix(trainer: Trainer, layer: Layer) -> str:
    return "" if _chain(trainer) else f"layer {layer.number} "


def _update_line(trainer: Trainer, name: str, index: int, lr: float, update: np.ndarray,
                 grad: np.ndarray) -> str:
    new = trainer.network.theta[index]
    dw = update[index]
    old = new - dw
    if trainer.experiment.optimizer.kind == "sgd" and not trainer.experiment.optimizer.momentum:
        return (f"{name} = {fmt(old)} − {fmt(lr)} × {fmt(grad[index])} = {fmt(new)}")
    return f"{name} = {fmt(old)} + ({fmt(dw)}) = {fmt(new)}"
