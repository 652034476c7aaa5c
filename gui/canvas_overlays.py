"""What the canvas draws over its edges: the paths of a weight (sim.paths) over the faded
network, the selected edge's accent band, and the pulses of a stepped phase (gui.motion)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen

from sim.paths import LayerEdges

from .canvas_geometry import Geometry
from .style import Style

# How the paths are drawn over the faded network: every path and the listed ones in the
# foreground colour, (alpha, width in pixels); the one picked in the list in the accent colour.
PATHS_FADE = 200  # the alpha of the background laid over everything else
EVERY_PATH_PEN = (80, 1.5)
LISTED_PATH_PEN = (255, 2.5)
CHOSEN_PATH_WIDTH = 5.0


@dataclass(frozen=True)
class PathHighlight:
    """The paths of one weight or bias to highlight, as edges by layer (sim.paths): every
    path's, the listed paths' (drawn more strongly) and the one picked in the paths panel."""

    every: dict[int, LayerEdges]
    listed: dict[int, LayerEdges] | None = None  # None: the paths' numbers are not computed yet
    chosen: dict[int, LayerEdges] | None = None


@dataclass(frozen=True)
class Pulses:
    """Signals on their way along the edges between two adjacent columns (gui.motion): from
    column ``source`` towards column ``target``, ``progress`` of the way there (0 to 1)."""

    source: int
    target: int
    progress: float


def draw_paths(painter: QPainter, style: Style, geometry: Geometry, heat: set[int],
               paths: PathHighlight, canvas: QRectF) -> None:
    """The paths of a weight over the faded network: every path thin and light, the
    listed ones strong, the one picked in the panel strongest; residual skips as arcs."""
    st = style
    fade = QColor(st.background)
    fade.setAlpha(PATHS_FADE)
    painter.fillRect(canvas, fade)
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
                _draw_heat_paths(painter, geometry, number, layer_edges, colour)
                continue
            painter.drawLines(_path_lines(geometry, number, layer_edges))
            for unit in np.flatnonzero(layer_edges.skips).tolist():
                painter.drawPath(_skip_arc(geometry, number, unit))


def _path_lines(geometry: Geometry, layer: int, edges: LayerEdges) -> list[QLineF]:
    """The lines of one layer's weights and biases that lie on the paths drawn."""
    lines = geometry.lines[layer]
    drawn = [lines[k] for k in np.flatnonzero(edges.weights.ravel()).tolist()]
    bias_lines = geometry.bias_lines[layer]
    return drawn + [bias_lines[j] for j in np.flatnonzero(edges.biases).tolist()]


def _skip_arc(geometry: Geometry, layer: int, unit: int) -> QPainterPath:
    """A residual link from unit j of the layer below to unit j: an arc over the straight
    edge w_jj that joins the same two nodes."""
    (x1, y1), (x2, y2) = geometry.nodes[layer - 1][unit], geometry.nodes[layer][unit]
    rise = max(abs(x2 - x1) * 0.12, geometry.radius * 1.5)
    arc = QPainterPath(QPointF(x1, y1 - geometry.radius))
    arc.quadTo(QPointF((x1 + x2) / 2, (y1 + y2) / 2 - geometry.radius - 2 * rise),
               QPointF(x2, y2 - geometry.radius))
    return arc


def _draw_heat_paths(painter: QPainter, geometry: Geometry, layer: int, edges: LayerEdges,
                     colour: QColor) -> None:
    """Paths through a layer drawn as its weight matrix: the cells on them outlined (a
    box around them all when they fill rows or columns)."""
    rect = geometry.heat_rect(layer)
    rows, columns = edges.weights.shape
    height, width = rect.height() / rows, rect.width() / columns
    for j in np.flatnonzero(edges.biases).tolist():  # the bias itself: its cell
        strip = geometry.bias_strip(layer)
        painter.drawRect(QRectF(strip.left(), rect.top() + j * height, strip.width(), height))
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


def draw_selected_edge(painter: QPainter, style: Style, line: QLineF) -> None:
    """The selected weight's or bias's edge under a broad accent band."""
    colour = QColor(style.accent)
    colour.setAlpha(130)
    pen = QPen(colour, max(8.0, 10.0 * style.scale))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    painter.drawLine(line)


def draw_pulses(painter: QPainter, style: Style, geometry: Geometry, heat: set[int],
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
    radius = max(4.0 * style.scale, geometry.radius * 0.4)
    painter.setPen(QPen(style.background, 1.0))
    painter.setBrush(style.accent if forward else style.danger)
    for x, y in points.tolist():
        painter.drawEllipse(QPointF(x, y), radius, radius)
