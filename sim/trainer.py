"""Training, one phase at a time: forward layer 1..L, loss, backward L..1, clip, update.

``Trainer.step()`` runs the remaining phases of an iteration and ``step_phase()`` runs one; both
call the same phase methods, so stepping phase by phase gives bit-identical numbers.

Randomness comes from separate seeded streams (data, validation split, shuffling, dropout,
augmentation, and one per layer for initialisation), so changing dropout never changes the initial
weights, and a checkpoint that stores the streams' states resumes exactly.

The trainer runs the phases and composes three parts that keep their own books: the batch
sampler (``sim.batches``: epoch order, augmentation, the random streams), the metric recorder
(``sim.metrics``: the history row of each step) and the stopping rules (``sim.stopping``).
"""

from __future__ import annotations

import contextvars
import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import numpy as np

from . import data, losses
from .address import ParameterAddress
from .batches import BatchSampler
from .chain_rule import ChainRule
from .clipping import ClipResult, clip
from .distributions import DistributionRecorder
from .events import Event, Phase, iteration_phases
from .experiment import Experiment, check_data, live_compatible
from .gradcheck import GradcheckResult, gradcheck
from .history import History
from .metrics import MetricRecorder, accuracy_rule
from .network import EXPECTED_IN_A_PASS, Network, Pass
from .optimizers import make_optimizer
from .snapshot import Snapshot, take
from .state import restore_state, save_state
from .stopping import StoppingRules, restored_step

MAX_EVENTS = 2000
# ndarray.sum() without its Python-level wrapper: the same pairwise sum, a few hundred
# nanoseconds sooner, on the per-layer sums of every step.
_sum = np.add.reduce


class Diverged(Exception):
    """Raised inside a phase when a loss, gradient or weight stops being finite."""

    def __init__(self, phase: str, layer: int, quantity: str) -> None:
        super().__init__(f"{quantity} of layer {layer} is not finite ({phase})")
        self.phase, self.layer, self.quantity = phase, layer, quantity


def seeded_parts(experiment: Experiment) -> tuple[data.Dataset, Network, BatchSampler]:
    """What a run of ``experiment`` starts from, all drawn from its seed: the data, the
    network with its initial weights, and the batch sampler with its random streams (its batch
    size and shuffling still to configure). A Trainer starts from them, and so does each run of
    ``sim.sweep``."""
    seed = experiment.seed
    dataset = data.build(experiment.data, *data.data_streams(seed), experiment.base_dir)
    check_data(experiment, dataset.facts)  # a data file may have changed since parse
    network = Network(experiment.network, experiment.regularization.dropout, seed)
    return dataset, network, BatchSampler(dataset, seed)


