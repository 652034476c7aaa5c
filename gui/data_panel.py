"""The data and the network's fit, as the worker computes them (sim.views.data_view).

One input: every sample (training, validation and test marked apart) with the network's output
curve over the input's range. Two inputs: the decision boundary, the samples coloured by their
targets. More than two: each sample's output against its target (bars for a few samples), or
a slice of the output over two chosen inputs with the others at their training means. The
test set's loss and accuracy are shown when asked for, or when the run has ended.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QPen, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sim import notation
from sim.held_out import WHY_ONCE
from sim.views import SPLITS, BoundaryView, CurveView, DataView, PredictionView, SplitPoints

from .plots import Plot, legend_html
from .style import (
    FIT_COLOUR,
    POINT_EDGE_COLOUR,
    TEST_COLOUR,
    TRAIN_COLOUR,
    VALIDATION_COLOUR,
    Style,
    layer_colour,
)

PLANE_STRENGTH = 0.55  # how much of its colour the boundary's plane keeps
SPLIT_COLOURS = dict(zip(SPLITS, (TRAIN_COLOUR, VALIDATION_COLOUR, TEST_COLOUR), strict=True))
SPLIT_SYMBOLS = dict(zip(SPLITS, ("o", "s", "d"), strict=True))
SPLIT_SIZES = dict(zip(SPLITS, (9, 10, 13), strict=True))
SHAPE_NAMES = dict(zip(SPLITS, ("circles", "squares", "diamonds"), strict=True))
MAX_BARS = 24  # up to this many (sample, output) pairs, outputs and targets are drawn as bars
MAX_CLASS_VALUES = 10  # targets taking at most this many values are spread sideways
OUTPUTS_AGAINST_TARGETS, SLICE = 0, 1
# A panel wider than this many times its height holds its choices and key beside the plot
# (a lecture slide's side column at 1280x720 left a plot 60 pixels high under them); the plot
# then takes about its height in width, at most this many per cent of the panel's width.
WIDE_PANEL = 1.3
WIDE_PLOT_SHARE = 60
UNLIMITED = (1 << 24) - 1  # Qt's QWIDGETSIZE_MAX: no largest size


class DataPanel(QWidget):
    """The data tab of the side pictures; the window feeds it the worker's data views."""

    slice_changed = Signal()  # the choice of picture or of a slice's inputs changed

    def __init__(self, style: Style, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view: DataView | None = None
        self.run_ended = False
        self.test_asked = False  # the user asked to see the test set's result
        self.plot = Plot("Data and fit", style, log_y=False, steps=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.diagonal = self.plot.plot(pen=pg.mkPen(POINT_EDGE_COLOUR, width=1.5,
                                                    style=Qt.PenStyle.DashLine))
        self.fits: list[pg.PlotDataItem] = []
        # Unseen: what of the fit the axes make room for (the data's range and a margin).
        self.fit_room = pg.PlotCurveItem(pen=pg.mkPen(QColor(0, 0, 0, 0)))
        self.plot.addItem(self.fit_room)
        self.target_bars = pg.BarGraphItem(x=[], height=[], width=0.4)
        self.output_bars = pg.BarGraphItem(x=[], height=[], width=0.4)
        self.plot.addItem(self.target_bars)
        self.plot.addItem(self.output_bars)
        self.points = {name: pg.ScatterPlotItem(size=SPLIT_SIZES[name],
                                                symbol=SPLIT_SYMBOLS[name])
                       for name in SPLITS}
        for item in self.points.values():
            self.plot.addItem(item)
        self._points_shown: dict[str, tuple[np.ndarray, ...]] = {}  # what each scatter shows
        self._points_drawn: set[str] = set()
        self._build_controls()
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.RichText)
        self.test_label = QLabel()
        self.test_label.setWordWrap(True)
        self.test_button.setVisible(False)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_label, 1)
        test_row.addWidget(self.test_button)
        # The choices above the plot and the key under it; in a wide, low panel (the side
        # column of a lecture slide) both beside it, so that the plot has the panel's height.
        self.choices_box, self.key_box = QWidget(), QWidget()
        self.choices_box.setLayout(self.controls)
        key = QVBoxLayout(self.key_box)
        key.setContentsMargins(0, 0, 0, 0)
        key.addWidget(self.note)
        key.addLayout(test_row)
        key.addStretch(1)
        self.grid = QGridLayout(self)
        self.wide = False
        self._arrange(wide=False)

    def _build_controls(self) -> None:
        self.equal_aspect = QCheckBox("Equal aspect")
        self.equal_aspect.setToolTip("One unit the same length on both axes")
        # On by default where both axes share a unit (two inputs, a target and an output): a
        # circle in the input plane looks like one, a slope of 2 looks steep. An input
        # against an output (one input) shares none, and is never locked.
        self.equal_aspect.setChecked(True)
        self.plot.setAspectLocked(True, 1.0)
        self.equal_aspect.toggled.connect(self._set_aspect)
        self.discrete = QCheckBox("Classes only")
        self.discrete.setToolTip("Colour the plane by the class the network decides, without "
                                 "shades of confidence")
        self.discrete.toggled.connect(self._redraw)
        self.picture = QComboBox()
        self.picture.addItems(["outputs against targets", "slice over two inputs"])
        self.picture.currentIndexChanged.connect(self._picture_changed)
        self.first_input, self.second_input = QComboBox(), QComboBox()
        for box in (self.first_input, self.second_input):
            box.currentIndexChanged.connect(self._slice_inputs_changed)
        self.test_button = QPushButton("Look at the test set")
        self.test_button.setToolTip(WHY_ONCE)
        self.test_button.clicked.connect(self.show_test_result)
        # Two short rows, the widgets a picture does not use hidden until it does: the panel
        # shares its dock with the controls and must stay narrow.
        choices, options = QHBoxLayout(), QHBoxLayout()
        for combo in (self.picture, self.first_input, self.second_input):
            choices.addWidget(combo)
            combo.setVisible(False)
        choices.addStretch(1)
        for check in (self.equal_aspect, self.discrete):
            options.addWidget(check)
        self.discrete.setVisible(False)
        options.addStretch(1)
        for box in (self.first_input, self.second_input):
            box.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(6)
        self.options = options  # beside the plot, one above the other
        self.controls = QVBoxLayout()
        self.controls.setContentsMargins(0, 0, 0, 0)
        self.controls.addLayout(choices)
        self.controls.addLayout(options)

    def apply_style(self, style: Style) -> None:
        self.plot.apply_style(style)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        width, height = event.size().width(), event.size().height()
        wide = width > WIDE_PANEL * height
        if wide != self.wide:
            self._arrange(wide)
        if wide:  # the plot about as wide as high: an equal-aspect plane is square
            side = max(width - height, width * (100 - WIDE_PLOT_SHARE) // 100)
            for box in (self.choices_box, self.key_box):
                box.setMaximumWidth(side)

    def _arrange(self, wide: bool) -> None:
        """The choices and the key above and under the plot, or (``wide``) beside it."""
        self.wide = wide
        grid = self.grid
        for widget in (self.choices_box, self.plot, self.key_box):
            grid.removeWidget(widget)
        self.options.setDirection(QBoxLayout.Direction.TopToBottom if wide else
                                  QBoxLayout.Direction.LeftToRight)
        if wide:  # resizeEvent sets the side column's width
            grid.addWidget(self.plot, 0, 0, 2, 1)
            grid.addWidget(self.choices_box, 0, 1)
            grid.addWidget(self.key_box, 1, 1)
        else:
            for box in (self.choices_box, self.key_box):
                box.setMaximumWidth(UNLIMITED)
            grid.addWidget(self.choices_box, 0, 0)
            grid.addWidget(self.plot, 1, 0)
            grid.addWidget(self.key_box, 2, 0)
        grid.setRowStretch(1, 1)  # the plot's row (wide: the key's, the plot spans both)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 0)

    # ------------------------------------------------------------------ choices

    def slice_inputs(self) -> tuple[int, int]:
        """The two inputs (from 0) a slice spans: the ones chosen, else the first two."""
        first, second = self.first_input.currentIndex(), self.second_input.currentIndex()
        return (first, second) if 0 <= first != second >= 0 else (0, 1)

    def forget(self) -> None:
        """A new experiment: its test set has not been looked at, its inputs are new."""
        self.test_asked = False
        self.run_ended = False
        for box in (self.first_input, self.second_input):
            box.blockSignals(True)
            box.clear()
            box.blockSignals(False)

    def set_run_ended(self, ended: bool) -> None:
        """Whether the run has ended (a stopping rule, or divergence): the test set's result
        is shown then."""
        if ended != self.run_ended:
            self.run_ended = ended
            self._show_test_result()

    @Slot()
    def show_test_result(self) -> None:
        self.test_asked = True
        self._show_test_result()

    @Slot(bool)
    def _set_aspect(self, equal: bool) -> None:
        self.plot.setAspectLocked(equal and self.aspect_applies(), ratio=1.0)
        self.plot.enableAutoRange()

    def aspect_applies(self) -> bool:
        """Whether the picture's axes share a unit, so that "Equal aspect" means something:
        not an input against an output (one input's curve)."""
        return not isinstance(self.view, CurveView)

    @Slot()
    def _redraw(self) -> None:
        if self.view is not None:
            self.show_view(self.view)

    @Slot(int)
    def _picture_changed(self, _: int) -> None:
        self._redraw()
        self.slice_changed.emit()

    @Slot(int)
    def _slice_inputs_changed(self, _: int) -> None:
        if self.first_input.currentIndex() != self.second_input.currentIndex():
            self.slice_changed.emit()

    # ------------------------------------------------------------------ drawing

    def samples_shown(self) -> int:
        """How many samples the picture shows now (each as a point per output, or as bars)."""
        outputs = 1 if self.image.isVisible() or self.view is None else \
            len(self.view.output_names) if not isinstance(self.view, BoundaryView) else 1
        bars = self.target_bars.opts.get("height")
        marks = sum(len(item.data) for item in self.points.values()) + \
            (0 if bars is None else len(bars))
        return marks // outputs

    def fit_shown(self) -> bool:
        """Whether the network's side is drawn: its output curve, plane, or outputs."""
        bars = self.output_bars.opts.get("height")
        return (self.image.isVisible() and self.image.image is not None) or \
            any(line.xData is not None and len(line.xData) for line in self.fits) or \
            (bars is not None and len(bars) > 0) or \
            (self.diagonal.xData is not None and len(self.diagonal.xData) > 0)

    def show_view(self, view: DataView | None) -> None:
        self.view = view
        self._clear()
        self.plot.setAspectLocked(self.equal_aspect.isChecked() and self.aspect_applies(), 1.0)
        self.equal_aspect.setVisible(self.aspect_applies())
        slicing = isinstance(view, PredictionView) and \
            self.picture.currentIndex() == SLICE
        for widget in (self.first_input, self.second_input):
            widget.setVisible(slicing)
        self.picture.setVisible(isinstance(view, PredictionView))
        plane = view if isinstance(view, BoundaryView) else \
            view.slice if isinstance(view, PredictionView) and slicing else None
        self.discrete.setVisible(plane is not None and plane.classifies)
        if isinstance(view, CurveView):
            self._draw_curve(view)
        elif isinstance(view, BoundaryView):
            self._draw_plane(view)
        elif isinstance(view, PredictionView):
            self._offer_inputs(view.input_names)
            if slicing:
                self._draw_plane(view.slice)
            else:
                self._draw_predictions(view)
        for name in set(self.points) - self._points_drawn:
            self._points_shown.pop(name, None)
            self.points[name].clear()
        self._show_test_result()

    def _set_points(self, name: str, arrays: tuple[np.ndarray, ...],
                    data: Callable[[], dict[str, Any]]) -> None:
        """Give a split's scatter its points (``data()``, the scatter's arguments), unless it
        shows these already: the points change only with the data, while the picture changes
        five times a second as training runs, and giving a scatter its points again draws
        every symbol again (30 ms for 300); making a brush per point costs a few ms more."""
        self._points_drawn.add(name)
        shown = self._points_shown.get(name)
        if shown is not None and len(shown) == len(arrays) and all(
                np.array_equal(new, old) for new, old in zip(arrays, shown, strict=True)):
            return
        self._points_shown[name] = tuple(np.array(a, copy=True) for a in arrays)
        self.points[name].setData(**data())

    def _set_labels(self, bottom: str, left: str) -> None:
        """The axes' titles, set only when they change: setting one lays the plot out anew."""
        for side, text in (("bottom", bottom), ("left", left)):
            if self.plot.getAxis(side).labelText != text:
                self.plot.setLabel(side, text)

    def _clear(self) -> None:
        self.image.clear()
        self.image.setVisible(False)  # hidden items do not stretch the axes
        self.diagonal.setData([], [])
        self.fit_room.setData([], [])
        for item in self.fits:
            item.setData([], [])
        self._points_drawn = set()  # the splits whose points this view draws
        for bars in (self.target_bars, self.output_bars):
            bars.setOpts(x=[], height=[])
        axis = self.plot.getAxis("bottom")
        axis.setTicks(None)  # the bars' sample numbers, if they were on
        axis.enableAutoSIPrefix(True)
        self.note.setText("" if self.view is not None else "No data yet.")

    def _offer_inputs(self, names: tuple[str, ...]) -> None:
        if self.first_input.count() == len(names):
            return
        for box, chosen in ((self.first_input, 0), (self.second_input, 1)):
            box.blockSignals(True)
            box.clear()
            box.addItems([notation.input_label(i, names) for i in range(len(names))])
            box.setCurrentIndex(chosen)
            box.blockSignals(False)

    def _fit_lines(self, count: int) -> list[pg.PlotDataItem]:
        """The fit's lines, which do not stretch the axes (a diverged fit's values would
        shrink the data to a dot): ``fit_room`` does, as far as the data allows."""
        while len(self.fits) < count:
            colour = FIT_COLOUR if not self.fits else layer_colour(len(self.fits) + 1)
            line = pg.PlotDataItem(pen=pg.mkPen(colour, width=2.5))
            self.plot.addItem(line, ignoreBounds=True)
            self.fits.append(line)
        return self.fits[:count]

    def _draw_curve(self, view: CurveView) -> None:
        outputs = view.outputs.shape[1]
        for j, line in enumerate(self._fit_lines(outputs)):
            line.setData(view.xs, view.outputs[:, j], skipFiniteCheck=True)
        targets = np.concatenate([split.t.reshape(-1) for split in view.splits])
        room = fit_reach(targets, view.outputs)
        shown = np.isfinite(room)
        self.fit_room.setData(np.repeat(view.xs, outputs)[shown], room[shown])
        values = view.outputs.reshape(-1)
        beyond = ~np.isfinite(values) | (shown & (room != values))
        for split in view.splits:
            x = np.repeat(split.x[:, 0], outputs)
            self._scatter(split, x, split.t.reshape(-1))
        name = view.output_names[0] if outputs == 1 else "outputs"
        self._set_labels(notation.rich(notation.input_label(0, (view.input_name,))), name)
        fit = [(FIT_COLOUR, f"the network's output {name} along {view.input_name}"
                            f"{off_the_plot(values[beyond])}")]
        self.note.setText(legend_html(fit, keep_together=False) + "<br>" +
                          self._split_key(view.splits, "Points, each sample's target"))

    def _scatter(self, split: SplitPoints, x: np.ndarray, y: np.ndarray) -> None:
        colour = SPLIT_COLOURS[split.name]
        self._set_points(split.name, (x, y), lambda: {
            "x": x, "y": y, "brush": pg.mkBrush(colour),
            "pen": pg.mkPen(POINT_EDGE_COLOUR, width=1)})

    def _split_key(self, splits: tuple[SplitPoints, ...], what: str, shapes: bool = True
                   ) -> str:
        entries = [f'<span style="color:{SPLIT_COLOURS[s.name]}">&#9679;</span> {s.name} '
                   f"({SHAPE_NAMES[s.name] + ', ' if shapes else ''}{len(s.x)})" for s in splits]
        return f"{what}: " + ", ".join(entries) + "."

    def _draw_plane(self, view: BoundaryView) -> None:
        colours = view.class_colours if self.discrete.isChecked() and view.classifies \
            else view.colours
        # The plane washed out towards white, the points in full colour with a ring: a point
        # stands out even where the network already agrees with it.
        washed = 255.0 - (255.0 - colours.astype(np.float64)) * PLANE_STRENGTH
        self.image.setVisible(True)
        self.image.setImage(np.ascontiguousarray(washed.astype(np.uint8)), autoLevels=False,
                            levels=(0, 255))
        x0, x1, y0, y1 = view.xs[0], view.xs[-1], view.ys[0], view.ys[-1]
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        parts = ((SPLITS[0], view.train, view.train_colours),
                 (SPLITS[1], view.validation, view.validation_colours),
                 (SPLITS[2], view.test, view.test_colours))
        shapes = []
        for name, where, brushes in parts:
            if not len(where):
                continue
            edge = pg.mkPen("w" if name == SPLITS[0] else POINT_EDGE_COLOUR, width=1.5)
            self._set_points(name, (where, brushes), partial(_plane_points, where, brushes,
                                                              edge))
            shapes.append(f"{SHAPE_NAMES[name]}: {name} ({len(where)})")
        self._set_labels(notation.rich(notation.input_label(view.inputs[0], _names(view))),
                         notation.rich(notation.input_label(view.inputs[1], _names(view))))
        held = f" Slice: {view.held}." if view.held else ""
        self.note.setText(f"{view.meaning}. Points coloured by their targets; "
                          f"{', '.join(shapes)}.{held}")

    def _draw_predictions(self, view: PredictionView) -> None:
        pairs = sum(len(split.t) * split.t.shape[1] for split in view.splits)
        name = view.output_names[0] if len(view.output_names) == 1 else "outputs"
        if pairs <= MAX_BARS:
            self._draw_bars(view, name)
            return
        low, high = np.inf, -np.inf
        targets = np.concatenate([split.t.reshape(-1) for split in view.splits])
        spread = _spread(targets)
        for split in view.splits:
            t = split.t.reshape(-1)
            self._scatter(split, t + spread * _jitter(len(t)), split.y.reshape(-1))
            finite = np.concatenate([split.t.reshape(-1), split.y.reshape(-1)])
            finite = finite[np.isfinite(finite)]
            if len(finite):
                low, high = min(low, finite.min()), max(high, finite.max())
        if np.isfinite(low):
            self.diagonal.setData([low, high], [low, high])
        self._set_labels(f"target {name}", f"the network's output {name}")
        spread_note = " Targets that share a value are spread sideways a little to be seen." \
            if spread else ""
        self.note.setText("Each sample's output against its target: on the dashed line the "
                          f"output equals the target.{spread_note} " +
                          self._split_key(view.splits, "Points, one per sample and output"))

    def _draw_bars(self, view: PredictionView, name: str) -> None:
        """Few samples: each sample's target (hollow) and output (filled) side by side."""
        self.plot.setAspectLocked(False)  # a sample number against a value: no common unit
        targets = np.concatenate([split.t.reshape(-1) for split in view.splits])
        outputs = np.concatenate([split.y.reshape(-1) for split in view.splits])
        colours = [SPLIT_COLOURS[split.name] for split in view.splits
                   for _ in range(split.t.size)]
        x = np.arange(len(targets), dtype=float)
        self.target_bars.setOpts(x=x - 0.2, height=targets, width=0.4, brush=None,
                                 pens=[pg.mkPen(c, width=2) for c in colours])
        finite = np.isfinite(outputs)  # an output that is not a number has no bar
        self.output_bars.setOpts(x=x[finite] + 0.2, height=outputs[finite], width=0.4,
                                 brushes=[pg.mkBrush(c) for c, f in zip(colours, finite,
                                                                        strict=True) if f],
                                 pen=None)
        axis = self.plot.getAxis("bottom")
        axis.setTicks([[(k, str(k + 1)) for k in range(len(x))]])
        axis.enableAutoSIPrefix(False)  # sample numbers, never "(x0.001)"
        self.plot.setXRange(-0.7, len(x) - 0.3, padding=0)
        self._set_labels("sample" if len(view.output_names) == 1
                         else "sample and output, in order", name)
        missing = "" if finite.all() else " Outputs that are not numbers have no bar."
        self.note.setText(f"Each sample's target {name} (hollow bar) and the network's output "
                          f"(filled bar).{missing} " +
                          self._split_key(view.splits, "Colours", shapes=False))

    def _show_test_result(self) -> None:
        view = self.view
        result = None if view is None else view.test_result
        self.test_button.setVisible(result is not None)
        if result is None:
            self.test_label.setText("")
        elif self.test_asked or self.run_ended:
            summary = result.summary()
            self.test_label.setText(f"{summary[0].upper()}{summary[1:]}. {WHY_ONCE}")
        else:
            self.test_label.setText("The test set is held out: it is not trained on, not "
                                    "validated on, and no stopping rule reads it.")


FIT_REACH = 0.5  # the axes show a fit this many times the targets' range beyond them


def fit_reach(targets: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """The outputs, flattened, held within FIT_REACH times the targets' range of it (a fit
    near the data shows whole; one that diverged leaves the axes to the data); NaN where an
    output is not a number, all of them when no target is one."""
    values = outputs.reshape(-1).astype(np.float64)
    finite = targets[np.isfinite(targets)]
    if not len(finite):
        return np.full_like(values, np.nan)
    low, high = float(finite.min()), float(finite.max())
    margin = FIT_REACH * ((high - low) or max(1.0, abs(high)))
    with np.errstate(invalid="ignore"):
        return np.clip(values, low - margin, high + margin)


def off_the_plot(values: np.ndarray) -> str:
    """What the key says of the fit's values the axes leave out (empty: none), naming the
    farthest: a diverged fit is off the plot, not missing."""
    if not len(values):
        return ""
    finite = values[np.isfinite(values)]
    if len(finite) < len(values):
        return " (off the plot where it is not a finite number)"
    farthest = float(finite[np.argmax(np.abs(finite))])
    return f" (off the plot where it goes past the data, as far as {notation.number(farthest)})"


def _spread(targets: np.ndarray) -> float:
    """How far sideways to spread points whose targets take a few values (classes), so that
    they do not hide each other: a third of the smallest gap between values (0: no spread)."""
    values = np.unique(targets[np.isfinite(targets)])
    if len(values) > MAX_CLASS_VALUES or len(values) == len(targets):
        return 0.0
    return float(np.diff(values).min()) / 3.0 if len(values) > 1 else 0.3


def _jitter(count: int) -> np.ndarray:
    """``count`` offsets from −½ to ½, evenly filled in (golden-ratio steps), the same each
    time: the points keep their places from one frame to the next."""
    return (np.arange(count) * 0.6180339887) % 1.0 - 0.5


def _names(view: BoundaryView) -> tuple[str, ...]:
    """Input names by number, as far as the plane's inputs reach (for the axis labels)."""
    names = [""] * (max(view.inputs) + 1)
    names[view.inputs[0]], names[view.inputs[1]] = view.input_names
    return tuple(names)


def _plane_points(where: np.ndarray, brushes: np.ndarray, edge: QPen) -> dict[str, Any]:
    """A split's scatter over the plane: each point filled with its target's colour."""
    return {"pos": where.copy(), "pen": edge,
            "brush": [pg.mkBrush(*rgb) for rgb in brushes.tolist()]}
