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
from .activations import ACTIVATIONS
from .address import weight_label

if TYPE_CHECKING:
    from .snapshot import LayerSnapshot, Snapshot

MAX_UNITS = 6  # units written out per layer; the rest are summarised
MAX_TERMS = 4  # terms of a weighted sum written out
MAX_WEIGHTS = 8  # weight gradients and updates written out per layer



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
    if value == 0.0:
        return "0"  # never "−0"
    text = f"{value:.4g}"
    return text if "e" in text else text.replace("-", "−")


def exact(value: float) -> str:
    """Every digit (the shortest text that reads back as the same float); NaN and infinity
    say what they are, as in fmt."""
    return repr(float(value)) if math.isfinite(value) else fmt(value)


def factor(value: float) -> str:
    """A number as a factor of a product: negative ones in parentheses."""
    return f"({fmt(value)})" if value < 0.0 else fmt(value)


def caption(s: Snapshot, sample: int = 0) -> Caption:
    """The caption for the phase the snapshot's trainer ran last, following one sample."""
    phase = s.last_phase
    if phase is None or s.x is None:
        return Caption("Ready", ("Step a phase to begin: forward, loss, backward, clip, "
                                 "update.",))
    stop = s.stop_event
    if stop is not None and stop.kind == "diverged":  # its numbers were never applied
        return Caption("Training diverged", (
            stop.message,
            "That iteration was abandoned, so none of its numbers is shown as an equation.",))
    row, note = _row_of(s, sample)
    lines: list[str] = [note] if note else []
    if phase.layer is not None:  # forward or backward through one layer
        through = _forward if phase.kind == "forward" else _backward
        title, body = through(s, phase.layer, row)
    elif phase.kind == "loss":
        title, body = _loss(s, row)
    elif phase.kind == "clip":
        title, body = _clip(s)
    else:
        title, body = _update(s)
    return Caption(title, tuple(lines + body))


def _row_of(s: Snapshot, sample: int) -> tuple[int, str]:
    """Which row of the batch holds the followed sample (the first row if it is absent)."""
    n = s.batch()[0].shape[0]
    if s.indices is None:
        if 0 <= sample < n:
            return sample, ""
        return 0, f"(sample {sample + 1} is not in this batch; showing its first sample)"
    rows = np.flatnonzero(s.indices == sample)
    if rows.size:
        return int(rows[0]), ""
    return 0, (f"(sample {sample + 1} is not in this batch; showing sample "
               f"{int(s.indices[0]) + 1})")


def _chain(s: Snapshot) -> bool:
    return all(layer.units == 1 for layer in s.layers)


def _unit(s: Snapshot, layer: int, j: int) -> str:
    """The subscript naming unit j (0-based) of a layer."""
    return f"_{layer}" if _chain(s) else f"_{j + 1}"


def _weight(s: Snapshot, layer: int, j: int, i: int) -> str:
    """w_ji, or w_l in a chain of one-unit layers as seed 004 names them."""
    return f"w_{layer}" if _chain(s) else weight_label(j, i)


def _bias(s: Snapshot, layer: int, j: int) -> str:
    return f"b{_unit(s, layer, j)}"


def _input_name(s: Snapshot, layer: int, i: int) -> str:
    if layer == 1:
        names = s.input_names
        return names[i] if i < len(names) and len(names[i]) <= 12 else f"x_{i + 1}"
    return f"a{_unit(s, layer - 1, i)}"


def _role(s: Snapshot, layer: LayerSnapshot) -> str:
    return "output" if layer.number == s.depth else "hidden"


def _forward(s: Snapshot, number: int, row: int) -> tuple[str, list[str]]:
    layer = s.layers[number - 1]
    kind = layer.activation
    W, b = s.weights_in_pass(number)
    title = (f"Forward · layer {number} ({_role(s, layer)}, {kind}): "
             f"z = Σ w·a + b, then a = f(z)")
    lines = []
    a_prev = s.computed("a", number - 1)[row]
    z_row, h_row, a_row = (layer.computed("z")[row], layer.computed("h")[row],
                           layer.computed("a")[row])
    for j in range(min(layer.units, MAX_UNITS)):
        u = _unit(s, number, j)
        terms = [f"{factor(a_prev[i])}×{factor(W[j, i])}" for i in range(layer.fan_in)]
        if layer.fan_in > MAX_TERMS:
            terms = [f"Σ of {layer.fan_in} inputs × weights"]
        if b is not None:
            terms.append(fmt(b[j]))
        z, a = z_row[j], a_row[j]
        text = f"z{u} = {' + '.join(terms)} = {fmt(z)}"
        if kind == "softmax":
            text += f",  a{u} = e^z{u} / Σ e^z = {fmt(a)}"
        else:
            text += f",  a{u} = {kind}({fmt(z)}) = {fmt(h_row[j])}"
        if layer.keep is not None:
            keep = layer.keep[row, j]
            text += ", dropped out" if keep == 0.0 else f", kept ×{fmt(keep)}"
        if layer.residual:
            text += f" + a_prev = {fmt(a)}"
        lines.append(text)
    if layer.units > MAX_UNITS:
        lines.append(f"… and {layer.units - MAX_UNITS} more units")
    samples = s.batch()[0].shape[0]
    if samples > 1:
        lines.append(f"Shown for one sample; all {samples} samples of the batch go "
                     f"through at once.")
    return title, lines


