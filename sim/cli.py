"""The command line: ``python -m sim run|check|gradcheck|explain FILE``.

Exit codes: 0 success, 1 a gradient check failed, 2 invalid input (one line on stderr, no
traceback, nothing written), 3 training diverged.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import IO, Any, TextIO

import numpy as np

from . import explain
from .experiment import load, save
from .schema import ExperimentError
from .trainer import Trainer

EXIT_OK, EXIT_GRADCHECK_FAILED, EXIT_INVALID, EXIT_DIVERGED = 0, 1, 2, 3
SMALL_NETWORK = 40  # parameters: the end-of-run summary prints every weight up to this many


class CliError(Exception):
    """A problem with the command's own arguments or output files (exit code 2)."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (ExperimentError, CliError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (python -m sim explain ... | head)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stays open until the exit
        return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sim",
                                     description="Backprop Studio's engine on the command line")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="train an experiment")
    run.add_argument("file", type=Path)
    limit = run.add_mutually_exclusive_group()
    limit.add_argument("--steps", type=_positive_int, help="optimizer steps to take")
    limit.add_argument("--epochs", type=_positive_int, help="epochs to train")
    run.add_argument("--trace", type=Path, help="write one JSON line per step to this file")
    run.add_argument("--save", type=Path, help="save the trained experiment (resumable) here")
    run.add_argument("--quiet", action="store_true", help="print no summary")
    run.set_defaults(handler=_run)
    check = commands.add_parser("check", help="validate an experiment file")
    check.add_argument("file", type=Path)
    check.set_defaults(handler=_check)
    grad = commands.add_parser("gradcheck", help="compare backpropagation with finite "
                                                 "differences")
    grad.add_argument("file", type=Path)
    grad.add_argument("--max-parameters", type=_positive_int, default=5000,
                      help="check a random sample of this many parameters (default 5000)")
    grad.set_defaults(handler=_gradcheck)
    walk = commands.add_parser("explain", help="walk through iterations phase by phase, "
                                               "with the numbers")
    walk.add_argument("file", type=Path)
    walk.add_argument("--steps", type=_positive_int, default=1)
    walk.add_argument("--sample", type=int, default=None,
                      help="the sample to follow (from 0; default: in each batch the first "
                           "with the fewest inputs equal to 0)")
    walk.set_defaults(handler=_explain)
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


# ---------------------------------------------------------------------------- commands

def _check(args: argparse.Namespace) -> int:
    trainer = Trainer(load(args.file))
    network = trainer.network
    shape = "-".join(str(n) for n in [network.inputs] + [layer.units for layer in network.layers])
    print(f"{args.file}: valid; network {shape}, "
          f"{_count(network.n_trainable, 'trainable parameter')}, "
          f"{_count(trainer.dataset.x_train.shape[0], 'training sample')}, "
          f"{_count(trainer.dataset.x_val.shape[0], 'validation sample')}")
    return EXIT_OK


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _gradcheck(args: argparse.Namespace) -> int:
    trainer = Trainer(load(args.file))
    result = trainer.gradcheck(args.max_parameters)
    print(result.summary())
    return EXIT_OK if result.passed else EXIT_GRADCHECK_FAILED


def _run(args: argparse.Namespace) -> int:
    experiment = load(args.file)
    trainer = Trainer(experiment)
    stopping = experiment.stopping
    if args.steps is None and args.epochs is None and not any(
            (stopping.max_steps, stopping.max_epochs, stopping.loss_below,
             stopping.early_stopping, stopping.time_limit)):
        raise CliError("nothing says when to stop: give --steps or --epochs, or a stopping "
                       "rule in the file")
    for path in (args.trace, args.save):
        if path is not None and not path.resolve().parent.is_dir():
            raise CliError(f"cannot write {path}: its folder does not exist")
    trace = _open(args.trace) if args.trace else None
    progress = _Progress(sys.stderr, trainer, args.steps) if sys.stderr.isatty() else None
    try:
        def on_step(t: Trainer) -> None:
            if trace is not None:
                _write(trace, _trace_record(t))
            if progress is not None:
                progress.update(t)

        trainer.run(steps=args.steps, epochs=args.epochs, on_step=on_step)
        if trainer.stop_event is not None and trace is not None:
            _write(trace, trainer.stop_event.to_json())
    finally:
        if trace is not None:
            trace.close()
        if progress is not None:
            progress.close(trainer)
    if args.save is not None:
        try:
            save(trainer.to_experiment(), args.save)
        except OSError as error:
            raise CliError(f"cannot write {args.save}: {error.strerror}") from None
    if not args.quiet:
        _summary(trainer, sys.stdout)
    stop = trainer.stop_event
    if stop is not None and trainer.diverged:
        print(stop.message, file=sys.stderr)
        return EXIT_DIVERGED
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    trainer = Trainer(load(args.file))
    samples = trainer.dataset.x_train.shape[0]
    if args.sample is not None and not 0 <= args.sample < samples:
        raise CliError(f"--sample must be from 0 to {samples - 1}")
    for _ in range(args.steps):
        for index in range(len(trainer.phases)):
            phase = trainer.step_phase()
            if phase is None:
                break
            snapshot = trainer.snapshot(with_history=False)
            if index == 0:  # the batch is drawn: say whose numbers follow
                print(f"=== Step {snapshot.step + 1}. {explain.following(snapshot, args.sample)}")
            caption = explain.caption(snapshot, args.sample)
            print(f"== {caption.title}")
            for line in caption.lines:
                print(f"   {line}")
        stop = trainer.stop_event
        if stop is not None:
            print(stop.message)
            return EXIT_DIVERGED if trainer.diverged else EXIT_OK
    return EXIT_OK


