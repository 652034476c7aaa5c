"""The activation panel: the chosen layer's f and f′ over z, each unit's z of the followed
sample marked on both curves, a rug of the whole batch's z below them, the saturated or dead
regions shaded and the largest f′ labelled (sim.health.activation_curve computes it all)."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from sim import notation
from sim.health import ActivationCurve, activation_curve
from sim.snapshot import Snapshot

from .plots import PLOT_INTERVAL_SECONDS, Plot, legend_html, on_screen
from .style import FIT_COLOUR, POINT_EDGE_COLOUR, VALIDATION_COLOUR, Style, layer_colour

SHADE = (120, 120, 120, 45)  # the saturated or dead regions
MAX_RUG = 4000  # at most this many (sample, unit) ticks in the rug: the batch's first rows
FOLLOWED_SIZE = 12
MIN_CURVE_HEIGHT = 110  # pixels at scale 1: the least height of the f and f′ plots


class ActivationPanel(QWidget):
    """f and f′ of one layer; the window feeds it the snapshot on show and the canvas's
    selection (a node, weight or bias chooses its layer)."""

    def __init__(self, style: Style, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.style_ = style
        self.snapshot: Snapshot | None = None
        self.followed_row: int | None = None
        self.curve: ActivationCurve | None = None
        self._drawn: tuple[Snapshot, int, int | None] | None = None
        self._drawn_at = 0.0
        self.layer_box = QComboBox()
        self.layer_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.layer_box.currentIndexChanged.connect(self._layer_chosen)
        self.f_plot = Plot("f(z)", style, log_y=False, steps=False)
        self.fprime_plot = Plot("f′(z)", style, log_y=False, steps=False)
        self.fprime_plot.setXLink(self.f_plot)
        for plot in (self.f_plot, self.fprime_plot):
            plot.setLabel("bottom", "z")
        self.f_line = self.f_plot.plot(pen=pg.mkPen(FIT_COLOUR, width=2.5))
        self.fprime_line = self.fprime_plot.plot(pen=pg.mkPen(VALIDATION_COLOUR, width=2.5))
        self.regions: list[tuple[Plot, pg.LinearRegionItem]] = []
        self.max_line = pg.InfiniteLine(angle=0, pen=pg.mkPen(POINT_EDGE_COLOUR, width=1,
                                                              style=Qt.PenStyle.DashLine))
        self.fprime_plot.addItem(self.max_line)
        self.max_label = pg.TextItem(anchor=(0.0, 1.0), color=POINT_EDGE_COLOUR)
        self.fprime_plot.addItem(self.max_label)
        self.f_rug = pg.ScatterPlotItem(symbol="|", size=10, pen=None)
        self.fprime_rug = pg.ScatterPlotItem(symbol="|", size=10, pen=None)
        self.f_units = pg.ScatterPlotItem(size=FOLLOWED_SIZE, pen=pg.mkPen("w", width=1.5))
        self.fprime_units = pg.ScatterPlotItem(size=FOLLOWED_SIZE, pen=pg.mkPen("w", width=1.5))
        for plot, items in ((self.f_plot, (self.f_rug, self.f_units)),
                            (self.fprime_plot, (self.fprime_rug, self.fprime_units))):
            for item in items:
                plot.addItem(item)
        self.key = QLabel()
        self.key.setWordWrap(True)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.RichText)  # notation.rich escapes its "<" and ">"
        chooser = QHBoxLayout()
        chooser.addWidget(QLabel("Layer"))
        chooser.addWidget(self.layer_box)
        chooser.addStretch(1)
        # No scroll area: f and f′ are read together, so both share the dock's height.
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(chooser)
        layout.addWidget(self.key)
        layout.addWidget(self.f_plot, 1)
        layout.addWidget(self.fprime_plot, 1)
        layout.addWidget(self.note)
        self._fit_plots()

    def sizeHint(self) -> QSize:
        return QSize(int(420 * self.style_.scale), int(560 * self.style_.scale))

    def apply_style(self, style: Style) -> None:
        self.style_ = style
        for plot in (self.f_plot, self.fprime_plot):
            plot.apply_style(style)
        self._fit_plots()

    def _fit_plots(self) -> None:
        """A smaller least height than a plot of the Plots tab: the two must fit one above the
        other in the dock at 1366x768 (a curve over a fixed range reads at that size)."""
        for plot in (self.f_plot, self.fprime_plot):
            plot.setMinimumHeight(round(MIN_CURVE_HEIGHT * self.style_.scale))

    # ------------------------------------------------------------------ what to show

    def layer(self) -> int:
        """The layer shown, from 1."""
        return max(1, self.layer_box.currentIndex() + 1)

    def choose_layer(self, layer: int) -> None:
        """Show layer ``layer`` (from 1; the input, 0, has no activation)."""
        if 1 <= layer <= self.layer_box.count():
            self.layer_box.setCurrentIndex(layer - 1)

    def set_snapshot(self, snapshot: Snapshot, followed_row: int | None) -> None:
        """The snapshot on show and the batch row the canvas follows; drawn on ``refresh``."""
        layers = [f"{layer.number} · {layer.activation}" for layer in snapshot.layers]
        if [self.layer_box.itemText(k) for k in range(self.layer_box.count())] != layers:
            self.layer_box.blockSignals(True)
            self.layer_box.clear()
            self.layer_box.addItems(layers)
            self.layer_box.setCurrentIndex(0)
            self.layer_box.blockSignals(False)
        self.snapshot, self.followed_row = snapshot, followed_row

    def refresh(self) -> bool:
        """Draw the newest snapshot if on show and changed, at most every
        PLOT_INTERVAL_SECONDS; True if drawn."""
        snapshot = self.snapshot
        if snapshot is None or not on_screen(self):
            return False
        wanted = (snapshot, self.layer(), self.followed_row)
        now = time.perf_counter()
        drawn = self._drawn  # the snapshot compared by identity: its arrays have no ==
        if drawn is not None and ((drawn[0] is snapshot and drawn[1:] == wanted[1:]) or
                                  now - self._drawn_at < PLOT_INTERVAL_SECONDS):
            return False
        self._drawn, self._drawn_at = wanted, now
        self.draw(activation_curve(snapshot, self.layer(), self.followed_row))
        return True

    @Slot(int)
    def _layer_chosen(self, _: int) -> None:
        self._drawn = None
        self.refresh()

    # ------------------------------------------------------------------ drawing

    def draw(self, curve: ActivationCurve | None) -> None:
        self.curve = curve
        self._clear()
        if curve is None:
            self.note.setText("Softmax has no f′ of one unit: each output depends on every z "
                              "of its layer. Its error comes straight from the loss.")
            return
        self.f_line.setData(curve.z, curve.f)
        self.fprime_line.setData(curve.z, curve.fprime)
        # The z axis is sim's (symmetric about 0, reaching every unit's z), not autoranged.
        self.f_plot.setXRange(float(curve.z[0]), float(curve.z[-1]), padding=0.0)
        self._shade(curve)
        self.max_line.setPos(curve.max_derivative)
        self.max_label.setText(curve.max_label)
        low, high = float(curve.z[0]), float(curve.z[-1])
        self.max_label.setPos(low + 0.02 * (high - low), curve.max_derivative)  # clear of the axis
        # Room above the largest f′ for its label.
        low = min(0.0, float(np.nanmin(curve.fprime)))
        self.fprime_plot.setYRange(low, curve.max_derivative * 1.3, padding=0.02)
        self._mark_units(curve)
        colour = layer_colour(curve.layer).name()
        self.key.setText(legend_html([(FIT_COLOUR, "f"), (VALIDATION_COLOUR, "f′"),
                                      (colour, "each unit's z for the followed sample (dots)"
                                               " and for every sample of the batch (ticks)")],
                                     keep_together=False))
        self.note.setText(notation.rich(f"Layer {curve.layer}, {curve.activation}: "
                                        f"{curve.note}"))

    def _clear(self) -> None:
        for line in (self.f_line, self.fprime_line):
            line.setData([], [])
        for item in (self.f_rug, self.fprime_rug, self.f_units, self.fprime_units):
            item.clear()
        for plot, region in self.regions:
            plot.removeItem(region)
        self.regions = []
        self.max_label.setText("")
        self.key.setText("")

    def _shade(self, curve: ActivationCurve) -> None:
        low, high = float(curve.z[0]), float(curve.z[-1])
        spans: list[tuple[float, float]] = []
        if curve.saturated_beyond is not None and curve.saturated_beyond < high:
            spans = [(low, -curve.saturated_beyond), (curve.saturated_beyond, high)]
        elif curve.dead_below is not None:
            spans = [(low, curve.dead_below)]
        for plot in (self.f_plot, self.fprime_plot):
            for span in spans:
                region = pg.LinearRegionItem(values=span, movable=False, brush=pg.mkBrush(*SHADE),
                                             pen=pg.mkPen(None))
                region.setZValue(-10)
                plot.addItem(region)
                self.regions.append((plot, region))

    def _mark_units(self, curve: ActivationCurve) -> None:
        z, f, fprime = curve.batch_z, curve.batch_f, curve.batch_fprime
        if z is None or f is None or fprime is None:
            return
        colour = layer_colour(curve.layer)
        rows = max(1, MAX_RUG // max(1, z.shape[1]))
        rug_z = z[:rows].reshape(-1)
        keep = np.isfinite(rug_z)
        faint = pg.mkBrush(colour.red(), colour.green(), colour.blue(), 90)
        pen = pg.mkPen(colour.red(), colour.green(), colour.blue(), 110, width=1)
        f_floor = float(np.nanmin(curve.f)) if len(curve.f) else 0.0
        for rug, floor in ((self.f_rug, f_floor), (self.fprime_rug, 0.0)):
            rug.setData(x=rug_z[keep], y=np.full(int(keep.sum()), floor), pen=pen, brush=faint)
        row = curve.followed_row
        if row is None:
            return
        units_z = z[row]
        finite = np.isfinite(units_z) & np.isfinite(f[row])
        self.f_units.setData(x=units_z[finite], y=f[row][finite], brush=pg.mkBrush(colour))
        self.fprime_units.setData(x=units_z[finite], y=fprime[row][finite],
                                  brush=pg.mkBrush(colour))
