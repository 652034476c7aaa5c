"""The status bar's readout of the run: the step in large type (how far training has come is
what a room watches while the network plays), epoch, loss, steps a second and the phase of
the newest snapshot, and while a run of epochs goes on, its progress and a Cancel button; and
how a message is put on the status line or in a message box, as plain text."""

from __future__ import annotations

import collections
import html
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Slot
from PySide6.QtGui import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QSizePolicy, QStatusBar

from sim.batches import epoch_text
from sim.health import accuracy_readout, exact_value
from sim.schema import one_line
from sim.snapshot import Snapshot
from sim.stopping import restored_step

from .run import RunController
from .style import Style

STEP_SIZE = 1.7  # the step's type, times the body text
SEPARATOR = "   "
# What the status line keeps when it cannot hold everything: most important first.
IMPORTANCE = ("loss", "accuracy", "phase", "epoch", "speed")
PACE_WINDOW = 2.0  # seconds over which the status line measures the steps a second


def step_text(snapshot: Snapshot) -> str:
    """"step 1,234 of 5,000" (of the run's step limit, if it has one)."""
    limit = snapshot.experiment.stopping.max_steps
    of = f" of {limit:,}" if limit is not None else ""
    return f"step {snapshot.step:,}{of}"


class StepPace:
    """How fast the step counter on screen advances: steps a second over the last
    ``window`` seconds. While Play is throttled to a lesson's speed, that is the speed (the
    engine's own rate, thousands a second, is not what the room sees)."""

    def __init__(self, window: float = PACE_WINDOW) -> None:
        self.window = window
        self._marks: collections.deque[tuple[float, int]] = collections.deque()

    def add(self, seconds: float, step: int) -> None:
        """The counter showed ``step`` at ``seconds`` (any monotonic clock)."""
        marks = self._marks
        if marks and step < marks[-1][1]:  # the run was reset or replaced: start again
            marks.clear()
        marks.append((seconds, step))
        while len(marks) > 2 and seconds - marks[1][0] >= self.window:
            marks.popleft()

    def clear(self) -> None:
        self._marks.clear()

    def rate(self) -> float | None:
        """Steps a second, once the marks span at least a quarter of the window."""
        if len(self._marks) < 2:
            return None
        (start, first), (end, last) = self._marks[0], self._marks[-1]
        return None if end - start < self.window / 4 else (last - first) / (end - start)


class RunStatus(QObject):
    """Puts its widgets on a status bar and keeps them up to date with the run."""

    def __init__(self, run: RunController, bar: QStatusBar,
                 held: Callable[[Snapshot], bool] = lambda s: False) -> None:
        super().__init__(bar)
        self.held = held  # a snapshot kept back behind a quiz question: its loss is not said
        self.step_label = QLabel()
        bar.addPermanentWidget(self.step_label)
        self.label = QLabel()
        # As wide as the line leaves it, whatever its text: _fit makes the text fit the width.
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bar.addPermanentWidget(self.label, 1)
        self.parts: dict[str, str] = {}  # the readout's parts by name
        self.label.installEventFilter(self)  # a wider or narrower line fits the parts again
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(240)
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(lambda: run.set_playing(False))
        for widget in (self.progress, self.cancel):
            bar.addPermanentWidget(widget)
            widget.hide()
        self.run = run
        self.pace = StepPace()
        run.shown.connect(self.show)  # a phase stepped back to, too: the line is of it
        run.playing_changed.connect(self._playing_changed)
        run.run_started.connect(self._run_started)
        run.run_progress.connect(self.progress.setValue)
        run.run_finished.connect(self._run_finished)

    @Slot(object)
    def show(self, s: Snapshot) -> None:
        if self.run.playing:
            self.pace.add(time.monotonic(), s.step)
        rate = self.pace.rate()
        self.step_label.setText(f"{step_text(s)}  ")
        self.parts = {  # in reading order; what has no value yet is left out
            "epoch": epoch_text(s.epoch, s.batches_taken, s.steps_per_epoch),
            "loss": self._loss_text(s),
            "accuracy": accuracy_readout(s),
            "speed": "" if rate is None else f"{rate:,.0f} steps/s",
            "phase": "" if s.at_boundary or s.last_phase is None else f"phase: {s.last_phase}"}
        self._fit()

    @Slot(bool)
    def _playing_changed(self, playing: bool) -> None:
        """Paused, the line says no speed: the counter stands still."""
        if not playing:
            self.pace.clear()
            if self.parts.get("speed"):
                self.parts["speed"] = ""
                self._fit()

    def _loss_text(self, s: Snapshot) -> str:
        """The current pass's loss. Where that pass is not the counter's last step (a step
        walked phase by phase, or abandoned when it diverged), it says whose it is: beside
        "step 3", a bare "loss" reads as step 3's."""
        stop = s.stop_event
        restored = restored_step(stop)
        if stop is not None and restored is not None:  # the best validation's weights are back
            return f"weights of step {restored}: validation loss " \
                f"{stop.details['best_val_loss']:.6g}"
        if s.loss is None:  # a pass whose loss phase has not run: the last step's loss
            last = exact_value(s.history.get("loss"), s.step)
            return "loss —" if last is None else f"loss {last:.6g} (step {s.step})"
        loss = "? (quiz)" if self.held(s) else f"{s.loss:.6g}"
        if s.diverged and s.at_boundary and not s.pass_updated:  # the abandoned pass
            return f"loss {loss} (step {s.pass_step}, diverged)"
        if not s.at_boundary:  # the next step's pass, walked so far
            return f"loss {loss} (step {s.pass_step})"
        return f"loss {loss}"

    def _fit(self) -> None:
        """Show as many parts as the label's width holds, leaving out the least important
        first (IMPORTANCE), rather than letting the window's edge cut one mid-word (a slide
        at 1280x720 cut "769 steps/s" to "769 step")."""
        metrics, room = self.label.fontMetrics(), self.label.width()
        kept = [key for key in IMPORTANCE if self.parts.get(key)]
        while True:
            text = SEPARATOR.join(part for key, part in self.parts.items() if key in kept)
            if len(kept) <= 1 or metrics.horizontalAdvance(text) <= room:
                break
            kept.pop()
        self.label.setText(text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.parts:
            self._fit()
        return False

    def apply_style(self, style: Style) -> None:
        self.step_label.setFont(style.font(STEP_SIZE, bold=True))
        self.label.setFont(style.font(1.2, bold=True))
        if self.parts:
            self._fit()

    @Slot(int, int)
    def _run_started(self, start: int, target: int) -> None:
        self.progress.setRange(start, target)
        self.progress.setValue(start)
        self.progress.show()
        self.cancel.show()

    @Slot()
    def _run_finished(self) -> None:
        self.progress.hide()
        self.cancel.hide()


# Messages quote files: a key, a CSV header, a file name. Qt guesses whether a message box's
# text is HTML from its first line, so a file could show a red heading instead of the error.


def message_box_text(message: str) -> str:
    """What to give a message box (which guesses the format) for it to show ``message`` as
    written: the message itself if Qt takes it for plain text, else the message escaped as
    HTML, its lines and spaces kept."""
    if not Qt.mightBeRichText(message):
        return message
    return f"<p style='white-space: pre-wrap'>{html.escape(message, quote=False)}</p>"


def status_line_text(message: str) -> str:
    """``message`` on one line, control characters escaped (the status line is one line)."""
    return one_line(" ".join(line for line in message.splitlines() if line))
