"""Training a recurrent network: each step a forward pass through time, the loss, BPTT, the
clip and the update, with the same parts as the dense trainer (sim.trainer): the batch
sampler's seeded streams, the optimizers, clipping, schedules and stopping rules.

A step's record holds the loss, the gradient's norm before clipping, whether it was clipped,
the learning rate and ``time_grad_norms`` (‖dE/dhₜ‖ for t = 1..T, before clipping).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import losses
from .augment import AugmentSpec
from .batches import BatchSampler
from .clipping import ClipResult, clip
from .data import data_streams
from .events import Event
from .gradcheck import GradcheckResult, NetworkLoss, check_gradients
from .metrics import accuracy, accuracy_rule
from .network import EXPECTED_IN_A_PASS
from .optimizers import make_optimizer
from .recurrent import GATES, RecurrentNetwork, RecurrentPass, parameter_label
from .recurrent_experiment import RecurrentExperiment
from .recurrent_state import read_recurrent_state, recurrent_state
from .schema import finite_or_none
from .sequences import build
from .state import load_saved
from .stopping import StoppingRules, restored_step


@dataclass(frozen=True)
class StepRecord:
    """One optimizer step, as the trace writes it."""

    step: int
    epoch: int
    loss: float  # with the penalty, before the update
    penalty: float
    grad_norm: float  # before clipping
    clipped: bool
    learning_rate: float
    time_grad_norms: tuple[float, ...]  # ‖dE/dhₜ‖, t = 1..T, before clipping
    cell_grad_norms: tuple[float, ...]  # LSTM: ‖dE/dcₜ‖; empty for the Elman cell
    accuracy: float  # of the batch, before the update (NaN for regression)
    gate_means: dict[str, tuple[float, ...]]  # LSTM: each gate's mean over the batch and
    # the units at t = 1..T, by name (i, f, g, o); empty for the Elman cell
    val_loss: float = math.nan  # NaN: no validation after this step
    val_accuracy: float = math.nan

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "step": self.step, "epoch": self.epoch, "loss": self.loss,
            "penalty": self.penalty, "grad_norm": self.grad_norm, "clipped": self.clipped,
            "learning_rate": self.learning_rate,
            "time_grad_norms": list(self.time_grad_norms),
            "val_loss": finite_or_none(self.val_loss),
            "val_accuracy": finite_or_none(self.val_accuracy)}
        if self.cell_grad_norms:
            record["cell_grad_norms"] = list(self.cell_grad_norms)
        if self.gate_means:
            record["gate_means"] = {name: list(values) for name, values in
                                    self.gate_means.items()}
        return record


@dataclass(frozen=True)
class RecurrentSnapshot:
    """What the views may show after a step: the pass (before its update), the parameters
    after it, and the step's record."""

    step: int
    epoch: int
    cell: str
    hidden: int
    theta: np.ndarray
    gradient: np.ndarray  # before clipping
    update: np.ndarray  # the step's change of the parameters
    last_pass: RecurrentPass | None
    record: StepRecord | None

    @property
    def time_grad_norms(self) -> np.ndarray:
        return np.empty(0) if self.last_pass is None else self.last_pass.time_grad_norms

    def gate_values(self, gate: str) -> np.ndarray:
        """The LSTM gate ``gate`` (i, f, g or o) at t = 1..T: shape (T, n, H)."""
        if self.last_pass is None or self.cell != "lstm":
            return np.empty((0, 0, 0))
        return np.stack([gates[gate] for gates in self.last_pass.gates[1:] if gates])


