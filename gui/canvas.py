"""The network canvas: layers as columns of nodes, edges coloured by the active mode.

The widget holds what is shown (the snapshot, mode, selection, zoom) and decides what each
part shows; its parts draw: `canvas_geometry` (where everything goes, rebuilt only when the
size, zoom or pan changes), `canvas_edges` (the edges, batched by colour bin, and layers with
too many edges drawn as their weight matrix), `canvas_nodes` (discs, strips, "+1" boxes),
`canvas_labels` (which numbers and names fit where, and drawing them), `canvas_overlays`
(paths, the selected edge, pulses), `canvas_skips` (residual layers' skip connections),
`canvas_chain_rule` (the presentation's chain-rule box),
`canvas_legend` (the colour legend and the stop banner), `canvas_text` (text laid out once)
and `canvas_hits` (what lies under the mouse).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QToolTip, QWidget

from sim import explain, palette
from sim import notation as name
from sim.address import ParameterAddress
from sim.events import Phase
from sim.snapshot import LayerSnapshot, Snapshot

from . import (
    batch_norm_box,
    canvas_chain_rule,
    canvas_edges,
    canvas_hits,
    canvas_labels,
    canvas_legend,
    canvas_nodes,
    canvas_overlays,
    canvas_skips,
)
from .canvas_geometry import MAX_RADIUS, STRIP_UNITS, Geometry
from .canvas_hits import Selection
from .canvas_kept import KeptDrawing
from .canvas_labels import LabelPlacer, PlacedLabel, preferred_fraction
from .canvas_overlays import PathHighlight, Pulses
from .canvas_text import Texts
from .style import Style, layer_colour

LINE_LAYER_LIMIT = 1024  # a layer with more edges than this is drawn as a heat map ...
LINE_TOTAL_LIMIT = 2500  # ... once the whole network has more edges than this
LABEL_NODE_LIMIT = 64  # values are printed on nodes up to this many nodes (or when zoomed)
LABEL_EDGE_LIMIT = 40  # and on edges up to this many edges (or when zoomed)
NAME_SHARE = 0.25  # of the canvas's width, at most, kept beside a column for its names
MIN_ZOOM, MAX_ZOOM = 0.5, 8.0
LABEL_GAP = 2  # pixels between two labels, or a label and a node
BESIDE_UNITS = 4  # a column of at most this many units may print its values beside them
WIDE_NODE_VALUE = "δ −0.0001234"  # as wide as a node's number gets (sim.notation.number)
HEADER_TOP = 18  # the layers' headers start this far down


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
class NodeLayout:
    """How the nodes are drawn in one paint, worked out once at its start and handed to
    every part that asks (a value of that paint, never kept for the next): the geometry,
    per column half the side of the pictures over its nodes (0: discs) and how far a
    node's drawing reaches from its centre, and whether every column's values are printed
    (see NetworkCanvas.node_layout)."""

    geometry: Geometry
    halves: tuple[float, ...]
    reach: tuple[float, ...]
    values_readable: bool


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
        self._geometry: Geometry | None = None
        self._geometry_key: tuple | None = None
        self._drag_start: QPointF | None = None
        self.paint_times: list[float] = []  # milliseconds, read by --stats
        self._texts = Texts()
        self.edge_layers = canvas_edges.EdgeLayers()  # each layer's edges, kept while unchanged
        self._discs = canvas_nodes.DiscSprites()
        self._legend = canvas_legend.Legend()
        self._labels = canvas_labels.KeptLabels()  # the labels, kept while the same
        self._placement = canvas_labels.PlacementMemo()  # where they went, to replay
        self.node_discs = canvas_nodes.NodeDiscs()  # the discs and strips, kept while the same
        self._headers = KeptDrawing()  # the columns' headers, kept while the same
        self._heat_maps = KeptDrawing()  # the layers drawn as matrices, kept while the same
        self._skips = KeptDrawing()  # the residual layers' skip connections
        self._followed_row: tuple[Snapshot, int | None, int] | None = None  # see sample_row
        self._placed: list[PlacedLabel] = []  # the labels of the last paint
        self._names_on_nodes = False  # the last paint named the units on their nodes
        self.chain_overlay_rect: QRectF | None = None  # where the last paint put it

    # ------------------------------------------------------------------ inputs

    @Slot(object)
    def set_snapshot(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        for item in (self.selection, self.hover):
            if item is not None and not canvas_hits.fits(item, snapshot):  # the network was rebuilt
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
        found = self._followed_row
        if found is None or found[0] is not s or found[1] != self.sample:
            # asked for by every column's values: found once per snapshot and sample
            found = self._followed_row = (s, self.sample, explain.followed_row(s, self.sample)[0])
        return found[2]

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

    def node_layout(self, geometry: Geometry) -> NodeLayout:
        """How the nodes are drawn on this geometry now: the pictures' half sizes (0 where
        there are none: none set, or walking phase by phase, when the nodes show the
        followed sample's a and δ), each column's reach, and whether the values are printed
        (_values_readable). A paint works it out once and hands it down."""
        readable = self._values_readable(geometry)
        # The nodes' values, where the canvas prints them, go under the pictures.
        below = self._texts.metrics(self.style_.number_font).height() + 8 * self.style_.scale \
            if readable else 0.0
        halves = tuple(self._picture_halves(geometry, below))
        return NodeLayout(geometry, halves, tuple(max(geometry.radius, half) for half in halves),
                          readable)

    def picture_half_sizes(self, geometry: Geometry) -> list[float]:
        """Per column, half the side of the pictures drawn over its nodes (see node_layout)."""
        return list(self.node_layout(geometry).halves)

    def _picture_halves(self, geometry: Geometry, below: float) -> list[float]:
        """Per column, half the side of its pictures leaving ``below`` pixels under each (see
        node_layout)."""
        if self.node_pictures is None or self.walking_phase() is not None:
            return [0.0] * geometry.columns
        # The outputs' names need room right of the last column (canvas_labels.place_names).
        sizes = canvas_labels.LabelSizes(self.style_, self._texts)
        room = max((sizes.size(text, self.style_.small_font, named=True).width()
                    for text in self._drawn().output_names), default=0.0)
        right = self.width() - room - (canvas_labels.NAME_GAP + 1) * self.style_.scale
        return self.node_pictures.half_sizes(geometry.nodes, geometry.radius, right, below)

    def geometry_for_paint(self) -> Geometry:
        s = self._drawn()
        widths = [s.layers[0].fan_in] + [l.units for l in s.layers]
        has_bias = [l.has_bias for l in s.layers]
        # under the network: the legend and, once training has stopped, the reason why
        banner = self.stop_banner_rect()
        gap = canvas_legend.BANNER_GAP * self.style_.scale
        legend_band = self.legend_band() + (0.0 if banner is None else banner.height() + gap)
        sides = self._name_sides(widths)
        key = (tuple(widths), tuple(has_bias), self.width(), self.height(), self.zoom,
               self.pan.x(), self.pan.y(), self.style_.scale, self.style_.presenting,
               legend_band, sides)
        if self._geometry is None or key != self._geometry_key:
            self._geometry = Geometry(widths, has_bias, QRectF(self.rect()), self.zoom,
                                       self.pan, self.style_.scale,
                                       self._texts.metrics(self.style_.number_font).height(),
                                       self.header_bottom(), legend_band, sides,
                                       self._texts.metrics(self.style_.small_font)
                                       .horizontalAdvance(canvas_nodes.BIAS_TEXT) + 6)
            self._geometry_key = key
        return self._geometry

    def input_labels(self) -> list[str]:
        """The names printed beside the input nodes: xᵢ with the data's name for it."""
        s = self._drawn()
        return [name.input_label(j, s.input_names) for j in range(s.layers[0].fan_in)]

    def _name_sides(self, widths: list[int]) -> tuple[float, float]:
        """The room the geometry keeps left of the inputs and right of the outputs for their
        names (gui.canvas_labels.place_names): a name's width on one line, or on two where
        one line would take more than NAME_SHARE of the canvas, beside the largest node."""
        st = self.style_
        sizes = canvas_labels.LabelSizes(st, self._texts)
        beside = (canvas_labels.NAME_GAP + MAX_RADIUS + 2) * st.scale
        share = NAME_SHARE * self.width()
        sides = []
        for units, names in ((widths[0], self.input_labels()),
                             (widths[-1], list(self._drawn().output_names))):
            needed = 0.0
            for text in names if units <= STRIP_UNITS else ():
                whole = sizes.size(text, st.small_font, named=True).width() + beside
                if whole > share:
                    shorter = canvas_labels.two_lines(text)
                    whole = share if shorter is None else \
                        min(sizes.size(shorter, st.small_font, named=True).width() + beside,
                            share)
                needed = max(needed, whole)
            sides.append(needed)
        return sides[0], sides[1]

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
            layout = self.node_layout(geometry)  # the nodes' sizes, asked for by many parts
            scale = self.current_scale()
            heat = self.heat_map_layers()
            self._draw_phase_band(painter, geometry)
            self._draw_edges(painter, geometry, scale, heat)
            self._draw_heat_maps(painter, geometry, scale, heat)
            self._draw_skips(painter, layout)
            if self.paths is not None:
                canvas_overlays.draw_paths(painter, self.style_, geometry, heat, self.paths,
                                           QRectF(self.rect()))
            self._draw_selected_edge(painter, geometry, heat)
            if self.pulses is not None:
                canvas_overlays.draw_pulses(painter, self.style_, geometry, heat, self.pulses)
            batch_norm_box.paint(painter, self.style_, self._norm_boxes(layout),
                                 self.bias_boxes(geometry))
            self._draw_nodes(painter, layout)
            self._draw_layer_labels(painter, geometry, heat)
            chain_rule = canvas_chain_rule.layout(self.style_, self.chain_overlay_lines(),
                                                  self.size())
            self.chain_overlay_rect = None if chain_rule is None else canvas_chain_rule.place(
                chain_rule, self.style_, self.size(), self.header_bottom(),
                self._chain_keep_clear(layout, heat))
            self._draw_labels(painter, layout, heat)  # off the chain rule's box
            self._draw_legend(painter, scale)
            banner = self.stop_banner_rect()
            if snapshot.stop_event is not None and banner is not None:
                canvas_legend.paint_stop_banner(painter, self.style_, banner,
                                                snapshot.stop_event)
            if chain_rule is not None and self.chain_overlay_rect is not None:
                # over all (where the network left no room, over the legend)
                canvas_chain_rule.draw(painter, self.style_, chain_rule, self.chain_overlay_rect)
        finally:
            painter.end()
            self.paint_times.append((time.perf_counter() - started) * 1000.0)
            if len(self.paint_times) > 20000:
                del self.paint_times[:10000]

    def _chain_keep_clear(self, layout: NodeLayout, heat: set[int]) -> list[list[QRectF]]:
        """What the chain rule's box should cover least of, most important first: the units
        it multiplies, the outputs whose error it carries back and the middle of the selected
        edge; every node and "+1" box; the colour legend and the reason training stopped."""
        geometry, reach = layout.geometry, layout.reach

        def node(column: int, j: int) -> QRectF:
            x, y = geometry.nodes[column][j].tolist()
            r = reach[column]
            return QRectF(x - r, y - r, 2 * r, 2 * r)

        outputs = {(geometry.columns - 1, j) for j in range(len(geometry.nodes[-1]))}
        explained = [node(column, j) for column, j in sorted(self.chain_units() | outputs)]
        line = self._selected_line(geometry, heat)
        if line is not None:
            middle = line.center()
            explained.append(QRectF(middle.x() - 4, middle.y() - 4, 8, 8))
        nodes = [node(column, j) for column, points in enumerate(geometry.nodes)
                 for j in range(len(points))] + self.bias_boxes(geometry)
        legend_top = self.height() - self.legend_band()
        below = [QRectF(0, legend_top, self.width(), self.height() - legend_top)]
        banner = self.stop_banner_rect()
        return [explained, nodes, below + ([] if banner is None else [banner])]

    def _draw_edges(self, painter: QPainter, geometry: Geometry, scale: palette.Scale,
                    heat: set[int]) -> None:
        """Each layer's edges (not those drawn as a matrix), from its kept image while its
        bins are unchanged (canvas_edges.EdgeLayers)."""
        look = canvas_edges.EdgeLook(self.shown_mode, self.scheme, self._base_line_width(),
                                     self.style_.muted.rgba(), self.devicePixelRatioF())
        self.edge_layers.forget(range(1, geometry.columns))
        for l in range(1, geometry.columns):
            if l in heat:
                continue  # its weights and biases are drawn as a matrix
            bins = None  # pending: the backward pass has not reached it
            if not self.pending(l):
                bins = palette.bins(self.edge_values(l), scale).ravel()
                biases = self.bias_values(l)  # a layer has bias lines exactly when it has biases
                if biases is not None:
                    bins = np.concatenate([bins, palette.bins(biases, scale)])
            self.edge_layers.paint(painter, l, geometry, bins, look)

    def _base_line_width(self) -> float:
        """The width of the weakest edges: the style's, a little wider when zoomed in."""
        return self.style_.line_width * min(self.zoom, 3.0) ** 0.5

    def _draw_heat_maps(self, painter: QPainter, geometry: Geometry, scale: palette.Scale,
                        heat: set[int]) -> None:
        """The layers in ``heat`` as their weight matrices (and biases as one more column),
        kept as an image while their bins are the same."""
        if not heat:
            return
        st = self.style_
        ramp = self.palette_colours()
        layers = []  # (layer, its weights' bins, its biases' as a column or None)
        for l in sorted(heat):
            biases = self.bias_values(l)
            layers.append((l, palette.bins(self.edge_values(l), scale),
                           None if biases is None else palette.bins(biases, scale)[:, None]))

        def draw(on: QPainter) -> None:
            on.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)  # crisp cells
            on.setPen(QPen(st.muted, 1.0))
            on.setBrush(Qt.BrushStyle.NoBrush)
            for l, cells, column in layers:
                rect = geometry.heat_rect(l)
                on.drawImage(rect, canvas_edges.bins_image(ramp, cells))
                on.drawRect(rect)
                if column is not None:  # just right of the matrix
                    strip = geometry.bias_strip(l)
                    on.drawImage(strip, canvas_edges.bins_image(ramp, column))
                    on.drawRect(strip)

        def bounds() -> QRectF:
            rects = [geometry.heat_rect(l).united(geometry.bias_strip(l)) for l, _, _ in layers]
            united = rects[0]
            for rect in rects[1:]:
                united = united.united(rect)
            return united.adjusted(-2, -2, 2, 2)

        key = (geometry, st, ramp.tobytes(),
               tuple((l, cells.tobytes(), None if column is None else column.tobytes())
                     for l, cells, column in layers))
        self._heat_maps.paint(painter, key, bounds, self.devicePixelRatioF(), draw)

    def _draw_skips(self, painter: QPainter, layout: NodeLayout) -> None:
        """The residual layers' skip connections (gui.canvas_skips), kept as an image."""
        residual = [layer.residual for layer in self._drawn().layers]
        if not any(residual):
            return
        geometry, reach = layout.geometry, layout.reach
        path = canvas_skips.skip_path(geometry, residual, list(reach))
        st = self.style_
        self._skips.paint(painter, (geometry, st, reach, tuple(residual)),
                          lambda: canvas_skips.bounds(path, st), self.devicePixelRatioF(),
                          lambda on: canvas_skips.draw(on, st, path))

    def _draw_selected_edge(self, painter: QPainter, geometry: Geometry,
                            heat: set[int]) -> None:
        """The selected weight's or bias's edge under a broad accent band (not while its
        paths are shown: they start at it, drawn in their own colours)."""
        line = self._selected_line(geometry, heat)
        if line is not None and self.paths is None:
            canvas_overlays.draw_selected_edge(painter, self.style_, line)

    def _selected_line(self, geometry: Geometry, heat: set[int]) -> QLineF | None:
        """The selected weight's or bias's edge (None: none selected, or its layer is drawn
        as a matrix)."""
        item = self.selection
        if item is None or item.kind == "node" or item.layer in heat:
            return None
        if item.i is None:
            return geometry.bias_lines[item.layer][item.j]
        fan_in = self._drawn().layers[item.layer - 1].fan_in
        return geometry.lines[item.layer][item.j * fan_in + item.i]

    def _node_colours(self, column: int) -> np.ndarray | None:
        """RGB rows for a column's nodes (None before the forward pass reached it)."""
        values = self.node_values(column)
        if values is None:
            return None
        finite = values[np.isfinite(values)]
        high = float(np.abs(finite).max()) if finite.size else 1.0
        return palette.activation_colours(values, 1.0 if column == 0 or high == 0.0 else high,
                                          self.scheme)

    def _draw_nodes(self, painter: QPainter, layout: NodeLayout) -> None:
        st = self.style_
        marked = self.chain_units()
        geometry, halves = layout.geometry, list(layout.halves)
        # per column drawn as discs or a strip (not pictures): its fills and the chosen units
        columns = [canvas_nodes.NodeColumn(
            column, points, self._node_colours(column),
            () if len(points) > STRIP_UNITS else  # a strip marks none
            tuple(self._is_node(self.selection, column, j) or (column, j) in marked
                  for j in range(len(points))))
            for column, points in enumerate(geometry.nodes) if not halves[column]]
        pens = canvas_nodes.NodePens(st)
        if columns:
            self.node_discs.paint(painter, st, pens, self._discs, geometry.radius, columns,
                              (geometry, st), self.devicePixelRatioF())
        selected = self.selection
        if any(halves) and self.node_pictures is not None:
            self.node_pictures.paint(painter, geometry.nodes, halves, None if selected is None
                                     or selected.kind != "node" else (selected.layer,
                                                                      selected.j))
        boxes = [(box, selected is not None and selected.kind == "bias"
                  and selected.layer == layer) for layer in range(1, geometry.columns)
                 if (box := self.bias_box(geometry, layer)) is not None]
        canvas_nodes.draw_bias_boxes(painter, st, pens, self._texts, boxes, self.width())
        self._names_on_nodes = self._draw_node_names(painter, geometry)

    def norm_boxes(self, geometry: Geometry) -> list[QRectF | None]:
        """Per column, its batch normalisation's BN box (None without one)."""
        return self._norm_boxes(self.node_layout(geometry))

    def _norm_boxes(self, layout: NodeLayout) -> list[QRectF | None]:
        geometry = layout.geometry
        normalised = [layer.has_batch_norm for layer in self._drawn().layers]
        if not any(normalised):
            return [None] * geometry.columns
        return batch_norm_box.boxes(geometry.nodes, list(layout.reach), geometry.radius,
                                    normalised)

    def bias_box(self, geometry: Geometry, layer: int) -> QRectF | None:
        """The "+1" box that feeds layer ``layer``'s biases (None: the layer has none)."""
        bias = geometry.bias[layer]
        if bias is None:
            return None
        x, y = bias[0]
        side = geometry.bias_side
        return QRectF(x - side / 2, y - side / 2, side, side)

    def bias_boxes(self, geometry: Geometry) -> list[QRectF]:
        """The "+1" boxes of the layers that have biases."""
        return [box for layer in range(1, geometry.columns)
                if (box := self.bias_box(geometry, layer)) is not None]

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

    def _is_node(self, selection: Selection | None, column: int, j: int) -> bool:
        return selection is not None and selection.kind == "node" and \
            selection.layer == column and selection.j == j

    def node_name(self, column: int, j: int) -> str:
        """What a node's number is, as sim.notation names it: xⱼ, a⁽ˡ⁾ⱼ, or δ⁽ˡ⁾ⱼ while the
        backward pass is shown."""
        return name.delta(column, j) if self.shows_delta(column) else name.activation(column, j)

    def _draw_node_names(self, painter: QPainter, geometry: Geometry) -> bool:
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
        sizes = [self._texts.named(text, font, self.style_.foreground).size()
                 for column in names for text in column]
        if max(size.width() for size in sizes) > 1.9 * r or \
                max(size.height() for size in sizes) > 1.7 * r:
            return False  # the nodes are too small: the tooltip still names each one
        for c, (points, texts) in enumerate(zip(columns, names, strict=True), start=1):
            fills = self._node_colours(c)
            for j, ((x, y), text) in enumerate(zip(points.tolist(), texts, strict=True)):
                colour = self.style_.foreground if fills is None else canvas_nodes.ink_on(fills[j])
                self._texts.draw_named(painter, self.width(), QPointF(x, y), text, font, colour,
                                       centred=True)
        return True

    # ------------------------------------------------------------------ labels

    def placed_labels(self) -> list[PlacedLabel]:
        """The labels of the last paint with their boxes: none overlaps another, a node or a
        bias box, and all lie inside the canvas."""
        return list(self._placed)

    def _draw_labels(self, painter: QPainter, layout: NodeLayout, heat: set[int]) -> None:
        """The numbers on the network, each boxed, where there is room (gui.canvas_labels)."""
        s = self._drawn()
        geometry, reach = layout.geometry, list(layout.reach)
        numbers = self._node_numbers(layout)
        inputs = self.input_labels()
        wanted = self._edge_numbers(geometry, heat)
        if not any(numbers) and not wanted and all(
                len(geometry.nodes[column]) > STRIP_UNITS for column in (0, -1)):
            self._placed = []  # nothing to place (a dense network): no obstacles to lay out
            return
        # A label keeps the gap between two labels from a node's outline too (a chosen node's
        # is broad): a number ending at a disc's box read as running under the disc.
        st = self.style_
        pad = LABEL_GAP * st.scale + canvas_nodes.NodePens(st).highlight.widthF() / 2
        obstacles = [QRectF(x - r - pad, y - r - pad, 2 * (r + pad), 2 * (r + pad))
                     for points, r in zip(geometry.nodes, reach, strict=True)
                     for x, y in points.tolist()]
        bias_boxes = self.bias_boxes(geometry)
        # the "BN" labels (a number may lie over the translucent BN box, not over its name)
        obstacles += bias_boxes + batch_norm_box.label_rects(st, self._norm_boxes(layout),
                                                             bias_boxes)
        # the layers' headers above, the colour legend and its notes below
        obstacles.append(QRectF(0, 0, self.width(), self.header_bottom()))
        legend_top = self.height() - self.legend_band()
        obstacles.append(QRectF(0, legend_top, self.width(), self.height() - legend_top))
        for box in (self.stop_banner_rect(), self.chain_overlay_rect):
            if box is not None:
                obstacles.append(box)
        placer = LabelPlacer(QRectF(self.rect()), obstacles, LABEL_GAP * st.scale,
                             self._placement)
        sizes = canvas_labels.LabelSizes(st, self._texts)
        canvas_labels.place_node_values(placer, sizes, geometry, reach, numbers)
        canvas_labels.place_names(placer, sizes, geometry, reach, inputs, list(s.output_names))
        canvas_labels.place_edge_values(placer, sizes, wanted,
                                        named=self.walking_phase() is not None)
        self._labels.paint(painter, st, self._texts, placer.placed, placer.gap,
                           self.devicePixelRatioF())
        self._placed = placer.placed

    def _node_numbers(self, layout: NodeLayout) -> list[list[str] | None]:
        """Per column, the text of each node's number ("δ" before it while the backward pass
        is shown, unless the node carries its name); None: no numbers (none yet, a strip, or
        no room: see _readable_columns)."""
        numbers: list[list[str] | None] = []
        readable = self._readable_columns(layout)
        for column, points in enumerate(layout.geometry.nodes):
            values = self.node_values(column)
            if values is None or len(points) > STRIP_UNITS or not readable[column]:
                numbers.append(None)
                continue
            prefix = "δ " if self.shows_delta(column) and not self._names_on_nodes else ""
            numbers.append([prefix + name.number(value) for value in values.tolist()])
        return numbers

    def _readable_columns(self, layout: NodeLayout) -> list[bool]:
        """Per column, whether its nodes' values are printed: every column's where the whole
        network has room for them (_values_readable), else each column's that has room for a
        number between one node (disc or picture) and the next, or a single node (its value
        goes wherever the placer finds room): a slide's two inputs beside six crowded hidden
        units still show the sample's x."""
        geometry = layout.geometry
        if layout.values_readable:
            return [True] * geometry.columns
        if not self._few_nodes(geometry):
            return [False] * geometry.columns
        high = self._texts.metrics(self.style_.number_font).height() + 4
        return [len(points) == 1 or float(np.diff(points[:, 1]).min()) - 2 * reach >= high
                for points, reach in zip(geometry.nodes, layout.reach, strict=True)]

    def _few_nodes(self, geometry: Geometry) -> bool:
        """Whether the network is small enough (or drawn large enough) for node values."""
        nodes = sum(len(points) for points in geometry.nodes)
        return nodes <= LABEL_NODE_LIMIT or geometry.radius >= 14 * self.style_.scale

    def _values_readable(self, geometry: Geometry) -> bool:
        """Whether the nodes' values are printed: few enough nodes (or zoomed in), and room for
        a number between one node and the next, or, in a small network drawn as discs,
        beside it (a short, wide canvas: a slide above a long caption)."""
        if not self._few_nodes(geometry):
            return False
        gaps = [np.diff(points[:, 1]).min() for points in geometry.nodes if len(points) > 1]
        metrics = self._texts.metrics(self.style_.number_font)
        if not gaps or min(gaps) - 2 * geometry.radius >= metrics.height() + 4:
            return True
        small = max(len(points) for points in geometry.nodes) <= BESIDE_UNITS
        # Pictures fill the room beside their nodes: values are printed beside discs only
        # (pictures that would not fit even with no value under them are not drawn).
        if not small or any(self._picture_halves(geometry, 0.0)):
            return False
        apart = min(np.diff(geometry.x)) if geometry.columns > 1 else self.width()
        return apart - 2 * geometry.radius >= metrics.horizontalAdvance(WIDE_NODE_VALUE) + 8

    def _edge_numbers(self, geometry: Geometry, heat: set[int]) -> list[canvas_labels.EdgeNumber]:
        """Each weight's and bias's number to print on its edge, named as the captions name
        them while phases are walked (just the number where the name does not fit). A dense
        network prints none (level of detail); the selected edge's goes first."""
        edges = sum(len(lines) + len(bias) for lines, bias in
                    zip(geometry.lines, geometry.bias_lines, strict=True))
        if edges > LABEL_EDGE_LIMIT and self.zoom < 2.0:
            return []
        wanted: list[canvas_labels.EdgeNumber] = []
        for l in range(1, geometry.columns):
            if l in heat or self.pending(l):
                continue
            ls = self._drawn().layers[l - 1]
            values = self.edge_values(l).ravel()
            for k, seg in enumerate(geometry.segments[l].tolist()):
                j, i = divmod(k, ls.fan_in)
                wanted.append(canvas_labels.EdgeNumber(
                    (l, j, i), self.edge_name(l, j, i), name.number(float(values[k])),
                    tuple(seg), preferred_fraction(j, ls.units)))
            biases = self.bias_values(l)
            segments = geometry.bias_segments[l]
            if biases is not None and segments is not None:
                for j, seg in enumerate(segments.tolist()):
                    wanted.append(canvas_labels.EdgeNumber(
                        (l, j), self.bias_name(l, j), name.number(float(biases[j])),
                        tuple(seg), preferred_fraction(j, ls.units)))
        chosen = self.selection
        first = () if chosen is None or chosen.kind == "node" else \
            (chosen.layer, chosen.j) + (() if chosen.i is None else (chosen.i,))
        phase = self.walking_phase()
        active = None if phase is None else phase.layer  # the one the caption's lines name
        # The selected edge's first, then the walked layer's; in each layer the biases
        # first: their long lines cross the others and have the fewest free spots.
        wanted.sort(key=lambda entry: (entry.key != first, entry.key[0] != active,
                                       entry.key[0], len(entry.key)))
        return wanted

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
        return HEADER_TOP * self.style_.scale + self._texts.metrics(self.style_.label_font).height()

    def _draw_layer_labels(self, painter: QPainter, geometry: Geometry, heat: set[int]) -> None:
        """Each column's header (the longest form that fits) over its colour chip, kept as
        an image while they are the same; the note on layers drawn as matrices."""
        st = self.style_
        font = st.label_font
        top = HEADER_TOP * st.scale
        metrics = self._texts.metrics(font)
        room = (geometry.x[1] - geometry.x[0]) * 0.92 if geometry.columns > 1 else self.width()
        headers = []  # (column, its x, its header, whether its phase is shown)
        for column, x in enumerate(geometry.nodes):
            for brevity in (0, 1, 2):
                name, active = self._header(column, brevity)
                if metrics.horizontalAdvance(name) <= room:
                    break
            headers.append((column, float(x[0, 0]), name, active))
        width = self.width()

        def draw(on: QPainter) -> None:
            for column, cx, name, active in headers:
                self._texts.draw(on, width, QPointF(cx, top), name, font,
                                 st.accent if active else st.foreground, centred=True, below=True)
                if column:
                    chip = QRectF(cx - 14 * st.scale, top - 6 * st.scale, 28 * st.scale,
                                  4 * st.scale)
                    on.fillRect(chip, layer_colour(column))
        self._headers.paint(painter, (tuple(headers), st, width),
                            lambda: QRectF(0, 0, width, self.header_bottom() + 4),
                            self.devicePixelRatioF(), draw)
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

    def _draw_phase_band(self, painter: QPainter, geometry: Geometry) -> None:
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
        return canvas_legend.stop_banner_rect(self.style_, self._texts, self.size(),
                                              self.legend_band(), snapshot.stop_event.message)

    def legend_band(self) -> float:
        """How high the colour legend reaches from the canvas's bottom: its bar, its numbers
        and, if drawn, its note."""
        lines = explain.LEGEND_LINES if self.legend_notes() else 0
        return canvas_legend.legend_band(self.style_, self._texts, lines, self.width())

    def _draw_legend(self, painter: QPainter, scale: palette.Scale) -> None:
        """The colour bar with its numbers and title, bottom left."""
        note = explain.legend(self._drawn(), self.sample, self.shown_mode) \
            if self.legend_notes() else ()
        self._legend.paint(painter, self.style_, self._texts, self.size(), scale,
                           self.palette_colours(), self.shown_mode, self.range_fixed(),
                           self._shows_nan(), note, self.devicePixelRatioF())

    def _draw_message(self, painter: QPainter, text: str) -> None:
        painter.setPen(self.style_.muted)
        painter.setFont(self.style_.label_font)
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, text)

    # ------------------------------------------------------------------ hit testing

    def item_at(self, point: QPointF) -> Selection | None:
        """The node, bias or weight under a screen point, if any."""
        if self.snapshot is None:
            return None
        geometry = self.geometry_for_paint()
        return canvas_hits.item_at(geometry, point, self.picture_half_sizes(geometry),
                                   self.heat_map_layers(), max(5.0, 4.0 * self.style_.scale))

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
            if l == s.depth and j < len(s.output_names):  # beside the node, perhaps cut short
                parts[0] = f"output {s.output_names[j]}: {parts[0]}"
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
