"""Check backpropagation against central finite differences, seed 000's house-price idea.

For each parameter w, nudge it by +h and -h, measure the loss E each time, and compare
``(E(w + h) - E(w - h)) / 2h`` with the gradient backpropagation computed. The loss is the
whole training set's data loss plus the penalty, without dropout, so it is a fixed function;
batch normalisation normalises with the training set's own statistics, as training does (the
running statistics are not the function's: no gradient flows into them).

The check uses the fourth-order form of the same idea,
``(E(w - 2h) - 8 E(w - h) + 8 E(w + h) - E(w + 2h)) / 12h``: its error shrinks as h^4, so h
can be larger, and the rounding noise of the loss (about 1e-16 E / h) is 100 times smaller
than with the two-point difference at equal accuracy.

A gradient far smaller than the loss cannot be measured to many digits this way: each loss
carries a rounding error of about eps |E| (eps = 2.2e-16), so the estimate carries one of
about eps |E| / h. Where |a| + |n| is within ``1 / RESOLUTION`` of that noise, a relative
error would compare noise with noise; there the difference is divided by that floor instead.

ReLU has a kink at z = 0 where no derivative exists. When a nudge moves some sample's z of a
ReLU unit across 0, the finite difference measures the kink, not the slope; such parameters
are counted in ``at_kinks`` and left out of the comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import notation
from .address import address_at
from .network import Network

DEFAULT_STEP = 1e-4
TOLERANCE = 1e-5  # a relative error above this is reported as a mismatch
RESOLUTION = 1e-6  # the relative agreement the check is built to resolve
NOISE_MARGIN = 10.0  # the fourth-order stencil's rounding is about 1.5 eps |E| / h; be generous


@dataclass(frozen=True)
class GradcheckResult:
    worst_relative_error: float  # NaN where the numbers could not be compared (not finite)
    worst_parameter: str  # its name, e.g. "w⁽²⁾₁₂" or "b⁽¹⁾₃" (sim.notation)
    analytic: float  # backpropagation's gradient for the worst parameter
    numeric: float  # the finite-difference estimate for it
    checked: int  # how many parameters were compared
    total: int  # how many trainable parameters there are
    at_kinks: int = 0  # parameters whose nudges crossed a ReLU kink (not compared)
    loss: float = 0.0  # the loss (with the penalty) at the weights checked

    @property
    def finite(self) -> bool:
        """Whether there were numbers to compare: the loss, and both gradients of the worst
        parameter, are finite (they are not once training has diverged)."""
        return all(map(math.isfinite, (self.loss, self.analytic, self.numeric)))

    @property
    def passed(self) -> bool:
        """The gradients were compared, and agree."""
        return self.finite and self.checked > 0 and self.worst_relative_error <= TOLERANCE

    def summary(self) -> str:
        """One line: the worst disagreement, where, both numbers, and the verdict."""
        kinks = f", {self.at_kinks} at ReLU kinks left out" if self.at_kinks else ""
        counted = f"{self.checked} of {self.total} parameters checked{kinks}"
        analytic, numeric = notation.number(self.analytic, 10), notation.number(self.numeric, 10)
        if not math.isfinite(self.loss):
            return (f"the loss is {notation.number(self.loss)} at these weights, not a finite "
                    f"number: there are no gradients to compare; NOT FINITE")
        if not self.finite:
            return (f"at {self.worst_parameter} backprop gives {analytic} and finite "
                    f"differences {numeric}: not both finite numbers, so they cannot "
                    f"be compared; {counted}: NOT FINITE")
        if not self.checked:
            return f"no parameter could be compared ({counted}): NOTHING CHECKED"
        return (f"worst relative error {notation.number(self.worst_relative_error)} at "
                f"{self.worst_parameter} (backprop {analytic}, finite differences {numeric}); "
                f"{counted}: {'ok' if self.passed else 'MISMATCH'}")


def relative_error(analytic: np.ndarray, numeric: np.ndarray,
                   floor: float | np.ndarray = 1e-300) -> np.ndarray:
    """|a - n| / max(|a| + |n|, floor): 0 for equal values, 1 for opposite signs."""
    return np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), floor)


def noise_floor(loss: float, h: float | np.ndarray) -> float | np.ndarray:
    """The smallest |a| + |n| a finite difference with step h can compare relatively."""
    rounding = NOISE_MARGIN * np.finfo(float).eps * max(abs(loss), np.finfo(float).tiny) / h
    return rounding / RESOLUTION


def gradcheck(network: Network, x: np.ndarray, t: np.ndarray, loss: str, l1: float = 0.0,
              l2: float = 0.0, max_parameters: int | None = None, step: float = DEFAULT_STEP,
              seed: int = 0) -> GradcheckResult:
    """Compare analytic and numeric gradients of the trainable parameters.

    The network's weights are restored exactly afterwards; its gradient buffer is overwritten.
    With ``max_parameters`` a seeded random sample of that many parameters is checked.
    """
    base_loss = network.loss_and_gradient(x, t, loss, l1, l2)
    analytic_all = network.trainable_grad.copy()
    total = network.n_trainable
    indices = np.arange(total)
    if max_parameters is not None and max_parameters < total:
        indices = np.sort(np.random.default_rng(seed).choice(total, max_parameters,
                                                             replace=False))
    pattern = _kink_pattern(network, x)
    theta = network.theta
    numeric = np.empty(len(indices))
    steps = np.empty(len(indices))
    smooth = np.ones(len(indices), dtype=bool)
    for position, index in enumerate(indices):
        original = theta[index]
        h = steps[position] = step * max(1.0, abs(original))
        losses = []
        for offset in (-2.0, -1.0, 1.0, 2.0):
            theta[index] = original + offset * h
            losses.append(network.loss_value(x, t, loss, l1, l2, statistics="batch"))
            smooth[position] &= _kink_pattern(network, x) == pattern
        theta[index] = original
        # Differences of nearby losses first: exact when they are equal (Sterbenz), so a
        # parameter that does not move the loss gets exactly 0.
        inner, outer = losses[2] - losses[1], losses[3] - losses[0]
        numeric[position] = (8.0 * inner - outer) / (12.0 * h)
    analytic = analytic_all[indices]
    unusable = smooth & ~(np.isfinite(analytic) & np.isfinite(numeric))
    with np.errstate(invalid="ignore"):  # inf - inf where a gradient is not finite
        floor = noise_floor(base_loss, steps)
        errors = np.where(smooth & ~unusable, relative_error(analytic, numeric, floor), 0.0)
    # The first parameter whose numbers are not finite, else the worst disagreement (every
    # network has at least one weight).
    worst = int(np.argmax(unusable)) if unusable.any() else int(np.argmax(errors))
    return GradcheckResult(
        worst_relative_error=math.nan if unusable[worst] else float(errors[worst]),
        worst_parameter=address_at(network, int(indices[worst])).label(),
        analytic=float(analytic[worst]), numeric=float(numeric[worst]),
        checked=int(smooth.sum()), total=total, at_kinks=int((~smooth).sum()),
        loss=float(base_loss))


def _kink_pattern(network: Network, x: np.ndarray) -> bytes:
    """Which side of 0 every ReLU-family unit's activation input is on, for every sample."""
    kinked = [layer.number for layer in network.layers
              if layer.activation.definition.kink]
    if not kinked:
        return b""
    p = network.forward(x, statistics="batch")
    return b"".join(np.packbits(p.activation_input(number) > 0.0).tobytes()
                    for number in kinked)
