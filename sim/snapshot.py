"""Snapshots: immutable copies of everything a view may show, taken between phases.

The app's worker thread owns the Trainer and publishes Snapshots; the views read only these,
so nothing the GUI draws can change under it. Everything a student can learn from a snapshot
(the chain rule of a weight, the caption of a phase) is computed here, in `sim`, from the
snapshot's own arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .batch_norm import NormPass
from .distributions import Bands
from .events import Event, Phase
from .experiment import Experiment
from .history import Series
from .network import Layer, NormViews, Pass, PassValue, not_computed

if TYPE_CHECKING:
    from .address import ParameterAddress
    from .chain_rule import ChainRule
    from .trainer import Trainer

# The history columns the live plots draw, besides the per-layer ones (LAYER_PLOTTED).
PLOTTED = ("loss", "val_loss", "train_loss", "accuracy", "val_accuracy", "learning_rate",
           "grad_norm", "grad_norm_clipped", "clipped", "penalty")
LAYER_PLOTTED = ("grad_norm", "grad_norm_clipped", "weight_norm", "update_ratio", "saturated",
                 "dead")
RECENT_EVENTS = 200


def plotted_columns(depth: int) -> list[str]:
    """The history columns a snapshot's series hold, for a network of ``depth`` layers."""
    return list(PLOTTED) + [f"{name}_{l}" for name in LAYER_PLOTTED for l in range(1, depth + 1)]


def _frozen(array: np.ndarray) -> np.ndarray:
    """A read-only float64 copy."""
    copy = np.array(array, dtype=np.float64, copy=True)
    copy.flags.writeable = False
    return copy


def _frozen_if_any(array: np.ndarray | None) -> np.ndarray | None:
    """A read-only float64 copy; None stays None."""
    return None if array is None else _frozen(array)


def _from_pass(p: Pass | None, name: str, number: int) -> np.ndarray | None:
    """A read-only copy of layer ``number``'s entry in the pass's list ``name`` (None without a
    pass, or before the phase that computes it)."""
    if p is None:
        return None
    entries: list[np.ndarray | None] = getattr(p, name)
    return _frozen_if_any(entries[number])


@dataclass(frozen=True)
class LayerSnapshot:
    """One layer: parameters now, gradients and update of the last pass, the pass's values.

    Batch arrays have one row per sample of the current batch and are None until the phase
    that computes them has run in this iteration.
    """

    number: int
    units: int
    fan_in: int
    activation: str
    has_bias: bool
    train_bias: bool
    residual: bool
    dropout: float
    W: np.ndarray  # (units, fan_in), W[j, i] is w_ji, as the weights are now
    b: np.ndarray | None
    dW: np.ndarray  # dE/dW as backpropagation computed it (penalty included, before clipping)
    db: np.ndarray | None
    dW_clipped: np.ndarray  # what the optimizer received
    db_clipped: np.ndarray | None
    update_W: np.ndarray  # the change dw of the last step
    update_b: np.ndarray | None
    z: np.ndarray | None
    h: np.ndarray | None  # f(z), before dropout and the residual sum
    a: np.ndarray | None
    keep: np.ndarray | None  # dropout scale, when dropout ran
    dE_da: np.ndarray | None
    fprime: np.ndarray | None
    delta: np.ndarray | None
    grad_norm: float  # this layer's gradient norm in the last clip phase (before clipping)
    # Batch normalisation (all None without it): gamma and beta now, their gradients before
    # and after clipping, the running statistics now, what the pass's normalisation computed,
    # and dE/dy at its output, once the backward phase reached it.
    gamma: np.ndarray | None = None
    beta: np.ndarray | None = None
    dgamma: np.ndarray | None = None
    dbeta: np.ndarray | None = None
    dgamma_clipped: np.ndarray | None = None
    dbeta_clipped: np.ndarray | None = None
    update_gamma: np.ndarray | None = None  # the change of the last step
    update_beta: np.ndarray | None = None
    running_mean: np.ndarray | None = None
    running_var: np.ndarray | None = None
    norm: NormPass | None = None
    dE_dy: np.ndarray | None = None

    @property
    def has_batch_norm(self) -> bool:
        return self.gamma is not None

    @property
    def activation_input(self) -> np.ndarray | None:
        """What the activation took for the batch: y = gamma zhat + beta after batch
        normalisation, else z (None before the forward phase)."""
        return self.z if self.norm is None else self.norm.y

    def computed(self, name: PassValue) -> np.ndarray:
        """The batch array ``name`` (z, h, a, dE_da, fprime or delta) of this layer; ValueError
        if the phase that computes it has not run in this iteration."""
        value: np.ndarray | None = getattr(self, name)
        if value is None:
            raise not_computed(name, self.number)
        return value


