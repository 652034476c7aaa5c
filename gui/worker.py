"""The training worker: one QThread owns the `sim` Trainer.

The GUI never touches the trainer. It sends commands (`gui.commands`) through a thread-safe
queue, which the worker reads between steps (a busy loop runs no event loop, so queued slots
could never be delivered to it; a stop flag is looked at between phases), and it takes the
newest Snapshot when it paints; older snapshots are simply replaced, so nothing can pile up
however slow the painting is. Results and failures come back as signals, apart. The worker
touches no widget.

The worker survives any error: a command that fails unexpectedly (a bug, or a file system
that fails in a way nobody foresaw) is reported with `failed`, training pauses, and the next
command is handled as usual. An experiment that cannot be trained at the start leaves the
worker waiting for another (`load_failed`).
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import (
    QAbstractEventDispatcher,
    QCoreApplication,
    QEvent,
    QObject,
    QThread,
    Signal,
    Slot,
)

import sim
from sim.address import ParameterAddress
from sim.files import WriteError, write_atomic
from sim.landscape import SURFACE_POINTS, ParameterTrace
from sim.snapshot import Snapshot
from sim.trainer import Trainer
from sim.views import DataView, LandscapeView, data_view, landscape_view

from .commands import (
    Apply,
    CheckGradients,
    Command,
    Edit,
    ExportHistory,
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
)

FRAME_SECONDS = 1.0 / 60.0  # publish at most this often while playing
IDLE_WAIT = 0.1  # how long an idle worker sleeps before looking at its queue again
# The longest a worker waits for the GUI to go idle before it steps anyway: a GUI thread that
# spins its own loop (processEvents in a test, a modal dialog's loop) may never report idle.
GATE_PATIENCE = 0.02
GRADCHECK_PARAMETERS = 2000  # a larger network is checked on a seeded sample of its weights
RUNNING_SURFACE_POINTS = 32  # a 64 x 64 surface of a first-layer weight costs up to 50 ms
VIEW_INTERVAL = 0.2  # seconds between boundary and landscape updates while training runs
SLOW_STEP = 0.0003  # seconds: steps slower than this run phase by phase, the gate between


class EventLoopGate(QObject):
    """Lets the worker compute only while the GUI thread's event loop is asleep.

    PySide releases the GIL around C++ calls, and a busy worker thread would take it back for
    up to a switch interval each time: a frame of a few hundred Qt calls could then last a
    second. So the GUI marks itself busy whenever it handles an event and idle when its event
    loop is about to sleep again, and the worker waits for the GUI to be idle before each
    step. (A lock would not do: the worker would take it straight back after each step,
    before the waiting GUI thread woke up.) The dispatcher's own ``awake`` signal is not
    enough: measured here, paint events were delivered after ``aboutToBlock`` with the gate
    open, so an application-wide event filter closes it. The GUI's handlers must get the GIL
    from a stepping worker, so the switch interval is shortened from 5 ms to 1 ms.
    """

    SWITCH_INTERVAL = 0.001

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.idle = threading.Event()
        self.idle.set()
        sys.setswitchinterval(self.SWITCH_INTERVAL)
        _application().installEventFilter(self)
        QAbstractEventDispatcher.instance().aboutToBlock.connect(self.open)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        self.idle.clear()
        return False  # only watching: every event goes on to its receiver

    @Slot()
    def open(self) -> None:
        self.idle.set()

    def detach(self) -> None:
        """Stop gating (before the worker is joined, so that it can finish)."""
        _application().removeEventFilter(self)
        QAbstractEventDispatcher.instance().aboutToBlock.disconnect(self.open)
        self.idle.set()


def _application() -> QCoreApplication:
    application = QCoreApplication.instance()
    if application is None:
        raise RuntimeError("the event loop gate needs the QApplication to exist")
    return application


class TrainingWorker(QThread):
    """Runs training in its own thread.

    The public methods below are for other threads (the GUI's): each queues a command (see
    `gui.commands`) and returns its ticket, a number that grows with every command sent.
    `handled` and `wait_handled` tell when the worker has run a command and published what it
    changed; `idle` when it has run everything sent and is not training. Results come back as
    signals, a success and a failure apart; the newest Snapshot is taken with `latest`.
    """

    # An exception no command expects (a bug): that command is dropped, training pauses, the
    # worker goes on with the next command.
    failed = Signal(object)
    loaded = Signal(object, object)  # (Experiment, the file it came from or None): now trained
    load_failed = Signal(object, object)  # (that file or None, ExperimentError): nothing changed
    read = Signal(int, object, object)  # (ticket of the Read, path, Experiment)
    read_failed = Signal(int, object, object)  # (ticket of the Read, path, ExperimentError)
    written = Signal(object)  # the path that Save or ExportHistory wrote
    # (path, one line saying why): nothing was written, an old file is intact
    write_failed = Signal(object, str)
    checked = Signal(str)  # the result of CheckGradients, one line
    # A run of epochs or steps ended (done, or training stopped by itself): the run's token,
    # as the window gave it, so that the end of an earlier run cannot end a later one
    run_ended = Signal(int)

    def __init__(self, experiment: sim.Experiment, gui_idle: threading.Event | None = None,
                 parent: Any = None) -> None:
        super().__init__(parent)
        if gui_idle is None:
            gui_idle = threading.Event()
            gui_idle.set()
        self._gui_idle = gui_idle
        self._commands: queue.SimpleQueue[tuple[int, Command]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stopping = threading.Event()  # looked at between phases: shutdown() sets it
        self._lock = threading.Lock()  # guards the published snapshot and views
        self._latest: Snapshot | None = None
        self._sequence = 0  # counts published snapshots
        # Guards what the worker reports about its commands, and wakes those who wait for it:
        self._state = threading.Condition()
        self._last_ticket = 0  # the ticket of the last command sent
        self._handled = 0  # the ticket of the last command run (and its changes published)
        self._training = False  # whether the worker is training, as it last reported
        self._ended = False  # the thread has left its loop
        self._replies: dict[int, WorkerStatus] = {}  # ReportStatus answers, by ticket
        self._initial = experiment
        self._steps_done = 0  # steps taken in this worker's life, for --stats
        # Owned by the worker thread once it runs:
        self._current: Trainer | None = None  # built when the thread starts; see _trainer
        self._in_hand = 0  # the ticket of the command being run
        self._playing = False
        self._speed: float | None = None  # steps per second; None: as fast as possible
        self._pending_steps = 0  # steps asked for by RunSteps
        self._target_epoch: int | None = None  # the epoch count RunEpochs trains up to
        self._next_due = 0.0
        self._step_seconds = 0.0  # how long the last step took
        self._run_token = 0  # the window's name for the run of epochs or steps under way
        self._want_data: tuple[int, int] | None = None  # the data view's slice, if shown
        self._trace: ParameterTrace | None = None  # the landscape's parameters, and their path
        self._views: Views | None = None
        self._views_sequence = 0
        self._views_at = 0.0

    # ------------------------------------------------------------------ any thread

    def send(self, command: Command) -> int:
        """Queue a command; its ticket. It runs between two phases, never inside one."""
        with self._state:
            self._last_ticket += 1
            ticket = self._last_ticket
            self._commands.put((ticket, command))  # in ticket order: the lock is held
        self._wake.set()
        return ticket

    # One method per command of gui.commands, which says what each does.
    def play(self) -> int:
        return self.send(Play())

    def pause(self) -> int:
        return self.send(Pause())

    def step(self) -> int:
        return self.send(Step())

    def step_phase(self) -> int:
        return self.send(StepPhase())

    def run_epochs(self, count: int = 1, token: int = 0) -> int:
        return self.send(RunEpochs(count, token))

    def run_steps(self, count: int, token: int = 0) -> int:
        return self.send(RunSteps(count, token))

    def reset(self) -> int:
        return self.send(Reset())

    def load(self, experiment: sim.Experiment, source: Path | None = None) -> int:
        return self.send(Load(experiment, source))

    def read_file(self, path: Path) -> int:
        return self.send(Read(path))

    def apply(self, experiment: sim.Experiment) -> int:
        return self.send(Apply(experiment))

    def edit(self, address: ParameterAddress, value: float) -> int:
        return self.send(Edit(address, value))

    def set_speed(self, steps_per_second: float | None) -> int:
        return self.send(SetSpeed(steps_per_second))

    def set_views(self, data: tuple[int, int] | None,
                  addresses: tuple[ParameterAddress, ...] | None) -> int:
        return self.send(SetViews(data, addresses))

    def check_gradients(self) -> int:
        return self.send(CheckGradients())

    def save(self, path: Path, replace_read_only: bool = False) -> int:
        return self.send(Save(path, replace_read_only))

    def export_history(self, path: Path, replace_read_only: bool = False) -> int:
        return self.send(ExportHistory(path, replace_read_only))

    @property
    def last_ticket(self) -> int:
        """The ticket of the last command sent (0: none yet)."""
        with self._state:
            return self._last_ticket

    def handled(self, ticket: int) -> bool:
        """Whether the command with this ticket (and every one before it) has run, and a
        snapshot of what it changed is published."""
        with self._state:
            return self._handled >= ticket

    def wait_handled(self, ticket: int | None = None, timeout: float = 5.0) -> bool:
        """Block until the command with ``ticket`` (None: every command sent so far) has been
        handled, at most ``timeout`` seconds; whether it has. Signals the worker emits
        meanwhile are delivered later, by the event loop."""
        with self._state:
            target = self._last_ticket if ticket is None else ticket
            self._state.wait_for(lambda: self._handled >= target or self._ended, timeout)
            return self._handled >= target

    @property
    def training(self) -> bool:
        """Whether the worker trains (playing, or running steps or epochs, and not stopped by
        a stopping rule), as it said after its last round of commands or training."""
        with self._state:
            return self._training

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing being trained: every command sent has been handled, its
        changes published, and the worker takes no step by itself."""
        with self._state:
            return self._is_idle()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until the worker is `idle`, at most ``timeout`` seconds; whether it is."""
        with self._state:
            self._state.wait_for(lambda: self._ended or self._is_idle(), timeout)
            return self._is_idle()

    def _is_idle(self) -> bool:  # with self._state held
        return self._handled >= self._last_ticket and not self._training

    def status(self, timeout: float = 2.0) -> WorkerStatus | None:
        """What the worker is doing and the trainer's state now, asked as a command and
        answered between two phases; None if no answer came within ``timeout`` seconds."""
        ticket = self.send(ReportStatus())
        self.wait_handled(ticket, timeout)
        with self._state:
            return self._replies.pop(ticket, None)

    def latest(self, seen: int) -> tuple[int, Snapshot] | None:
        """The newest snapshot if it is newer than sequence number ``seen``."""
        with self._lock:
            if self._latest is None or self._sequence == seen:
                return None
            return self._sequence, self._latest

    def views(self, seen: int) -> tuple[int, Views] | None:
        """The newest views (data, landscape) if newer than sequence number ``seen``."""
        with self._lock:
            if self._views is None or self._views_sequence == seen:
                return None
            return self._views_sequence, self._views

    @property
    def steps_done(self) -> int:
        return self._steps_done

    def shutdown(self, timeout_ms: int | None = None) -> bool:
        """Stop training and join the thread (call before the window goes away: destroying a
        running QThread aborts the process). The worker looks at its stop flag between
        phases, so this takes a phase at most. ``timeout_ms`` None waits until the thread
        has ended; otherwise at most that long. Whether the thread has ended."""
        self._stopping.set()
        self._wake.set()
        return self.wait() if timeout_ms is None else self.wait(timeout_ms)

    # ------------------------------------------------------------------ worker thread

    def run(self) -> None:
        try:
            self._guarded(self._start)
            while not self._stopping.is_set():
                self._handle_commands()
                if self._busy():
                    self._guarded(self._train_one_frame)
                else:
                    self._wake.wait(IDLE_WAIT)
                    self._wake.clear()
        finally:
            with self._state:
                self._ended = True
                self._state.notify_all()

    def _start(self) -> bool:
        """Build the first trainer; an experiment it refuses is reported as a failed load."""
        try:
            self._current = Trainer(self._initial)
        except sim.ExperimentError as error:
            self.load_failed.emit(None, error)
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
        reported (`failed`); whether the trainer may have changed."""
        try:
            return bool(work())
        except Exception as error:
            self._playing = False
            self._pending_steps = 0
            self._target_epoch = None
            self.failed.emit(error)
            return True

    def _busy(self) -> bool:
        if self._current is None or self._current.stopped:
            return False
        return self._playing or self._pending_steps > 0 or self._target_epoch is not None

    def _handle_commands(self) -> None:
        """Run every queued command, publish what they changed, then say so. Without a trainer
        (the first experiment was refused) only the commands that need none are run."""
        changed = False
        while True:
            try:
                self._in_hand, command = self._commands.get_nowait()
            except queue.Empty:
                break
            if self._current is None and not isinstance(command, (Load, Read, SetSpeed)):
                continue
            changed |= self._guarded(partial(self._run_command, command))
        if changed and self._current is not None:
            self._guarded(self._publish)
        self._report()

    def _run_command(self, command: Command) -> bool:
        return self._HANDLERS[type(command)](self, command)

    def _report(self) -> None:
        """Tell waiting threads which commands have run and whether training goes on."""
        with self._state:
            self._handled = self._in_hand
            self._training = self._busy()
            self._state.notify_all()

    def _train_one_frame(self) -> None:
        """Train until a frame's time is used (or one paced step), then publish."""
        trainer = self._trainer
        deadline = time.perf_counter() + FRAME_SECONDS
        while not trainer.stopped and not self._stopping.is_set():
            if self._speed is not None and self._playing and not self._pending_steps:
                now = time.perf_counter()
                if now < self._next_due:
                    self._wake.wait(min(self._next_due - now, FRAME_SECONDS))
                    self._wake.clear()
                    break  # look at the queue before the next paced step
                self._next_due = max(self._next_due + 1.0 / self._speed, now)
                self._advance()
                break
            self._advance()
            if not self._busy() or time.perf_counter() >= deadline:
                break
        self._publish()
        self._report()

    def _advance(self) -> None:
        trainer = self._trainer
        stepped = self._step_phase_by_phase() if self._step_seconds > SLOW_STEP \
            else self._step_whole()
        if stepped:
            self._steps_done += 1
            if self._trace is not None:  # every step, though a frame publishes only its last
                self._trace.record_layers(trainer.step_count, trainer.network.layers)
        running = self._pending_steps > 0 or self._target_epoch is not None
        if self._pending_steps:
            self._pending_steps -= 1
        if self._target_epoch is not None and trainer.epoch_count >= self._target_epoch:
            self._target_epoch = None
        finished = not self._pending_steps and self._target_epoch is None
        if running and (finished or trainer.stopped):
            self.run_ended.emit(self._run_token)

    def _step_whole(self) -> bool:
        self._gui_idle.wait(GATE_PATIENCE)
        started = time.perf_counter()
        stepped = self._trainer.step()
        self._step_seconds = time.perf_counter() - started
        return stepped

    def _step_phase_by_phase(self) -> bool:
        """A slow step, with the gate checked between its phases: the GUI never waits for
        more than one phase (numpy releases the GIL in large products, so a worker in the
        middle of a step would make every Qt call of a frame wait for the GIL)."""
        trainer = self._trainer
        started = time.perf_counter()
        for _ in range(len(trainer.phases) - trainer.cursor):
            if self._stopping.is_set():
                return False
            self._gui_idle.wait(GATE_PATIENCE)
            if trainer.step_phase() is None:
                return False
        self._step_seconds = time.perf_counter() - started
        return True

    def _publish(self) -> None:
        self._gui_idle.wait(GATE_PATIENCE)
        snapshot = self._trainer.snapshot()
        with self._lock:
            self._latest = snapshot
            self._sequence += 1
        if self._trace is not None:
            self._trace.record(snapshot)
        self._publish_views()

    def _publish_views(self, force: bool = False) -> None:
        """The data view and the landscape, if the window shows them, at most every
        VIEW_INTERVAL while training runs (each costs about a step's time or a few)."""
        if not (self._want_data or self._trace is not None):
            return
        now = time.perf_counter()
        if not force and self._busy() and now - self._views_at < VIEW_INTERVAL:
            return
        self._views_at = now
        self._gui_idle.wait(GATE_PATIENCE)
        views = _compute_views(self._trainer, self._want_data, self._trace,
                               small=self._busy())
        with self._lock:
            self._views = views
            self._views_sequence += 1

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
        # idle worker has nothing new, and a fresh snapshot would end the window's walk
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
            self.load_failed.emit(command.source, error)
            return False
        self._current = trainer
        self._playing = False
        self._pending_steps = 0
        self._target_epoch = None
        self._trace = None  # its parameters belonged to the old network; the window asks again
        self.loaded.emit(command.experiment, command.source)
        return True

    def _read(self, command: Read) -> bool:
        """Files are read here, never on the GUI thread (a CSV experiment reads its table)."""
        try:
            experiment = sim.load(command.path)
        except sim.ExperimentError as error:
            self.read_failed.emit(self._in_hand, command.path, error)
        else:
            self.read.emit(self._in_hand, command.path, experiment)
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
        layers = self._trainer.network.layers
        if addresses is None or not all(a.exists_in(layers) for a in addresses):
            self._trace = None
        elif self._trace is None or self._trace.addresses != tuple(addresses):
            self._trace = ParameterTrace(addresses)
            # The path starts where the weights are now: a lesson that opens on a weight's
            # landscape shows its first step from the initial value.
            self._trace.record_layers(self._trainer.step_count, self._trainer.network.layers)
        self._publish_views(force=True)
        return False

    def _check_gradients(self, command: CheckGradients) -> bool:
        self._finish_iteration()
        self.checked.emit(self._trainer.gradcheck(GRADCHECK_PARAMETERS).summary())
        return False

    def _set_speed(self, command: SetSpeed) -> bool:
        self._speed = command.steps_per_second
        self._next_due = time.perf_counter()
        return False

    def _save(self, command: Save) -> bool:
        finished = self._finish_iteration()  # the state is whole between iterations only

        def write() -> None:  # a state a file cannot hold raises ExperimentError (see sim.state)
            sim.save(self._trainer.to_experiment(), command.path,
                     replace_read_only=command.replace_read_only)

        self._write(command.path, write)
        return finished

    def _export_history(self, command: ExportHistory) -> bool:
        text = self._trainer.history.csv_text()
        self._write(command.path, partial(write_atomic, command.path, text.encode("utf-8"),
                                          replace_read_only=command.replace_read_only))
        return False

    def _write(self, path: Path, write: Callable[[], None]) -> None:
        """Report whether ``write`` wrote ``path``; a refusal names the file and the reason."""
        try:
            write()
        except (OSError, sim.ExperimentError) as error:  # ExperimentError: a state too large
            self.write_failed.emit(path, str(error) if isinstance(error, WriteError)
                                   else str(WriteError(path, _reason(error))))
            return
        self.written.emit(path)

    def _report_status(self, command: ReportStatus) -> bool:
        status = WorkerStatus(
            snapshot=self._trainer.snapshot(), playing=self._playing, training=self._busy(),
            steps_per_second=self._speed, pending_steps=self._pending_steps,
            target_epoch=self._target_epoch, next_step_in=self._next_due - time.perf_counter(),
            steps_done=self._steps_done)
        with self._state:
            self._replies[self._in_hand] = status
        return False

    _HANDLERS: ClassVar[dict[type, Callable[[TrainingWorker, Any], bool]]] = {
        Play: _play, Pause: _pause, Step: _step, StepPhase: _step_phase,
        RunEpochs: _run_epochs, RunSteps: _run_steps, Reset: _reset, Load: _load, Read: _read,
        Apply: _apply, Edit: _edit, SetSpeed: _set_speed, SetViews: _set_views,
        CheckGradients: _check_gradients, Save: _save, ExportHistory: _export_history,
        ReportStatus: _report_status,
    }


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


def _compute_views(trainer: Trainer, data: tuple[int, int] | None, trace: ParameterTrace | None,
                   small: bool) -> Views:
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


def _reason(error: OSError | sim.ExperimentError) -> str:
    return (error.strerror if isinstance(error, OSError) else None) or str(error)


def check_trainable(experiment: sim.Experiment) -> None:
    """ExperimentError if no trainer can be built on ``experiment``: what reading a file cannot
    find out (a CSV cell that is not a number, targets the loss cannot take, a saved state that
    does not fit). The app checks the files named on its command line with this before its
    window opens, as ``python -m sim check`` does."""
    Trainer(experiment)
