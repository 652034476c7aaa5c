"""The skip connections of residual layers (a⁽ˡ⁾ = f(z⁽ˡ⁾) + a⁽ˡ⁻¹⁾, as in ResNet): unit j of the
column below bypasses the layer's weights and is added to unit j of the layer, drawn as a
dashed arch from the top of one to the top of the other, over the edges between them."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPen

from .canvas_geometry import Geometry
from .style import Style

# How high an arch rises above its nodes: this share of the free room up to the next node
# (the value printed under that node sits in the rest).
RISE = 0.3
HALO = 3.0  # pixels of background either side of an arch: it stays clear over dark edges


def skip_path(geometry: Geometry, residual: list[bool], reach: list[float]) -> QPainterPath:
    """The arches of every residual layer (``residual``: per layer, 1 on; ``reach``: per
    column, how far a node's drawing reaches from its centre)."""
    path = QPainterPath()
    for layer, skips in enumerate(residual, start=1):
        if not skips:
            continue
        below, above = geometry.nodes[layer - 1], geometry.nodes[layer]
        ys = above[:, 1]
        spacing = float(ys[1] - ys[0]) if len(ys) > 1 else 4.0 * reach[layer]
        rise = max(4.0, RISE * (spacing - 2 * reach[layer]))
        for (x0, y0), (x1, y1) in zip(below.tolist(), above.tolist(), strict=True):
            start = QPointF(x0, y0 - reach[layer - 1])
            end = QPointF(x1, y1 - reach[layer])
            path.moveTo(start)  # a quadratic curve peaks half way to its control point
            path.quadTo(QPointF((x0 + x1) / 2, min(start.y(), end.y()) - 2 * rise), end)
    return path


def _width(style: Style) -> float:
    return max(1.5, 1.5 * style.line_width)


def draw(painter: QPainter, style: Style, path: QPainterPath) -> None:
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(style.background, _width(style) + 2 * HALO))
    painter.drawPath(path)
    painter.setPen(QPen(style.foreground, _width(style), Qt.PenStyle.DashLine))
    painter.drawPath(path)


def bounds(path: QPainterPath, style: Style) -> QRectF:
    """Where the arches' ink lies."""
    ink = _width(style) + 2 * HALO
    return path.boundingRect().adjusted(-ink, -ink, ink, ink)
