"""A part of the canvas kept as an image while it is unchanged.

A paused run, a hover, a pulse or a selection repaints the same parts again and again; each
part (a layer's edges, the discs, the labels, the legend, ...) is drawn into an image of its
own and blitted from it while it is the same. What it shows is named by a key: equal keys must
mean equal drawings. A part is always drawn through its image, never straight onto the
canvas, so that the same state gives the same pixels whatever was painted before (drawn
straight, antialiased ink would differ from the image's by rounding).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter


class KeptDrawing:
    """One part of the canvas (a layer's edges, the labels, the discs, the legend)."""

    def __init__(self) -> None:
        self._kept: object = None  # the key of the image
        self._image = QImage()
        self._origin = QPointF()
        self.drawn = 0  # times drawn into the image rather than blitted

    def paint(self, painter: QPainter, key: object, bounds: Callable[[], QRectF],
              device_pixel_ratio: float, draw: Callable[[QPainter], None]) -> None:
        """Draw the part that ``key`` names with ``draw`` (on a painter in the canvas's
        coordinates, antialiasing on) into the image, unless it holds that part already, and
        blit it. ``bounds``: where all its ink lies."""
        key = (key, device_pixel_ratio)
        if key != self._kept:
            self._keep(key, bounds(), device_pixel_ratio, draw)
        painter.drawImage(self._origin, self._image)

    def amend(self, key: object, device_pixel_ratio: float,
              draw: Callable[[QPainter], None]) -> None:
        """Draw over the kept image in place with ``draw`` (as `paint`'s) and name what it now
        holds ``key``: for a part that redraws only what changed, leaving the pixels a whole
        redraw would leave (gui.canvas_nodes.NodeDiscs). The image must hold the part drawn at
        this device pixel ratio."""
        painter = QPainter(self._image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)  # as on the canvas
            painter.translate(-self._origin)
            draw(painter)
        finally:
            painter.end()
        self._kept = (key, device_pixel_ratio)

    def _keep(self, key: object, bounds: QRectF, dpr: float,
              draw: Callable[[QPainter], None]) -> None:
        # Whole device pixels from the canvas's origin, so that everything falls on the
        # same pixels as drawn straight onto the canvas.
        left, top = math.floor(bounds.left() * dpr), math.floor(bounds.top() * dpr)
        right, bottom = math.ceil(bounds.right() * dpr), math.ceil(bounds.bottom() * dpr)
        width, height = max(right - left, 1), max(bottom - top, 1)
        image = self._image  # the last one's memory, when it is the same size
        if image.width() != width or image.height() != height:
            image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(dpr)
        image.fill(Qt.GlobalColor.transparent)
        origin = QPointF(left / dpr, top / dpr)
        painter = QPainter(image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)  # as on the canvas
            painter.translate(-origin)
            draw(painter)
        finally:
            painter.end()
        self._kept, self._image, self._origin = key, image, origin
        self.drawn += 1
