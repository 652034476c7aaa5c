"""Close anywhere: in every state the window can be in, closing it stops every worker thread
at once, never waiting for training to end, and the app run as a user runs it exits with
code 0 as promptly.

In-process (pytest-qt, offscreen): the window is closed while playing at full speed, paused
in the middle of an iteration, with a modal dialog open, during a long run with a progress
bar, while comparing side by side and in presentation mode. As a process: a timed run and a
polite kill (SIGTERM) in several of those states.

The app's own work is timed (closing the window; after a SIGTERM, until the app's main
function returns): 0.01-0.1 s here, idle or with both cores busy with other work, and 2.5 s
once at load 16. The training here never ends by itself (an endless XOR), so a close that
waited for it would never finish: a deadline of several seconds tells the two apart on any
machine without asserting a speed. The interpreter's teardown that follows (unloading Qt,
numpy and pyqtgraph) is CPU work that load stretches by any factor (0.2-1.3 s measured), so
the whole exit gets a longer cap.
"""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtWidgets import QApplication

from gui.window import MainWindow
from sim import lessons
from tests.conftest import ROOT, experiment, running_qthreads
from tests.test_app_process import LAUNCH_TIMEOUT, _catches, app_environment

CLOSE_SECONDS = 8.0  # closed, and every worker joined: a deadline, not a speed (see above)
# The whole exit after SIGTERM, the interpreter's teardown included: a cap well below the 30 s
# --quit-after the app is started with, so that only the signal can have ended it.
EXIT_SECONDS = 15.0
WAIT_MS = 5000


def workers_of(window: MainWindow) -> list:
    """The window's training threads: its own, and side by side run B's if there is one."""
    return [w for w in (window.run.worker, window.run.worker_b) if w is not None]


def close_timed(window: MainWindow) -> float:
    """Close the window as its close button does; the user discards unsaved changes."""
    window.document.confirm_discard = lambda: True
    started = time.perf_counter()
    window.close()
    return time.perf_counter() - started


def assert_closed(window: MainWindow, workers: list, seconds: float) -> None:
    assert not window.isVisible()
    assert [w.isRunning() for w in workers] == [False] * len(workers)
    assert seconds < CLOSE_SECONDS, f"closing took {seconds:.2f} s"
    assert not running_qthreads()


def edge_point(window: MainWindow) -> QPoint:
    """A point the canvas takes for a weight: a double-click there opens the edit dialog."""
    canvas = window.canvas
    geometry = canvas.geometry_for_paint()
    for layer in range(1, geometry.columns):
        for segment in geometry.segments[layer]:
            for t in (0.5, 0.4, 0.6, 0.3, 0.7):
                x, y = (segment[:2] + (segment[2:] - segment[:2]) * t).tolist()
                point = QPointF(x, y).toPoint()
                item = canvas.item_at(QPointF(point))
                if item is not None and item.kind == "weight":
                    return point
    raise AssertionError("no point on the canvas picks a weight")


# ---------------------------------------------------------------------------- in-process

def playing_at_full_speed(window: MainWindow, qtbot) -> None:
    window.speed.setValue(window.speed.maximum())  # a lesson opens at its own speed
    window.run.set_playing(True)
    qtbot.waitUntil(lambda: window.snapshot.step >= 50, timeout=WAIT_MS)
    assert window.speed_label.text().strip() == "max"


def paused_mid_phase(window: MainWindow, qtbot) -> None:
    for _ in range(3):
        qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.snapshot.cursor == 3, timeout=WAIT_MS)
    assert not window.snapshot.at_boundary


def long_run_with_progress(window: MainWindow, qtbot) -> None:
    window.run.run_epochs(10**5)
    qtbot.waitUntil(lambda: window.snapshot.epoch >= 50, timeout=WAIT_MS)
    progress = window.run_status.progress
    assert progress.isVisible() and progress.maximum() >= 10**5


def comparing_side_by_side(window: MainWindow, qtbot) -> None:
    other = window.run.experiment
    window.run.start_comparison(other.replace(
        optimizer=dataclasses.replace(other.optimizer, momentum=0.9), name="with momentum"))
    window.run.set_playing(True)
    qtbot.waitUntil(lambda: window.run.snapshot_b is not None
                    and window.run.snapshot_b.step >= 20 and window.snapshot.step >= 20,
                    timeout=WAIT_MS)
    assert window.run.worker_b.isRunning()


def presenting(window: MainWindow, qtbot) -> None:
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert window.presentation.on
    window.run.set_playing(True)
    qtbot.waitUntil(lambda: window.snapshot.step >= 20, timeout=WAIT_MS)


@pytest.mark.parametrize("get_there", [playing_at_full_speed, paused_mid_phase,
                                       long_run_with_progress, comparing_side_by_side,
                                       presenting], ids=lambda f: f.__name__)
def test_closing_stops_every_worker_without_waiting_for_training(make_window, qtbot,
                                                                get_there: Callable) -> None:
    window = make_window(experiment())  # endless XOR: training never ends by itself
    get_there(window, qtbot)
    workers = workers_of(window)
    assert all(w.isRunning() for w in workers)
    seconds = close_timed(window)
    assert_closed(window, workers, seconds)


