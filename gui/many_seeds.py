"""The Many seeds view: the experiment trained from many seeds at once, as the loss curves of
every run (faint: blue for the runs that got below the target loss, vermillion for those that
never did) with their median in bold, a histogram of the steps each run took to get below the
target, and the fraction that never did. A click on a curve opens that seed as a normal
experiment.

The runs are trained by `sim.sweep` in the training process (`gui.commands.SweepSeeds`), never
on the GUI thread; `sim.many_seeds` computes every number drawn here.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

import sim
from sim.lesson_view import MAX_VIEW_SEEDS, MAX_VIEW_STEPS, ManySeedsSpec
from sim.many_seeds import ManySeeds

from .plots import Plot
from .run import RunController
from .style import BLUE, VERMILLION, Style

FAINT_ALPHA = 80  # a run's curve: many overlap, and the median must stand out
CHOSEN_WIDTH = 3.0  # the curve of the seed last opened
MIN_PLOT_HEIGHT = 70  # pixels at the desk, times the scale


class ManySeedsPanel(QWidget):
    """The plots, the caption and the settings of the Many seeds view (it only draws)."""

    run_requested = Signal(object)  # a ManySeedsSpec: train these seeds again
    seed_chosen = Signal(int)  # a click on a run's curve: open this seed

    def __init__(self, style: Style, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.style_ = style
        self.result: ManySeeds | None = None
        self.chosen_seed: int | None = None
        self.caption = QLabel("Many seeds: the experiment trained from many seeds at once.")
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.curves = Plot("Loss of every run; bold: the median", style, log_y=True)
        self.curves.setLabel("left", "loss")
        self.curves.getAxis("left").enableAutoSIPrefix(False)
        self.histogram = Plot("Steps to reach the target loss", style, log_y=False)
        self.histogram.setLabel("bottom", "step (the bar on the right: never)")
        self.histogram.setLabel("left", "runs")
        self.histogram.setMouseEnabled(x=False, y=False)
        self.learnt_curves = self.curves.plot(connect="finite")
        self.never_curves = self.curves.plot(connect="finite")
        self.median_curve = self.curves.plot()
        self.chosen_curve = self.curves.plot()
        # The target loss, named on the line; shown only with runs drawn against it (before,
        # pyqtgraph's line at 0 stood at a loss of 1 on the log axis, whatever the target).
        self.target_line = pg.InfiniteLine(angle=0, movable=False, label="target",
                                           labelOpts={"position": 0.98, "anchors":
                                                      [(1.0, 1.0), (1.0, 1.0)]})
        self.target_line.setVisible(False)
        self.curves.addItem(self.target_line)
        self.bars = pg.BarGraphItem(x=[], height=[], width=1.0)
        self.never_bar = pg.BarGraphItem(x=[], height=[], width=1.0)
        for item in (self.bars, self.never_bar):
            self.histogram.addItem(item)
        self.curves.scene().sigMouseClicked.connect(self._clicked)
        self.seeds = QSpinBox(minimum=2, maximum=MAX_VIEW_SEEDS)
        self.steps = QSpinBox(minimum=1, maximum=MAX_VIEW_STEPS, singleStep=100)
        self.target = QDoubleSpinBox(decimals=6, minimum=1e-6, maximum=1e6, singleStep=0.01)
        self.run_button = QPushButton("Run the seeds")
        self.run_button.clicked.connect(lambda: self.run_requested.emit(self.spec()))
        self._lay_out()
        self.set_spec(ManySeedsSpec())
        self.apply_style(style)

    def _lay_out(self) -> None:
        settings = QGridLayout()  # two rows: the dock beside the canvas is narrow
        for row, column, text, box in ((0, 0, "Seeds", self.seeds), (0, 2, "Steps", self.steps),
                                       (1, 0, "Target loss", self.target)):
            label = QLabel(text)
            label.setBuddy(box)
            settings.addWidget(label, row, column)
            settings.addWidget(box, row, column + 1)
        settings.addWidget(self.run_button, 1, 2, 1, 2)
        settings.setColumnStretch(4, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addWidget(self.curves, 3)
        layout.addWidget(self.histogram, 2)
        layout.addLayout(settings)

    # ------------------------------------------------------------------ settings

    def spec(self) -> ManySeedsSpec:
        """The seeds, steps and target loss as set."""
        return ManySeedsSpec(self.seeds.value(), self.steps.value(), self.target.value())

    def set_spec(self, spec: ManySeedsSpec) -> None:
        self.seeds.setValue(spec.seeds)
        self.steps.setValue(spec.steps)
        self.target.setValue(spec.target_loss)

    # ------------------------------------------------------------------ what it shows

    def show_waiting(self, spec: ManySeedsSpec, first_seed: int) -> None:
        self.caption.setText(f"Training {spec.seeds} seeds ({first_seed} to "
                             f"{first_seed + spec.seeds - 1}) for up to {spec.steps} steps "
                             f"each, all at once ...")
        self.run_button.setEnabled(False)

    def show_stale(self, name: str) -> None:
        """The runs on show (if any) are not of the experiment now open, ``name``."""
        self.result = None
        self.caption.setText(f"Press \u201cRun the seeds\u201d to train {name} from "
                             f"{self.seeds.value()} seeds at once.")
        self.run_button.setEnabled(True)
        self._draw()

    def show_problem(self, problem: str) -> None:
        """Why these seeds cannot be trained at once (one line); the plots are emptied."""
        self.result = None
        self.caption.setText(f"Many seeds cannot train this experiment: {problem}")
        self.run_button.setEnabled(True)
        self._draw()

    def show_result(self, result: ManySeeds) -> None:
        self.result = result
        self.caption.setText(result.summary() + " Click a curve to open that seed.")
        self.run_button.setEnabled(True)
        self._draw()

    def choose_seed(self, seed: int | None) -> None:
        """Draw this seed's curve bold over the others (None: none)."""
        self.chosen_seed = seed
        self._draw_chosen()

    def _draw(self) -> None:
        result = self.result
        empty = result is None or result.curves.shape[1] == 0
        self.histogram.title = "Steps to reach the target loss" if result is None else \
            f"Steps to a loss below {result.spec.target_loss:g}"
        self.curves.show_waiting(empty)
        self.histogram.show_waiting(empty)
        self.target_line.setVisible(not empty)
        if result is None or empty:
            for curve in (self.learnt_curves, self.never_curves, self.median_curve,
                          self.chosen_curve):
                curve.setData([], [])
            self.bars.setOpts(x=[], height=[])
            self.never_bar.setOpts(x=[], height=[])
            return
        never = result.steps_to_target == 0
        for curve, rows in ((self.learnt_curves, ~never), (self.never_curves, never)):
            curve.setData(*_joined(result.curves[rows]))
        steps = np.arange(1, result.median.size + 1)
        self.median_curve.setData(steps, result.median)
        target = result.spec.target_loss
        self.target_line.setValue(math.log10(target))
        self.target_line.label.setFormat(f"target {target:g}")
        # At least a decade either side of the target: runs that all sit on one loss would
        # otherwise fill the axis with the ticks of a sliver of a decade.
        low, high = _loss_range(result.curves, target)
        self.curves.enableAutoRange(enable=False)
        self.curves.setXRange(0.0, result.spec.steps, padding=0.02)
        self.curves.setYRange(math.log10(low), math.log10(high), padding=0.02)
        edges = result.bin_edges
        width = float(edges[1] - edges[0])
        self.bars.setOpts(x=(edges[:-1] + edges[1:]) / 2.0, height=result.bin_counts,
                           width=0.9 * width)
        place = float(edges[-1]) + width
        self.never_bar.setOpts(x=[place], height=[result.never], width=0.9 * width)
        self.histogram.setXRange(0.0, place + width, padding=0.02)
        self.histogram.setYRange(0.0, max(1, int(result.bin_counts.max(initial=0)),
                                          result.never) * 1.1, padding=0)
        self._draw_chosen()

    def _draw_chosen(self) -> None:
        result = self.result
        if result is None or self.chosen_seed not in result.seeds:
            self.chosen_curve.setData([], [])
            return
        row = result.seeds.index(self.chosen_seed)
        self.chosen_curve.setData(np.arange(1, result.curves.shape[1] + 1), result.curves[row],
                             connect="finite")

    def apply_style(self, style: Style) -> None:
        self.style_ = style
        for plot in (self.curves, self.histogram):
            plot.apply_style(style)
            # Lower than a live plot may be: the dock is a tab among the plots', and its
            # smallest height would be theirs (on a slide it takes most of the column).
            plot.setMinimumHeight(round(MIN_PLOT_HEIGHT * style.scale))
        self.caption.setFont(style.font())
        width = style.line_width
        self.learnt_curves.setPen(pg.mkPen(_faint(BLUE), width=width))
        self.never_curves.setPen(pg.mkPen(_faint(VERMILLION), width=width))
        self.median_curve.setPen(pg.mkPen(style.foreground, width=3.0 * width))
        self.chosen_curve.setPen(pg.mkPen(style.accent, width=CHOSEN_WIDTH * width))
        self.target_line.setPen(pg.mkPen(style.muted, width=width, style=Qt.PenStyle.DashLine))
        self.target_line.label.setFont(style.small_font)
        self.target_line.label.setColor(style.foreground)
        self.bars.setOpts(brush=pg.mkBrush(BLUE), pen=pg.mkPen(style.background))
        self.never_bar.setOpts(brush=pg.mkBrush(VERMILLION), pen=pg.mkPen(style.background))

    # ------------------------------------------------------------------ clicks

    @Slot(object)
    def _clicked(self, event: object) -> None:
        result = self.result
        view = self.curves.getPlotItem().getViewBox()
        position = event.scenePos()  # type: ignore[attr-defined]
        if result is None or not view.sceneBoundingRect().contains(position):
            return
        point = view.mapSceneToView(position)
        row = result.run_nearest(point.x(), 10.0 ** point.y())
        if row is not None:
            self.choose_seed(result.seeds[row])
            self.seed_chosen.emit(result.seeds[row])


