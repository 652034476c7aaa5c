"""The canvas's nodes: a disc per unit filled with the colour of its value for the followed
sample (empty before the forward pass reaches it), a column of many units as a strip of
cells, and the "+1" boxes that feed the biases."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen

from .canvas_edges import rgb_image
from .canvas_geometry import STRIP_UNITS
from .canvas_kept import KeptDrawing
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

    @staticmethod
    def square(x: float, y: float, radius: float, pen_width: float,
               device_pixel_ratio: float) -> tuple[int, int, int]:
        """The device pixels a disc's sprite covers: its left, top and side."""
        dpr = device_pixel_ratio
        reach = (radius + pen_width / 2) * dpr + 2.0  # device pixels, with the AA fringe
        return math.floor(x * dpr - reach), math.floor(y * dpr - reach), math.ceil(2 * reach) + 2

    def draw(self, painter: QPainter, x: float, y: float, radius: float, fill: QColor,
             pen: QPen, device_pixel_ratio: float) -> None:
        dpr = device_pixel_ratio
        left, top, side = self.square(x, y, radius, pen.widthF(), dpr)
        centre_x, centre_y = x * dpr - left, y * dpr - top  # in the sprite, device pixels
        key = (fill.rgba(), pen.color().rgba(), pen.widthF(), radius, dpr, centre_x, centre_y)
        sprite = self._kept.get(key)
        if sprite is None:
            if len(self._kept) >= self.KEPT:
                self._kept.clear()
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


@dataclass(frozen=True)
class NodeColumn:
    """A column of units drawn as discs, or as a strip when it has more than STRIP_UNITS:
    its number, its units' places, their fills (RGB rows; None: empty) and which are chosen
    (outlined in the accent colour; a strip marks none)."""

    column: int
    points: np.ndarray
    colours: np.ndarray | None
    chosen: tuple[bool, ...]

    def key(self) -> tuple[object, ...]:
        return self.column, None if self.colours is None else self.colours.tobytes(), \
            self.chosen

    def changed(self, shown: NodeColumn) -> list[int]:
        """The units whose discs differ from those of ``shown`` (the same column, as drawn)."""
        if (self.colours is None) != (shown.colours is None):
            return list(range(len(self.points)))
        differ = np.array(self.chosen) != np.array(shown.chosen)
        if self.colours is not None and shown.colours is not None:
            differ |= (self.colours != shown.colours).any(axis=1)
        return np.flatnonzero(differ).tolist()


class NodeDiscs:
    """The columns of units drawn as discs or strips, kept as one image (gui.canvas_kept) and,
    while the layout is the same, amended where discs changed: a new snapshot recolours few
    discs (8 of a 6x8 network's 56 a frame, measured), and redrawing only those spares
    filling the image and blitting the rest. A changed disc's old sprite square is cleared
    and its new sprite blitted there, which leaves the pixels a whole redraw leaves (each
    sprite over nothing) as long as no two discs' squares can meet (`squares_apart`); else,
    or with a strip, any change redraws them all."""

    def __init__(self) -> None:
        self._kept = KeptDrawing()
        # the layout, device pixel ratio, columns and their key in the image
        self._shown: tuple[object, float, list[NodeColumn], object] | None = None

    @property
    def drawn(self) -> int:
        """Times the image was drawn whole (rather than amended or blitted)."""
        return self._kept.drawn

    def paint(self, painter: QPainter, style: Style, pens: NodePens, sprites: DiscSprites,
              radius: float, columns: list[NodeColumn], layout: object,
              device_pixel_ratio: float) -> None:
        """Draw ``columns`` of units of ``radius``; ``layout`` names everything else they
        depend on (the geometry, the style)."""
        dpr = device_pixel_ratio
        key = (layout, tuple(column.key() for column in columns))
        amend = self._amendable(layout, dpr, columns, key, radius, pens)
        if amend:
            self._kept.amend(key, dpr, lambda on: self._redraw(on, amend, pens, sprites, radius,
                                                               style, dpr))

        def draw(on: QPainter) -> None:
            for column in columns:
                if len(column.points) > STRIP_UNITS:
                    draw_strip(on, style, column.points, radius, column.colours)
                else:
                    draw_discs(on, style, pens, sprites, column.points, radius, column.colours,
                               list(column.chosen), dpr)

        def bounds() -> QRectF:
            ends = np.concatenate([column.points for column in columns])
            reach = radius + pens.highlight.widthF() + 2.0
            (left, top), (right, bottom) = ends.min(axis=0) - reach, ends.max(axis=0) + reach
            return QRectF(left, top, right - left, bottom - top)

        self._kept.paint(painter, key, bounds, dpr, draw)
        self._shown = (layout, dpr, columns, key)

    def _amendable(self, layout: object, dpr: float, columns: list[NodeColumn], key: object,
                   radius: float, pens: NodePens) -> list[tuple[NodeColumn, int, bool]]:
        """The discs to redraw in the image, each with whether it was chosen (its old
        sprite's outline); none where the image is the same or must be drawn whole."""
        shown = self._shown
        if shown is None or shown[3] == key or shown[0] != layout or shown[1] != dpr or \
                [c.column for c in shown[2]] != [c.column for c in columns] or \
                any(len(c.points) > STRIP_UNITS for c in columns):
            return []
        changed = [(column, j, old.chosen[j])
                   for column, old in zip(columns, shown[2], strict=True)
                   for j in column.changed(old)]
        if changed and squares_apart([c.points for c in columns], radius,
                                     pens.highlight.widthF(), dpr):
            return changed
        return []

    @staticmethod
    def _redraw(painter: QPainter, discs: list[tuple[NodeColumn, int, bool]], pens: NodePens,
                sprites: DiscSprites, radius: float, style: Style, dpr: float) -> None:
        for column, j, was_chosen in discs:
            x, y = column.points[j].tolist()
            old = pens.highlight if was_chosen else pens.outline
            left, top, side = DiscSprites.square(x, y, radius, old.widthF(), dpr)
            # whole device pixels: without antialiasing, cleared entirely
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
            painter.fillRect(QRectF(left / dpr, top / dpr, side / dpr, side / dpr),
                             Qt.GlobalColor.transparent)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            fill = style.node_empty if column.colours is None else \
                QColor(*column.colours[j].tolist())
            sprites.draw(painter, x, y, radius, fill,
                         pens.highlight if column.chosen[j] else pens.outline, dpr)


def squares_apart(columns: list[np.ndarray], radius: float, pen_width: float,
                  device_pixel_ratio: float) -> bool:
    """Whether no two discs' sprite squares (DiscSprites.square, with an outline up to
    ``pen_width``) can share a device pixel, for discs at these points (columns of units,
    left to right, each top to bottom)."""
    # A square spans centre - reach - 1 up to centre + reach + 3 (rounded outward, 2 more).
    reach = (radius + pen_width / 2) * device_pixel_ratio + 2.0
    gaps = [float(np.diff(points[:, 1]).min()) for points in columns if len(points) > 1]
    gaps += np.diff([float(points[0, 0]) for points in columns]).tolist()
    return not gaps or min(gaps) * device_pixel_ratio >= 2 * reach + 4


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