def open_edit_dialog(window: MainWindow, qtbot) -> None:
    qtbot.mouseDClick(window.canvas, Qt.MouseButton.LeftButton, pos=edge_point(window))


def open_run_epochs_dialog(window: MainWindow, qtbot) -> None:
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ShiftModifier)


@pytest.mark.parametrize("open_dialog", [open_edit_dialog, open_run_epochs_dialog],
                         ids=["edit weight", "run epochs"])
def test_closing_with_a_modal_dialog_open(make_window, qtbot, open_dialog: Callable) -> None:
    """The window closes while the dialog's own event loop runs (a timer fires inside it);
    the dialog, answered afterwards, sends its command to a worker that is gone: nothing
    happens, nothing is raised, nothing starts again."""
    window = make_window(experiment())
    window.run.set_playing(True)
    qtbot.waitUntil(lambda: window.snapshot.step >= 20, timeout=WAIT_MS)
    workers = workers_of(window)
    seen: dict = {}

    def close_during_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        seen["dialog"] = type(dialog).__name__
        seen["seconds"] = close_timed(window)
        seen["running"] = [w.isRunning() for w in workers]
        dialog.accept()  # the user answers the dialog after all

    QTimer.singleShot(300, close_during_dialog)
    open_dialog(window, qtbot)  # returns once the dialog's loop has ended
    assert seen.get("dialog") == "QInputDialog", seen
    assert seen["running"] == [False] * len(workers)
    assert_closed(window, workers, seen["seconds"])
    qtbot.wait(100)
    assert not running_qthreads()


# ---------------------------------------------------------------------------- the app

def start_app(*args: str, code: str | None = None) -> subprocess.Popen:
    """`python -m gui ARGS` headless, or the app started by a few lines of ``code``."""
    command = [sys.executable, "-m", "gui"] if code is None else [sys.executable, "-c", code]
    return subprocess.Popen([*command, *args], cwd=ROOT, env=app_environment(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, timeout: float) -> tuple[str, str]:
    try:
        return process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


SECOND_LESSON = str(lessons.lesson_files()[1])


@pytest.mark.parametrize("state", [["--play"], ["--phases", "3"],
                                   ["--play", "--presentation", "--compare", SECOND_LESSON]],
                         ids=["playing", "mid-phase", "presenting and comparing"])
def test_a_timed_run_exits_0(state: list[str]) -> None:
    started = time.perf_counter()
    process = start_app(*state, "--quit-after", "1")
    stdout, stderr = finish(process, LAUNCH_TIMEOUT)
    assert process.returncode == 0, stderr
    assert stdout == ""
    assert time.perf_counter() - started >= 1.0


def app_under_way(dialog: bool) -> str:
    """Lines that start the app as `python -m gui` does and say on stdout when it is under
    way: "training" once the window has painted a run that has taken steps (so that start-up
    is over, however slow the machine), then, with ``dialog``, the class of the modal dialog
    it opens (run epochs); and at the end "returned" and the time.monotonic() (one clock for
    every process on Linux) at which the app's main function returned."""
    return f"""
import sys
import time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from gui import app

def say_when_under_way(window):
    def look():
        if window.snapshot is None or window.snapshot.step == 0 or not window.canvas.paint_times:
            return
        poll.stop()
        print("training", flush=True)
        if {dialog!r}:
            QTimer.singleShot(0, window.ask_run_epochs)
            QTimer.singleShot(300, say_which_dialog)

    def say_which_dialog():
        print(type(QApplication.activeModalWidget()).__name__, flush=True)

    poll = QTimer(window)
    poll.timeout.connect(look)
    poll.start(20)

code = app.main(sys.argv[1:], on_show=say_when_under_way)
print("returned", time.monotonic(), flush=True)
sys.exit(code)
"""


def wait_until_under_way(process: subprocess.Popen, dialog: bool) -> None:
    """Until the app trains and paints (and shows its dialog, if it opens one); a timed run
    ends by itself if it never does."""
    assert process.stdout.readline().strip() == "training", finish(process, LAUNCH_TIMEOUT)
    if dialog:
        assert process.stdout.readline().strip() == "QInputDialog"
    assert _catches(process.pid, signal.SIGTERM)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("state, dialog", [
    (["--play"], False),
    (["--play", "--presentation", "--compare", SECOND_LESSON], False),
    (["--play"], True),
], ids=["playing", "presenting and comparing", "run-epochs dialog open"])
def test_sigterm_exits_0_without_waiting_for_training(state: list[str], dialog: bool) -> None:
    process = start_app(*state, "--quit-after", "30", code=app_under_way(dialog))
    try:
        wait_until_under_way(process, dialog)
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=LAUNCH_TIMEOUT)
        exited = time.monotonic() - signalled
    finally:
        stdout, stderr = finish(process, LAUNCH_TIMEOUT)
    assert process.returncode == 0, stderr
    word, returned_at = stdout.split()
    assert word == "returned", stdout
    closing = float(returned_at) - signalled
    assert closing < CLOSE_SECONDS, f"the app took {closing:.2f} s to close after SIGTERM"
    assert exited < EXIT_SECONDS, f"the process took {exited:.2f} s to exit after SIGTERM"
