"""Checkpoints: the ``state`` section of an experiment file, read and written as JSON.

A state holds what makes a resumed run continue bit for bit as if never interrupted: the
trained parameters, the optimizer's buffers, the counters, the random streams' states (and
their states at the start of the current epoch, from which the epoch's order and augmentation are
drawn again), and the early-stopping record. The rest of the file still describes how the run
started, so a reset goes back to the beginning.

This module is only the codec: it reads the trainer through its public attributes and the
``state()`` of its parts (optimizer, batch sampler, stopping rules), checks a saved state
field by field, and hands the values back through their ``restore`` methods. A dense and a
recurrent trainer share all of it but the parameters' layout: each kind gives its
``ParameterCodec`` (sim.recurrent_state the recurrent one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .batches import EPOCH_STREAMS, STREAMS, SamplerState
from .events import Event
from .network import Network
from .optimizers import Optimizer
from .schema import ExperimentError, Section, one_line, read_matrix, read_vector

if TYPE_CHECKING:
    from .batches import BatchSampler
    from .stopping import StoppingRules
    from .trainer import Trainer

STATE_KEYS = ("step", "epoch", "position", "train_seconds", "clip_count", "parameters",
              "optimizer", "rng", "epoch_rng", "early_stopping", "stopped")
EARLY_STOPPING_KEYS = ("loss", "step", "wait", "parameters")
STOPPED_KEYS = ("event", "step", "message", "reason", "phase", "layer", "quantity",
                "restored_from", "best_val_loss")
MAX_COUNT = 10**15  # steps, epochs and clips a state may claim


class FlatParameters(Protocol):
    """A network's parameters as one flat vector, the first ``n_trainable`` of them trained."""

    @property
    def theta(self) -> np.ndarray: ...

    @property
    def n_trainable(self) -> int: ...


class Checkpointed(Protocol):
    """What a state is read from and loaded into: a dense or a recurrent trainer."""

    step_count: int
    train_seconds: float
    clip_count: int
    stop_event: Event | None

    @property
    def network(self) -> FlatParameters: ...

    @property
    def optimizer(self) -> Optimizer: ...

    @property
    def sampler(self) -> BatchSampler: ...

    @property
    def stopping(self) -> StoppingRules: ...

    def set_parameters(self, theta: np.ndarray) -> None: ...


@dataclass(frozen=True)
class ParameterCodec:
    """How a kind of network writes its flat parameter vector into a state's "parameters"
    (and early stopping's) and reads it back, shapes checked."""

    write: Callable[[np.ndarray], Any]  # a flat vector -> JSON values
    read: Callable[[Any, str], np.ndarray]  # (JSON values, their path) -> a flat vector


def state_json(trainer: Checkpointed, codec: ParameterCodec) -> dict[str, Any]:
    """The trainer's state as plain JSON values (floats round-trip exactly through JSON).

    It is read back as a load would read it: a state that a file could not hold (a count past
    MAX_COUNT, reached by resuming a file near it) raises the ExperimentError its load would
    raise, so that nothing is saved that cannot be opened again.
    """
    sampler = trainer.sampler.state()
    best = trainer.stopping.state()
    stop = trainer.stop_event
    state = {
        "step": trainer.step_count,
        "epoch": sampler.epochs,
        "position": sampler.position,
        "train_seconds": trainer.train_seconds,
        "clip_count": trainer.clip_count,
        "parameters": codec.write(trainer.network.theta),
        "optimizer": {"kind": trainer.optimizer.spec.kind,
                      **{name: value.tolist() if isinstance(value, np.ndarray) else value
                         for name, value in trainer.optimizer.state().items()}},
        "rng": sampler.streams,
        "epoch_rng": sampler.epoch_streams,
        "early_stopping": None if best is None else {
            "loss": best["loss"], "step": best["step"], "wait": best["wait"],
            "parameters": codec.write(best["theta"])},
        "stopped": None if stop is None else stop.to_json(),
    }
    read_saved(trainer, state, codec)
    return state


def save_state(trainer: Trainer) -> dict[str, Any]:
    """A dense trainer's state (see state_json)."""
    return state_json(trainer, _dense_codec(trainer.network))


