"""The training worker's public API, without a window: commands and tickets, waiting until
they are handled, results and failures as separate signals, and a shutdown that needs no
terminate() (pytest-qt, offscreen)."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import pickle
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import sim
from gui import commands
from gui.session import Outbox, UnexpectedError
from gui.worker import TrainingWorker
from sim import lessons
from sim.address import ParameterAddress
from sim.experiment import StoppingSpec
from sim.lesson_view import ManySeedsSpec
from tests.conftest import experiment
from tests.test_gui_close import CLOSE_SECONDS
from tests.test_gui_lecture import theta_of

WAIT_S = 10.0  # the longest any command may take here (they take milliseconds)


@pytest.fixture
def worker(qtbot) -> Iterator[TrainingWorker]:
    """A started worker on the XOR lesson; joined at teardown."""
    started = TrainingWorker(lessons.load_lesson())
    started.start()
    yield started
    assert started.shutdown(5000)


def published_step(worker: TrainingWorker) -> int:
    """The step of the newest snapshot the worker published (-1: none yet)."""
    newest = worker.latest(0)
    return -1 if newest is None else newest[1].step


def every_command(tmp_path: Path) -> list[commands.Command]:
    lesson = lessons.load_lesson()
    return [commands.Play(), commands.Pause(), commands.Step(), commands.StepPhase(),
            commands.RunEpochs(3, 7), commands.RunSteps(5, 2), commands.Reset(),
            commands.Load(lesson, tmp_path / "x.json"), commands.Read(tmp_path / "x.json"),
            commands.ImportCsv(lesson, tmp_path / "x.csv", ("price",), 0.2, True),
            commands.Apply(lesson), commands.Edit(ParameterAddress(1, 0, None), 0.5),
            commands.SetSpeed(None),
            commands.SetViews((0, 1), (ParameterAddress(1, 0, 1), ParameterAddress(2, 0, None))),
            commands.CheckGradients(),
            commands.Save(tmp_path / "x.json"), commands.ExportHistory(tmp_path / "x.csv"),
            commands.SweepSeeds(lesson, ManySeedsSpec(seeds=3, steps=10), 4),
            commands.ReportStatus()]


def test_every_command_is_frozen_and_survives_pickling(tmp_path):
    """Plain data: the same commands could go to a trainer in another process."""
    sent = every_command(tmp_path)
    assert {type(c) for c in sent} == set(commands.Command.__args__)
    for command in sent:
        assert pickle.loads(pickle.dumps(command)) == command
        field = next(iter(dataclasses.fields(command)), None)
        if field is not None:
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(command, field.name, None)


def test_tickets_count_up_and_wait_handled_waits_for_the_steps_asked(worker):
    first = worker.step()
    second = worker.run_steps(9)
    assert second == first + 1 == worker.last_ticket
    assert worker.wait_handled(second, WAIT_S)
    assert worker.handled(first) and worker.handled(second)
    assert worker.wait_idle(WAIT_S)  # the nine steps are taken, and published
    assert worker.idle and not worker.training
    _, published = worker.latest(0)
    assert published.step == published_step(worker) == 10
    status = worker.status(WAIT_S)
    assert status.snapshot.step == 10 and not status.playing and not status.training
    assert np.array_equal(theta_of(status.snapshot), theta_of(published))
    reference = sim.Trainer(lessons.load_lesson())
    reference.run(steps=10)
    assert theta_of(published).tobytes() == reference.network.theta.tobytes()


def test_playing_is_not_idle_until_paused(worker):
    worker.play()
    assert worker.wait_handled(timeout=WAIT_S)  # every command sent so far
    assert worker.training and not worker.idle
    assert not worker.wait_idle(0.2)
    worker.pause()
    assert worker.wait_idle(WAIT_S)
    status = worker.status(WAIT_S)
    assert not status.playing and status.snapshot.step == published_step(worker) > 0


def test_a_load_reports_success_and_failure_apart(worker, qtbot):
    other = lessons.load_lesson().replace(name="another XOR")
    source = Path("another.json")
    with qtbot.waitSignal(worker.loaded, timeout=5000) as loaded:
        worker.load(other, source)
    assert loaded.args == [other, source]
    worker.run_steps(3)
    assert worker.wait_idle(WAIT_S)
    # It parses, but the trainer refuses it: bce needs targets between 0 and 1.
    refused = experiment(data={"kind": "inline", "inputs": [[0], [1]], "targets": [[2], [3]]},
                         network={"inputs": 1, "layers": [{"units": 1,
                                                           "activation": "sigmoid"}]},
                         loss="bce")
    with qtbot.waitSignal(worker.load_failed, timeout=5000) as failed:
        worker.load(refused)
    where, error = failed.args
    assert where is None and isinstance(error, sim.ExperimentError) and str(error)
    assert worker.wait_idle(WAIT_S)
    status = worker.status(WAIT_S)
    assert status.snapshot.experiment == other and status.snapshot.step == 3  # unchanged


def test_a_snapshot_never_carries_the_series_of_another_network(worker, qtbot):
    """Networks of different depths loaded while training runs, each followed at once by Play
    (both may be handled before the next snapshot, published while busy): every snapshot
    taken comes with its own network's series, never the last ones sent of another."""
    networks = [lessons.load_lesson("vanishing-sigmoid.json"), lessons.load_lesson()]
    seen = 0
    worker.play()
    for round_ in range(12):
        loaded = networks[round_ % 2]
        depth = len(loaded.network.layers)
        worker.load(loaded)
        worker.play()
        deadline = time.monotonic() + WAIT_S
        reached = False  # a snapshot of the network just loaded, with its series, was taken
        while not reached and time.monotonic() < deadline:
            qtbot.wait(2)
            newest = worker.latest(seen)
            if newest is None:
                continue
            seen, snapshot = newest
            if snapshot.history:
                assert set(snapshot.history) >= {f"grad_norm_{number}" for number in
                                                 range(1, snapshot.depth + 1)}
                assert f"grad_norm_{snapshot.depth + 1}" not in snapshot.history
                reached = snapshot.depth == depth and snapshot.step > 0
        assert reached, f"round {round_}: no trained snapshot of the loaded network"


