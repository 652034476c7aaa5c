"""Checkpoints: the ``state`` section of an experiment file.

A state holds what makes a resumed run continue bit for bit as if never interrupted: the
trained parameters, the optimizer's buffers, the counters, the random streams' states (and
their states at the start of the current epoch, from which the epoch's order and jitter are
drawn again), and the early-stopping record. The rest of the file still describes how the run
started, so a reset goes back to the beginning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .events import Event
from .schema import ExperimentError, Section, read_matrix, read_vector

if TYPE_CHECKING:
    from .trainer import Trainer

STATE_KEYS = ("step", "epoch", "position", "train_seconds", "clip_count", "parameters",
              "optimizer", "rng", "epoch_rng", "early_stopping", "stopped")
RNG_NAMES = ("shuffle", "dropout", "jitter")


def save_state(trainer: Trainer) -> dict[str, Any]:
    """The trainer's state as plain JSON values (floats round-trip exactly through JSON)."""
    best = trainer.best
    stop = trainer.stop_event
    return {
        "step": trainer.step_count,
        "epoch": trainer.epoch_count,
        "position": trainer.position,
        "train_seconds": trainer.train_seconds,
        "clip_count": trainer.clip_count,
        "parameters": _parameters(trainer, trainer.network.theta),
        "optimizer": {"kind": trainer.optimizer.spec.kind,
                      **{name: value.tolist() if isinstance(value, np.ndarray) else value
                         for name, value in trainer.optimizer.state().items()}},
        "rng": {name: trainer.rngs[name].bit_generator.state for name in RNG_NAMES},
        "epoch_rng": trainer._epoch_rng_states if trainer.position else None,
        "early_stopping": None if best is None else {
            "loss": best["loss"], "step": best["step"], "wait": best["wait"],
            "parameters": _parameters(trainer, best["theta"])},
        "stopped": None if stop is None else stop.to_json(),
    }


def _parameters(trainer: Trainer, theta: np.ndarray) -> list[dict[str, Any]]:
    """Per-layer weights and biases read out of a flat parameter vector."""
    return [{"weights": W.tolist(), "biases": None if b is None else b.tolist()}
            for W, b in trainer.network.layer_views(theta)]


def restore_state(trainer: Trainer, state: dict[str, Any]) -> None:
    """Check a saved state against the experiment and load it; ExperimentError if it differs."""
    s = Section(state, "state", STATE_KEYS)
    n_train = trainer.dataset.x_train.shape[0]
    trainer.step_count = s.integer("step", 0, maximum=10**15)
    trainer.epoch_count = s.integer("epoch", 0, maximum=10**15)
    trainer.position = s.integer("position", 0, maximum=max(0, n_train - 1))
    trainer.train_seconds = s.number("train_seconds", 0.0, minimum=0.0)
    trainer.clip_count = s.integer("clip_count", 0, maximum=10**15)
    trainer.network.theta[...] = _read_parameters(trainer, s.raw("parameters"),
                                                  "state.parameters")
    _restore_optimizer(trainer, s.raw("optimizer"))
    rng = s.section("rng", RNG_NAMES)
    if trainer.position:
        epoch_rng = s.section("epoch_rng", ("shuffle", "jitter"))
        for name in ("shuffle", "jitter"):
            _set_rng(trainer, name, epoch_rng.raw(name), epoch_rng.at(name))
        trainer._begin_epoch()  # draws this epoch's order and jitter exactly as before
    for name in RNG_NAMES:
        _set_rng(trainer, name, rng.raw(name), rng.at(name))
    early = s.raw("early_stopping", None)
    if early is not None:
        e = Section(early, "state.early_stopping", ("loss", "step", "wait", "parameters"))
        trainer.best = {"loss": e.number("loss"), "step": e.integer("step", maximum=10**15),
                        "wait": e.integer("wait", maximum=10**9),
                        "theta": _read_parameters(trainer, e.raw("parameters"),
                                                  e.at("parameters"))}
    stopped = s.raw("stopped", None)
    if stopped is not None:
        trainer.stop_event = _read_event(Section(stopped, "state.stopped",
                                                 ("event", "step", "message", "reason", "phase",
                                                  "layer", "quantity")))
    trainer._set_weight_norms()


def _read_parameters(trainer: Trainer, value: Any, path: str) -> np.ndarray:
    """A flat parameter vector from per-layer weights and biases, shapes checked."""
    network = trainer.network
    if not isinstance(value, list) or len(value) != network.depth:
        raise ExperimentError(path, f"must list the {network.depth} layers' parameters")
    theta = np.zeros_like(network.theta)
    views = network.layer_views(theta)
    for number, (layer, item, (W, b)) in enumerate(zip(network.layers, value, views)):
        entry = Section(item, f"{path}[{number}]", ("weights", "biases"))
        W[...] = read_matrix(entry.raw("weights"), entry.at("weights"), layer.units,
                             layer.fan_in, layer.units, layer.fan_in)
        biases = entry.raw("biases", None)
        if (biases is None) != (b is None):
            raise ExperimentError(entry.at("biases"), "does not match the layer's bias")
        if b is not None:
            b[...] = read_vector(biases, entry.at("biases"), layer.units, layer.units)
    return theta


def _restore_optimizer(trainer: Trainer, value: Any) -> None:
    kind = trainer.optimizer.spec.kind
    saved = value.get("kind") if isinstance(value, dict) else None
    if saved != kind:
        raise ExperimentError("state.optimizer.kind", f'the state was saved with "{saved!s:.20}" '
                                                      f'but the experiment uses "{kind}"')
    s = Section(value, "state.optimizer", ("kind",) + trainer.optimizer.state_names)
    size = trainer.network.n_trainable
    values: dict[str, Any] = {}
    for name, current in trainer.optimizer.state().items():
        if isinstance(current, np.ndarray):
            values[name] = np.array(read_vector(s.raw(name), s.at(name), size, size))
        else:
            values[name] = s.integer(name, maximum=10**15)
    trainer.optimizer.load_state(values)


def _set_rng(trainer: Trainer, name: str, value: Any, path: str) -> None:
    generator = trainer.rngs[name]
    try:
        if not isinstance(value, dict) or value.get("bit_generator") != \
                type(generator.bit_generator).__name__:
            raise ValueError
        generator.bit_generator.state = value
    except (ValueError, TypeError, KeyError, OverflowError):
        raise ExperimentError(path, "is not a saved random-generator state") from None


def _read_event(s: Section) -> Event:
    details = {key: s.raw(key) for key in ("reason", "phase", "layer", "quantity")
               if s.has(key)}
    kind = s.choice("event", ("stopped", "diverged"))
    return Event(kind, s.integer("step", maximum=10**15), s.text("message", max_length=2000),
                 details)
