"""The status bar's readout of the run: step, epoch, loss, steps a second and the phase of
the newest snapshot, and while a run of epochs goes on, its progress and a Cancel button."""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar

from sim.snapshot import Snapshot

from .run import RunController


class RunStatus(QObject):
    """Puts its widgets on a status bar and keeps them up to date with the run."""

    def __init__(self, run: RunController, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.label = QLabel()
        bar.addPermanentWidget(self.label, 1)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(240)
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(lambda: run.set_playing(False))
        for widget in (self.progress, self.cancel):
            bar.addPermanentWidget(widget)
            widget.hide()
        run.received.connect(self._show)
        run.run_started.connect(self._run_started)
        run.run_progress.connect(self.progress.setValue)
        run.run_finished.connect(self._run_finished)

    @Slot(object)
    def _show(self, s: Snapshot) -> None:
        loss = "—" if s.loss is None else f"{s.loss:.6g}"
        seconds = s.train_seconds
        rate = f"{s.history_steps / seconds:,.0f} steps/s" if seconds > 0.05 else ""
        phase = "" if s.at_boundary or s.last_phase is None else f"   phase: {s.last_phase}"
        self.label.setText(f"step {s.step}   epoch {s.epoch}   loss {loss}   {rate}{phase}")

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