def test_the_series_and_bands_a_snapshot_carries_are_the_trainers_own_after_many_folds(worker):
    """The history crosses as rows appended since the last update; the worker's copy folds
    them as the trainer's history did (6,200 steps: old rows fold into buckets twice, and
    the buckets merge in pairs), so the series are the ones the trainer itself gives, bit for
    bit."""
    endless = lessons.load_lesson().replace(stopping=StoppingSpec())
    worker.load(endless)
    worker.run_steps(6200)
    assert worker.wait_idle(4 * WAIT_S)
    _, published = worker.latest(0)
    reference = sim.Trainer(endless)
    reference.run(steps=6200)
    assert published.step == reference.step_count == 6200
    expected = reference.snapshot()
    assert set(published.history) == set(expected.history)
    for name, series in expected.history.items():
        got = published.history[name]
        for mine, theirs in ((got.steps, series.steps), (got.low, series.low),
                             (got.high, series.high)):
            assert np.array_equal(mine, theirs, equal_nan=True), name
    assert published.distributions is not None and expected.distributions is not None
    assert np.array_equal(published.distributions.weights, expected.distributions.weights)


def test_a_file_is_read_on_the_worker_and_a_broken_one_says_why(worker, qtbot, tmp_path):
    good = lessons.lesson_files()[1]
    with qtbot.waitSignal(worker.read, timeout=5000) as read:
        ticket = worker.read_file(good)
    assert read.args == [ticket, good, sim.load(good)]
    broken = tmp_path / "broken.json"
    document = json.loads(good.read_text())
    document["optimizer"]["learning_rate"] = -1
    broken.write_text(json.dumps(document))
    with qtbot.waitSignal(worker.read_failed, timeout=5000) as failed:
        ticket = worker.read_file(broken)
    assert failed.args[:2] == [ticket, broken]
    assert "optimizer.learning_rate" in str(failed.args[2])
    assert worker.status(WAIT_S).snapshot.experiment == lessons.load_lesson()  # not loaded


