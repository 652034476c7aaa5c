"""``backprop-studio [FILE]`` and ``python -m gui [FILE]``: start the app."""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import signal
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import numpy as np

import sim
from sim import lessons, palette, paths
from sim.address import ParameterAddress
from sim.arguments import at_least
from sim.experiment import network_kind, read_document
from sim.files import WriteError, path_text, writable_target, write_atomic
from sim.recurrent_experiment import RecurrentExperiment, parse_recurrent

from .display import prepare_platform
from .recording import DEFAULT_FPS, RecordingError, RecordingSpec, check

if TYPE_CHECKING:
    from PySide6.QtCore import QCoreApplication, QMessageLogContext, QtMsgType

    from .run import RunController
    from .window import MainWindow

# Called with the window once it shows, before the event loop runs (a test or a script that
# starts the app uses it to do what a user would do next).
OnShow = Callable[["MainWindow"], None]
# What signal.signal takes and returns (None: a handler set outside Python).
SignalHandler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None

QUIT_AFTER_VARIABLE = "BACKPROP_STUDIO_QUIT_AFTER"
SCREENSHOT_ONLY_SECONDS = 3.0  # --screenshot without --quit-after: render this long, then save


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {text!r}") from None
    if not (200 <= width <= 10000 and 200 <= height <= 10000):
        raise argparse.ArgumentTypeError(f"size must be 200-10000 pixels each, got {text}")
    return width, height


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value < 1e7:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="backprop-studio",
                                     description="Watch a neural network learn by "
                                                 "backpropagation.")
    parser.add_argument("file", nargs="?", type=Path,
                        help="an experiment or lesson file (default: the XOR lesson)")
    parser.add_argument("--play", action="store_true", help="start training at once")
    parser.add_argument("--quit-after", type=_seconds, metavar="SECONDS",
                        help=f"quit this long after the experiment is first shown (also "
                             f"${QUIT_AFTER_VARIABLE})")
    parser.add_argument("--screenshot", type=Path, metavar="PATH",
                        help="save the window as PNG just before quitting")
    parser.add_argument("--size", type=_size, default=(1600, 1000), metavar="WxH",
                        help="window size in pixels (default 1600x1000)")
    parser.add_argument("--presentation", action="store_true",
                        help="start in presentation mode (large type for a projector)")
    parser.add_argument("--colour", choices=palette.MODES,
                        help="what the edges' colours show (default: the lesson's, else "
                             "weight)")
    parser.add_argument("--compare", type=Path, metavar="FILE",
                        help="train this second experiment side by side, curves overlaid")
    parser.add_argument("--steps", type=at_least(0), default=0, metavar="N",
                        help="take N whole steps at once (before --phases)")
    parser.add_argument("--phases", type=at_least(0), default=0, metavar="N",
                        help="walk N phases at once (forward, loss, backward, ...), e.g. to "
                             "prepare a slide of the backward pass")
    parser.add_argument("--quiz", action="store_true",
                        help="quiz mode on: each phase walked asks for one of its numbers "
                             "before showing it (with --phases: the last phase's question)")
    parser.add_argument("--paths", metavar="L,J,I",
                        help="show the paths of weight L,J,I (into unit J of layer L from unit "
                             "I below, all from 1; I = 0 the bias), e.g. for a slide")
    parser.add_argument("--show", action="append", default=[], metavar="PANEL",
                        help="bring a panel to the front by its title, e.g. Health, "
                             "Activation, Plots (may be given more than once), for a slide")
    parser.add_argument("--phase-seconds", type=_seconds, metavar="SECONDS",
                        help="walk the --phases one every SECONDS instead of all at once (a "
                             "phase walk to watch or --record)")
    parser.add_argument("--record", type=Path, metavar="PATH",
                        help="record what the window shows to PATH, an animated GIF (.gif) or "
                             "an MP4 video (.mp4), until --quit-after or the window closes")
    parser.add_argument("--record-fps", type=int, metavar="N",
                        help=f"frames a second of --record (default {DEFAULT_FPS})")
    parser.add_argument("--record-scale", type=float, metavar="X",
                        help="size of --record's frames, times the window's (default 1)")
    parser.add_argument("--record-canvas", action="store_true",
                        help="--record the network canvas alone, not the whole window")
    parser.add_argument("--stats", action="store_true",
                        help="print one JSON line of performance figures at exit")
    parser.add_argument("--install-desktop-entry", action="store_true",
                        help="add Backprop Studio with its icon to the desktop's application "
                             "menu (a desktop entry under ~/.local/share), then exit")
    args = parser.parse_args(argv)
    if args.quit_after is None and os.environ.get(QUIT_AFTER_VARIABLE):
        try:
            args.quit_after = _seconds(os.environ[QUIT_AFTER_VARIABLE])
        except argparse.ArgumentTypeError as error:
            parser.error(f"{QUIT_AFTER_VARIABLE}: {error}")
    if args.screenshot is not None and args.quit_after is None:
        args.quit_after = SCREENSHOT_ONLY_SECONDS
    return args


