"""What the training worker can be asked: one small frozen value per request.

The GUI thread sends these through the worker (`gui.worker.TrainingWorker.send`, or the
worker's methods of the same names), which passes them down a pipe to the training process
(`gui.session`); it runs them in order, between two phases, never inside one. They are plain
picklable data (experiments, paths, numbers), pickled only between the app's own processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sim
from sim.address import ParameterAddress
from sim.lesson_view import ManySeedsSpec


@dataclass(frozen=True)
class Play:
    """Train continuously (at the set speed); after a stopping rule, go on training."""


@dataclass(frozen=True)
class Pause:
    """Stop playing, and drop any run of steps or epochs under way."""


@dataclass(frozen=True)
class Step:
    """One whole iteration (the rest of it, if phases of it have run)."""


@dataclass(frozen=True)
class StepPhase:
    """One phase: a layer forward or backward, the loss, the clip or the update."""


@dataclass(frozen=True)
class RunEpochs:
    """Train until ``count`` more epochs have ended (the epoch under way counts as one).
    ``token`` names the run in the worker's `run_ended` report."""

    count: int = 1
    token: int = 0


@dataclass(frozen=True)
class RunSteps:
    """Take ``count`` whole steps at full speed; ``token`` as for `RunEpochs`."""

    count: int
    token: int = 0


@dataclass(frozen=True)
class Reset:
    """Start the experiment again from its initial weights (a saved state is dropped)."""


@dataclass(frozen=True)
class Load:
    """Train ``experiment`` from its start; ``source`` is the file it was read from, if any."""

    experiment: sim.Experiment
    source: Path | None = None


@dataclass(frozen=True)
class Read:
    """Read and check an experiment file; the trainer is left alone."""

    path: Path


@dataclass(frozen=True)
class ImportCsv:
    """Build an experiment from a CSV table on ``base``'s network (sim.importing) and check
    it, as Read does for a file; the trainer is left alone."""

    base: sim.Experiment
    path: Path
    targets: tuple[str, ...]
    validation_fraction: float
    standardize: bool


@dataclass(frozen=True)
class Apply:
    """Hyperparameters that can change while training (same network, same data)."""

    experiment: sim.Experiment


@dataclass(frozen=True)
class Edit:
    """Set one parameter (between iterations) to ``value``."""

    address: ParameterAddress
    value: float


@dataclass(frozen=True)
class SetSpeed:
    """Steps per second while playing; None: as fast as possible."""

    steps_per_second: float | None


@dataclass(frozen=True)
class SetViews:
    """Which side pictures to compute: the data view (None: none; else the two inputs, from 0,
    of a slice when there are more than two), the loss landscape over up to two parameters
    (None: no landscape), and the neuron maps drawn on the canvas's nodes."""

    data: tuple[int, int] | None
    addresses: tuple[ParameterAddress, ...] | None
    neurons: bool = False


@dataclass(frozen=True)
class CheckGradients:
    """Backpropagation's gradients against finite differences, at the current weights."""


@dataclass(frozen=True)
class Save:
    """Write the experiment with its trained state, resumable, to ``path`` (by the rules of
    `sim.files`: atomically, only over a regular file, over a read-only one only if
    ``replace_read_only``, which the user was asked)."""

    path: Path
    replace_read_only: bool = False


@dataclass(frozen=True)
class ExportHistory:
    """Write the recorded history as a CSV table to ``path`` (as `Save` writes)."""

    path: Path
    replace_read_only: bool = False


@dataclass(frozen=True)
class SweepSeeds:
    """Train ``experiment`` from ``spec.seeds`` seeds at once (from its start, its seed the
    first; the trainer is left alone) and answer with the Many seeds view's numbers;
    ``token`` names the request in the answer (``swept`` or ``sweep_failed``)."""

    experiment: sim.Experiment
    spec: ManySeedsSpec
    token: int = 0


@dataclass(frozen=True)
class ReportStatus:
    """Answer with a `gui.session.WorkerStatus` (diagnostics; changes nothing)."""


Command = (Play | Pause | Step | StepPhase | RunEpochs | RunSteps | Reset | Load | Read
           | ImportCsv | Apply
           | Edit | SetSpeed | SetViews | CheckGradients | Save | ExportHistory | SweepSeeds
           | ReportStatus)
