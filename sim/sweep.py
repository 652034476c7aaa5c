"""Many seeds at once: N copies of one experiment that differ only in their seed, trained as one
computation with a runs axis in front of every array (``python -m sim sweep``).

Run k uses seed + k, and is the run that seed gives alone in ``sim.trainer.Trainer``, to the
last bit in practice (the tests hold every parameter to 1e-12 of it):

- each run starts from what a Trainer of its seed starts from (``seeded_parts``: the data,
  the initial weights, the batch sampler and its random streams) with its own stopping rules;
- each epoch's order and augmentation are drawn by each run's own ``BatchSampler.begin_epoch``;
- a step repeats the trainer's phases with the same numpy operations on stacked arrays: numpy
  multiplies a stack of matrices one matrix at a time with the BLAS call it makes for one, and
  the elementwise maths, the per-run sums and the optimizer's own ``compute`` (on a
  (runs, parameters) array) do to each row what they do to one run's vector;
- dropout masks come from each run's dropout stream, drawn for a whole epoch in one call: a
  generator fills an array one number after another, so one long draw holds the same numbers
  as the trainer's draw per layer and step.

A run that a stopping rule ends, or that diverges, is taken out of the arrays (its results
kept) while the others go on. The maths of a step is written here once for a stack of runs,
and tests/test_sweep.py checks it against the trainer run by run.

Not supported (``check_sweepable`` refuses them with one line naming the field): a saved
``state`` (every run starts from its seed's beginning), a ``time_limit`` (it depends on the
machine, so runs would not repeat), and any option of the layers, the network or the data that
this module does not know (batch normalisation, recurrent layers, ...): a field outside the
ones listed in ``KNOWN_FIELDS`` whose value is not its default.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from .batches import BatchSampler
from .clipping import NORM_EPSILON
from .data import DataSpec
from .experiment import MAX_SEED, Experiment, LayerSpec, NetworkSpec
from .network import EXPECTED_IN_A_PASS, Network
from .optimizers import Optimizer, OptimizerSpec, make_optimizer
from .schema import ExperimentError, finite_or_none
from .state import parameters_json
from .stopping import StoppingRules
from .trainer import Trainer, seeded_parts

MAX_RUNS = 10_000
# The fields of the specs this module computes; any other field must keep its default.
KNOWN_FIELDS: dict[type, frozenset[str]] = {
    Experiment: frozenset({"data", "network", "name", "description", "seed", "loss",
                           "optimizer", "schedule", "batch_size", "shuffle", "clipping",
                           "regularization", "stopping", "validation_interval", "view",
                           "quiz", "state", "base_dir", "data_facts"}),
    NetworkSpec: frozenset({"inputs", "layers", "init"}),
    LayerSpec: frozenset({"units", "activation", "bias", "train_bias", "residual", "dropout",
                          "init", "weights", "biases"}),
    # The data's options: each run's data and epochs are drawn by the engine's own code, but
    # an option added later (augmentation of each batch, say) is refused until checked here.
    DataSpec: frozenset({"kind", "samples", "noise", "classes", "factor", "turns", "encoding",
                         "bits", "size", "slope", "x", "inputs", "targets", "path",
                         "target_columns", "input_columns", "validation_fraction",
                         "test_fraction", "standardize", "augment", "input_names",
                         "output_names"}),
}


@dataclass(frozen=True)
class SweepRun:
    """One seed's run: where it ended and how."""

    seed: int
    steps: int  # optimizer steps taken
    final_loss: float | None  # the last step's batch loss (before its update); None: no step
    stopped: bool  # a stopping rule of the experiment ended the run (not a divergence)
    diverged: bool  # a loss, gradient or weight stopped being finite (weights: the step before)
    parameters: np.ndarray  # flat, laid out like Network.theta
    losses: np.ndarray  # the batch loss of each step taken, in order

    def to_json(self, network: Network, with_parameters: bool) -> dict[str, Any]:
        """The run as the sweep's JSON lists it; ``parameters`` in a state's layout."""
        out: dict[str, Any] = {"seed": self.seed, "steps": self.steps,
                               "final_loss": finite_or_none(self.final_loss),
                               "stopped": self.stopped, "diverged": self.diverged}
        if with_parameters:
            out["parameters"] = parameters_json(network, self.parameters)
        return out


