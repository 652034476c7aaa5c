"""Batch normalisation in the captions: its forward and backward written out with this pass's
numbers, in the form sim.explain promises (a statement that begins with a name ends in the
value that name has in the iteration).

Forward, for unit j of layer l over the batch of n samples::

    μ⁽ˡ⁾ⱼ = Σ z⁽ˡ⁾ⱼ / n;  σ⁽ˡ⁾ⱼ² = Σ (z⁽ˡ⁾ⱼ − μ⁽ˡ⁾ⱼ)² / n
    ẑ⁽ˡ⁾ⱼ = (z⁽ˡ⁾ⱼ − μ⁽ˡ⁾ⱼ) / √(σ⁽ˡ⁾ⱼ² + ε);  z̃⁽ˡ⁾ⱼ = γ⁽ˡ⁾ⱼ ẑ⁽ˡ⁾ⱼ + β⁽ˡ⁾ⱼ;  a⁽ˡ⁾ⱼ = f(z̃⁽ˡ⁾ⱼ)

Backward, from ∂E/∂z̃ (what δ would be without the normalisation), the three ways z reaches
the loss (sim.batch_norm.paths): directly through its own ẑ, through the mean μ, and through
the variance σ², which every sample's ẑ shares::

    ∂E/∂ẑ = ∂E/∂z̃ × γ
    ∂E/∂σ² = Σ ∂E/∂ẑ × (z − μ) × (−1/2) (σ² + ε)^(−3/2)
    ∂E/∂μ = Σ ∂E/∂ẑ × (−1 / √(σ² + ε))
    δ = ∂E/∂z = ∂E/∂ẑ / √(σ² + ε) + ∂E/∂σ² × 2 (z − μ) / n + ∂E/∂μ / n
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import batch_norm
from . import notation as name
from .notation import factor, number

if TYPE_CHECKING:
    from .batch_norm import NormPass
    from .snapshot import LayerSnapshot

SEPARATOR = "; "  # as sim.explain's: between the statements of one caption line


def title(l: int) -> str:
    """The forward title's middle: from z to what the activation takes."""
    z, zhat = name.net_input(l, "j"), name.normalised(l, "j")
    return (f"{zhat} = ({z} − {name.batch_mean(l, 'j')}) / √({name.batch_variance(l, 'j')} + ε)"
            f" over the batch, {name.normalised_output(l, 'j')} = {name.norm_scale(l, 'j')} "
            f"{zhat} + {name.norm_shift(l, 'j')}")


def _record(layer: LayerSnapshot) -> NormPass:
    record = layer.norm
    if record is None:
        raise ValueError(f"layer {layer.number} has no batch normalisation in this pass")
    return record


def forward_lines(layer: LayerSnapshot, row: int, j: int, epsilon: float) -> list[str]:
    """The batch mean and variance of unit j, and the followed sample's ẑ and z̃."""
    l = layer.number
    record = _record(layer)
    z = layer.computed("z")[:, j]
    n = z.shape[0]
    mu, var = float(record.mean[j]), float(record.variance[j])
    z_name, mu_name, var_name = name.net_input(l, j), name.batch_mean(l, j), \
        name.batch_variance(l, j)
    if n <= name.MAX_LISTED_SAMPLES:
        sum_z = name.batch_terms([factor(value) for value in z], row)
        sum_sq = name.batch_terms([f"{factor(value - mu)}²" for value in z], row)
        mean_text = f"{mu_name} = Σ {z_name} / n = ({sum_z}) / {n} = {number(mu)}"
        var_text = (f"{var_name} = Σ ({z_name} − {mu_name})² / n = ({sum_sq}) / {n} = "
                    f"{number(var)}")
    else:
        mean_text = f"{mu_name} = Σ {z_name} / n over the {n} samples = {number(mu)}"
        var_text = f"{var_name} = Σ ({z_name} − {mu_name})² / n = {number(var)}"
    zhat, y = float(record.zhat[row, j]), float(record.y[row, j])
    gamma, beta = float(record.gamma[j]), float(record.beta[j])
    zhat_name = name.normalised(l, j)
    normalised_text = (f"{zhat_name} = ({z_name} − {mu_name}) / √({var_name} + ε) = "
                       f"({name.difference(float(z[row]), mu)}) / √({number(var)} + "
                       f"{number(epsilon)}) = {number(zhat)}")
    output_text = (f"{name.normalised_output(l, j)} = {name.norm_scale(l, j)} × {zhat_name} + "
                   f"{name.norm_shift(l, j)} = {factor(gamma)} × {factor(zhat)} + "
                   f"{factor(beta)} = {number(y)}")
    return [SEPARATOR.join((mean_text, var_text)), SEPARATOR.join((normalised_text,
                                                                   output_text))]


