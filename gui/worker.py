"""The training worker: a thread of the app that owns the training process.

The trainer runs in a process of its own (`gui.session`), so that painting and training never
wait for each other's interpreter lock: each has a core. This thread starts that process and
relays. The GUI sends commands (`gui.commands`, plain picklable data) through the worker's
methods; each goes down a pipe to the process at once, in ticket order. What the process
sends back arrives here: the newest Snapshot (and the history's series, and the side
pictures) waits in a latest-wins mailbox until the GUI takes it when it paints, and the
process sends the next snapshot only once the GUI has taken the last one, so nothing piles up
however slow the painting is. Results and failures come back as signals, apart. The worker
touches no widget.

Files are written here, in the app's process (the session sends what to write); they are read
in the training process (`Read`), never on the GUI thread.

The worker survives any error: a command that fails unexpectedly in the session is reported
with `failed`, training pauses, and the next command is handled as usual. A training process
that ends unexpectedly (killed, or crashed) is reported with `failed` as well; every command
sent to it counts as handled (nobody waits for ever), and a new process trains the last
experiment loaded from its start. An experiment that cannot be trained at the start leaves the
worker waiting for another (`load_failed`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QThread, Signal

import sim
from sim.address import ParameterAddress
from sim.distributions import Bands
from sim.files import WriteError, write_atomic
from sim.history import History, Series
from sim.lesson_view import ManySeedsSpec
from sim.snapshot import Snapshot

from . import session
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
from .session import NeuronMapsUpdate, Views, WorkerStatus

RELAY_WAIT = 0.05  # seconds the relay waits for a message before it looks at its stop flag
# The pipe from the training process holds this much (Linux; elsewhere the system's size): a
# round of messages (a snapshot, neuron maps of a few hundred kB) is written at once, and the
# trainer does not wait for the app's relay thread to read it 64 kB at a time.
PIPE_BYTES = 1 << 20
STOP_GRACE = 0.5  # seconds a process told to stop has before it is killed (a step may be long)


def start_process(target: Callable[..., None], args: tuple[Any, ...]) -> BaseProcess:
    """A process started safely from an app with threads (never forked from it): forked from
    a fork server that has no thread of Qt's (its first start imports numpy and sim once, and
    every training process after it starts in milliseconds), or spawned afresh where there is
    no fork server or it cannot start (it needs a temporary folder for its socket)."""
    if "forkserver" in multiprocessing.get_all_start_methods() and not _fork_server.failed:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["gui.session"])
        try:
            return _started(context.Process(target=target, args=args))
        except OSError:
            _fork_server.failed = True
    return _started(multiprocessing.get_context("spawn").Process(target=target, args=args))


def _started(process: BaseProcess) -> BaseProcess:
    process.name = "backprop-studio-trainer"
    process.daemon = True  # ended by multiprocessing if the app exits without joining it
    process.start()
    return process


class _ForkServer:
    failed = False  # the fork server could not start: every process is spawned


_fork_server = _ForkServer()


@dataclass
class _Mail:
    """The newest message of one kind, its sequence number, and whether the GUI took it."""

    sequence: int
    value: Any
    taken: bool = False


def _newer(mail: _Mail | None, seen: int) -> tuple[int, Any] | None:
    """A mailbox's sequence number and message, if newer than ``seen``."""
    return None if mail is None or mail.sequence == seen else (mail.sequence, mail.value)


