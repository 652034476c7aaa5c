"""The canvas's nodes: a disc per unit filled with the colour of its value for the followed
sample (empty before the forward pass reaches it), a column of many units as a strip of
cells, and the "+1" boxes that feed the biases."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen

from .canvas_edges import rgb_image
from .canvas_text import Texts
from .style import Style


class NodePens:
    """The outline of a node or bias box, and the broader accent outline of a chosen one."""

    def __init__(self, style: Style) -> None:
        self.outline = QPen(style.foreground, max(1.0, style.line_width * 0.6))
        self.highlight = QPen(style.accent, self.outline.widthF() * 2.5)


def draw_discs(painter: QPainter, style: Style, pens: NodePens, points: np.ndarray,
               radius: float, colours: np.ndarray | None, chosen: list[bool]) -> None:
    """A column's units as discs at ``points``, filled with ``colours`` (RGB rows; None:
    empty), the ``chosen`` ones outlined in the accent colour."""
    empty = QBrush(style.node_empty)
    brushes = [empty] * len(points) if colours is None else \
        [QBrush(QColor(*rgb)) for rgb in colours.tolist()]
    for (x, y), brush, marked in zip(points.tolist(), brushes, chosen, strict=True):
        painter.setPen(pens.highlight if marked else pens.outline)
        painter.setBrush(brush)
        painter.drawEllipse(QPointF(x, y), radius, radius)


def draw_strip(painter: QPainter, style: Style, points: np.ndarray, r: float,
               colours: np.ndarray | None) -> None:
    """Many units as a column of cells: one image instead of hundreds of circles."""
    spacing = (points[-1, 1] - points[0, 1]) / max(len(points) - 1, 1)
    rect = QRectF(points[0, 0] - r, points[0, 1] - spacing / 2, 2 * r, spacing * len(points))
    if colours is None:
        painter.fillRect(rect, style.node_empty)
    else:
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(rect, rgb_image(colours[:, None, :]))
    painter.setPen(QPen(style.foreground, 1.0))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(rect)


def draw_bias_boxes(painter: QPainter, style: Style, pens: NodePens, texts: Texts,
                    boxes: list[tuple[QRectF, bool]], canvas_width: float) -> None:
    """The "+1" boxes (each with whether it is chosen: its bias is selected), "+1" in each
    where it fits."""
    font = style.small_font
    text_width = texts.metrics(font).horizontalAdvance("+1")
    painter.setBrush(QBrush(style.bias_fill))
    for box, chosen in boxes:
        painter.setPen(pens.highlight if chosen else pens.outline)
        painter.drawRoundedRect(box, 3, 3)
        if text_width + 4 <= box.width():  # else the box alone: "+1" would overflow it
            texts.draw(painter, canvas_width, box.center(), "+1", font, style.foreground,
                       centred=True)


def ink_on(rgb: np.ndarray) -> QColor:
    """Black or white, whichever reads better on a fill of this RGB colour."""
    red, green, blue = (float(c) for c in rgb)
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue  # sRGB weights, 0..255
    return QColor("#000000") if luminance > 140 else QColor("#ffffff")