def _loss(s: Snapshot, row: int) -> tuple[str, list[str]]:
    kind = s.experiment.loss
    loss = losses.named(kind)
    title = f"Loss: {loss.formula}"
    out = s.layers[-1]
    targets = s.batch()[1]
    value = s.loss
    assert value is not None  # the loss phase, which this caption explains, set it
    y, t = out.computed("a")[row], targets[row]
    lines = []
    for j in range(min(len(y), MAX_UNITS)):
        u = _unit(s, s.depth, j)
        lines.append(f"output a{u} = {fmt(y[j])}, target t = {fmt(t[j])}, "
                     f"error a{u} − t = {fmt(y[j] - t[j])}")
    n, k = targets.shape
    if n == 1 and kind in ("sse", "half_sse") and k == 1:
        half = "1/2 " if kind == "half_sse" else ""
        lines.append(f"E = {half}({fmt(t[0])} − {fmt(y[0])})² = {fmt(value)}")
    else:
        share = loss.per_sample(out.computed("a"), out.computed("z"), targets)[row]
        lines.append(f"E = {fmt(value)} over the batch of {n}; this sample adds {fmt(share)}")
    if s.penalty:
        lines.append(f"penalty on the weights = {fmt(s.penalty)}, total "
                     f"{fmt(value + s.penalty)}")
    if loss.gradient_text is not None:
        rule = loss.gradient_text.format(a="a", t="t", nk="(n k)")
        lines.append(f"The error sent back: dE/da = {rule}")
    else:
        lines.append("The error sent back: dE/dz = (a − t) scaled, the loss and the output's "
                     "activation taken together")
    return title, lines


def _backward(s: Snapshot, number: int, row: int) -> tuple[str, list[str]]:
    layer = s.layers[number - 1]
    title = (f"Backward · layer {number} ({_role(s, layer)}): "
             f"delta = dE/da × f'(z), then dE/dw_ji = delta_j × a_i")
    fused = number == s.depth and s.fused_delta
    lines = [_delta_line(s, layer, j, row, fused) for j in range(min(layer.units, MAX_UNITS))]
    lines += _gradient_lines(s, layer, row)
    samples = s.batch()[0].shape[0]
    if samples > 1:
        lines.append(f"The gradients are the batch's: each is the sum of the {samples} "
                     f"samples' products (the loss already divides by n where it is a mean).")
    return title, lines


def _delta_line(s: Snapshot, layer: LayerSnapshot, j: int, row: int, fused: bool) -> str:
    number = layer.number
    u = _unit(s, number, j)
    targets = s.batch()[1]
    delta = layer.computed("delta")[row, j]
    if fused:
        return (f"delta{u} = dE/dz{u} = (a{u} − t) scaled = ({fmt(layer.computed('a')[row, j])}"
                f" − {fmt(targets[row, j])}) scaled = {fmt(delta)}")
    fprime = layer.computed("fprime")[row, j]
    derivative_text = ACTIVATIONS[layer.activation].derivative_text
    assert derivative_text is not None  # not fused, so elementwise: softmax is always fused
    derivative = derivative_text.format(a=f"a{u}", z=f"z{u}")
    dE_da = layer.computed("dE_da")[row, j]
    if number == s.depth:
        template = losses.named(s.experiment.loss).gradient_text
        assert template is not None  # not fused: the loss sends dE/da, whose text it has
        source = template.format(a=f"a{u}", t="t", nk="(n k)")
        numbers = template.format(a=fmt(layer.computed("a")[row, j]), t=fmt(targets[row, j]),
                                  nk=targets.size)
        text = (f"delta{u} = dE/da{u} × f'(z{u}) = {source} × {derivative} = "
                f"{numbers} × {factor(fprime)} = {fmt(delta)}")
    else:
        above = s.layers[number]
        W_above, _ = s.weights_in_pass(number + 1)
        delta_above = above.computed("delta")[row]
        k_terms = [f"{factor(W_above[k, j])}×{factor(delta_above[k])}"
                   for k in range(above.units)]
        if above.units > MAX_TERMS:
            k_terms = [f"Σ of {above.units} weights × deltas"]
        residual = " + (skip path)" if above.residual else ""
        text = (f"delta{u} = (Σ_k w_k{j + 1} delta_k{residual}) × f'(z{u}) = "
                f"({' + '.join(k_terms)}{residual}) × {factor(fprime)} = {factor(dE_da)} × "
                f"{factor(fprime)} = {fmt(delta)}")
    if layer.keep is not None:
        text += f"  (dropout keep factor {fmt(layer.keep[row, j])} included)"
    return text