def _dense_codec(network: Network) -> ParameterCodec:
    return ParameterCodec(partial(parameters_json, network), partial(_read_parameters, network))


NORM_KEYS = ("gamma", "beta", "running_mean", "running_var")  # a layer's batch normalisation


def parameters_json(network: Network, theta: np.ndarray) -> list[dict[str, Any]]:
    """Per-layer weights and biases read out of a flat parameter vector, as a state's
    "parameters" holds them (also `python -m sim sweep --parameters`), with batch
    normalisation's gamma, beta and running statistics where a layer has it."""
    layers = []
    for (W, b), norm in zip(network.layer_views(theta), network.norm_views(theta), strict=True):
        entry: dict[str, Any] = {"weights": W.tolist(), "biases": None if b is None else b.tolist()}
        if norm is not None:
            entry.update(zip(NORM_KEYS, (values.tolist() for values in norm), strict=True))
        layers.append(entry)
    return layers


@dataclass(frozen=True)
class SavedState:
    """A state read and checked against a trainer, ready to load into it."""

    step: int
    train_seconds: float
    clip_count: int
    theta: np.ndarray
    optimizer: dict[str, Any]
    sampler: SamplerState
    best: dict[str, Any] | None
    stop: Event | None


def restore_state(trainer: Trainer, state: dict[str, Any]) -> None:
    """Check a saved state against the experiment and load it; ExperimentError if it differs.

    Every field is checked before anything is loaded.
    """
    load_saved(trainer, read_state(trainer, state))


def load_saved(trainer: Checkpointed, saved: SavedState) -> None:
    """Load a state read (and so checked) by ``read_saved`` into the trainer it was read for."""
    trainer.step_count, trainer.train_seconds, trainer.clip_count = saved.step, \
        saved.train_seconds, saved.clip_count
    trainer.set_parameters(saved.theta)
    trainer.optimizer.load_state(saved.optimizer)
    trainer.sampler.restore(saved.sampler)
    trainer.stopping.restore(saved.best)
    trainer.stop_event = saved.stop


def read_state(trainer: Trainer, state: dict[str, Any]) -> SavedState:
    """A dense trainer's saved state, checked (see read_saved)."""
    return read_saved(trainer, state, _dense_codec(trainer.network))


def read_saved(trainer: Checkpointed, state: dict[str, Any],
               codec: ParameterCodec) -> SavedState:
    """A saved state, every field checked against ``trainer``'s experiment; the trainer is left
    as it is. ExperimentError naming the first field that does not fit."""
    s = Section(state, "state", STATE_KEYS)
    sampler = trainer.sampler
    step = s.integer("step", 0, maximum=MAX_COUNT)
    epochs = s.integer("epoch", 0, maximum=MAX_COUNT)
    position = s.integer("position", 0, maximum=max(0, sampler.samples - 1))
    train_seconds = s.number("train_seconds", 0.0, minimum=0.0)
    clip_count = s.integer("clip_count", 0, maximum=MAX_COUNT)
    theta = codec.read(s.raw("parameters"), "state.parameters")
    optimizer_state = read_optimizer(trainer.optimizer, trainer.network.n_trainable,
                                     s.raw("optimizer"))
    rng = s.section("rng", STREAMS)
    epoch_streams = None
    if position:
        epoch_rng = s.section("epoch_rng", EPOCH_STREAMS)
        epoch_streams = read_streams(epoch_rng, EPOCH_STREAMS, sampler.streams)
    streams = read_streams(rng, STREAMS, sampler.streams)
    best = _read_early_stopping(s.raw("early_stopping", None), codec)
    stopped = s.raw("stopped", None)
    stop = None if stopped is None else read_event(Section(stopped, "state.stopped",
                                                            STOPPED_KEYS))
    return SavedState(step, train_seconds, clip_count, theta, optimizer_state,
                      SamplerState(epochs, position, streams, epoch_streams), best, stop)


