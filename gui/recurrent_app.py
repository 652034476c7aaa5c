"""``backprop-studio FILE`` for a recurrent experiment: its own window (gui.recurrent_window),
with the app's options that apply to it: --size, --steps, --phases, --play, --presentation,
--quit-after and --screenshot. The others are refused in one line."""

from __future__ import annotations

import argparse
import sys
import time

from sim.files import WriteError, write_atomic
from sim.recurrent_experiment import RecurrentExperiment

NOT_FOR_RECURRENT = ("compare", "paths", "quiz", "record", "colour", "phase_seconds", "stats",
                     "show")
SETTLE_MS = 300  # after the steps and phases: time for the plot to draw the last


def refused_option(args: argparse.Namespace) -> str | None:
    """The first option given that a recurrent network's window has no use for."""
    for name in NOT_FOR_RECURRENT:
        if getattr(args, name, None):
            return "--" + name.replace("_", "-")
    return None


def run_recurrent(args: argparse.Namespace, experiment: RecurrentExperiment) -> int:
    """Show the recurrent window until it closes (or --quit-after); the exit code."""
    option = refused_option(args)
    if option is not None:
        print(f"backprop-studio: {option} does not apply to a recurrent network (this file's "
              "network is recurrent)", file=sys.stderr)
        return 2
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from .files import png_bytes
    from .recurrent_window import RecurrentWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("Backprop Studio")
    window = RecurrentWindow(experiment)
    window.resize(*args.size)
    window.set_presentation(args.presentation)
    window.show()
    plan = Preparation(window, args.steps, args.phases)
    failures: list[str] = []

    def finish() -> None:
        if args.screenshot is not None:
            try:
                write_atomic(args.screenshot, png_bytes(window.grab().toImage()))
            except WriteError as error:
                failures.append(str(error))
        window.close()

    def tick() -> None:
        plan.advance()
        if plan.done and args.play and not window.playing and not plan.played:
            plan.played = True
            window.toggle_play()
        if plan.done and args.quit_after is not None and plan.started is not None and \
                time.perf_counter() - plan.started >= args.quit_after:
            timer.stop()
            QTimer.singleShot(SETTLE_MS, window, finish)

    timer = QTimer(window)
    timer.timeout.connect(tick)
    timer.start(20)
    app.exec()
    timer.stop()
    window.deleteLater()
    for failure in failures:
        print(f"backprop-studio: {failure}", file=sys.stderr)
    return 1 if failures else 0


class Preparation:
    """Takes the --steps asked for, then walks the --phases, each once the last is shown."""

    def __init__(self, window: object, steps: int, phases: int) -> None:
        from .recurrent_window import RecurrentWindow

        assert isinstance(window, RecurrentWindow)
        self.window = window
        self.steps, self.phases = steps, phases
        self.asked_steps = False
        self.walked = 0
        self.started: float | None = None  # when the first frame showed
        self.played = False

    @property
    def done(self) -> bool:
        return self.started is not None and not self.window.runner.waiting and \
            (self.steps == 0 or self.asked_steps) and self.walked >= self.phases

    def advance(self) -> None:
        window = self.window
        if window.frame is None or window.runner.waiting:
            return
        if self.started is None:
            self.started = time.perf_counter()
        if self.steps and not self.asked_steps:
            self.asked_steps = window.runner.request("steps", self.steps)
            return
        if self.walked < self.phases:
            window.next_phase()
            self.walked += 1