class Trainer:
    """Owns the network, the data, the optimizer and the history of one experiment."""

    def __init__(self, experiment: Experiment) -> None:
        self.experiment = experiment
        self.dataset, self.network, self.sampler = seeded_parts(experiment)
        self.metrics = MetricRecorder(self.network, accuracy_rule(
            self.network.output_activation.kind, self._checked_targets()))
        self.distributions = DistributionRecorder(self.network)
        self.stopping = StoppingRules(experiment.stopping)
        self.events: deque[Event] = deque(maxlen=MAX_EVENTS)
        self.phases = iteration_phases(self.network.depth)
        self._phase_calls: list[Callable[[], None]] = self._bind_phases()
        self.optimizer = make_optimizer(experiment.optimizer, self.network.n_trainable)
        self.step_count = 0  # optimizer steps taken
        self.clip_count = 0
        self.train_seconds = 0.0
        self.stop_event: Event | None = None
        self.cursor = 0  # phases of the current iteration already run
        self.last_phase: Phase | None = None
        self._pass: Pass | None = None
        self._numeric_scope = _numeric_scope()
        n = self.network.n_trainable
        self._squares = np.zeros(n)  # scratch for sums of squares
        self._update = np.zeros(n)  # the last step's parameter change dw
        self._diverging_weights = self._update  # the failed weights, after a divergence
        self._raw_grad = self.network.grad  # before clipping (a copy only when clipping)
        self._configure(experiment)
        # The last clip phase: its per-layer sums of squares of the gradient (before
        # clipping; None before the first), and what clipping did (None until asked for,
        # when nothing was clipped; see last_clip).
        self._gradient_sums: np.ndarray | None = None
        self._clip_result: ClipResult | None = None
        self._learning_rate = experiment.optimizer.learning_rate
        self._parameters_changed()
        if experiment.state:
            restore_state(self, experiment.state)

    # ------------------------------------------------------------------ set-up

    def _configure(self, experiment: Experiment) -> None:
        """Settings that may change while training runs (see ``apply_live``)."""
        self.experiment = experiment
        self.sampler.configure(experiment.batch_size, experiment.shuffle,
                               experiment.data.augment)
        self.stopping.spec = experiment.stopping
        self.validation_interval = experiment.validation_interval  # None: each epoch's end
        regularization = experiment.regularization
        self.l1, self.l2 = regularization.l1, regularization.l2
        # Hidden layers only: the output layer never drops out (as in Network's constructor).
        for layer, spec in zip(self.network.layers[:-1], experiment.network.layers[:-1],
                               strict=True):
            layer.dropout = regularization.dropout if spec.dropout is None else spec.dropout
        dropout = self.sampler.streams["dropout"]
        self._dropout_rngs: list[np.random.Generator | None] = [  # by layer number, from 1
            None, *(dropout if layer.dropout > 0.0 else None for layer in self.network.layers)]
        if experiment.clipping.kind == "none":
            self._raw_grad = self.network.grad
        elif self._raw_grad is self.network.grad:
            self._raw_grad = self.network.grad.copy()

    def _checked_targets(self) -> np.ndarray:
        dataset = self.dataset
        return losses.checked_targets(self.experiment.loss, dataset.t_train, dataset.t_val,
                                      dataset.t_test)

    def _bind_phases(self) -> list[Callable[[], None]]:
        calls: list[Callable[[], None]] = []
        for phase in self.phases:
            if phase.layer is not None:  # forward or backward through one layer
                through = self._forward if phase.kind == "forward" else self._backward
                calls.append(partial(through, phase.layer))
            else:
                calls.append({"loss": self._loss, "clip": self._clip,
                              "update": self._update_parameters}[phase.kind])
        return calls

    # ------------------------------------------------------------------ public stepping

    @property
    def stopped(self) -> bool:
        return self.stop_event is not None

    @property
    def diverged(self) -> bool:
        return self.stop_event is not None and self.stop_event.kind == "diverged"

    @property
    def current_pass(self) -> Pass | None:
        return self._pass

    @property
    def history(self) -> History:
        return self.metrics.history

    @property
    def accuracy_rule(self) -> str | None:
        """How a prediction counts as right (see ``sim.metrics.accuracy``); None: regression."""
        return self.metrics.accuracy_rule

    @property
    def epoch_count(self) -> int:
        """Epochs completed."""
        return self.sampler.epoch_count

    @property
    def batches_taken(self) -> int:
        """Batches of the epoch in progress already trained on (0 at an epoch's start)."""
        return self.sampler.batches_taken

    @property
    def position(self) -> int:
        """Index of the next batch's first sample in this epoch's order."""
        return self.sampler.position

    @property
    def batch_size(self) -> int:
        return self.sampler.batch_size

    @property
    def steps_per_epoch(self) -> int:
        return self.sampler.steps_per_epoch

    @property
    def best(self) -> dict[str, Any] | None:
        """Early stopping's best validation so far (see ``sim.stopping.StoppingRules.best``)."""
        return self.stopping.best

    def step(self) -> bool:
        """Finish the current iteration (all of it, from a boundary). False if stopped."""
        return self._run_phases(len(self.phases) - self.cursor)

    def step_phase(self) -> Phase | None:
        """Run the next phase only; returns it, or None if training has stopped."""
        if not self._run_phases(1):
            return None
        return self.last_phase

    def run(self, steps: int | None = None, epochs: int | None = None,
            on_step: Callable[[Trainer], None] | None = None) -> int:
        """Take up to ``steps`` steps (or until ``epochs`` more epochs end, or a stop).

        Returns the number of steps taken. With neither limit it runs until a stopping
        criterion of the experiment ends it.
        """
        taken = 0
        target_epoch = None if epochs is None else self.epoch_count + epochs
        while not self.stopped:
            if steps is not None and taken >= steps:
                break
            if target_epoch is not None and self.epoch_count >= target_epoch:
                break
            if not self.step() or self.diverged:  # a diverged iteration takes no step
                break
            taken += 1
            if on_step is not None:
                on_step(self)
        return taken

    def resume(self) -> None:
        """Clear a stop so training can go on (after lowering the learning rate, say)."""
        self.stop_event = None

    def _run_phases(self, count: int) -> bool:
        if self.stop_event is not None:
            return False
        started = time.perf_counter()
        try:
            self._numeric_scope.run(self._call_phases, count)
        except Diverged as error:
            self._handle_divergence(error)
        self.train_seconds += time.perf_counter() - started
        if self.cursor == 0 and self.stop_event is None:
            stop = self.stopping.after_time(self.train_seconds, self.step_count)
            if stop is not None:
                self._stop(stop)
        return True

    def _call_phases(self, count: int) -> None:
        """Run ``count`` phases (in ``self._numeric_scope``, see ``_run_phases``)."""
        calls = self._phase_calls
        if count == len(calls):  # a whole iteration from the boundary: the hot path
            for call in calls:
                call()
            self.last_phase = self.phases[-1]
        else:
            for _ in range(count):
                calls[self.cursor]()
                self.last_phase = self.phases[self.cursor]
                self.cursor = (self.cursor + 1) % len(calls)

    # ------------------------------------------------------------------ the phases

    # Each phase after forward layer 1 works on the pass that phase made in this iteration: the
    # phases run in order, and a new iteration starts with forward layer 1.

    def _forward(self, number: int) -> None:
        if number == 1:
            # Batch statistics, and the running ones follow (batch normalisation).
            self._pass = Pass(*self.sampler.next_batch(), self.network.depth,
                              update_running=True)
        p = self._pass
        assert p is not None
        self.network.forward_layer(p, number, self._dropout_rngs[number])

    def _loss(self) -> None:
        p = self._pass
        assert p is not None
        if not math.isfinite(self.network.compute_loss(p, self.experiment.loss, self.l1,
                                                       self.l2)):
            raise Diverged("forward", self._first_nonfinite_forward_layer(p), "loss")

    def _backward(self, number: int) -> None:
        p = self._pass
        assert p is not None
        self.network.backward_layer(p, number, self.l1, self.l2)
        if self._raw_grad is not self.network.grad:  # clipping keeps its own copy: show this
            self._raw_grad[...] = self.network.grad  # pass's gradient before the clip phase

    def _clip(self) -> None:
        network = self.network
        g = network.trainable_grad
        layer_sq = self._segment_sums(g)
        if not _finite_total(layer_sq):
            raise Diverged("backward", self._first_nonfinite_gradient_layer(), "gradient")
        self._gradient_sums = layer_sq
        self._clip_result = None  # measured when asked for (see last_clip), unless clipped
        spec = self.experiment.clipping
        if spec.kind == "none":
            return
        result = clip(spec, g, self._segments(), np.sqrt(layer_sq),
                      math.sqrt(float(_sum(layer_sq))))
        if result.clipped:
            self._clip_result = result
            self.clip_count += 1
            step = self.step_count + 1
            layers = ", ".join(map(str, result.layers))
            self._add_event(Event("clip", step, f"step {step}: {spec.kind} clipping scaled the "
                                  f"gradient norm {result.norm_before:.4g} to "
                                  f"{result.norm_after:.4g} (layers {layers})",
                                  {"clip_kind": spec.kind, "norm_before": result.norm_before,
                                   "norm_after": result.norm_after,
                                   "layers": list(result.layers)}))

    def _update_parameters(self) -> None:
        network = self.network
        theta = network.trainable_theta
        step = self.step_count + 1
        lr = self.experiment.schedule.learning_rate(self.experiment.optimizer.learning_rate,
                                                    step, self.sampler.epoch_count + 1)
        self._learning_rate = lr
        update = self._update
        self.optimizer.compute(network.trainable_grad, lr, update)
        p = self._pass
        assert p is not None
        metrics = self.metrics
        row = metrics.row_for_step(p.t.shape[0])
        update_sq = self._segment_sums(update, metrics.update_sums[row])
        # |w + dw| <= |w| + |dw| <= sqrt(sum w^2) + sqrt(sum dw^2): below 1e300 in total, no
        # weight can overflow, so the update goes in place; otherwise check before committing.
        # (Both ways give the same weights; a Python sum of the few layer sums is as good a
        # bound as numpy's, and a fifth of its cost.)
        if not sum(update_sq.tolist()) + self._weight_total < 1e300:
            self._guarded_update(theta, update)
        else:
            theta += update
        p.updated = True
        self._measure_weights(metrics.weight_sums[row])
        self._finish_step(p, step)

    def _guarded_update(self, theta: np.ndarray, update: np.ndarray) -> None:
        """Apply an update that might overflow, keeping the old weights if it does."""
        candidate = theta + update
        if not np.isfinite(candidate).all():
            self.optimizer = make_optimizer(self.experiment.optimizer, self.network.n_trainable)
            self._diverging_weights = candidate
            raise Diverged("update", self._first_nonfinite_weight_layer(), "weights")
        theta[...] = candidate

    def _parameters_changed(self) -> None:
        """To be called whenever the parameters change between iterations."""
        with np.errstate(over="ignore"):  # weights near the float limit: their squares are inf
            self.metrics.weights_changed(self._measure_weights())
        self._pass = None  # its numbers were computed with the old weights

    def _measure_weights(self, out: np.ndarray | None = None) -> np.ndarray:
        """Per-layer sums of squares of the trainable parameters (into ``out`` if given),
        their total kept for the next step's overflow guard (within the phases' numeric
        scope, see ``_run_phases``)."""
        weight_sq = self._segment_sums(self.network.trainable_theta, out)
        self._weight_total = sum(weight_sq.tolist())  # for the bound only: see above
        return weight_sq

    def _segments(self) -> list[slice]:
        return [layer.segment for layer in self.network.layers]

    def _segment_sums(self, vector: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Per-layer sums of squares of a flat trainable vector (weights and biases together),
        into ``out`` if given."""
        squares = np.multiply(vector, vector, out=self._squares)
        return np.add.reduceat(squares, self.network.segment_starts, out=out)

    # ------------------------------------------------------------------ after each step

    def _finish_step(self, p: Pass, step: int) -> None:
        """Record the step's metrics, move past its batch, validate if due, check the rules."""
        loss = p.loss
        assert loss is not None  # the loss phase ran
        sampler = self.sampler
        assert self._gradient_sums is not None  # the clip phase ran
        row = self.metrics.record_step(step, sampler.epoch_count + 1, p, self._learning_rate,
                                       self._gradient_sums, self._clip_result)
        self.distributions.after_step(step, self.network, self._raw_grad)
        epoch_ended = sampler.advance()
        self.step_count = step
        interval = self.validation_interval
        if epoch_ended if interval is None else (step % interval == 0):
            self._validate(row, step)
        if self.stop_event is None:
            stop = self.stopping.after_step(step, sampler.epoch_count, loss)
            if stop is not None:
                self._stop(stop)

    def _validate(self, row: np.ndarray, step: int) -> None:
        dataset = self.dataset
        if dataset.x_val.shape[0] == 0:
            return
        network, loss = self.network, self.experiment.loss
        train_loss = network.loss_value(dataset.x_train, dataset.t_train, loss)
        val = network.forward(dataset.x_val)
        val_loss = network.loss_of(val, dataset.t_val, loss)
        self.metrics.record_validation(row, train_loss, val_loss,
                                       self.metrics.accuracy(val.output, dataset.t_val))
        stop = self.stopping.after_validation(val_loss, step, network.theta)
        if stop is not None:
            # the rule may have restored the best parameters
            self.metrics.weights_changed(self._measure_weights())
            if restored_step(stop) is not None:
                self._pass = None  # its numbers were computed with the weights put aside
            self._stop(stop)

    def _stop(self, event: Event) -> None:
        self.stop_event = event
        self._add_event(event)

    def _add_event(self, event: Event) -> None:
        self.events.append(event)

    # ------------------------------------------------------------------ divergence

    def _handle_divergence(self, error: Diverged) -> None:
        step = self.step_count + 1
        what = {"loss": "the loss", "gradient": "a gradient", "weights": "a weight"}[
            error.quantity]
        message = (f"diverged at step {step}: {what} became infinite or NaN, first in layer "
                   f"{error.layer} ({error.phase}); the weights are those after step "
                   f"{self.step_count}. Lower the learning rate or turn on clipping, then reset.")
        self._stop(Event("diverged", step, message, {"phase": error.phase, "layer": error.layer,
                                                      "quantity": error.quantity}))
        if self._pass is not None:  # its forward moved batch normalisation's running statistics
            self.network.undo_running_updates(self._pass)
        self.cursor = 0  # the failed iteration is abandoned; its pass stays for inspection

    def _first_nonfinite_forward_layer(self, p: Pass) -> int:
        for number in range(1, self.network.depth + 1):
            if not (np.isfinite(p.computed("z", number)).all()
                    and np.isfinite(p.computed("a", number)).all()):
                return number
        return self.network.depth

    def _first_nonfinite_gradient_layer(self) -> int:
        for layer in reversed(self.network.layers):
            if not math.isfinite(float(np.dot(self.network.grad[layer.segment],
                                              self.network.grad[layer.segment]))):
                return layer.number
        return self.network.depth

    def _first_nonfinite_weight_layer(self) -> int:
        for layer in self.network.layers:
            if not np.isfinite(self._diverging_weights[layer.segment]).all():
                return layer.number
        return 1

    # ------------------------------------------------------------------ inspection

    @property
    def last_update(self) -> np.ndarray:
        """The last step's parameter change dw (flat, trainable parameters)."""
        return self._update

    @property
    def raw_gradient(self) -> np.ndarray:
        """The flat gradient before clipping (the same array as after, without clipping)."""
        return self._raw_grad

    @property
    def learning_rate(self) -> float:
        return self._learning_rate

    @property
    def last_clip(self) -> ClipResult | None:
        """What the last clip phase did (None before the first one)."""
        if self._clip_result is None and self._gradient_sums is not None:
            norm = math.sqrt(float(_sum(self._gradient_sums)))
            self._clip_result = ClipResult(False, norm, norm, self.layer_gradient_norms, ())
        return self._clip_result

    @property
    def layer_gradient_norms(self) -> np.ndarray:
        """Each layer's gradient norm measured in the last clip phase (before clipping;
        zeros before the first)."""
        if self._gradient_sums is None:
            return np.zeros(self.network.depth)
        return np.sqrt(self._gradient_sums)

    def snapshot(self, with_history: bool = True) -> Snapshot:
        """An immutable copy of everything the views may show."""
        return take(self, with_history)

    def chain_rule(self, address: ParameterAddress) -> ChainRule:
        """The factors of dE/dw_ji (or dE/db_j) for the current iteration's batch."""
        return self.snapshot(with_history=False).chain_rule(address)

    def gradcheck(self, max_parameters: int | None = None) -> GradcheckResult:
        """Finite differences against backpropagation on the whole training set."""
        copy = Network(self.experiment.network, 0.0, self.experiment.seed)
        copy.theta[...] = self.network.theta
        return gradcheck(copy, self.dataset.x_train, self.dataset.t_train,
                         self.experiment.loss, self.l1, self.l2, max_parameters)

    def recent_events(self, kind: str | None = None) -> Iterator[Event]:
        return (event for event in self.events if kind is None or event.kind == kind)

    # ------------------------------------------------------------------ changes between steps

    def at_boundary(self) -> bool:
        return self.cursor == 0

    def set_parameter(self, address: ParameterAddress, value: float) -> None:
        """Set one weight or bias between iterations; the next step starts from it."""
        if not self.at_boundary():
            raise RuntimeError("finish the current iteration before editing a weight")
        if not math.isfinite(value):
            raise ValueError(f"a weight must be a finite number, got {value!r}")
        self.network.theta[address.flat_index(self.network)] = value
        self._parameters_changed()

    def set_parameters(self, theta: np.ndarray) -> None:
        """Replace all parameters between iterations (a flat vector laid out like
        ``network.theta``); the next step starts from them."""
        if not self.at_boundary():
            raise RuntimeError("finish the current iteration before replacing the weights")
        self.network.theta[...] = theta
        self._parameters_changed()

    def apply_live(self, experiment: Experiment) -> None:
        """Adopt changed hyperparameters without losing the trained weights.

        Optimizer settings, schedule, batch size, shuffling, augmentation, clipping,
        regularisation, stopping and the validation interval may change; anything else needs
        a new Trainer.
        """
        if not live_compatible(self.experiment, experiment):
            raise ValueError("data, network, loss or seed changed: build a new Trainer")
        old = self.experiment
        self._configure(experiment)
        if experiment.optimizer.kind != old.optimizer.kind:
            self.optimizer = make_optimizer(experiment.optimizer, self.network.n_trainable)
        else:
            self.optimizer.spec = experiment.optimizer

    # ------------------------------------------------------------------ checkpoints

    def state(self) -> dict[str, Any]:
        """Everything a resumed run needs to continue exactly as if never interrupted."""
        return save_state(self)

    def to_experiment(self) -> Experiment:
        """The experiment with this trainer's state, ready to save and resume."""
        return self.experiment.replace(state=self.state())


def _finite_total(sums: np.ndarray) -> bool:
    """Whether the total of these non-negative sums, as ``np.add.reduce`` adds them up, is
    finite. A Python sum of the few numbers answers first, for a fifth of the time: below
    1e300 the total is finite whatever the order of adding."""
    return sum(sums.tolist()) < 1e300 or math.isfinite(float(_sum(sums)))


def _numeric_scope() -> contextvars.Context:
    """A context in which numpy ignores the overflow and invalid results a pass expects
    (``network.EXPECTED_IN_A_PASS``) and keeps its defaults otherwise.

    A diverging run overflows on its way to the check that reports it, and sigmoid's exp
    overflows (to the right limit) for very negative z: numpy's warnings would only repeat what
    the divergence event says. numpy keeps its error state in a context variable, so running
    the phases in this context scopes the state to them exactly as np.errstate would, for the
    cost of a Context.run: 0.05 microseconds, where np.errstate costs 0.5 to 1.3 per use, 1 to
    3 percent of a small network's step. A context can be entered by one thread at a time;
    each trainer has its own and is driven by one thread at a time.
    """
    context = contextvars.Context()
    context.run(np.seterr, **EXPECTED_IN_A_PASS)
    return context