def _faint(colour: str) -> QColor:
    faint = QColor(colour)
    faint.setAlpha(FAINT_ALPHA)
    return faint


def _loss_range(curves: np.ndarray, target: float) -> tuple[float, float]:
    """The losses to show: every run's, the target's, and a decade above and below."""
    finite = curves[np.isfinite(curves)]
    low = min(target, float(finite.min())) if finite.size else target
    high = max(target, float(finite.max())) if finite.size else target
    return low / 10.0, high * 10.0


def _joined(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Many curves as one line broken by NaN between them (one item draws them all)."""
    runs, steps = curves.shape
    x = np.tile(np.append(np.arange(1.0, steps + 1.0), math.nan), runs)
    y = np.hstack([curves, np.full((runs, 1), math.nan)]).ravel()
    return x, y


class ManySeedsView(QObject):
    """Connects run A to the Many seeds panel: asks A's training process for the runs when a
    lesson about many seeds opens, when the panel comes to the front with no runs of the
    experiment open, and when the panel asks; opens a clicked seed as a normal experiment."""

    def __init__(self, run: RunController, panel: ManySeedsPanel,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.run, self.panel = run, panel
        self.on_screen = False
        self.token = 0  # names the latest request; an older answer is dropped
        self.swept: sim.Experiment | None = None  # what the runs on show (or asked for) train
        self._stale = True  # the runs on show are not of the experiment now open
        run.loaded.connect(self._loaded)
        run.swept.connect(self._swept)
        run.sweep_failed.connect(self._failed)
        panel.run_requested.connect(self._run_requested)
        panel.seed_chosen.connect(self._open_seed)
        experiment = run.experiment
        if experiment.view.many_seeds is not None:
            panel.set_spec(experiment.view.many_seeds)

    def set_on_screen(self, on_screen: bool) -> None:
        """The panel is on show (its dock in front): runs not yet trained for the experiment
        now open are asked for, as the user came to look at them."""
        if on_screen and not self.on_screen and self._stale:
            self.request()
        self.on_screen = on_screen

    def request(self) -> int:
        """Ask for the runs of the experiment now open, as the panel's settings say."""
        spec = self.panel.spec()
        self.token += 1
        experiment = self.run.experiment.replace(state=None)
        if self.swept is not None and self._is_swept_seed(experiment):
            experiment = experiment.replace(seed=self.swept.seed)  # the same seeds again
        self.swept = experiment
        self._stale = False
        self.panel.show_waiting(spec, self.swept.seed)
        return self.run.sweep_seeds(self.swept, spec, self.token)

    @Slot(object, object)
    def _loaded(self, experiment: sim.Experiment, source: object) -> None:
        """A lesson about many seeds trains them at once; for any other experiment the panel
        waits to be asked (a sweep of a large network takes a while, and shares the training
        process's time with training)."""
        if self._is_swept_seed(experiment):
            self.panel.choose_seed(experiment.seed)  # a run opened from the view itself
            return
        self.panel.choose_seed(None)
        self._stale = True
        if experiment.view.many_seeds is not None:
            self.panel.set_spec(experiment.view.many_seeds)
            self.request()
        else:
            self.panel.show_stale(experiment.name)

    def _is_swept_seed(self, experiment: sim.Experiment) -> bool:
        """Whether ``experiment`` is one of the runs on show (the same but for its seed)."""
        swept, result = self.swept, self.panel.result
        return swept is not None and result is not None and experiment.seed in result.seeds \
            and experiment.replace(seed=swept.seed, state=None) == swept

    @Slot(int, object)
    def _swept(self, token: int, result: ManySeeds) -> None:
        if token == self.token:
            self.panel.show_result(result)

    @Slot(int, str)
    def _failed(self, token: int, problem: str) -> None:
        if token == self.token:
            self.panel.show_problem(problem)

    @Slot(object)
    def _run_requested(self, spec: ManySeedsSpec) -> None:
        self.request()

    @Slot(int)
    def _open_seed(self, seed: int) -> None:
        """Open the run of ``seed`` as a normal experiment: the one on show, that seed."""
        if self.swept is not None:
            self.run.load(self.swept.replace(seed=seed))
