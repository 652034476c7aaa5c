"""A recurrent experiment file: the same format and version as a dense one (sim.experiment),
with ``"network": {"kind": "recurrent", ...}`` (sim.recurrent) and sequence data
(sim.sequences). The sections that mean the same thing (optimizer, schedule, clipping,
regularization, stopping) are read by the same code; every problem is one line naming the field.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import losses
from .clipping import ClippingSpec
from .data import MAX_SAMPLES
from .experiment import (
    FORMAT,
    MAX_SEED,
    MAX_TEXT,
    VERSION,
    Experiment,
    RegularizationSpec,
    StoppingSpec,
    document_text,
    network_kind,
    parse,
    read_document,
    run_document,
    write_document,
)
from .lesson_view import LessonView
from .optimizers import OptimizerSpec
from .recurrent import RecurrentSpec
from .schedules import ScheduleSpec
from .schema import ExperimentError, Section, describe
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
    if top.raw("format", FORMAT) != FORMAT:
        raise ExperimentError("format", f'must be "{FORMAT}", got {top.raw("format")!r:.60}')
    version = top.raw("version", VERSION)
    if version != VERSION or isinstance(version, bool):
        raise ExperimentError("version", f"this program reads version {VERSION}, got "
                                         f"{version!r:.30}")
    data = SequenceDataSpec.from_json(top.raw("data"), top.at("data"))
    network = RecurrentSpec.from_json(top.raw("network"), top.at("network"))
    regularization = RegularizationSpec.from_json(top.raw("regularization", {}),
                                                  top.at("regularization"))
    if regularization.dropout:
        raise ExperimentError("regularization.dropout", "is not used by a recurrent network")
    state = top.raw("state", None)
    if state is not None and not isinstance(state, dict):
        raise ExperimentError("state", f"must be an object, got {describe(state)}")
    experiment = RecurrentExperiment(
        data=data,
        network=network,
        name=top.text("name", "untitled", max_length=200),
        description=top.text("description", "", max_length=MAX_TEXT),
        seed=top.integer("seed", 0, minimum=0, maximum=MAX_SEED),
        loss=top.choice("loss", losses.KINDS, "bce"),
        optimizer=OptimizerSpec.from_json(top.raw("optimizer", {}), top.at("optimizer")),
        schedule=ScheduleSpec.from_json(top.raw("schedule", {}), top.at("schedule")),
        batch_size=top.optional_integer("batch_size", minimum=1, maximum=MAX_SAMPLES),
        shuffle=top.boolean("shuffle", True),
        clipping=ClippingSpec.from_json(top.raw("clipping", {}), top.at("clipping")),
        regularization=regularization,
        stopping=StoppingSpec.from_json(top.raw("stopping", {}), top.at("stopping")),
        validation_interval=top.optional_integer("validation_interval", minimum=1,
                                                 maximum=10**9),
        view=_read_view(top.raw("view", {})),
        state=state or None,
    )
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
    output = network.output_activation.kind
    if output == "softmax":
        if experiment.loss != "cross_entropy":
            raise ExperimentError("network.output.activation", 'softmax output needs loss '
                                  f'"cross_entropy", got "{experiment.loss}"')
        if network.output_units < 2:
            raise ExperimentError("network.output.units", "a softmax output needs at least 2 "
                                                          "units")
    needed = losses.FUSED.get(experiment.loss)
    if needed and output != needed:
        raise ExperimentError("loss", f'"{experiment.loss}" needs a {needed} output layer, got '
                                      f"{output}")
    if experiment.stopping.early_stopping and data.training_samples() == data.sample_count:
        raise ExperimentError("stopping.early_stopping", "needs a validation set: set "
                                                         "data.validation_fraction above 0 "
                                                         "(large enough to hold a sample)")


def to_dict(experiment: RecurrentExperiment) -> dict[str, Any]:
    """The canonical JSON document, every default written out."""
    return run_document(experiment)


def dumps(experiment: RecurrentExperiment) -> str:
    return document_text(to_dict(experiment))


def save(experiment: RecurrentExperiment, path: str | os.PathLike, *,
         replace_read_only: bool = False) -> None:
    """Write the experiment as `sim.experiment.save` writes one (atomically, loadable again)."""
    write_document(dumps(experiment), path, replace_read_only=replace_read_only)
