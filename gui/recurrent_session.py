"""The training process of a recurrent experiment (no Qt), as `gui.session` is a dense one's.

The app sends requests down a pipe; for each, the process answers with one `RecurrentFrame`,
everything the recurrent window shows: the unrolled picture, the captions of the step's
click-through, the status line. So the app asks for the next steps only once it has the last
answer, and nothing piles up. The first frame comes unasked, once the process has read the
experiment (a file is read here); a file that cannot be trained is answered with its one-line
error instead. Requests: ``("steps", n)`` trains n steps (stopping early if a stopping rule
fires), ``("reset",)`` starts again from the file, ``("stop",)`` ends the process, as does the
pipe closing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sim.batches import epoch_text
from sim.explain import Caption
from sim.files import path_text
from sim.lesson_view import play_speed
from sim.recurrent_experiment import RecurrentExperiment, load
from sim.recurrent_explain import step_captions
from sim.recurrent_trainer import RecurrentTrainer
from sim.schema import ExperimentError
from sim.unrolled import UnrolledPicture, unrolled_picture

STATUS_SEPARATOR = " · "  # between the status line's parts (the window breaks it there)


@dataclass(frozen=True)
class RecurrentFrame:
    """What the recurrent window shows after a request."""

    name: str  # the experiment's
    description: str  # the experiment's: a lesson's text
    cell: str
    speed: float | None  # steps a second while playing (None: as fast as it goes)
    step: int
    picture: UnrolledPicture | None
    captions: tuple[Caption, ...]
    status: str
    stopped: bool
    losses: tuple[float, ...]  # every step's loss so far


def frame(trainer: RecurrentTrainer) -> RecurrentFrame:
    snapshot = trainer.snapshot()
    return RecurrentFrame(trainer.experiment.name, trainer.experiment.description,
                          trainer.network.cell,
                          play_speed(trainer.experiment.view), trainer.step_count,
                          unrolled_picture(snapshot),
                          tuple(step_captions(snapshot)), status_line(trainer),
                          trainer.stop_event is not None,
                          tuple(record.loss for record in trainer.records))


def status_line(trainer: RecurrentTrainer) -> str:
    record = trainer.last_record
    if record is None:
        return f"step 0 of {trainer.experiment.name}: take a step"
    epoch = epoch_text(trainer.epoch_count, trainer.batches_taken, trainer.steps_per_epoch)
    parts = [f"step {trainer.step_count}", epoch,
             f"loss {record.loss:.4g}"]
    if math.isfinite(record.accuracy):
        parts.append(f"batch accuracy {record.accuracy:.0%}")
    checked = [r for r in trainer.records if not math.isnan(r.val_loss)]  # NaN: not validated
    if checked:  # a regression has a validation loss and no accuracy
        last = checked[-1]
        accuracy = f", accuracy {last.val_accuracy:.0%}" if math.isfinite(last.val_accuracy) \
            else ""
        parts.append(f"validation at step {last.step}: loss {last.val_loss:.4g}{accuracy}")
    # before clipping, as the plot's norms: how large the step wanted to be
    parts.append(f"gradient norm {record.grad_norm:.4g}" + (", clipped" if record.clipped
                                                             else ""))
    if trainer.stop_event is not None:
        parts.append(trainer.stop_event.message)
    return STATUS_SEPARATOR.join(parts)


def serve(connection: Connection, source: RecurrentExperiment | Path) -> None:
    """The process's loop: answer each request with a frame, until told to stop. A file is
    read here; one that cannot be trained is answered with its one-line error, and the process
    ends."""
    try:
        experiment = source if isinstance(source, RecurrentExperiment) else load(source)
        trainer = RecurrentTrainer(experiment)
    except ExperimentError as error:
        name = path_text(source) if isinstance(source, Path) else experiment.name
        connection.send(f"{name}: {error}")
        return
    try:
        connection.send(frame(trainer))
        while True:
            request: tuple[Any, ...] = connection.recv()
            if request[0] == "stop":
                return
            if request[0] == "reset":
                trainer = RecurrentTrainer(experiment)
            elif request[0] == "steps":
                trainer.run(steps=int(request[1]))
            connection.send(frame(trainer))
    except (EOFError, OSError):
        return  # the app has gone
