"""Captions of one recurrent step, phase by phase: forward along time, the loss, backward
through time, the clip and the update, each with the followed sample's numbers.

Backward through time each caption says how the gradient reaches the step before: for the
Elman cell through W_hh and f′(aₜ) (a product of T − t such factors, which vanishes or
explodes); for the LSTM also along the cell state, where ∂cₜ/∂cₜ₋₁ = fₜ = sigmoid(a_f) is
written out with its numbers (a forget gate near 1 lets the gradient through unchanged).
"""

from __future__ import annotations

import math

import numpy as np

from .explain import Caption, telling_row
from .notation import number, units_mark
from .recurrent_trainer import RecurrentSnapshot

SHOWN = 6  # numbers of a vector written out; the rest are counted


def step_mark(t: int) -> str:
    """Time step t (counted from 1) as a subscript, in the digits the units' names use
    (sim.notation): h₂₃."""
    return units_mark(t - 1)


def vector(values: np.ndarray, digits: int = 4) -> str:
    """A short vector as "[0.1, −0.2, …]"; beyond SHOWN numbers, how many are left out."""
    shown = ", ".join(number(float(v), digits) for v in values[:SHOWN])
    more = f", … {len(values) - SHOWN} more" if len(values) > SHOWN else ""
    return f"[{shown}{more}]"


def followed(snapshot: RecurrentSnapshot, sample: int | None) -> int:
    """The batch row whose numbers the captions show: the sample asked for if it is in the
    batch, else the batch's telling row (its first sample without all-zero inputs)."""
    p = snapshot.last_pass
    assert p is not None
    if sample is not None:
        if p.indices is None:
            return sample
        rows = np.flatnonzero(p.indices == sample)
        if rows.size:
            return int(rows[0])
    return telling_row(p.x.reshape(p.x.shape[0], -1))


def step_captions(snapshot: RecurrentSnapshot, sample: int | None = None) -> list[Caption]:
    """Every phase of the snapshot's last step, in order."""
    p = snapshot.last_pass
    if p is None:
        return []
    row = followed(snapshot, sample)
    steps = p.steps
    lstm = snapshot.cell == "lstm"
    number_in_set = row if p.indices is None else int(p.indices[row])
    captions = [Caption(f"Step {snapshot.step}: a batch of {p.x.shape[0]} sequences of {steps} "
                        f"time steps", (f"The captions follow sample {number_in_set + 1}; the "
                                        "gradients are the whole batch's.",))]
    captions.extend(_forward(snapshot, row, t, lstm) for t in range(1, steps + 1))
    captions.append(Caption("Loss", (
        f"z = W_out h{step_mark(steps)} + b_out = {vector(p.z[row])}, "
        f"y = f(z) = {vector(p.y[row])}, target {vector(p.t[row])}",
        f"E = {number(p.loss if p.loss is not None else math.nan, 6)} over the batch"
        + (f" (penalty {number(p.penalty, 4)} included)" if p.penalty else ""))))
    captions.extend(_backward(snapshot, row, t, lstm) for t in range(steps, 0, -1))
    captions.extend(_clip_and_update(snapshot))
    return captions


def _forward(snapshot: RecurrentSnapshot, row: int, t: int, lstm: bool) -> Caption:
    p = snapshot.last_pass
    assert p is not None
    now, before = step_mark(t), step_mark(t - 1)
    lines = [f"x{now} = {vector(p.x[row, t - 1])}"]
    gates = p.gates[t]
    if lstm and gates is not None:
        lines += [f"{name}{now} = {vector(gates[name][row])}" for name in ("i", "f", "g", "o")]
        lines.append(f"c{now} = f{now} · c{before} + i{now} · g{now} = {vector(p.c[t][row])}")
        lines.append(f"h{now} = o{now} · tanh(c{now}) = {vector(p.h[t][row])}")
    else:
        a = p.a[t]
        assert a is not None
        lines.append(f"a{now} = W_ih x{now} + W_hh h{before} + b = {vector(a[row])}")
        lines.append(f"h{now} = f(a{now}) = {vector(p.h[t][row])}")
    return Caption(f"Forward, time step {t} of {p.steps}", tuple(lines))


def _backward(snapshot: RecurrentSnapshot, row: int, t: int, lstm: bool) -> Caption:
    p = snapshot.last_pass
    assert p is not None
    dh = p.dh[t]
    assert dh is not None
    now, before, after = step_mark(t), step_mark(t - 1), step_mark(t + 1)
    norms = p.time_grad_norms
    last = norms[-1]
    ratio = f" ({number(norms[t - 1] / last, 3)} × its size at t = {p.steps})" \
        if last > 0.0 and t < p.steps else ""
    lines = [f"∂E/∂h{now} (total, through every later step) = {vector(dh[row])}",
             f"‖∂E/∂h{now}‖ over the batch = {number(norms[t - 1], 4)}{ratio}"]
    gates = p.gates[t]
    dc = p.dc[t]
    if lstm and gates is not None and dc is not None:
        own = f"∂E/∂c{now} = ∂E/∂h{now} · o{now} · (1 − tanh²(c{now}))"
        lines.append(f"{own} + ∂E/∂c{after} · f{after} = {vector(dc[row])}" if t < p.steps
                     else f"{own} = {vector(dc[row])}")
        if t > 1:
            lines.append(f"∂c{now}/∂c{before} = f{now} = sigmoid(a_f) = "
                         f"{vector(gates['f'][row])}: the cell state hands ∂E/∂c{now} · f{now} = "
                         f"{vector(dc[row] * gates['f'][row])} back to step {t - 1}; a forget "
                         "gate near 1 passes it on undiminished")
    elif t > 1:
        lines.append(f"∂E/∂h{before} gets (∂E/∂h{now} · f′(a{now})) W_hh: one more factor of "
                     "W_hh and f′ ≤ 1 for every step back")
    return Caption(f"Backward through time, time step {t} of {p.steps}", tuple(lines))


def _clip_and_update(snapshot: RecurrentSnapshot) -> list[Caption]:
    record = snapshot.record
    if record is None:
        return []
    clip = (f"‖∇E‖ = {number(record.grad_norm, 4)}: scaled down to the threshold"
            if record.clipped else f"‖∇E‖ = {number(record.grad_norm, 4)}: not clipped")
    update = float(np.sqrt(np.dot(snapshot.update, snapshot.update)))
    return [Caption("Clip", (clip,)),
            Caption("Update", (f"learning rate {number(record.learning_rate, 4)}; every weight "
                               f"moves, ‖Δw‖ = {number(update, 4)}",))]