def test_writing_reports_success_and_failure_apart(worker, qtbot, tmp_path):
    saved = tmp_path / "saved.json"
    with qtbot.waitSignal(worker.written, timeout=5000) as written:
        worker.save(saved)
    assert written.args == [saved] and sim.load(saved).state is not None
    missing = tmp_path / "missing" / "history.csv"
    with qtbot.waitSignal(worker.write_failed, timeout=5000) as failed:
        worker.export_history(missing)
    assert failed.args[0] == missing and failed.args[1].startswith(f"cannot write {missing}")
    assert not missing.exists()


def test_a_bug_in_a_command_is_reported_and_the_worker_goes_on(worker, qtbot):
    """A command the worker does not know is a bug: `failed` carries the exception, and the
    worker handles the next command as usual (issue 13: one bad command ended the worker)."""
    worker.play()
    with qtbot.waitSignal(worker.failed, timeout=5000) as failed:
        ticket = worker.send("not a command")  # type: ignore[arg-type]
    assert isinstance(failed.args[0], KeyError)
    assert worker.wait_handled(ticket, WAIT_S)
    assert worker.wait_idle(WAIT_S)  # the error paused training
    before = published_step(worker)
    worker.run_steps(3)
    assert worker.wait_idle(WAIT_S)
    assert published_step(worker) == before + 3 and worker.isRunning()


def test_shutdown_stops_a_worker_training_flat_out_without_terminate(qtbot, monkeypatch):
    terminated = []

    def terminate(self):  # a function, so that it binds the worker as self
        terminated.append(self)

    monkeypatch.setattr(TrainingWorker, "terminate", terminate)
    worker = TrainingWorker(experiment(network={"inputs": 2, "layers": [
        {"units": 64, "activation": "tanh"}, {"units": 64, "activation": "tanh"},
        {"units": 1, "activation": "sigmoid"}]}))
    worker.start()
    worker.play()
    qtbot.waitUntil(lambda: published_step(worker) > 5, timeout=10000)
    assert worker.shutdown(int(CLOSE_SECONDS * 1000))  # in time, never by terminating
    assert terminated == [] and worker.isFinished()


def test_commands_are_handled_while_a_sweep_goes_on_and_a_newer_sweep_replaces_it(
        worker, qtbot):
    answers: list[tuple[int, object]] = []
    worker.swept.connect(lambda token, result: answers.append((token, result)))
    lesson = lessons.load_lesson()
    first = worker.sweep_seeds(lesson, ManySeedsSpec(seeds=100, steps=20000), 1)
    assert worker.wait_handled(first, WAIT_S)  # under way, a frame at a time
    worker.run_steps(5)
    assert worker.wait_idle(WAIT_S)  # handled between the sweep's frames
    assert published_step(worker) == 5
    worker.sweep_seeds(lesson, ManySeedsSpec(seeds=3, steps=50), 2)  # replaces the first
    qtbot.waitUntil(lambda: bool(answers), timeout=20000)
    qtbot.wait(200)
    assert [token for token, _ in answers] == [2]
    assert answers[0][1].seeds == (0, 1, 2)


class Unpicklable(Exception):
    """An error carrying what no pipe can send (a lambda)."""

    def __init__(self) -> None:
        super().__init__("the step went wrong")
        self.callback = lambda: None


def test_a_message_that_does_not_pickle_becomes_a_failure_and_the_rest_arrive_in_order():
    """A round's messages cross as one batch; one that cannot cross (a bug in the session)
    leaves the pipe whole and the others intact, and the app is told what it was."""
    receiving, sending = multiprocessing.Pipe(duplex=False)
    outbox = Outbox(sending)
    outbox.send("report", 1, False, 0)
    outbox.send("views", lambda: None)
    outbox.send("signal", "failed", (Unpicklable(),))
    outbox.send("report", 2, False, 0)
    outbox.flush()
    received = []
    while receiving.poll(1.0):
        received.extend(receiving.recv())
    assert [message[0] for message in received] == ["report", "signal", "signal", "report"]
    assert received[0] == ("report", 1, False, 0) and received[3] == ("report", 2, False, 0)
    views, error = (message[2][0] for message in received[1:3])
    assert isinstance(views, UnexpectedError) and "could not send its views message" in str(views)
    assert isinstance(error, UnexpectedError) and str(error).endswith("the step went wrong")
    assert not outbox.waiting
