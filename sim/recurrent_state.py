"""Checkpoints of a recurrent run: the ``state`` section, as sim.state writes a dense run's,
with ``parameters`` keyed as the network's ``weights`` (input, recurrent, bias, output,
output_bias)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .batches import EPOCH_STREAMS, STREAMS, SamplerState
from .recurrent import WEIGHT_KEYS, RecurrentNetwork
from .schema import Section, read_matrix, read_vector
from .state import (
    EARLY_STOPPING_KEYS,
    MAX_COUNT,
    STATE_KEYS,
    STOPPED_KEYS,
    SavedState,
    read_event,
    read_optimizer,
    read_streams,
)

if TYPE_CHECKING:
    from .recurrent_trainer import RecurrentTrainer


def recurrent_state(trainer: RecurrentTrainer) -> dict[str, Any]:
    """The trainer's state as plain JSON values, checked as a load would check it."""
    network = trainer.network
    sampler = trainer.sampler.state()
    best = trainer.stopping.state()
    stop = trainer.stop_event
    state = {
        "step": trainer.step_count,
        "epoch": sampler.epochs,
        "position": sampler.position,
        "train_seconds": trainer.train_seconds,
        "clip_count": trainer.clip_count,
        "parameters": network.parameters(),
        "optimizer": {"kind": trainer.optimizer.spec.kind,
                      **{name: value.tolist() if isinstance(value, np.ndarray) else value
                         for name, value in trainer.optimizer.state().items()}},
        "rng": sampler.streams,
        "epoch_rng": sampler.epoch_streams,
        "early_stopping": None if best is None else {
            "loss": best["loss"], "step": best["step"], "wait": best["wait"],
            "parameters": network.parameters(best["theta"])},
        "stopped": None if stop is None else stop.to_json(),
    }
    read_recurrent_state(trainer, state)
    return state


def read_recurrent_state(trainer: RecurrentTrainer, state: dict[str, Any]) -> SavedState:
    """A saved state, every field checked against the trainer's experiment (left as it is);
    ExperimentError naming the first field that does not fit."""
    s = Section(state, "state", STATE_KEYS)
    network, sampler = trainer.network, trainer.sampler
    step = s.integer("step", 0, maximum=MAX_COUNT)
    epochs = s.integer("epoch", 0, maximum=MAX_COUNT)
    position = s.integer("position", 0, maximum=max(0, sampler.samples - 1))
    train_seconds = s.number("train_seconds", 0.0, minimum=0.0)
    clip_count = s.integer("clip_count", 0, maximum=MAX_COUNT)
    theta = _read_parameters(network, s.raw("parameters"), "state.parameters")
    optimizer_state = read_optimizer(trainer.optimizer, network.n_trainable,
                                     s.raw("optimizer"))
    rng = s.section("rng", STREAMS)
    epoch_streams = None
    if position:
        epoch_streams = read_streams(s.section("epoch_rng", EPOCH_STREAMS), EPOCH_STREAMS,
                                     sampler.streams)
    streams = read_streams(rng, STREAMS, sampler.streams)
    best = None
    if s.raw("early_stopping", None) is not None:
        e = Section(s.raw("early_stopping"), "state.early_stopping", EARLY_STOPPING_KEYS)
        best = {"loss": e.number("loss"), "step": e.integer("step", maximum=MAX_COUNT),
                "wait": e.integer("wait", maximum=10**9),
                "theta": _read_parameters(network, e.raw("parameters"), e.at("parameters"))}
    stopped = s.raw("stopped", None)
    stop = None if stopped is None else read_event(Section(stopped, "state.stopped",
                                                           STOPPED_KEYS))
    return SavedState(step, train_seconds, clip_count, theta, optimizer_state,
                      SamplerState(epochs, position, streams, epoch_streams), best, stop)


def _read_parameters(network: RecurrentNetwork, value: Any, path: str) -> np.ndarray:
    s = Section(value, path, WEIGHT_KEYS)
    theta = np.zeros_like(network.theta)
    for key in WEIGHT_KEYS:
        shape = network.shapes[key]
        view = network.view(key, theta)
        if len(shape) == 2:
            view[...] = read_matrix(s.raw(key), s.at(key), shape[0], shape[1], shape[0],
                                    shape[1])
        else:
            view[...] = read_vector(s.raw(key), s.at(key), shape[0], shape[0])
    return theta
