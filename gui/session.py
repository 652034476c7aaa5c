"""The trainer's side of the training worker: a process of its own that owns the `sim` Trainer.

`gui.worker.TrainingWorker` (a thread of the app) starts this process and relays: the app's
commands (`gui.commands`) come in through one pipe, in ticket order; everything the app may
show goes out through another, as messages (see `Outbox`). The process imports no Qt, so the
app's painting and the training never share an interpreter lock: each has a core of its own.

While training runs, the session trains for a short frame's time, then, if the app has taken
the last snapshot it sent (the worker says `TAKEN`), publishes a new one (the newest wins on
the other side). So it publishes as often as the window paints, however fast or slow that is,
and a snapshot is ready whenever the window looks: taking and pickling one costs about two
small steps, and published at a fixed rate either most went unseen or the two clocks beat. It
looks at its pipe between frames, so a command waits at most a frame (or one step, if a step
takes longer). Whatever changes the trainer while it does not train (a command, the end of a
run) is published at once. Files are read here, but written by the app's process (`Save` and
`ExportHistory` send what to write).

What goes to the app is kept small, since every byte is copied twice and the app's side reads
it with its interpreter lock (docs/hazards.md): the history's plotted columns cross once, as a
`sim.history.History` of their own, and after that only the rows appended since (the app's copy
folds them exactly as the trainer's history did); its series are made anew in the app at most
every HISTORY_SECONDS while training runs. The messages of one round of work (a snapshot, its
history rows, the neuron maps, the report of what was handled) cross as one batch, and a
report goes only when it has news.

The session survives any error in a command: it is reported (``failed``), training pauses,
and the next command is handled as usual. An experiment that cannot be trained at the start
leaves the session waiting for another (``load_failed``). It ends when told to, or as soon as
its pipe closes because the app has gone, however the app went.
"""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from multiprocessing.connection import Connection
from typing import Any, ClassVar

import sim
from sim.importing import experiment_from_csv
from sim.landscape import SURFACE_POINTS, ParameterTrace
from sim.many_seeds import many_seeds_sweeper, summarise
from sim.neuron_maps import DEFAULT_GRID, NeuronMaps, neuron_maps
from sim.snapshot import Snapshot, plotted_columns
from sim.sweep import Sweeper
from sim.trainer import Trainer
from sim.views import DataView, LandscapeView, data_view, landscape_view

from .commands import (
    Apply,
    CheckGradients,
    Command,
    Edit,
    ExportHistory,
    ImportCsv,
    Load,
    Pause,
    Play,
    Read,
    ReportStatus,
    Reset,
    RunEpochs,
    RunSteps,
    Save,
    SetSpeed,
    SetViews,
    Step,
    StepPhase,
    SweepSeeds,
)

# While training runs, the session looks at its pipe (and publishes, if the app took the last
# snapshot) this often: four times the window's frame rate, so that the next snapshot is
# there before the window's next frame (at 1/120 s, a quarter of the frames found none:
# 42-46 frames a second, now 55-60; docs/hazards.md).
FRAME_SECONDS = 1.0 / 240.0
HISTORY_SECONDS = 0.1  # the history's series at most this often while training runs
# The rows appended since the app's copy of the history was last brought up to date are sent
# once there are this many, snapshot or not: half the 2,048 rows a history keeps at full
# resolution at the least, so they are never folded before they are sent.
HISTORY_ROWS = 1024
IDLE_WAIT = 0.1  # how long an idle session waits for a command before looking again
GRADCHECK_PARAMETERS = 2000  # a larger network is checked on a seeded sample of its weights
RUNNING_SURFACE_POINTS = 32  # a 64 x 64 surface of a first-layer weight costs up to 50 ms
VIEW_INTERVAL = 0.2  # seconds between side-picture updates while training runs
# The neuron maps go with the snapshots, as often as the window takes them (its frame rate),
# but at most this often while training runs: 30 a second is as smooth as a map needs. A
# 2-16-16-1 network's maps at 48 x 48 cost about 0.5 ms to compute and 2 ms to draw (bench/).
NEURON_MAP_SECONDS = 1.0 / 30.0
STOP = "stop"  # the message that ends the session
TAKEN = "taken"  # the message saying the app has taken the last snapshot sent