@dataclass(frozen=True)
class Snapshot:
    """The whole state of a training run at one moment, safe to read from any thread."""

    experiment: Experiment
    step: int
    epoch: int  # epochs completed
    batches_taken: int  # batches of the epoch in progress trained on (0 at an epoch's start)
    steps_per_epoch: int
    batch_size: int
    cursor: int  # phases of the current iteration already run (0: at a boundary)
    phases: tuple[Phase, ...]
    last_phase: Phase | None
    layers: tuple[LayerSnapshot, ...]
    x: np.ndarray | None  # the current batch's inputs, as the network sees them
    t: np.ndarray | None
    indices: np.ndarray | None  # training-set rows of the batch (None: the whole set, in order)
    loss: float | None  # data loss of the current pass, once its loss phase ran
    penalty: float
    fused_delta: bool  # the output delta came straight from the loss (softmax/sigmoid fused)
    pass_updated: bool  # the parameters have already taken this pass's step
    learning_rate: float
    # The optimizer's count of its updates, this step's included once it ran, where its rule
    # uses one (Adam's t); it starts again when the optimizer is changed.
    optimizer_updates: int | None
    clipped: bool
    clip_norm_before: float
    clip_norm_after: float
    clip_count: int
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    train_size: int
    events: tuple[Event, ...]
    stop_event: Event | None
    history_steps: int
    history: dict[str, Series] = field(repr=False)
    train_seconds: float = 0.0
    # Each layer's weight and gradient percentiles over the run (None: taken without history).
    distributions: Bands | None = field(default=None, repr=False)

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def at_boundary(self) -> bool:
        return self.cursor == 0

    @property
    def diverged(self) -> bool:
        return self.stop_event is not None and self.stop_event.kind == "diverged"

    @property
    def pass_step(self) -> int:
        """The step whose pass this is: the last one, once the parameters have taken its
        update, else the next."""
        return self.step if self.pass_updated else self.step + 1

    def weights_in_pass(self, number: int) -> tuple[np.ndarray, np.ndarray | None]:
        """W and b of a layer as the current pass used them (before its update, if taken)."""
        layer = self.layers[number - 1]
        if not self.pass_updated:
            return layer.W, layer.b
        b = None if layer.b is None else layer.b - layer.update_b
        return layer.W - layer.update_W, b

    def activations(self, number: int) -> np.ndarray | None:
        """a of layer ``number`` for the batch; layer 0 is the input."""
        return self.x if number == 0 else self.layers[number - 1].a

    def computed(self, name: PassValue, number: int) -> np.ndarray:
        """Layer ``number``'s batch array ``name`` (see ``LayerSnapshot.computed``), a of layer 0
        being the input; ValueError if its phase has not run in this iteration."""
        if number == 0 and name == "a":
            return self.batch()[0]
        return self.layers[number - 1].computed(name)

    def batch(self) -> tuple[np.ndarray, np.ndarray]:
        """Inputs and targets of the current pass's batch; ValueError before a pass has begun
        (x and t are None together)."""
        if self.x is None or self.t is None:
            raise ValueError("no pass has begun: there is no batch yet")
        return self.x, self.t

    def chain_rule(self, address: ParameterAddress) -> ChainRule:
        """The factors of dE/dw_ji (or dE/db_j) for this snapshot's batch."""
        from .chain_rule import breakdown
        return breakdown(self, address)