def main(argv: list[str] | None = None, on_show: OnShow | None = None) -> int:
    """Run the app; its exit code. ``on_show``: called with the window once it shows."""
    args = parse_arguments(argv)
    if args.install_desktop_entry:
        return _install_desktop_entry()
    problem = prepare_platform(headless=args.quit_after is not None)
    if problem:
        print(f"backprop-studio: {problem}", file=sys.stderr)
        return 2
    if args.phase_seconds is not None and args.phases == 0:
        print("backprop-studio: --phase-seconds needs --phases N (the phases to walk)",
              file=sys.stderr)
        return 2
    try:
        recurrent = _recurrent(args.file) if args.file else None
        if recurrent is not None:
            from .recurrent_app import run_recurrent

            return run_recurrent(args, recurrent)
        experiment = _trainable(args.file) if args.file else lessons.load_lesson()
        other = _trainable(args.compare) if args.compare else None
        if args.screenshot is not None:
            writable_target(args.screenshot)
        args.record = _recording(args)
    except (sim.ExperimentError, WriteError, RecordingError) as error:
        print(f"backprop-studio: {error}", file=sys.stderr)
        return 2
    try:
        args.paths = None if args.paths is None else \
            paths.weight_address(args.paths, experiment.network)
    except ValueError as problem:
        print(f"backprop-studio: --paths: {problem}", file=sys.stderr)
        return 2
    return _run(args, experiment, other, on_show)


def _recording(args: argparse.Namespace) -> RecordingSpec | None:
    """What --record and its options ask for, checked (RecordingError if it cannot be made);
    None without --record."""
    if args.record is None:
        if args.record_fps is not None or args.record_scale is not None or args.record_canvas:
            raise RecordingError("--record-fps, --record-scale and --record-canvas need "
                                 "--record PATH")
        return None
    spec = RecordingSpec(args.record,
                         DEFAULT_FPS if args.record_fps is None else args.record_fps,
                         1.0 if args.record_scale is None else args.record_scale,
                         args.record_canvas)
    check(spec)
    return spec


def _install_desktop_entry() -> int:
    from .desktop_entry import install_desktop_entry

    try:
        written = install_desktop_entry()
    except WriteError as error:
        print(f"backprop-studio: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path_text(path)}")
    return 0


def _recurrent(path: Path) -> RecurrentExperiment | None:
    """The recurrent experiment in ``path`` (None if its network is dense), refused in one line
    naming the file and the field as `_trainable` refuses a dense one."""
    try:
        document = read_document(path)
        return parse_recurrent(document) if network_kind(document) == "recurrent" else None
    except sim.ExperimentError as error:
        line = f"{path_text(path)}: {error}" if error.path else str(error)
        raise sim.ExperimentError("", line) from None


def _trainable(path: Path) -> sim.Experiment:
    """The experiment in ``path``, checked as far as a trainer checks it (a CSV cell that is
    not a number, a saved state that does not fit), so that a file named on the command line
    is refused here, in one line naming the file and the field, and not after the window
    opened. (A problem of the file as a whole names the file already.)"""
    from .session import check_trainable

    try:
        experiment = sim.load(path)
        check_trainable(experiment)
    except sim.ExperimentError as error:
        line = f"{path_text(path)}: {error}" if error.path else str(error)
        raise sim.ExperimentError("", line) from None
    return experiment


# A timed (headless) run leaves the user's settings alone: slides and CI runs should neither
# read nor change the window layout or the theme someone chose. Its settings live in memory:
# they are kept in a file no one can write, as nothing can be made under a file (/dev/null),
# so no temporary folder is needed and nothing is left behind.
NOWHERE = os.path.join(os.devnull, "backprop-studio-settings.ini")


