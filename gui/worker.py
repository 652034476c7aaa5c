"""The training worker: one QThread owns the `sim` Trainer.

The GUI never touches the trainer. It sends commands through a thread-safe queue, which the
worker reads between steps (a busy loop runs no event loop, so queued slots could never be
delivered to it), and it takes the newest Snapshot when it paints; older snapshots are simply
replaced, so nothing can pile up however slow the painting is. The worker touches no widget.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (QAbstractEventDispatcher, QCoreApplication, QEvent, QObject, QThread,
                            Signal, Slot)

import sim
from sim.address import ParameterAddress
from sim.landscape import SURFACE_POINTS, ParameterTrace
from sim.snapshot import Snapshot
from sim.views import BoundaryView, LandscapeView, boundary_view, landscape_view

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
        QCoreApplication.instance().installEventFilter(self)
        QAbstractEventDispatcher.instance().aboutToBlock.connect(self.open)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        self.idle.clear()
        return False  # only watching: every event goes on to its receiver

    @Slot()
    def open(self) -> None:
        self.idle.set()

    def detach(self) -> None:
        """Stop gating (before the worker is joined, so that it can finish)."""
        QCoreApplication.instance().removeEventFilter(self)
        QAbstractEventDispatcher.instance().aboutToBlock.disconnect(self.open)
        self.idle.set()


class TrainingWorker(QThread):
    """Runs training in its own thread; GUI-thread methods below are thread-safe."""

    failed = Signal(str)  # an unexpected error inside the worker, with its traceback
    rebuilt = Signal(object)  # a new experiment was loaded or refused: (Experiment or str)
    # A file written by "save" or "export_history": (path, "") or (path, one-line error).
    written = Signal(str, str)
    checked = Signal(str)  # the result of "gradcheck", one line
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
        self._commands: queue.SimpleQueue[tuple[str, tuple]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._latest: Snapshot | None = None
        self._sequence = 0  # counts published snapshots
        self._initial = experiment
        self._steps_done = 0  # steps taken in this worker's life, for --stats
        # Owned by the worker thread once it runs:
        self._trainer: sim.Trainer | None = None
        self._playing = False
        self._speed: float | None = None  # steps per second; None: as fast as possible
        self._pending_steps = 0  # steps asked for by "run N steps" / "step epoch"
        self._target_epoch: int | None = None
        self._next_due = 0.0
        self._step_seconds = 0.0  # how long the last step took
        self._run_token = 0  # the window's name for the run of epochs or steps under way
        self._want_boundary = False  # the window shows the decision boundary
        self._trace: ParameterTrace | None = None  # the landscape's parameters, and their path
        self._views: Views | None = None
        self._views_sequence = 0
        self._views_at = 0.0
        self._quit = False

    # ------------------------------------------------------------------ GUI-thread API

    def send(self, command: str, *args: Any) -> None:
        """Queue a command for the worker (play, pause, step, step_phase, epoch, run, reset,
        load, apply, edit, speed, save, export_history, views, gradcheck, quit); it runs
        between two phases, never inside one."""
        self._commands.put((command, args))
        self._wake.set()

    def latest(self, seen: int) -> tuple[int, Snapshot] | None:
        """The newest snapshot if it is newer than sequence number ``seen``."""
        with self._lock:
            if self._latest is None or self._sequence == seen:
                return None
            return self._sequence, self._latest

    @property
    def steps_done(self) -> int:
        return self._steps_done

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Stop training and join the thread (call before the window goes away)."""
        self.send("quit")
        if not self.wait(timeout_ms):
            self.terminate()  # only if a step hangs: never expected
            self.wait()

    # ------------------------------------------------------------------ worker thread

    def run(self) -> None:  # noqa: D401 - QThread entry point
        try:
            self._trainer = sim.Trainer(self._initial)
            self._publish()
            while not self._quit:
                self._handle_commands()
                if self._quit:
                    break
                if self._busy():
                    self._train_one_frame()
                else:
                    self._wake.wait(IDLE_WAIT)
                    self._wake.clear()
        except Exception:  # a bug: report it to the GUI instead of dying silently
            self.failed.emit(traceback.format_exc())

    def _busy(self) -> bool:
        trainer = self._trainer
        if trainer.stopped:
            return False
        return self._playing or self._pending_steps > 0 or self._target_epoch is not None

    def _handle_commands(self) -> None:
        changed = False
        while True:
            try:
                command, args = self._commands.get_nowait()
            except queue.Empty:
                break
            changed |= self._COMMANDS[command](self, *args)
        if changed:
            self._publish()

    def _train_one_frame(self) -> None:
        """Train until a frame's time is used (or one paced step), then publish."""
        trainer = self._trainer
        deadline = time.perf_counter() + FRAME_SECONDS
        while not trainer.stopped:
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

    def _advance(self) -> None:
        trainer = self._trainer
        stepped = self._step_phase_by_phase() if self._step_seconds > SLOW_STEP \
            else self._step_whole()
        if stepped:
            self._steps_done += 1
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
        """The boundary and the landscape, if the window shows them, at most every
        VIEW_INTERVAL while training runs (each costs about a step's time or a few)."""
        if not (self._want_boundary or self._trace is not None):
            return
        now = time.perf_counter()
        if not force and self._busy() and now - self._views_at < VIEW_INTERVAL:
            return
        self._views_at = now
        self._gui_idle.wait(GATE_PATIENCE)
        views = _compute_views(self._trainer, self._want_boundary, self._trace,
                               small=self._busy())
        with self._lock:
            self._views = views
            self._views_sequence += 1

    def views(self, seen: int) -> tuple[int, Views] | None:
        """The newest views (boundary, landscape) if newer than sequence number ``seen``."""
        with self._lock:
            if self._views is None or self._views_sequence == seen:
                return None
            return self._views_sequence, self._views

    # ------------------------------------------------------------------ commands
    # Each returns whether the trainer's state changed (then a snapshot is published).

    def _play(self) -> bool:
        self._playing = True
        self._next_due = time.perf_counter()
        if self._trainer.stopped and not self._trainer.diverged:
            self._trainer.resume()  # a stopping rule was reached: play means go on
        return False

    def _pause(self) -> bool:
        # A run that stops is published once more, for the window to redraw it in full; an
        # idle worker has nothing new, and a fresh snapshot would end the window's walk
        # back through the phases it keeps.
        was_running = self._playing or self._pending_steps > 0 or \
            self._target_epoch is not None
        self._playing = False
        self._pending_steps = 0
        self._target_epoch = None
        return was_running

    def _step(self) -> bool:
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

    def _step_phase(self) -> bool:
        self._playing = False
        self._trainer.step_phase()
        return True

    def _epoch(self, count: int = 1, token: int = 0) -> bool:
        self._playing = False
        self._run_token = token
        # The epoch under way counts: finishing the iteration in progress may end it.
        target = self._trainer.epoch_count + int(count)
        self._finish_iteration()
        self._target_epoch = target if self._trainer.epoch_count < target else None
        return True

    def _run_steps(self, count: int, token: int = 0) -> bool:
        self._playing = False
        self._run_token = token
        self._pending_steps = int(count)
        return False

    def _reset(self) -> bool:
        return self._load(self._trainer.experiment.replace(state=None))

    def _load(self, experiment: sim.Experiment) -> bool:
        try:
            trainer = sim.Trainer(experiment)
        except sim.ExperimentError as error:
            self.rebuilt.emit(str(error))
            return False
        self._trainer = trainer
        self._playing = False
        self._pending_steps = 0
        self._target_epoch = None
        self._trace = None  # its parameters belonged to the old network; the window asks again
        self.rebuilt.emit(experiment)
        return True

    def _apply(self, experiment: sim.Experiment) -> bool:
        """Hyperparameters that can change while training. An edit made on another network
        (the window had not yet heard of a load still in this queue) is dropped: the window
        asks for rebuilds with "load", after the user agreed."""
        if not sim.trainer.live_compatible(self._trainer.experiment, experiment):
            return False
        self._trainer.apply_live(experiment)
        return True

    def _edit(self, layer: int, j: int, i: int | None, value: float) -> bool:
        address = ParameterAddress(layer, j, i)
        if not address.exists_in(self._trainer.network.layers):
            return False  # chosen on a network that a load or rebuild has replaced since
        self._finish_iteration()  # edits apply between steps
        self._trainer.set_parameter(address, value)
        return True

    def _set_views(self, boundary: bool, addresses: tuple | None) -> bool:
        """Which pictures to compute: the boundary (on or off) and the landscape of up to two
        parameters (None: none); a new choice starts a new trajectory."""
        self._want_boundary = boundary
        layers = self._trainer.network.layers
        if addresses is None or not all(ParameterAddress(*a).exists_in(layers)
                                        for a in addresses):
            self._trace = None
        elif self._trace is None or self._trace.addresses != tuple(addresses):
            self._trace = ParameterTrace(addresses)
        self._publish_views(force=True)
        return False

    def _gradcheck(self) -> bool:
        """Backpropagation against finite differences at the current weights."""
        self._finish_iteration()
        self.checked.emit(self._trainer.gradcheck(GRADCHECK_PARAMETERS).summary())
        return False

    def _set_speed(self, steps_per_second: float | None) -> bool:
        self._speed = steps_per_second
        self._next_due = time.perf_counter()
        return False

    def _save(self, path: str) -> bool:
        """The experiment with its trained state, resumable (written atomically)."""
        finished = self._finish_iteration()  # the state is whole between iterations only
        self._write(path, lambda: sim.dumps(self._trainer.to_experiment()))
        return finished

    def _export_history(self, path: str) -> bool:
        self._write(path, self._trainer.history.csv_text)
        return False

    def _write(self, path: str, text: Callable[[], str]) -> None:
        try:
            sim.experiment.write_text_atomic(Path(path), text())
        except OSError as error:
            self.written.emit(path, f"cannot write {path}: {error.strerror or error}")
            return
        self.written.emit(path, "")

    def _stop_thread(self) -> bool:
        self._quit = True
        return False

    _COMMANDS: dict[str, Callable[..., bool]] = {
        "play": _play, "pause": _pause, "step": _step, "step_phase": _step_phase,
        "epoch": _epoch, "run": _run_steps, "reset": _reset, "load": _load, "apply": _apply,
        "edit": _edit, "speed": _set_speed, "views": _set_views,
        "gradcheck": _gradcheck, "save": _save, "export_history": _export_history,
        "quit": _stop_thread,
    }


@dataclass(frozen=True)
class Views:
    """What the side pictures show; a problem (a parameter gone with a rebuild) is a message."""

    step: int
    boundary: BoundaryView | None
    landscape: LandscapeView | None
    problem: str = ""


def _compute_views(trainer: sim.Trainer, boundary: bool, trace: ParameterTrace | None,
                   small: bool) -> Views:
    """``small``: training runs, so a surface takes a coarser grid (four times cheaper)."""
    problem = ""
    shown_boundary = boundary_view(trainer) if boundary else None
    shown_landscape = None
    if trace is not None:
        try:
            shown_landscape = landscape_view(trainer, trace,
                                             RUNNING_SURFACE_POINTS if small else SURFACE_POINTS)
        except ValueError as error:  # the chosen weight is not in this network any more
            problem = str(error)
    return Views(trainer.step_count, shown_boundary, shown_landscape, problem)