@dataclass(frozen=True)
class WorkerStatus:
    """A worker's answer to `TrainingWorker.status`: the trainer's state as it was then (a
    snapshot that is not published) and what the worker was doing (for diagnostics)."""

    snapshot: Snapshot
    playing: bool
    training: bool  # playing, or running steps or epochs, and not stopped by a stopping rule
    steps_per_second: float | None  # the pace while playing; None: as fast as possible
    pending_steps: int  # of a RunSteps
    target_epoch: int | None  # of a RunEpochs
    next_step_in: float  # seconds until a paced step is due (negative: overdue)
    steps_done: int


@dataclass(frozen=True)
class Views:
    """What the side pictures show; a problem (a parameter gone with a rebuild) is a message."""

    step: int
    data: DataView | None
    landscape: LandscapeView | None
    problem: str = ""


@dataclass(frozen=True)
class NeuronMapsUpdate:
    """The neuron maps of the trainer at ``step``; None for a network without one or two
    inputs."""

    step: int
    maps: NeuronMaps | None


class Outbox:
    """The messages a session sends, each a tuple whose first item names its kind:

    - ``("history", update)``: the plotted columns of the trainer's history (`history_columns`)
      as a `sim.history.History` of their own, which replaces the app's copy; or a (rows,
      columns) array of the rows appended since the last update, which the copy appends;
    - ``("snapshot", snapshot, series_due)``: a Snapshot without its history's series; with
      ``series_due`` the app's copy of the history, as the updates before it left it, gives
      its series, and ``snapshot.distributions`` its percentile bands (otherwise None: the
      last ones stand);
    - ``("views", views)``: new `Views`;
    - ``("neurons", update)``: new neuron maps (a `NeuronMapsUpdate`);
    - ``("signal", name, args)``: a `TrainingWorker` signal to emit with these arguments;
    - ``("status", ticket, WorkerStatus)``: the answer to a ReportStatus;
    - ``("save", path, experiment, replace_read_only)`` and
      ``("export", path, text, replace_read_only)``: what the app's process is to write;
    - ``("report", ticket, training, steps_done)``: every command up to ``ticket`` is handled
      and what it changed is published; whether the session trains by itself.

    Messages wait in the outbox until `flush`, which sends them as one list: one write, and
    one wake of the app's relay thread, for a round of work. The pipe pickles them: only the
    app's own messages cross it, between its own processes (no file is ever unpickled). A
    snapshot goes only when the app has taken the last one, so the app's process unpickles
    no more snapshots than its window shows.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._waiting: list[tuple[Any, ...]] = []

    def send(self, *message: Any) -> None:
        """Queue a message, to be sent with the others of this round at `flush`."""
        self._waiting.append(message)

    @property
    def waiting(self) -> bool:
        """Whether messages wait to be sent."""
        return bool(self._waiting)

    def flush(self) -> None:
        """Send the messages waiting, in the order they were queued, as one. The pipe pickles
        a batch whole before it writes any of it, so a message that does not pickle (a bug)
        leaves the pipe whole: the batch then goes one message at a time, that one replaced
        by a ``failed`` signal that says what could not be sent."""
        if not self._waiting:
            return
        batch, self._waiting = self._waiting, []
        try:
            self._connection.send(batch)
        except (EOFError, OSError):
            raise  # the app has gone
        except Exception:
            for message in batch:
                try:
                    self._connection.send([message])
                except (EOFError, OSError):
                    raise
                except Exception as problem:
                    self._connection.send([_unsent(message, problem)])


def _unsent(message: tuple[Any, ...], problem: Exception) -> tuple[Any, ...]:
    """A ``failed`` signal in place of a message that does not pickle: an error's own text
    if the message reported one, else what could not be sent and why."""
    if message[:2] == ("signal", "failed"):
        (error,) = message[2]
        text = "".join(traceback.format_exception_only(error)).strip().splitlines()[-1]
    else:
        text = f"the training process could not send its {message[0]} message ({problem})"
    return ("signal", "failed", (UnexpectedError(text),))


def serve(commands: Connection, outbox: Connection, experiment: sim.Experiment) -> None:
    """The process's main function: a session on ``experiment`` until told to stop or until
    the app has gone (its pipe is closed)."""
    session = TrainingSession(experiment, commands, Outbox(outbox))
    with contextlib.suppress(EOFError, OSError):  # the app has gone: nobody is left to tell
        session.run()


class TrainingSession:
    """The trainer, what it was asked to do, and the messages about it (see the module)."""

    def __init__(self, experiment: sim.Experiment, commands: Connection,
                 outbox: Outbox) -> None:
        self._commands = commands
        self._outbox = outbox
        self._initial = experiment
        self._current: Trainer | None = None  # built when the session runs; see _trainer
        self._in_hand = 0  # the ticket of the command being handled
        self._steps_done = 0  # steps taken in this session's life, for --stats
        self._playing = False
        self._speed: float | None = None  # steps per second; None: as fast as possible
        self._pending_steps = 0  # steps asked for by RunSteps
        self._target_epoch: int | None = None  # the epoch count RunEpochs trains up to
        self._next_due = 0.0
        self._run_token = 0  # the window's name for the run of epochs or steps under way
        self._want_data: tuple[int, int] | None = None  # the data view's slice, if shown
        self._want_neurons = False  # the canvas draws the neuron maps
        self._trace: ParameterTrace | None = None  # the landscape's parameters, and their path
        self._views_at = 0.0
        self._neurons_at = 0.0
        self._history_at = 0.0  # when the app last made its series anew
        # The trainer whose history the app's copy follows, and the rows that copy holds: the
        # app shows the last series it made with every snapshot, so a new trainer (a load, a
        # reset, a rebuild) sends its history whole at once, never a snapshot of one network
        # beside the series of another.
        self._history_of: Trainer | None = None
        self._history_sent = 0
        self._reported: tuple[int, bool] | None = None  # the last report's ticket and busy
        self._taken = True  # the app has taken the last snapshot sent (or none was sent)
        # The Many seeds view's sweep under way, taken a frame at a time between the others'
        # work (a newer request replaces it), with the request it answers
        self._sweeping: tuple[SweepSeeds, Sweeper] | None = None
        self._unpublished = False  # steps were taken since the last snapshot sent

    # ------------------------------------------------------------------ the loop

    def run(self) -> None:
        """Until told to stop; EOFError or OSError when the app has gone."""
        self._guarded(self._start)
        self._flush()
        while True:
            if not self._busy() and self._sweeping is None and \
                    not self._commands.poll(IDLE_WAIT):
                continue
            if not self._handle_commands():
                return
            self._flush()  # what the commands changed, and that they are handled, at once
            if self._sweeping is not None:
                self._guarded(self._sweep_one_frame)
            if self._busy():
                self._guarded(self._train_one_frame)
            self._flush()

    def _handle_commands(self) -> bool:
        """Handle every command waiting and publish what they changed (`_flush` then says
        they are handled); False when told to stop. Without a trainer (the first experiment
        was refused) only the commands that need none are handled."""
        changed = False
        while self._commands.poll():
            message = self._commands.recv()
            if message == STOP:
                return False
            if message == TAKEN:
                self._taken = True
                continue
            self._in_hand, command = message
            if self._current is None and not isinstance(command, (Load, Read, SetSpeed,
                                                                  SweepSeeds)):
                continue
            changed |= self._guarded(partial(self._run_command, command))
        if changed and self._current is not None:
            self._guarded(self._publish)
        return True

    def _run_command(self, command: Command) -> bool:
        return self._HANDLERS[type(command)](self, command)

    def _start(self) -> bool:
        """Build the first trainer; an experiment it refuses is reported as a failed load."""
        try:
            self._current = Trainer(self._initial)
        except sim.ExperimentError as error:
            self._signal("load_failed", None, error)
            return False
        self._publish()
        return True

    @property
    def _trainer(self) -> Trainer:
        """The trainer (commands that need one are not run without: see _handle_commands)."""
        if self._current is None:
            raise RuntimeError("no experiment is loaded")
        return self._current

    def _guarded(self, work: Callable[[], bool | None]) -> bool:
        """``work()``, or, if it raises what nothing expects, training paused and the error
        reported (``failed``); whether the trainer may have changed."""
        try:
            return bool(work())
        except Exception as error:
            self._playing = False
            self._pending_steps = 0
            self._target_epoch = None
            self._report_error(error)
            return True

    def _busy(self) -> bool:
        if self._current is None or self._current.stopped:
            return False
        return self._playing or self._pending_steps > 0 or self._target_epoch is not None

    def _flush(self) -> None:
        """Send what this round of work has to say, ending with a report of the commands
        handled and whether the session trains, if anything else is said or those changed
        (the steps taken ride along: they change at every step)."""
        report = (self._in_hand, self._busy())
        if self._outbox.waiting or report != self._reported:
            self._outbox.send("report", *report, self._steps_done)
            self._reported = report
        self._outbox.flush()

    def _signal(self, name: str, *args: Any) -> None:
        self._outbox.send("signal", name, args)

    def _report_error(self, error: Exception) -> None:
        """``failed`` with the error (with its text if it does not pickle: `Outbox.flush`)."""
        self._signal("failed", error)

    # ------------------------------------------------------------------ training

    def _train_one_frame(self) -> None:
        """Train until a frame's time is used (or one paced step), then publish."""
        trainer = self._trainer
        deadline = time.perf_counter() + FRAME_SECONDS
        while not trainer.stopped:
            if self._speed is not None and self._playing and not self._pending_steps:
                now = time.perf_counter()
                if now < self._next_due:
                    # a paced session waits, but not past the next frame or command
                    self._commands.poll(min(self._next_due - now, FRAME_SECONDS))
                    break
                self._next_due = max(self._next_due + 1.0 / self._speed, now)
                self._advance()
                break
            self._advance()
            if not self._busy() or time.perf_counter() >= deadline:
                break
        if self._unpublished and (self._taken or not self._busy()):
            self._publish()
        if self._history_of is trainer and \
                len(trainer.history) - self._history_sent >= HISTORY_ROWS:
            self._send_history()

    def _advance(self) -> None:
        trainer = self._trainer
        if trainer.step():
            self._steps_done += 1
            self._unpublished = True
            if self._trace is not None:  # every step, though a frame publishes only its last
                self._trace.record_layers(trainer.step_count, trainer.network.layers)
        running = self._pending_steps > 0 or self._target_epoch is not None
        if self._pending_steps:
            self._pending_steps -= 1
        if self._target_epoch is not None and trainer.epoch_count >= self._target_epoch:
            self._target_epoch = None
        finished = not self._pending_steps and self._target_epoch is None
        if running and (finished or trainer.stopped):
            self._signal("run_ended", self._run_token)

    def _publish(self) -> None:
        """A snapshot (the history's series and bands if due), and the side pictures if due."""
        trainer = self._trainer
        now = time.perf_counter()
        series_due = not self._busy() or now - self._history_at >= HISTORY_SECONDS \
            or self._history_of is not trainer
        snapshot = trainer.snapshot(with_history=False)
        if series_due:
            self._history_at = now
            self._send_history()
            snapshot = replace(snapshot, distributions=trainer.distributions.bands())
        self._outbox.send("snapshot", snapshot, series_due)
        self._taken = self._unpublished = False
        if self._trace is not None:
            self._trace.record(snapshot)
        self._publish_views()
        self._publish_neurons()

    def _send_history(self) -> None:
        """Bring the app's copy of the history up to date: the rows appended since its last
        update, or, for a new trainer (or rows folded already), its plotted columns whole."""
        trainer = self._trainer
        history = trainer.history
        columns = history_columns(trainer)
        rows = history.rows_since(self._history_sent, columns) \
            if self._history_of is trainer else None
        if rows is None or len(rows):  # no rows since (a phase stepped): nothing to say
            self._outbox.send("history", history.copy(columns) if rows is None else rows)
        self._history_of, self._history_sent = trainer, len(history)

    def _publish_views(self, force: bool = False) -> None:
        """The data view and the landscape, if the window shows them, at most every
        VIEW_INTERVAL while training runs (each costs about a step's time or a few)."""
        if not (self._want_data is not None or self._trace is not None):
            return
        now = time.perf_counter()
        if not force and self._busy() and now - self._views_at < VIEW_INTERVAL:
            return
        self._views_at = now
        views = compute_views(self._trainer, self._want_data, self._trace, small=self._busy())
        self._outbox.send("views", views)

    def _publish_neurons(self, force: bool = False) -> None:
        """The neuron maps, if the window draws them, with the snapshot just published (at
        most every NEURON_MAP_SECONDS while training runs)."""
        if not self._want_neurons:
            return
        now = time.perf_counter()
        if not force and self._busy() and now - self._neurons_at < NEURON_MAP_SECONDS:
            return
        self._neurons_at = now
        trainer = self._trainer
        maps = neuron_maps(trainer.network, trainer.dataset) \
            if trainer.network.inputs in DEFAULT_GRID else None
        self._outbox.send("neurons", NeuronMapsUpdate(trainer.step_count, maps))

    # ------------------------------------------------------------------ commands
    # Each returns whether the trainer's state changed (then a snapshot is published).

    def _play(self, command: Play) -> bool:
        self._playing = True
        self._next_due = time.perf_counter()
        if self._trainer.stopped and not self._trainer.diverged:
            self._trainer.resume()  # a stopping rule was reached: play means go on
        return False

    def _pause(self, command: Pause) -> bool:
        # A run that stops is published once more, for the window to redraw it in full; an
        # idle session has nothing new, and a fresh snapshot would end the window's walk
        # back through the phases it keeps.
        was_running = self._playing or self._pending_steps > 0 or \
            self._target_epoch is not None
        self._playing = False
        self._pending_steps = 0
        self._target_epoch = None
        return was_running

    def _step(self, command: Step) -> bool:
        self._playing = False
        if self._trainer.step():
            self._steps_done += 1
        return True

    def _finish_iteration(self) -> bool:
        """Run the rest of an iteration walked part-way (edits, checks and saves need whole
        weights); whether there was one to finish."""
        if self._trainer.at_boundary():
            return False
        if self._trainer.step():
            self._steps_done += 1
        return True

    def _step_phase(self, command: StepPhase) -> bool:
        self._playing = False
        self._trainer.step_phase()
        return True

    def _run_epochs(self, command: RunEpochs) -> bool:
        self._playing = False
        self._run_token = command.token
        # The epoch under way counts: finishing the iteration in progress may end it.
        target = self._trainer.epoch_count + int(command.count)
        self._finish_iteration()
        self._target_epoch = target if self._trainer.epoch_count < target else None
        return True

    def _run_steps(self, command: RunSteps) -> bool:
        self._playing = False
        self._run_token = command.token
        self._pending_steps = int(command.count)
        return False

    def _reset(self, command: Reset) -> bool:
        return self._load(Load(self._trainer.experiment.replace(state=None)))

    def _load(self, command: Load) -> bool:
        try:
            trainer = Trainer(command.experiment)
        except sim.ExperimentError as error:
            self._signal("load_failed", command.source, error)
            return False
        self._current = trainer
        self._playing = False
        self._pending_steps = 0
        self._target_epoch = None
        self._trace = None  # its parameters belonged to the old network; the window asks again
        self._signal("loaded", command.experiment, command.source)
        return True

    def _read(self, command: Read) -> bool:
        """Files are read here, never on the GUI thread (a CSV experiment reads its table)."""
        try:
            experiment = sim.load(command.path)
        except sim.ExperimentError as error:
            self._signal("read_failed", self._in_hand, command.path, error)
        else:
            self._signal("read", self._in_hand, command.path, experiment)
        return False

    def _import_csv(self, command: ImportCsv) -> bool:
        """A CSV table is read here too (a large one takes a second or two): answered as a
        Read is."""
        try:
            experiment = experiment_from_csv(command.base, command.path, list(command.targets),
                                             command.validation_fraction, command.standardize)
        except sim.ExperimentError as error:
            self._signal("read_failed", self._in_hand, command.path, error)
        else:
            self._signal("read", self._in_hand, command.path, experiment)
        return False

    def _apply(self, command: Apply) -> bool:
        """An edit made on another network (the window had not yet heard of a load still in
        this queue) is dropped: the window asks for rebuilds with Load, after the user
        agreed."""
        if not sim.experiment.live_compatible(self._trainer.experiment, command.experiment):
            return False
        self._trainer.apply_live(command.experiment)
        return True

    def _edit(self, command: Edit) -> bool:
        if not command.address.exists_in(self._trainer.network.layers):
            return False  # chosen on a network that a load or rebuild has replaced since
        self._finish_iteration()  # edits apply between steps
        self._trainer.set_parameter(command.address, command.value)
        return True

    def _set_views(self, command: SetViews) -> bool:
        """A new choice of landscape parameters starts a new trajectory."""
        addresses = command.addresses
        self._want_data = command.data
        self._want_neurons = command.neurons
        layers = self._trainer.network.layers
        if addresses is None or not all(a.exists_in(layers) for a in addresses):
            self._trace = None
        elif self._trace is None or self._trace.addresses != tuple(addresses):
            self._trace = ParameterTrace(addresses)
            # The path starts where the weights are now: a lesson that opens on a weight's
            # landscape shows its first step from the initial value.
            self._trace.record_layers(self._trainer.step_count, self._trainer.network.layers)
        self._publish_views(force=True)
        self._publish_neurons(force=True)
        return False

    def _check_gradients(self, command: CheckGradients) -> bool:
        self._finish_iteration()
        self._signal("checked", self._trainer.gradcheck(GRADCHECK_PARAMETERS).summary())
        return False

    def _set_speed(self, command: SetSpeed) -> bool:
        self._speed = command.steps_per_second
        self._next_due = time.perf_counter()
        return False

    def _save(self, command: Save) -> bool:
        """The trained experiment goes to the app's process, which writes it; a state that
        no file can hold is refused here (see sim.state)."""
        finished = self._finish_iteration()  # the state is whole between iterations only
        try:
            trained = self._trainer.to_experiment()
        except sim.ExperimentError as error:
            self._outbox.send("save_refused", command.path, error)
        else:
            self._outbox.send("save", command.path, trained, command.replace_read_only)
        return finished

    def _export_history(self, command: ExportHistory) -> bool:
        self._outbox.send("export", command.path, self._trainer.history.csv_text(),
                          command.replace_read_only)
        return False

    def _sweep_seeds(self, command: SweepSeeds) -> bool:
        """Start the Many seeds view's runs (trained a frame at a time, see _sweep_one_frame,
        in place of any sweep under way); an experiment the sweep refuses is answered at once
        with its one-line reason."""
        self._sweeping = None
        try:
            sweeper = many_seeds_sweeper(command.experiment, command.spec)
        except sim.ExperimentError as error:
            self._signal("sweep_failed", command.token, str(error))
        else:
            self._sweeping = (command, sweeper)
        return False

    def _sweep_one_frame(self) -> None:
        """A frame's time of the sweep under way; its numbers go to the app when it ends."""
        assert self._sweeping is not None
        command, sweeper = self._sweeping
        self._sweeping = None  # an error ends it (and is reported by _guarded)
        sweeper.advance(FRAME_SECONDS)
        if not sweeper.done:
            self._sweeping = command, sweeper
            return
        self._signal("swept", command.token, summarise(sweeper.result(), command.spec))

    def _report_status(self, command: ReportStatus) -> bool:
        status = WorkerStatus(
            snapshot=self._trainer.snapshot(), playing=self._playing, training=self._busy(),
            steps_per_second=self._speed, pending_steps=self._pending_steps,
            target_epoch=self._target_epoch, next_step_in=self._next_due - time.perf_counter(),
            steps_done=self._steps_done)
        self._outbox.send("status", self._in_hand, status)
        return False

    _HANDLERS: ClassVar[dict[type, Callable[[TrainingSession, Any], bool]]] = {
        Play: _play, Pause: _pause, Step: _step, StepPhase: _step_phase,
        RunEpochs: _run_epochs, RunSteps: _run_steps, Reset: _reset, Load: _load, Read: _read,
        ImportCsv: _import_csv, Apply: _apply, Edit: _edit, SetSpeed: _set_speed,
        SetViews: _set_views, CheckGradients: _check_gradients, Save: _save,
        ExportHistory: _export_history, SweepSeeds: _sweep_seeds, ReportStatus: _report_status,
    }