# ---------------------------------------------------------------------------- output

def _open(path: Path) -> TextIO:
    try:
        return path.open("w", encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror}") from None


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _trace_record(trainer: Trainer) -> dict[str, Any]:
    """One step as the trace documents it; norms are before clipping, loss before the update."""
    row = trainer.history.last_row()
    depth = trainer.network.depth
    return {
        "step": int(row["step"]),
        "epoch": int(row["epoch"]),
        "loss": row["loss"],
        "penalty": row["penalty"],
        "grad_norm": row["grad_norm"],
        "layer_grad_norms": [row[f"grad_norm_{number}"] for number in range(1, depth + 1)],
        "clipped": bool(row["clipped"]),
        "learning_rate": row["learning_rate"],
        "val_loss": _finite_or_none(row["val_loss"]),
    }


def _write(stream: IO[str], record: dict[str, Any]) -> None:
    stream.write(json.dumps(record, allow_nan=False) + "\n")


def _summary(trainer: Trainer, out: TextIO) -> None:
    row = trainer.history.last()
    name = trainer.experiment.name
    if row is None:
        print(f"{name}: no steps taken", file=out)
        return
    parts = [f"{name}: step {trainer.step_count}, epoch {trainer.epoch_count}",
             f"loss {row['loss']:.10g} (before the last update)"]
    if math.isfinite(row["accuracy"]):
        parts.append(f"accuracy {row['accuracy']:.1%}")
    if math.isfinite(row["val_loss"]):
        parts.append(f"validation loss {row['val_loss']:.6g}")
    print(", ".join(parts), file=out)
    if trainer.stop_event is not None and not trainer.diverged:
        print(trainer.stop_event.message, file=out)
    if trainer.network.n_trainable <= SMALL_NETWORK:
        for layer in trainer.network.layers:
            line = f"layer {layer.number}: W = {_one_line_array(layer.W)}"
            if layer.b is not None:
                line += f", b = {_one_line_array(layer.b)}"
            print(line, file=out)


def _one_line_array(values: np.ndarray) -> str:
    return np.array2string(values, precision=10, floatmode="maxprec", separator=", ",
                           max_line_width=10**6)


class _Progress:
    """A one-line progress bar on a terminal, redrawn at most ten times a second.

    With ``--steps`` it counts the steps of this run against the steps asked for; a resumed
    run also names the step it has reached, counted from the start of training.
    """

    def __init__(self, stream: TextIO, trainer: Trainer, total: int | None) -> None:
        self.stream, self.total, self.shown = stream, total, 0.0
        self.steps_before = trainer.step_count  # a resumed run's steps before this run
        self.width = 0  # of the longest line drawn, to be covered by the next

    def update(self, trainer: Trainer, force: bool = False) -> None:
        now = time.monotonic()
        if now - self.shown < 0.1 and not force:
            return
        self.shown = now
        if self.total:
            done = trainer.step_count - self.steps_before
            bar = "#" * (30 * done // self.total)
            text = f"[{bar:<30}] {done}/{self.total} steps"
            if self.steps_before:
                text += f" (step {trainer.step_count})"
        else:
            text = f"step {trainer.step_count}, epoch {trainer.epoch_count}"
        line = f"{text}  loss {trainer.history.last_row()['loss']:.6g} "
        self.width = max(self.width, len(line))
        self.stream.write(f"\r{line:<{self.width}}")
        self.stream.flush()

    def close(self, trainer: Trainer) -> None:
        """Show where the run ended and finish the line."""
        if self.shown:
            self.update(trainer, force=True)
            self.stream.write("\n")
