"""Captions: what the phase that just ran did, in words, with this iteration's numbers.

Written the way seed 004 works its example by hand, every quantity named as `sim.notation`
names it (its layer always shown), for example::

    δ⁽²⁾₁ = ∂E/∂a⁽²⁾₁ × f′(z⁽²⁾₁) = (a⁽²⁾₁ − t₁) × a⁽²⁾₁(1 − a⁽²⁾₁)
          = (0.7153 − 0.25) × 0.2037 = 0.09476      (on one line in the caption)

The form is a promise the tests check: a caption line holds one or more statements separated by
"; ". A statement that begins with a name and " = " is an equation and ends in "= value", the
value that name has in this iteration; no other statement begins that way. A parameter's new
value is written with "←" (w⁽¹⁾₁₁ ← 0.2 − 0.5 × 0.1 = 0.15), since the name then takes a new one.
So within one iteration no name is given two values.

Units' values (x, z, a, δ, t, ∂E/∂a) are those of one sample of the batch, the followed one;
a parameter's gradient ∂E/∂w is the batch's: the sum over its samples of δ × a, each sample's
term written out for batches of up to notation.MAX_LISTED_SAMPLES. Numbers are shown to 4
significant digits, with one minus sign. A layer with batch normalisation also gets its batch's
μ and σ², ẑ and z̃ = γ ẑ + β forward, and δ through them backward (sim.batch_norm_text).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import batch_norm_text, losses
from . import notation as name
from .activations import ACTIVATIONS
from .notation import factor, number
from .stopping import restored_step

if TYPE_CHECKING:
    from .optimizers import OptimizerSpec
    from .snapshot import LayerSnapshot, Snapshot

MAX_UNITS = 6  # units written out per layer; the rest are summarised
MAX_TERMS = 4  # terms of a weighted sum written out
MAX_WEIGHTS = 8  # weight gradients and updates written out per layer
FOLLOW_WINDOW = 64  # the automatic choice of the followed sample looks at this many rows
SEPARATOR = "; "  # between the statements of one caption line


@dataclass(frozen=True)
class Caption:
    title: str
    lines: tuple[str, ...]


# ---------------------------------------------------------------------------- the followed sample

def telling_row(x: np.ndarray) -> int:
    """The row of a batch the captions follow unless told otherwise: of its first
    FOLLOW_WINDOW rows, the first with the fewest inputs equal to 0.

    An input of 0 makes every term δ × x of its weights' gradients 0, so a sample full of
    zeros (XOR's (0, 0)) explains nothing about the first layer; this one explains the most.
    """
    zeros = np.count_nonzero(x[:FOLLOW_WINDOW] == 0.0, axis=1)
    return int(np.argmin(zeros))  # the first of the smallest


def followed_row(s: Snapshot, sample: int | None) -> tuple[int, str]:
    """The batch row holding the followed sample, and a note when it is not the one asked for.

    ``sample`` counts training samples from 0; None follows the batch's telling row. A sample
    the batch does not hold is replaced by the telling row, and the note says so.
    """
    x = s.batch()[0]
    if sample is None:
        return telling_row(x), ""
    if s.indices is None:
        if 0 <= sample < x.shape[0]:
            return sample, ""
    else:
        rows = np.flatnonzero(s.indices == sample)
        if rows.size:
            return int(rows[0]), ""
    row = telling_row(x)
    return row, (f"(sample {sample + 1} is not in this batch; following sample "
                 f"{sample_number(s, row) + 1} instead)")


def sample_number(s: Snapshot, row: int) -> int:
    """The training sample (counted from 0) in a row of the snapshot's batch."""
    return row if s.indices is None else int(s.indices[row])


def following(s: Snapshot, sample: int | None) -> str:
    """Which numbers are whose: the followed sample's (units) and the batch's (gradients)."""
    row, _ = followed_row(s, sample)
    n = s.batch()[0].shape[0]
    shown = _sample_values(s, row)
    augmented = " Its inputs are this epoch's augmented version of the sample (data.augment), " \
        "not the point the data holds." if s.experiment.data.augment.changes_inputs else ""
    if n == 1:
        return (f"The batch is one sample, sample {sample_number(s, row) + 1} ({shown}): "
                f"nodes, edges and captions all show its numbers.{augmented}")
    combine = "mean" if losses.named(s.experiment.loss).mean else "sum"
    return (f"Batch of {n} samples. Nodes and the captions' x, z, a, δ follow sample "
            f"{sample_number(s, row) + 1} ({shown}); the gradients ∂E/∂w, on the edges from "
            f"the backward pass on, are the whole batch's (E is the {combine} of the samples' "
            f"losses).{augmented}")


LEGEND_LINES = 2  # of `legend`: what the nodes show, and what the edges show


def legend(s: Snapshot, sample: int | None, mode: str) -> tuple[str, str]:
    """LEGEND_LINES short lines for the canvas: whose numbers the nodes show, from which
    step's pass, and what the edges show in colour mode ``mode`` (sim.palette.MODES). After a
    whole step the nodes still show that step's pass, computed before its update, while the
    weights on the edges are those after it: a forward pass checked by hand with them gives
    other numbers, so the lines say so."""
    n = s.batch()[0].shape[0]
    followed = sample_number(s, followed_row(s, sample)[0]) + 1
    step = s.pass_step
    who = f"sample {followed}" if n > 1 else f"sample {followed} (a batch of one)"
    when = " (before its update)" if s.pass_updated else ""
    edges = {"weight": f"weights after step {step}'s update" if s.pass_updated else
             "the weights this pass uses",
             "gradient": f"step {step}'s gradients" + (", the whole batch's" if n > 1 else ""),
             "update": f"step {step}'s updates"}[mode]
    return f"nodes: {who} in step {step}'s pass{when}", f"edges: {edges}"


def _sample_values(s: Snapshot, row: int) -> str:
    """"x₁ = 1, x₂ = 0, t₁ = 1" for a sample with few inputs, else "57 inputs"."""
    x, t = s.batch()
    if x.shape[1] > MAX_TERMS:
        return f"{x.shape[1]} inputs"
    values = [f"{name.input_name(i)} = {number(x[row, i])}" for i in range(x.shape[1])]
    if t.shape[1] <= MAX_TERMS:
        values += [f"{name.target(j)} = {number(t[row, j])}" for j in range(t.shape[1])]
    return ", ".join(values)


# ---------------------------------------------------------------------------- captions

# The app's one first instruction (the plots and the lesson texts agree with it).

FIRST_INSTRUCTION = "Press Play (Space) to train, or Step phase (→) to follow one iteration " \
                    "phase by phase: forward, loss, backward, clip, update."


def caption(s: Snapshot, sample: int | None = None) -> Caption:
    """The caption for the phase the snapshot's trainer ran last, following one sample
    (counted from 0; None: the batch's telling row, see `telling_row`)."""
    phase = s.last_phase
    stop = s.stop_event
    restored = restored_step(stop)
    if restored is not None:
        assert stop is not None  # a stop restored the weights
        return Caption("Training stopped early", (
            stop.message,
            f"The network has the weights of step {restored} again, so the numbers of step "
            f"{stop.step} (its forward pass, loss, gradients and update) no longer describe it; "
            "none is shown as an equation.",))
    if phase is None or s.x is None:
        return Caption("Ready", (FIRST_INSTRUCTION,))
    if stop is not None and stop.kind == "diverged":  # its numbers were never applied
        return Caption("Training diverged", (
            stop.message,
            "That iteration was abandoned, so none of its numbers is shown as an equation.",))
    row, note = followed_row(s, sample)
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


def _role(s: Snapshot, layer: LayerSnapshot) -> str:
    return "output" if layer.number == s.depth else "hidden"


def _is_chain(s: Snapshot) -> bool:
    """One unit in every layer, fed by one input: seed 004's two-neuron chain."""
    return s.depth > 1 and s.layers[0].fan_in == 1 and all(l.units == 1 for l in s.layers)


def _forward(s: Snapshot, l: int, row: int) -> tuple[str, list[str]]:
    layer = s.layers[l - 1]
    kind = layer.activation
    W, b = s.weights_in_pass(l)
    below = l - 1
    z_j, a_j = name.net_input(l, "j"), name.activation(l, "j")
    weighted = f"Σᵢ {name.activation(below, 'i')} × {name.weight(l, 'j', 'i')}"
    bias = f" + {name.bias(l, 'j')}" if b is not None else ""
    spec = s.experiment.network.layers[l - 1].batch_norm
    into = name.normalised_output(l, "j") if spec else z_j  # what the activation takes
    output = "e^" + into + " / Σₖ e^" + (name.normalised_output(l, "k") if spec else
                                         name.net_input(l, "k")) if kind == "softmax" else \
        f"{kind}({into})"
    if layer.keep is not None:
        output += " × keep"
    if layer.residual:
        output += f" + {name.activation(below, 'j')}"
    normalise = f", then {batch_norm_text.title(l)}" if spec else ""
    title = (f"Forward · layer {l} ({_role(s, layer)}, {kind}): "
             f"{z_j} = {weighted}{bias}{normalise}, then {a_j} = {output}")
    lines = []
    a_prev = s.computed("a", below)[row]
    if l == 1:
        lines += _input_lines(s, a_prev)
    z_row, h_row, a_row = (layer.computed("z")[row], layer.computed("h")[row],
                           layer.computed("a")[row])
    for j in range(min(layer.units, MAX_UNITS)):
        if layer.fan_in > MAX_TERMS:
            terms = [f"Σᵢ {name.activation(below, 'i')} × {name.weight(l, j, 'i')} "
                     f"({layer.fan_in} terms)"]
        else:
            terms = [f"{factor(a_prev[i])}×{factor(W[j, i])}" for i in range(layer.fan_in)]
        if b is not None:
            terms.append(factor(b[j]))
        z_text = f"{name.net_input(l, j)} = {name.total(terms)} = {number(z_row[j])}"
        activation = _activation_text(layer, row, j, h_row[j], a_row[j], a_prev)
        if spec:  # z, its batch's mean and variance; then ẑ, z̃ and a
            statistics, normalised = batch_norm_text.forward_lines(layer, row, j, spec.epsilon)
            lines += [z_text + SEPARATOR + statistics, normalised + SEPARATOR + activation]
        else:
            lines.append(z_text + SEPARATOR + activation)
    if layer.units > MAX_UNITS:
        lines.append(f"… and {layer.units - MAX_UNITS} more units")
    if spec:
        lines.append(batch_norm_text.running_line(layer, spec.momentum))
    if l == 1 and _is_chain(s):
        lines.append("Every layer has one unit, so the layer mark tells the names apart: "
                     "seed 004's w₁, b₁, a₁ are w⁽¹⁾₁₁, b⁽¹⁾₁, a⁽¹⁾₁ here, its w₂, a₂ are "
                     "w⁽²⁾₁₁, a⁽²⁾₁.")
    samples = s.batch()[0].shape[0]
    if samples > 1:
        lines.append(f"Shown for sample {sample_number(s, row) + 1}; all {samples} samples of "
                     f"the batch go through at once.")
    return title, lines


def _input_lines(s: Snapshot, x_row: np.ndarray) -> list[str]:
    """The followed sample's inputs, and what the data calls them where that says more."""
    inputs = len(x_row)
    if inputs > MAX_TERMS:
        return []
    lines = [SEPARATOR.join(f"{name.input_name(i)} = {number(x_row[i])}"
                            for i in range(inputs))]
    labels = [name.input_label(i, s.input_names) for i in range(inputs)]
    if any(label != name.input_name(i) for i, label in enumerate(labels)):
        lines.append("(the inputs: " + ", ".join(labels) + ")")
    return lines


def _activation_text(layer: LayerSnapshot, row: int, j: int, h: float, a: float,
                     a_prev: np.ndarray) -> str:
    """a⁽ˡ⁾ⱼ = f(z) [× keep] [+ a⁽ˡ⁻¹⁾ⱼ] with the numbers, ending in a's value."""
    l, kind = layer.number, layer.activation
    a_name = name.activation(l, j)
    if kind == "softmax":
        takes = name.normalised_output if layer.has_batch_norm else name.net_input
        return f"{a_name} = e^{takes(l, j)} / Σₖ e^{takes(l, 'k')} = {number(a)}"
    into = layer.activation_input  # z, or z̃ after batch normalisation
    assert into is not None  # this layer's forward phase ran
    z = into[row, j]
    symbols, values = [f"{kind}({number(z)})"], [number(h)]
    dropped = False
    if layer.keep is not None:
        keep = layer.keep[row, j]
        symbols.append("keep")
        values.append(number(keep))
        dropped = keep == 0.0
    product_symbols, product_values = " × ".join(symbols), " × ".join(values)
    if layer.residual:
        product_symbols += f" + {name.activation(l - 1, j)}"
        product_values += f" + {factor(a_prev[j])}"
    if len(values) == 1 and not layer.residual:
        text = f"{a_name} = {product_symbols} = {number(a)}"
    else:
        text = f"{a_name} = {product_symbols} = {product_values} = {number(a)}"
    return text + (SEPARATOR + "dropped out" if dropped else "")


def _loss(s: Snapshot, row: int) -> tuple[str, list[str]]:
    kind = s.experiment.loss
    loss = losses.named(kind)
    title = f"Loss: {loss.formula}"
    out = s.layers[-1]
    depth = s.depth
    targets = s.batch()[1]
    value = s.loss
    assert value is not None  # the loss phase, which this caption explains, set it
    y, t = out.computed("a")[row], targets[row]
    lines = []
    for j in range(min(len(y), MAX_UNITS)):
        a_name, t_name = name.activation(depth, j), name.target(j)
        lines.append(SEPARATOR.join((
            f"{a_name} = {number(y[j])}", f"{t_name} = {number(t[j])}",
            f"error {a_name} − {t_name} = {name.difference(y[j], t[j])} = "
            f"{number(y[j] - t[j])}")))
    if len(y) > MAX_UNITS:
        lines.append(f"… and {len(y) - MAX_UNITS} more outputs")
    n, k = targets.shape
    if n == 1 and k == 1 and kind in ("sse", "half_sse", "mse", "half_mse"):
        half = "1/2 " if kind.startswith("half") else ""
        lines.append(f"{name.LOSS} = {half}({name.target(0)} − {name.activation(depth, 0)})² = "
                     f"{half}({name.difference(t[0], y[0])})² = {number(value)}")
    elif n == 1:
        lines.append(f"{name.LOSS} = {number(value)}")
    else:
        logits = out.activation_input  # what the output's activation took
        assert logits is not None  # the forward phases ran before the loss
        shares = loss.per_sample(out.computed("a"), logits, targets)
        text = _batch_sum(f"{name.LOSS} = Σ of the {n} samples' shares", row,
                          [number(share) for share in shares]) + f" = {number(value)}"
        if n > name.MAX_LISTED_SAMPLES:
            text += (f"{SEPARATOR}sample {sample_number(s, row) + 1}'s share "
                     f"{number(shares[row])}")
        lines.append(text)
    if s.penalty:
        lines.append(SEPARATOR.join((
            f"{name.PENALTY} = {_penalty_formula(s)} = {number(s.penalty)}",
            f"{name.LOSS} + {name.PENALTY} = {number(value + s.penalty)}")))
    a_j, t_j = name.activation(depth, "j"), name.target("j")
    if loss.gradient_text is not None:
        rule = loss.gradient_text.format(a=a_j, t=t_j, nk="(n k)")
        lines.append(f"The error sent back: {name.gradient(a_j)} = {rule}")
    else:
        assert loss.fused_text is not None  # a loss sends back dE/da or, fused, dE/dz
        rule = loss.fused_text.format(a=a_j, t=t_j, n="n", nk="(n k)")
        lines.append(f"The error sent back: {name.delta(depth, 'j')} = "
                     f"{name.gradient(name.net_input(depth, 'j'))} = {rule}, the loss and "
                     f"the output's {out.activation} taken together")
    return title, lines


def _penalty_formula(s: Snapshot) -> str:
    regularization = s.experiment.regularization
    parts = []
    if regularization.l2:
        parts.append(f"{number(regularization.l2)}/2 × Σ w²")
    if regularization.l1:
        parts.append(f"{number(regularization.l1)} × Σ |w|")
    return " + ".join(parts) + " over the weights"


def _batch_sum(head: str, row: int, texts: list[str]) -> str:
    """``head``, then for a batch of up to MAX_LISTED_SAMPLES " = " and each sample's term in
    batch order, the followed sample's in brackets."""
    if len(texts) > name.MAX_LISTED_SAMPLES:
        return head
    return f"{head} = {name.batch_terms(texts, row)}"


def _backward(s: Snapshot, l: int, row: int) -> tuple[str, list[str]]:
    layer = s.layers[l - 1]
    samples = s.batch()[0].shape[0]
    fused = l == s.depth and s.fused_delta
    delta_j = name.delta(l, "j")
    into = name.normalised_output(l, "j") if layer.has_batch_norm else name.net_input(l, "j")
    error = name.gradient(into) if fused else \
        f"{name.gradient(name.activation(l, 'j'))} × f′({into})"
    over = "Σ " if samples > 1 else ""
    head = f"{delta_j} = {error}"
    if layer.has_batch_norm:
        head = f"{name.gradient(into)} {'from the loss' if fused else '= ' + error}, back " \
               f"through batch normalisation to {delta_j}"
    title = (f"Backward · layer {l} ({_role(s, layer)}): {head}, then "
             f"{name.gradient(name.weight(l, 'j', 'i'))} = {over}{delta_j} × "
             f"{name.activation(l - 1, 'i')}")
    lines = []
    for j in range(min(layer.units, MAX_UNITS)):
        lines.append(_delta_line(s, layer, j, row, fused))
        if layer.has_batch_norm:
            lines += batch_norm_text.backward_lines(layer, row, j)
    if layer.units > MAX_UNITS:
        lines.append(f"… and {layer.units - MAX_UNITS} more units")
    if layer.has_batch_norm:
        lines.append(batch_norm_text.backward_note())
    lines += _gradient_lines(s, layer, row)
    if 1 < samples <= name.MAX_LISTED_SAMPLES:
        order = ", ".join(str(sample_number(s, r) + 1) for r in range(samples))
        lines.append(f"Σ runs over the batch's samples {order} in this order; [ ] marks the "
                     f"followed sample's term, δ × a with the numbers above.")
    elif samples > 1:
        lines.append(f"Σ runs over the batch's {samples} samples (terms are listed for "
                     f"batches of up to {name.MAX_LISTED_SAMPLES}).")
    if samples > 1 and losses.named(s.experiment.loss).mean:
        lines.append("The loss is a mean, so its 1/n is already inside every δ.")
    return title, lines


def _delta_line(s: Snapshot, layer: LayerSnapshot, j: int, row: int, fused: bool) -> str:
    l = layer.number
    depth = s.depth
    targets = s.batch()[1]
    a = layer.computed("a")[row, j]
    a_name, z_name, t_name = (name.activation(l, j), name.net_input(l, j),
                              name.target(j))
    delta_name = name.delta(l, j)
    delta = layer.computed("delta")[row, j]
    if layer.has_batch_norm:  # the error at z̃, which the normalisation then takes back to z
        z_name = name.normalised_output(l, j)
        delta_name = name.gradient(z_name)
        assert layer.dE_dy is not None  # set with delta, in this layer's backward phase
        delta = layer.dE_dy[row, j]
    if fused:
        loss = losses.named(s.experiment.loss)
        assert loss.fused_text is not None  # fused: the loss gives dE/dz, whose text it has
        n, k = targets.shape
        mass = float(targets[row].sum())  # cross-entropy: a × Σt − t; 1 for one-hot targets
        a_symbol, a_value = (a_name, number(a)) if mass == 1.0 or loss.fused_output != \
            "softmax" else (f"{a_name} × Σt", f"{factor(a)} × {number(mass)}")
        source = loss.fused_text.format(a=a_symbol, t=t_name, n="n", nk="(n k)")
        numbers = loss.fused_text.format(a=a_value, t=factor(targets[row, j]), n=n, nk=n * k)
        named = "" if layer.has_batch_norm else f" = {name.gradient(z_name)}"
        return f"{delta_name}{named} = {source} = {numbers} = {number(delta)}"
    fprime = layer.computed("fprime")[row, j]
    derivative_text = ACTIVATIONS[layer.activation].derivative_text
    assert derivative_text is not None  # not fused, so elementwise: softmax is always fused
    derivative = derivative_text.format(a=a_name, z=z_name)
    dE_da = layer.computed("dE_da")[row, j]
    keep_symbol, keep_value = "", ""
    if layer.keep is not None:
        keep_symbol, keep_value = " × keep", f" × {number(layer.keep[row, j])}"
    head = f"{delta_name} = "  # = ∂E/∂a × f′(z), as the title says
    if l == depth:
        template = losses.named(s.experiment.loss).gradient_text
        assert template is not None  # not fused: the loss sends dE/da, whose text it has
        source = template.format(a=a_name, t=t_name, nk="(n k)")
        numbers = template.format(a=number(a), t=factor(targets[row, j]), nk=targets.size)
        return (f"{head}{source}{keep_symbol} × {derivative} = "
                f"{numbers}{keep_value} × {factor(fprime)} = {number(delta)}")
    above = s.layers[l]
    W_above, _ = s.weights_in_pass(l + 1)
    delta_above = above.computed("delta")[row]
    weighted = f"Σₖ {name.weight(l + 1, 'k', j)} {name.delta(l + 1, 'k')}"
    k_terms = [f"{factor(W_above[k, j])}×{factor(delta_above[k])}" for k in range(above.units)]
    if above.units > MAX_TERMS:
        k_terms = [f"{weighted} ({above.units} terms)"]
    if above.residual:  # the skip path carries the error of the unit above unchanged
        weighted += f" + {name.gradient(name.activation(l + 1, j))}"
        k_terms.append(factor(above.computed("dE_da")[row, j]))
    return (f"{head}({weighted}){keep_symbol} × {derivative} = "
            f"({name.total(k_terms)}){keep_value} × {factor(fprime)} = "
            f"{factor(dE_da)}{keep_value} × {factor(fprime)} = {number(delta)}")


def _gradient_lines(s: Snapshot, layer: LayerSnapshot, row: int) -> list[str]:
    l = layer.number
    a_prev = s.computed("a", l - 1)
    deltas = layer.computed("delta")
    regularization = s.experiment.regularization
    penalised = bool(regularization.l1 or regularization.l2)
    W, _ = s.weights_in_pass(l)
    lines = []
    weights = [(j, i) for j in range(layer.units) for i in range(layer.fan_in)]
    for j, i in weights[:MAX_WEIGHTS]:
        w = name.weight(l, j, i)
        if not penalised:  # the engine's own sum: the number on the edge
            lines.append(_gradient_text(s, row, w, name.delta(l, j), name.activation(l - 1, i),
                                        deltas[:, j], a_prev[:, i], float(layer.dW[j, i])))
            continue
        penalty = regularization.l2 * W[j, i] + regularization.l1 * float(np.sign(W[j, i]))
        data = math.fsum((deltas[:, j] * a_prev[:, i]).tolist())
        lines.append(_gradient_text(s, row, w, name.delta(l, j), name.activation(l - 1, i),
                                    deltas[:, j], a_prev[:, i], data) + SEPARATOR +
                     f"{name.gradient(w, penalised=True)} = {number(data)} + {factor(penalty)}"
                     f" = {number(layer.dW[j, i])}")
    if len(weights) > MAX_WEIGHTS:
        lines.append(f"… and {len(weights) - MAX_WEIGHTS} more weights")
    if layer.db is not None:  # the layer has a bias
        for j in range(min(layer.units, MAX_UNITS)):
            text = _gradient_text(s, row, name.bias(l, j), name.delta(l, j), None,
                                  deltas[:, j], None, float(layer.db[j]))
            if not layer.train_bias:
                text += SEPARATOR + "frozen: not updated"
            lines.append(text)
    if layer.has_batch_norm:
        lines += _norm_gradient_lines(s, layer, row)
    return lines


def _norm_gradient_lines(s: Snapshot, layer: LayerSnapshot, row: int) -> list[str]:
    """∂E/∂γ = Σ ∂E/∂z̃ × ẑ and ∂E/∂β = Σ ∂E/∂z̃ of the units shown."""
    l, record, errors = layer.number, layer.norm, layer.dE_dy
    assert record is not None and errors is not None  # the backward phase went through it
    assert layer.dgamma is not None and layer.dbeta is not None  # a normalised layer's
    lines = []
    for j in range(min(layer.units, MAX_UNITS)):
        error = name.gradient(name.normalised_output(l, j))
        lines.append(SEPARATOR.join((
            _gradient_text(s, row, name.norm_scale(l, j), error, name.normalised(l, j),
                           errors[:, j], record.zhat[:, j], float(layer.dgamma[j])),
            _gradient_text(s, row, name.norm_shift(l, j), error, None, errors[:, j], None,
                           float(layer.dbeta[j])))))
    return lines


def _gradient_text(s: Snapshot, row: int, parameter: str, delta: str, source: str | None,
                   deltas: np.ndarray, inputs: np.ndarray | None, value: float) -> str:
    """∂E/∂w = δ × a = value for a batch of one sample; for a larger batch Σ δ × a with every
    sample's term (up to MAX_LISTED_SAMPLES, the followed one as its product) or, beyond,
    the followed sample's term after the sum. ``source`` and ``inputs`` None: a bias, whose
    gradient is Σ δ."""
    symbols = delta if source is None else f"{delta} × {source}"
    terms = deltas if inputs is None else deltas * inputs

    def product(r: int) -> str:
        if inputs is None:
            return number(terms[r])
        return f"{factor(deltas[r])} × {factor(inputs[r])}"

    head = f"{name.gradient(parameter)} = "
    if len(terms) == 1:
        worked = "" if inputs is None else f" = {product(0)}"
        return f"{head}{symbols}{worked} = {number(value)}"
    if len(terms) <= name.MAX_LISTED_SAMPLES:
        texts = [factor(term) for term in terms]
        texts[row] = product(row)  # in brackets: its factors are the numbers shown above
        return _batch_sum(f"{head}Σ {symbols}", row, texts) + f" = {number(value)}"
    return (f"{head}Σ over the {len(terms)} samples of {symbols} = {number(value)}"
            f"{SEPARATOR}sample {sample_number(s, row) + 1}'s term {product(row)} = "
            f"{number(terms[row])}")


def _clip(s: Snapshot) -> tuple[str, list[str]]:
    spec = s.experiment.clipping
    norms = ", ".join(f"‖g{name.layer_mark(layer.number)}‖ = {number(layer.grad_norm)}"
                      for layer in s.layers)
    lines = [f"‖g‖ = √(Σ g²) = {number(s.clip_norm_before)}{SEPARATOR}per layer: {norms}"]
    if spec.kind == "none":
        lines.append("Clipping is off: the gradients go to the optimizer unchanged.")
    elif not s.clipped:
        lines.append(f"{spec.kind} clipping at {number(spec.threshold)}: not needed this time.")
    elif spec.kind == "global_norm":
        scale = s.clip_norm_after / s.clip_norm_before
        lines.append(f"‖g‖ > {number(spec.threshold)}: every gradient is multiplied by "
                     f"{number(spec.threshold)} / {number(s.clip_norm_before)} = "
                     f"{number(scale)}{SEPARATOR}the new ‖g‖ is {number(s.clip_norm_after)}")
    else:
        lines.append(f"{spec.kind} clipping at {number(spec.threshold)} limited the gradient"
                     f"{SEPARATOR}the new ‖g‖ is {number(s.clip_norm_after)}")
    return "Clip: measure the gradient, limit it if it is too large", lines


def _sgd_rule(spec: OptimizerSpec, g: str) -> str:
    """Plain descent, the 1986 momentum rule, or Nesterov's, as sim.optimizers.SGD computes it."""
    eta, momentum = name.LEARNING_RATE, number(spec.momentum)
    if not spec.momentum:
        return f"w ← w − {eta} × {g}"
    if spec.nesterov:  # v holds the last plain momentum step; Δw adds its next push
        return f"v ← {momentum} v − {eta} × {g};  Δw = {momentum} v − {eta} × {g};  w ← w + Δw"
    return f"Δw = −{eta} × {g} + {momentum} × Δw(previous);  w ← w + Δw"


# Adam's bias correction written out: the usual m̂ and v̂ need combining hats, which Qt's
# text layout drops (it drew "m / (√v + ε)", Adam without its correction).
ADAM_RULE = ("m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;  "
             "w ← w − {eta} × (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε), g = {g}, "
             "t = {t} (Adam's updates so far, this one included)")


def _update(s: Snapshot) -> tuple[str, list[str]]:
    spec = s.experiment.optimizer
    regularization = s.experiment.regularization
    g = name.gradient("w", penalised=bool(regularization.l1 or regularization.l2))
    eta = name.LEARNING_RATE
    rule = {"sgd": _sgd_rule(spec, g),
            "rmsprop": f"v ← ρ v + (1 − ρ) g²;  w ← w − {eta} × g / (√v + ε), g = {g}",
            "adam": ADAM_RULE.format(eta=eta, g=g, t=s.optimizer_updates)}[spec.kind]
    lines = [f"learning rate {eta} = {number(s.learning_rate)}{SEPARATOR}{rule}"]
    if s.clipped:
        lines.append("The gradients are the clipped ones.")
    plain = spec.kind == "sgd" and not spec.momentum
    shown = total = 0
    for layer in s.layers:
        entries = [(name.weight(layer.number, j, i), layer.W[j, i], layer.update_W[j, i],
                    layer.dW_clipped[j, i]) for j in range(layer.units)
                   for i in range(layer.fan_in)]
        if layer.train_bias:
            b, update_b, db_clipped = layer.b, layer.update_b, layer.db_clipped
            assert b is not None and update_b is not None and db_clipped is not None  # trained
            entries += [(name.bias(layer.number, j), b[j], update_b[j], db_clipped[j])
                        for j in range(layer.units)]
        entries += _norm_entries(layer)
        total += len(entries)
        for parameter, new, dw, gradient in entries[:max(0, MAX_WEIGHTS - shown)]:
            old = new - dw
            if plain:
                lines.append(f"{parameter} ← {number(old)} − {number(s.learning_rate)} × "
                             f"{factor(gradient)} = {number(new)}")
            else:
                lines.append(f"{parameter} ← {parameter} + {name.change(parameter)} = "
                             f"{number(old)} + {factor(dw)} = {number(new)}")
            shown += 1
    if total > shown:
        lines.append(f"… and {total - shown} more parameters, all at once")
    return "Update: every weight takes its step", lines


def _norm_entries(layer: LayerSnapshot) -> list[tuple[str, float, float, float]]:
    """(name, new value, change, gradient) of batch normalisation's γ and β of a layer."""
    if not layer.has_batch_norm:
        return []
    values = (layer.gamma, layer.update_gamma, layer.dgamma_clipped, layer.beta,
              layer.update_beta, layer.dbeta_clipped)
    gamma, dgamma, ggamma, beta, dbeta, gbeta = values
    assert gamma is not None and dgamma is not None and ggamma is not None  # normalised
    assert beta is not None and dbeta is not None and gbeta is not None
    l = layer.number
    return [(name.norm_scale(l, j), gamma[j], dgamma[j], ggamma[j]) for j in range(layer.units)] \
        + [(name.norm_shift(l, j), beta[j], dbeta[j], gbeta[j]) for j in range(layer.units)]
