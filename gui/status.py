"""The status bar's readout of the run: the step in large type (how far training has come is
what a room watches while the network plays), epoch, loss, steps a second and the phase of
the newest snapshot, and while a run of epochs goes on, its progress and a Cancel button; and
how a message is put on the status line or in a message box, as plain text."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar

from sim.schema import one_line
from sim.snapshot import Snapshot

from .run import RunController
from .style import Style

STEP_SIZE = 1.7  # the step's type, times the body text


def step_text(snapshot: Snapshot) -> str:
    """"step 1,234 of 5,000" (of the run's step limit, if it has one)."""
    limit = snapshot.experiment.stopping.max_steps
    of = f" of {limit:,}" if limit is not None else ""
    return f"step {snapshot.step:,}{of}"


class RunStatus(QObject):
    """Puts its widgets on a status bar and keeps them up to date with the run."""

    def __init__(self, run: RunController, bar: QStatusBar,
                 held: Callable[[Snapshot], bool] = lambda s: False) -> None:
        super().__init__(bar)
        self.held = held  # a snapshot kept back behind a quiz question: its loss is not said
        self.step_label = QLabel()
        bar.addPermanentWidget(self.step_label)
        self.label = QLabel()
        bar.addPermanentWidget(self.label, 1)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(240)
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(lambda: run.set_playing(False))
        for widget in (self.progress, self.cancel):
            bar.addPermanentWidget(widget)
            widget.hide()
        run.received.connect(self.show)
        run.run_started.connect(self._run_started)
        run.run_progress.connect(self.progress.setValue)
        run.run_finished.connect(self._run_finished)

    @Slot(object)
    def show(self, s: Snapshot) -> None:
        loss = "—" if s.loss is None else f"{s.loss:.6g}"
        if s.loss is not None and self.held(s):
            loss = "? (quiz)"
        seconds = s.train_seconds
        rate = f"{s.history_steps / seconds:,.0f} steps/s" if seconds > 0.05 else ""
        phase = "" if s.at_boundary or s.last_phase is None else f"   phase: {s.last_phase}"
        self.step_label.setText(f"{step_text(s)}  ")
        self.label.setText(f"epoch {s.epoch}   loss {loss}   {rate}{phase}")

    def apply_style(self, style: Style) -> None:
        self.step_label.setFont(style.font(STEP_SIZE, bold=True))
        self.label.setFont(style.font(1.2, bold=True))

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
