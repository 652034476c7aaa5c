"""Run A on the health plots and the activation panel: each new snapshot to the health plots,
the snapshot on show (with the sample the canvas follows) to the activation panel, and the
layer of what is selected on the canvas to the activation panel. Both redraw on the window's
frame tick, only while on show."""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from sim.snapshot import Snapshot

from .activation_panel import ActivationPanel
from .canvas import NetworkCanvas, Selection
from .health_plots import HealthPlots
from .run import RunController


class HealthViews(QObject):
    """Connects the run controller and the canvas to the health plots and activation panel."""

    def __init__(self, run: RunController, canvas: NetworkCanvas, health: HealthPlots,
                 activations: ActivationPanel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas, self.health, self.activations = canvas, health, activations
        run.received.connect(health.set_snapshot)
        run.shown.connect(self._shown)
        canvas.selection_changed.connect(self._selection_changed)

    @Slot(object)
    def _shown(self, snapshot: Snapshot) -> None:
        self.activations.set_snapshot(snapshot, self.canvas.sample_row())

    @Slot(object)
    def _selection_changed(self, selection: Selection | None) -> None:
        if selection is not None:
            self.activations.choose_layer(selection.layer)

    def refresh(self) -> None:
        """One frame: each redraws a little, if on show and changed."""
        self.health.refresh_next()
        self.activations.refresh()