def _run(args: argparse.Namespace, experiment: sim.Experiment, other: sim.Experiment | None,
         on_show: OnShow | None) -> int:
    from PySide6.QtCore import QSettings, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from .desktop_entry import APP_ID
    from .window import MainWindow

    qInstallMessageHandler(_quiet_offscreen_notes)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("Backprop Studio")
    app.setOrganizationName("Backprop Studio")
    QApplication.setDesktopFileName(APP_ID)  # the desktop entry's: its icon in a Wayland dock
    settings = QSettings() if args.quit_after is None else \
        QSettings(NOWHERE, QSettings.Format.IniFormat)
    window = MainWindow(experiment, settings=settings, path=args.file)
    unknown = [title for title in args.show if title not in window.panel_titles()]
    if unknown:
        window.force_close = True
        window.close()
        print(f"backprop-studio: --show: no panel is called {unknown[0]!r}; the panels are "
              f"{', '.join(window.panel_titles())}", file=sys.stderr)
        return 2
    if other is not None:
        window.run.start_comparison(other)
    return _show(args, window, app, on_show)


def _show(args: argparse.Namespace, window: MainWindow, app: QCoreApplication,
          on_show: OnShow | None) -> int:
    from PySide6.QtCore import QTimer

    window.show_at(*args.size)
    if args.presentation:
        window.presentation.set_on(True)
    if args.colour is not None:
        window.set_mode(args.colour)
    prepared: list[bool] = []  # [True] once the --steps and --phases asked for are done
    quiz_on = None
    if args.quiz or window.quiz.on:  # asked for, or a lesson's: on for the last phase walked
        window.quiz.set_on(False)
        quiz_on = partial(window.quiz.set_on, True)
    start = partial(_record_and_start, window, args, lambda: prepared.append(True), quiz_on)
    if args.record is None:
        start()
    else:  # once the window has laid itself out, so that the frames get its size
        QTimer.singleShot(0, window, start)
    address: ParameterAddress | None = args.paths
    if address is not None:
        window.show_paths_of(address)
    for title in args.show:
        window.show_panel(title)
    quit_timer = QTimer()
    quit_timer.setSingleShot(True)
    failures: list[str] = []  # what could not be done at the end (the screenshot)
    if args.quit_after is not None:
        # The picture waits for the steps and phases asked for, however long they take.
        quit_timer.timeout.connect(partial(_finish_when, window, prepared,
                                           partial(_finish, window, args.screenshot, failures)))
    # The clock (--quit-after, --stats) starts when the experiment is first on screen, or
    # when it cannot be: the training process takes a moment to start, more on a busy machine.
    started: list[float] = []

    def start_clock() -> None:
        if not started:
            started.append(time.perf_counter())
            if args.quit_after is not None:
                quit_timer.start(int(args.quit_after * 1000))

    if window.snapshot is not None:
        start_clock()
    window.run.shown.connect(start_clock)
    window.run.error.connect(start_clock)
    previous_handlers = _close_on_signals(window)
    pulse = QTimer()
    pulse.timeout.connect(lambda: None)  # lets Python run its signal handlers
    pulse.start(200)
    if on_show is not None:
        on_show(window)
    # The window, its widgets and every module live as long as the app: the collector need
    # not walk them again. Without this a full collection (one in each of two 10 s runs while
    # training played) walked them all and held one frame back by 35-55 ms. Frozen objects
    # are never collected: cycles among the first lesson's widgets, once replaced, stay (a
    # bounded, one-time cost).
    gc.freeze()
    app.exec()
    # Nothing may close the window once it is going: the caller's handlers come back, and
    # a quit time not reached yet (the window was closed first) is forgotten.
    _restore_signal_handlers(previous_handlers)
    quit_timer.stop()
    pulse.stop()
    if args.record is not None and window.recording.last_problem:
        failures.append(window.recording.last_problem)
    elapsed = time.perf_counter() - started[0] if started else 0.0
    if args.stats:
        print(json.dumps(_stats(window, elapsed)), flush=True)
    window.deleteLater()  # widgets go before the QApplication, or a headless exit may crash
    del window
    app.processEvents()
    for failure in failures:
        print(f"backprop-studio: {failure}", file=sys.stderr)
    return 2 if failures else 0


def _record_and_start(window: MainWindow, args: argparse.Namespace,
                      prepared: Callable[[], object],
                      quiz_on: Callable[[], object] | None) -> None:
    """Start --record (checked already, before the window opened), then the run."""
    if args.record is not None:
        window.recording.start(args.record)
    _start_run(window.run, args.steps, args.phases, args.play, prepared, quiz_on,
               args.phase_seconds)


