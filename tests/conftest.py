"""Shared test set-up: Qt runs offscreen, and helpers to build experiments quickly."""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

import sim

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "assets" / "lessons"


def experiment(**fields: Any) -> sim.Experiment:
    """An experiment from a partial document (defaults: a 2-2-1 sigmoid net on XOR)."""
    document: dict[str, Any] = {
        "data": {"kind": "xor"},
        "network": {"inputs": 2, "layers": [{"units": 2, "activation": "sigmoid"},
                                            {"units": 1, "activation": "sigmoid"}]},
        "optimizer": {"kind": "sgd", "learning_rate": 0.5},
    }
    document.update(fields)
    return sim.parse(document)


# ---------------------------------------------------------------------------- Qt threads
#
# Destroying a running QThread aborts the whole process, and a worker left running keeps
# training behind the next test's back. Every QThread started while the tests run is
# remembered (QThread.start is wrapped once PySide6 is loaded), and a test that leaves one
# running fails.

_started_threads: weakref.WeakSet = weakref.WeakSet()


def _track_qthreads() -> bool:
    """Wrap QThread.start to remember started threads; False while PySide6 is not loaded."""
    core = sys.modules.get("PySide6.QtCore")
    if core is None:
        return False
    if not getattr(core.QThread.start, "tracked_by_tests", False):
        original = core.QThread.start

        def start(self, *args: Any, **kwargs: Any) -> None:
            _started_threads.add(self)
            original(self, *args, **kwargs)

        start.tracked_by_tests = True
        core.QThread.start = start
    return True


def running_qthreads(tracked: bool = True) -> list:
    """QThreads that are running now: the tracked ones, or (``tracked`` False, for threads
    started before tracking began) every QThread the garbage collector can see."""
    core = sys.modules.get("PySide6.QtCore")
    if core is None:
        return []
    import shiboken6
    candidates = list(_started_threads) if tracked else \
        [o for o in gc.get_objects() if issubclass(type(o), core.QThread)]
    return [t for t in candidates if shiboken6.isValid(t) and t.isRunning()]


# Threads that did not stop when asked: kept referenced for ever, since destroying a
# running QThread aborts the process (and terminating one can leave a lock held).
_unstoppable: list = []


def _stop(thread: Any) -> None:
    """Best effort, so that one leaking test does not abort the whole run."""
    if hasattr(thread, "shutdown"):  # the training worker: it runs no Qt event loop
        stopped = thread.shutdown(2000)
    else:
        thread.quit()
        stopped = thread.wait(2000)
    if not stopped:
        _unstoppable.append(thread)


@pytest.fixture(autouse=True)
def _no_qthread_left_running() -> Iterator[None]:
    tracked_from_start = _track_qthreads()
    yield
    running = running_qthreads(tracked=tracked_from_start)
    _track_qthreads()  # PySide6 may have been loaded by this test: track from the next on
    for thread in running:
        _stop(thread)
    if running:
        pytest.fail(f"the test left {len(running)} QThread(s) running: "
                    f"{', '.join(type(t).__name__ for t in running)}", pytrace=False)
    # A worker thread joins its training process before it ends: none may outlive the test.
    children = multiprocessing.active_children()
    for child in children:
        child.kill()
        child.join()
    if children:
        pytest.fail(f"the test left {len(children)} process(es) running: "
                    f"{', '.join(child.name for child in children)}", pytrace=False)


# ---------------------------------------------------------------------------- main window

WINDOW_SIZE = (1400, 900)


@pytest.fixture
def make_window(qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                ) -> Iterator[Callable[..., Any]]:
    """Builds shown MainWindows on an experiment and closes them at teardown.

    ``make_window(experiment, size=(w, h))`` returns the window once it shows the worker's
    first Snapshot. Each window reads and writes a scratch settings file, never the user's.
    Message boxes do not block: each one the window raises is recorded in
    ``make_window.dialogs`` as (title, text), and a test that leaves any there fails, since
    the windows under test are not expected to complain (a test that expects a message takes
    it out of the list). The answer to a question is No.
    """
    from PySide6.QtCore import QCoreApplication, QEvent, QSettings
    from PySide6.QtWidgets import QMessageBox

    from gui.window import MainWindow

    dialogs: list[tuple[str, str]] = []

    def record(answer: QMessageBox.StandardButton) -> Callable[..., Any]:
        def message_box(parent: Any, title: str, text: str, *args: Any, **kwargs: Any) -> Any:
            dialogs.append((title, text))
            return answer
        return message_box

    no = QMessageBox.StandardButton.No
    for name, answer in (("warning", QMessageBox.StandardButton.Ok), ("critical", no),
                         ("information", QMessageBox.StandardButton.Ok), ("question", no)):
        monkeypatch.setattr(QMessageBox, name, staticmethod(record(answer)))
    windows: list[MainWindow] = []

    def build(experiment: sim.Experiment, size: tuple[int, int] = WINDOW_SIZE) -> MainWindow:
        settings = QSettings(str(tmp_path / f"settings-{len(windows)}.ini"),
                             QSettings.Format.IniFormat)
        window = MainWindow(experiment, settings=settings)
        windows.append(window)
        window.show_at(*size)
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window.snapshot is not None, timeout=5000)
        return window

    build.dialogs = dialogs
    yield build
    for window in windows:
        if window.run.worker.isRunning() or window.isVisible():
            window.force_close = True  # no "unsaved changes?" question at teardown
            window.close()
        window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not dialogs, f"unexpected message boxes: {dialogs}"
