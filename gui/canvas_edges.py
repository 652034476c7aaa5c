"""The canvas's edges: every weight and bias as a line coloured by its bin of the shown mode
(sim.palette), wider the stronger the bin; and layers with too many edges to draw as lines
drawn as their weight matrix, an image of one pixel per weight.

Painting is batched: the lines are grouped by bin and each group is drawn with one
``drawLines`` call, weakest first, so that strong edges lie on top.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QLineF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from sim import palette

from .style import Style

# Drawing rank of each bin in strength order; ZERO_BIN = -2 and NAN_BIN = -1 index the last
# two entries: "zero" under everything, NaN over it.
DRAW_RANK = {mode: np.array([palette.bin_strength(b, mode) for b in range(palette.BINS)]
                            + [-1.0, 2.0]) for mode in palette.MODES}


def line_width(base: float, mode: str, index: int) -> float:
    """1 to 6 pixels (at ``base`` 1), growing with the bin's strength; whole pixels, because
    fractional antialiased widths take Qt's slowest stroking path (measured twice as slow)."""
    strength = 0.6 if index == palette.NAN_BIN else palette.bin_strength(index, mode)
    extra = 4.0 if mode == "weight" else 3.0  # width carries |w|; colour the rest
    return float(max(1, round(base * (1.0 + extra * strength))))


def edge_pen(mode: str, scheme: str, index: int, width: float) -> QPen:
    """The pen of a bin: its colour, or the NaN colour dashed."""
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


def draw_pending(painter: QPainter, style: Style, lines: list[QLineF]) -> None:
    """Edges the backward pass has not reached yet: thin, grey and dotted."""
    painter.setPen(QPen(style.muted, 1.0, Qt.PenStyle.DotLine))
    painter.drawLines(lines)


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