@dataclass(frozen=True)
class Sweep:
    """The runs of a sweep, in the order of their seeds."""

    experiment: Experiment
    runs: tuple[SweepRun, ...]

    def to_json(self, with_parameters: bool = False) -> dict[str, Any]:
        network = Network(self.experiment.network, 0.0, self.experiment.seed)  # for the layout
        return {"runs": [run.to_json(network, with_parameters) for run in self.runs]}

    def loss_curves(self) -> np.ndarray:
        """Every run's batch loss by step, one row a run, NaN after the run's last step."""
        longest = max((run.losses.size for run in self.runs), default=0)
        curves = np.full((len(self.runs), longest), math.nan)
        for row, run in zip(curves, self.runs, strict=True):
            row[:run.losses.size] = run.losses
        return curves


def check_sweepable(experiment: Experiment, runs: int) -> None:
    """ExperimentError (one line naming the field) if these runs cannot be swept together."""
    if not 1 <= runs <= MAX_RUNS:
        raise ExperimentError("--seeds", f"must be from 1 to {MAX_RUNS}, got {runs}")
    if experiment.seed + runs - 1 > MAX_SEED:
        raise ExperimentError("seed", f"{experiment.seed} + {runs - 1} runs passes the largest "
                                      f"seed, {MAX_SEED}")
    if experiment.state is not None:
        raise ExperimentError("state", "a sweep starts every run from its seed's beginning; "
                                       "this file holds a saved state (remove it, or sweep the "
                                       "file the run started from)")
    if experiment.stopping.time_limit is not None:
        raise ExperimentError("stopping.time_limit", "a sweep cannot stop on time: it depends "
                                                     "on the machine, so runs would not repeat")
    _check_known(experiment, "")
    _check_known(experiment.data, "data")
    _check_known(experiment.network, "network")
    for number, layer in enumerate(experiment.network.layers):
        _check_known(layer, f"network.layers[{number}]")


def _check_known(spec: Any, path: str) -> None:
    known = next(KNOWN_FIELDS[kind] for kind in type(spec).__mro__ if kind in KNOWN_FIELDS)
    for field in fields(spec):
        if field.name not in known and getattr(spec, field.name) != field.default:
            where = f"{path}.{field.name}" if path else field.name
            raise ExperimentError(where, "is not supported by sweep (dense layers only); "
                                         "train these seeds one at a time with python -m sim run")


def sweep(experiment: Experiment, runs: int, steps: int | None = None,
          epochs: int | None = None) -> Sweep:
    """Train ``runs`` copies of ``experiment`` with seeds seed, seed + 1, ..., each for up to
    ``steps`` steps or until ``epochs`` epochs end (neither: until its stopping rules end it),
    as ``Trainer.run`` would train it alone."""
    sweeper = Sweeper(experiment, runs, steps, epochs)
    while not sweeper.done:
        sweeper.advance(math.inf)
    return sweeper.result()


class Sweeper:
    """A sweep taken a slice of time at a time (the app's training process interleaves it
    with its other work); ``sweep`` runs one to the end."""

    def __init__(self, experiment: Experiment, runs: int, steps: int | None = None,
                 epochs: int | None = None) -> None:
        check_sweepable(experiment, runs)
        Trainer(experiment)  # refuses what the trainer refuses (targets the loss cannot take)
        self.experiment = experiment
        self.steps, self.epochs = steps, epochs
        self.seeds = [experiment.seed + k for k in range(runs)]
        self._runs = _Runs(experiment, [_Seeded(experiment.replace(seed=seed))
                                        for seed in self.seeds])

    @property
    def done(self) -> bool:
        """Every run has stopped, or reached the limit."""
        runs = self._runs
        return not runs.live or (self.steps is not None and runs.step_count >= self.steps) or \
            (self.epochs is not None and runs.epoch_count >= self.epochs)

    def advance(self, seconds: float) -> None:
        """Train for about ``seconds`` (at least one step, unless done)."""
        deadline = time.perf_counter() + seconds
        with np.errstate(**EXPECTED_IN_A_PASS):
            while not self.done:
                self._runs.step()
                if time.perf_counter() >= deadline:
                    break

    def result(self) -> Sweep:
        """The runs, in seed order (the sweep must be done)."""
        if not self.done:
            raise RuntimeError("the sweep has not finished")
        self._runs.finish_all()
        return Sweep(self.experiment, tuple(self._runs.results[seed] for seed in self.seeds))


