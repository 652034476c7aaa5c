"""The health of every layer over the run, in the style of the live plots (gui.plots).

Accuracy (training batch and validation); per layer the update/weight ratio against the 1e-3
rule of thumb, the fraction of saturated (sigmoid, tanh) or dead (ReLU) units, the weight
norm; and, for a chosen layer, the distribution of its weights and of its gradients over time
as percentile bands (sim.distributions). Everything is computed in sim; this only draws.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtGui import QColor, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from sim import notation
from sim.activations import SATURATION_FRACTION
from sim.distributions import PERCENTILES, Bands
from sim.health import UPDATE_RATIO_RULE, layer_condition
from sim.history import Series
from sim.snapshot import Snapshot

from .plots import (
    PLOT_INTERVAL_SECONDS,
    Curve,
    Plot,
    legend_html,
    mini_batches,
    on_screen,
    plotted_series,
    scrolled_into,
)
from .style import CLIP_COLOUR, TRAIN_COLOUR, VALIDATION_COLOUR, Style, layer_colour

OUTER_ALPHA, INNER_ALPHA = 50, 110  # the min-max band, the 10-90 % band


class PercentileBands:
    """One quantity's percentile bands in a plot: min to max faint, 10 % to 90 % stronger,
    the median a line."""

    def __init__(self, plot: pg.PlotWidget) -> None:
        # Invisible edges, not pen=None: without a pen the line keeps no path to fill between.
        self.lines = [plot.plot(pen=pg.mkPen(0, 0, 0, 0)) for _ in PERCENTILES]
        self.outer = pg.FillBetweenItem(self.lines[0], self.lines[4])
        self.inner = pg.FillBetweenItem(self.lines[1], self.lines[3])
        plot.addItem(self.outer)
        plot.addItem(self.inner)
        self.median = self.lines[2]

    def show(self, steps: np.ndarray, values: np.ndarray, colour: QColor) -> None:
        """``values``: (records, len(PERCENTILES)) of one layer."""
        for k, line in enumerate(self.lines):
            line.setData(steps, values[:, k])
        faint, strong = QColor(colour), QColor(colour)
        faint.setAlpha(OUTER_ALPHA)
        strong.setAlpha(INNER_ALPHA)
        self.outer.setBrush(pg.mkBrush(faint))
        self.inner.setBrush(pg.mkBrush(strong))
        self.median.setPen(pg.mkPen(colour, width=2))


# The pages of the view, one on show at a time, each whole in a dock of a 1366x768 window:
# stacked, six plots were each taller than the dock (the accuracy plot's axis below the fold).
PAGES = ("Accuracy", "Saturated or dead units", "Update / weight ratio", "Weight norm",
         "Weights and gradients of a layer")
ACCURACY = PAGES[0]  # a regression has none: its page is greyed out


class HealthPlots(QWidget):
    """The health plots, a page of them at a time (chosen in a box above them); they redraw
    one per frame, as LivePlots do, and only while on show."""

    def __init__(self, style: Style, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.style_ = style
        self.snapshot: Snapshot | None = None
        self._drawn: Snapshot | None = None
        self._taken_at = 0.0
        self._dirty: list = []
        self.accuracy_plot = Plot("Accuracy (%)", style, log_y=False)
        self.ratio_plot = Plot("Update / weight ratio per layer (log)", style, log_y=True)
        self.units_plot = Plot("Saturated or dead units per layer", style, log_y=False)
        self.units_plot.setLabel("left", "fraction of units")
        self.norm_plot = Plot("Weight norm ‖W‖ per layer", style, log_y=False)
        self.weights_plot = Plot("Weights of layer 1: percentiles", style, log_y=False)
        self.gradients_plot = Plot("Gradients of layer 1: percentiles", style, log_y=False)
        self.plots = (self.accuracy_plot, self.units_plot, self.ratio_plot, self.norm_plot,
                      self.weights_plot, self.gradients_plot)
        self.keys = {plot: QLabel() for plot in self.plots[:4]}
        self.bands_key = QLabel()
        for key in (*self.keys.values(), self.bands_key):
            key.setWordWrap(True)
        self.layer_box = QComboBox()
        self.layer_box.currentIndexChanged.connect(self._layer_chosen)
        self.train_accuracy = Curve(self.accuracy_plot, TRAIN_COLOUR, log=False)
        self.val_accuracy = Curve(self.accuracy_plot, VALIDATION_COLOUR, log=False)
        self.rule_line = pg.InfiniteLine(pos=np.log10(UPDATE_RATIO_RULE), angle=0, pen=pg.mkPen(
            CLIP_COLOUR, width=1.5, style=Qt.PenStyle.DashLine))
        self.ratio_plot.addItem(self.rule_line)
        self.layer_curves: dict[str, list[Curve]] = {"ratio": [], "units": [], "norm": []}
        self.weight_bands = PercentileBands(self.weights_plot)
        self.gradient_bands = PercentileBands(self.gradients_plot)
        self._build_layout()
        self.redraws = 0

    def _build_layout(self) -> None:
        """A box choosing the page, then the pages (one shown), in a scroll area: a page
        lower than its plots' least height scrolls rather than squeezing them."""
        self.page_box = QComboBox()
        self.page_box.addItems(PAGES)
        self.page_box.currentIndexChanged.connect(self._page_chosen)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(4, 4, 4, 4)
        chooser = QHBoxLayout()
        chooser.addWidget(QLabel("Show"))
        chooser.addWidget(self.page_box, 1)
        layout.addLayout(chooser)
        self.pages: dict[str, QWidget] = {}
        for name, plot in zip(PAGES[:4], self.plots[:4], strict=True):
            self.pages[name] = self._page([self.keys[plot], plot])
        layer_row = QWidget()
        row = QHBoxLayout(layer_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Layer"))
        row.addWidget(self.layer_box)
        row.addStretch(1)
        self.pages[PAGES[-1]] = self._page([layer_row, self.bands_key, self.weights_plot,
                                            self.gradients_plot])
        for page in self.pages.values():
            layout.addWidget(page, 1)
        scrolled_into(self, inner)
        self._page_chosen(0)

    @staticmethod
    def _page(widgets: list[QWidget]) -> QWidget:
        """One page: its widgets one under another, the plots sharing the height there is.
        A plot asks for no height of its own beyond its least (pyqtgraph's hint, 480 pixels,
        made the scroll area lay each plot out taller than the dock)."""
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in widgets:
            if isinstance(widget, Plot):
                widget.setSizePolicy(widget.sizePolicy().horizontalPolicy(),
                                     QSizePolicy.Policy.Ignored)
            layout.addWidget(widget, 1 if isinstance(widget, Plot) else 0)
        return page

    @Slot(int)
    def _page_chosen(self, index: int) -> None:
        for number, page in enumerate(self.pages.values()):
            page.setVisible(number == index)

    def _offer_accuracy(self, offered: bool) -> None:
        """The accuracy page in the box, or greyed out (a regression): then the next page is
        shown in its place."""
        model = self.page_box.model()
        assert isinstance(model, QStandardItemModel)  # a combo box's own model
        item = model.item(PAGES.index(ACCURACY))
        if item.isEnabled() == offered:
            return
        item.setEnabled(offered)
        if not offered and self.page_box.currentText() == ACCURACY:
            self.show_page(PAGES[PAGES.index(ACCURACY) + 1])

    def show_page(self, name: str) -> None:
        """Show the page called ``name`` (one of PAGES)."""
        self.page_box.setCurrentIndex(PAGES.index(name))

    def page_plots(self) -> list[Plot]:
        """The plots of the page on show (the accuracy plot not, for a regression)."""
        page = self.pages[self.page_box.currentText()]
        return [plot for plot in self.plots if page.isAncestorOf(plot) and not plot.isHidden()]

    def sizeHint(self) -> QSize:
        return QSize(int(460 * self.style_.scale), int(600 * self.style_.scale))

    def apply_style(self, style: Style) -> None:
        self.style_ = style
        for plot in self.plots:
            plot.apply_style(style)

    # ------------------------------------------------------------------ taking snapshots

    @Slot(object)
    def set_snapshot(self, snapshot: Snapshot) -> None:
        """Take note of new data; the plots redraw on ``refresh_next``."""
        self.snapshot = snapshot

    def refresh_next(self) -> bool:
        """Redraw the next plot whose data changed, if on show; False when none was drawn.
        A newer snapshot is taken up at most every PLOT_INTERVAL_SECONDS."""
        if self.snapshot is None or not on_screen(self):
            return False
        now = time.perf_counter()
        if not self._dirty and self.snapshot is not self._drawn and \
                now - self._taken_at >= PLOT_INTERVAL_SECONDS:
            self._drawn, self._taken_at = self.snapshot, now
            self._ensure_layers(self._drawn)  # the curves of the network drawn
            self._dirty = [self._draw_accuracy, self._draw_ratios, self._draw_units,
                           self._draw_norms, self._draw_bands]
        if not self._dirty or self._drawn is None:
            return False
        self._dirty.pop(0)(self._drawn)
        self.redraws += 1
        return True

    def refresh_all(self) -> None:
        """Draw the newest snapshot in full (for a test, or a picture)."""
        self._taken_at = 0.0
        while self.refresh_next():
            pass

    def _ensure_layers(self, snapshot: Snapshot) -> None:
        depth = snapshot.depth
        if len(self.layer_curves["ratio"]) == depth:
            return
        for name, plot in (("ratio", self.ratio_plot), ("units", self.units_plot),
                           ("norm", self.norm_plot)):
            for curve in self.layer_curves[name]:
                curve.remove_from(plot)
            self.layer_curves[name] = [Curve(plot, layer_colour(n), log=name == "ratio")
                                       for n in range(1, depth + 1)]
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        self.layer_box.addItems([f"{n}" for n in range(1, depth + 1)])
        self.layer_box.blockSignals(False)

    @Slot(int)
    def _layer_chosen(self, _: int) -> None:
        if self._drawn is not None:
            self._draw_bands(self._drawn)

    # ------------------------------------------------------------------ drawing

    def _draw_accuracy(self, snapshot: Snapshot) -> None:
        """Accuracy in per cent, as the status line gives it (recorded as a fraction)."""
        plot = self.accuracy_plot
        plot.show_waiting(not snapshot.history)
        if not snapshot.history:
            plot.setYRange(0, 100, padding=0)
        train = _percent(plotted_series(snapshot, "accuracy", self.width()))
        measured = train is not None and bool(np.isfinite(train.high).any())
        self.train_accuracy.show(train if measured else None, smooth=mini_batches(snapshot))
        self.val_accuracy.show(_percent(plotted_series(snapshot, "val_accuracy", self.width())),
                               smooth=False)
        # Regression has no accuracy: its page says so, and is not the one shown.
        plot.setVisible(measured or not snapshot.history)
        self._offer_accuracy(measured or not snapshot.history)
        if not snapshot.history:
            self.keys[plot].setText("")
        elif not measured:
            self.keys[plot].setText("No accuracy: the targets are numbers to fit, not classes "
                                    "(regression).")
        else:
            entries = [(TRAIN_COLOUR, "training batch (before its update)")]
            if snapshot.experiment.data.validation_fraction > 0.0:
                entries.append((VALIDATION_COLOUR, "validation set"))
            self.keys[plot].setText(legend_html(entries))

    def _layer_entries(self, snapshot: Snapshot, names: list[str | None]) -> str:
        return legend_html([(layer_colour(n).name(), name)
                            for n, name in enumerate(names, 1) if name is not None])

    def _draw_layer_metric(self, snapshot: Snapshot, key: str, plot: Plot,
                           columns: list[str | None]) -> None:
        plot.show_waiting(not snapshot.history)
        noisy = mini_batches(snapshot)
        for curve, column in zip(self.layer_curves[key], columns, strict=True):
            curve.show(None if column is None else plotted_series(snapshot, column,
                                                                  self.width()), smooth=noisy)

    def _draw_ratios(self, snapshot: Snapshot) -> None:
        columns: list[str | None] = [f"update_ratio_{n}" for n in range(1, snapshot.depth + 1)]
        self._draw_layer_metric(snapshot, "ratio", self.ratio_plot, columns)
        entries = [(layer_colour(n).name(), f"layer {n}") for n in range(1, snapshot.depth + 1)]
        rule = notation.power_of_ten(-3)
        self.keys[self.ratio_plot].setText(
            legend_html(entries + [(CLIP_COLOUR, f"{rule}: rule of thumb")]) +
            f"<br>‖Δw‖ / ‖w‖ of each step: near {rule} is healthy, far above unstable, far below "
            f"crawling.")

    def _draw_units(self, snapshot: Snapshot) -> None:
        conditions = [layer_condition(layer.activation) for layer in snapshot.layers]
        columns = [None if c is None else f"{c}_{n}" for n, c in enumerate(conditions, 1)]
        self._draw_layer_metric(snapshot, "units", self.units_plot, columns)
        names = [None if c is None else f"layer {n} ({snapshot.layers[n - 1].activation}): {c}"
                 for n, c in enumerate(conditions, 1)]
        present = [c for c in ("saturated", "dead") if c in conditions]
        title = " or ".join(present).capitalize() if present else "Saturated or dead"
        self.units_plot.title = f"{title} units per layer"  # its axis: their fraction
        self.units_plot.getPlotItem().setTitle(self.units_plot.title)
        meanings = {"saturated": f"saturated: f′ below {SATURATION_FRACTION:.0%} of its largest "
                                 f"value, counted over the units and samples of the batch",
                    "dead": "dead: a ReLU unit with z ≤ 0 on every sample of the batch"}
        key = self._layer_entries(snapshot, names)
        self.keys[self.units_plot].setText(
            key + "<br>" + "; ".join(meanings[c] for c in present) + "." if key else
            "No layer here can saturate or die (linear, leaky ReLU or softmax).")

    def _draw_norms(self, snapshot: Snapshot) -> None:
        columns: list[str | None] = [f"weight_norm_{n}" for n in range(1, snapshot.depth + 1)]
        self._draw_layer_metric(snapshot, "norm", self.norm_plot, columns)
        # ‖W‖, as the app writes a norm: "|" lets a line break after it ("|" / "W|").
        self.keys[self.norm_plot].setText(self._layer_entries(
            snapshot, [f"layer {n}" for n in range(1, snapshot.depth + 1)]) +
            "<br>‖W‖ = √(Σ w²) over the layer's weights and biases.")

    def _draw_bands(self, snapshot: Snapshot) -> None:
        layer = max(1, self.layer_box.currentIndex() + 1)
        self.weights_plot.getPlotItem().setTitle(f"Weights of layer {layer}: percentiles")
        self.gradients_plot.getPlotItem().setTitle(f"Gradients of layer {layer}: percentiles")
        bands: Bands | None = snapshot.distributions
        colour = layer_colour(layer)
        empty = bands is None or not len(bands.steps) or layer > bands.weights.shape[1]
        for plot in (self.weights_plot, self.gradients_plot):
            plot.show_waiting(empty)
        if empty or bands is None:
            for shown in (self.weight_bands, self.gradient_bands):
                shown.show(np.empty(0), np.empty((0, len(PERCENTILES))), colour)
            return
        steps = bands.steps.astype(float)
        self.weight_bands.show(steps, bands.weights[:, layer - 1], colour)
        self.gradient_bands.show(steps, bands.gradients[:, layer - 1], colour)
        stride = int(steps[1] - steps[0]) if len(steps) > 1 else 1
        every = "every step" if stride == 1 else f"every {stride} steps"
        self.bands_key.setText(
            f"Faint: min to max; stronger: 10% to 90%; line: the median, of the layer's "
            f"weights w and of its gradients ∂E/∂w, recorded {every}.")


def _percent(series: Series | None) -> Series | None:
    return None if series is None else series.scaled(100.0)