class TrainingWorker(QThread):
    """Runs training in a process of its own, and relays for it.

    The public methods below are for other threads (the GUI's): each queues a command (see
    `gui.commands`) and returns its ticket, a number that grows with every command sent.
    `handled` and `wait_handled` tell when the worker has run a command and published what it
    changed; `idle` when it has run everything sent and is not training. Results come back as
    signals, a success and a failure apart; the newest Snapshot is taken with `latest`.
    """

    # An exception no command expects (a bug), or a training process that ended unexpectedly:
    # that command is dropped, training pauses, the worker goes on with the next command.
    failed = Signal(object)
    loaded = Signal(object, object)  # (Experiment, the file it came from or None): now trained
    load_failed = Signal(object, object)  # (that file or None, ExperimentError): nothing changed
    read = Signal(int, object, object)  # (ticket of the Read or ImportCsv, path, Experiment)
    # (ticket of the Read or ImportCsv, path, ExperimentError)
    read_failed = Signal(int, object, object)
    written = Signal(object)  # the path that Save or ExportHistory wrote
    # (path, one line saying why): nothing was written, an old file is intact
    write_failed = Signal(object, str)
    checked = Signal(str)  # the result of CheckGradients, one line
    swept = Signal(int, object)  # (token of SweepSeeds, its sim.many_seeds.ManySeeds)
    sweep_failed = Signal(int, str)  # (token of SweepSeeds, why the sweep was refused)
    # A run of epochs or steps ended (done, or training stopped by itself): the run's token,
    # as the window gave it, so that the end of an earlier run cannot end a later one
    run_ended = Signal(int)

    def __init__(self, experiment: sim.Experiment, parent: Any = None) -> None:
        super().__init__(parent)
        self._experiment = experiment  # what a new process trains: the last one loaded
        self._stopping = threading.Event()  # shutdown() sets it
        # Guards the pipe to the process (and its replacement after a crash):
        self._send_lock = threading.Lock()
        self._commands, self._messages, self._process_ends = self._pipes()
        self._process: BaseProcess | None = None
        self._mail_lock = threading.Lock()  # guards the mailboxes
        self._snapshot: _Mail | None = None
        # The process's history, plotted columns only, kept up to date by its messages; and
        # the series and percentile bands last made of it, which go with every snapshot
        self._history_copy: History | None = None
        self._series: dict[str, Series] = {}
        self._bands: Bands | None = None
        self._views: _Mail | None = None
        self._neurons: _Mail | None = None
        # Guards what the worker reports about its commands, and wakes those who wait for it:
        self._state = threading.Condition()
        self._last_ticket = 0  # the ticket of the last command sent
        self._handled = 0  # the ticket of the last command run (and its changes published)
        self._training = False  # whether the process trains, as it last reported
        self._ended = False  # the thread has left its loop
        self._replies: dict[int, WorkerStatus] = {}  # ReportStatus answers, by ticket
        self._steps_done = 0  # steps taken in this worker's life, for --stats
        self._steps_before = 0  # of those, the steps of processes that have ended
        # The last SetSpeed and SetViews sent, and the last Apply since the last Load (with
        # self._send_lock): what a process started after a crash is given again, so that it
        # trains with the hyperparameters the window shows
        self._settings: dict[type, Command] = {}
        # The training process's peak resident memory in MB and the CPU seconds it used, read
        # as it is told to stop (for --stats; None where they cannot be read)
        self.training_peak_rss_mb: float | None = None
        self.training_cpu_seconds: float | None = None

    @staticmethod
    def _pipes() -> tuple[Connection, Connection, tuple[Connection, Connection]]:
        """(commands' sending end, messages' receiving end, the process's two ends)."""
        commands_in, commands_out = multiprocessing.Pipe(duplex=False)
        messages_in, messages_out = multiprocessing.Pipe(duplex=False)
        _enlarge(messages_out)
        return commands_out, messages_in, (commands_in, messages_out)

    # ------------------------------------------------------------------ any thread

    def send(self, command: Command) -> int:
        """Queue a command; its ticket. It runs between two phases, never inside one."""
        with self._send_lock:
            with self._state:
                self._last_ticket += 1
                ticket = self._last_ticket
            if isinstance(command, (SetSpeed, SetViews, Apply)):
                self._settings[type(command)] = command
            elif isinstance(command, Load):  # edits made before it apply to another network
                self._settings.pop(Apply, None)
            # In ticket order: the lock is held. A process that has ended takes nothing; the
            # relay counts the command as handled.
            with contextlib.suppress(OSError, ValueError):
                self._commands.send((ticket, command))
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

    def import_csv(self, base: sim.Experiment, path: Path, targets: tuple[str, ...],
                   validation_fraction: float, standardize: bool) -> int:
        return self.send(ImportCsv(base, path, targets, validation_fraction, standardize))

    def apply(self, experiment: sim.Experiment) -> int:
        return self.send(Apply(experiment))

    def edit(self, address: ParameterAddress, value: float) -> int:
        return self.send(Edit(address, value))

    def set_speed(self, steps_per_second: float | None) -> int:
        return self.send(SetSpeed(steps_per_second))

    def set_views(self, data: tuple[int, int] | None,
                  addresses: tuple[ParameterAddress, ...] | None, neurons: bool = False) -> int:
        return self.send(SetViews(data, addresses, neurons))

    def check_gradients(self) -> int:
        return self.send(CheckGradients())

    def sweep_seeds(self, experiment: sim.Experiment, spec: ManySeedsSpec,
                    token: int = 0) -> int:
        return self.send(SweepSeeds(experiment, spec, token))

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
        """The newest snapshot if it is newer than sequence number ``seen``.

        While training runs, its history's series and percentile bands may be up to
        `session.HISTORY_SECONDS` older than the rest of it (they cost far more to make);
        otherwise they are its own.
        Taking a snapshot asks the training process for the next one (see `gui.session`).
        """
        with self._mail_lock:
            mail = self._snapshot
            if mail is None or mail.sequence == seen:
                return None
            first_take = not mail.taken
            if first_take:
                mail.value = replace(mail.value, history=self._series,
                                     distributions=self._bands)
                mail.taken = True
            newest = mail.sequence, mail.value
        if first_take:
            with self._send_lock, contextlib.suppress(OSError, ValueError):  # ended already
                self._commands.send(session.TAKEN)
        return newest

    @property
    def published(self) -> int:
        """The sequence number of the newest snapshot published (0 before the first); looking
        takes nothing (compare `latest`)."""
        with self._mail_lock:
            return 0 if self._snapshot is None else self._snapshot.sequence

    def views(self, seen: int) -> tuple[int, Views] | None:
        """The newest views (data, landscape) if newer than sequence number ``seen``."""
        with self._mail_lock:
            return _newer(self._views, seen)

    def neuron_maps(self, seen: int) -> tuple[int, NeuronMapsUpdate] | None:
        """The newest neuron maps if newer than sequence number ``seen``."""
        with self._mail_lock:
            return _newer(self._neurons, seen)

    @property
    def process_id(self) -> int | None:
        """The operating system's id of the training process (None before it has started)."""
        with self._send_lock:
            return None if self._process is None else self._process.pid

    @property
    def steps_done(self) -> int:
        with self._state:
            return self._steps_done

    def shutdown(self, timeout_ms: int | None = None) -> bool:
        """Stop training and join the thread, and with it the process (call before the
        window goes away: destroying a running QThread aborts the process). The process
        stops between two steps; one that does not stop within STOP_GRACE is killed.
        ``timeout_ms`` None waits until the thread has ended; otherwise at most that long.
        Whether the thread has ended."""
        if not self._stopping.is_set():  # read while it lives
            self.training_peak_rss_mb = peak_rss_mb(self.process_id)
            self.training_cpu_seconds = cpu_seconds(self.process_id)
        self._stopping.set()
        with self._send_lock, contextlib.suppress(OSError, ValueError):  # ended already
            self._commands.send(session.STOP)
        return self.wait() if timeout_ms is None else self.wait(timeout_ms)

    # ------------------------------------------------------------------ relay thread

    def run(self) -> None:
        try:
            self._launch()
            while not self._stopping.is_set():
                if not self._messages.poll(RELAY_WAIT):
                    continue
                try:
                    batch: list[tuple[Any, ...]] = self._messages.recv()
                except (EOFError, OSError):
                    if not self._stopping.is_set():
                        self._relaunch()
                    continue
                except Exception as error:  # an error of the process that cannot be rebuilt
                    self._failed_to_show(error)
                    continue
                for message in batch:
                    self._dispatch(message)
        finally:
            self._end_process()
            with self._state:
                self._ended = True
                self._state.notify_all()

    def _launch(self) -> None:
        """Start a training process on the experiment last loaded (with the pipes' far
        ends, which this process then closes: the process alone holds them)."""
        commands_end, messages_end = self._process_ends
        self._process = start_process(session.serve,
                                       (commands_end, messages_end, self._experiment))
        commands_end.close()
        messages_end.close()

    def _relaunch(self) -> None:
        """The process ended unexpectedly: say so, count every command sent to it as handled,
        and start a new one on the last experiment loaded, with the window's settings and the
        hyperparameters it last applied."""
        with self._send_lock:
            self._end_process()
            code = None if self._process is None else self._process.exitcode
            self._commands, self._messages, self._process_ends = self._pipes()
            with self._state:
                self._handled = self._last_ticket
                self._training = False
                self._steps_before = self._steps_done
                self._state.notify_all()
            self._launch()
            for setting in self._settings.values():  # counted as handled already
                self._commands.send((self._last_ticket, setting))
        how = f"killed by signal {-code}" if code is not None and code < 0 else \
            f"exit code {code}"
        self.failed.emit(RuntimeError(
            f"the training process ended unexpectedly ({how}); the experiment starts again "
            "from its beginning"))

    def _end_process(self) -> None:
        """Wait for the process to end (it was told to, or it has died), killing it if it
        does not end within STOP_GRACE; close the pipes."""
        process = self._process
        if process is not None:
            process.join(STOP_GRACE)
            if process.is_alive():
                process.kill()
                process.join()
        for connection in (self._commands, self._messages):
            connection.close()

    def _dispatch(self, message: tuple[Any, ...]) -> None:
        """Hand a message to its handler. An error there is reported, never raised: the
        relay thread would end with it, and training would seem to freeze."""
        kind, *content = message
        try:
            getattr(self, f"_on_{kind}")(*content)
        except Exception as error:
            self._failed_to_show(error)

    def _failed_to_show(self, error: Exception) -> None:
        self.failed.emit(RuntimeError(
            f"the training process reported an error that cannot be shown here "
            f"({type(error).__name__}: {error})"))

    def _on_history(self, update: History | np.ndarray) -> None:
        if isinstance(update, History):  # a new trainer's: its series replace the old ones
            self._history_copy = update
            series = _series_of(update)
            with self._mail_lock:  # never the old network's beside a snapshot of the new
                self._series, self._bands = series, None
        elif self._history_copy is not None:
            self._history_copy.extend(update)

    # Sequence numbers are the worker's: they go on counting across a replaced process.
    def _on_snapshot(self, snapshot: Snapshot, series_due: bool) -> None:
        series = None
        if series_due and self._history_copy is not None:
            series = _series_of(self._history_copy)
        with self._mail_lock:
            self._snapshot = _Mail(_next(self._snapshot), snapshot)
            if series is not None:
                self._series, self._bands = series, snapshot.distributions

    def _on_views(self, views: Views) -> None:
        with self._mail_lock:
            self._views = _Mail(_next(self._views), views)

    def _on_neurons(self, update: NeuronMapsUpdate) -> None:
        with self._mail_lock:
            self._neurons = _Mail(_next(self._neurons), update)

    def _on_signal(self, name: str, args: tuple[Any, ...]) -> None:
        if name == "loaded":
            self._experiment = args[0]
        getattr(self, name).emit(*args)

    def _on_status(self, ticket: int, status: WorkerStatus) -> None:
        with self._state:
            self._replies[ticket] = status

    def _on_report(self, ticket: int, training: bool, steps_done: int) -> None:
        with self._state:
            self._handled = max(self._handled, ticket)
            self._training = training
            self._steps_done = self._steps_before + steps_done
            self._state.notify_all()

    def _on_save(self, path: Path, experiment: sim.Experiment, replace_read_only: bool) -> None:
        self._write(path, partial(sim.save, experiment, path,
                                  replace_read_only=replace_read_only))

    def _on_save_refused(self, path: Path, error: sim.ExperimentError) -> None:
        self.write_failed.emit(path, str(WriteError(path, str(error))))

    def _on_export(self, path: Path, text: str, replace_read_only: bool) -> None:
        self._write(path, partial(write_atomic, path, text.encode("utf-8"),
                                  replace_read_only=replace_read_only))

    def _write(self, path: Path, write: Callable[[], None]) -> None:
        """Report whether ``write`` wrote ``path``; a refusal names the file and the reason."""
        try:
            write()
        except (OSError, sim.ExperimentError) as error:
            self.write_failed.emit(path, str(error) if isinstance(error, WriteError)
                                   else str(WriteError(path, _reason(error))))
            return
        self.written.emit(path)


