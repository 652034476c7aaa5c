"""Run A on the window's views, and the views' requests back to the run.

The snapshot on show goes to the canvas, the inspector and the caption panel; each new one to
the plots; new side pictures to their panel. A click on the canvas selects what the inspector
explains, a double-click edits a weight, the captions choose the sample the canvas follows.
While paths are shown, the selected weight's paths for the followed sample go to the paths
panel and the canvas.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QInputDialog

from sim import explain, notation, paths
from sim.address import ParameterAddress
from sim.paths import LayerEdges
from sim.snapshot import Snapshot

from .canvas import NetworkCanvas, PathHighlight, Selection
from .inspector import Inspector
from .paths_panel import PathsPanel
from .phases import CaptionPanel
from .plots import PLOT_INTERVAL_SECONDS, LivePlots
from .quiz import Quiz
from .run import RunController
from .session import Views
from .views_panel import ViewsPanel

# While playing, the paths follow the newest snapshot at most every PATHS_INTERVAL_SECONDS,
# and never take more than PATHS_SHARE of the GUI thread's time: on the largest network (10
# hidden layers of 256) finding and listing one weight's paths takes about 50 ms.
PATHS_INTERVAL_SECONDS = 0.5
PATHS_SHARE = 0.1
NO_WEIGHT = ("Select a weight or a bias (click an edge) to see its gradient for the followed "
             "sample as a sum over the paths from it to the outputs.")


class RunViews(QObject):
    """Connects the run controller to the views that show run A."""

    def __init__(self, run: RunController, canvas: NetworkCanvas, inspector: Inspector,
                 captions: CaptionPanel, plots: LivePlots, pictures: ViewsPanel,
                 paths_panel: PathsPanel, quiz: Quiz, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.run, self.canvas, self.inspector = run, canvas, inspector
        self.quiz = quiz
        self.captions, self.plots, self.pictures = captions, plots, pictures
        self.paths_panel = paths_panel
        self.paths_shown = False  # the user chose Show paths
        self._plotted_at = 0.0  # when the plots last took a snapshot
        # What the paths were last found for: (snapshot, address, batch row), and when.
        self._paths_for: tuple[Snapshot, ParameterAddress, int] | None = None
        self._paths_at = 0.0
        self._paths_cost = 0.0  # seconds the last paths took to find and show
        run.shown.connect(self._display)
        run.received.connect(self._plot)
        run.views_received.connect(self._show_pictures)
        run.walking_changed.connect(self._walking_changed)
        run.loading.connect(self._forget_selection)
        canvas.selection_changed.connect(self._selection_changed)
        canvas.edit_requested.connect(self._edit_weight)
        captions.sample_changed.connect(self._follow_sample)
        pictures.wanted_changed.connect(run.set_views)
        paths_panel.path_chosen.connect(self._path_chosen)
        run.playing_changed.connect(self._playing_changed)
        quiz.release.connect(self._released)

    @Slot(object)
    def _display(self, snapshot: Snapshot) -> None:
        """Show one snapshot on the canvas, the inspector and the caption panel (unless the
        quiz holds it back behind a question: then only the caption panel names its phase)."""
        if self.quiz.holds(snapshot, self.captions.followed()):
            self.captions.show_question(snapshot)
            return
        self.canvas.set_snapshot(snapshot)
        self.pictures.data_panel.set_run_ended(snapshot.stop_event is not None)
        self.inspector.update_view(snapshot, self.canvas.selection, self.canvas.sample_row())
        if self.run.playing:
            self.captions.show_training(snapshot)
        else:
            self.captions.show_snapshot(snapshot, self.run.walking, self.quiz.marked_in(snapshot))
        self._show_paths(snapshot, wait=self.run.playing)

    @Slot(object)
    def _released(self, snapshot: Snapshot) -> None:
        """A quiz question answered, skipped or withdrawn: show its phase; the keys go back
        to the window (Step phase, Step back), not to the answer's box."""
        self._display(snapshot)
        self.canvas.setFocus()

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
        self.pictures.show_views(shown.data, shown.landscape, shown.problem)

    @Slot(bool)
    def _walking_changed(self, walking: bool) -> None:
        self.canvas.set_phase_view(walking)
        if self.run.playing:
            self.captions.show_training(self.run.snapshot)
        elif self.run.snapshot is not None:
            self.captions.show_snapshot(self.run.snapshot, walking)

    @Slot()
    def _forget_selection(self) -> None:
        """A new experiment: nothing selected, and the followed sample chosen afresh."""
        self.canvas.select(None)
        self.captions.follow_automatically()

    @Slot(object)
    def _selection_changed(self, selection: Selection | None) -> None:
        shown = self.canvas.snapshot  # not a phase the quiz holds back
        self.inspector.update_view(shown, selection, self.canvas.sample_row())
        self.pictures.set_selected(None if selection is None else selection.address)
        self._show_paths(shown)

    @Slot(object)
    def _edit_weight(self, item: Selection) -> None:
        snapshot, address = self.run.snapshot, item.address
        if snapshot is None or address is None:
            return
        current = address.value_in(snapshot.layers)
        kind = "bias" if address.is_bias else "weight"
        value, ok = QInputDialog.getDouble(self.canvas.window(), f"Edit {kind}",
                                           notation.rich(f"New value of {address.describe()}:"),
                                           current, -1e6, 1e6, 6)
        if ok:
            self.run.edit(address, value)

    @Slot(object)
    def _follow_sample(self, sample: int | None) -> None:
        self.canvas.set_sample(sample)
        if self.run.snapshot is not None:
            self._display(self.run.snapshot)

    # ------------------------------------------------------------------ the sum over paths

    def set_paths_shown(self, shown: bool) -> None:
        """Show (or stop showing) the selected weight's paths on the canvas and the panel."""
        self.paths_shown = shown
        self._paths_for = None
        if shown:
            self._show_paths(self.run.snapshot)
        else:
            self.canvas.set_paths(None)

    @Slot(bool)
    def _playing_changed(self, playing: bool) -> None:
        """Playing, the captions say so; paused, they caption the step on show again (the
        last one may have come before the pause), and the paths follow it."""
        snapshot = self.run.snapshot
        if playing:
            self.captions.show_training(snapshot)
        elif snapshot is not None and self.captions.training_shown:
            self.captions.show_snapshot(snapshot, self.run.walking,
                                        self.quiz.marked_in(snapshot))
        if not playing and snapshot is not None:  # the last one shown may be skipped
            self._show_paths(snapshot)

    def _show_paths(self, snapshot: Snapshot | None, wait: bool = False) -> None:
        """The paths of the selected weight in ``snapshot`` for the followed sample; with
        ``wait`` (while playing), not again before PATHS_INTERVAL_SECONDS have passed, nor
        before the last paths' cost is PATHS_SHARE of the time since."""
        if not self.paths_shown:
            return
        selection = self.canvas.selection
        address = None if selection is None else selection.address
        if snapshot is None or address is None:
            self._paths_for = None
            self.canvas.set_paths(None)
            self.paths_panel.show_message(NO_WEIGHT)
            return
        row = self.canvas.sample_row() or 0
        last = self._paths_for
        if last is not None and last[0] is snapshot and last[1:] == (address, row):
            return
        now = time.perf_counter()
        if wait and now - self._paths_at < max(PATHS_INTERVAL_SECONDS,
                                               self._paths_cost / PATHS_SHARE):
            return
        self._paths_for, self._paths_at = (snapshot, address, row), now
        self._list_paths(snapshot, address, row)
        self._paths_cost = time.perf_counter() - now

    def _list_paths(self, snapshot: Snapshot, address: ParameterAddress, row: int) -> None:
        """Find the paths (sim.paths) and show them on the canvas and in the panel."""
        every = paths.edges_of_every_path(snapshot.layers, address)
        try:
            found = paths.snapshot_paths(snapshot, address, row)
        except paths.CoupledSamples as problem:  # batch normalisation: no per-sample paths
            self.canvas.set_paths(PathHighlight(every))
            self.paths_panel.show_message(f"No paths to list: {problem}.")
            return
        except ValueError:  # the backward phase has not reached the weight's layer yet
            self.canvas.set_paths(PathHighlight(every))
            name = notation.gradient(notation.parameter(*address))
            self.paths_panel.show_message(
                f"Training diverged before the backward phase reached layer {address.layer}: "
                f"the paths of {name} (drawn on the network) have no numbers in this pass."
                if snapshot.diverged else
                f"The backward phase has not reached layer {address.layer} yet: the paths of "
                f"{name} (drawn on the network) get their numbers when it does. Step phase (→) "
                f"to go on.")
            return
        _, instead = explain.followed_row(snapshot, self.canvas.sample)  # a note, or ""
        # After a whole step its weights have moved on: the factors are the pass's own.
        before = ", with the weights before its update" if snapshot.pass_updated else ""
        sample = f"sample {found.sample + 1} {instead}".rstrip() + \
            f", step {snapshot.pass_step}'s pass{before}"
        share = "for this sample" if snapshot.batch_size == 1 else \
            f"for this sample (its share of the batch of {snapshot.batch_size})"
        self.paths_panel.show_paths(found, sample, share)
        listed = paths.edges_of(found.paths, snapshot.layers, address)
        self.canvas.set_paths(PathHighlight(every, listed, self._chosen_edges()))

    @Slot(object)
    def _path_chosen(self, rank: int | None) -> None:
        shown = self.canvas.paths
        if shown is not None and shown.listed is not None:
            self.canvas.set_paths(PathHighlight(shown.every, shown.listed,
                                                self._chosen_edges()))

    def _chosen_edges(self) -> dict[int, LayerEdges] | None:
        """The edges of the path picked in the panel's list (None: no path picked)."""
        panel, snapshot = self.paths_panel, self.run.snapshot
        rank, found = panel.chosen(), panel.path_sum
        if rank is None or found is None or snapshot is None:
            return None
        return paths.edges_of([found.paths[rank]], snapshot.layers, found.address)
