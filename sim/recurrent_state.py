"""Checkpoints of a recurrent run: the ``state`` section, as sim.state writes a dense run's,
with ``parameters`` keyed as the network's ``weights`` (input, recurrent, bias, output,
output_bias)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from .recurrent import WEIGHT_KEYS, RecurrentNetwork
from .schema import Section, read_matrix, read_vector
from .state import ParameterCodec, SavedState, read_saved, state_json

if TYPE_CHECKING:
    from .recurrent_trainer import RecurrentTrainer


def recurrent_state(trainer: RecurrentTrainer) -> dict[str, Any]:
    """The trainer's state as plain JSON values, checked as a load would check it."""
    return state_json(trainer, _codec(trainer.network))


def read_recurrent_state(trainer: RecurrentTrainer, state: dict[str, Any]) -> SavedState:
    """A saved state, every field checked against the trainer's experiment (left as it is);
    ExperimentError naming the first field that does not fit."""
    return read_saved(trainer, state, _codec(trainer.network))


def _codec(network: RecurrentNetwork) -> ParameterCodec:
    return ParameterCodec(network.parameters, partial(_read_parameters, network))


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
