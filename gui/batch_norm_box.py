"""The BN box: batch normalisation drawn on the canvas between a layer's z and its a.

A layer with batch normalisation gets a narrow box just left of its column of nodes, the
height of the column, where the weighted sums z arrive: each unit's z is normalised over the
batch and scaled and shifted there (ẑ = (z − μ) / √(σ² + ε), z̃ = γ ẑ + β) before its activation
makes a = f(z̃). "BN" is written above it. The numbers are in the captions and the inspector.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainter, QPen

from .style import Style

LABEL = "BN"
WIDTH = 0.5  # the box's width, in node radii
GAP = 0.2  # between the box and the nodes' reach, in node radii
FILL_ALPHA = 70  # the accent colour's alpha inside the box: the edges stay visible through it


def boxes(nodes: list[np.ndarray], reach: list[float], radius: float,
          normalised: list[bool]) -> list[QRectF | None]:
    """Per column (0 is the input), the box of its batch normalisation, or None without one.

    ``nodes`` are the columns' node centres, ``reach`` how far each column's drawing reaches
    from its centres (a disc's radius, or half a picture's side), ``normalised`` whether each
    layer (column 1 on) has batch normalisation.
    """
    found: list[QRectF | None] = [None]
    for column, points in enumerate(nodes[1:], start=1):
        if not normalised[column - 1]:
            found.append(None)
            continue
        half = reach[column]
        width = max(4.0, WIDTH * radius)
        right = float(points[:, 0].min()) - half - GAP * radius
        top, bottom = float(points[:, 1].min()) - half, float(points[:, 1].max()) + half
        found.append(QRectF(right - width, top, width, bottom - top))
    return found


def label_rects(style: Style, found: list[QRectF | None],
                avoid: list[QRectF]) -> list[QRectF]:
    """Where each box's "BN" goes (one per box of ``found``): above it, moved left of any
    rectangle of ``avoid`` (the bias boxes, which sit above the columns) it would overlap."""
    if not any(box is not None for box in found):
        return []  # no batch normalisation (most networks): no metrics to make
    metrics = QFontMetricsF(style.small_font)
    width = metrics.horizontalAdvance(LABEL)
    rects = []
    for box in found:
        if box is None:
            continue
        baseline = box.top() - metrics.descent() - 2 * style.scale
        label = QRectF(box.center().x() - width / 2, baseline - metrics.ascent(), width,
                       metrics.height())
        for other in avoid:
            if label.intersects(other):
                label.moveRight(other.left() - 2 * style.scale)
        rects.append(label)
    return rects


def paint(painter: QPainter, style: Style, found: list[QRectF | None],
          avoid: list[QRectF]) -> None:
    """Draw the boxes, each with "BN" above it (see label_rects)."""
    fill = QColor(style.accent)
    fill.setAlpha(FILL_ALPHA)
    painter.setFont(style.small_font)
    ascent = QFontMetricsF(style.small_font).ascent()
    for box, label in zip((box for box in found if box is not None),
                          label_rects(style, found, avoid), strict=True):
        painter.setPen(QPen(style.accent, max(1.0, style.line_width)))
        painter.setBrush(QBrush(fill))
        painter.drawRoundedRect(box, 3, 3)
        painter.setPen(style.accent)
        painter.drawText(QPointF(label.left(), label.top() + ascent), LABEL)
