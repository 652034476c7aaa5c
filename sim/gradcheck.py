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

The check takes any network's loss that offers the ``Differentiable`` protocol: a dense one
(``gradcheck``, ``DenseLoss``) or a recurrent one (``sim.recurrent_trainer``), whose ReLU
units' pre-activations are watched at every time step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import numpy as np

from . import notation
from .address import address_at
from .network import EXPECTED_IN_A_PASS, Network
from .state import FlatParameters

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


class FlatGradient(FlatParameters, Protocol):
    """A network's flat parameters (sim.state.FlatParameters) and the gradient laid out like
    them, as dense and recurrent networks keep them; ``theta`` is nudged in place."""

    @property
    def grad(self) -> np.ndarray: ...


class Differentiable(FlatGradient, Protocol):
    """A loss on fixed data as a function of a network's flat parameter vector: what the check
    nudges and measures. ``DenseLoss`` is a dense network's; sim.recurrent_trainer has the
    recurrent one's."""

    def loss_and_gradient(self) -> float:
        """The loss (with the penalty), its gradient left in ``grad``."""

    def loss(self) -> float:
        """The same loss, without touching ``grad``."""

    def kink_pattern(self) -> bytes:
        """Which side of its kink every kinked unit is on, for every sample (empty without)."""

    def parameter_name(self, index: int) -> str:
        """The name of ``theta[index]`` the result gives, e.g. "w⁽²⁾₁₂"."""


NetworkT = TypeVar("NetworkT", bound=FlatGradient)


@dataclass(frozen=True)
class NetworkLoss(Generic[NetworkT]):
    """The part of a network's ``Differentiable`` loss every kind shares: the network, the data
    and the loss, and the network's parameters and gradient."""

    network: NetworkT
    x: np.ndarray
    t: np.ndarray
    kind: str
    l1: float = 0.0
    l2: float = 0.0

    @property
    def theta(self) -> np.ndarray:
        return self.network.theta

    @property
    def grad(self) -> np.ndarray:
        return self.network.grad

    @property
    def n_trainable(self) -> int:
        return self.network.n_trainable


@dataclass(frozen=True)
class DenseLoss(NetworkLoss[Network]):
    """A dense network's loss on ``x`` and ``t``, batch normalisation with the batch's own
    statistics (the function training differentiates)."""

    def loss_and_gradient(self) -> float:
        return self.network.loss_and_gradient(self.x, self.t, self.kind, self.l1, self.l2)

    def loss(self) -> float:
        return self.network.loss_value(self.x, self.t, self.kind, self.l1, self.l2,
                                       statistics="batch")

    def kink_pattern(self) -> bytes:
        """Which side of 0 every ReLU-family unit's activation input is on, for every sample."""
        network = self.network
        kinked = [layer.number for layer in network.layers
                  if layer.activation.definition.kink]
        if not kinked:
            return b""
        p = network.forward(self.x, statistics="batch")
        return b"".join(np.packbits(p.activation_input(number) > 0.0).tobytes()
                        for number in kinked)

    def parameter_name(self, index: int) -> str:
        return address_at(self.network, index).label()


def gradcheck(network: Network, x: np.ndarray, t: np.ndarray, loss: str, l1: float = 0.0,
              l2: float = 0.0, max_parameters: int | None = None, step: float = DEFAULT_STEP,
              seed: int = 0) -> GradcheckResult:
    """Compare analytic and numeric gradients of a dense network's trainable parameters (see
    check_gradients)."""
    return check_gradients(DenseLoss(network, x, t, loss, l1, l2), max_parameters, step, seed)


def check_gradients(subject: Differentiable, max_parameters: int | None = None,
                    step: float = DEFAULT_STEP, seed: int = 0) -> GradcheckResult:
    """Compare analytic and numeric gradients of the subject's trainable parameters.

    Its parameters are restored exactly afterwards; its gradient buffer is overwritten.
    With ``max_parameters`` a seeded random sample of that many parameters is checked.
    """
    # The losses of a diverging network are inf or NaN: the result names them (not finite).
    with np.errstate(**EXPECTED_IN_A_PASS):
        base_loss = subject.loss_and_gradient()
        total = subject.n_trainable
        analytic_all = subject.grad[:total].copy()
        indices = np.arange(total)
        if max_parameters is not None and max_parameters < total:
            indices = np.sort(np.random.default_rng(seed).choice(total, max_parameters,
                                                                 replace=False))
        numeric, steps, smooth = _finite_differences(subject, indices, step)
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
        worst_parameter=subject.parameter_name(int(indices[worst])),
        analytic=float(analytic[worst]), numeric=float(numeric[worst]),
        checked=int(smooth.sum()), total=total, at_kinks=int((~smooth).sum()),
        loss=float(base_loss))


def _finite_differences(subject: Differentiable, indices: np.ndarray,
                        step: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fourth-order estimate of each indexed parameter's gradient, the step h it took,
    and whether no nudge moved a unit across a kink."""
    pattern = subject.kink_pattern()
    theta = subject.theta
    numeric = np.empty(len(indices))
    steps = np.empty(len(indices))
    smooth = np.ones(len(indices), dtype=bool)
    for position, index in enumerate(indices):
        original = theta[index]
        h = steps[position] = step * max(1.0, abs(original))
        losses = []
        for offset in (-2.0, -1.0, 1.0, 2.0):
            theta[index] = original + offset * h
            losses.append(subject.loss())
            smooth[position] &= subject.kink_pattern() == pattern
        theta[index] = original
        # Differences of nearby losses first: exact when they are equal (Sterbenz), so a
        # parameter that does not move the loss gets exactly 0.
        inner, outer = losses[2] - losses[1], losses[3] - losses[0]
        numeric[position] = (8.0 * inner - outer) / (12.0 * h)
    return numeric, steps, smooth
