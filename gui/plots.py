"""Live plots of a run: the loss (and the L1/L2 penalty), each layer's gradient norm with
clipping, the learning rate.

The curves come from the history series in each Snapshot (recent steps exactly, older steps as
min/max buckets, so a million-step run still draws a few thousand points). Old buckets are
drawn as their min/max envelope so a spike in the distant past stays visible.
"""

from __future__ import annotations

import html
import itertools
import math
import sys

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt, Slot
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from sim import notation
from sim.history import Series
from sim.snapshot import Snapshot

from .style import (
    ALL_LAYERS_COLOUR,
    CLIP_COLOUR,
    PENALTY_COLOUR,
    RATE_COLOUR,
    TRAIN_COLOUR,
    VALIDATION_COLOUR,
    Style,
    layer_colour,
)

# Thick antialiased curves drawn as one path cost tens of milliseconds in Qt's raster engine;
# drawn as segments they cost a few (measured: 18.6 ms against 5.7 ms for 6000 noisy points).
# pyqtgraph's grid is not used: it made every repaint of a plot cost 8-12 ms instead of 1-2
# (bench: three 800-point curves, 400 x 260 pixels), and the plots repaint while training runs.
# Antialiasing is off for the same reason: noisy two-pixel curves cost 2.6 times as much with
# it, and measured in the app (2-8-8-1 spiral, playing) it cut training from 4,600 to 1,700
# steps/s and frames from 48 to 24 per second.
pg.setConfigOptions(antialias=False, segmentedLineMode="on", background="w", foreground="k")


LARGEST_DECADE = math.log10(sys.float_info.max)  # 308.25: 10 to a higher power overflows


def envelope(series: Series) -> tuple[np.ndarray, np.ndarray]:
    """x, y of a line through every point's min and max, in step order (finite points only).

    A bucket whose min and max differ contributes both, so the line spans the bucket's range.
    """
    keep = np.isfinite(series.low) & np.isfinite(series.high)
    steps, low, high = series.steps[keep], series.low[keep], series.high[keep]
    if not len(steps):
        return steps, low
    spread = low != high
    if not spread.any():
        return steps, low
    x = np.repeat(steps, 2)
    y = np.empty_like(x)
    y[0::2], y[1::2] = low, high
    both = np.repeat(spread, 2)
    both[0::2] = True  # always keep the low point; keep the high one only where it differs
    return x[both], y[both]


