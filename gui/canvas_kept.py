"""A part of the canvas kept as an image while it is unchanged.

While training runs, most parts change from one paint to the next (new numbers, new colour
bins), and drawing them into an image first would only add work; a paused run, a hover, a
pulse or a selection repaints the same parts again and again. So a part is drawn straight onto
the canvas while it changes, drawn into an image once it is the same in two paints running,
and blitted from that image while it stays so. What it shows is named by a key: equal keys
must mean equal drawings.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter


class KeptDrawing:
    """One part of the canvas (a layer's edges, the labels, the discs, the legend)."""

    def __init__(self) -> None:
        self._last: object = None  # the key the last paint drew
        self._kept: object = None  # the key of the image, if there is one
        self._image = QImage()
        self._origin = QPointF()
        self.drawn = 0  # times drawn (onto the canvas or into the image) rather than blitted

    def paint(self, painter: QPainter, key: object, bounds: Callable[[], QRectF],
              device_pixel_ratio: float, draw: Callable[[QPainter], None]) -> None:
        """Draw the part that ``key`` names with ``draw`` (on a painter in the canvas's
        coordinates, antialiasing on), or blit it. ``bounds``: where all its ink lies."""
        key = (key, device_pixel_ratio)
        if key != self._kept:
            if key != self._last:  # changed since the last paint: drawn as it is
                self._last = key
                painter.save()
                draw(painter)
                painter.restore()
                self.drawn += 1
                return
            self._keep(key, bounds(), device_pixel_ratio, draw)
        painter.drawImage(self._origin, self._image)

    def _keep(self, key: object, bounds: QRectF, dpr: float,
              draw: Callable[[QPainter], None]) -> None:
        # Whole device pixels from the canvas's origin, so that everything falls on the
        # same pixels as drawn straight onto the canvas (antialiased edges differ by
        # rounding: a level of colour here and there).
        left, top = math.floor(bounds.left() * dpr), math.floor(bounds.top() * dpr)
        right, bottom = math.ceil(bounds.right() * dpr), math.ceil(bounds.bottom() * dpr)
        image = QImage(max(right - left, 1), max(bottom - top, 1),
                       QImage.Format.Format_ARGB32_Premultiplied)
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