class RecurrentTrainer:
    """Owns the recurrent network, the sequences, the optimizer and the records of a run."""

    def __init__(self, experiment: RecurrentExperiment) -> None:
        self.experiment = experiment
        seed = experiment.seed
        self.dataset = build(experiment.data, *data_streams(seed))  # a dense run's streams
        self.network = RecurrentNetwork(experiment.network, seed)
        self.accuracy_rule = accuracy_rule(experiment.network.output_activation.kind,
                                           self._checked_targets())
        self.sampler = BatchSampler(self.dataset, seed)  # sequences are never augmented
        self.sampler.configure(experiment.batch_size, experiment.shuffle, AugmentSpec())
        self.stopping = StoppingRules(experiment.stopping)
        self.optimizer = make_optimizer(experiment.optimizer, self.network.n_trainable)
        self.l1, self.l2 = experiment.regularization.l1, experiment.regularization.l2
        self.step_count = 0
        self.clip_count = 0
        self.train_seconds = 0.0
        self.stop_event: Event | None = None
        self.records: list[StepRecord] = []
        self.last_pass: RecurrentPass | None = None
        self.raw_gradient = np.zeros(self.network.n_trainable)  # before clipping
        self.last_clip: ClipResult | None = None
        self._update = np.zeros(self.network.n_trainable)
        if experiment.state:
            load_saved(self, read_recurrent_state(self, experiment.state))

    def _checked_targets(self) -> np.ndarray:
        dataset = self.dataset
        return losses.checked_targets(self.experiment.loss, dataset.t_train, dataset.t_val,
                                      dataset.t_test)

    # ------------------------------------------------------------------ stepping

    @property
    def diverged(self) -> bool:
        return self.stop_event is not None and self.stop_event.kind == "diverged"

    @property
    def epoch_count(self) -> int:
        return self.sampler.epoch_count

    @property
    def batches_taken(self) -> int:
        """Batches of the epoch in progress already trained on (0 at an epoch's start)."""
        return self.sampler.batches_taken

    @property
    def steps_per_epoch(self) -> int:
        return self.sampler.steps_per_epoch

    @property
    def last_record(self) -> StepRecord | None:
        return self.records[-1] if self.records else None

    def step(self) -> bool:
        """One whole iteration; False if training has stopped (nothing is done then)."""
        if self.stop_event is not None:
            return False
        started = time.perf_counter()
        with np.errstate(**EXPECTED_IN_A_PASS):
            problem = self._iterate()
        self.train_seconds += time.perf_counter() - started
        if problem is not None:
            self._diverge(*problem)
        elif self.stop_event is None:
            stop = self.stopping.after_time(self.train_seconds, self.step_count)
            if stop is not None:
                self.stop_event = stop
        return True

    def run(self, steps: int | None = None, epochs: int | None = None,
            on_step: Callable[[RecurrentTrainer], None] | None = None) -> int:
        """Up to ``steps`` steps (or ``epochs`` more epochs, or until a stop); steps taken."""
        taken = 0
        target_epoch = None if epochs is None else self.epoch_count + epochs
        while self.stop_event is None:
            if steps is not None and taken >= steps:
                break
            if target_epoch is not None and self.epoch_count >= target_epoch:
                break
            if not self.step() or self.diverged:
                break
            taken += 1
            if on_step is not None:
                on_step(self)
        return taken

    def _iterate(self) -> tuple[str, str] | None:
        """The phases of one step; (phase, quantity) of a divergence, else None."""
        network, spec = self.network, self.experiment
        x, t, indices = self.sampler.next_batch()
        p = network.forward(x, t, indices)
        self.last_pass = p
        loss = network.compute_loss(p, spec.loss, self.l1, self.l2)
        if not math.isfinite(loss):
            return "forward", "loss"
        network.backward(p, self.l1, self.l2)
        g = network.grad
        layer_sq = np.array([float(np.dot(g[s], g[s])) for s in network.segments])
        total = float(layer_sq.sum())
        if not math.isfinite(total):
            return "backward", "gradient"
        self.raw_gradient[...] = g
        result = clip(spec.clipping, g, network.segments, np.sqrt(layer_sq), math.sqrt(total))
        self.last_clip = result
        step = self.step_count + 1
        lr = spec.schedule.learning_rate(spec.optimizer.learning_rate, step,
                                         self.sampler.epoch_count + 1)
        self.optimizer.compute(g, lr, self._update)
        candidate = network.theta + self._update
        if not np.isfinite(candidate).all():
            self.optimizer = make_optimizer(spec.optimizer, network.n_trainable)
            return "update", "weights"
        network.theta[...] = candidate
        p.updated = True
        if result.clipped:
            self.clip_count += 1
        self.records.append(StepRecord(
            step, self.sampler.epoch_count + 1, loss, p.penalty, math.sqrt(total),
            result.clipped, lr, tuple(p.time_grad_norms.tolist()),
            tuple(p.cell_grad_norms.tolist()), accuracy(self.accuracy_rule, p.y, t),
            _gate_means(p)))
        epoch_ended = self.sampler.advance()
        self.step_count = step
        interval = spec.validation_interval
        if epoch_ended if interval is None else (step % interval == 0):
            self._validate(step)
        if self.stop_event is None:
            self.stop_event = self.stopping.after_step(step, self.sampler.epoch_count, loss)
        return None

    def _validate(self, step: int) -> None:
        dataset = self.dataset
        if dataset.x_val.shape[0] == 0:
            return
        p = self.network.forward(dataset.x_val, dataset.t_val)
        val_loss = losses.value(self.experiment.loss, p.y, p.z, dataset.t_val)
        last = self.records[-1]
        self.records[-1] = StepRecord(**{**last.__dict__, "val_loss": val_loss,
                                         "val_accuracy": accuracy(self.accuracy_rule, p.y,
                                                                  dataset.t_val)})
        stop = self.stopping.after_validation(val_loss, step, self.network.theta)
        if stop is not None:
            if restored_step(stop) is not None:
                self.last_pass = None  # made with the weights put aside
            self.stop_event = stop

    def _diverge(self, phase: str, quantity: str) -> None:
        step = self.step_count + 1
        what = {"loss": "the loss", "gradient": "a gradient", "weights": "a weight"}[quantity]
        self.stop_event = Event("diverged", step, f"diverged at step {step}: {what} became "
                                f"infinite or NaN ({phase}); the weights are those after step "
                                f"{self.step_count}. Lower the learning rate or turn on "
                                "clipping, then reset.",
                                {"phase": phase, "quantity": quantity})

    # ------------------------------------------------------------------ inspection

    def snapshot(self) -> RecurrentSnapshot:
        return RecurrentSnapshot(self.step_count, self.epoch_count, self.network.cell,
                                 self.network.hidden, self.network.theta.copy(),
                                 self.raw_gradient.copy(), self._update.copy(), self.last_pass,
                                 self.last_record)

    def gradcheck(self, max_parameters: int | None = None) -> GradcheckResult:
        """Finite differences against BPTT on the whole training set (see sim.gradcheck)."""
        copy = RecurrentNetwork(self.experiment.network, self.experiment.seed)
        copy.theta[...] = self.network.theta
        return check_gradients(RecurrentLoss(copy, self.dataset.x_train, self.dataset.t_train,
                                             self.experiment.loss, self.l1, self.l2),
                               max_parameters)

    # ------------------------------------------------------------------ checkpoints

    def state(self) -> dict[str, Any]:
        return recurrent_state(self)

    def to_experiment(self) -> RecurrentExperiment:
        return self.experiment.replace(state=self.state())

    def set_parameters(self, theta: np.ndarray) -> None:
        """Replace all parameters (a flat vector laid out like ``network.theta``); the next
        step starts from them."""
        self.network.theta[...] = theta


