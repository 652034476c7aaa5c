"""The recurrent network unrolled in time, as numbers the app draws (gui.unrolled_canvas).

One column per time step t = 1..T: the inputs xₜ, the hidden state hₜ (and the LSTM's cell
state cₜ with its forget gate fₜ), the recurrent weights W_hh as the edges from column t − 1 to
column t, and the output layer on h_T. A weight is shared by every step; its edge at step t
shows the share of its gradient that step contributes: for W_hh that is dE/daₜᵀ hₜ₋₁, so the
edges fade going back in time exactly as the gradient vanishes. For the LSTM an edge stands
for the four weights of the gates i, f, g, o between the same two units: it shows the root of
the sum of their four squares.

The followed sample's values fill the nodes; the edges and ``time_grad_norms`` are the whole
batch's. Large networks keep only what the app can draw: per-edge gradients for at most
MAX_DRAWN_UNITS hidden units and MAX_DRAWN_STEPS steps, per-step norms always (the canvas then
draws one column a step, its edges one arrow).

A click-through (``walk``) goes forward along time, to the loss, backward through time, then
the clip and the update; ``sim.recurrent_explain.step_captions`` has one caption per point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import palette
from .recurrent import RecurrentPass
from .recurrent_explain import followed
from .recurrent_trainer import RecurrentSnapshot

MAX_DRAWN_UNITS = 16
MAX_DRAWN_STEPS = 60


@dataclass(frozen=True)
class WalkPoint:
    """Where a click-through stands: "batch", "forward" t, "loss", "backward" t, "clip" or
    "update"."""

    kind: str
    time: int | None = None

    def forward_reached(self, t: int, steps: int) -> bool:
        """Whether the forward pass has computed time step t here."""
        if self.kind == "batch":
            return False
        if self.kind == "forward":
            return self.time is not None and t <= self.time
        return t <= steps

    def backward_reached(self, t: int) -> bool:
        """Whether the backward pass has reached time step t here (it runs from T down)."""
        if self.kind == "backward":
            return self.time is not None and t >= self.time
        return self.kind in ("clip", "update")

    def label(self, steps: int) -> str:
        if self.kind == "forward":
            return f"forward, t = {self.time} of {steps}"
        if self.kind == "backward":
            return f"backward through time, t = {self.time} of {steps}"
        return {"batch": "the batch", "loss": "the loss", "clip": "clip",
                "update": "update"}[self.kind]


def walk(steps: int) -> list[WalkPoint]:
    """The points of one step's click-through, in the order of its captions."""
    return ([WalkPoint("batch")] + [WalkPoint("forward", t) for t in range(1, steps + 1)]
            + [WalkPoint("loss")] + [WalkPoint("backward", t) for t in range(steps, 0, -1)]
            + [WalkPoint("clip"), WalkPoint("update")])


@dataclass(frozen=True)
class UnrolledPicture:
    """Everything the unrolled canvas draws of one step (arrays indexed by time t = 0..T;
    entry 0 is the initial state, zeros)."""

    cell: str
    steps: int
    hidden: int
    inputs: int
    outputs: int
    sample: int  # the followed sample's number in the training set, from 0
    x: np.ndarray  # (T + 1, I), row 0 zeros
    h: np.ndarray  # (T + 1, H)
    c: np.ndarray | None  # (T + 1, H), LSTM
    forget: np.ndarray | None  # (T + 1, H): fₜ of the LSTM, row 0 NaN
    y: np.ndarray  # (K,)
    target: np.ndarray  # (K,)
    dh: np.ndarray  # (T + 1, H): the followed sample's dE/dhₜ
    recurrent_gradients: np.ndarray | None  # (T + 1, H, H): step t's share of |dE/dW_hh|
    input_gradients: np.ndarray | None  # (T + 1, H, I): step t's share of |dE/dW_ih|
    recurrent_norms: np.ndarray  # (T + 1,): the norm of step t's share of dE/dW_hh
    output_gradients: np.ndarray  # (K, H): dE/dW_out
    time_grad_norms: np.ndarray  # (T,): ‖dE/dhₜ‖ over the batch, t = 1..T
    cell_grad_norms: np.ndarray  # (T,): ‖dE/dcₜ‖ (LSTM), else empty
    scale: palette.Scale  # the gradient colours' log scale, over every edge drawn

    @property
    def detailed(self) -> bool:
        """Whether every unit and edge is drawn (else one column a step)."""
        return self.recurrent_gradients is not None


def unrolled_picture(snapshot: RecurrentSnapshot, sample: int | None = None) -> \
        UnrolledPicture | None:
    """The picture of the snapshot's last step (None before the first)."""
    p = snapshot.last_pass
    if p is None:
        return None
    row = followed(snapshot, sample)
    steps, hidden = p.steps, snapshot.hidden
    lstm = snapshot.cell == "lstm"
    inputs = p.x.shape[2]
    x = np.vstack([np.zeros((1, inputs)), p.x[row]])
    h = np.stack([state[row] for state in p.h])
    c = np.stack([state[row] for state in p.c]) if lstm else None
    forget = None
    if lstm:
        forget = np.full((steps + 1, hidden), math.nan)
        for t in range(1, steps + 1):
            gates = p.gates[t]
            if gates is not None:
                forget[t] = gates["f"][row]
    dh = np.zeros((steps + 1, hidden))
    for t in range(1, steps + 1):
        value = p.dh[t]
        if value is not None:
            dh[t] = value[row]
    detailed = hidden <= MAX_DRAWN_UNITS and steps <= MAX_DRAWN_STEPS
    recurrent_norms, recurrent, input_shares = _shares(p, hidden, detailed)
    output_gradients = np.abs(p.delta.T @ p.h[steps])
    drawn = [output_gradients, recurrent_norms, *recurrent, *input_shares]
    return UnrolledPicture(
        cell=snapshot.cell, steps=steps, hidden=hidden, inputs=inputs, outputs=p.y.shape[1],
        sample=row if p.indices is None else int(p.indices[row]),
        x=x, h=h, c=c, forget=forget, y=p.y[row].copy(), target=p.t[row].copy(), dh=dh,
        recurrent_gradients=np.stack(recurrent) if detailed else None,
        input_gradients=np.stack(input_shares) if detailed else None,
        recurrent_norms=recurrent_norms, output_gradients=output_gradients,
        time_grad_norms=p.time_grad_norms.copy(), cell_grad_norms=p.cell_grad_norms.copy(),
        scale=palette.scale_for("gradient", drawn))


def _shares(p: RecurrentPass, hidden: int, keep: bool) -> \
        tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """The norm of each step's share of dE/dW_hh, and if ``keep`` each step's share of
    |dE/dW_hh| (H, H) and |dE/dW_ih| (H, I), the gates combined by the root of the sum of
    squares; step 0 is zeros."""
    norms = np.zeros(p.steps + 1)
    recurrent = [np.zeros((hidden, hidden))] if keep else []
    inputs = [np.zeros((hidden, p.x.shape[2]))] if keep else []
    for t in range(1, p.steps + 1):
        da = p.da[t]
        assert da is not None
        gates = da.shape[1] // hidden
        share = (da.T @ p.h[t - 1]).reshape(gates, hidden, hidden)
        norms[t] = math.sqrt(float(np.sum(share * share)))
        if keep:
            recurrent.append(np.sqrt(np.sum(share * share, axis=0)))
            from_input = (da.T @ p.x[:, t - 1]).reshape(gates, hidden, -1)
            inputs.append(np.sqrt(np.sum(from_input * from_input, axis=0)))
    return norms, recurrent, inputs
