"""The training process (`gui.session`) and its owner, the worker thread: whatever ends, nothing
is left behind.

- The app killed mid-run (SIGKILL: no handler runs, nothing is joined) leaves no process of its
  own behind: the training process sees its pipe close and ends by itself.
- A training process that dies under the app is reported with `failed`, and the worker goes on
  with a new one on the last experiment loaded, with the hyperparameters applied since.
- The worker joins its process when it shuts down (tests/conftest.py checks after every test
  that no child process is left).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

import sim
from gui.worker import TrainingWorker
from sim import lessons
from sim.experiment import StoppingSpec
from tests.conftest import ROOT
from tests.test_app_process import LAUNCH_TIMEOUT, app_environment

TRAINING_CPU_SECONDS = 1.0  # CPU time a descendant has used once it is surely training
GONE_SECONDS = 30.0  # generous: the descendants end within a frame or two of the app


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat's fields after the command name (state is [0], parent [1]); None if
    the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def descendants(root: int) -> set[int]:
    """The ids of every living process below ``root`` (children, their children, ...)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None and fields[0] != "Z":
                parents[int(entry)] = int(fields[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    """Running, or sleeping: anything but gone or a zombie (which nobody may reap here)."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def cpu_seconds(pid: int) -> float:
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@pytest.fixture
def app(tmp_path: Path) -> Iterator[subprocess.Popen]:
    """The app as a user starts it, playing the default lesson as fast as it can with its
    stopping rule lifted (it would stop within a second); whatever the test leaves is killed
    at teardown, as a group."""
    lesson = lessons.load_lesson()
    endless = tmp_path / "xor-no-stopping.json"
    endless.write_text(sim.dumps(lesson.replace(stopping=StoppingSpec(),
                                                view=replace(lesson.view, speed=None))),
                       encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "gui", str(endless), "--play", "--quit-after", "600"], cwd=ROOT,
        env=app_environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)  # a process group of its own, with every process it starts
    yield process
    with contextlib.suppress(ProcessLookupError):  # all gone, as they should be
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(LAUNCH_TIMEOUT)


def test_killing_the_app_mid_run_leaves_no_process_behind(app):
    deadline = time.monotonic() + LAUNCH_TIMEOUT
    training: set[int] = set()
    while not training and time.monotonic() < deadline:
        assert app.poll() is None, f"the app ended by itself (code {app.returncode})"
        training = {pid for pid in descendants(app.pid)
                    if cpu_seconds(pid) >= TRAINING_CPU_SECONDS}
        time.sleep(0.2)
    assert training, "no process of the app trained within the launch timeout"
    below = descendants(app.pid)
    os.kill(app.pid, signal.SIGKILL)
    assert app.wait(LAUNCH_TIMEOUT) == -signal.SIGKILL
    deadline = time.monotonic() + GONE_SECONDS
    while any(alive(pid) for pid in below) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in below if alive(pid)] == []


def test_a_training_process_that_dies_is_reported_and_replaced(qtbot):
    worker = TrainingWorker(lessons.load_lesson())
    worker.start()
    try:
        worker.run_steps(5)
        assert worker.wait_idle(10.0)
        first = worker.process_id
        assert first is not None
        with qtbot.waitSignal(worker.failed, timeout=10000) as failed:
            os.kill(first, signal.SIGKILL)
        assert "training process ended unexpectedly (killed by signal 9)" in str(failed.args[0])
        assert worker.process_id not in (None, first)
        assert not alive(first)
        # The new process trains the lesson from its start, and takes commands as before.
        ticket = worker.run_steps(3)
        assert worker.wait_handled(ticket, 10.0) and worker.wait_idle(10.0)
        qtbot.waitUntil(lambda: (worker.latest(0) or (0, None))[1] is not None
                        and worker.latest(0)[1].step == 3, timeout=10000)
    finally:
        assert worker.shutdown(5000)
    assert worker.process_id is not None and not alive(worker.process_id)


def test_a_replaced_process_keeps_the_hyperparameters_the_window_applied(qtbot):
    lesson = lessons.load_lesson()
    edited = lesson.replace(optimizer=replace(lesson.optimizer,
                                              learning_rate=lesson.optimizer.learning_rate / 4))
    worker = TrainingWorker(lesson)
    worker.start()
    try:
        worker.apply(edited)
        worker.run_steps(2)
        assert worker.wait_idle(10.0)
        first = worker.process_id
        with qtbot.waitSignal(worker.failed, timeout=10000):
            os.kill(first, signal.SIGKILL)
        ticket = worker.run_steps(1)
        assert worker.wait_handled(ticket, 10.0) and worker.wait_idle(10.0)
        status = worker.status(10.0)
        assert status is not None and status.snapshot.step == 1  # from its start
        assert status.snapshot.learning_rate == edited.optimizer.learning_rate
        assert status.snapshot.experiment.optimizer == edited.optimizer
    finally:
        assert worker.shutdown(5000)
