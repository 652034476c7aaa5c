"""What ``python -m sim`` prints for a recurrent experiment (sim.cli dispatches here)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from .files import path_text
from .notation import count, number
from .recurrent_experiment import RecurrentExperiment
from .recurrent_explain import step_captions
from .recurrent_trainer import RecurrentTrainer
from .schema import one_line


def check_line(path: Path, experiment: RecurrentExperiment) -> str:
    """``check``'s line: the network, its parameters, the sequences."""
    trainer = RecurrentTrainer(experiment)
    network, dataset = trainer.network, trainer.dataset
    return (f"{path_text(path)}: valid; recurrent network, {network.cell} cell: "
            f"{count(network.inputs, 'input')}, {count(network.hidden, 'hidden unit')}, "
            f"{count(experiment.network.output_units, 'output')}, "
            f"{count(network.n_trainable, 'trainable parameter')}, "
            f"{count(dataset.x_train.shape[0], 'training sequence')} of "
            f"{count(dataset.steps, 'time step')}, "
            f"{count(dataset.x_val.shape[0], 'validation sequence')}, "
            f"{count(dataset.x_test.shape[0], 'test sequence')}")


def trace_record(trainer: RecurrentTrainer) -> dict[str, Any] | None:
    """The step just taken as ``run --trace`` writes it (see StepRecord)."""
    record = trainer.last_record
    return None if record is None else record.to_json()


def summary(trainer: RecurrentTrainer) -> list[str]:
    """The end-of-run lines: where the run ended, and the gradient through time."""
    record = trainer.last_record
    name = one_line(trainer.experiment.name)
    if record is None:
        return [f"{name}: no steps taken"]
    parts = [f"{name}: step {trainer.step_count}, epoch {trainer.epoch_count}",
             f"loss {record.loss:.10g} (before the last update)"]
    if math.isfinite(record.accuracy):
        parts.append(f"accuracy {record.accuracy:.1%}")
    if math.isfinite(record.val_loss):
        parts.append(f"validation loss {record.val_loss:.6g}")
    if math.isfinite(record.val_accuracy):
        parts.append(f"validation accuracy {record.val_accuracy:.1%}")
    lines = [", ".join(parts)]
    norms = record.time_grad_norms
    steps = len(norms)
    lines.append(f"‖∂E/∂hₜ‖ in the last step (before clipping): t = 1: "
                 f"{number(norms[0], 4)}, t = {steps}: {number(norms[-1], 4)}"
                 + (f", ratio {number(norms[0] / norms[-1], 3)}" if norms[-1] > 0.0 else ""))
    if trainer.stop_event is not None and not trainer.diverged:
        lines.append(one_line(trainer.stop_event.message))
    return lines


def explain_next_step(trainer: RecurrentTrainer, sample: int | None) -> list[str]:
    """The next step's captions, as ``explain`` prints them; nothing once training has
    stopped."""
    if not trainer.step():
        return []
    lines = []
    for index, caption in enumerate(step_captions(trainer.snapshot(), sample)):
        lines.append(f"=== {caption.title}" if index == 0 else f"== {caption.title}")
        lines.extend(f"   {line}" for line in caption.lines)
    return lines