def _start_run(run: RunController, steps: int, phases: int, play: bool,
               prepared: Callable[[], object],
               quiz_on: Callable[[], object] | None = None,
               phase_seconds: float | None = None) -> None:
    """--steps, then --phases (all at once, or one every ``phase_seconds``), then --play;
    ``prepared`` is called once the steps and phases are done and shown (before playing).
    Walking a phase pauses, and a pause drops the steps not taken yet, so the phases wait
    until the runs have taken them. ``quiz_on`` (--quiz) turns the quiz on once the phase
    before the last is shown, so that the last one is asked about beside it."""
    from PySide6.QtCore import QTimer

    def last_phase_asked() -> None:
        assert quiz_on is not None  # only called with the quiz
        quiz_on()
        run.step_phase()
        if not play:
            run.when_idle(prepared)  # the question asked beside the last phase

    def walk(left: int) -> None:
        """Walk ``left`` phases, then the quiz's last one and play."""
        if phase_seconds is None:
            for _ in range(left):
                run.step_phase()
        elif left > 0:
            run.step_phase()
            QTimer.singleShot(round(phase_seconds * 1000), run, partial(walk, left - 1))
            return
        asking = quiz_on is not None and phases > 0
        if quiz_on is not None:
            if asking:
                run.when_idle(last_phase_asked)
            else:
                quiz_on()
        if play:  # playing, the runs are never idle: what is asked for is under way
            prepared()
            run.set_playing(True)
        elif not asking:
            run.when_idle(prepared)  # the phases walked and their snapshot taken

    def walk_then_play() -> None:
        walk(phases - 1 if quiz_on is not None and phases > 0 else phases)

    if steps > 0:
        run.run_steps(steps)
    if steps > 0 and phases > 0:
        run.when_idle(walk_then_play)
    else:
        walk_then_play()


# The offscreen platform says this about every window it cannot resize like a desktop would;
# it is not a problem, and a headless run should print nothing but real problems.
HARMLESS_QT_NOTES = ("This plugin does not support propagateSizeHints()",)


def _quiet_offscreen_notes(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    if message not in HARMLESS_QT_NOTES:
        print(message, file=sys.stderr)


SETTLE_MS = 300  # after the steps are shown: time for the side pictures and the plots to follow


def _finish_when(window: MainWindow, prepared: list[bool], finish: Callable[[], None]) -> None:
    """Call ``finish`` now if the steps and phases asked for are done, else once they are
    (checked every frame), after the views have had SETTLE_MS to draw the last of them."""
    from PySide6.QtCore import QTimer

    def settle() -> None:
        window.plots.refresh_all()
        QTimer.singleShot(SETTLE_MS, window, finish)

    if prepared:
        finish()
        return
    waiter = QTimer(window)

    def check() -> None:
        if prepared:
            waiter.stop()
            settle()

    waiter.timeout.connect(check)
    waiter.start(50)


def _finish(window: MainWindow, screenshot: Path | None, failures: list[str]) -> None:
    """End the recording, save the screenshot (as every save is written: see sim.files),
    then close."""
    from .files import png_bytes

    window.recording.wait()
    if screenshot is not None:
        try:
            write_atomic(screenshot, png_bytes(window.grab().toImage()))
        except WriteError as error:
            failures.append(str(error))
    _close(window)


def _close(window: MainWindow) -> None:
    """Close without asking about unsaved changes: a timer or a signal asked, not a person."""
    window.force_close = True
    window.close()


def _close_on_signals(window: MainWindow) -> dict[int, SignalHandler]:
    """Ctrl+C or a polite kill closes the window like the close button does (from the event
    loop, with the window as the timer's context: a window gone by then is not closed); the
    handlers that were in place before, for `_restore_signal_handlers`."""
    from PySide6.QtCore import QTimer

    def close_soon(number: int, frame: FrameType | None) -> None:
        QTimer.singleShot(0, window, partial(_close, window))

    return {number: signal.signal(number, close_soon) for number in (signal.SIGINT, signal.SIGTERM)}


def _restore_signal_handlers(previous: dict[int, SignalHandler]) -> None:
    for number, handler in previous.items():
        # None: a handler set outside Python, which Python cannot put back; the default is
        # the nearest it can.
        signal.signal(number, signal.SIG_DFL if handler is None else handler)


def _percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 3) if values else 0.0


def _stats(window: MainWindow, elapsed: float) -> dict:
    steps = window.run.worker.steps_done
    paint = window.canvas.paint_times
    return {
        "steps": steps,
        "frames": len(paint),
        "steps_per_s": round(steps / elapsed, 1) if elapsed > 0 else 0.0,
        "paint_ms_p50": _percentile(paint, 50),
        "paint_ms_p99": _percentile(paint, 99),
        "ui_latency_ms_p50": _percentile(window.ui_latencies, 50),
        "ui_latency_ms_p99": _percentile(window.ui_latencies, 99),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "training_max_rss_mb": window.run.worker.training_peak_rss_mb,
        "training_cpu_s": window.run.worker.training_cpu_seconds,
    }
