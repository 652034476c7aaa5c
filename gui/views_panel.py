"""The data with the network's fit (gui.data_panel) and the loss landscape, as the worker
computes them (sim.views).

Loss landscape: the loss along the selected weight (a curve), or two weights (a heat map),
the other weights held where they are, with the path the weights took over the last steps; for
a lesson that gives the path a course text prints, that path too, and below the curve both
paths against the step.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal, Slot
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from sim import notation
from sim.address import ParameterAddress
from sim.lesson_view import LessonView
from sim.views import DataView, LandscapeView

from .data_panel import DataPanel
from .plots import Plot, legend_html
from .style import (
    CURVE_COLOUR,
    NOW_COLOUR,
    PATH_COLOUR,
    PRINTED_PATH_COLOUR,
    Style,
)

DATA_TAB, LANDSCAPE_TAB = 0, 1
LARGEST_RANGE = 1e150  # a surface window past this is left to pyqtgraph's own ranging
COLOUR_BAR_WIDTH = 18  # pixels at the desk, times the presentation scale
PRINTED_SYMBOL = {"symbol": "d", "symbolSize": 14, "symbolBrush": None,
                  "symbolPen": pg.mkPen(PRINTED_PATH_COLOUR, width=2.5)}


def path_name(view: LandscapeView, taker: str) -> str | None:
    """The path's entry in the key: since when it is drawn, if not from the run's start (its
    start dropped, or the weights chosen later). None while the path is one point: the
    weights now, under the dot that marks them (see `path_note`)."""
    if len(view.path_steps) < 2:
        return None
    name = f"the path the {taker} took"
    if view.path_steps[0] > 0:
        name += f" since step {int(view.path_steps[0]):,}"
    return name


def path_note(view: LandscapeView, taker: str) -> str:
    """What the key says of a path not drawn yet (one point, or none): where it will start."""
    if path_name(view, taker) is not None or not len(view.path_steps):
        return ""
    return (f"The path is drawn from step {int(view.path_steps[0]):,} on, as training moves "
            f"the {taker}.")


def path_box(view: LandscapeView) -> QRectF | None:
    """The smallest box holding the weights now and the finite points of their path (None:
    no point is finite)."""
    points = np.vstack([view.path[:, :2], np.array(view.current[:2])[None, :]])
    points = points[np.isfinite(points).all(axis=1)]
    if not len(points):
        return None
    low, high = points.min(axis=0), points.max(axis=0)
    return QRectF(low[0], low[1], high[0] - low[0], high[1] - low[1])


def surface_range(window: QRectF, around: QRectF | None, aspect: float
                  ) -> tuple[tuple[float, float], tuple[float, float]]:
    """The x and y ranges that show ``window`` at one scale in a plot ``aspect`` times as wide
    as high: the whole window along one axis, and along the other a stretch of it centred on
    ``around`` (the path; None: the window's centre), kept inside the window."""
    width, height = window.width(), window.height()
    if width / height < aspect:  # wider plot: all of x, a band of y
        height = width / aspect
    else:
        width = height * aspect

    def stretch(low: float, size: float, centre: float, shown: float) -> tuple[float, float]:
        start = min(max(centre - shown / 2, low), low + size - shown)
        return start, start + shown

    centre = (around or window).center()
    return (stretch(window.left(), window.width(), centre.x(), width),
            stretch(window.top(), window.height(), centre.y(), height))


def finite_points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points (copies) where both coordinates are finite numbers."""
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


class ViewsPanel(QTabWidget):
    """Two tabs; the window feeds it the worker's Views and the canvas selection."""

    # (the data view's slice inputs, or None: no data view; landscape addresses or None):
    # what the worker should compute
    wanted_changed = Signal(object, object)

    def __init__(self, style: Style, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.addresses: list[ParameterAddress] = []
        self.presenting = False  # drawn for a slide (presentation mode)
        self.problem = False  # the choice line says why there is no landscape
        self.selected: ParameterAddress | None = None  # the weight selected on the canvas
        # Its dock's tab is in front (a tab behind another stays isVisible() to Qt)
        self.on_screen = True
        self._build_data(style)
        self._build_landscape(style)
        self.currentChanged.connect(lambda _: self._announce())

    # ------------------------------------------------------------------ building

    def _build_data(self, style: Style) -> None:
        self.data_panel = DataPanel(style)
        self.data_panel.slice_changed.connect(self._announce)
        self.addTab(self.data_panel, "Data")

    def _build_landscape(self, style: Style) -> None:
        page = QWidget()
        self.landscape_plot = Plot("Loss landscape", style, log_y=False, steps=False)
        self.shown_surface: QRectF | None = None  # the two-weight surface's window, if shown
        self._path_box: QRectF | None = None  # what of it the plot keeps in view
        self.landscape_plot.getPlotItem().getViewBox().sigResized.connect(self.fit_surface)
        self.quantity = notation.LOSS  # the landscape's loss, as its view names it
        self.landscape_plot.setLabel("left", f"loss {notation.LOSS} (training set)")
        for side in ("left", "bottom"):  # a loss of 0.45 reads 0.45, never 450 "(x0.001)"
            self.landscape_plot.getAxis(side).enableAutoSIPrefix(False)
        self.curve = self.landscape_plot.plot(pen=pg.mkPen(CURVE_COLOUR, width=2))
        self.surface = pg.ImageItem(axisOrder="row-major")
        self.surface.setColorMap(pg.colormap.get("viridis"))
        self.landscape_plot.addItem(self.surface)
        # The loss over two weights: what a colour means, on a bar beside the map (the map
        # holds log10 of the loss; the bar's axis labels the loss itself).
        self.colour_bar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False,
                                          width=COLOUR_BAR_WIDTH, label="loss (log scale)")
        self.colour_bar.axis.setLogMode(True)
        self.colour_bar.setImageItem(self.surface, insert_in=self.landscape_plot.getPlotItem())
        self.colour_bar.setVisible(False)
        self.path = self.landscape_plot.plot(pen=pg.mkPen(PATH_COLOUR, width=2), symbol="o",
                                             symbolSize=8, symbolBrush=PATH_COLOUR,
                                             symbolPen=None)
        # A path a course text prints (a lesson's view.printed_path): hollow diamonds on the
        # curve, and below it both paths against the step, where they can be told apart.
        self.printed = self.landscape_plot.plot(pen=None, **PRINTED_SYMBOL)
        self.now = pg.ScatterPlotItem(size=13, brush=pg.mkBrush(NOW_COLOUR),
                                      pen=pg.mkPen("w", width=2))
        self.landscape_plot.addItem(self.now)
        self.landscape_key = QLabel()
        self.landscape_key.setWordWrap(True)
        self.landscape_key.setTextFormat(Qt.TextFormat.RichText)
        self.steps_plot = Plot("The weight, step by step", style, log_y=False)
        self.steps_path = self.steps_plot.plot(pen=pg.mkPen(PATH_COLOUR, width=2), symbol="o",
                                               symbolSize=8, symbolBrush=PATH_COLOUR,
                                               symbolPen=None)
        self.steps_printed = self.steps_plot.plot(
            pen=pg.mkPen(PRINTED_PATH_COLOUR, width=2, style=Qt.PenStyle.DashLine),
            **PRINTED_SYMBOL)
        self.steps_plot.setVisible(False)
        self.choice = QLabel()
        self.choice.setWordWrap(True)
        self.choice.setTextFormat(Qt.TextFormat.RichText)  # names with sub- and superscripts
        self.first_button = QPushButton("Use selected")
        self.first_button.setToolTip("Show the loss along the weight selected on the network")
        self.second_button = QPushButton("Add as 2nd axis")
        self.second_button.setToolTip("Show the loss over two weights: the one shown and the "
                                      "one selected")
        self.clear_button = QPushButton("Clear")
        self.first_button.clicked.connect(self.use_selected)
        self.second_button.clicked.connect(self.add_selected)
        self.clear_button.clicked.connect(self.clear)
        buttons = QHBoxLayout()
        for button in (self.first_button, self.second_button, self.clear_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.choice)
        layout.addLayout(buttons)
        layout.addWidget(self.landscape_key)
        layout.addWidget(self.landscape_plot, 3)
        layout.addWidget(self.steps_plot, 2)
        self.no_plot = QWidget()  # holds the plot's room while there is none: the rest on top
        layout.addWidget(self.no_plot, 3)
        self.no_plot.setVisible(False)
        self.addTab(page, "Loss landscape")
        self._show_choice()
        self._show_plot(False)

    def apply_style(self, style: Style) -> None:
        self.data_panel.apply_style(style)
        for plot in (self.landscape_plot, self.steps_plot):
            plot.apply_style(style)
        # A slide's side column is low: the landscape keeps the room for its curve. Its tab
        # names it (no title), its axis names the weight, and the line saying so shows only
        # to tell why there is no landscape.
        self.presenting = style.presenting
        self.landscape_plot.set_title_shown(not style.presenting)
        self._show_choice_line()
        self._label_loss_axis()
        # The colour bar's numbers and title at the plots' size, its bar as wide as it scales
        # (a slide's bar of the desk's size could not be read from the back of the room).
        bar, font = self.colour_bar, style.small_font
        bar.layout.setColumnFixedWidth(1, COLOUR_BAR_WIDTH * style.scale)
        bar.axis.setTickFont(font)
        bar.axis.setTextPen(style.foreground)
        titled = bar.getAxis("left")  # a vertical bar's title sits on its left
        titled.setLabel(titled.labelText, color=style.foreground.name(),
                        **{"font-size": f"{font.pointSizeF():.1f}pt"})
        bar.axis.setWidth(None)  # as wide as its numbers and title now are

    # ------------------------------------------------------------------ choosing weights

    def set_selected(self, address: ParameterAddress | None) -> None:
        """The weight (or bias) selected on the canvas; None for a node or nothing."""
        self.selected = address
        self._show_choice()

    @Slot()
    def use_selected(self) -> None:
        if self.selected is not None:
            self.addresses = [self.selected]
            self._changed()

    @Slot()
    def add_selected(self) -> None:
        if self.selected is not None and self.addresses and self.selected != self.addresses[0]:
            self.addresses = [self.addresses[0], self.selected]
            self._changed()

    @Slot()
    def clear(self) -> None:
        self.addresses = []
        self._changed()

    def open_lesson_view(self, view: LessonView) -> bool:
        """Show the landscape of the one or two weights a lesson names and the side view it
        asks for; True if it asks for either (the panel should then come to the front)."""
        if view.weights:
            self.addresses = list(view.weights)
            self._changed()
        tab = {"boundary": DATA_TAB, "landscape": LANDSCAPE_TAB}.get(
            view.side_view or "", LANDSCAPE_TAB if view.weights else None)
        if tab is not None:
            self.setCurrentIndex(tab)
        return tab is not None

    def forget(self) -> None:
        """A new network: the chosen weights belonged to the old one."""
        self.addresses, self.selected = [], None
        self.data_panel.forget()
        self._changed()

    def _changed(self) -> None:
        if not self.addresses:  # the worker sends no landscape for none: clear the old one
            self._draw_landscape(None, "")
        else:  # the worker will send their landscape
            self._show_plot(True)
        self._show_choice()
        self._announce()

    def set_on_screen(self, on_screen: bool) -> None:
        """Whether the panel can be seen: its dock's tab in front of the others."""
        self.on_screen = on_screen
        self._announce()

    def _announce(self) -> None:
        """Ask for the picture of the tab on show only: each costs the worker time."""
        shown = self.isVisible() and self.on_screen
        data = self.data_panel.slice_inputs() if shown and self.currentIndex() == DATA_TAB \
            else None
        landscape = tuple(self.addresses) if shown and self.addresses and \
            self.currentIndex() == LANDSCAPE_TAB else None
        self.wanted_changed.emit(data, landscape)

    def _show_choice(self) -> None:
        chosen = " and ".join(a.label() for a in self.addresses) or "no weight yet"
        selected = self.selected.label() if self.selected else "nothing"
        self.choice.setText(notation.rich(f"Showing: {chosen}. Selected on the network: "
                                          f"{selected} (click an edge to select it)."))
        self.first_button.setEnabled(self.selected is not None)
        self.second_button.setEnabled(self.selected is not None and len(self.addresses) >= 1
                                      and self.selected not in self.addresses)
        self.clear_button.setEnabled(bool(self.addresses))

    def _show_choice_line(self) -> None:
        """At the desk always; on a slide, where the tab and the axis name the weight, only
        to say why there is no landscape or that none is chosen."""
        self.choice.setVisible(not self.presenting or self.problem or not self.addresses)

    def _show_plot(self, shown: bool) -> None:
        """The landscape's plot, or in its place an empty space (the choice line says why)."""
        self.landscape_plot.setVisible(shown)
        self.no_plot.setVisible(not shown)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._announce()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._announce()

    # ------------------------------------------------------------------ drawing

    def show_views(self, data: DataView | None, landscape: LandscapeView | None,
                   problem: str) -> None:
        if data is not None:  # None: the data tab is not on show, and keeps its picture
            self.data_panel.show_view(data)
        self._draw_landscape(landscape, problem)

    def _draw_landscape(self, view: LandscapeView | None, problem: str) -> None:
        if view is None:
            self.shown_surface = None
            for item in (self.curve, self.path, self.printed, self.steps_path,
                         self.steps_printed):
                item.setData([], [])
            self.steps_plot.setVisible(False)
            self.now.clear()
            self.surface.clear()
            self.landscape_key.setText("")
            if problem:
                self.choice.setText(notation.rich(problem))
            self.problem = bool(problem)
            self._show_choice_line()
            # No weight, or none that has a landscape: no empty axes that name nothing
            # (they read "step" over -0.4 to 0.4, the loss below 0); the line above says why.
            # Weights chosen: the plot waits for their landscape.
            self._show_plot(bool(self.addresses) and not problem)
            return
        self.problem = False
        self._show_choice_line()
        self._show_plot(True)
        if view.v is None:
            self._draw_curve(view)
        else:
            self._draw_surface(view, view.v)

    def _draw_curve(self, view: LandscapeView) -> None:
        self.shown_surface = None
        self.landscape_plot.enableAutoRange()
        self.surface.setVisible(False)  # hidden items do not stretch the axes
        self.colour_bar.setVisible(False)
        self.landscape_plot.setAspectLocked(False)  # a weight against a loss: no common unit
        self.landscape_plot.setLabel("bottom", notation.rich(view.addresses[0].label()))
        self.quantity = view.quantity
        self._label_loss_axis()
        # A diverged network's loss is infinite at some weights: no point to draw there.
        self.curve.setData(*finite_points(view.u, view.losses))
        self.path.setData(*finite_points(view.path[:, 0], view.path_losses))
        self.printed.setData(*finite_points(view.printed, view.printed_losses))
        self.now.setData(*finite_points(np.array(view.current[:1]),
                                        np.array([view.current_loss])))
        entries = [(CURVE_COLOUR, f"loss {view.quantity} on the training set along this "
                                  f"weight, the others fixed")]
        path = path_name(view, "weight")
        if path is not None:
            entries.append((PATH_COLOUR, path))
        printed = bool(len(view.printed))
        if printed:
            entries.append((PRINTED_PATH_COLOUR, view.printed_label))
            self.steps_plot.setLabel("left", notation.rich(view.addresses[0].label()))
            self.steps_path.setData(*finite_points(view.path_steps.astype(float),
                                                   view.path[:, 0]))
            self.steps_printed.setData(view.printed_steps.astype(float), view.printed.copy())
        self.steps_plot.setVisible(printed)
        self._show_key(entries, path_note(view, "weight"))

    def _show_key(self, entries: list[tuple[str, str]], note: str) -> None:
        """The key: what each colour drawn is, then a note (of a path not drawn yet)."""
        lines = [legend_html(entries, keep_together=False)] if entries else []
        self.landscape_key.setText("<br>".join(lines + ([html.escape(note)] if note else [])))

    def _label_loss_axis(self) -> None:
        """The curve's loss axis: on a slide, where the plot is low, its name alone (the key
        says what set it is on)."""
        if self.shown_surface is None:
            where = "" if self.presenting else " (training set)"
            self.landscape_plot.setLabel("left", f"loss {self.quantity}{where}")

    def _draw_surface(self, view: LandscapeView, v: np.ndarray) -> None:
        """The loss over two parameters; ``v`` is ``view.v``, the second one's values."""
        self.curve.setData([], [])
        self.printed.setData([], [])
        self.steps_plot.setVisible(False)
        path = path_name(view, "weights")
        self._show_key([] if path is None else [(PATH_COLOUR, path)], path_note(view, "weights"))
        first, second = view.addresses[:2]
        self.landscape_plot.setLabel("bottom", notation.rich(first.label()))
        self.landscape_plot.setLabel("left", notation.rich(second.label()))
        self.surface.setVisible(True)
        # Two weights share a unit: equal axes show the valley's true shape (a ravine is
        # long and narrow, not the square an unequal scale would make of it).
        self.landscape_plot.setAspectLocked(True, 1.0)
        # Log of the loss: a bowl's floor and rim differ by orders of magnitude.
        # (clipped to 10^±300: the colour bar labels its ticks as losses, 10 to their power)
        shown = np.clip(np.log10(np.maximum(view.losses, 1e-300)), -300.0, 300.0)
        finite = shown[np.isfinite(shown)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        # Where a diverged network's loss is infinite, the map shows the top colour.
        self.surface.setImage(np.where(np.isfinite(shown), shown, high), autoLevels=False)
        self.colour_bar.setLevels((low, high if high > low else low + 1.0))
        self.colour_bar.setVisible(True)
        u0, u1, v0, v1 = view.u[0], view.u[-1], v[0], v[-1]
        self.surface.setRect(QRectF(u0, v0, u1 - u0, v1 - v0))
        self.path.setData(*finite_points(view.path[:, 0], view.path[:, 1]))
        self.now.setData(*finite_points(np.array(view.current[:1]),
                                        np.array(view.current[1:2])))
        self.shown_surface = QRectF(u0, v0, u1 - u0, v1 - v0)
        self._path_box = path_box(view)
        self.fit_surface()

    @Slot()
    def fit_surface(self) -> None:
        """Fill the plot with the surface at one scale on both axes: sim computes a square
        window, of which the plot shows as much as its own shape holds, all of the window
        along its shorter side and, along its longer one, the part around the path (a wide
        slide shows a ravine long and low, a tall panel high and narrow; neither leaves a
        strip of picture in an empty panel)."""
        window = self.shown_surface
        box = self.landscape_plot.getPlotItem().getViewBox()
        if window is None or box.width() <= 0 or box.height() <= 0:
            return
        extent = (window.left(), window.right(), window.top(), window.bottom(),
                  window.width(), window.height())
        if not (all(abs(number) < LARGEST_RANGE for number in extent) and
                window.width() > 0 and window.height() > 0):
            return  # a diverging network's window: its range would overflow the view's sums
        x, y = surface_range(window, self._path_box, box.width() / box.height())
        box.setRange(xRange=x, yRange=y, padding=0.0)