class _Seeded:
    """What one seed's run starts from, as a Trainer of it would (``seeded_parts``)."""

    def __init__(self, experiment: Experiment) -> None:
        self.seed = experiment.seed
        self.dataset, self.network, self.sampler = seeded_parts(experiment)
        self.sampler.configure(experiment.batch_size, experiment.shuffle,
                               experiment.data.augment)
        self.stopping = StoppingRules(experiment.stopping)


@dataclass
class _Pass:
    """One step's values, by layer number as in ``sim.network.Pass`` (a[0] is the input)."""

    z: list[np.ndarray]
    h: list[np.ndarray]
    a: list[np.ndarray]
    keep: list[np.ndarray | None]


class _Runs:
    """The runs still training, stacked: row r of every array belongs to ``self.live[r]``."""

    def __init__(self, experiment: Experiment, seeded: list[_Seeded]) -> None:
        first = seeded[0]
        self.experiment = experiment
        self.network = first.network  # the layout, activations and dropout rates of every run
        self.layers = self.network.layers
        self.seeded = seeded
        self.live = list(range(len(seeded)))
        self.results: dict[int, SweepRun] = {}
        self.losses: list[list[float]] = [[] for _ in seeded]
        self.step_count = 0
        self.epoch_count = 0
        self.position = 0
        self.samples = first.sampler.samples
        self.batch_size = first.sampler.batch_size
        self.dropout_units: int = sum(layer.units for layer in self.layers if layer.dropout > 0.0)
        self.theta = np.stack([t.network.theta for t in seeded])
        self.grad = np.zeros_like(self.theta)
        self.x_val = np.stack([t.dataset.x_val for t in seeded])
        self.t_val = np.stack([t.dataset.t_val for t in seeded])
        self.t_train = np.stack([t.dataset.t_train for t in seeded])
        self.optimizer = _stacked_optimizer(experiment.optimizer, self.network.n_trainable,
                                            len(seeded))
        self.x_epoch = self.dropout_draws = np.empty(0)
        self.order: np.ndarray = np.empty(0, dtype=np.intp)  # empty: the data's order
        self.dropout_offset = 0
        self.epochs_repeat = False  # whether every epoch's order and inputs are the first's
        self._lay_out()

    # ------------------------------------------------------------------ layout

    def _lay_out(self) -> None:
        """Each layer's (runs, units, fan_in) W and (runs, units) b, as views of theta; the
        same of grad."""
        self.W = _layer_views(self.network, self.theta)
        self.dW = _layer_views(self.network, self.grad)

    def _keep_rows(self, rows: np.ndarray) -> None:
        """Keep only these rows of every stacked array."""
        self.theta, self.grad = self.theta[rows], self.grad[rows]
        self.x_val, self.t_val, self.t_train = self.x_val[rows], self.t_val[rows], \
            self.t_train[rows]
        self.x_epoch = self.x_epoch[rows]
        if self.order.size:
            self.order = self.order[rows]
        if self.dropout_draws.size:
            self.dropout_draws = self.dropout_draws[rows]
        for name in self.optimizer.state_names:
            value = getattr(self.optimizer, name)
            if isinstance(value, np.ndarray):
                setattr(self.optimizer, name, value[rows])
        self._lay_out()

    # ------------------------------------------------------------------ one step

    def step(self) -> None:
        """One step of every live run (the trainer's forward, loss, backward, clip, update)."""
        if self.position == 0:
            self._begin_epoch()
        x, t = self._next_batch()
        p = self._forward(x, self._dropout_masks(x.shape[1]))
        loss_value, output_error, fused = batch_loss(self.experiment.loss, p.a[-1], p.z[-1], t)
        regularization = self.experiment.regularization
        l1, l2 = regularization.l1, regularization.l2
        penalty = self._penalty(l1, l2) if (l1 or l2) else 0.0
        diverged = ~np.isfinite(loss_value + penalty)
        self._backward(p, output_error, fused, l1, l2)
        g = self.grad[:, :self.network.n_trainable]
        layer_sq = np.add.reduceat(g * g, self.network.segment_starts, axis=1)
        diverged |= ~np.isfinite(layer_sq.sum(axis=1))
        self._clip(g, layer_sq)
        update = np.empty_like(g)
        step = self.step_count + 1
        experiment = self.experiment
        lr = experiment.schedule.learning_rate(experiment.optimizer.learning_rate, step,
                                               self.epoch_count + 1)
        self.optimizer.compute(g, lr, update)
        theta = self.theta[:, :self.network.n_trainable]
        candidate = theta + update
        diverged |= ~np.isfinite(candidate).all(axis=1)
        theta[~diverged] = candidate[~diverged]
        for gone in np.flatnonzero(diverged):
            self._leave(int(gone), stopped=False, diverged=True)
        for row, run in enumerate(self.live):
            if not diverged[row]:
                self.losses[run].append(float(loss_value[row]))
        self.step_count = step
        self._finish_step(step, loss_value, ~diverged)

    def _begin_epoch(self) -> None:
        """Each live run's epoch order and inputs from its own sampler, and its dropout draws
        for the whole epoch from its own stream. An epoch that draws nothing from the
        sampler's streams (no shuffling, no augmentation) is the same every time: it is drawn
        once."""
        if self.epochs_repeat:
            self._draw_dropout()
            return
        samplers = [self.seeded[run].sampler for run in self.live]
        before = _stream_states(samplers[0])
        for sampler in samplers:
            sampler.begin_epoch()
        self.epochs_repeat = _stream_states(samplers[0]) == before
        self.x_epoch = np.stack([sampler.epoch_inputs for sampler in samplers])
        # Shuffled or not, as the sweep's one batch size and shuffling say for every run.
        orders = [order for sampler in samplers if (order := sampler.epoch_order) is not None]
        self.order = np.stack(orders) if orders else np.empty(0, dtype=np.intp)
        self._draw_dropout()

    def _draw_dropout(self) -> None:
        """Each live run's uniform numbers for the dropout masks of a whole epoch (every step
        draws batch x units of each layer with dropout, in order: samples x units in all)."""
        self.dropout_offset = 0
        if self.dropout_units:
            draws = self.samples * self.dropout_units
            self.dropout_draws = np.stack([
                self.seeded[run].sampler.streams["dropout"].random(draws)
                for run in self.live])

    def _next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """The inputs and targets of each run's next batch, (runs, batch, features)."""
        start, stop = self.position, min(self.position + self.batch_size, self.samples)
        if not self.order.size:
            return self.x_epoch[:, start:stop], self.t_train[:, start:stop]
        rows = self.order[:, start:stop, np.newaxis]
        return (np.take_along_axis(self.x_epoch, rows, axis=1),
                np.take_along_axis(self.t_train, rows, axis=1))

    def _dropout_masks(self, batch: int) -> list[np.ndarray | None]:
        """Inverted-dropout masks by layer number (None: no dropout), from the epoch's draws
        in the order the trainer draws them: layer by layer, (batch, units) each."""
        masks: list[np.ndarray | None] = [None]
        runs = len(self.live)
        for layer in self.layers:
            if layer.dropout <= 0.0:
                masks.append(None)
                continue
            count = batch * layer.units
            uniform = self.dropout_draws[:, self.dropout_offset:self.dropout_offset + count]
            self.dropout_offset += count
            masks.append((uniform.reshape(runs, batch, layer.units) >= layer.dropout)
                         * (1.0 / (1.0 - layer.dropout)))
        return masks

    def _forward(self, x: np.ndarray, masks: Sequence[np.ndarray | None]) -> _Pass:
        """``Network.forward_layer`` for every layer, on a stack of runs."""
        p = _Pass([x], [x], [x], [None])
        for layer, (W, b), keep in zip(self.layers, self.W, masks[1:], strict=True):
            a_prev = p.a[-1]
            z = np.matmul(a_prev, W.transpose(0, 2, 1))
            if b is not None:
                z += b[:, np.newaxis, :]
            h = _by_rows(layer.activation.forward, z)
            a = h if keep is None else h * keep
            if layer.residual:
                a = a + a_prev
            p.z.append(z)
            p.h.append(h)
            p.a.append(a)
            p.keep.append(keep)
        return p

    def _penalty(self, l1: float, l2: float) -> np.ndarray:
        """Each run's l2/2 sum w^2 + l1 sum |w| over the weights (``Network.penalty``)."""
        total = np.zeros(len(self.live))
        for W, _ in self.W:
            w = W.reshape(W.shape[0], -1)
            if l2:
                total += 0.5 * l2 * np.einsum("ri,ri->r", w, w)
            if l1:
                total += l1 * np.abs(w).sum(axis=1)
        return total

    def _backward(self, p: _Pass, output_error: np.ndarray | None, fused: np.ndarray | None,
                  l1: float, l2: float) -> None:
        """``Network.backward_layer`` for layers L..1, on a stack of runs, into ``grad``."""
        depth = self.network.depth
        delta_above = error_above = np.empty(0)
        for number in range(depth, 0, -1):
            layer = self.layers[number - 1]
            W = self.W[number - 1][0]
            dW, db = self.dW[number - 1]
            if number == depth and fused is not None:
                delta = fused
            else:
                if number == depth:
                    assert output_error is not None  # a loss that is not fused gives it
                    dE_da = output_error
                else:
                    above = self.layers[number]
                    dE_da = np.matmul(delta_above, self.W[number][0])
                    if above.residual:
                        dE_da = dE_da + error_above
                fprime = _by_rows(layer.activation.derivative, p.z[number], p.h[number])
                keep = p.keep[number]
                error = dE_da if keep is None else dE_da * keep
                delta = error * fprime
                error_above = dE_da
            np.matmul(delta.transpose(0, 2, 1), p.a[number - 1], out=dW)
            if db is not None:
                np.add.reduce(delta, axis=1, out=db)
            if l2:
                dW += l2 * W
            if l1:
                dW += l1 * np.sign(W)
            delta_above = delta

    def _clip(self, g: np.ndarray, layer_sq: np.ndarray) -> None:
        """``sim.clipping.clip`` of each run's gradient, in place."""
        spec = self.experiment.clipping
        threshold = spec.threshold
        if spec.kind == "global_norm":
            norm = np.sqrt(layer_sq.sum(axis=1))
            coef = threshold / (norm + NORM_EPSILON)
            g *= np.where(coef < 1.0, coef, 1.0)[:, np.newaxis]
        elif spec.kind == "layer_norm":
            coefs = threshold / (np.sqrt(layer_sq) + NORM_EPSILON)
            for index, layer in enumerate(self.layers):
                g[:, layer.segment] *= np.where(coefs[:, index] < 1.0, coefs[:, index],
                                                1.0)[:, np.newaxis]
        elif spec.kind == "value":
            np.clip(g, -threshold, threshold, out=g)

    # ------------------------------------------------------------------ after each step

    def _finish_step(self, step: int, loss_value: np.ndarray, stepped: np.ndarray) -> None:
        """Move past the batch, validate if due, apply the stopping rules (as
        ``Trainer._finish_step``); runs that stop leave."""
        self.position += self.batch_size
        epoch_ended = self.position >= self.samples
        if epoch_ended:
            self.position = 0
            self.epoch_count += 1
        interval = self.experiment.validation_interval
        stopped = np.zeros_like(stepped)
        spec = self.experiment.stopping
        # A validation changes a run only through early stopping (the trainer's also records
        # metrics, which a sweep does not keep).
        if (epoch_ended if interval is None else step % interval == 0) and \
                self.x_val.shape[1] and spec.early_stopping is not None:
            stopped |= self._validate(step, stepped)
        limit = (spec.max_steps is not None and step >= spec.max_steps) or \
            (spec.max_epochs is not None and self.epoch_count >= spec.max_epochs)
        if limit:
            stopped |= stepped
        if spec.loss_below is not None:
            stopped |= (loss_value < spec.loss_below) & stepped
        for row in np.flatnonzero(stopped):
            self._leave(int(row), stopped=True, diverged=False)
        gone = ~stepped | stopped
        if gone.any():
            self._drop(gone)

    def _validate(self, step: int, stepped: np.ndarray) -> np.ndarray:
        """Each run's early stopping after a validation of the runs that took this step:
        which runs it stops (having put back their best weights if the rule restores them)."""
        x = self.x_val
        p = self._forward(x, [None] * (self.network.depth + 1))
        val_loss, _, _ = batch_loss(self.experiment.loss, p.a[-1], p.z[-1], self.t_val)
        stops = np.zeros(len(self.live), dtype=bool)
        for row in np.flatnonzero(stepped):
            rules = self.seeded[self.live[row]].stopping
            stops[row] = rules.after_validation(float(val_loss[row]), step,
                                                self.theta[row]) is not None
        return stops

    def _leave(self, row: int, stopped: bool, diverged: bool) -> None:
        """Keep the result of the run in ``row``."""
        run = self.live[row]
        losses = self.losses[run]
        self.results[self.seeded[run].seed] = SweepRun(
            seed=self.seeded[run].seed,
            steps=len(losses),  # one loss for each step the run took
            final_loss=losses[-1] if losses else None, stopped=stopped, diverged=diverged,
            parameters=self.theta[row].copy(), losses=np.array(losses))

    def _drop(self, gone: np.ndarray) -> None:
        rows = np.flatnonzero(~gone)
        self.live = [self.live[row] for row in rows]
        if self.live:
            self._keep_rows(rows)

    def finish_all(self) -> None:
        """Keep the results of the runs still training when the sweep's limit came."""
        for row in range(len(self.live)):
            self._leave(row, stopped=False, diverged=False)
        self.live = []