def _read_parameters(network: Network, value: Any, path: str) -> np.ndarray:
    """A flat parameter vector from per-layer weights and biases, shapes checked."""
    if not isinstance(value, list) or len(value) != network.depth:
        raise ExperimentError(path, f"must list the {network.depth} layers' parameters")
    theta = np.zeros_like(network.theta)
    views = network.layer_views(theta)
    for number, (layer, item, (W, b), norm) in enumerate(zip(
            network.layers, value, views, network.norm_views(theta), strict=True)):
        entry = Section(item, f"{path}[{number}]",
                        ("weights", "biases") + (NORM_KEYS if norm is not None else ()))
        W[...] = read_matrix(entry.raw("weights"), entry.at("weights"), layer.units,
                             layer.fan_in, layer.units, layer.fan_in)
        biases = entry.raw("biases", None)
        if (biases is None) != (b is None):
            raise ExperimentError(entry.at("biases"), "does not match the layer's bias")
        if b is not None:
            b[...] = read_vector(biases, entry.at("biases"), layer.units, layer.units)
        for key, values in zip(NORM_KEYS, norm or (), strict=False):
            values[...] = read_vector(entry.raw(key), entry.at(key), layer.units, layer.units)
        if norm is not None and (norm[3] < 0.0).any():
            raise ExperimentError(entry.at("running_var"), "a variance cannot be negative")
    return theta


def read_optimizer(optimizer: Optimizer, size: int, value: Any) -> dict[str, Any]:
    """The buffers and counters of ``optimizer`` (over ``size`` parameters), for its
    ``load_state``."""
    kind = optimizer.spec.kind
    saved = value.get("kind") if isinstance(value, dict) else None
    if saved != kind:
        raise ExperimentError("state.optimizer.kind", f'the state was saved with "{saved!s:.20}" '
                                                      f'but the experiment uses "{kind}"')
    s = Section(value, "state.optimizer", ("kind",) + optimizer.state_names)
    values: dict[str, Any] = {}
    for name, current in optimizer.state().items():
        if isinstance(current, np.ndarray):
            values[name] = np.array(read_vector(s.raw(name), s.at(name), size, size))
        else:
            values[name] = s.integer(name, maximum=MAX_COUNT)
    return values


def read_streams(s: Section, names: tuple[str, ...],
                  streams: dict[str, np.random.Generator]) -> dict[str, dict[str, Any]]:
    """Saved states of the named random streams, each tried on a generator of its kind."""
    return {name: _read_stream(s.raw(name), s.at(name), streams[name]) for name in names}


def _read_stream(value: Any, path: str, stream: np.random.Generator) -> dict[str, Any]:
    probe = type(stream.bit_generator)()  # a scratch generator of the same kind
    try:
        if not isinstance(value, dict) or value.get("bit_generator") != \
                probe.state["bit_generator"]:
            raise ValueError
        probe.state = value
    except (ValueError, TypeError, KeyError, OverflowError):
        raise ExperimentError(path, "is not a saved random-generator state") from None
    return value


def _read_early_stopping(value: Any, codec: ParameterCodec) -> dict[str, Any] | None:
    """Early stopping's best record, as ``StoppingRules.restore`` takes it."""
    if value is None:
        return None
    e = Section(value, "state.early_stopping", EARLY_STOPPING_KEYS)
    return {"loss": e.number("loss"), "step": e.integer("step", maximum=MAX_COUNT),
            "wait": e.integer("wait", maximum=10**9),
            "theta": codec.read(e.raw("parameters"), e.at("parameters"))}


def read_event(s: Section) -> Event:
    details = {key: s.raw(key) for key in ("reason", "phase", "layer", "quantity")
               if s.has(key)}
    if s.has("restored_from"):  # early stopping put back the weights of that step
        details["restored_from"] = s.integer("restored_from", maximum=MAX_COUNT)
        details["best_val_loss"] = s.number("best_val_loss")
    kind = s.choice("event", ("stopped", "diverged"))
    # The program wrote the message; a file's control characters (escape codes that would
    # recolour a terminal) are shown, escaped, never obeyed.
    message = one_line(s.text("message", max_length=2000))
    return Event(kind, s.integer("step", maximum=MAX_COUNT), message, details)
