"""Side by side: a second configuration trained together with the window's, curves overlaid.

The second run (B) has its own worker and its own small canvas; every command the window sends
to its own run (play, pause, step, reset, speed, epochs) goes to B too, so that the two move
together, and the loss and gradient-norm curves of both are drawn on the same axes. This is
how a lesson shows in one glance that momentum beats plain descent, or that clipping saves a
run that explodes.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QDockWidget, QFileDialog, QLabel, QVBoxLayout, QWidget

import sim
from sim.snapshot import Snapshot

from .canvas import NetworkCanvas
from .plots import (PLOT_INTERVAL_SECONDS, Curve, Plot, legend_html, mini_batches,
                    plotted_series)
from .worker import TrainingWorker

if TYPE_CHECKING:
    from .window import MainWindow

A_COLOUR, B_COLOUR = "#0072B2", "#D55E00"
FORWARDED = ("play", "pause", "step", "epoch", "run", "reset", "speed")


class Comparison(QObject):
    """Owns run B: its worker, its canvas and the overlaid curves of A and B."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.worker: TrainingWorker | None = None
        self.snapshot: Snapshot | None = None
        self._seen = 0
        self._plotted_at = 0.0
        style = window.style_
        self.canvas = NetworkCanvas(style)
        self.canvas.setMinimumSize(300, 220)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.loss_plot = Plot("Loss: A and B", style, log_y=True)
        self.norm_plot = Plot("Gradient norm, all layers (log)", style, log_y=True)
        self.curves = {("loss", "A"): Curve(self.loss_plot, A_COLOUR, log=True),
                       ("loss", "B"): Curve(self.loss_plot, B_COLOUR, log=True),
                       ("grad_norm", "A"): Curve(self.norm_plot, A_COLOUR, log=True),
                       ("grad_norm", "B"): Curve(self.norm_plot, B_COLOUR, log=True)}
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.addWidget(self.title)
        layout.addWidget(self.canvas, 2)
        layout.addWidget(self.loss_plot, 2)
        layout.addWidget(self.norm_plot, 2)
        self.dock = QDockWidget("Side by side", window)
        self.dock.setObjectName("Side by side")
        self.dock.setWidget(panel)
        # It shares the left side with the controls (a tab): the plots keep their room.
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)
        window.tabifyDockWidget(window.controls_dock, self.dock)
        self.dock.hide()
        self.ask_path = self._ask_path  # tests replace this
        self.start_action = window.make_action("Compare with…", self.choose, "Ctrl+B",
                                               "Train a second configuration side by side "
                                               "with this one, on the same axes")
        self.stop_action = window.make_action("Stop comparing", self.stop, "Ctrl+Shift+B")

    @property
    def active(self) -> bool:
        return self.worker is not None

    @property
    def running(self) -> bool:
        """Whether run B is still training (it has not stopped by itself)."""
        return self.worker is not None and (self.snapshot is None
                                            or self.snapshot.stop_event is None)

    @Slot()
    def choose(self) -> None:
        path = self.ask_path()
        if path is None:
            return
        try:
            experiment = sim.load(path)
        except sim.ExperimentError as error:
            self.window.show_error(f"{path.name}: {error}")
            return
        self.start(experiment)

    def start(self, experiment: sim.Experiment) -> None:
        """Run ``experiment`` as B from its start; the window's run restarts too (same
        footing: both from step 0)."""
        self.stop()
        self.worker = TrainingWorker(experiment, self.window.gate.idle)
        self.worker.rebuilt.connect(self._rebuilt)
        self.worker.failed.connect(self._failed)
        self._seen = 0
        self.snapshot = None
        self.worker.start()
        self.window.reset()
        self._show_names(experiment)
        self.dock.show()
        self.dock.raise_()

    @Slot()
    def stop(self) -> None:
        if self.worker is not None:
            self.worker.shutdown()
            self.worker = None
        self.dock.hide()

    def send(self, command: str, *args: Any) -> None:
        """Pass on a command the window sent to its own run (only those both runs share)."""
        if self.worker is not None and command in FORWARDED:
            self.worker.send(command, *args)

    def frame(self, playing: bool) -> None:
        """Called every GUI frame: show B's newest snapshot and redraw the overlay."""
        if self.worker is None:
            return
        newest = self.worker.latest(self._seen)
        if newest is not None:
            self._seen, self.snapshot = newest
            self.canvas.set_snapshot(self.snapshot)
            if self.snapshot.stop_event is not None:
                self.window.stop_when_all_stopped()
        now = time.perf_counter()
        due = not playing or now - self._plotted_at >= PLOT_INTERVAL_SECONDS
        if newest is not None and due:
            self._plotted_at = now
            self._draw(self.window.snapshot, self.snapshot)

    def apply_style(self, style) -> None:
        self.canvas.set_style(style)
        self.loss_plot.apply_style(style)
        self.norm_plot.apply_style(style)

    def _draw(self, a: Snapshot | None, b: Snapshot | None) -> None:
        for (metric, run), curve in self.curves.items():
            snapshot = a if run == "A" else b
            curve.show(plotted_series(snapshot, metric, self.loss_plot.width()),
                       smooth=snapshot is not None and mini_batches(snapshot))

    def _show_names(self, b: sim.Experiment) -> None:
        a = self.window.experiment
        self.title.setText(legend_html([(A_COLOUR, f"A: {a.name} (the big canvas)"),
                                        (B_COLOUR, f"B: {b.name} (below)")],
                                       keep_together=False))

    @Slot(object)
    def _rebuilt(self, result: object) -> None:
        if isinstance(result, str):
            self.window.show_error(f"B: {result}")

    @Slot(str)
    def _failed(self, details: str) -> None:
        self.window.show_error("B stopped because of an internal error: " +
                               details.strip().splitlines()[-1])

    def _ask_path(self) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Compare with",
                                              str(sim.lessons.lesson_dir()),
                                              "Experiments (*.json)")
        return Path(path) if path else None

