"""Neuron maps on the canvas and enlarged in a side panel (issue 11, item 1).

The training process computes `sim.neuron_maps.NeuronMaps` with its snapshots, as often as
the window takes them, at most every `gui.session.NEURON_MAP_SECONDS` while training runs;
this module only draws them. For two inputs each hidden and output node is drawn as its
activation over the input plane, a small heat map on the decision boundary's colour map and
range, the training points optionally over it; for one input as its curve over the input's
range. Maps are drawn when the nodes have room for a readable picture (level of detail); a
big network keeps its discs. Hovering a node, or clicking it, shows its map large in the
Neuron map panel, with the training points.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Slot
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget

from sim import notation
from sim.neuron_maps import NeuronMaps
from sim.snapshot import Snapshot

from .canvas import NetworkCanvas, Selection
from .canvas_edges import rgb_image
from .plots import Plot
from .run import RunController
from .session import NeuronMapsUpdate
from .style import CURVE_COLOUR, POINT_EDGE_COLOUR, Style

# Pixels, whatever the style's scale (a picture is read by its pixels, not by the size of the
# type): a smaller map cannot be read, and the node keeps its disc.
MIN_SIDE = 24.0
MAX_SIDE = 110.0  # pixels (at scale 1)
SPACING_SHARE = 0.88  # of the gap between two nodes of a column: maps stay apart
COLUMN_SHARE = 0.4  # of the gap between two columns: the edges stay visible
CURVE_WIDTH = 2.0  # pixels (at scale 1)
DOT_RADIUS = 2.0  # pixels (at scale 1): a training point on an output's curve
FOLLOWED_RING = 3.0  # pixels (at scale 1): the followed sample's ring on a map
MAP_POINT_SHARE = 0.03  # a training point's radius over a node's map, of the map's side
MIN_MAP_POINT = 1.5  # pixels: the smallest radius of a training point over a map
OFF = ("Neuron maps are off: View > Neuron maps (M) draws every unit's activation over the "
       "inputs on its node.")


class NodeMaps:
    """The canvas's node pictures (`gui.canvas.NodePictures`): the newest neuron maps."""

    def __init__(self, style: Style, scheme: str) -> None:
        self.style, self.scheme = style, scheme
        self.maps: NeuronMaps | None = None
        self._images: list[list[QImage]] = []  # two inputs: per layer, per unit
        # The images scaled to the size drawn, by (layer, side in pixels): drawing a scaled
        # copy is a plain copy of pixels, scaling at every paint is not.
        self._scaled: dict[tuple[int, int], list[QImage]] = {}
        self._curves: list[np.ndarray] = []  # one input: per layer (units, G, 2) in 0..1
        self._targets = np.zeros((0, 2))  # one input: the training points (x, t) in 0..1
        # Two inputs: the training points over every map, if shown (`show_points`): their
        # places in 0..1 (y upwards) and colours, and their image by the side of a map.
        self.show_points = False
        self._points: tuple[np.ndarray, np.ndarray] | None = None
        self._points_images: dict[int, QImage] = {}
        self.drawn = 0  # maps drawn by the last paint (0: the nodes kept their discs)
        # The followed sample's place on the maps (0..1 per input), marked on every map (the
        # node's number is its a in the last pass, before that step's update; the map is of
        # the weights now). None: no mark.
        self.followed: np.ndarray | None = None
        self._ring_image: tuple[tuple[float, str], QImage] | None = None  # see _ring

    def set_maps(self, maps: NeuronMaps | None) -> None:
        self.maps = maps
        self._prepare()

    def set_scheme(self, scheme: str) -> None:
        self.scheme = scheme
        self._prepare()

    def set_show_points(self, shown: bool) -> None:
        """Draw the training points over every map (two inputs; one input's output curve
        always shows them)."""
        self.show_points = shown

    def _prepare_points(self, maps: NeuronMaps) -> None:
        """The training points' places on the maps and colours; their images are drawn anew
        only when these change (a new data set or colour scheme), not with every new map."""
        x0, x1 = maps.x[0], maps.x[-1]
        assert maps.y is not None  # two inputs
        y0, y1 = maps.y[0], maps.y[-1]
        places = np.column_stack([(maps.train[:, 0] - x0) / (x1 - x0),
                                  (maps.train[:, 1] - y0) / (y1 - y0)])
        points = places, maps.point_colours(self.scheme)
        shown = self._points
        if shown is None or not (np.array_equal(shown[0], points[0]) and
                                 np.array_equal(shown[1], points[1])):
            self._points, self._points_images = points, {}

    def points_image(self, side: int) -> QImage:
        """The training points over a map ``side`` pixels square, on a transparent image
        (drawn once per size: every map of a network shows the same points)."""
        image = self._points_images.get(side)
        if image is None:
            assert self._points is not None
            places, colours = self._points
            image = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
            image.fill(Qt.GlobalColor.transparent)
            painter = QPainter(image)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(QPen(QColor(POINT_EDGE_COLOUR), 0.8))
            radius = max(MIN_MAP_POINT, MAP_POINT_SHARE * side)
            inside = np.isfinite(places).all(axis=1) & (places >= 0).all(axis=1) & \
                (places <= 1).all(axis=1)
            for (x, y), rgb in zip(places[inside].tolist(), colours[inside].tolist(),
                                   strict=True):
                painter.setBrush(QColor(*rgb))
                painter.drawEllipse(QPointF(x * side, (1.0 - y) * side), radius, radius)
            painter.end()
            if len(self._points_images) > len(self._images) + 4:  # sizes of earlier frames
                self._points_images.clear()
            self._points_images[side] = image
        return image

    def _prepare(self) -> None:
        """Images (two inputs) or curves (one input) of every unit, once per new maps."""
        maps = self.maps
        self._images, self._curves, self._scaled = [], [], {}
        self._targets = np.zeros((0, 2))
        if maps is None:
            return
        if maps.inputs == 1:  # the data, on the output units' boxes, in their layer's range
            low, high = maps.ranges[-1]
            x0, x1 = maps.x[0], maps.x[-1]
            self._targets = np.column_stack([(maps.train[:, 0] - x0) / (x1 - x0),
                                             (maps.train_targets[:, 0] - low) / (high - low)])
        if maps.inputs == 2:
            self._prepare_points(maps)
        for number, values in enumerate(maps.layers, start=1):
            if maps.inputs == 2:
                colours = maps.colours(number, scheme=self.scheme)
                # Row r of a map is at y[r], upwards; an image's first row is its top.
                self._images.append([rgb_image(unit[::-1]) for unit in colours])
            else:
                low, high = maps.ranges[number - 1]
                across = np.linspace(0.0, 1.0, maps.grid)
                with np.errstate(invalid="ignore"):
                    up = np.clip((values - low) / (high - low), 0.0, 1.0)
                self._curves.append(np.stack([np.broadcast_to(across, up.shape), up], axis=-1))

    def image(self, layer: int, unit: int) -> QImage:
        """The picture drawn on unit ``unit`` (from 0) of layer ``layer`` (two inputs)."""
        return self._images[layer - 1][unit]

    def _fits(self, nodes: list[np.ndarray]) -> bool:
        """Whether the maps belong to a network of this shape (a rebuilt network's arrive a
        moment after its first snapshot)."""
        maps = self.maps
        return maps is not None and [len(column) for column in nodes[1:]] == \
            [len(values) for values in maps.layers]

    def half_sizes(self, nodes: list[np.ndarray], radius: float, right: float,
                   below: float) -> list[float]:
        """Each column's maps as large as its nodes' spacing allows; all discs if any
        column's maps would be too small to read (a network is drawn one way)."""
        none = [0.0] * len(nodes)
        if not self._fits(nodes) or len(nodes) < 2:
            return none
        scale = self.style.scale
        across = float(np.diff([column[0, 0] for column in nodes]).min())
        largest = min(COLUMN_SHARE * across, MAX_SIDE * scale)
        sides = []
        for column in nodes[1:]:
            gap = float(np.diff(column[:, 1]).min()) if len(column) > 1 else np.inf
            sides.append(min(largest, SPACING_SHARE * gap, gap - below))
        sides[-1] = min(sides[-1], 2.0 * (right - float(nodes[-1][0, 0])))
        if min(sides) < MIN_SIDE:
            return none
        return [0.0] + [side / 2.0 for side in sides]

    def paint(self, painter: QPainter, nodes: list[np.ndarray], halves: list[float],
              selected: tuple[int, int] | None) -> None:
        maps = self.maps
        if maps is None:
            return
        st = self.style
        outline = QPen(st.foreground, max(1.0, st.line_width * 0.6))
        highlight = QPen(st.accent, outline.widthF() * 2.5)
        self.drawn = 0
        for column, points in enumerate(nodes[1:], start=1):
            side = max(1, round(2 * halves[column]))
            half = side / 2.0
            images = self._scaled_images(column, side) if maps.inputs == 2 else []
            data = self.points_image(side) if maps.inputs == 2 and self.show_points \
                else None
            for unit, (x, y) in enumerate(points.tolist()):
                # Whole pixels: an image is then copied, not resampled.
                rect = QRectF(round(x - half), round(y - half), side, side)
                if maps.inputs == 2:
                    painter.drawImage(rect.topLeft(), images[unit])
                    if data is not None:
                        painter.drawImage(rect.topLeft(), data)
                else:
                    output = column == len(nodes) - 1 and unit == 0
                    self._paint_curve(painter, rect, self._curves[column - 1][unit],
                                      self._targets if output else None)
                self._mark_followed(painter, rect)
                painter.setPen(highlight if selected == (column, unit) else outline)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(rect)
                self.drawn += 1

    def _mark_followed(self, painter: QPainter, rect: QRectF) -> None:
        """A ring where the followed sample lies (two inputs), or a tick under its x (one)."""
        where = self.followed
        if where is None or not (np.isfinite(where).all() and (where >= 0).all()
                                 and (where <= 1).all()):
            return
        st = self.style
        x = rect.left() + float(where[0]) * rect.width()
        if len(where) == 1:
            painter.setPen(QPen(st.foreground, max(1.0, 1.5 * st.scale)))
            painter.drawLine(QPointF(x, rect.bottom()), QPointF(x, rect.bottom() - 0.2 *
                                                             rect.height()))
            return
        y = rect.bottom() - float(where[1]) * rect.height()
        ring = self._ring()
        painter.drawImage(QPointF(round(x - ring.width() / 2), round(y - ring.height() / 2)),
                          ring)

    def _ring(self) -> QImage:
        """The followed sample's ring, drawn once per style (blitting it 33 times a frame
        costs a tenth of drawing 33 antialiased rings)."""
        st = self.style
        if self._ring_image is None or self._ring_image[0] != (st.scale, st.name):
            radius = max(2.0, FOLLOWED_RING * st.scale)
            side = int(2 * radius + 4 * st.scale + 2)
            image = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
            image.fill(Qt.GlobalColor.transparent)
            ring = QPainter(image)
            ring.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            ring.setBrush(Qt.BrushStyle.NoBrush)
            for colour, width in ((QColor("#ffffff"), 3.0), (st.foreground, 1.5)):
                ring.setPen(QPen(colour, width * st.scale))
                ring.drawEllipse(QPointF(side / 2, side / 2), radius, radius)
            ring.end()
            self._ring_image = ((st.scale, st.name), image)
        return self._ring_image[1]

    def _scaled_images(self, layer: int, side: int) -> list[QImage]:
        """Layer ``layer``'s images scaled, smoothly, to ``side`` x ``side`` pixels."""
        key = (layer, side)
        scaled = self._scaled.get(key)
        if scaled is None:
            if len(self._scaled) > 2 * len(self._images):  # sizes of earlier frames
                self._scaled.clear()
            scaled = self._scaled[key] = [image.scaled(
                side, side, Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation) for image in self._images[layer - 1]]
        return scaled

    def _paint_curve(self, painter: QPainter, rect: QRectF, curve: np.ndarray,
                     targets: np.ndarray | None) -> None:
        """A unit's curve in its box: left to right the input, bottom to top its layer's
        colour range; the range's middle as a faint line; the first output's box also shows
        the training points (x, t)."""
        st = self.style
        painter.fillRect(rect, st.node_empty)  # the box under the curve
        painter.setPen(QPen(st.muted, 1.0, Qt.PenStyle.DotLine))
        middle = rect.center().y()
        painter.drawLine(QPointF(rect.left(), middle), QPointF(rect.right(), middle))
        finite = np.isfinite(curve).all(axis=1)
        xs = rect.left() + curve[:, 0] * rect.width()
        ys = rect.bottom() - curve[:, 1] * rect.height()
        painter.setPen(QPen(QColor(CURVE_COLOUR), max(1.0, CURVE_WIDTH * st.scale)))
        painter.drawPolyline(QPolygonF([QPointF(x, y) for x, y, ok in zip(
            xs.tolist(), ys.tolist(), finite.tolist(), strict=True) if ok]))
        if targets is not None and len(targets):  # over the curve: a fit hides nothing
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(st.foreground)
            dot = max(1.5, DOT_RADIUS * st.scale)
            inside = np.clip(targets, 0.0, 1.0)
            for x, y in inside[np.isfinite(inside).all(axis=1)].tolist():
                painter.drawEllipse(QPointF(rect.left() + x * rect.width(),
                                            rect.bottom() - y * rect.height()), dot, dot)