class MinusAxis(pg.AxisItem):
    """An axis whose negative numbers carry the app's one minus sign, "−" (sim.notation)."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [label.replace("-", notation.MINUS)
                for label in super().tickStrings(values, scale, spacing)]

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        # A tick past the largest float (a loss of 1e300 and more on a log axis) has no number
        # to name: it stays unlabelled instead of overflowing.
        named = [value for value in values if value < LARGEST_DECADE]
        labels = iter(super().logTickStrings(named, scale, spacing) if named else [])
        return [next(labels).replace("-", notation.MINUS) if value < LARGEST_DECADE else ""
                for value in values]


class StepAxis(MinusAxis):
    """An axis of steps: they are whole numbers, and so are its ticks (a few steps' plot
    would otherwise be ticked at 0.5, 1.5, ...)."""

    def tickSpacing(self, low: float, high: float, size: float) -> list[tuple[float, float]]:
        whole = [(spacing, offset) for spacing, offset in
                 super().tickSpacing(low, high, size) if spacing >= 1.0]
        return whole or [(1.0, 0.0)]


MAX_TEXT_LEVEL = 2  # pyqtgraph's own: the levels of ticks an axis may label


class DecadeAxis(MinusAxis):
    """An axis whose labels never crowd each other, however small the plot or large the type
    (a slide): no two closer than a label's height, the roundest kept first.

    On a log axis that spans two or more powers of ten, only those are labelled: the ticks
    between (0.2, 0.3, ...) stay, unlabelled. Inside a decade or two the ticks between are
    labelled as far as the axis's length holds them apart: 1, then 5, then 2, then the rest.
    On a linear axis, evenly spaced ticks: every second, fifth or tenth one as room asks."""

    def __init__(self, orientation: str) -> None:
        super().__init__(orientation)
        self._label_levels()

    def setLogMode(self, *args: bool | None, **kwargs: bool | None) -> None:
        super().setLogMode(*args, **kwargs)
        self._label_levels()

    def _label_levels(self) -> None:
        """A linear axis labels its coarsest ticks alone (pyqtgraph would add the finer ones
        between, unaware of their labels' height); a log axis its decades and the ticks
        inside them, on one list that logTickStrings thins."""
        self.setStyle(maxTextLevel=MAX_TEXT_LEVEL if self.logMode else 0)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        labels = super().tickStrings(values, scale, spacing)
        if self.logMode or len(values) < 2 or spacing <= 0:
            return labels  # logTickStrings below has thinned them
        low, high = self.tick_pixels([0.0, spacing])
        room = self.label_room()
        every = label_stride(abs(high - low), room)
        aligned = [round(value / spacing) % every == 0 for value in values]
        if sum(aligned) < 2:  # one label tells no scale: another one as far as room allows
            aligned = spaced_apart(self.tick_pixels(values), [not a for a in aligned], room)
        return [label if keep else "" for keep, label in zip(aligned, labels, strict=True)]

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        labels = super().logTickStrings(values, scale, spacing)
        decades = [abs(value - round(value)) < 1e-9 for value in values]
        if sum(decades) >= 2:
            return [label if decade else "" for decade, label in zip(decades, labels,
                                                                      strict=True)]
        kept = spaced_apart(self.tick_pixels(values), [roundness(value) for value in values],
                            self.label_room())
        return [label if keep else "" for keep, label in zip(kept, labels, strict=True)]

    def tick_pixels(self, values: list[float]) -> list[float]:
        """Where along the axis each tick lies, in pixels from its low end."""
        low, high = self.range
        vertical = self.orientation in ("left", "right")
        length = self.geometry().height() if vertical else self.geometry().width()
        span = high - low if high != low else 1.0
        return [(value - low) / span * length for value in values]

    def label_room(self) -> float:
        """How far apart two labels' centres must be: a label's height on a vertical axis (a
        little more), a wide label's width on a horizontal one."""
        font = self.style["tickFont"] or self.font()
        metrics = QFontMetricsF(font)
        if self.orientation in ("left", "right"):
            return metrics.height() * 1.2
        return metrics.horizontalAdvance("0.0000") * 1.2


def roundness(log_value: float) -> int:
    """How round a log axis's tick is, 0 the roundest: a power of ten, then 5 and 2 times
    one, then the other multiples."""
    mantissa = round(10 ** (log_value - math.floor(log_value + 1e-9)), 6)
    return {1.0: 0, 5.0: 1, 2.0: 2}.get(mantissa, 3)


def label_stride(apart: float, room: float) -> int:
    """Label every how-many-th tick of a linear axis whose ticks lie ``apart`` pixels apart,
    so that labels are at least ``room`` apart: 1, 2, 5, 10, 20, ... (evenly spaced round
    numbers)."""
    stride, factors = 1, itertools.cycle((2, 2.5, 2))  # 1, 2, 5, 10, 20, 50, ...
    while apart * stride < room and stride < 10**6:
        stride = round(stride * next(factors))
    return stride


def spaced_apart(positions: list[float], ranks: list[int], room: float) -> list[bool]:
    """Which labels to keep: the best ranked first (then in order), each kept only if no
    kept one lies within ``room`` of it."""
    kept: list[float] = []
    keep = [False] * len(positions)
    for k in sorted(range(len(positions)), key=lambda k: (ranks[k], k)):
        if all(abs(positions[k] - other) >= room for other in kept):
            kept.append(positions[k])
            keep[k] = True
    return keep


MIN_PLOT_HEIGHT = 150  # pixels at the desk
MIN_LECTURE_PLOT_HEIGHT = 90  # times the scale, in presentation mode: readable from the back
KEY_COLUMNS = 5  # entries in a row of a key inside a plot, at most
KEY_WRAP_TRIES = 4  # narrower lines tried for a key's name wider than its plot
KEY_MARGIN = 3.0  # pixels round the key (pyqtgraph's 9 take a slide's view the room)
KEY_TEXT_MARGIN = 4.0  # Qt's: pixels round a name in the key
KEY_SAMPLE_SIZE = 20.0  # pyqtgraph's: a key's line sample, square
QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's largest size: no limit
TOP_AXIS_ROW = 1  # the row of pyqtgraph's PlotItem layout between the title and the view
NO_LIMIT = -1e307  # pyqtgraph's own lower limit of a view box: none
LOG_SWITCH_DECADES = 2.0  # a loss plot turns logarithmic when its curves span more than this


def wrapped(text: str, metrics: QFontMetricsF, width: float) -> list[str]:
    """``text`` broken between words into lines no wider than ``width`` as ``metrics``
    measures them (a word wider than that stands on a line of its own)."""
    lines: list[str] = []
    for word in text.split():
        joined = f"{lines[-1]} {word}" if lines else word
        if lines and metrics.horizontalAdvance(joined) <= width:
            lines[-1] = joined
        else:
            lines.append(word)
    return lines


def decades_spanned(series: list[Series | None]) -> float:
    """How many powers of ten the positive finite values of the series span (0: fewer than
    two such values)."""
    values = [np.concatenate([s.low, s.high]) for s in series if s is not None]
    if not values:
        return 0.0
    every = np.concatenate(values)
    positive = every[np.isfinite(every) & (every > 0)]
    if len(positive) < 2:
        return 0.0
    return float(np.log10(positive.max()) - np.log10(positive.min()))


class Plot(pg.PlotWidget):
    WAITING = " (no steps yet)"  # added to the title while there is nothing to draw

    def __init__(self, title: str, style: Style, log_y: bool, steps: bool = True,
                 y_from_zero: bool = False) -> None:
        """``steps``: the x axis counts steps, and never shows one below 0;
        ``y_from_zero``: nor does a linear y axis (a loss, a learning rate)."""
        super().__init__(axisItems={"left": DecadeAxis("left"),
                                    "bottom": StepAxis("bottom") if steps else MinusAxis("bottom")})
        self.title = title
        self.full_title = title  # the title as it reads; drawn elided when the plot is narrow
        self.style_ = style
        self.steps, self.y_from_zero = steps, y_from_zero
        self.setMenuEnabled(False)
        if steps:  # any other x axis is named by the plot that knows what it shows
            self.setLabel("bottom", "step")
        self.set_log_y(log_y)
        self.getPlotItem().setTitle(title)
        # In presentation mode the key stands in the plot, above its view, over a pale box.
        self.key = pg.LegendItem(offset=(-6, 6), brush=pg.mkBrush(255, 255, 255, 200))
        self.key.setParentItem(self.getPlotItem())
        self.key.layout.setContentsMargins(*[KEY_MARGIN] * 4)
        self.key.setVisible(False)
        self.key_inside = False  # the key is drawn in the plot (presentation mode)
        self.least_height = MIN_PLOT_HEIGHT  # the plot's, less the key's above the view
        self._key_entries: list[tuple[str, str]] = []
        self._shorter_entries: list[tuple[str, str]] | None = None
        self.built = True  # pyqtgraph resizes the view while it is built: no title yet
        self.apply_style(style)

    def set_log_y(self, on: bool) -> None:
        """A logarithmic or linear y axis; the axes clamped where their quantities end (a
        limit on a log axis is a power of ten: a log axis needs none, it never reaches 0)."""
        self.setLogMode(x=False, y=on)
        self.setLimits(xMin=0.0 if self.steps else NO_LIMIT,
                       yMin=0.0 if self.y_from_zero and not on else NO_LIMIT)

    @property
    def log_y(self) -> bool:
        return bool(self.getPlotItem().ctrl.logYCheck.isChecked())

    def show_waiting(self, waiting: bool) -> None:
        """Before the first step: say what to do, and keep tidy axes instead of a default
        range (a log axis over less than a decade crowds its labels)."""
        text = self.title + (self.WAITING if waiting else "")
        if self.full_title != text:
            self.full_title = text
            self._show_title()
        if waiting:
            self.setXRange(0, 10, padding=0)
            self.setYRange(-3, 0, padding=0) if self.log_y else self.setYRange(0, 1, padding=0)
        self.enableAutoRange(enable=not waiting)

    def apply_style(self, style: Style) -> None:
        self.style_ = style
        self.setBackground(style.background)
        font = QFont(style.small_font)
        for axis in ("left", "bottom"):
            item = self.getAxis(axis)
            item.setTickFont(font)
            item.setTextPen(style.foreground)
            item.setPen(style.muted)
        # The axis titles at the ticks' size (pyqtgraph's own is 9 points whatever the scale).
        # An axis keeps the look it is given for the titles set later without one: an axis
        # with no title yet gets it too (a data plot names its y axis once the data come).
        for axis in ("left", "bottom"):
            item = self.getAxis(axis)
            item.setLabel(item.labelText, item.labelUnits, color=style.foreground.name(),
                          **{"font-size": f"{font.pointSizeF():.1f}pt"})
        self.least_height = round(MIN_LECTURE_PLOT_HEIGHT * style.scale) if style.presenting \
            else MIN_PLOT_HEIGHT
        self.setMinimumHeight(self.least_height)
        self.key.setLabelTextSize(f"{font.pointSizeF():.1f}pt")
        self.key.setLabelTextColor(style.foreground)
        self.key.setBrush(pg.mkBrush(style.label_box))
        self.set_key(self._key_entries, force=True)
        self._show_title()

    def title_font_size(self) -> float:
        """The title's size in points: a little above the body."""
        return self.style_.body_pt * self.style_.scale * 1.1

    def set_title_shown(self, shown: bool) -> None:
        """Show the title above the plot, or none (where a tab or a heading names it)."""
        if shown == self.getPlotItem().titleLabel.isVisible():
            return
        self.getPlotItem().setTitle(self.title if shown else None)
        self._show_title()

    def _show_title(self) -> None:
        """The title, elided to the plot's width rather than widening it."""
        font = self.style_.font(1.1)
        room = max(40, self._room() - 28)  # the title stands over the view box alone
        text = QFontMetricsF(font).elidedText(self.full_title, Qt.TextElideMode.ElideRight,
                                              room)
        self.getPlotItem().titleLabel.setText(
            text, color=self.style_.foreground.name(), size=f"{self.title_font_size():.0f}pt")
        self.getPlotItem().titleLabel.setToolTip(self.full_title)

    def _room(self) -> float:
        """The width the view box has in the widget: its width less the left axis's (the
        view box itself may be laid out wider, to hold a title or a key too wide)."""
        return self.width() - self.getAxis("left").width() - 8

    def shown_title(self) -> str:
        """The title as drawn (elided if the plot is narrow)."""
        return str(self.getPlotItem().titleLabel.text)

    def set_key(self, entries: list[tuple[str, str]], force: bool = False,
                shorter: list[tuple[str, str]] | None = None) -> None:
        """The key inside the plot: (colour, name) per curve, in as few rows as the plot's
        width allows (up to KEY_COLUMNS a row); ``shorter``: the same entries with shorter
        names, taken when the full ones need more than one line."""
        if entries == self._key_entries and shorter == self._shorter_entries and not force:
            return
        self._key_entries, self._shorter_entries = list(entries), shorter
        self._lay_out_key()

    def _lay_out_key(self) -> None:
        for entries in (self._key_entries, self._shorter_entries):
            if entries is not None and self._fill_key(entries):
                break
        self._place_key()

    def _fill_key(self, entries: list[tuple[str, str]]) -> bool:
        """The key holding these entries in as many columns as the room allows; where one
        entry alone is wider than the plot, its name wrapped onto lines that fit. True if
        the key takes one line."""
        room = self._room() - 12
        if not entries:
            self.key.clear()
            return True
        for columns in range(min(KEY_COLUMNS, max(1, len(entries))), 0, -1):
            self._build_key(entries, columns)
            if self.key.layout.preferredWidth() <= room:
                return self.key.layout.rowCount() <= 1
        # A line of the names' width, less what the widest is too wide by, until it fits
        # (the labels' own margins are not known beforehand; a few tries settle it).
        widest = max(QFontMetricsF(self.style_.small_font).horizontalAdvance(name)
                     for _, name in entries)
        line = widest - (self.key.layout.preferredWidth() - room)
        for _ in range(KEY_WRAP_TRIES):
            self._build_key(entries, 1, line)
            excess = self.key.layout.preferredWidth() - room
            if excess <= 0:
                break
            line -= excess
        return False

    def _build_key(self, entries: list[tuple[str, str]], columns: int,
                   line: float | None = None) -> None:
        """The key's entries in ``columns`` columns, each name broken into lines no wider
        than ``line`` pixels (None: on one line)."""
        width = max(2.0, 2.0 * self.style_.scale)
        metrics = QFontMetricsF(self.style_.small_font)
        self.key.clear()
        self.key.setColumnCount(columns)
        for colour, text in entries:
            lines = [text] if line is None else wrapped(text, metrics, line)
            self.key.addItem(pg.PlotDataItem(pen=pg.mkPen(colour, width=width)),
                             "<br>".join(html.escape(part) for part in lines))

    def _place_key(self) -> None:
        """The key stands above the view, in the plot's row between the title and the view
        (the hidden top axis's), kept as tall as the key: inside the view it would hide the
        very curves a lesson points to (a spike, a layer's norm dropping to 0)."""
        item = self.getPlotItem()
        above = self.key_inside and bool(self.key.items)  # no curves to tell apart: no key
        self.key.setVisible(above)
        if above:
            height = self.key.layout.preferredHeight() + 4
            item.layout.setRowFixedHeight(TOP_AXIS_ROW, height)
            title = item.titleLabel.geometry().bottom() if item.titleLabel.isVisible() else 0.0
            self.key.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-6, title + 2))
            # A line of key is the plot's to give (a slide's captions need their room too);
            # beyond that the view keeps the height it would have without a key.
            self.setMinimumHeight(self.least_height + round(max(0.0, height - self._key_line())))
        else:  # the row as pyqtgraph leaves it: as tall as its (hidden) top axis
            item.layout.setRowMinimumHeight(TOP_AXIS_ROW, 0)
            item.layout.setRowMaximumHeight(TOP_AXIS_ROW, QWIDGETSIZE_MAX)
            self.setMinimumHeight(self.least_height)

    def _key_line(self) -> float:
        """The height of a key of one line, as the row above the view holds it."""
        text = QFontMetricsF(self.style_.small_font).height() + 2 * KEY_TEXT_MARGIN
        return max(KEY_SAMPLE_SIZE, text) + 2 * KEY_MARGIN + 4

    def show_key_inside(self, inside: bool) -> None:
        self.key_inside = inside
        self._place_key()

    def key_covers_view(self) -> bool:
        """Whether the key inside the plot lies over the view's data area."""
        key = self.key.sceneBoundingRect()
        view = self.getPlotItem().getViewBox().sceneBoundingRect()
        return self.key.isVisible() and key.intersects(view)

    def key_rect(self) -> QRectF:
        """Where the key inside the plot lies, in the plot widget's pixels."""
        return self.mapFromScene(self.key.sceneBoundingRect()).boundingRect().toRectF()

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        super().resizeEvent(event)
        if getattr(self, "built", False):
            self._show_title()
            if self.key_inside:
                self._lay_out_key()