def _norm_fields(layer: Layer, raw: NormViews | None, now: NormViews | None,
                 update: NormViews | None, p: Pass | None) -> dict[str, Any]:
    """A layer's batch normalisation fields of its LayerSnapshot (none without it): ``raw``
    its gradient's views before clipping, ``now`` its parameters', ``update`` the last step's."""
    if layer.norm is None or raw is None or now is None or update is None:
        return {}
    record = None if p is None else p.norm[layer.number]
    return {"gamma": _frozen(now[0]), "beta": _frozen(now[1]), "dgamma": _frozen(raw[0]),
            "dbeta": _frozen(raw[1]), "dgamma_clipped": _frozen(layer.norm.dgamma),
            "dbeta_clipped": _frozen(layer.norm.dbeta), "update_gamma": _frozen(update[0]),
            "update_beta": _frozen(update[1]), "running_mean": _frozen(now[2]),
            "running_var": _frozen(now[3]),
            "norm": None if record is None else _frozen_norm(record),
            "dE_dy": _from_pass(p, "dE_dy", layer.number)}


def _frozen_norm(record: NormPass) -> NormPass:
    """A NormPass whose arrays are read-only copies (without the running statistics it moved,
    which only the trainer needs)."""
    return NormPass(record.statistics, _frozen(record.mean), _frozen(record.variance),
                    _frozen(record.std), _frozen(record.zhat), _frozen(record.y),
                    _frozen(record.gamma), _frozen(record.beta))


def take(trainer: Trainer, with_history: bool = True) -> Snapshot:
    """Copy the trainer's state into a Snapshot."""
    network = trainer.network
    p = trainer.current_pass
    raw_views = network.layer_views(trainer.raw_gradient)
    update = np.zeros_like(network.theta)
    update[:network.n_trainable] = trainer.last_update
    update_views = network.layer_views(update)
    norms = trainer.layer_gradient_norms
    layers = []
    for layer, (dW, db), (uW, ub), raw_norm, norm_now, norm_update in zip(
            network.layers, raw_views, update_views, network.norm_views(trainer.raw_gradient),
            network.norm_views(network.theta), network.norm_views(update), strict=True):
        n = layer.number
        layers.append(LayerSnapshot(
            number=n, units=layer.units, fan_in=layer.fan_in, activation=layer.activation.kind,
            has_bias=layer.has_bias, train_bias=layer.train_bias, residual=layer.residual,
            dropout=layer.dropout, W=_frozen(layer.W), b=_frozen_if_any(layer.b),
            dW=_frozen(dW), db=_frozen_if_any(db), dW_clipped=_frozen(layer.dW),
            db_clipped=_frozen_if_any(layer.db), update_W=_frozen(uW),
            update_b=_frozen_if_any(ub), z=_from_pass(p, "z", n), h=_from_pass(p, "h", n),
            a=_from_pass(p, "a", n), keep=_from_pass(p, "keep", n),
            dE_da=_from_pass(p, "dE_da", n), fprime=_from_pass(p, "fprime", n),
            delta=_from_pass(p, "delta", n), grad_norm=float(norms[n - 1]),
            **_norm_fields(layer, raw_norm, norm_now, norm_update, p)))
    clip = trainer.last_clip
    history = trainer.history
    series = {}
    if with_history and len(history):
        series = {name: history.series(name) for name in plotted_columns(network.depth)}
    return Snapshot(
        experiment=trainer.experiment, step=trainer.step_count, epoch=trainer.epoch_count,
        batches_taken=trainer.batches_taken, steps_per_epoch=trainer.steps_per_epoch,
        batch_size=trainer.batch_size,
        cursor=trainer.cursor, phases=trainer.phases, last_phase=trainer.last_phase,
        layers=tuple(layers), x=None if p is None else _frozen(p.x),
        t=None if p is None else _frozen(p.t),
        indices=None if p is None or p.indices is None else p.indices.copy(),
        loss=None if p is None else p.loss, penalty=0.0 if p is None else p.penalty,
        fused_delta=p is not None and p.fused_delta is not None,
        pass_updated=p is not None and p.updated, learning_rate=trainer.learning_rate,
        optimizer_updates=trainer.optimizer.updates,
        clipped=bool(clip and clip.clipped),
        clip_norm_before=clip.norm_before if clip else float("nan"),
        clip_norm_after=clip.norm_after if clip else float("nan"),
        clip_count=trainer.clip_count, input_names=tuple(trainer.dataset.input_names),
        output_names=tuple(trainer.dataset.output_names),
        train_size=trainer.dataset.x_train.shape[0],
        events=tuple(list(trainer.events)[-RECENT_EVENTS:]), stop_event=trainer.stop_event,
        history_steps=len(history), history=series, train_seconds=trainer.train_seconds,
        distributions=trainer.distributions.bands() if with_history else None)