def running_line(layer: LayerSnapshot, momentum: float) -> str:
    """What the pass did to the running statistics, which evaluation uses."""
    mean, var = layer.running_mean, layer.running_var
    assert mean is not None and var is not None  # a layer with batch normalisation has them
    shown = min(len(mean), 4)
    more = " …" if len(mean) > shown else ""
    return (f"The running statistics, which validation and every other evaluation normalise "
            f"with, moved {number(momentum)} of the way towards this batch's μ and n/(n − 1) × "
            f"σ²: running means {', '.join(number(v) for v in mean[:shown])}{more}; running "
            f"variances {', '.join(number(v) for v in var[:shown])}{more}")


def backward_lines(layer: LayerSnapshot, row: int, j: int) -> list[str]:
    """∂E/∂ẑ, ∂E/∂σ², ∂E/∂μ and δ = ∂E/∂z of unit j for the followed sample, each path's term
    written out."""
    l = layer.number
    record = _record(layer)
    dE_dy = layer.dE_dy
    if dE_dy is None:
        raise ValueError(f"the backward phase has not reached layer {l}'s normalisation yet")
    z = layer.computed("z")
    n = z.shape[0]
    terms = batch_norm.paths(record, dE_dy, z, row, j)
    root_value = float(record.std[j])  # √(σ² + ε)
    z_name, zhat_name = name.net_input(l, j), name.normalised(l, j)
    mu_name, var_name = name.batch_mean(l, j), name.batch_variance(l, j)
    g_name = name.gradient(name.normalised_output(l, j))
    dzhat, dvar, dmu = (name.gradient(zhat_name), name.gradient(var_name),
                        name.gradient(mu_name))
    root = f"√({var_name} + ε)"
    first = SEPARATOR.join((
        f"{dzhat} = {g_name} × {name.norm_scale(l, j)} = {factor(float(dE_dy[row, j]))} × "
        f"{factor(float(record.gamma[j]))} = {number(terms.dE_dzhat)}",
        f"{dvar} = Σ {dzhat} × ({z_name} − {mu_name}) × (−1/2) ({var_name} + ε)^(−3/2) = "
        f"{number(terms.dE_dvar)}",
        f"{dmu} = Σ {dzhat} × (−1 / {root}) = {number(terms.dE_dmu)}"))
    delta = float(layer.computed("delta")[row, j])
    second = (f"{name.delta(l, j)} = {name.gradient(z_name)} = {dzhat} / {root} + {dvar} × "
              f"2 ({z_name} − {mu_name}) / n + {dmu} / n = {factor(terms.dE_dzhat)} / "
              f"{number(root_value)} + {factor(terms.dE_dvar)} × 2 × "
              f"{factor(float(z[row, j] - record.mean[j]))} / {n} + {factor(terms.dE_dmu)} / "
              f"{n} = {factor(terms.direct)} + {factor(terms.through_variance)} + "
              f"{factor(terms.through_mean)} = {number(delta)}")
    return [first, second]


def backward_note() -> str:
    """Why δ of a normalised layer has three terms."""
    return ("Batch normalisation: z reaches the loss directly through its own ẑ, through the "
            "batch mean μ and through the batch variance σ², which every sample's ẑ shares; "
            "δ adds the three, so each sample's δ depends on the whole batch.")


def node_values(layer: LayerSnapshot, row: int | None, j: int) -> list[tuple[str, float]]:
    """What the inspector lists for unit j of a normalised layer: the followed sample's ẑ, z̃
    and ∂E/∂z̃ and the batch's μ and σ² once their phases ran, then γ, β and their gradients
    (the batch's) and the running statistics; nothing for a layer without normalisation."""
    gamma, beta, dgamma, dbeta = layer.gamma, layer.beta, layer.dgamma, layer.dbeta
    mean, var = layer.running_mean, layer.running_var
    if gamma is None or beta is None or dgamma is None or dbeta is None or mean is None or \
            var is None:
        return []
    l = layer.number
    values: list[tuple[str, float]] = []
    record = layer.norm
    if record is not None and row is not None:
        values += [(f"{name.batch_mean(l, j)} (the batch's)", float(record.mean[j])),
                   (f"{name.batch_variance(l, j)} (the batch's)", float(record.variance[j])),
                   (name.normalised(l, j), float(record.zhat[row, j])),
                   (f"{name.normalised_output(l, j)} = {name.norm_scale(l, j)} "
                    f"{name.normalised(l, j)} + {name.norm_shift(l, j)}", float(record.y[row, j]))]
    if layer.dE_dy is not None and row is not None:
        values.append((name.gradient(name.normalised_output(l, j)), float(layer.dE_dy[row, j])))
    values += [(name.norm_scale(l, j), float(gamma[j])),
               (f"{name.gradient(name.norm_scale(l, j))} (the batch's)", float(dgamma[j])),
               (name.norm_shift(l, j), float(beta[j])),
               (f"{name.gradient(name.norm_shift(l, j))} (the batch's)", float(dbeta[j])),
               ("running mean (for evaluation)", float(mean[j])),
               ("running variance (for evaluation)", float(var[j]))]
    return values