def _gradient_lines(s: Snapshot, layer: LayerSnapshot, row: int) -> list[str]:
    number = layer.number
    lines = []
    a_prev = s.computed("a", number - 1)
    deltas = layer.computed("delta")
    batch = s.batch()[0].shape[0] > 1
    regularization = s.experiment.regularization
    penalised = bool(regularization.l1 or regularization.l2)
    shown = 0
    for j in range(layer.units):
        for i in range(layer.fan_in):
            if shown == MAX_WEIGHTS:
                lines.append(f"… and {layer.units * layer.fan_in - shown} more weights")
                break
            delta, a_i = deltas[row, j], a_prev[row, i]
            text = (f"dE/d{_weight(s, number, j, i)} = delta{_unit(s, number, j)} "
                    f"× {_input_name(s, number, i)} = {factor(delta)} × {factor(a_i)} = "
                    f"{fmt(delta * a_i)}")
            if batch or penalised:
                text += f";  batch{' + penalty' if penalised else ''}: {fmt(layer.dW[j, i])}"
            lines.append(text)
            shown += 1
        if shown == MAX_WEIGHTS:
            break
    db = layer.db
    if db is not None:  # the layer has a bias
        for j in range(min(layer.units, MAX_UNITS)):
            text = (f"dE/d{_bias(s, number, j)} = delta{_unit(s, number, j)} = "
                    f"{fmt(deltas[row, j])}")
            if batch:
                text += f";  batch: {fmt(db[j])}"
            lines.append(text + ("" if layer.train_bias else " (frozen: not updated)"))
    return lines


def _clip(s: Snapshot) -> tuple[str, list[str]]:
    spec = s.experiment.clipping
    norms = ", ".join(fmt(layer.grad_norm) for layer in s.layers)
    lines = [f"gradient norm ||g|| = √(Σ g²) = {fmt(s.clip_norm_before)}  "
             f"(per layer: {norms})"]
    if spec.kind == "none":
        lines.append("Clipping is off: the gradients go to the optimizer unchanged.")
    elif not s.clipped:
        lines.append(f"{spec.kind} clipping at {fmt(spec.threshold)}: not needed this time.")
    elif spec.kind == "global_norm":
        factor = s.clip_norm_after / s.clip_norm_before
        lines.append(f"||g|| > {fmt(spec.threshold)}: every gradient × {fmt(spec.threshold)} / "
                     f"{fmt(s.clip_norm_before)} = × {fmt(factor)}; new norm "
                     f"{fmt(s.clip_norm_after)}")
    else:
        lines.append(f"{spec.kind} clipping at {fmt(spec.threshold)} limited the gradient; "
                     f"new norm {fmt(s.clip_norm_after)}")
    return "Clip: measure the gradient, limit it if it is too large", lines


def _update(s: Snapshot) -> tuple[str, list[str]]:
    spec = s.experiment.optimizer
    rule = {"sgd": "w ← w − lr × dE/dw" if not spec.momentum else
            f"dw = −lr × dE/dw + {fmt(spec.momentum)} × dw(previous);  w ← w + dw",
            "rmsprop": "v ← ρ v + (1 − ρ) g²;  w ← w − lr × g / (√v + ε)",
            "adam": "m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;  "
                    "w ← w − lr × m̂ / (√v̂ + ε)"}[spec.kind]
    lines = [f"learning rate {fmt(s.learning_rate)}: {rule}"]
    plain = spec.kind == "sgd" and not spec.momentum
    shown = total = 0
    for layer in s.layers:
        prefix = "" if _chain(s) else f"layer {layer.number} "
        entries = [(_weight(s, layer.number, j, i), layer.W[j, i], layer.update_W[j, i],
                    layer.dW_clipped[j, i]) for j in range(layer.units)
                   for i in range(layer.fan_in)]
        if layer.train_bias:
            b, update_b, db_clipped = layer.b, layer.update_b, layer.db_clipped
            assert b is not None and update_b is not None and db_clipped is not None  # trained
            entries += [(_bias(s, layer.number, j), b[j], update_b[j], db_clipped[j])
                        for j in range(layer.units)]
        total += len(entries)
        for name, new, dw, g in entries[:max(0, MAX_WEIGHTS - shown)]:
            old = new - dw
            if plain:
                lines.append(f"{prefix}{name} = {fmt(old)} − {fmt(s.learning_rate)} × "
                             f"{factor(g)} = {fmt(new)}")
            else:
                lines.append(f"{prefix}{name} = {fmt(old)} + ({fmt(dw)}) = {fmt(new)}")
            shown += 1
    if total > shown:
        lines.append(f"… and {total - shown} more parameters, all at once")
    return "Update: every weight takes its step", lines
