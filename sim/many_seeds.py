"""What the app's Many seeds view shows: one experiment trained from many seeds at once
(``sim.sweep``), as loss curves, their median, and how many steps each run takes to learn.

A run *learns* at the first step whose training batch loss is below the target loss (the
lesson's ``view.many_seeds.target_loss``); a run that never gets there in the steps it takes
(stuck on a plateau or in a local minimum, diverged, or simply slow) counts as *never*. The
median curve is taken over every run at every step, a run that has stopped counting with its
last loss (it is frozen there) and a diverged one as infinitely large.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .experiment import Experiment
from .lesson_view import ManySeedsSpec
from .sweep import Sweep, Sweeper

HISTOGRAM_BINS = 20


@dataclass(frozen=True)
class ManySeeds:
    """The runs of one experiment from many seeds, as the view draws them."""

    spec: ManySeedsSpec
    learning_rate: float  # the optimizer's (the setting a student is most likely to vary)
    seeds: tuple[int, ...]
    curves: np.ndarray  # (runs, steps): each run's batch loss at steps 1, 2, ...; NaN after
    # its last step and where a loss is not a positive number (a log axis cannot draw it)
    median: np.ndarray  # (steps,): the median over all runs (see the module)
    steps_to_target: np.ndarray  # (runs,): the step a run first got below the target; 0: never
    stopped: np.ndarray  # (runs,) bool: a stopping rule of the experiment ended the run
    diverged: np.ndarray  # (runs,) bool
    bin_edges: np.ndarray  # the histogram's bins of steps: (edge k, edge k+1]
    bin_counts: np.ndarray  # the runs that learnt at a step in each bin

    @property
    def runs(self) -> int:
        return len(self.seeds)

    @property
    def never(self) -> int:
        """The runs that never got below the target."""
        return int(np.count_nonzero(self.steps_to_target == 0))

    @property
    def fraction_never(self) -> float:
        return self.never / self.runs

    def run_nearest(self, step: float, loss: float) -> int | None:
        """The run (its index) whose curve passes nearest the point (step, loss), measured in
        decades of loss at that step; None if no run has a loss there."""
        column = round(step) - 1
        if not 0 <= column < self.curves.shape[1] or not loss > 0.0:
            return None
        values = self.curves[:, column]
        usable = np.flatnonzero(np.isfinite(values))
        if usable.size == 0:
            return None
        distance = np.abs(np.log10(values[usable]) - math.log10(loss))
        return int(usable[np.argmin(distance)])

    def summary(self) -> str:
        """One sentence for the view's caption."""
        learnt = self.steps_to_target[self.steps_to_target > 0]
        # A median of an even count may fall between two steps: "took 116.5 steps", not "at
        # step 116.5".
        median = f"; those that did took a median of {np.median(learnt):g} steps" \
            if learnt.size else ""
        diverged = int(np.count_nonzero(self.diverged))
        diverged_text = f" ({diverged} diverged)" if diverged else ""
        return (f"{self.runs} seeds ({self.seeds[0]} to {self.seeds[-1]}), learning rate "
                f"{self.learning_rate:g}, up to {self.spec.steps} steps each: {self.never} of "
                f"{self.runs} "
                f"({self.fraction_never:.0%}) never got the loss below "
                f"{self.spec.target_loss:g}{diverged_text}{median}.")


def many_seeds(experiment: Experiment, spec: ManySeedsSpec) -> ManySeeds:
    """Train ``spec.seeds`` runs of ``experiment`` from its start (a saved state is left out),
    seeds experiment.seed, + 1, ..., each for up to ``spec.steps`` steps, and summarise them."""
    sweeper = many_seeds_sweeper(experiment, spec)
    while not sweeper.done:
        sweeper.advance(math.inf)
    return summarise(sweeper.result(), spec)


def many_seeds_sweeper(experiment: Experiment, spec: ManySeedsSpec) -> Sweeper:
    """The sweep ``many_seeds`` trains, to be advanced a slice at a time (then summarised)."""
    return Sweeper(experiment.replace(state=None), spec.seeds, steps=spec.steps)


def summarise(swept: Sweep, spec: ManySeedsSpec) -> ManySeeds:
    """The view's numbers for runs already trained."""
    losses = swept.loss_curves()
    with np.errstate(invalid="ignore"):  # NaN after a run's end compares as False
        reached = losses < spec.target_loss
    first = np.where(reached.any(axis=1), reached.argmax(axis=1) + 1, 0)
    frozen = _frozen(swept, losses)
    median = np.median(frozen, axis=0) if frozen.size else np.zeros(0)
    curves = np.where(np.isfinite(losses) & (losses > 0.0), losses, math.nan)
    width = max(1, math.ceil(spec.steps / HISTOGRAM_BINS))
    edges = np.arange(0, spec.steps + width, width, dtype=float)
    counts, _ = np.histogram(first[first > 0], bins=edges + 0.5)
    return ManySeeds(spec, swept.experiment.optimizer.learning_rate,
                     tuple(run.seed for run in swept.runs), curves,
                     np.where(np.isfinite(median) & (median > 0.0), median, math.nan), first,
                     np.array([run.stopped for run in swept.runs]),
                     np.array([run.diverged for run in swept.runs]), edges, counts)


def _frozen(swept: Sweep, losses: np.ndarray) -> np.ndarray:
    """Each run's losses with its last one carried on after it stopped (a diverged run's as
    infinite): every run counts at every step of the median."""
    frozen = losses.copy()
    for row, run in zip(frozen, swept.runs, strict=True):
        after = run.losses.size
        if after < row.size:
            row[after:] = math.inf if run.diverged or after == 0 else run.losses[-1]
    return frozen