def history_columns(trainer: Trainer) -> list[str]:
    """The columns of the trainer's history that the app keeps a copy of: the snapshots'
    series, and their steps."""
    return ["step", *plotted_columns(trainer.network.depth)]


def compute_views(trainer: Trainer, data: tuple[int, int] | None,
                  trace: ParameterTrace | None, small: bool) -> Views:
    """``small``: training runs, so a surface takes a coarser grid (four times cheaper)."""
    problem = ""
    shown_data = None if data is None else data_view(trainer, data)
    shown_landscape = None
    if trace is not None:
        try:
            shown_landscape = landscape_view(trainer, trace,
                                             RUNNING_SURFACE_POINTS if small else SURFACE_POINTS)
        except ValueError as error:  # the chosen weight is not in this network any more
            problem = str(error)
    return Views(trainer.step_count, shown_data, shown_landscape, problem)


class UnexpectedError(Exception):
    """An error raised in the training process that cannot cross to the app as it is (it
    does not pickle): its type's name and message, as Python would print them."""


def check_trainable(experiment: sim.Experiment) -> None:
    """ExperimentError if no trainer can be built on ``experiment``: what reading a file cannot
    find out (a CSV cell that is not a number, targets the loss cannot take, a saved state that
    does not fit). The app checks the files named on its command line with this before its
    window opens, as ``python -m sim check`` does."""
    Trainer(experiment)
