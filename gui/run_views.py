"""Run A on the window's views, and the views' requests back to the run.

The snapshot on show goes to the canvas, the inspector and the caption panel; each new one to
the plots; new side pictures to their panel. A click on the canvas selects what the inspector
explains, a double-click edits a weight, the captions choose the sample the canvas follows.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QInputDialog

from sim.snapshot import Snapshot

from .canvas import NetworkCanvas, Selection, parameter_name
from .inspector import Inspector
from .phases import CaptionPanel
from .plots import PLOT_INTERVAL_SECONDS, LivePlots
from .run import RunController
from .session import Views
from .views_panel import ViewsPanel


class RunViews(QObject):
    """Connects the run controller to the views that show run A."""

    def __init__(self, run: RunController, canvas: NetworkCanvas, inspector: Inspector,
                 captions: CaptionPanel, plots: LivePlots, pictures: ViewsPanel,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.run, self.canvas, self.inspector = run, canvas, inspector
        self.captions, self.plots, self.pictures = captions, plots, pictures
        self._plotted_at = 0.0  # when the plots last took a snapshot
        run.shown.connect(self._display)
        run.received.connect(self._plot)
        run.views_received.connect(self._show_pictures)
        run.walking_changed.connect(self._walking_changed)
        run.loading.connect(self._forget_selection)
        canvas.selection_changed.connect(self._selection_changed)
        canvas.edit_requested.connect(self._edit_weight)
        captions.sample_changed.connect(self._follow_sample)
        pictures.wanted_changed.connect(run.set_views)

    @Slot(object)
    def _display(self, snapshot: Snapshot) -> None:
        """Show one snapshot on the canvas, the inspector and the caption panel."""
        self.canvas.set_snapshot(snapshot)
        self.inspector.update_view(snapshot, self.canvas.selection, self.canvas.sample_row())
        if self.run.walking or not self.run.playing:
            self.captions.show_snapshot(snapshot, self.run.walking)

    @Slot(object)
    def _plot(self, snapshot: Snapshot) -> None:
        """A new snapshot: paused, the plots redraw at once; playing, they take one every
        PLOT_INTERVAL_SECONDS and redraw one plot per frame."""
        now = time.perf_counter()
        if not self.run.playing:
            self.plots.set_snapshot(snapshot)
            self.plots.refresh_all()
        elif now - self._plotted_at >= PLOT_INTERVAL_SECONDS:
            self.plots.set_snapshot(snapshot)
            self._plotted_at = now

    @Slot(object)
    def _show_pictures(self, shown: Views) -> None:
        snapshot = self.run.snapshot
        inputs = snapshot.layers[0].fan_in if snapshot else 0
        self.pictures.show_views(shown.boundary, shown.landscape, shown.problem, inputs)

    @Slot(bool)
    def _walking_changed(self, walking: bool) -> None:
        self.canvas.set_phase_view(walking)
        if self.run.snapshot is not None:
            self.captions.show_snapshot(self.run.snapshot, walking)

    @Slot()
    def _forget_selection(self) -> None:
        self.canvas.select(None)

    @Slot(object)
    def _selection_changed(self, selection: Selection | None) -> None:
        self.inspector.update_view(self.run.snapshot, selection, self.canvas.sample_row())
        self.pictures.set_selected(None if selection is None else selection.address)

    @Slot(object)
    def _edit_weight(self, item: Selection) -> None:
        snapshot, address = self.run.snapshot, item.address
        if snapshot is None or address is None:
            return
        current = address.value_in(snapshot.layers)
        value, ok = QInputDialog.getDouble(self.canvas.window(), "Edit weight",
                                           f"New value of {parameter_name(address)} in layer "
                                           f"{item.layer}:",
                                           current, -1e6, 1e6, 6)
        if ok:
            self.run.edit(address, value)

    @Slot(int)
    def _follow_sample(self, sample: int) -> None:
        self.canvas.set_sample(sample)
        if self.run.snapshot is not None:
            self._display(self.run.snapshot)
