"""The canvas's nodes: a disc per unit filled with the colour of its value for the followed
sample (empty before the forward pass reaches it), a column of many units as a strip of
cells, and the "+1" boxes that feed the biases."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen

from .canvas_edges import rgb_image
from .canvas_text import Texts
from .style import Style

BIAS_TEXT = "+1"  # in the box that feeds a layer's biases (the constant input 1)


class NodePens:
    """The outline of a node or bias box, and the broader accent outline of a chosen one."""

    def __init__(self, style: Style) -> None:
        self.outline = QPen(style.foreground, max(1.0, style.line_width * 0.6))
        self.highlight = QPen(style.accent, self.outline.widthF() * 2.5)


class DiscSprites:
    """Node discs, each drawn once into a small image per (fill, outline, radius, where its
    centre falls within a device pixel) and blitted from then on: an antialiased ellipse
    with an outline costs several times a blit, and a 6x8 network has 56 of them. The same
    sub-pixel position gives the same pixels as drawing the disc on the canvas."""

    KEPT = 1024  # sprites kept before the cache starts afresh (~14 kB each at scale 1)

    def __init__(self) -> None:
        self._kept: dict[tuple[object, ...], QImage] = {}

    def draw(self, painter: QPainter, x: float, y: float, radius: float, fill: QColor,
             pen: QPen, device_pixel_ratio: float) -> None:
        dpr = device_pixel_ratio
        reach = (radius + pen.widthF() / 2) * dpr + 2.0  # device pixels, with the AA fringe
        left, top = math.floor(x * dpr - reach), math.floor(y * dpr - reach)
        centre_x, centre_y = x * dpr - left, y * dpr - top  # in the sprite, device pixels
        key = (fill.rgba(), pen.color().rgba(), pen.widthF(), radius, dpr, centre_x, centre_y)
        sprite = self._kept.get(key)
        if sprite is None:
            if len(self._kept) >= self.KEPT:
                self._kept.clear()
            side = math.ceil(2 * reach) + 2
            sprite = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
            sprite.setDevicePixelRatio(dpr)
            sprite.fill(Qt.GlobalColor.transparent)
            sprite_painter = QPainter(sprite)
            try:
                sprite_painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
                sprite_painter.setPen(pen)
                sprite_painter.setBrush(fill)
                sprite_painter.drawEllipse(QPointF(centre_x / dpr, centre_y / dpr), radius,
                                           radius)
            finally:
                sprite_painter.end()
            self._kept[key] = sprite
        painter.drawImage(QPointF(left / dpr, top / dpr), sprite)


def draw_discs(painter: QPainter, style: Style, pens: NodePens, sprites: DiscSprites,
               points: np.ndarray, radius: float, colours: np.ndarray | None,
               chosen: list[bool], device_pixel_ratio: float) -> None:
    """A column's units as discs at ``points``, filled with ``colours`` (RGB rows; None:
    empty), the ``chosen`` ones outlined in the accent colour."""
    fills = [style.node_empty] * len(points) if colours is None else \
        [QColor(*rgb) for rgb in colours.tolist()]
    for (x, y), fill, marked in zip(points.tolist(), fills, chosen, strict=True):
        sprites.draw(painter, x, y, radius, fill, pens.highlight if marked else pens.outline,
                     device_pixel_ratio)


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
    text_width = texts.metrics(font).horizontalAdvance(BIAS_TEXT)
    painter.setBrush(QBrush(style.bias_fill))
    for box, chosen in boxes:
        painter.setPen(pens.highlight if chosen else pens.outline)
        painter.drawRoundedRect(box, 3, 3)
        if text_width + 4 <= box.width():  # else the box alone: "+1" would overflow it
            texts.draw(painter, canvas_width, box.center(), BIAS_TEXT, font, style.foreground,
                       centred=True)


def ink_on(rgb: np.ndarray) -> QColor:
    """Black or white, whichever reads better on a fill of this RGB colour."""
    red, green, blue = (float(c) for c in rgb)
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue  # sRGB weights, 0..255
    return QColor("#000000") if luminance > 140 else QColor("#ffffff")
