"""A recurrent experiment file: the same format and version as a dense one (sim.experiment),
with ``"network": {"kind": "recurrent", ...}`` (sim.recurrent) and sequence data
(sim.sequences). The settings that mean the same thing (the loss, optimizer, schedule, batches,
clipping, regularization, stopping, the saved state) are read by the same code,
sim.experiment.read_run_settings; every problem is one line naming the field.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import losses
from .clipping import ClippingSpec
from .experiment import (
    Experiment,
    RegularizationSpec,
    StoppingSpec,
    check_format,
    check_validation_set,
    document_text,
    network_kind,
    parse,
    read_document,
    read_run_settings,
    run_document,
    write_document,
)
from .lesson_view import LessonView
from .optimizers import OptimizerSpec
from .recurrent import RecurrentSpec
from .schedules import ScheduleSpec
from .schema import ExperimentError, Section
from .sequences import SequenceDataSpec

TOP_KEYS = ("format", "version", "name", "description", "seed", "data", "network", "loss",
            "optimizer", "schedule", "batch_size", "shuffle", "clipping", "regularization",
            "stopping", "validation_interval", "view", "state")


@dataclass(frozen=True)
class RecurrentExperiment:
    """A whole recurrent experiment; frozen."""

    data: SequenceDataSpec
    network: RecurrentSpec
    name: str = "untitled"
    description: str = ""
    seed: int = 0
    loss: str = "bce"
    optimizer: OptimizerSpec = OptimizerSpec()
    schedule: ScheduleSpec = ScheduleSpec()
    batch_size: int | None = None
    shuffle: bool = True
    clipping: ClippingSpec = ClippingSpec()
    regularization: RegularizationSpec = RegularizationSpec()
    stopping: StoppingSpec = StoppingSpec()
    validation_interval: int | None = None
    view: LessonView = LessonView()  # only its speed: how fast Play goes in the app
    state: dict[str, Any] | None = field(default=None, compare=False)

    def replace(self, **changes: Any) -> RecurrentExperiment:
        return replace(self, **changes)


def load(path: str | os.PathLike) -> RecurrentExperiment:
    """Read and validate a recurrent experiment file."""
    return parse_recurrent(read_document(path))


def load_any(path: str | os.PathLike) -> Experiment | RecurrentExperiment:
    """Read an experiment file of either kind of network."""
    document = read_document(path)
    if network_kind(document) == "recurrent":
        return parse_recurrent(document)
    return parse(document, base_dir=Path(path).resolve().parent)


def parse_recurrent(document: dict[str, Any]) -> RecurrentExperiment:
    """Validate a decoded document whose network is recurrent."""
    top = Section(document, "", TOP_KEYS)
    check_format(top)
    data = SequenceDataSpec.from_json(top.raw("data"), top.at("data"))
    network = RecurrentSpec.from_json(top.raw("network"), top.at("network"))
    settings = read_run_settings(top, "bce")
    if settings["regularization"].dropout:
        raise ExperimentError("regularization.dropout", "is not used by a recurrent network")
    experiment = RecurrentExperiment(data=data, network=network, **settings,
                                     view=_read_view(top.raw("view", {})))
    _check(experiment)
    return experiment


def _read_view(value: Any) -> LessonView:
    """A recurrent lesson's ``view``: only its ``speed`` (steps per second while playing) means
    something for the unrolled picture."""
    Section(value, "view", ("speed",))
    return LessonView.from_json(value, "view")


def _check(experiment: RecurrentExperiment) -> None:
    """Checks across fields: the data against the network, the loss against the output."""
    data, network = experiment.data, experiment.network
    if data.features != network.inputs:
        raise ExperimentError("network.inputs", f"the data has {data.features} inputs per time "
                                                f"step, the network {network.inputs}")
    if data.outputs != network.output_units:
        raise ExperimentError("network.output.units", f"the data has {data.outputs} targets, "
                                                      f"the output layer {network.output_units}"
                                                      " units")
    losses.check_output_layer(experiment.loss, network.output_activation.kind,
                              network.output_units, "network.output")
    if experiment.stopping.early_stopping:
        check_validation_set(data.validation_fraction, data.sample_count)


def to_dict(experiment: RecurrentExperiment) -> dict[str, Any]:
    """The canonical JSON document, every default written out."""
    return run_document(experiment)


def dumps(experiment: RecurrentExperiment) -> str:
    return document_text(to_dict(experiment))


def save(experiment: RecurrentExperiment, path: str | os.PathLike, *,
         replace_read_only: bool = False) -> None:
    """Write the experiment as `sim.experiment.save` writes one (atomically, loadable again)."""
    write_document(dumps(experiment), path, replace_read_only=replace_read_only)