def _faint(colour: str | QColor) -> QColor:
    """The colour of the raw points behind a trend line: the same hue, washed out."""
    faint = QColor(colour)
    faint.setAlpha(70)
    return faint


def legend_html(entries: list[tuple[str, str]], keep_together: bool = True) -> str:
    """A legend line for a QLabel: a thick coloured dash before each name. Lines break only
    between entries (``keep_together``) or anywhere (for long names)."""
    def name(text: str) -> str:
        text = html.escape(text)
        return text.replace(" ", "&nbsp;") if keep_together else text

    return " &nbsp; ".join(
        f'<span style="color:{colour}; font-weight:bold">&#9473;&#9473;</span>&nbsp;{name(text)}'
        for colour, text in entries)


class Curve:
    """A metric drawn as a bold line; with noisy (mini-batch) data the line is a moving
    average and the raw points are drawn faintly behind it."""

    TREND_POINTS = 30  # the moving average spans 1/30 of the drawn points
    MARKED_POINTS = 20  # up to this many points each gets a dot: one step is not a line

    def __init__(self, plot: pg.PlotWidget, colour: str | QColor, log: bool,
                 style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> None:
        self.log = log
        self.colour = QColor(colour)
        self.raw = plot.plot(pen=pg.mkPen(_faint(colour), width=1))
        self.line = plot.plot(pen=pg.mkPen(colour, width=2, style=style))

    def _mark(self, points: int) -> None:
        """Dots on a short line (a first step has nothing to join), none on a long one."""
        if points <= self.MARKED_POINTS:
            self.line.setSymbol("o")
            self.line.setSymbolSize(6)
            self.line.setSymbolBrush(self.colour)
            self.line.setSymbolPen(None)
        elif self.line.opts["symbol"] is not None:
            self.line.setSymbol(None)

    def remove_from(self, plot: pg.PlotWidget) -> None:
        plot.removeItem(self.raw)
        plot.removeItem(self.line)

    def show(self, series: Series | None, smooth: bool) -> None:
        if series is None or not len(series.steps):
            self.raw.setData([], [])
            self.line.setData([], [])
            return
        x, y = envelope(series)
        if self.log:
            positive = y > 0  # a log axis cannot show zero
            x, y = x[positive], y[positive]
        self._mark(len(x))
        if not smooth:
            self.raw.setData([], [])
            self.line.setData(x, y, skipFiniteCheck=True)
            return
        self.raw.setData(x, y, skipFiniteCheck=True)
        trend = series.trend(max(1, len(series.steps) // self.TREND_POINTS))
        keep = np.isfinite(trend)
        if self.log:
            keep &= trend > 0  # a log axis cannot show zero
        self.line.setData(series.steps[keep], trend[keep], skipFiniteCheck=True)


def scrolled_into(host: QWidget, inner: QWidget) -> None:
    """Fill ``host`` with a scroll area holding ``inner``: a panel of stacked plots taller than
    its dock scrolls rather than squeezing its plots."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(inner)
    outer = QVBoxLayout(host)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(scroll)


def plotted_series(snapshot: Snapshot | None, name: str, pixels: int) -> Series | None:
    """A metric as plottable points, about one min/max pair per two pixels (None: no steps)."""
    if snapshot is None or not snapshot.history:
        return None
    return snapshot.history[name].decimated(max(64, pixels // 2))


def on_screen(widget: QWidget) -> bool:
    """Whether any of ``widget`` can be seen. A dock behind another in a tabbed dock area
    stays "visible" to Qt (isVisible), only clipped to nothing: a panel that redraws on the
    frame tick asks this, or it keeps drawing (and costing the GUI thread) for no one."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


def mini_batches(snapshot: Snapshot) -> bool:
    """Whether each step sees a different batch, so that the metrics are noisy."""
    return snapshot.batch_size < snapshot.train_size


PLOT_INTERVAL_SECONDS = 0.1  # while playing, the plots redraw at most 10 times a second


class LivePlots(QWidget):
    """The live plots, stacked: loss, gradient norm per layer, learning rate (if scheduled).

    `set_snapshot` only takes note of new data; `refresh_next` redraws one plot whose data
    changed, so that no single GUI frame redraws all of them.
    """

    def __init__(self, style: Style, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.style_ = style
        self.loss_plot = Plot("Loss", style, log_y=False, y_from_zero=True)
        self.norm_plot = Plot("Gradient norm per layer (log)", style, log_y=True)
        self.rate_plot = Plot("Learning rate", style, log_y=False, y_from_zero=True)
        self.log_loss = QCheckBox("log scale")
        self.log_loss.setToolTip(f"The loss on a logarithmic axis. It turns on by itself when "
                                 f"the curves span more than {LOG_SWITCH_DECADES:g} powers of "
                                 f"ten, unless you choose")
        self.log_loss.toggled.connect(self._set_loss_log)
        self.log_loss.clicked.connect(self._log_chosen)
        self.log_chosen = False  # the user ticked or cleared "log scale" in this run
        self.clip_label = QLabel("")
        self.loss_key, self.norm_key = QLabel(), QLabel()
        for key in (self.loss_key, self.norm_key):
            key.setWordWrap(True)
        header = QHBoxLayout()
        header.addWidget(self.log_loss)
        header.addStretch(1)
        header.addWidget(self.clip_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(header)
        layout.addWidget(self.loss_key)
        layout.addWidget(self.loss_plot, 3)
        layout.addWidget(self.norm_key)
        layout.addWidget(self.norm_plot, 3)
        layout.addWidget(self.rate_plot, 1)
        self.train_curve = Curve(self.loss_plot, TRAIN_COLOUR, log=False)
        self.val_curve = Curve(self.loss_plot, VALIDATION_COLOUR, log=False)
        self.penalty_curve = Curve(self.loss_plot, PENALTY_COLOUR, log=False)
        self.global_curve = Curve(self.norm_plot, ALL_LAYERS_COLOUR, log=True,
                                   style=Qt.PenStyle.DashLine)
        self.layer_curves: list[Curve] = []
        self.clip_markers = self.norm_plot.plot(pen=None, symbol="t", symbolSize=10,
                                                symbolPen=pg.mkPen(CLIP_COLOUR),
                                                symbolBrush=pg.mkBrush(CLIP_COLOUR))
        self.threshold_line = pg.InfiniteLine(angle=0, pen=pg.mkPen(CLIP_COLOUR, width=1.5,
                                                                      style=Qt.PenStyle.DashLine))
        self.norm_plot.addItem(self.threshold_line)
        self.rate_curve = self.rate_plot.plot(pen=pg.mkPen(RATE_COLOUR, width=2))
        self.rate_plot.setVisible(False)
        self.redraws = 0
        self.snapshot: Snapshot | None = None
        self._dirty: list = []  # plots whose data changed since they were drawn
        self._order = [self._draw_loss, self._draw_norms, self._draw_rate]

    def sizeHint(self) -> QSize:
        # Wide enough for tick labels and the legend line, however narrow the docks beside it.
        return QSize(int(460 * self.style_.scale), int(600 * self.style_.scale))

    @Slot()
    def _log_chosen(self) -> None:
        self.log_chosen = True

    @Slot(bool)
    def _set_loss_log(self, on: bool) -> None:
        self.loss_plot.set_log_y(on)
        self.train_curve.log = self.val_curve.log = self.penalty_curve.log = on
        if self.snapshot is not None:
            self._draw_loss(self.snapshot)

    def apply_style(self, style: Style) -> None:
        self.style_ = style
        for plot in (self.loss_plot, self.norm_plot, self.rate_plot):
            plot.apply_style(style)
            plot.show_key_inside(style.presenting)
        for key in (self.loss_key, self.norm_key):  # the keys above the plots, at the desk
            key.setVisible(not style.presenting)
        side = round(style.small_font.pointSizeF() * 96 / 72 * 0.8)
        self.log_loss.setFont(style.small_font)
        self.log_loss.setStyleSheet(f"QCheckBox::indicator {{ width: {side}px; "
                                    f"height: {side}px; }}")

    def emphasise(self, side: str | None) -> None:
        """Presentation mode's slide: "gradients" gives the gradient-norm plot the larger
        share, "pictures" (a decision boundary beside it) keeps the loss alone; None or
        "plots" shows both plots alike."""
        self.norm_plot.setVisible(side != "pictures")
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.setStretchFactor(self.loss_plot, 2 if side == "gradients" else 3)
        layout.setStretchFactor(self.norm_plot, 4 if side == "gradients" else 3)

    def _ensure_layer_curves(self, depth: int) -> None:
        if depth == len(self.layer_curves):
            return
        for curve in self.layer_curves:
            curve.remove_from(self.norm_plot)
        self.layer_curves = [Curve(self.norm_plot, layer_colour(number), log=True)
                             for number in range(1, depth + 1)]

    def set_snapshot(self, snapshot: Snapshot) -> None:
        """Take note of new data; the plots redraw on `refresh_next` / `refresh_all`."""
        self.snapshot = snapshot
        self._ensure_layer_curves(snapshot.depth)
        self._dirty = list(self._order)

    def refresh_next(self) -> bool:
        """Redraw the next plot whose data changed, if the plots are on screen; False when
        none was drawn."""
        return on_screen(self) and self._redraw_next()

    def refresh_all(self) -> None:
        """Redraw every plot whose data changed, on screen or not (a picture of them)."""
        while self._redraw_next():
            pass

    def _redraw_next(self) -> bool:
        if not self._dirty or self.snapshot is None:
            return False
        self._dirty.pop(0)(self.snapshot)
        self.redraws += 1
        return True

    def _series(self, snapshot: Snapshot, name: str) -> Series | None:
        return plotted_series(snapshot, name, self.width())

    def _draw_loss(self, snapshot: Snapshot) -> None:
        self.loss_plot.show_waiting(not snapshot.history)
        if not snapshot.history:  # a new run: the scale is chosen afresh
            self.log_chosen = False
        noisy = mini_batches(snapshot)
        # The L1/L2 penalty is not part of the loss curves: it is drawn as its own curve, and
        # training minimises the sum of the two.
        regularization = snapshot.experiment.regularization
        penalised = bool(regularization.l1 or regularization.l2)
        series = [self._series(snapshot, "loss"), self._series(snapshot, "val_loss"),
                  self._series(snapshot, "penalty") if penalised else None]
        if not self.log_chosen and not self.log_loss.isChecked() and \
                decades_spanned(series) > LOG_SWITCH_DECADES:
            self.log_loss.setChecked(True)  # redraws the curves on the log axis
        self.train_curve.show(series[0], smooth=noisy)
        self.val_curve.show(series[1], smooth=False)
        self.penalty_curve.show(series[2], smooth=False)
        train = "training loss, each batch (faint) and its moving average" if noisy \
            else "training loss"
        entries = [(TRAIN_COLOUR, train)]
        if snapshot.experiment.data.validation_fraction > 0.0:
            entries.append((VALIDATION_COLOUR, "validation loss"))
        if penalised:
            entries.append((PENALTY_COLOUR, "penalty on the weights"))
        self.loss_key.setText(legend_html(entries))
        # A slide's narrow plot: the same words, fewer of them; the training loss alone, drawn
        # plainly, needs no key under the title "Loss".
        shorter = [(TRAIN_COLOUR, "training loss: moving average (faint: each batch)")] \
            if noisy else []
        alone = len(entries) == 1 and not noisy
        self.loss_plot.set_key([] if alone else entries,
                               shorter=shorter + entries[1:] if noisy else None)

    def _draw_norms(self, snapshot: Snapshot) -> None:
        self.norm_plot.show_waiting(not snapshot.history)
        noisy = mini_batches(snapshot)
        self._show_threshold(snapshot)
        norms = self._series(snapshot, "grad_norm")
        self.global_curve.show(norms, smooth=noisy)
        for number, curve in enumerate(self.layer_curves, 1):
            curve.show(self._series(snapshot, f"grad_norm_{number}"), smooth=noisy)
        entries = [(ALL_LAYERS_COLOUR, "all layers")] + \
            [(layer_colour(number).name(), f"layer {number}")
             for number in range(1, len(self.layer_curves) + 1)]
        if snapshot.experiment.clipping.kind != "none":
            entries.append((CLIP_COLOUR, "▼ clipped"))
        self.norm_key.setText(legend_html(entries))
        # On a slide the key stands in the plot: if the names need more than a row, "layer
        # 1", then the numbers alone, so that nine layers take two rows, not four.
        self.norm_plot.set_key(entries, shorter=entries[:2] + [
            (colour, name.removeprefix("layer ")) for colour, name in entries[2:]])
        clipped = self._series(snapshot, "clipped")
        if clipped is not None and norms is not None:  # None: no steps taken yet
            self._show_clips(snapshot, clipped, norms)
        else:
            self.clip_markers.setData([], [])

    def _draw_rate(self, snapshot: Snapshot) -> None:
        schedule = snapshot.experiment.schedule.kind != "constant"
        self.rate_plot.setVisible(schedule)
        rates = self._series(snapshot, "learning_rate") if schedule else None
        if rates is not None:
            self.rate_curve.setData(*envelope(rates), skipFiniteCheck=True)

    def _show_clips(self, snapshot: Snapshot, clipped: Series, norms: Series) -> None:
        # Decimated like the curves: a run that clips at every step would otherwise draw
        # thousands of markers; a bucket with any clip keeps its marker (its maximum).
        hit = np.isfinite(clipped.high) & (clipped.high > 0) & (norms.high > 0)
        self.clip_markers.setData(clipped.steps[hit], norms.high[hit])
        if snapshot.experiment.clipping.kind == "none":
            self.clip_label.setText("clipping off")
        else:
            self.clip_label.setText(
                f"clipping fired {notation.count(snapshot.clip_count, 'time')}")

    def _show_threshold(self, snapshot: Snapshot) -> None:
        spec = snapshot.experiment.clipping
        shown = spec.kind in ("global_norm", "layer_norm")
        self.threshold_line.setVisible(shown)
        if shown:
            self.threshold_line.setPos(np.log10(spec.threshold))
