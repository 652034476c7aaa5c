"""The canvas's edges: every weight and bias as a line coloured by its bin of the shown mode
(sim.palette), wider the stronger the bin; and layers with too many edges to draw as lines
drawn as their weight matrix, an image of one pixel per weight.

Painting is batched: the lines are grouped by bin and each group is drawn with one
``drawLines`` call, weakest first, so that strong edges lie on top. Each layer's edges are
drawn into an image of their own, kept while what they show is unchanged (`EdgeLayers`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from sim import palette

from .canvas_geometry import Geometry
from .canvas_kept import KeptDrawing

# Drawing rank of each bin in strength order; ZERO_BIN = -2 and NAN_BIN = -1 index the last
# two entries: "zero" under everything, NaN over it.
DRAW_RANK = {mode: np.array([palette.bin_strength(b, mode) for b in range(palette.BINS)]
                            + [-1.0, 2.0]) for mode in palette.MODES}


@functools.lru_cache(maxsize=1024)
def line_width(base: float, mode: str, index: int) -> float:
    """1 to 6 pixels (at ``base`` 1), growing with the bin's strength; whole pixels, because
    fractional antialiased widths take Qt's slowest stroking path (measured twice as slow)."""
    strength = 0.6 if index == palette.NAN_BIN else palette.bin_strength(index, mode)
    extra = 4.0 if mode == "weight" else 3.0  # width carries |w|; colour the rest
    return float(max(1, round(base * (1.0 + extra * strength))))


@functools.lru_cache(maxsize=1024)
def edge_pen(mode: str, scheme: str, index: int, width: float) -> QPen:
    """The pen of a bin: its colour, or the NaN colour dashed. Made once per bin and width
    (a painter copies the pen it is given, so one pen serves every paint)."""
    if index == palette.NAN_BIN:
        pen = QPen(QColor(*palette.NAN_COLOUR), width, Qt.PenStyle.DashLine)
    else:
        pen = QPen(QColor(*palette.colour(mode, index, scheme)), width)
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    return pen


def draw_binned(painter: QPainter, lines: list[QLineF], bins: np.ndarray, mode: str,
                scheme: str, base_width: float) -> None:
    """Lines, each in the colour of its bin: weakest bins first (strong edges end up on
    top), NaN last; each bin one ``drawLines``."""
    order = np.lexsort((bins, DRAW_RANK[mode][bins]))
    ordered = [lines[k] for k in order.tolist()]
    sorted_bins = bins[order]
    boundaries = np.flatnonzero(np.diff(sorted_bins)) + 1
    starts = np.concatenate([[0], boundaries]).tolist()
    ends = np.concatenate([boundaries, [len(ordered)]]).tolist()
    for start, end in zip(starts, ends, strict=True):
        index = int(sorted_bins[start])
        width = line_width(base_width, mode, index)
        # One-pixel lines are drawn without antialiasing: the faint, weak edges look the
        # same either way and cost less (measured on 6x8: edges 4.4 ms to 4.1 ms a frame).
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, width > 1.0)
        painter.setPen(edge_pen(mode, scheme, index, width))
        painter.drawLines(ordered[start:end])
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)


def draw_pending(painter: QPainter, colour: QColor, lines: list[QLineF]) -> None:
    """Edges the backward pass has not reached yet: thin, dotted, in a muted colour."""
    painter.setPen(QPen(colour, 1.0, Qt.PenStyle.DotLine))
    painter.drawLines(lines)


@dataclass(frozen=True)
class EdgeLook:
    """How the edges are drawn, besides each one's bin: the mode and scheme of the colours,
    the weakest edges' width, the pending edges' colour (QColor.rgba()) and the device's
    pixels per canvas pixel."""

    mode: str
    scheme: str
    base_width: float
    pending_rgba: int
    device_pixel_ratio: float

    def widest(self) -> float:
        """The widest line drawn in this look (the strongest bin, or NaN)."""
        return max(line_width(self.base_width, self.mode, index)
                   for index in (0, palette.BINS - 1, palette.NAN_BIN))


class EdgeLayers:
    """Each layer's edges, kept as an image while they are unchanged (canvas_kept: the same
    geometry, look and every edge's bin): a repaint of the same snapshot (a hover, a pulse,
    a selection, a paused run) or a new one whose bins did not move blits the image instead
    of stroking hundreds of antialiased lines again. A layer's edges run between its two
    columns only, so its image overlaps its neighbours' only under the nodes, which are
    drawn over them."""

    def __init__(self) -> None:
        self._layers: dict[int, KeptDrawing] = {}

    @property
    def drawn(self) -> int:
        """Layers stroked since the canvas was made (the rest were blitted)."""
        return sum(kept.drawn for kept in self._layers.values())

    def paint(self, painter: QPainter, layer: int, geometry: Geometry, bins: np.ndarray | None,
              look: EdgeLook) -> None:
        """Layer ``layer``'s weights and biases, in the colours of ``bins`` (weights in W's
        row-major order, then biases; None: pending, drawn thin, grey and dotted)."""
        lines = geometry.lines[layer] + geometry.bias_lines[layer]
        kept = self._layers.setdefault(layer, KeptDrawing())
        kept.paint(painter, (geometry, look, None if bins is None else bins.tobytes()),
                   lambda: _bounds(geometry, layer, look), look.device_pixel_ratio,
                   lambda on: _stroke(on, lines, bins, look))

    def forget(self, layers: range) -> None:
        """Drop what is kept of layers not in ``layers`` (the network was rebuilt smaller)."""
        for layer in [l for l in self._layers if l not in layers]:
            del self._layers[layer]


def _bounds(geometry: Geometry, layer: int, look: EdgeLook) -> QRectF:
    """Where a layer's edges lie: around their ends, with room for the widest line's half
    and its antialiased fringe."""
    segments = geometry.segments[layer]
    bias_segments = geometry.bias_segments[layer]
    if bias_segments is not None:
        segments = np.concatenate([segments, bias_segments])
    ends = segments.reshape(-1, 2)
    pad = look.widest() / 2 + 2.0
    (left, top), (right, bottom) = ends.min(axis=0) - pad, ends.max(axis=0) + pad
    return QRectF(left, top, right - left, bottom - top)


def _stroke(painter: QPainter, lines: list[QLineF], bins: np.ndarray | None,
            look: EdgeLook) -> None:
    """A layer's lines in the colours of their bins (None: pending)."""
    if bins is None:
        draw_pending(painter, QColor.fromRgba(look.pending_rgba), lines)
    else:
        draw_binned(painter, lines, bins, look.mode, look.scheme, look.base_width)


def bins_image(ramp: np.ndarray, bins: np.ndarray) -> QImage:
    """A (rows, columns) array of colour bins as an RGB image, one pixel per cell."""
    return rgb_image(palette.bin_colours(ramp, bins))


def rgb_image(colours: np.ndarray) -> QImage:
    """A (rows, columns, 3) uint8 array as a QImage of its own."""
    colours = np.ascontiguousarray(colours, dtype=np.uint8)
    rows, columns = colours.shape[:2]
    # Converted to the painter's native 32-bit format once (which also copies it away from
    # numpy's buffer): a scaled RGB888 image is converted on every draw, 0.85 ms each, and a
    # 10 x 64 network draws 31 images a frame (measured: 27 ms a frame before, 4 ms after).
    return QImage(colours.data, columns, rows, columns * 3,
                  QImage.Format.Format_RGB888).convertToFormat(QImage.Format.Format_RGB32)