def _series_of(history: History) -> dict[str, Series]:
    """The series of every plotted column of the worker's copy of the history."""
    return {name: history.series(name) for name in history.columns[1:]} if len(history) \
        else {}


def peak_rss_mb(pid: int | None) -> float | None:
    """A living process's peak resident memory in MB (Linux's /proc/PID/status VmHWM), or
    None where it cannot be read."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024.0, 1)  # given in kB
    except (OSError, ValueError, IndexError):
        pass
    return None


def cpu_seconds(pid: int | None) -> float | None:
    """The CPU time (user and system) a living process has used, in seconds (Linux's
    /proc/PID/stat), or None where it cannot be read."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    except (OSError, ValueError, IndexError):
        return None


def _enlarge(connection: Connection) -> None:
    """Give a pipe PIPE_BYTES (on Linux; a size over the system's limit leaves it as it was)."""
    if sys.platform == "linux":
        import fcntl
        with contextlib.suppress(OSError):
            fcntl.fcntl(connection.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _next(mail: _Mail | None) -> int:
    """The sequence number of the message that replaces ``mail``."""
    return 1 if mail is None else mail.sequence + 1


def _reason(error: OSError | sim.ExperimentError) -> str:
    return (error.strerror if isinstance(error, OSError) else None) or str(error)