def _stacked_optimizer(spec: OptimizerSpec, size: int, runs: int) -> Optimizer:
    """A fresh optimizer for ``size`` parameters whose state arrays have a row per run."""
    optimizer = make_optimizer(spec, size)
    for name in optimizer.state_names:
        value = getattr(optimizer, name)
        if isinstance(value, np.ndarray):
            setattr(optimizer, name, np.zeros((runs, *value.shape)))
    return optimizer


def _stream_states(sampler: BatchSampler) -> list[Mapping[str, Any]]:
    return [stream.bit_generator.state for stream in sampler.streams.values()]


def _layer_views(network: Network, stacked: np.ndarray
                 ) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Each layer's W (runs, units, fan_in) and b (runs, units) as views of a stack of flat
    vectors laid out like ``network.theta``."""
    runs = stacked.shape[0]
    views = []
    for layer in network.layers:
        start = layer.segment.start
        W = stacked[:, start:start + layer.units * layer.fan_in].reshape(
            runs, layer.units, layer.fan_in)
        b = None if not layer.has_bias else \
            stacked[:, layer.bias_start:layer.bias_start + layer.units]
        views.append((W, b))
    return views


def _by_rows(function: Callable[..., np.ndarray], *arrays: np.ndarray) -> np.ndarray:
    """``function`` of (samples, units) arrays applied to stacks (runs, samples, units), as
    one (runs x samples, units) array: softmax works along each row."""
    runs, samples, units = arrays[0].shape
    result = function(*(array.reshape(runs * samples, units) for array in arrays))
    return result.reshape(runs, samples, units)


# ---------------------------------------------------------------------------- losses

# sim.losses for a stack of runs: each run's value, and the output error (dE/da, or dE/dz
# for a fused loss) computed by the same operations as the engine's, row by row.
LossOfRuns = tuple[np.ndarray, np.ndarray | None, np.ndarray | None]


def batch_loss(kind: str, y: np.ndarray, z: np.ndarray, t: np.ndarray) -> LossOfRuns:
    """Each run's loss (runs,) and output error for outputs y = f(z) against targets t, all
    (runs, samples, outputs); as ``sim.losses.evaluate`` for each run."""
    runs, n, k = y.shape
    if kind in ("bce", "cross_entropy"):
        if kind == "bce":
            elements = np.maximum(z, 0.0) - t * z + np.log1p(np.exp(-np.abs(z)))
            value = elements.reshape(runs, -1).sum(axis=1) / (n * k)
            return value, None, (y - t) * (1.0 / (n * k))
        target_mass = t.sum(axis=2, keepdims=True)
        m = z.max(axis=2, keepdims=True)
        logsumexp = m + np.log(np.sum(np.exp(z - m), axis=2, keepdims=True))
        value = ((logsumexp * target_mass).reshape(runs, -1).sum(axis=1)
                 - (t * z).reshape(runs, -1).sum(axis=1)) / n
        return value, None, (y * target_mass - t) * (1.0 / n)
    diff = y - t
    flat = diff.reshape(runs, 1, n * k)
    squares = np.matmul(flat, flat.transpose(0, 2, 1)).reshape(runs)  # a dot product per run
    if kind == "sse":
        return squares, 2.0 * diff, None
    if kind == "half_sse":
        return 0.5 * squares, diff, None
    if kind == "mse":
        return squares / (n * k), diff * (2.0 / (n * k)), None
    if kind == "half_mse":
        return 0.5 * squares / (n * k), diff * (1.0 / (n * k)), None
    raise ValueError(f"unknown loss {kind!r}")

