"""The run controller: what the user has asked training to do, and the workers that do it.

It owns run A (the window's network) and, while comparing side by side, run B; the state of
the run as the user drives it (playing, walking phase by phase with the phases kept for
stepping back, a run of N epochs and its token, the speed); and the intake of snapshots, once
a frame. The window's actions call its methods; the views (gui.run_views), the status line
(gui.status), the side-by-side panel (gui.compare) and the document (gui.files) listen to its
signals. None of them reaches into the window or into another.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

import sim
from sim.address import ParameterAddress
from sim.experiment import is_recurrent_refusal
from sim.lesson_view import ManySeedsSpec
from sim.snapshot import Snapshot

from .commands import Command, Pause, Play, Reset, RunEpochs, RunSteps, SetSpeed, Step
from .phases import PhaseTrail
from .worker import TrainingWorker


class RunController(QObject):
    """Runs A and B, their run state, and the snapshots they publish, as signals."""

    shown = Signal(object)  # the Snapshot of A to show: the newest, or a phase kept
    received = Signal(object)  # a new Snapshot of A (after `shown`)
    views_received = Signal(object)  # new side pictures of A (a gui.session.Views)
    neuron_maps_received = Signal(object)  # A's new neuron maps (a gui.session.NeuronMapsUpdate)
    compared = Signal(object)  # a new Snapshot of B
    playing_changed = Signal(bool)
    walking_changed = Signal(bool)  # said again when unchanged: the captions follow it
    can_step_back_changed = Signal(bool)  # `can_step_back` changed
    run_started = Signal(int, int)  # a run of epochs: (the epoch it starts at, its target)
    run_progress = Signal(int)  # the epoch that run has reached
    run_finished = Signal()
    loading = Signal()  # a new experiment is asked for: drop what points into the old network
    loaded = Signal(object, object)  # (Experiment, the file it came from or None): A trains it
    comparison_started = Signal(object, object)  # (A's Experiment, B's)
    comparison_stopped = Signal()
    written = Signal(object)  # the path of a file saved or exported
    write_failed = Signal(object, str)  # (path, why): also said by `error`
    checked = Signal(str)  # a gradient check's result, one line
    swept = Signal(int, object)  # (token, sim.many_seeds.ManySeeds): A's experiment, many seeds
    sweep_failed = Signal(int, str)  # (token, why that experiment cannot be swept)
    error = Signal(str)  # what went wrong, for the user
    recurrent_opened = Signal(object)  # the path of a file opened whose network is recurrent

    def __init__(self, experiment: sim.Experiment, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._experiment = experiment
        self.worker = TrainingWorker(experiment)
        self.worker.failed.connect(self._failed)
        self.worker.loaded.connect(self._loaded)
        self.worker.load_failed.connect(self._load_failed)
        self.worker.read.connect(self._read)
        self.worker.read_failed.connect(self._read_failed)
        self.worker.written.connect(self._written)
        self.worker.write_failed.connect(self._write_failed)
        self.worker.checked.connect(self._checked)
        self.worker.swept.connect(self.swept)
        self.worker.sweep_failed.connect(self.sweep_failed)
        self.worker.run_ended.connect(self._run_ended)
        self.worker_b: TrainingWorker | None = None  # side by side run B
        self.snapshot_b: Snapshot | None = None  # B's newest
        self.trail = PhaseTrail()  # A's phases of the current iteration, for stepping back
        self._playing = False
        self._walking = False  # the user is stepping phase by phase
        self._could_step_back = False  # `can_step_back` as last said
        self._speed: float | None = None  # steps per second while playing; None: max
        self._epoch_target: int | None = None  # "run to epoch N" in progress
        self._run_token = 0  # names each run of epochs, for the worker's report of its end
        self._after_read: dict[int, Callable[[sim.Experiment], object]] = {}  # by ticket
        # By ticket: who is told when a read is refused (by default the window, `error`)
        self._read_refused: dict[int, Callable[[sim.ExperimentError], object]] = {}
        self._seen = self._seen_b = self._views_seen = self._maps_seen = 0  # sequence numbers
        self._when_idle: list[Callable[[], object]] = []  # called once both runs are idle
        # What run A's worker is asked to compute beside the snapshots: the side pictures
        # (the data view's slice inputs, landscape addresses) and the neuron maps; each
        # request says all three.
        self._pictures_wanted: tuple[tuple[int, int] | None,
                                     tuple[ParameterAddress, ...] | None] = (None, None)
        self.neuron_maps_wanted = False

    def start(self) -> None:
        """Start run A's worker (once everything listening is connected)."""
        self.worker.start()

    # ------------------------------------------------------------------ state

    @property
    def experiment(self) -> sim.Experiment:
        """What run A trains, as far as the GUI has heard (applied edits count at once)."""
        return self._experiment

    @property
    def playing(self) -> bool:
        """Training runs as the user sees it: playing, or a run of epochs under way."""
        return self._playing

    @property
    def walking(self) -> bool:
        """The user steps phase by phase (the canvas and captions show the phase)."""
        return self._walking

    @property
    def snapshot(self) -> Snapshot | None:
        """The snapshot of A on show (a kept phase, after stepping back)."""
        return self.trail.shown

    @property
    def can_step_back(self) -> bool:
        """Whether Step back has a phase to show: an earlier kept phase of this iteration."""
        return self.trail.can_go_back

    def _trail_moved(self) -> None:
        """Say when Step back gains or loses a phase to go back to."""
        if self.can_step_back != self._could_step_back:
            self._could_step_back = self.can_step_back
            self.can_step_back_changed.emit(self._could_step_back)

    @property
    def seen(self) -> int:
        """The sequence number of A's snapshot taken last (see `TrainingWorker.published`)."""
        return self._seen

    @property
    def up_to_date(self) -> bool:
        """Whether A's newest published snapshot has been taken. Asking takes nothing: a
        snapshot taken tells the training process to publish the next."""
        return self.worker.published == self._seen

    @property
    def idle(self) -> bool:
        """Both runs have handled every command sent to them and take no step by themselves
        (not playing; a run of steps or epochs has ended, or stopped by itself)."""
        return self.worker.idle and (self.worker_b is None or self.worker_b.idle)

    @property
    def comparing(self) -> bool:
        """A side-by-side run B exists."""
        return self.worker_b is not None

    @property
    def b_running(self) -> bool:
        """Whether run B is still training (it has not stopped by itself)."""
        return self.worker_b is not None and (self.snapshot_b is None
                                              or self.snapshot_b.stop_event is None)

    # ------------------------------------------------------------------ the run

    def _both(self, command: Command) -> None:
        """A command for run A, and for run B too: the two runs move together."""
        self.worker.send(command)
        if self.worker_b is not None:
            self.worker_b.send(command)

    @Slot()
    def toggle_play(self) -> None:
        self.set_playing(not self._playing)

    def set_playing(self, playing: bool) -> None:
        self._playing = playing
        if playing:
            self._set_walking(False)
        elif self._epoch_target is not None:
            self._end_run()
        self._both(Play() if playing else Pause())
        self.playing_changed.emit(playing)

    @Slot()
    def step(self) -> None:
        self.set_playing(False)
        self._set_walking(False)
        self._both(Step())

    @Slot()
    def step_phase(self) -> None:
        """The next phase: a kept one if the user stepped back, else the trainer's next."""
        self.set_playing(False)
        self._set_walking(True)
        kept = self.trail.forward()
        if kept is not None:
            self._trail_moved()
            self.shown.emit(kept)
        else:
            self.worker.step_phase()

    @Slot()
    def step_back(self) -> None:
        """Show the previous phase of this iteration again (nothing is recomputed); with none
        kept (`can_step_back`), nothing changes."""
        if not self.can_step_back:
            return
        self.set_playing(False)
        self._set_walking(True)
        kept = self.trail.back()
        assert kept is not None  # can_step_back: an earlier phase is kept
        self._trail_moved()
        self.shown.emit(kept)

    @Slot()
    def step_epoch(self) -> None:
        self.set_playing(False)
        self._set_walking(False)
        self._both(RunEpochs())

    def run_steps(self, count: int) -> None:
        """Both runs take ``count`` steps at full speed (pausing, or walking a phase, drops
        the steps not taken yet: `when_idle` waits for them)."""
        self._both(RunSteps(count))

    def when_idle(self, then: Callable[[], object]) -> None:
        """Call ``then`` at the first frame (`tick`) at which the runs are `idle` and A's
        newest snapshot is taken: once a run of steps is over, say, however long it takes."""
        self._when_idle.append(then)

    def run_epochs(self, count: int) -> None:
        """Train ``count`` epochs at full speed (`run_started`, `run_progress`,
        `run_finished` follow it); pausing stops it."""
        self.set_playing(False)
        self._set_walking(False)
        start = self.snapshot.epoch if self.snapshot is not None else 0
        self._epoch_target = start + count
        self.run_started.emit(start, self._epoch_target)
        self._playing = True  # so that the plots throttle and Space pauses
        self.playing_changed.emit(True)
        self._run_token += 1
        self._both(RunEpochs(count, self._run_token))

    def _end_run(self) -> None:
        self._epoch_target = None
        self.run_finished.emit()

    @Slot()
    def reset(self) -> None:
        self.set_playing(False)
        self._set_walking(False)
        self._both(Reset())

    def set_speed(self, steps_per_second: float | None) -> None:
        self._speed = steps_per_second
        self._both(SetSpeed(steps_per_second))

    def _set_walking(self, walking: bool) -> None:
        self._walking = walking
        self.walking_changed.emit(walking)

    def _stop_when_all_stopped(self) -> None:
        """Play ends when the run stops by itself (and the side-by-side run too, if any)."""
        if self._playing and self.snapshot is not None and \
                self.snapshot.stop_event is not None and not self.b_running:
            self.set_playing(False)

    @Slot(int)
    def _run_ended(self, token: int) -> None:
        if self._epoch_target is not None and token == self._run_token:
            self.set_playing(False)

    # ------------------------------------------------------------------ run A only

    def open(self, path: Path) -> int:
        """Open an experiment or lesson file: the worker reads it, then A trains it from its
        start. A broken file changes nothing and says why (`error`). The read's ticket."""
        ticket = self.worker.read_file(path)
        self._after_read[ticket] = lambda experiment: self.load(experiment, path)
        return ticket

    def import_csv(self, path: Path, targets: tuple[str, ...], validation_fraction: float,
                   standardize: bool, imported: Callable[[sim.Experiment], object],
                   refused: Callable[[sim.ExperimentError], object]) -> int:
        """Build an experiment from the CSV table at ``path`` on the current network, in the
        training process (a large table takes a second or two): ``imported`` is given it, or
        ``refused`` the reason. Nothing is loaded. The ticket."""
        ticket = self.worker.import_csv(self.experiment, path, targets, validation_fraction,
                                        standardize)
        self._after_read[ticket] = imported
        self._read_refused[ticket] = refused
        return ticket

    def load(self, experiment: sim.Experiment, source: Path | None = None) -> int:
        """Train ``experiment`` from its start (`loaded`, or `error`); ``source``: the file
        it came from."""
        self.set_playing(False)
        self._set_walking(False)
        self.loading.emit()
        return self.worker.load(experiment, source)

    def apply(self, experiment: sim.Experiment) -> int:
        """Hyperparameters changed that the run takes on while it trains."""
        self._experiment = experiment
        return self.worker.apply(experiment)

    def edit(self, address: ParameterAddress, value: float) -> int:
        return self.worker.edit(address, value)

    def set_views(self, data: tuple[int, int] | None,
                  addresses: tuple[ParameterAddress, ...] | None) -> int:
        """The side pictures the panel shows (the neuron maps stay as they are)."""
        self._pictures_wanted = (data, addresses)
        return self.worker.set_views(data, addresses, self.neuron_maps_wanted)

    @property
    def pictures_wanted(self) -> tuple[tuple[int, int] | None,
                                       tuple[ParameterAddress, ...] | None]:
        """The side pictures last asked of the worker: the data view's slice inputs and the
        landscape's weights (None: that picture is not wanted)."""
        return self._pictures_wanted

    def set_neuron_maps(self, wanted: bool) -> int:
        """Whether the worker computes the neuron maps (the side pictures stay as they are)."""
        self.neuron_maps_wanted = wanted
        return self.worker.set_views(*self._pictures_wanted, wanted)

    @Slot()
    def check_gradients(self) -> int:
        return self.worker.check_gradients()

    def sweep_seeds(self, experiment: sim.Experiment, spec: ManySeedsSpec, token: int) -> int:
        """Train ``experiment`` from many seeds at once, in A's training process (which
        answers ``swept`` or ``sweep_failed`` with the token)."""
        return self.worker.sweep_seeds(experiment, spec, token)

    def save(self, path: Path, replace_read_only: bool = False) -> int:
        return self.worker.save(path, replace_read_only)

    def export_history(self, path: Path, replace_read_only: bool = False) -> int:
        return self.worker.export_history(path, replace_read_only)

    # ------------------------------------------------------------------ side by side

    def compare_with(self, path: Path) -> int:
        """Read ``path`` (on A's worker), then run it as B; a broken file changes nothing."""
        ticket = self.worker.read_file(path)
        self._after_read[ticket] = self.start_comparison
        return ticket

    def start_comparison(self, experiment: sim.Experiment) -> None:
        """Run ``experiment`` as B from its start; run A restarts too (same footing: both
        from step 0)."""
        self.stop_comparison()
        self.worker_b = TrainingWorker(experiment)
        self.worker_b.load_failed.connect(self._b_load_failed)
        self.worker_b.failed.connect(self._b_failed)
        self._seen_b = 0
        self.snapshot_b = None
        self.worker_b.start()
        if self._speed is not None:
            self.worker_b.set_speed(self._speed)
        self.reset()
        self.comparison_started.emit(self.experiment, experiment)

    @Slot()
    def stop_comparison(self) -> None:
        if self.worker_b is not None:
            self.worker_b.shutdown()
            self.worker_b = None
        self.comparison_stopped.emit()

    # ------------------------------------------------------------------ frames

    def tick(self) -> None:
        """One frame: take B's newest snapshot, A's newest side pictures, neuron maps and
        snapshot, and hand them on as signals; then call what waits for the runs to be idle,
        if they are."""
        self._take_b()
        views = self.worker.views(self._views_seen)
        if views is not None:
            self._views_seen, shown = views
            self.views_received.emit(shown)
        maps = self.worker.neuron_maps(self._maps_seen)
        if maps is not None:
            self._maps_seen, update = maps
            self.neuron_maps_received.emit(update)
        self._take_a()
        # idle first: a worker publishes its last snapshot before it says it is idle
        if self._when_idle and self.idle and self.up_to_date:
            waiting, self._when_idle = self._when_idle, []
            for then in waiting:
                then()

    def _take_a(self) -> None:
        newest = self.worker.latest(self._seen)
        if newest is None:
            return
        self._seen, snapshot = newest
        self.trail.add(snapshot)
        self._trail_moved()
        self.shown.emit(snapshot)
        self.received.emit(snapshot)
        if self._epoch_target is not None:  # the worker says when the run ends
            self.run_progress.emit(min(snapshot.epoch, self._epoch_target))
        self._stop_when_all_stopped()

    def _take_b(self) -> None:
        if self.worker_b is None:
            return
        newest = self.worker_b.latest(self._seen_b)
        if newest is None:
            return
        self._seen_b, self.snapshot_b = newest
        self.compared.emit(self.snapshot_b)
        if self.snapshot_b.stop_event is not None:
            self._stop_when_all_stopped()

    def shutdown(self) -> None:
        """Stop and join every worker (destroying a running QThread aborts the process)."""
        self.worker.shutdown()
        self.stop_comparison()

    # ------------------------------------------------------------------ from the workers

    @Slot(object, object)
    def _loaded(self, experiment: sim.Experiment, source: Path | None) -> None:
        self._experiment = experiment
        self.loaded.emit(experiment, source)

    @Slot(object, object)
    def _load_failed(self, source: Path | None, error: sim.ExperimentError) -> None:
        self.error.emit(str(error) if source is None else f"{source.name}: {error}")

    @Slot(int, object, object)
    def _read(self, ticket: int, path: Path, experiment: sim.Experiment) -> None:
        then = self._after_read.pop(ticket, None)  # None: someone else asked the worker
        self._read_refused.pop(ticket, None)
        if then is not None:
            then(experiment)

    @Slot(int, object, object)
    def _read_failed(self, ticket: int, path: Path, error: sim.ExperimentError) -> None:
        refused = self._read_refused.pop(ticket, None)
        if self._after_read.pop(ticket, None) is not None:
            if refused is not None:
                refused(error)
            elif is_recurrent_refusal(error):  # opens in a window of its own
                self.recurrent_opened.emit(path)
            else:
                self.error.emit(f"{path.name}: {error}")

    @Slot(object)
    def _written(self, path: Path) -> None:
        self.written.emit(path)

    @Slot(object, str)
    def _write_failed(self, path: Path, message: str) -> None:
        self.write_failed.emit(path, message)
        self.error.emit(message)

    @Slot(str)
    def _checked(self, summary: str) -> None:
        self.checked.emit(summary)

    @Slot(object)
    def _failed(self, error: BaseException) -> None:
        self._stopped_by_error()
        self.error.emit("An internal error stopped what was asked; training is paused:\n\n" +
                        last_line(error))

    def _stopped_by_error(self) -> None:
        """The worker paused after an error: so does the window."""
        if self._playing:
            self.set_playing(False)

    @Slot(object, object)
    def _b_load_failed(self, source: Path | None, error: sim.ExperimentError) -> None:
        self.error.emit(f"B: {error}")
        if self.worker_b is not None and self.worker_b.latest(0) is None:
            self.stop_comparison()  # B could not even start: there is nothing to compare

    @Slot(object)
    def _b_failed(self, error: BaseException) -> None:
        self._stopped_by_error()
        self.error.emit("An internal error stopped what was asked of B; training is paused: " +
                        last_line(error))


def last_line(error: BaseException) -> str:
    """The last line Python prints for an exception (its type and message)."""
    return "".join(traceback.format_exception_only(error)).strip().splitlines()[-1]
