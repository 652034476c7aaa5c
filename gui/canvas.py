"""The network canvas: layers as columns of nodes, edges coloured by the active mode.

Painting is batched: every edge's colour bin comes from `sim.palette`, the edges are grouped by
bin and each group is drawn with one ``drawLines`` call (weakest first, so strong edges lie on
top). Geometry (node positions, the QLineF of every edge) is computed only when the size, zoom
or pan changes. A layer with more edges than can be read or painted quickly is drawn as its
weight matrix, a small heat map between the two columns, and the canvas says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, QSizeF, Qt, Signal, Slot
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QTextDocument,
    QWheelEvent,
)
from PySide6.QtWidgets import QToolTip, QWidget

from sim import explain, palette
from sim import notation as name
from sim.address import ParameterAddress
from sim.events import Event, Phase
from sim.paths import LayerEdges
from sim.snapshot import LayerSnapshot, Snapshot

from . import batch_norm_box
from .canvas_labels import LabelPlacer, PlacedLabel, preferred_fraction, spots_along
from .style import Style, layer_colour

LINE_LAYER_LIMIT = 1024  # a layer with more edges than this is drawn as a heat map ...
LINE_TOTAL_LIMIT = 2500  # ... once the whole network has more edges than this
LABEL_NODE_LIMIT = 64  # values are printed on nodes up to this many nodes (or when zoomed)
LABEL_EDGE_LIMIT = 40  # and on edges up to this many edges (or when zoomed)
STRIP_UNITS = 32  # a column of more units is drawn as a strip of coloured cells, not circles
NAME_GAP = 10  # pixels (at scale 1) between an output's picture and its name, and after it
MIN_ZOOM, MAX_ZOOM = 0.5, 8.0
# The colour legend, bottom left: its bar this far above the bottom and this high; its
# numbers above the bar, and above them the note of whose numbers are drawn.
LEGEND_BAR_BOTTOM, LEGEND_BAR_HEIGHT = 20, 14
LEGEND_TICK_GAP, LEGEND_NOTE_GAP = 2, 24  # from the bar's top to the numbers' and note's foot
VALUE_ROOM = 12  # between two nodes, besides a value's height: the gaps above and below it
LABEL_GAP = 2  # pixels between two labels, or a label and a node
BESIDE_UNITS = 4  # a column of at most this many units may print its values beside them
WIDE_NODE_VALUE = "δ −0.0001234"  # as wide as a node's number gets (sim.notation.number)
BANNER_GAP = 6  # between the stop banner and the legend under it
HEADER_TOP = 18  # the layers' headers start this far down
# Between the headers and the top nodes: room for the "+1" boxes of the biases, which sit
# above their columns, or else a small gap.
BIAS_ROOM, HEADER_GAP = 36, 12


@dataclass(frozen=True)
class Selection:
    """What the user picked: a weight, a bias, or a node (i is None for biases and nodes)."""

    kind: str  # "weight", "bias" or "node"
    layer: int  # 1..L for weights, biases and nodes of layers; 0 for input nodes
    j: int
    i: int | None = None

    @property
    def address(self) -> ParameterAddress | None:
        """The weight's or bias's address; None for a node."""
        return None if self.kind == "node" else ParameterAddress(self.layer, self.j, self.i)


@dataclass(frozen=True)
class PathHighlight:
    """The paths of one weight or bias to highlight, as edges by layer (sim.paths): every
    path's, the listed paths' (drawn more strongly) and the one picked in the paths panel."""

    every: dict[int, LayerEdges]
    listed: dict[int, LayerEdges] | None = None  # None: the paths' numbers are not computed yet
    chosen: dict[int, LayerEdges] | None = None


class NodePictures(Protocol):
    """Pictures drawn in place of the nodes of the hidden and output layers (the neuron maps
    of gui.neuron_maps): each a square centred on its node."""

    def half_sizes(self, nodes: list[np.ndarray], radius: float, right: float,
                   below: float) -> list[float]:
        """Per column, half the side of its pictures for nodes at these positions (as the
        canvas lays them out) and of this radius, none reaching past x = ``right``, each
        leaving ``below`` pixels free under it (for its value) before the next; 0 for a
        column drawn as discs."""
        ...

    def paint(self, painter: QPainter, nodes: list[np.ndarray], halves: list[float],
              selected: tuple[int, int] | None) -> None:
        """Draw the pictures (``selected``: the selected node's column and unit)."""
        ...


@dataclass(frozen=True)
class Pulses:
    """Signals on their way along the edges between two adjacent columns (gui.motion): from
    column ``source`` towards column ``target``, ``progress`` of the way there (0 to 1)."""

    source: int
    target: int
    progress: float


# How the paths are drawn over the faded network: every path and the listed ones in the
# foreground colour, (alpha, width in pixels); the one picked in the list in the accent colour.
PATHS_FADE = 200  # the alpha of the background laid over everything else
EVERY_PATH_PEN = (80, 1.5)
LISTED_PATH_PEN = (255, 2.5)
CHOSEN_PATH_WIDTH = 5.0


class _Geometry:
    """Screen positions for one widget size, zoom and pan; rebuilt when any of them change."""

    def __init__(self, widths: list[int], has_bias: list[bool], rect: QRectF, zoom: float,
                 pan: QPointF, scale: float, label_height: float,
                 header_bottom: float, legend_band: float) -> None:
        self.columns = len(widths)
        left, right = rect.left() + 90 * scale, rect.right() - 60 * scale
        # Under the headers (``header_bottom``), the biases' boxes if there are any: a small
        # network on a short canvas (a slide above a long caption) keeps its height for nodes.
        top = rect.top() + header_bottom + (BIAS_ROOM if any(has_bias) else HEADER_GAP) * scale
        # below the lowest nodes: room for their values above the colour legend
        bottom = rect.bottom() - max(90 * scale, legend_band + label_height + 6 * scale)
        span = max(right - left, 1.0)
        self.x = [left + span * c / max(self.columns - 1, 1) for c in range(self.columns)]
        tallest = max(widths)
        spacing = min((bottom - top) / max(tallest, 1), 90 * scale)
        radius = min(spacing * 0.32, 26 * scale)
        # Nodes a little smaller where that makes room for their values under them (a short
        # slide above a long caption), never smaller than a number is high.
        room = (spacing - label_height - VALUE_ROOM * scale) / 2
        if label_height / 2 + 2 * scale <= room < radius:
            radius = room
        self.radius = max(2.0, radius) * zoom
        centre = (top + bottom) / 2
        self.nodes: list[np.ndarray] = []  # per column: (units, 2) screen positions
        for c, n in enumerate(widths):
            ys = centre + (np.arange(n) - (n - 1) / 2) * spacing
            xs = np.full(n, self.x[c])
            self.nodes.append(self._to_screen(np.stack([xs, ys], axis=1), rect, zoom, pan))
        # A bias sits above its column and feeds the next layer (as the textbooks draw it).
        self.bias: list[np.ndarray | None] = [None]
        for c in range(1, self.columns):
            if has_bias[c - 1]:
                column = self.nodes[c - 1]
                above = np.array([[column[0, 0], column[:, 1].min() - max(spacing, 24 * scale)
                                   * zoom * 0.8]])
                self.bias.append(above)
            else:
                self.bias.append(None)
        self.lines: list[list[QLineF]] = [[]]  # per layer l: lines in W's row-major order
        self.segments: list[np.ndarray] = [np.zeros((0, 4))]
        for l in range(1, self.columns):
            a, b = self.nodes[l - 1], self.nodes[l]
            # Row k = j * fan_in + i runs from sending unit i to receiving unit j, as W.ravel().
            seg = np.concatenate([np.tile(a, (len(b), 1)), np.repeat(b, len(a), axis=0)], axis=1)
            self.segments.append(seg)
            self.lines.append([QLineF(*row) for row in seg.tolist()])
        self.bias_lines: list[list[QLineF]] = [[]]
        self.bias_segments: list[np.ndarray | None] = [None]
        for l in range(1, self.columns):
            bias = self.bias[l]
            if bias is None:
                self.bias_lines.append([])
                self.bias_segments.append(None)
                continue
            b = self.nodes[l]
            seg = np.concatenate([np.repeat(bias, len(b), axis=0), b], axis=1)
            self.bias_segments.append(seg)
            self.bias_lines.append([QLineF(*row) for row in seg.tolist()])

    @staticmethod
    def _to_screen(points: np.ndarray, rect: QRectF, zoom: float, pan: QPointF) -> np.ndarray:
        centre = np.array([rect.center().x(), rect.center().y()])
        return (points - centre) * zoom + centre + np.array([pan.x(), pan.y()])


class NetworkCanvas(QWidget):
    """Draws a Snapshot of the network; reports hovering, selection and weight edits."""

    selection_changed = Signal(object)  # Selection or None
    hover_changed = Signal(object)  # the Selection under the mouse, or None
    edit_requested = Signal(object)  # Selection of a weight or bias to edit

    def __init__(self, style: Style, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setMinimumSize(420, 300)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.style_ = style
        self.mode = "weight"  # the user's choice; see shown_mode
        self.scheme = "orange-blue"  # which colour-blind-safe set of colour maps
        self.phase_view = False  # True while the user walks an iteration phase by phase
        self.sample: int | None = None  # the followed training sample (None: sim's choice)
        self.snapshot: Snapshot | None = None
        self.selection: Selection | None = None
        self.hover: Selection | None = None
        self.paths: PathHighlight | None = None  # the paths shown, drawn over the network
        self.node_pictures: NodePictures | None = None  # drawn over the nodes, if any
        self.pulses: Pulses | None = None  # signals travelling while a phase is stepped
        # Fixed colour ranges: the top of each mode's range, a lesson's (view.colour_ranges)
        # or the first range a locked magnitude mode showed; see current_scale.
        self.colour_ranges: dict[str, float] = {}
        self.lesson_ranges: dict[str, float] = {}  # the lesson's own, kept when re-locking
        self.range_locked = True
        self.zoom = 1.0
        self.pan = QPointF(0.0, 0.0)
        self._geometry: _Geometry | None = None
        self._geometry_key: tuple | None = None
        self._drag_start: QPointF | None = None
        # Drawing rank of each bin in strength order; ZERO_BIN = -2 and NAN_BIN = -1 index
        # the last two entries: "zero" under everything, NaN over it.
        self._draw_rank = {mode: np.array([palette.bin_strength(b, mode)
                                           for b in range(palette.BINS)] + [-1.0, 2.0])
                           for mode in palette.MODES}
        self.paint_times: list[float] = []  # milliseconds, read by --stats
        self._font_metrics: dict[str, QFontMetricsF] = {}
        self._rich_texts: dict[tuple[str, str, str], QTextDocument] = {}  # see _named
        self._placed: list[PlacedLabel] = []  # the labels of the last paint
        self._names_on_nodes = False  # the last paint named the units on their nodes
        self.chain_overlay_rect: QRectF | None = None  # where the last paint put it

    # ------------------------------------------------------------------ inputs

    @Slot(object)
    def set_snapshot(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        for item in (self.selection, self.hover):
            if item is not None and not _fits(item, snapshot):  # the network was rebuilt
                self.hover = None
                if item is self.selection:
                    self.select(None)
        self.update()

    def _drawn(self) -> Snapshot:
        """The snapshot on show. Only what draws or describes one calls this: paintEvent
        draws "Loading…" and item_at finds nothing until the first snapshot arrives."""
        if self.snapshot is None:
            raise RuntimeError("the canvas has no snapshot to draw yet")
        return self.snapshot

    def palette_colours(self) -> np.ndarray:
        """The colour ramp of the shown mode in the chosen scheme."""
        return palette.SCHEMES[self.scheme][self.shown_mode]

    def set_scheme(self, scheme: str) -> None:
        if scheme not in palette.SCHEMES:
            raise ValueError(f"unknown colour scheme {scheme!r}")
        self.scheme = scheme
        self.update()

    @Slot(str)
    def set_mode(self, mode: str) -> None:
        if mode not in palette.MODES:
            raise ValueError(f"unknown colour mode {mode!r}")
        self.mode = mode
        self.update()

    def set_style(self, style: Style) -> None:
        self.style_ = style
        self._geometry_key = None  # rebuilt at the next paint
        self.update()

    def set_sample(self, sample: int | None) -> None:
        self.sample = sample
        self.update()

    def reset_view(self) -> None:
        self.zoom, self.pan = 1.0, QPointF(0.0, 0.0)
        self._geometry_key = None  # rebuilt at the next paint
        self.update()

    def set_phase_view(self, on: bool) -> None:
        self.phase_view = on
        self.update()

    @Slot(object)
    def set_pulses(self, pulses: Pulses | None) -> None:
        """Draw signals on their way along the edges (None: none travel now)."""
        self.pulses = pulses
        self.update()

    def set_node_pictures(self, pictures: NodePictures | None) -> None:
        """Draw these pictures over the hidden and output nodes (None: the nodes alone)."""
        self.node_pictures = pictures
        self.update()

    def set_paths(self, paths: PathHighlight | None) -> None:
        """Highlight the paths of a weight (None: show the network alone)."""
        self.paths = paths
        self.update()

    # ------------------------------------------------------------------ what is shown

    def walking_phase(self) -> Phase | None:
        """The phase whose result is shown, while walking phase by phase (else None)."""
        s = self.snapshot
        if not self.phase_view or s is None or s.last_phase is None:
            return None
        return s.last_phase

    @property
    def shown_mode(self) -> str:
        """What the edges show: the user's mode, except while walking phase by phase, when
        each phase shows what it computed (backward and clip: dE/dw; update: dw)."""
        phase = self.walking_phase()
        if phase is None or phase.kind in ("forward", "loss"):
            return self.mode
        return "update" if phase.kind == "update" else "gradient"

    def pending(self, layer: int) -> bool:
        """Whether a layer's edges wait for the backward pass to reach them (this pass's
        dE/dw is not computed yet): drawn thin and grey, without numbers."""
        phase = self.walking_phase()
        return phase is not None and phase.kind == "backward" and phase.layer is not None \
            and layer < phase.layer

    def shows_delta(self, column: int) -> bool:
        """Whether a column's nodes show delta (dE/dz) rather than the activation a."""
        phase = self.walking_phase()
        if phase is None or column == 0 or phase.kind not in ("backward", "clip"):
            return False
        return phase.kind == "clip" or (phase.layer is not None and column >= phase.layer)

    def edge_values(self, layer: int) -> np.ndarray:
        """The active mode's quantity for the weights of one layer (from the snapshot)."""
        ls = self._drawn().layers[layer - 1]
        return palette.edge_values(self.shown_mode, ls.W, ls.dW, ls.update_W)

    def bias_values(self, layer: int) -> np.ndarray | None:
        biases = bias_arrays(self._drawn().layers[layer - 1])
        return None if biases is None else palette.edge_values(self.shown_mode, *biases)

    def set_colour_ranges(self, ranges: dict[str, float]) -> None:
        """Fixed tops of the colour ranges by mode (a lesson's); the rest are found afresh."""
        self.lesson_ranges = dict(ranges)
        self.colour_ranges = dict(ranges)
        self.update()

    def set_range_locked(self, locked: bool) -> None:
        """Locked: the gradient and update colours keep one absolute range (a lesson's, or
        the first they showed) as training goes on. Unlocked: every mode's range follows the
        values on show, as the weights' does unless a lesson fixes it. Locking again keeps
        the lesson's ranges and takes the others from what is on show."""
        self.range_locked = locked
        self.colour_ranges = dict(self.lesson_ranges)
        self.update()

    def range_fixed(self) -> bool:
        """Whether the shown mode's colours keep their range as training goes on."""
        return self.range_locked and self.shown_mode in self.colour_ranges

    def current_scale(self) -> palette.Scale:
        """The colour scale of the active mode for the current snapshot: a fixed range while
        locked (see `set_range_locked`), else the range of the values on show."""
        mode = self.shown_mode
        if self.range_locked and mode in self.colour_ranges:
            return palette.fixed_scale(mode, self.colour_ranges[mode])
        values = self._shown_values()
        found = palette.scale_for(mode, values)
        if self.range_locked and mode != "weight" and \
                palette.largest_magnitude(values) >= palette.TINY:
            self.colour_ranges[mode] = found.high  # the first range with something to show
        return found

    def _shown_values(self) -> list[np.ndarray]:
        """The shown mode's values of every weight and bias drawn (not those pending)."""
        values = []
        for layer in range(1, self._drawn().depth + 1):
            if self.pending(layer):
                continue
            values.append(self.edge_values(layer))
            biases = self.bias_values(layer)
            if biases is not None:
                values.append(biases)
        return values

    def heat_map_layers(self) -> set[int]:
        """Layers drawn as weight matrices rather than lines (level of detail)."""
        layers = self._drawn().layers
        total = sum(l.units * l.fan_in for l in layers)
        if total <= LINE_TOTAL_LIMIT:
            return set()
        return {l.number for l in layers if l.units * l.fan_in > LINE_LAYER_LIMIT}

    def sample_row(self) -> int | None:
        """The row of the batch the nodes follow (sim.explain.followed_row), if there is a
        batch."""
        s = self.snapshot
        if s is None or s.x is None:
            return None
        return explain.followed_row(s, self.sample)[0]

    def node_values(self, column: int) -> np.ndarray | None:
        """A column's values for the followed sample: a (column 0: the inputs), or delta
        while the backward pass is shown."""
        row = self.sample_row()
        if row is None:
            return None
        s = self._drawn()
        a = s.layers[column - 1].delta if self.shows_delta(column) else s.activations(column)
        return None if a is None else a[row]

    # ------------------------------------------------------------------ geometry

    def picture_half_sizes(self, geometry: _Geometry) -> list[float]:
        """Per column, half the side of the pictures drawn over its nodes; 0 where there are
        none (none set, or walking phase by phase: the nodes show the followed sample's a
        and δ)."""
        if self.node_pictures is None or self.walking_phase() is not None:
            return [0.0] * geometry.columns
        # The outputs' names need room right of the last column (see _place_names).
        metrics = self._metrics(self.style_.small_font)
        names = self._drawn().output_names
        room = max((metrics.horizontalAdvance(text) for text in names), default=0.0)
        right = self.width() - room - NAME_GAP * self.style_.scale
        # The nodes' values, where the canvas prints them, go under the pictures.
        below = self._metrics(self.style_.number_font).height() + 8 * self.style_.scale \
            if self._values_readable(geometry) else 0.0
        return self.node_pictures.half_sizes(geometry.nodes, geometry.radius, right, below)

    def _node_reach(self, geometry: _Geometry) -> list[float]:
        """Per column, how far a node's drawing reaches from its centre: disc or picture."""
        return [max(geometry.radius, half) for half in self.picture_half_sizes(geometry)]

    def geometry_for_paint(self) -> _Geometry:
        s = self._drawn()
        widths = [s.layers[0].fan_in] + [l.units for l in s.layers]
        has_bias = [l.has_bias for l in s.layers]
        # under the network: the legend and, once training has stopped, the reason why
        banner = self.stop_banner_rect()
        legend_band = self.legend_band() + (0.0 if banner is None else
                                            banner.height() + BANNER_GAP * self.style_.scale)
        key = (tuple(widths), tuple(has_bias), self.width(), self.height(), self.zoom,
               self.pan.x(), self.pan.y(), self.style_.scale, self.style_.presenting,
               legend_band)
        if self._geometry is None or key != self._geometry_key:
            self._geometry = _Geometry(widths, has_bias, QRectF(self.rect()), self.zoom,
                                       self.pan, self.style_.scale,
                                       self._metrics(self.style_.number_font).height(),
                                       self.header_bottom(), legend_band)
            self._geometry_key = key
        return self._geometry

    # ------------------------------------------------------------------ painting

    def paintEvent(self, event: QPaintEvent) -> None:
        started = time.perf_counter()
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.fillRect(self.rect(), self.style_.background)
            snapshot = self.snapshot
            if snapshot is None:
                self._draw_message(painter, "Loading…")
                return
            geometry = self.geometry_for_paint()
            scale = self.current_scale()
            heat = self.heat_map_layers()
            self._draw_phase_band(painter, geometry)
            self._draw_edges(painter, geometry, scale, heat)
            self._draw_heat_maps(painter, geometry, scale, heat)
            if self.paths is not None:
                self._draw_paths(painter, geometry, heat, self.paths)
            self._draw_selected_edge(painter, geometry, heat)
            if self.pulses is not None:
                self._draw_pulses(painter, geometry, heat, self.pulses)
            batch_norm_box.paint(painter, self.style_, self.norm_boxes(geometry),
                                 [box for layer in range(1, geometry.columns)
                                  if (box := self.bias_box(geometry, layer)) is not None])
            self._draw_nodes(painter, geometry)
            self._draw_layer_labels(painter, geometry, heat)
            self._draw_labels(painter, geometry, heat)
            self._draw_chain_overlay(painter)
            self._draw_legend(painter, scale)
            if snapshot.stop_event is not None:
                self._draw_stop_banner(painter, snapshot.stop_event)
        finally:
            painter.end()
            self.paint_times.append((time.perf_counter() - started) * 1000.0)
            if len(self.paint_times) > 20000:
                del self.paint_times[:10000]

    def _pen(self, index: int, width: float) -> QPen:
        if index == palette.NAN_BIN:
            pen = QPen(QColor(*palette.NAN_COLOUR), width, Qt.PenStyle.DashLine)
        else:
            pen = QPen(QColor(*palette.colour(self.shown_mode, index, self.scheme)), width)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        return pen

    def _line_width(self, index: int) -> float:
        """1 to 6 pixels, growing with the bin's strength; whole pixels, because fractional
        antialiased widths take Qt's slowest stroking path (measured twice as slow)."""
        base = self.style_.line_width * min(self.zoom, 3.0) ** 0.5
        mode = self.shown_mode
        strength = 0.6 if index == palette.NAN_BIN else palette.bin_strength(index, mode)
        extra = 4.0 if mode == "weight" else 3.0  # width carries |w|; colour the rest
        return float(max(1, round(base * (1.0 + extra * strength))))

    def _draw_edges(self, painter: QPainter, geometry: _Geometry, scale: palette.Scale,
                    heat: set[int]) -> None:
        lines: list[QLineF] = []
        bins: list[np.ndarray] = []
        for l in range(1, geometry.columns):
            if l in heat:
                continue  # its weights and biases are drawn as a matrix
            if self.pending(l):
                painter.setPen(QPen(self.style_.muted, 1.0, Qt.PenStyle.DotLine))
                painter.drawLines(geometry.lines[l] + geometry.bias_lines[l])
                continue
            lines += geometry.lines[l]
            bins.append(palette.bins(self.edge_values(l), scale).ravel())
            biases = self.bias_values(l)  # a layer has bias lines exactly when it has biases
            if biases is not None:
                lines += geometry.bias_lines[l]
                bins.append(palette.bins(biases, scale))
        if not lines:
            return
        all_bins = np.concatenate(bins)
        # Weakest bins first (strong edges end up on top), NaN last; each bin one run.
        order = np.lexsort((all_bins, self._draw_rank[self.shown_mode][all_bins]))
        ordered = [lines[k] for k in order.tolist()]
        sorted_bins = all_bins[order]
        boundaries = np.flatnonzero(np.diff(sorted_bins)) + 1
        starts = np.concatenate([[0], boundaries]).tolist()
        ends = np.concatenate([boundaries, [len(ordered)]]).tolist()
        for start, end in zip(starts, ends, strict=True):
            index = int(sorted_bins[start])
            width = self._line_width(index)
            # One-pixel lines are drawn without antialiasing: the faint, weak edges look the
            # same either way and cost less (measured on 6x8: edges 4.4 ms to 4.1 ms a frame).
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, width > 1.0)
            painter.setPen(self._pen(index, width))
            painter.drawLines(ordered[start:end])
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)

    def _draw_heat_maps(self, painter: QPainter, geometry: _Geometry, scale: palette.Scale,
                        heat: set[int]) -> None:
        if not heat:
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)  # crisp cells
        painter.setPen(QPen(self.style_.muted, 1.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for l in sorted(heat):
            rect = self._heat_rect(geometry, l)
            cells = palette.bins(self.edge_values(l), scale)
            painter.drawImage(rect, _image(self.palette_colours(), cells))
            painter.drawRect(rect)
            biases = self.bias_values(l)
            if biases is not None:  # the biases as one more column, just right of the matrix
                strip = self._bias_strip(rect, l)
                column = palette.bins(biases, scale)[:, None]
                painter.drawImage(strip, _image(self.palette_colours(), column))
                painter.drawRect(strip)

    def _draw_paths(self, painter: QPainter, geometry: _Geometry, heat: set[int],
                    paths: PathHighlight) -> None:
        """The paths of a weight over the faded network: every path thin and light, the
        listed ones strong, the one picked in the panel strongest; residual skips as arcs."""
        st = self.style_
        fade = QColor(st.background)
        fade.setAlpha(PATHS_FADE)
        painter.fillRect(self.rect(), fade)
        layers: list[tuple[dict[int, LayerEdges], QColor, float]] = []
        for edges, (alpha, width) in ((paths.every, EVERY_PATH_PEN),
                                      (paths.listed, LISTED_PATH_PEN)):
            if edges is not None:
                colour = QColor(st.foreground)
                colour.setAlpha(alpha)
                layers.append((edges, colour, width))
        if paths.chosen is not None:
            layers.append((paths.chosen, QColor(st.accent), CHOSEN_PATH_WIDTH))
        for edges, colour, width in layers:
            pen = QPen(colour, max(1.0, width * st.scale))
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for number, layer_edges in edges.items():
                if number in heat:
                    self._draw_heat_paths(painter, geometry, number, layer_edges, colour)
                    continue
                painter.drawLines(self._path_lines(geometry, number, layer_edges))
                for unit in np.flatnonzero(layer_edges.skips).tolist():
                    painter.drawPath(self._skip_arc(geometry, number, unit))

    def _path_lines(self, geometry: _Geometry, layer: int, edges: LayerEdges
                    ) -> list[QLineF]:
        """The lines of one layer's weights and biases that lie on the paths drawn."""
        lines = geometry.lines[layer]
        drawn = [lines[k] for k in np.flatnonzero(edges.weights.ravel()).tolist()]
        bias_lines = geometry.bias_lines[layer]
        return drawn + [bias_lines[j] for j in np.flatnonzero(edges.biases).tolist()]

    def _skip_arc(self, geometry: _Geometry, layer: int, unit: int) -> QPainterPath:
        """A residual link from unit j of the layer below to unit j: an arc over the straight
        edge w_jj that joins the same two nodes."""
        (x1, y1), (x2, y2) = geometry.nodes[layer - 1][unit], geometry.nodes[layer][unit]
        rise = max(abs(x2 - x1) * 0.12, geometry.radius * 1.5)
        arc = QPainterPath(QPointF(x1, y1 - geometry.radius))
        arc.quadTo(QPointF((x1 + x2) / 2, (y1 + y2) / 2 - geometry.radius - 2 * rise),
                   QPointF(x2, y2 - geometry.radius))
        return arc

    def _draw_heat_paths(self, painter: QPainter, geometry: _Geometry, layer: int,
                         edges: LayerEdges, colour: QColor) -> None:
        """Paths through a layer drawn as its weight matrix: the cells on them outlined (a
        box around them all when they fill rows or columns)."""
        rect = self._heat_rect(geometry, layer)
        rows, columns = edges.weights.shape
        height, width = rect.height() / rows, rect.width() / columns
        for j in np.flatnonzero(edges.biases).tolist():  # the bias itself: its cell
            strip = self._bias_strip(rect, layer)
            painter.drawRect(QRectF(strip.left(), rect.top() + j * height, strip.width(),
                                    height))
        on = np.argwhere(edges.weights)
        if on.size == 0:
            return
        if len(on) > 64:  # the cells of every path: one box around them
            (top, left), (bottom, right) = on.min(axis=0), on.max(axis=0) + 1
            painter.drawRect(QRectF(rect.left() + left * width, rect.top() + top * height,
                                    (right - left) * width, (bottom - top) * height))
            return
        side = max(3.0, min(height, width))
        for j, i in on.tolist():
            centre = QPointF(rect.left() + (i + 0.5) * width, rect.top() + (j + 0.5) * height)
            painter.fillRect(QRectF(centre.x() - side / 2, centre.y() - side / 2, side, side),
                             colour)

    def _bias_strip(self, rect: QRectF, layer: int) -> QRectF:
        units = self._drawn().layers[layer - 1].units
        width = max(3.0, rect.height() / units)
        return QRectF(rect.right() + width, rect.top(), width, rect.height())

    def _heat_rect(self, geometry: _Geometry, layer: int) -> QRectF:
        left, right = geometry.nodes[layer - 1][0, 0], geometry.nodes[layer][0, 0]
        ys = np.concatenate([geometry.nodes[layer - 1][:, 1], geometry.nodes[layer][:, 1]])
        width = (right - left) * 0.55
        return QRectF((left + right - width) / 2, ys.min(), width, ys.max() - ys.min())

    def _node_colours(self, column: int) -> np.ndarray | None:
        """RGB rows for a column's nodes (None before the forward pass reached it)."""
        values = self.node_values(column)
        if values is None:
            return None
        finite = values[np.isfinite(values)]
        high = float(np.abs(finite).max()) if finite.size else 1.0
        return palette.activation_colours(values, 1.0 if column == 0 or high == 0.0 else high,
                                          self.scheme)

    def _draw_nodes(self, painter: QPainter, geometry: _Geometry) -> None:
        r = geometry.radius
        outline = QPen(self.style_.foreground, max(1.0, self.style_.line_width * 0.6))
        highlight = QPen(self.style_.accent, outline.widthF() * 2.5)
        empty = QBrush(self.style_.node_empty)
        marked = self.chain_units()
        halves = self.picture_half_sizes(geometry)
        for column, points in enumerate(geometry.nodes):
            if halves[column]:
                continue  # drawn as pictures, below
            colours = self._node_colours(column)
            if len(points) > STRIP_UNITS:
                self._draw_strip(painter, points, r, colours)
                continue
            brushes = [empty] * len(points) if colours is None else \
                [QBrush(QColor(*rgb)) for rgb in colours.tolist()]
            for j, ((x, y), brush) in enumerate(zip(points.tolist(), brushes, strict=True)):
                chosen = self._is_node(self.selection, column, j) or (column, j) in marked
                painter.setPen(highlight if chosen else outline)
                painter.setBrush(brush)
                painter.drawEllipse(QPointF(x, y), r, r)
        selected = self.selection
        if any(halves) and self.node_pictures is not None:
            self.node_pictures.paint(painter, geometry.nodes, halves, None if selected is None
                                     or selected.kind != "node" else (selected.layer,
                                                                      selected.j))
        font = self.style_.small_font
        text_width = self._metrics(font).horizontalAdvance("+1")
        painter.setBrush(QBrush(self.style_.bias_fill))
        for layer in range(1, geometry.columns):
            box = self.bias_box(geometry, layer)
            if box is None:
                continue
            chosen = selected is not None and selected.kind == "bias" and \
                selected.layer == layer
            painter.setPen(highlight if chosen else outline)
            painter.drawRoundedRect(box, 3, 3)
            if text_width + 4 <= box.width():  # else the box alone: "+1" would overflow it
                self._text(painter, box.center(), "+1", font, self.style_.foreground,
                           centred=True)
        self._names_on_nodes = self._draw_node_names(painter, geometry)

    def norm_boxes(self, geometry: _Geometry) -> list[QRectF | None]:
        """Per column, its batch normalisation's BN box (None without one)."""
        normalised = [layer.has_batch_norm for layer in self._drawn().layers]
        if not any(normalised):
            return [None] * geometry.columns
        return batch_norm_box.boxes(geometry.nodes, self._node_reach(geometry),
                                    geometry.radius, normalised)

    def bias_box(self, geometry: _Geometry, layer: int) -> QRectF | None:
        """The "+1" box that feeds layer ``layer``'s biases (None: the layer has none): as
        wide as "+1" where there is room, never wider than 2.4 node radii."""
        bias = geometry.bias[layer]
        if bias is None:
            return None
        x, y = bias[0]
        r = geometry.radius
        text = self._metrics(self.style_.small_font).horizontalAdvance("+1") + 6
        side = max(r * 1.2, min(text, r * 2.4))
        return QRectF(x - side / 2, y - side / 2, side, side)

    def chain_units(self) -> set[tuple[int, int]]:
        """The nodes (column, unit) whose numbers the selected weight's chain rule multiplies:
        unit j of its layer (its δ) and unit i below (the input a⁽ˡ⁻¹⁾ᵢ along it)."""
        item = self.selection
        if item is None or item.kind == "node":
            return set()
        units = {(item.layer, item.j)}
        if item.i is not None:
            units.add((item.layer - 1, item.i))
        return units

    def _draw_pulses(self, painter: QPainter, geometry: _Geometry, heat: set[int],
                     pulses: Pulses) -> None:
        """A dot on every edge between the two columns, ``progress`` of the way from the
        source column: the accent colour forward (activations), the danger colour backward
        (δ carried to the layer below)."""
        layer = max(pulses.source, pulses.target)
        if layer in heat or not 1 <= layer < geometry.columns:
            return
        forward = pulses.target > pulses.source
        segments = [geometry.segments[layer]]
        bias_segments = geometry.bias_segments[layer]
        if bias_segments is not None:
            segments.append(bias_segments)
        ends = np.concatenate(segments)
        start, end = (ends[:, :2], ends[:, 2:]) if forward else (ends[:, 2:], ends[:, :2])
        points = start + (end - start) * pulses.progress
        radius = max(4.0 * self.style_.scale, geometry.radius * 0.4)
        painter.setPen(QPen(self.style_.background, 1.0))
        painter.setBrush(self.style_.accent if forward else self.style_.danger)
        for x, y in points.tolist():
            painter.drawEllipse(QPointF(x, y), radius, radius)

    def _draw_selected_edge(self, painter: QPainter, geometry: _Geometry,
                            heat: set[int]) -> None:
        """The selected weight's or bias's edge under a broad accent band (not while its
        paths are shown: they start at it, drawn in their own colours)."""
        item = self.selection
        if item is None or item.kind == "node" or item.layer in heat or self.paths is not None:
            return
        if item.i is None:
            line = geometry.bias_lines[item.layer][item.j]
        else:
            fan_in = self._drawn().layers[item.layer - 1].fan_in
            line = geometry.lines[item.layer][item.j * fan_in + item.i]
        colour = QColor(self.style_.accent)
        colour.setAlpha(130)
        pen = QPen(colour, max(8.0, 10.0 * self.style_.scale))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawLine(line)

    def _draw_strip(self, painter: QPainter, points: np.ndarray, r: float,
                    colours: np.ndarray | None) -> None:
        """Many units as a column of cells: one image instead of hundreds of circles."""
        spacing = (points[-1, 1] - points[0, 1]) / max(len(points) - 1, 1)
        rect = QRectF(points[0, 0] - r, points[0, 1] - spacing / 2, 2 * r,
                      spacing * len(points))
        if colours is None:
            painter.fillRect(rect, self.style_.node_empty)
        else:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(rect, rgb_image(colours[:, None, :]))
        painter.setPen(QPen(self.style_.foreground, 1.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect)

    def _is_node(self, selection: Selection | None, column: int, j: int) -> bool:
        return selection is not None and selection.kind == "node" and \
            selection.layer == column and selection.j == j

    def node_name(self, column: int, j: int) -> str:
        """What a node's number is, as sim.notation names it: xⱼ, a⁽ˡ⁾ⱼ, or δ⁽ˡ⁾ⱼ while the
        backward pass is shown."""
        return name.delta(column, j) if self.shows_delta(column) else name.activation(column, j)

    def _draw_node_names(self, painter: QPainter, geometry: _Geometry) -> bool:
        """While walking phases, each unit's name on its node (where the name fits inside),
        so that the caption's a⁽ˡ⁾ⱼ and δ⁽ˡ⁾ⱼ can be found on the network. Returns whether the
        names were drawn."""
        if self.walking_phase() is None:
            return False
        font = self.style_.small_font
        r = geometry.radius
        columns = geometry.nodes[1:]
        if any(len(points) > STRIP_UNITS for points in columns):
            return False
        names = [[self.node_name(c, j) for j in range(len(points))]
                 for c, points in enumerate(columns, start=1)]
        sizes = [self._named(text, font, self.style_.foreground).size()
                 for column in names for text in column]
        if max(size.width() for size in sizes) > 1.9 * r or \
                max(size.height() for size in sizes) > 1.7 * r:
            return False  # the nodes are too small: the tooltip still names each one
        for c, (points, texts) in enumerate(zip(columns, names, strict=True), start=1):
            fills = self._node_colours(c)
            for j, ((x, y), text) in enumerate(zip(points.tolist(), texts, strict=True)):
                colour = self.style_.foreground if fills is None else _ink_on(fills[j])
                self._named_text(painter, QPointF(x, y), text, font, colour, centred=True)
        return True

    # ------------------------------------------------------------------ labels

    def placed_labels(self) -> list[PlacedLabel]:
        """The labels of the last paint with their boxes: none overlaps another, a node or a
        bias box, and all lie inside the canvas."""
        return list(self._placed)

    def _draw_labels(self, painter: QPainter, geometry: _Geometry, heat: set[int]) -> None:
        """The numbers on the network, each boxed, where there is room (gui.canvas_labels)."""
        obstacles = [QRectF(x - r, y - r, 2 * r, 2 * r)
                     for points, r in zip(geometry.nodes, self._node_reach(geometry), strict=True)
                     for x, y in points.tolist()]
        obstacles += [box for layer in range(1, geometry.columns)
                      if (box := self.bias_box(geometry, layer)) is not None]
        st = self.style_
        # the layers' headers above, the colour legend and its notes below
        obstacles.append(QRectF(0, 0, self.width(), self.header_bottom()))
        legend_top = self.height() - self.legend_band()
        obstacles.append(QRectF(0, legend_top, self.width(), self.height() - legend_top))
        banner = self.stop_banner_rect()
        if banner is not None:
            obstacles.append(banner)
        placer = LabelPlacer(QRectF(self.rect()), obstacles, LABEL_GAP * st.scale)
        self._place_node_values(placer, geometry)
        self._place_names(placer, geometry)
        self._place_edge_values(placer, geometry, heat)
        for label in placer.placed:
            self._draw_label(painter, label)
        self._placed = placer.placed

    def _draw_label(self, painter: QPainter, label: PlacedLabel) -> None:
        st = self.style_
        font = st.small_font if label.kind == "name" or label.small else st.number_font
        rect = label.rect
        if label.kind != "name":  # a box behind every number: edges never cross it
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(st.label_box)
            painter.drawRoundedRect(rect, 3, 3)
        if label.named:
            laid_out = self._named(label.text, font, st.foreground)
            painter.save()
            painter.translate(rect.left() + (rect.width() - laid_out.size().width()) / 2,
                              rect.top() + (rect.height() - laid_out.size().height()) / 2)
            laid_out.drawContents(painter)
            painter.restore()
            return
        painter.setFont(font)
        painter.setPen(st.foreground)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label.text)

    def _label_size(self, text: str, font: QFont, named: bool) -> QSizeF:
        """A label's box: the text and a little room on either side."""
        if named:
            size = self._named(text, font, self.style_.foreground).size()
            return QSizeF(size.width() + 6, size.height())
        metrics = self._metrics(font)
        return QSizeF(metrics.horizontalAdvance(text) + 6, metrics.height())

    def _place_node_values(self, placer: LabelPlacer, geometry: _Geometry) -> None:
        """Each node's number below it (or above or beside, where below is taken); "δ"
        before it while the backward pass is shown, unless the node carries its name. Many
        small nodes, or nodes closer together than a number is high, print none (level of
        detail; zooming in brings them back)."""
        font = self.style_.number_font
        if not self._values_readable(geometry):
            return
        gap = 4 * self.style_.scale
        reach = self._node_reach(geometry)
        for column, points in enumerate(geometry.nodes):
            r = reach[column]
            values = self.node_values(column)
            if values is None or len(points) > STRIP_UNITS:
                continue
            prefix = "δ " if self.shows_delta(column) and not self._names_on_nodes else ""
            for j, (x, y) in enumerate(points.tolist()):
                text = prefix + name.number(float(values[j]))
                size = self._label_size(text, font, named=False)
                half = size.height() / 2
                beside = r + gap + size.width() / 2
                placer.place("node", text, size, (QPointF(x, y + r + gap + half),
                                                   QPointF(x, y - r - gap - half),
                                                   QPointF(x + beside, y),
                                                   QPointF(x - beside, y)), key=(column, j))

    def _values_readable(self, geometry: _Geometry) -> bool:
        """Whether the nodes' values are printed: few enough nodes (or zoomed in), and room for
        a number between one node and the next, or, in a small network drawn as discs,
        beside it (a short, wide canvas: a slide above a long caption)."""
        nodes = sum(len(points) for points in geometry.nodes)
        if nodes > LABEL_NODE_LIMIT and geometry.radius < 14 * self.style_.scale:
            return False
        gaps = [np.diff(points[:, 1]).min() for points in geometry.nodes if len(points) > 1]
        metrics = self._metrics(self.style_.number_font)
        if not gaps or min(gaps) - 2 * geometry.radius >= metrics.height() + 4:
            return True
        small = max(len(points) for points in geometry.nodes) <= BESIDE_UNITS
        if not small or (self.node_pictures is not None and self.walking_phase() is None):
            return False
        apart = min(np.diff(geometry.x)) if geometry.columns > 1 else self.width()
        return apart - 2 * geometry.radius >= metrics.horizontalAdvance(WIDE_NODE_VALUE) + 8

    def _place_names(self, placer: LabelPlacer, geometry: _Geometry) -> None:
        """The inputs' names (x₁, with the data's own name where it says more) and the
        outputs' data names, beside their nodes, where they fit."""
        font = self.style_.small_font
        gap = self.style_.scale * 6
        s = self._drawn()
        inputs = [name.input_label(j, s.input_names) for j in range(len(geometry.nodes[0]))]
        reach = self._node_reach(geometry)
        for column, names, side in ((0, inputs, -1.0),
                                    (geometry.columns - 1, list(s.output_names), 1.0)):
            points = geometry.nodes[column]
            r = reach[column]
            if len(points) > STRIP_UNITS:
                continue
            for j, (x, y) in enumerate(points.tolist()[:len(names)]):
                size = self._label_size(names[j], font, named=True)
                centre = QPointF(x + side * (r + gap + size.width() / 2), y)
                placer.place("name", names[j], size, (centre,), named=True, key=(column, j))

    def _place_edge_values(self, placer: LabelPlacer, geometry: _Geometry,
                           heat: set[int]) -> None:
        """Each weight's and bias's number on its edge, named as the captions name them
        while phases are walked (just the number where the name does not fit). A dense
        network prints none (level of detail); the selected edge's goes first."""
        edges = sum(len(lines) + len(bias) for lines, bias in
                    zip(geometry.lines, geometry.bias_lines, strict=True))
        if edges > LABEL_EDGE_LIMIT and self.zoom < 2.0:
            return
        named = self.walking_phase() is not None
        wanted: list[tuple[tuple[int, ...], str, str, tuple[float, float, float, float],
                           float]] = []
        for l in range(1, geometry.columns):
            if l in heat or self.pending(l):
                continue
            ls = self._drawn().layers[l - 1]
            values = self.edge_values(l).ravel()
            for k, seg in enumerate(geometry.segments[l].tolist()):
                j, i = divmod(k, ls.fan_in)
                wanted.append(((l, j, i), self.edge_name(l, j, i), name.number(float(values[k])),
                               tuple(seg), preferred_fraction(j, ls.units)))
            biases = self.bias_values(l)
            segments = geometry.bias_segments[l]
            if biases is not None and segments is not None:
                for j, seg in enumerate(segments.tolist()):
                    wanted.append(((l, j), self.bias_name(l, j), name.number(float(biases[j])),
                                   tuple(seg), preferred_fraction(j, ls.units)))
        chosen = self.selection
        first = () if chosen is None or chosen.kind == "node" else \
            (chosen.layer, chosen.j) + (() if chosen.i is None else (chosen.i,))
        wanted.sort(key=lambda entry: entry[0] != first)
        # The name and the number in the large font, then in the small one, then the number
        # alone (large, then small): the first that finds room.
        large, small = self.style_.number_font, self.style_.small_font
        tries = [(True, large), (True, small), (False, large), (False, small)]
        if not named:
            tries = tries[2:]
        for key, label_name, number, seg, preferred in wanted:
            kind = "edge" if len(key) == 3 else "bias"
            spots = spots_along(seg, preferred)
            for with_name, font in tries:
                text = f"{label_name} = {number}" if with_name else number
                if placer.place(kind, text, self._label_size(text, font, with_name), spots,
                                named=with_name, key=key, small=font is small):
                    break

    def bias_name(self, layer: int, j: int) -> str:
        """What a bias's number is in the shown mode: b⁽ˡ⁾ⱼ, its gradient or its change."""
        bias = name.bias(layer, j)
        mode = self.shown_mode
        return bias if mode == "weight" else name.change(bias) if mode == "update" else \
            name.gradient(bias)

    # ------------------------------------------------------------------ chain rule overlay

    def chain_overlay_lines(self) -> list[str]:
        """In presentation mode, with a weight or bias selected: its chain rule for this
        step, as the canvas shows it in a box (the inspector is hidden then); else none."""
        item, s = self.selection, self.snapshot
        if not self.style_.presenting or item is None or item.address is None or s is None:
            return []
        address = item.address
        try:
            rule = s.chain_rule(address)
        except ValueError as reason:  # the backward phase has not reached this layer yet
            return [address.describe(), f"{reason}."]
        row = self.sample_row() or 0
        return [address.describe()] + rule.lines(row, explain.sample_number(s, row))

    def _draw_chain_overlay(self, painter: QPainter) -> None:
        """The chain rule box, in the corner where it hides the fewest nodes."""
        lines = self.chain_overlay_lines()
        self.chain_overlay_rect = None
        if not lines:
            return
        st = self.style_
        document = QTextDocument()
        document.setDocumentMargin(8 * st.scale)
        document.setDefaultFont(st.small_font)
        document.setHtml(f"<div style='color:{st.foreground.name()}'><b>"
                         f"{name.rich(lines[0])}</b><br>"
                         + "<br>".join(name.rich(line) for line in lines[1:]) + "</div>")
        document.setTextWidth(min(document.idealWidth() + 2 * document.documentMargin(),
                                  self.width() * 0.6))
        size = document.size()
        margin = 10 * st.scale
        top = 44 * st.scale
        corners = [QRectF(self.width() - size.width() - margin, top, size.width(),
                          size.height()),
                   QRectF(margin, top, size.width(), size.height()),
                   QRectF(self.width() - size.width() - margin,
                          self.height() - size.height() - 60 * st.scale, size.width(),
                          size.height())]
        geometry = self.geometry_for_paint()
        centres = [QPointF(x, y) for points in geometry.nodes for x, y in points.tolist()]
        rect = min(corners, key=lambda box: sum(box.contains(c) for c in centres))
        painter.setPen(QPen(st.accent, max(1.0, st.line_width)))
        painter.setBrush(st.label_box)
        painter.drawRoundedRect(rect, 6, 6)
        painter.save()
        painter.translate(rect.topLeft())
        document.drawContents(painter)
        painter.restore()
        self.chain_overlay_rect = rect

    def edge_name(self, layer: int, j: int, i: int) -> str:
        """What an edge's number is in the shown mode: w⁽ˡ⁾ⱼᵢ, its gradient or its change."""
        weight = name.weight(layer, j, i)
        mode = self.shown_mode
        if mode == "weight":
            return weight
        if mode == "update":
            return name.change(weight)
        return name.gradient(weight, penalised=self._penalised())

    def _penalised(self) -> bool:
        """Whether the loss carries a penalty on the weights (the gradient is then of E + P)."""
        regularization = self._drawn().experiment.regularization
        return bool(regularization.l1 or regularization.l2)

    def header_bottom(self) -> float:
        """Where the layers' headers end, from the canvas's top."""
        return HEADER_TOP * self.style_.scale + self._metrics(self.style_.label_font).height()

    def _draw_layer_labels(self, painter: QPainter, geometry: _Geometry, heat: set[int]) -> None:
        font = self.style_.label_font
        top = HEADER_TOP * self.style_.scale
        metrics = self._metrics(font)
        room = (geometry.x[1] - geometry.x[0]) * 0.92 if geometry.columns > 1 else self.width()
        for column, x in enumerate(geometry.nodes):
            cx = x[0, 0]
            for brevity in (0, 1, 2):
                name, active = self._header(column, brevity)
                if metrics.horizontalAdvance(name) <= room:
                    break
            self._text(painter, QPointF(cx, top), name, font,
                       self.style_.accent if active else self.style_.foreground,
                       centred=True, below=True)
            if column:
                chip = QRectF(cx - 14 * self.style_.scale, top - 6 * self.style_.scale,
                              28 * self.style_.scale, 4 * self.style_.scale)
                painter.fillRect(chip, layer_colour(column))
        if heat:
            note = (f"Layers {', '.join(map(str, sorted(heat)))} have too many weights to draw "
                    f"as lines: each is shown as its weight matrix (rows: units, columns: "
                    f"inputs), coloured by the same scale.")
            st = self.style_
            box = QRectF(12 * st.scale, self.height() - 60 * st.scale - 2.6 * st.body_px,
                         self.width() - 24 * st.scale, 2.6 * st.body_px)
            painter.setFont(st.small_font)
            painter.setPen(st.muted)
            painter.drawText(box, Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignBottom, note)

    def legend_notes(self) -> bool:
        """Whether the legend says whose numbers are drawn: not on a slide while phases are
        walked, where the caption's line under it says so and the network needs the room."""
        return self._drawn().x is not None and not (
            self.style_.presenting and self.walking_phase() is not None)

    def legend_band(self) -> float:
        """How high the colour legend reaches from the canvas's bottom: its bar, its numbers
        and, if drawn, its note."""
        st = self.style_
        above = LEGEND_NOTE_GAP if self.legend_notes() else LEGEND_TICK_GAP
        return (LEGEND_BAR_BOTTOM + LEGEND_BAR_HEIGHT + above) * st.scale + \
            self._metrics(st.small_font).height()

    def _draw_legend(self, painter: QPainter, scale: palette.Scale) -> None:
        """The colour bar with its numbers and title, bottom left."""
        st = self.style_
        width, height = min(260 * st.scale, self.width() * 0.4), LEGEND_BAR_HEIGHT * st.scale
        x, y = 14 * st.scale, self.height() - (LEGEND_BAR_BOTTOM + LEGEND_BAR_HEIGHT) * st.scale
        if scale.kind == "log":  # a grey box for "zero" (below TINY) left of the ramp
            box = 2.0 * height
            painter.fillRect(QRectF(x, y, box, height), QColor(*palette.ZERO_COLOUR))
            self._text(painter, QPointF(x + box / 2, y + height / 2), "0", st.small_font,
                       QColor(*palette.ZERO_INK), centred=True)
            x += box + 14 * st.scale
            width -= box + 14 * st.scale
        colours = self.palette_colours()
        step = width / len(colours)
        for k, rgb in enumerate(colours):
            painter.fillRect(QRectF(x + k * step, y, step + 0.5, height), QColor(*rgb.tolist()))
        painter.setPen(QPen(st.muted, 1.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(x, y, width, height))
        ticks = palette.legend_ticks(scale)
        widest = max(self._metrics(st.small_font).horizontalAdvance(label) for _, label in ticks)
        if widest * len(ticks) > width * 0.9:  # long numbers (1.5e+40): the ends and the middle
            ticks = [ticks[0], ticks[len(ticks) // 2], ticks[-1]]
        for position, label in ticks:
            self._text(painter, QPointF(x + position * width, y - LEGEND_TICK_GAP * st.scale),
                       label,
                       st.small_font, st.foreground, centred=True, above=True)
        title = palette.MODE_TITLES[self.shown_mode] + palette.scale_note(
            scale, fixed=self.range_fixed())
        self._text(painter, QPointF(x + width + 12 * st.scale, y + height / 2), title,
                   st.label_font, st.foreground)
        if self._shows_nan():
            self._text(painter, QPointF(x + width + 12 * st.scale, y - 14 * st.scale),
                       "magenta: NaN (not a number) or infinite", st.small_font,
                       QColor(*palette.NAN_COLOUR))
        if self.legend_notes():  # whose numbers are drawn: one sample's, or the batch's
            self._text(painter, QPointF(x, y - LEGEND_NOTE_GAP * st.scale),
                       explain.legend(self._drawn(), self.sample), st.small_font, st.muted,
                       above=True)

    def _shows_nan(self) -> bool:
        """Whether any weight or bias drawn is NaN or infinite (drawn in magenta)."""
        for layer in range(1, self._drawn().depth + 1):
            if self.pending(layer):
                continue
            biases = self.bias_values(layer)
            if not np.isfinite(self.edge_values(layer)).all() or \
                    (biases is not None and not np.isfinite(biases).all()):
                return True
        return False

    def _draw_phase_band(self, painter: QPainter, geometry: _Geometry) -> None:
        """While walking phases: the active layer's column highlighted."""
        phase = self.walking_phase()
        if phase is None:
            return
        if phase.kind == "loss":
            column = geometry.columns - 1
        elif phase.layer is not None:
            column = phase.layer
        else:
            return  # clip and update: no one layer's
        x = geometry.nodes[column][0, 0]
        colour = QColor(self.style_.accent)
        colour.setAlpha(40)
        painter.fillRect(QRectF(x - geometry.radius * 2.2, 0, geometry.radius * 4.4,
                                self.height()), colour)

    def _header(self, column: int, brevity: int = 0) -> tuple[str, bool]:
        """A column's header, with the direction of flow while its phase is shown.

        ``brevity`` 0 is the full name ("hidden 3 · relu"), 1 a short one ("h3 · relu"),
        2 the shortest ("h3"), for columns too close together for longer names.
        """
        name = self._column_name(column, brevity)
        phase = self.walking_phase()
        if phase is None:
            return name, False
        if phase.kind == "forward" and phase.layer == column:
            return (f"forward  {name}  →" if brevity == 0 else f"{name} →"), True
        if phase.kind == "backward" and phase.layer == column:
            return (f"←  backward  {name}" if brevity == 0 else f"← {name}"), True
        if phase.kind == "loss" and column == self._drawn().depth:
            return (f"{name}: loss E" if brevity == 0 else f"{name}: E"), True
        return name, False

    def _column_name(self, column: int, brevity: int) -> str:
        if column == 0:
            return "input" if brevity < 2 else "in"
        s = self._drawn()
        ls = s.layers[column - 1]
        output = column == s.depth
        role = ("output" if output else f"hidden {column}") if brevity == 0 else \
            ("out" if output else f"h{column}")
        if brevity == 2:
            return role
        return f"{role} · {ls.activation}" + (" · skip" if ls.residual else "")

    def stop_banner_rect(self) -> QRectF | None:
        """Where the reason training stopped is drawn: across the canvas above the colour
        legend, in a band the network is laid out above (so that it hides no node); None
        while training goes on."""
        snapshot = self.snapshot
        if snapshot is None or snapshot.stop_event is None:
            return None
        st = self.style_
        width = self.width() - 24 * st.scale
        needed = self._metrics(st.label_font).boundingRect(
            QRectF(0, 0, width - 20, 10000), Qt.TextFlag.TextWordWrap,
            snapshot.stop_event.message)
        height = needed.height() + 10
        top = self.height() - self.legend_band() - BANNER_GAP * st.scale - height
        return QRectF(12 * st.scale, top, width, height)

    def _draw_stop_banner(self, painter: QPainter, event: Event) -> None:
        """Why training stopped, above the legend (see `stop_banner_rect`)."""
        st = self.style_
        rect = self.stop_banner_rect()
        if rect is None:
            return
        colour = st.danger if event.kind == "diverged" else st.muted
        painter.setPen(QPen(colour, 1.0))
        painter.setBrush(_tint(st.background, colour, 0.12))  # opaque: readable
        painter.drawRoundedRect(rect, 6, 6)
        painter.setPen(colour)
        painter.setFont(st.label_font)
        painter.drawText(rect.adjusted(10, 4, -10, -4), Qt.TextFlag.TextWordWrap, event.message)

    def _draw_message(self, painter: QPainter, text: str) -> None:
        painter.setPen(self.style_.muted)
        painter.setFont(self.style_.label_font)
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, text)

    def _metrics(self, font: QFont) -> QFontMetricsF:
        key = font.key()
        metrics = self._font_metrics.get(key)
        if metrics is None:
            metrics = self._font_metrics[key] = QFontMetricsF(font)
        return metrics

    def _named(self, text: str, font: QFont, colour: QColor) -> QTextDocument:
        """Text holding names, laid out once as rich text (sim.notation.rich) on one line: the
        layer and the units as real super- and subscripts, larger than the Unicode forms."""
        key = (text, font.key(), colour.name())
        laid_out = self._rich_texts.get(key)
        if laid_out is None:
            if len(self._rich_texts) > 4000:  # many steps' labels: start afresh
                self._rich_texts.clear()
            laid_out = QTextDocument()
            laid_out.setDocumentMargin(0.0)
            laid_out.setDefaultFont(font)
            laid_out.setHtml(f"<span style='color:{colour.name()}; white-space:pre'>"
                             f"{name.rich(text)}</span>")
            self._rich_texts[key] = laid_out
        return laid_out

    def _named_text(self, painter: QPainter, at: QPointF, text: str, font: QFont,
                    colour: QColor, centred: bool = False) -> None:
        """Text with names in it (see _named), vertically centred on a point; centred on it
        or starting at it."""
        laid_out = self._named(text, font, colour)
        size = laid_out.size()
        width, height = size.width(), size.height()
        x = at.x() - (width / 2 if centred else 0.0)
        x = min(max(x, 2.0), self.width() - width - 2.0)  # never cut off at the canvas edge
        top = at.y() - height / 2
        painter.save()
        painter.translate(x, top)
        laid_out.drawContents(painter)
        painter.restore()

    def _text(self, painter: QPainter, at: QPointF, text: str, font: QFont, colour: QColor,
              centred: bool = False, right: bool = False, below: bool = False,
              above: bool = False) -> None:
        """Text anchored at a point: centred, right-aligned or left-aligned; above, below or
        vertically centred on it."""
        metrics = self._metrics(font)
        width, height = metrics.horizontalAdvance(text), metrics.height()
        x = at.x() - (width / 2 if centred else width if right else 0.0)
        x = min(max(x, 2.0), self.width() - width - 2.0)  # never cut off at the canvas edge
        top = at.y() - (0.0 if below else height if above else height / 2)
        painter.setFont(font)
        painter.setPen(colour)
        painter.drawText(QPointF(x, top + metrics.ascent()), text)

    # ------------------------------------------------------------------ hit testing

    def item_at(self, point: QPointF) -> Selection | None:
        """The node, bias or weight under a screen point, if any."""
        s = self.snapshot
        if s is None:
            return None
        geometry = self.geometry_for_paint()
        p = np.array([point.x(), point.y()])
        halves = self.picture_half_sizes(geometry)
        for column, nodes in enumerate(geometry.nodes):
            half = halves[column]
            distance = np.abs(nodes - p).max(axis=1) if half else np.hypot(*(nodes - p).T)
            j = int(np.argmin(distance))
            if distance[j] <= (half or geometry.radius * 1.1):  # a picture: anywhere on it
                return Selection("node", column, j)
        heat = self.heat_map_layers()
        for l in heat:
            rect = self._heat_rect(geometry, l)
            if rect.contains(point):
                ls = s.layers[l - 1]
                j = min(int((point.y() - rect.top()) / rect.height() * ls.units), ls.units - 1)
                i = min(int((point.x() - rect.left()) / rect.width() * ls.fan_in), ls.fan_in - 1)
                return Selection("weight", l, j, i)
        best: tuple[float, Selection] | None = None
        tolerance = max(5.0, 4.0 * self.style_.scale)
        for l in range(1, geometry.columns):
            candidates = [] if l in heat else [("weight", geometry.segments[l])]
            bias_segments = geometry.bias_segments[l]
            if bias_segments is not None:
                candidates.append(("bias", bias_segments))
            for kind, segments in candidates:
                distance = _point_segment_distance(p, segments)
                k = int(np.argmin(distance))
                if distance[k] <= tolerance and (best is None or distance[k] < best[0]):
                    fan_in = s.layers[l - 1].fan_in
                    found = Selection("weight", l, k // fan_in, k % fan_in) if kind == \
                        "weight" else Selection("bias", l, k)
                    best = (float(distance[k]), found)
        return None if best is None else best[1]

    def describe(self, item: Selection) -> str:
        """Names and exact values of a node, bias or weight, for the tooltip: the units' values
        are the followed sample's, the gradients the batch's."""
        s = self._drawn()
        row = self.sample_row()
        if item.kind == "node":
            l, j = item.layer, item.j
            if l == 0:
                label = name.input_label(j, s.input_names)
                values = self.node_values(0)
                shown = [f"input {label}"] + ([] if values is None else
                                              [f"{name.input_name(j)} = {name.exact(values[j])}"])
                return "\n".join(shown)
            ls = s.layers[l - 1]
            parts = [f"unit {j + 1} of layer {l}"]
            for label, array in ((name.net_input(l, j), ls.z), (name.activation(l, j), ls.a),
                                 (name.delta(l, j), ls.delta)):
                if array is not None and row is not None:
                    parts.append(f"{label} = {name.exact(array[row, j])}")
            if row is not None:
                parts.append(f"(sample {explain.sample_number(s, row) + 1}, the followed one)")
            return "\n".join(parts)
        ls = s.layers[item.layer - 1]
        address = ParameterAddress(item.layer, item.j, item.i)  # a weight's or a bias's
        _, j, i = address
        if i is None:  # a bias: the hover finds biases only where the layer has them
            biases = bias_arrays(ls)
            assert biases is not None
            value, gradient, change = (float(array[j]) for array in biases)
        else:
            value, gradient, change = (float(ls.W[j, i]), float(ls.dW[j, i]),
                                       float(ls.update_W[j, i]))
        label = address.label()  # biases carry no penalty
        gradient_name = name.gradient(label, penalised=self._penalised() and i is not None)
        return (f"{address.describe()}\n{label} = {name.exact(value)}\n"
                f"{gradient_name} = {name.exact(gradient)} (the batch's)\n"
                f"{name.change(label)} = {name.exact(change)} (last update)")

    # ------------------------------------------------------------------ mouse

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        point = event.position()
        if self._drag_start is not None:
            self.pan += point - self._drag_start
            self._drag_start = point
            self.update()
            return
        item = self.item_at(point)
        if item != self.hover:
            self.hover = item
            self.hover_changed.emit(item)
            if item is None:
                QToolTip.hideText()
            else:
                lines = self.describe(item).splitlines()  # as rich text: clear super/subscripts
                QToolTip.showText(event.globalPosition().toPoint(), "<p style='white-space:pre'>"
                                  + "<br>".join(map(name.rich, lines)) + "</p>", self)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        item = self.item_at(event.position())
        if item is None:
            self._drag_start = event.position()
            return
        self.select(item)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag_start = None

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        item = self.item_at(event.position())
        if item is not None and item.kind in ("weight", "bias"):
            self.select(item)
            self.edit_requested.emit(item)
        elif item is None:
            self.reset_view()

    def wheelEvent(self, event: QWheelEvent) -> None:
        factor = 1.15 ** (event.angleDelta().y() / 120.0)
        zoom = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom * factor))
        if zoom == self.zoom:
            return
        # keep the point under the cursor where it is
        centre = QPointF(self.rect().center())
        cursor = event.position()
        self.pan = cursor - (cursor - centre - self.pan) * (zoom / self.zoom) - centre
        self.zoom = zoom
        self.update()

    def select(self, item: Selection | None) -> None:
        self.selection = item
        self.selection_changed.emit(item)
        self.update()


def bias_arrays(layer: LayerSnapshot) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """A layer's biases b, their gradient dE/db and their last update (None: no biases)."""
    if layer.b is None:
        return None
    # sim.snapshot copies all three from the same layer: biases have a gradient and an update
    assert layer.db is not None and layer.update_b is not None
    return layer.b, layer.db, layer.update_b


def _fits(item: Selection, snapshot: Snapshot) -> bool:
    """Whether a selected node, weight or bias exists in the snapshot's network."""
    if item.address is not None:
        return item.address.exists_in(snapshot.layers)
    units = snapshot.layers[0].fan_in if item.layer == 0 else \
        snapshot.layers[item.layer - 1].units if item.layer <= snapshot.depth else 0
    return item.j < units


def _image(ramp: np.ndarray, bins: np.ndarray) -> QImage:
    """A (rows, columns) array of colour bins as an RGB image, one pixel per cell."""
    return rgb_image(palette.bin_colours(ramp, bins))


def rgb_image(colours: np.ndarray) -> QImage:
    """A (rows, columns, 3) uint8 array as a QImage of its own."""
    colours = np.ascontiguousarray(colours, dtype=np.uint8)
    rows, columns = colours.shape[:2]
    # Converted to the painter's native 32-bit format once (which also copies it away from
    # numpy's buffer): a scaled RGB888 image is converted on every draw, 0.85 ms each, and a
    # 10 x 64 network draws 31 images a frame (measured: 27 ms a frame before, 4 ms after).
    return QImage(colours.data, columns, rows, columns * 3,
                  QImage.Format.Format_RGB888).convertToFormat(QImage.Format.Format_RGB32)


def _point_segment_distance(p: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Distance from point p to each segment (x1, y1, x2, y2), vectorised."""
    a, b = segments[:, :2], segments[:, 2:]
    ab = b - a
    length_sq = np.maximum((ab * ab).sum(axis=1), 1e-12)
    t = np.clip(((p - a) * ab).sum(axis=1) / length_sq, 0.0, 1.0)
    nearest = a + ab * t[:, None]
    return np.hypot(*(nearest - p).T)


def _ink_on(rgb: np.ndarray) -> QColor:
    """Black or white, whichever reads better on a fill of this RGB colour."""
    red, green, blue = (float(c) for c in rgb)
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue  # sRGB weights, 0..255
    return QColor("#000000") if luminance > 140 else QColor("#ffffff")


def _tint(background: QColor, colour: QColor, amount: float) -> QColor:
    """``background`` moved ``amount`` of the way towards ``colour``, fully opaque."""
    def mix(b: int, c: int) -> int:
        return round(b + (c - b) * amount)
    return QColor(mix(background.red(), colour.red()), mix(background.green(), colour.green()),
                  mix(background.blue(), colour.blue()))