def _gate_means(p: RecurrentPass) -> dict[str, tuple[float, ...]]:
    """Each LSTM gate's mean over the batch and the units, at every time step."""
    steps = [gates for gates in p.gates[1:] if gates is not None]
    if not steps:
        return {}
    return {name: tuple(float(np.mean(gates[name])) for gates in steps) for name in GATES}



@dataclass(frozen=True)
class RecurrentLoss(NetworkLoss[RecurrentNetwork]):
    """A recurrent network's loss on ``x`` and ``t`` for sim.gradcheck.check_gradients; a
    nudge that moves a ReLU-family unit's pre-activation across 0 at any time step is a kink."""

    def loss_and_gradient(self) -> float:
        loss = self.network.loss_and_gradient(self.x, self.t, self.kind, self.l1, self.l2).loss
        return math.nan if loss is None else loss

    def loss(self) -> float:
        return self.network.loss_value(self.x, self.t, self.kind, self.l1, self.l2)

    def kink_pattern(self) -> bytes:
        network = self.network
        if network.cell != "elman" or not network.activation.definition.kink:
            return b""
        p = network.forward(self.x)
        return b"".join(np.packbits(a > 0.0).tobytes() for a in p.a[1:] if a is not None)

    def parameter_name(self, index: int) -> str:
        return parameter_label(self.network, index)
