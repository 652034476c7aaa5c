"""The command line: ``python -m sim run|check|gradcheck|explain|paths|views|sweep FILE``.

Exit codes: 0 success, 1 a gradient check found a mismatch, 2 invalid input or a file that
cannot be written (one line on stderr naming the file, no traceback; invalid input writes
nothing), 3 training diverged (or the loss to check gradients on is not finite).

Text from a file (the experiment's name, a saved stop message, file names) is printed with its
control characters escaped: a file cannot move the cursor or recolour the terminal.
"""

from __future__ import annotations

import argparse
import errno
import json
import math
import os
import stat
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn, TextIO, TypeVar

import numpy as np

from . import data, explain, neuron_maps, notation, paths, recurrent_cli
from .arguments import at_least
from .experiment import Experiment, load, save
from .files import WriteError, path_text, same_file, writable_target, write_atomic
from .held_out import WHY_ONCE, held_out_result
from .recurrent_experiment import RecurrentExperiment, load_any
from .recurrent_experiment import save as save_recurrent
from .recurrent_trainer import RecurrentTrainer
from .schema import ExperimentError, finite_or_none, one_line
from .sweep import check_sweepable, sweep
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
    except (ExperimentError, CliError, WriteError) as error:
        print(f"error: {one_line(str(error))}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (python -m sim explain ... | head)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stays open until the exit
        return EXIT_OK
    except OSError as error:  # a file that could not be read or written: one line still
        where = f"{path_text(error.filename)}: " if error.filename else ""
        print(f"error: {where}{one_line(error.strerror or str(error))}", file=sys.stderr)
        return EXIT_INVALID


class _OneLineParser(argparse.ArgumentParser):
    """argparse with its errors on one line (usage is one --help away), as every other
    error of the command line."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_INVALID, f"error: {self.prog}: {one_line(message)} (see {self.prog} "
                                f"--help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="python -m sim",
                            description="Backprop Studio's engine on the command line")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="train an experiment")
    run.add_argument("file", type=Path)
    limit = run.add_mutually_exclusive_group()
    limit.add_argument("--steps", type=at_least(1), help="optimizer steps to take")
    limit.add_argument("--epochs", type=at_least(1), help="epochs to train")
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
    grad.add_argument("--max-parameters", type=at_least(1), default=5000,
                      help="check a random sample of this many parameters (default 5000)")
    grad.set_defaults(handler=_gradcheck)
    walk = commands.add_parser("explain", help="walk through iterations phase by phase, "
                                               "with the numbers")
    walk.add_argument("file", type=Path)
    walk.add_argument("--steps", type=at_least(1), default=1)
    walk.add_argument("--sample", type=int, default=None,
                      help="the sample to follow (from 0; default: in each batch the first "
                           "with the fewest inputs equal to 0)")
    walk.set_defaults(handler=_explain)
    chain = commands.add_parser("paths", help="one weight's gradient for one sample as a sum "
                                              "over the paths from it to the outputs")
    chain.add_argument("file", type=Path)
    # Read as text and checked by the command, so that a bad value gets one line of error.
    chain.add_argument("--weight", required=True, metavar="L,J,I",
                       help="the weight into unit J of layer L from unit I below, all from 1; "
                            "I = 0 is the bias of unit J")
    chain.add_argument("--steps", default="0", metavar="N",
                       help="train N steps first (default 0: the file's weights)")
    chain.add_argument("--sample", default="0", metavar="K",
                       help="the training sample, from 0 (default 0)")
    chain.add_argument("--json", action="store_true", help="print one JSON object")
    chain.set_defaults(handler=_paths)
    views = commands.add_parser("views", help="the pictures the app draws beside the network, "
                                              "as numbers: --neurons, every unit's activation "
                                              "over the input range")
    views.add_argument("file", type=Path)
    views.add_argument("--steps", default="0", metavar="N",
                       help="train N steps first (default 0: the file's weights, its saved "
                            "state if it has one)")
    views.add_argument("--neurons", action="store_true",
                       help="every hidden and output unit's activation on a G x G grid over "
                            "the input plane (two inputs) or G points over the input (one)")
    views.add_argument("--grid", default=None, metavar="G",
                       help="grid points per input (default 48 for two inputs, 120 for one)")
    views.add_argument("--json", action="store_true", help="print one JSON object")
    views.set_defaults(handler=_views)
    many = commands.add_parser("sweep", help="train N copies that differ only in their seed "
                                             "(seed, seed + 1, ...) at once, each exactly the "
                                             "run its seed gives alone")
    many.add_argument("file", type=Path)
    many.add_argument("--seeds", type=at_least(1), required=True, metavar="N",
                      help="how many runs")
    sweep_limit = many.add_mutually_exclusive_group()
    sweep_limit.add_argument("--steps", type=at_least(1), help="optimizer steps each run "
                                                                "takes at most")
    sweep_limit.add_argument("--epochs", type=at_least(1), help="epochs each run trains "
                                                                  "at most")
    many.add_argument("--json", type=Path, required=True, metavar="OUT",
                      help="write the runs here as JSON")
    many.add_argument("--parameters", action="store_true",
                      help="also write each run's trained weights and biases")
    many.set_defaults(handler=_sweep)
    return parser


# ---------------------------------------------------------------------------- commands

def _load_dense(path: Path, command: str) -> Experiment:
    """A dense experiment; a recurrent one is refused for the commands it has no meaning in."""
    experiment = load_any(path)
    if isinstance(experiment, RecurrentExperiment):
        raise CliError(f"{command}: {path_text(path)} holds a recurrent network; {command} "
                       "works on dense networks (run, explain, check and gradcheck take both)")
    return experiment


def _check(args: argparse.Namespace) -> int:
    experiment = load_any(args.file)
    if isinstance(experiment, RecurrentExperiment):
        print(recurrent_cli.check_line(args.file, experiment))
        return EXIT_OK
    trainer = Trainer(experiment)
    network = trainer.network
    shape = "-".join(str(n) for n in [network.inputs] + [layer.units for layer in network.layers])
    print(f"{path_text(args.file)}: valid; network {shape}, "
          f"{notation.count(network.n_trainable, 'trainable parameter')}, "
          f"{notation.count(trainer.dataset.x_train.shape[0], 'training sample')}, "
          f"{notation.count(trainer.dataset.x_val.shape[0], 'validation sample')}, "
          f"{notation.count(trainer.dataset.x_test.shape[0], 'test sample')}")
    return EXIT_OK



def _gradcheck(args: argparse.Namespace) -> int:
    experiment = load_any(args.file)
    trainer = RecurrentTrainer(experiment) if isinstance(experiment, RecurrentExperiment) \
        else Trainer(experiment)
    result = trainer.gradcheck(args.max_parameters)
    print(result.summary())
    if not result.finite:
        return EXIT_DIVERGED
    return EXIT_OK if result.passed else EXIT_GRADCHECK_FAILED


def _run(args: argparse.Namespace) -> int:
    experiment = load_any(args.file)
    if isinstance(experiment, RecurrentExperiment):
        return _train(args, RecurrentTrainer(experiment), recurrent_cli.trace_record,
                      recurrent_cli.summary)
    trainer = Trainer(experiment)
    progress = _Progress(sys.stderr, trainer, args.steps) if sys.stderr.isatty() else None
    return _train(args, trainer, _trace_record, _summary, progress)


# The trainers ``run`` trains: the checks are the same for both kinds (one body per kind).
RunTrainer = TypeVar("RunTrainer", Trainer, RecurrentTrainer)


def _train(args: argparse.Namespace, trainer: RunTrainer,
           trace_record: Callable[[RunTrainer], dict[str, Any] | None],
           summary: Callable[[RunTrainer], list[str]], progress: _Progress | None = None) -> int:
    """``run``: train as the options say, writing the trace (each step's ``trace_record``),
    saving, printing the ``summary`` lines; the exit code."""
    _check_stopping(args, trainer.experiment)
    _check_outputs(args, trainer.experiment)
    trace = _Trace(args.trace) if args.trace else None
    try:
        def on_step(t: RunTrainer) -> None:
            if trace is not None:
                record = trace_record(t)
                if record is not None:
                    trace.write(record)
            if progress is not None:
                progress.update()

        trainer.run(steps=args.steps, epochs=args.epochs, on_step=on_step)
        if trainer.stop_event is not None and trace is not None:
            trace.write(trainer.stop_event.to_json())
    except _TraceFailed:
        pass  # training stops where the trace could not go on; what was trained is saved
    finally:
        if trace is not None:
            trace.close()
        if progress is not None:
            progress.close()
    if args.save is not None:
        _save(trainer, args.save)
    if trace is not None and trace.failure is not None:
        saved = f" (saved to {path_text(args.save)})" if args.save is not None else ""
        raise CliError(f"{trace.failure}; training stopped at step {trainer.step_count}{saved}")
    if not args.quiet:
        for line in summary(trainer):
            print(line)
    stop = trainer.stop_event
    if stop is not None and trainer.diverged:
        print(one_line(stop.message), file=sys.stderr)
        return EXIT_DIVERGED
    return EXIT_OK


def _save(trainer: Trainer | RecurrentTrainer, path: Path) -> None:
    """Save the trained run, or WriteError naming the file (a state no file can hold too: see
    sim.state.state_json)."""
    try:
        trained = trainer.to_experiment()
        if isinstance(trained, RecurrentExperiment):
            save_recurrent(trained, path)
        else:
            save(trained, path)
    except ExperimentError as error:
        raise WriteError(path, str(error)) from None


def _check_stopping(args: argparse.Namespace,
                    experiment: Experiment | RecurrentExperiment) -> None:
    """Refuse a run that nothing would stop: no --steps, no --epochs, no stopping rule."""
    stopping = experiment.stopping
    if args.steps is None and args.epochs is None and not any(
            (stopping.max_steps, stopping.max_epochs, stopping.loss_below,
             stopping.early_stopping, stopping.time_limit)):
        raise CliError("nothing says when to stop: give --steps or --epochs, or a stopping "
                       "rule in the file")


def _sweep(args: argparse.Namespace) -> int:
    experiment = load(args.file)
    check_sweepable(experiment, args.seeds)
    _check_stopping(args, experiment)
    writable_target(args.json)
    for what, source in [("the experiment being swept", args.file), *_data_table(experiment)]:
        if same_file(args.json, source):
            raise CliError(f"--json {path_text(args.json)} is {what}: it would be overwritten")
    result = sweep(experiment, args.seeds, steps=args.steps, epochs=args.epochs)
    text = json.dumps(result.to_json(args.parameters), allow_nan=False)
    write_atomic(args.json, (text + "\n").encode("utf-8"))
    runs = result.runs
    stopped = sum(run.stopped for run in runs)
    diverged = sum(run.diverged for run in runs)
    print(f"{notation.count(len(runs), 'run')} (seeds {runs[0].seed} to {runs[-1].seed}): "
          f"{stopped} stopped by a rule of the file, {diverged} diverged, "
          f"{len(runs) - stopped - diverged} reached the limit; written to "
          f"{path_text(args.json)}")
    return EXIT_OK


def _data_table(experiment: Experiment) -> list[tuple[str, Path]]:
    """The experiment's data table, if it reads one, as an input no output may replace."""
    if experiment.data.kind != "csv":
        return []
    return [("the experiment's data table (data.path)",
             data.csv_path(experiment.data, experiment.base_dir))]


def _check_outputs(args: argparse.Namespace,
                   experiment: Experiment | RecurrentExperiment) -> None:
    """Refuse, before training, a --trace or --save that could not be written or would
    overwrite an input (the experiment, its data table) or each other. A --save may name the
    experiment itself: that updates it in place."""
    table = _data_table(experiment) if isinstance(experiment, Experiment) else []
    inputs = {"--trace": [("the experiment being run", args.file), *table], "--save": table}
    if args.trace is not None:
        _check_trace_target(args.trace)
        if args.save is not None and same_file(args.trace, args.save):
            raise CliError(f"--trace and --save both name {path_text(args.save)}: the save "
                           "would replace the trace")
    if args.save is not None:
        writable_target(args.save)
    for option, path in (("--trace", args.trace), ("--save", args.save)):
        for what, source in inputs[option] if path is not None else ():
            if same_file(path, source):
                raise CliError(f"{option} {path_text(path)} is {what}: it would be overwritten")


# A trace is a stream of lines, so it may also go to a terminal, /dev/null or a FIFO that a
# program reads (never waiting for one that nobody reads); never to a folder, a disk or socket.
STREAMS = (stat.S_ISFIFO, stat.S_ISCHR)


def _check_trace_target(path: Path) -> None:
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        mode = 0  # a new file, or a path output_target names the problem of
    if not any(test(mode) for test in STREAMS):
        writable_target(path)


class _TraceFailed(Exception):
    """The trace could not be written: training stops (`_Trace.failure` says why)."""


class _Trace:
    """The --trace file, one JSON line a step; a failure to write it (a full disk) is kept in
    ``failure`` and ends the run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.failure: WriteError | None = None
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NONBLOCK", 0)
        try:
            handle = os.open(path, flags, 0o666)  # non-blocking: a FIFO never makes it wait
        except OSError as error:
            reason = "no program reads from the FIFO" if error.errno == errno.ENXIO \
                else error.strerror or str(error)
            raise WriteError(path, reason) from None
        if getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(handle, True)  # once open, a slow reader slows the run down
        stream_like = not stat.S_ISREG(os.fstat(handle).st_mode)
        self.stream = os.fdopen(handle, "w", encoding="utf-8", buffering=1 if stream_like
                                else -1)

    def write(self, record: dict[str, Any]) -> None:
        try:
            self.stream.write(json.dumps(record, allow_nan=False) + "\n")
        except OSError as error:
            self._failed(error)

    def close(self) -> None:
        try:
            self.stream.close()
        except OSError as error:
            if self.failure is None:
                self.failure = WriteError(self.path, error.strerror or str(error))

    def _failed(self, error: OSError) -> None:
        self.failure = WriteError(self.path, error.strerror or str(error))
        raise _TraceFailed from None


def _explain(args: argparse.Namespace) -> int:
    experiment = load_any(args.file)
    if isinstance(experiment, RecurrentExperiment):
        recurrent = RecurrentTrainer(experiment)
        return _walk(args, recurrent, lambda: recurrent_cli.explain_next_step(recurrent,
                                                                              args.sample))
    trainer = Trainer(experiment)
    return _walk(args, trainer, lambda: _explain_next_step(trainer, args.sample))


def _walk(args: argparse.Namespace, trainer: Trainer | RecurrentTrainer,
          next_step: Callable[[], Iterable[str]]) -> int:
    """``explain``: ``--steps`` steps, each printed by ``next_step`` as it goes, until training
    stops (then its message and the exit code)."""
    samples = trainer.dataset.x_train.shape[0]
    if args.sample is not None and not 0 <= args.sample < samples:
        raise CliError(f"--sample must be from 0 to {samples - 1}")
    for _ in range(args.steps):
        for line in next_step():
            print(line)
        stop = trainer.stop_event
        if stop is not None:
            print(one_line(stop.message))
            return EXIT_DIVERGED if trainer.diverged else EXIT_OK
    return EXIT_OK


def _explain_next_step(trainer: Trainer, sample: int | None) -> Iterator[str]:
    """The next step, phase by phase, each phase's caption as it is run; nothing once training
    has stopped."""
    for index in range(len(trainer.phases)):
        phase = trainer.step_phase()
        if phase is None:
            return
        snapshot = trainer.snapshot(with_history=False)
        if index == 0:  # the batch is drawn: say whose numbers follow
            yield f"=== Step {snapshot.step + 1}. {explain.following(snapshot, sample)}"
        caption = explain.caption(snapshot, sample)
        yield f"== {caption.title}"
        yield from (f"   {line}" for line in caption.lines)


def _paths(args: argparse.Namespace) -> int:
    steps = _whole_argument("--steps", args.steps)
    sample = _whole_argument("--sample", args.sample)
    experiment = _load_dense(args.file, "paths")
    try:
        address = paths.weight_address(args.weight, experiment.network)
    except ValueError as problem:
        raise CliError(f"--weight: {problem}") from None
    trainer = Trainer(experiment)
    try:
        paths.check_one_sample_pass(trainer.network)  # before any training is spent
    except paths.CoupledSamples as problem:
        raise CliError(f"--weight: {problem}") from None
    samples = trainer.dataset.x_train.shape[0]
    if sample >= samples:
        raise CliError(f"--sample must be from 0 to {samples - 1}")
    if steps:
        trainer.run(steps=steps)
    network, dataset = trainer.network, trainer.dataset
    if np.isfinite(network.theta).all():  # weights that are not numbers have no paths to show
        result = paths.sample_paths(network, dataset.x_train, dataset.t_train, experiment.loss,
                                    address, sample)
        if args.json:
            print(json.dumps(paths.to_json(result), ensure_ascii=False, allow_nan=False))
        else:
            _print_paths(result, trainer, sys.stdout)
    stop = trainer.stop_event
    if stop is not None and trainer.diverged:
        print(one_line(stop.message), file=sys.stderr)
        return EXIT_DIVERGED
    return EXIT_OK


def _views(args: argparse.Namespace) -> int:
    if not args.neurons:
        raise CliError("views: say which view to print (--neurons)")
    steps = _whole_argument("--steps", args.steps)
    grid: Any = args.grid  # a whole number, or the text that check_grid names as wrong
    if grid is not None and grid.strip().isdigit():
        grid = int(grid)
    experiment = _load_dense(args.file, "views")
    inputs = experiment.network.inputs
    if inputs not in neuron_maps.DEFAULT_GRID:
        raise CliError(f"--neurons needs a network with one or two inputs; this one has "
                       f"{inputs}")
    if grid is not None:
        try:
            neuron_maps.check_grid(grid, inputs, sum(layer.units
                                                     for layer in experiment.network.layers))
        except ValueError as problem:
            raise CliError(f"--grid {problem}") from None
    trainer = Trainer(experiment)
    if steps:
        trainer.run(steps=steps)
    maps = neuron_maps.neuron_maps(trainer.network, trainer.dataset, grid)
    if args.json:
        print(json.dumps(maps.to_json(), allow_nan=False))
    else:
        _print_neuron_maps(maps, trainer, sys.stdout)
    stop = trainer.stop_event
    if stop is not None and trainer.diverged:
        print(one_line(stop.message), file=sys.stderr)
        return EXIT_DIVERGED
    return EXIT_OK


def _print_neuron_maps(maps: neuron_maps.NeuronMaps, trainer: Trainer, out: TextIO) -> None:
    """Where the grid lies, and each unit's smallest, mean and largest value on it."""
    names = [notation.input_label(k, maps.input_names) for k in range(maps.inputs)]
    axes = [maps.x] if maps.y is None else [maps.x, maps.y]
    where = " by ".join(f"{name} from {notation.number(float(axis[0]))} to "
                        f"{notation.number(float(axis[-1]))}" for name, axis in zip(
                            names, axes, strict=True))
    shape = f"on a {maps.grid} x {maps.grid} grid" if maps.y is not None else \
        f"at {maps.grid} points"
    print(f"Every unit's activation {shape}: {where}, after "
          f"{notation.count(trainer.step_count, 'step')} (evaluation mode: no dropout)", file=out)
    for number, (values, activation) in enumerate(zip(maps.layers, maps.activations,
                                                      strict=True), start=1):
        for unit, unit_values in enumerate(values):
            low, mean, high = (float(f(unit_values)) for f in (np.min, np.mean, np.max))
            print(f"{notation.activation(number, unit)} ({activation}): from "
                  f"{notation.number(low)} to {notation.number(high)}, mean "
                  f"{notation.number(mean)}", file=out)


def _whole_argument(option: str, text: str) -> int:
    if not text.strip().isdigit():
        raise CliError(f"{option} must be a whole number from 0, got {text!r}")
    return int(text)


def _print_paths(result: paths.PathSum, trainer: Trainer, out: TextIO) -> None:
    name = notation.gradient(notation.parameter(*result.address))
    print(f"{name} for sample {result.sample} alone (the loss {trainer.experiment.loss} of "
          f"a batch of that one sample), after {notation.count(trainer.step_count, 'step')}:",
          file=out)
    print("the sum over the paths from it to the outputs of the products of their factors, "
          "largest |product| first", file=out)
    width = len(str(len(result.paths)))
    for rank, path in enumerate(result.paths, start=1):
        names, numbers = paths.written_out(path)
        print(f"{rank:>{width}}. {names}", file=out)
        print(f"{'':>{width}}  = {numbers}", file=out)
    for line in paths.summary(result, f"backpropagation's {name}"):
        print(line, file=out)
    note = paths.slope_note(result)
    if note is not None:
        print(note, file=out)


# ---------------------------------------------------------------------------- output


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
        "val_loss": finite_or_none(row["val_loss"]),
    }


def _summary(trainer: Trainer) -> list[str]:
    """The end-of-run lines: where the run ended, the held-out result, a small network's
    weights."""
    row = trainer.history.last()
    name = one_line(trainer.experiment.name)
    if row is None:
        return [f"{name}: no steps taken"]
    parts = [f"{name}: step {trainer.step_count}, epoch {trainer.epoch_count}",
             f"loss {row['loss']:.10g} (before the last update)"]
    if math.isfinite(row["accuracy"]):
        parts.append(f"accuracy {row['accuracy']:.1%}")
    if math.isfinite(row["val_loss"]):
        parts.append(f"validation loss {row['val_loss']:.6g}")
    lines = [", ".join(parts)]
    if trainer.stop_event is not None and not trainer.diverged:
        lines.append(one_line(trainer.stop_event.message))
    held_out = held_out_result(trainer)
    if held_out is not None:
        lines.append(f"{held_out.summary()}. {WHY_ONCE}")
    if trainer.network.n_trainable <= SMALL_NETWORK:
        for layer in trainer.network.layers:
            line = f"layer {layer.number}: W = {_one_line_array(layer.W)}"
            if layer.b is not None:
                line += f", b = {_one_line_array(layer.b)}"
            lines.append(line)
    return lines


def _one_line_array(values: np.ndarray) -> str:
    """A vector or a matrix on one line, each number to 10 significant digits."""
    if values.ndim > 1:
        return "[" + ", ".join(_one_line_array(row) for row in values) + "]"
    return "[" + ", ".join(f"{value:.10g}" for value in values) + "]"


class _Progress:
    """A one-line progress bar on a terminal, redrawn at most ten times a second.

    With ``--steps`` it counts the steps of this run against the steps asked for; a resumed
    run also names the step it has reached, counted from the start of training.
    """

    def __init__(self, stream: TextIO, trainer: Trainer, total: int | None) -> None:
        self.stream, self.trainer, self.total, self.shown = stream, trainer, total, 0.0
        self.steps_before = trainer.step_count  # a resumed run's steps before this run
        self.width = 0  # of the longest line drawn, to be covered by the next

    def update(self, force: bool = False) -> None:
        now = time.monotonic()
        if now - self.shown < 0.1 and not force:
            return
        self.shown = now
        trainer = self.trainer
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

    def close(self) -> None:
        """Show where the run ended and finish the line."""
        if self.shown:
            self.update(force=True)
            self.stream.write("\n")
