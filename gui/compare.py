"""Side by side: a second configuration trained together with the window's, curves overlaid.

The second run (B) has its own worker (kept by `gui.run.RunController`, which sends it every
command run A gets that both share: play, pause, step, reset, speed, epochs, so that the two
move together) and its own small canvas here; the loss and gradient-norm curves of both are
drawn on the same axes. This is how a lesson shows in one glance that momentum beats plain
descent, or that clipping saves a run that explodes.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QFileDialog, QLabel, QVBoxLayout, QWidget

import sim
from sim import lessons
from sim.snapshot import Snapshot

from .canvas import NetworkCanvas
from .plots import PLOT_INTERVAL_SECONDS, Curve, Plot, legend_html, mini_batches, plotted_series
from .run import RunController
from .style import RUN_A_COLOUR, RUN_B_COLOUR, Style


class Comparison(QObject):
    """The side-by-side panel: run B's canvas and the overlaid curves of A and B. The runs
    themselves belong to the run controller."""

    def __init__(self, run: RunController, style: Style, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.run = run
        self._plotted_at = 0.0
        self.canvas = NetworkCanvas(style)
        self.canvas.setMinimumSize(300, 220)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.loss_plot = Plot("Loss: A and B", style, log_y=True)
        self.norm_plot = Plot("Gradient norm, all layers (log)", style, log_y=True)
        self.curves = {("loss", "A"): Curve(self.loss_plot, RUN_A_COLOUR, log=True),
                       ("loss", "B"): Curve(self.loss_plot, RUN_B_COLOUR, log=True),
                       ("grad_norm", "A"): Curve(self.norm_plot, RUN_A_COLOUR, log=True),
                       ("grad_norm", "B"): Curve(self.norm_plot, RUN_B_COLOUR, log=True)}
        self.panel = QWidget()
        layout = QVBoxLayout(self.panel)
        layout.addWidget(self.title)
        layout.addWidget(self.canvas, 2)
        layout.addWidget(self.loss_plot, 2)
        layout.addWidget(self.norm_plot, 2)
        self.ask_path = self._ask_path  # tests replace this
        run.comparison_started.connect(self._show_names)
        run.compared.connect(self._show_b)

    @Slot()
    def choose(self) -> None:
        """Ask for a file and run it as B (a broken file changes nothing and says why)."""
        path = self.ask_path()
        if path is not None:
            self.run.compare_with(path)

    @Slot(object)
    def _show_b(self, b: Snapshot) -> None:
        """B's newest snapshot, and the overlay redrawn (while playing, every
        PLOT_INTERVAL_SECONDS)."""
        self.canvas.set_snapshot(b)
        now = time.perf_counter()
        if not self.run.playing or now - self._plotted_at >= PLOT_INTERVAL_SECONDS:
            self._plotted_at = now
            self._draw(self.run.snapshot, b)

    def apply_style(self, style: Style) -> None:
        # B's canvas is small beside A's: in presentation mode its type and margins would
        # leave no room for the network.
        self.canvas.set_style(dataclasses.replace(style, scale=max(1.0, style.scale * 0.6),
                                                  presenting=False))
        self.loss_plot.apply_style(style)
        self.norm_plot.apply_style(style)

    def _draw(self, a: Snapshot | None, b: Snapshot | None) -> None:
        for (metric, run), curve in self.curves.items():
            snapshot = a if run == "A" else b
            curve.show(plotted_series(snapshot, metric, self.loss_plot.width()),
                       smooth=snapshot is not None and mini_batches(snapshot))

    @Slot(object, object)
    def _show_names(self, a: sim.Experiment, b: sim.Experiment) -> None:
        self.title.setText(legend_html([(RUN_A_COLOUR, f"A: {a.name} (the big canvas)"),
                                        (RUN_B_COLOUR, f"B: {b.name} (below)")],
                                       keep_together=False))

    def _ask_path(self) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(self.panel.window(), "Compare with",
                                              str(lessons.lesson_dir()),
                                              "Experiments (*.json)")
        return Path(path) if path else None