class NeuronMapPanel(QWidget):
    """One unit's map (or curve) large, in raw input units, with the training points."""

    def __init__(self, style: Style, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.maps: NeuronMaps | None = None
        self.unit: tuple[int, int] | None = None  # (layer, unit from 0); None: the first output
        # What the points show now, (positions, colours): set again only when they change
        # (a scatter of a few hundred brushes costs tens of milliseconds to build).
        self._points_shown: tuple[np.ndarray, np.ndarray] | None = None
        self.scheme = "orange-blue"
        self.on_screen = False  # see set_on_screen
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.plot = Plot("Neuron map", style, log_y=False, steps=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.curve = self.plot.plot(pen=pg.mkPen(CURVE_COLOUR, width=2.5))
        self.points = pg.ScatterPlotItem(size=8, pen=pg.mkPen(POINT_EDGE_COLOUR, width=1.2))
        self.plot.addItem(self.points)
        self.key = QLabel()
        self.key.setWordWrap(True)
        self.key.setTextFormat(Qt.TextFormat.RichText)
        self.show_points = QCheckBox("Show the training points")
        self.show_points.setChecked(True)
        self.show_points.toggled.connect(lambda _: self._draw())
        # Over the small maps on the network too: off by default, as a thumbnail with a few
        # hundred points says less than one without (TensorFlow Playground shows neither).
        self.points_on_nodes = QCheckBox("Show them over every map on the network too")
        self.points_on_nodes.setToolTip("Two inputs: the training points, coloured by their "
                                        "targets, over each node's map")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.key)
        layout.addWidget(self.show_points)
        layout.addWidget(self.points_on_nodes)
        self.show_message(OFF)

    def apply_style(self, style: Style) -> None:
        self.plot.apply_style(style)

    def set_scheme(self, scheme: str) -> None:
        self.scheme = scheme
        self._draw()

    def show_maps(self, maps: NeuronMaps) -> None:
        """The newest maps: drawn now if the panel is on screen, else when it comes on."""
        self.maps = maps
        self._draw()

    @Slot(bool)
    def set_on_screen(self, on_screen: bool) -> None:
        """Whether the panel can be seen (its dock's tab is in front; a tab behind another
        still counts as visible to Qt)."""
        self.on_screen = on_screen
        self._draw()

    def show_unit(self, layer: int, unit: int) -> None:
        """Enlarge unit ``unit`` (from 0) of layer ``layer`` (from 1)."""
        self.unit = (layer, unit)
        self._draw()

    def show_message(self, text: str) -> None:
        """No maps to show, and why."""
        self.maps = None
        self.title.setText(text)
        self.key.setText("")
        self.image.clear()
        self.curve.setData([], [])
        self._clear_points()

    def shown_unit(self) -> tuple[int, int] | None:
        """(layer, unit) of the map on show; None when there is none."""
        maps = self.maps
        if maps is None:
            return None
        layer, unit = self.unit if self.unit is not None else (len(maps.layers), 0)
        if not (1 <= layer <= len(maps.layers) and 0 <= unit < len(maps.layers[layer - 1])):
            return len(maps.layers), 0  # chosen on a network since rebuilt
        return layer, unit

    def _draw(self) -> None:
        """The unit on show, if the panel is on screen (else when it comes on)."""
        maps, shown = self.maps, self.shown_unit()
        if maps is None or shown is None or not self.on_screen:
            return
        layer, unit = shown
        values = maps.unit(layer, unit)
        output = layer == len(maps.layers)
        role = "output" if output else f"hidden layer {layer}"
        self.title.setText(notation.rich(
            f"{notation.activation(layer, unit)}: unit {unit + 1} of the {role} "
            f"({maps.activations[layer - 1]}), over the "
            f"{'input plane' if maps.inputs == 2 else 'input'}. Hover or click a node to "
            f"show its map."))
        names = [notation.input_label(k, maps.input_names) for k in range(maps.inputs)]
        self.plot.setLabel("bottom", notation.rich(names[0]))
        low, high = maps.ranges[layer - 1]
        points = self.show_points.isChecked()
        if maps.y is not None:
            self._draw_map(maps, maps.y, layer, values, points)
            self.plot.setLabel("left", notation.rich(names[1]))
            self.key.setText(self._colour_key(low, high, points))
        else:
            self._draw_curve(maps, values, output and points)
            self.plot.setLabel("left", notation.rich(notation.activation(layer, unit)))
            self.key.setText("The training points (targets) are drawn on the output units."
                             if output and points else "")

    def _draw_map(self, maps: NeuronMaps, ys: np.ndarray, layer: int, values: np.ndarray,
                  points: bool) -> None:
        self.curve.setData([], [])
        colours = maps.colours(layer, values, self.scheme)
        self.image.setImage(np.ascontiguousarray(colours), autoLevels=False, levels=(0, 255))
        x0, x1, y0, y1 = maps.x[0], maps.x[-1], ys[0], ys[-1]
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        if points:
            self._set_points(maps.train, maps.point_colours(self.scheme))
        else:
            self._clear_points()

    def _draw_curve(self, maps: NeuronMaps, values: np.ndarray, points: bool) -> None:
        self.image.clear()
        self.curve.setData(maps.x.copy(), values.copy())
        if points:
            positions = np.column_stack([maps.train[:, 0], maps.train_targets[:, 0]])
            self._set_points(positions, np.zeros((len(positions), 0), dtype=np.uint8))
        else:
            self._clear_points()

    def _set_points(self, positions: np.ndarray, colours: np.ndarray) -> None:
        """The training points at ``positions`` (raw units) in RGB ``colours`` (no colour
        columns: the points' edge colour)."""
        shown = self._points_shown
        if shown is not None and np.array_equal(shown[0], positions) and \
                np.array_equal(shown[1], colours):
            return
        self._points_shown = (positions.copy(), colours.copy())
        brushes = [pg.mkBrush(*rgb) for rgb in colours.tolist()] if colours.shape[1] else \
            pg.mkBrush(POINT_EDGE_COLOUR)
        self.points.setData(pos=positions.copy(), brush=brushes)

    def _clear_points(self) -> None:
        self._points_shown = None
        self.points.clear()

    @staticmethod
    def _colour_key(low: float, high: float, points: bool) -> str:
        middle = (low + high) / 2.0
        text = (f"Colour: orange {notation.number(low)}, grey {notation.number(middle)}, blue "
                f"{notation.number(high)} (the layer's range, as on the network).")
        if points:
            text += " Circles: the training points, coloured by their targets."
        return text


class NeuronMapsView(QObject):
    """Connects run A's neuron maps to the canvas and the panel, and the canvas's hover and
    selection to the panel."""

    def __init__(self, run: RunController, canvas: NetworkCanvas, panel: NeuronMapPanel,
                 style: Style, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.run, self.canvas, self.panel = run, canvas, panel
        self.pictures = NodeMaps(style, canvas.scheme)
        self.shown = False
        self.step: int | None = None  # the step of the maps on show (None: none)
        run.neuron_maps_received.connect(self._received)
        run.shown.connect(self._follow)
        canvas.hover_changed.connect(self._pointed_at)
        canvas.selection_changed.connect(self._pointed_at)
        panel.points_on_nodes.toggled.connect(self._points_on_nodes)

    def set_shown(self, shown: bool) -> None:
        """Draw the maps on the nodes and in the panel (asks the worker for them), or not."""
        self.shown = shown
        self.run.set_neuron_maps(shown)
        self.canvas.set_node_pictures(self.pictures if shown else None)
        if not shown:
            self.pictures.set_maps(None)
            self.step = None
            self.panel.show_message(OFF)

    def apply_style(self, style: Style) -> None:
        self.pictures.style = style
        self.panel.apply_style(style)
        self.canvas.update()

    @Slot(str)
    def set_scheme(self, scheme: str) -> None:
        self.pictures.set_scheme(scheme)
        self.panel.set_scheme(scheme)
        self.canvas.update()

    @Slot(bool)
    def _points_on_nodes(self, shown: bool) -> None:
        self.pictures.set_show_points(shown)
        self.canvas.update()

    @Slot(object)
    def _received(self, update: NeuronMapsUpdate) -> None:
        if not self.shown:
            return
        maps = update.maps
        self.step = None if maps is None else update.step
        self.pictures.set_maps(maps)
        self._follow(self.run.snapshot)
        self.canvas.update()
        if maps is None:
            snapshot = self.run.snapshot
            inputs = snapshot.layers[0].fan_in if snapshot is not None else 0
            self.panel.show_message(f"Neuron maps need one or two inputs; this network has "
                                    f"{inputs}.")
        else:
            self.panel.show_maps(maps)

    @Slot(object)
    def _follow(self, snapshot: Snapshot | None) -> None:
        """Mark the sample the canvas's nodes follow on the maps."""
        maps, row = self.pictures.maps, self.canvas.sample_row()
        # Maps of a network just replaced (they arrive a moment after its first snapshot)
        # may have another number of inputs: no mark until the new ones come.
        self.pictures.followed = None if maps is None or snapshot is None or \
            snapshot.x is None or row is None or snapshot.x.shape[1] != maps.inputs else \
            maps.grid_position(snapshot.x[row])

    @Slot(object)
    def _pointed_at(self, item: Selection | None) -> None:
        """A hovered or clicked hidden or output node is enlarged; leaving it, the selected
        node (if one is) comes back."""
        if item is None or item.kind != "node" or item.layer == 0:
            item = self.canvas.selection
        if item is not None and item.kind == "node" and item.layer > 0:
            self.panel.show_unit(item.layer, item.j)
