"""Where the canvas draws things: node positions, the lines of the edges and biases, and the
boxes of layers drawn as weight matrices, for one widget size, zoom and pan."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF

STRIP_UNITS = 32  # a column of more units is drawn as a strip of coloured cells, not circles
MAX_RADIUS = 26  # pixels (at scale 1): the largest node
VALUE_ROOM = 12  # between two nodes, besides a value's height: the gaps above and below it
# Between the headers and the top nodes: room for the "+1" boxes of the biases, which sit
# above their columns, or else a small gap.
BIAS_ROOM, HEADER_GAP = 36, 12


class Geometry:
    """Screen positions for one widget size, zoom and pan; rebuilt when any of them change."""

    def __init__(self, widths: list[int], has_bias: list[bool], rect: QRectF, zoom: float,
                 pan: QPointF, scale: float, label_height: float,
                 header_bottom: float, legend_band: float,
                 sides: tuple[float, float] = (0.0, 0.0), bias_text: float = 0.0) -> None:
        self.columns = len(widths)
        # ``sides``: the room the inputs' names need left of the first column and the
        # outputs' right of the last (from the canvas's edges to the columns' centres).
        left = rect.left() + max(90 * scale, sides[0])
        right = rect.right() - max(60 * scale, sides[1])
        # Under the headers (``header_bottom``), the biases' boxes if there are any: a small
        # network on a short canvas (a slide above a long caption) keeps its height for nodes.
        top = rect.top() + header_bottom + (BIAS_ROOM if any(has_bias) else HEADER_GAP) * scale
        # below the lowest nodes: room for their values above the colour legend
        bottom = rect.bottom() - max(90 * scale, legend_band + label_height + 6 * scale)
        span = max(right - left, 1.0)
        self.x = [left + span * c / max(self.columns - 1, 1) for c in range(self.columns)]
        tallest = max(widths)
        widest_spacing = 90 * scale  # between two nodes, at most
        spacing = min((bottom - top) / max(tallest, 1), widest_spacing)
        radius = min(spacing * 0.32, MAX_RADIUS * scale)
        # Nodes a little smaller where that makes room for their values under them (a short
        # slide above a long caption), never smaller than a number is high.
        room = (spacing - label_height - VALUE_ROOM * scale) / 2
        if label_height / 2 + 2 * scale <= room < radius:
            radius = room
        radius = max(2.0, radius)
        self.radius = radius * zoom
        centre = (top + bottom) / 2
        layout = []  # per column: (units, 2) positions before zoom and pan
        for c, n in enumerate(widths):
            # A column shorter than the tallest spreads its nodes over the height, up to the
            # widest spacing: two inputs beside sixteen hidden units on a slide sat 12 pixels
            # apart, too close for both names.
            column_spacing = max(spacing, min((bottom - top) / max(n, 1), widest_spacing))
            ys = centre + (np.arange(n) - (n - 1) / 2) * column_spacing
            layout.append(np.stack([np.full(n, self.x[c]), ys], axis=1))
        self.nodes: list[np.ndarray] = [self._to_screen(points, rect, zoom, pan)
                                        for points in layout]
        # A bias sits above its column and feeds the next layer (as the textbooks draw it), in
        # a "+1" box as wide as ``bias_text`` where there is room, never wider than 2.4 node
        # radii: clear of the top node and under the headers (a tall column's box once sat
        # 0.8 spacings up, over its header).
        side = max(radius * 1.2, min(bias_text, radius * 2.4))
        self.bias_side = side * zoom
        gap = 2 * scale
        self.bias: list[np.ndarray | None] = [None]
        for c in range(1, self.columns):
            if not has_bias[c - 1]:
                self.bias.append(None)
                continue
            x, y = layout[c - 1][0, 0], float(layout[c - 1][:, 1].min())
            under_headers = y - (rect.top() + header_bottom + gap) - side / 2
            clear_of_node = radius + side / 2 + gap
            above = max(clear_of_node, min(max(spacing, 24 * scale) * 0.8, under_headers))
            self.bias.append(self._to_screen(np.array([[x, y - above]]), rect, zoom, pan))
        self.lines: list[list[QLineF]] = [[]]  # per layer l: lines in W's row-major order
        self.segments: list[np.ndarray] = [np.zeros((0, 4))]
        for l in range(1, self.columns):
            a, b = self.nodes[l - 1], self.nodes[l]
            # Row k = j * fan_in + i runs from sending unit i to receiving unit j, as W.ravel().
            seg = np.concatenate([np.tile(a, (len(b), 1)), np.repeat(b, len(a), axis=0)], axis=1)
            self.segments.append(seg)
            self.lines.append([QLineF(*row) for row in seg.tolist()])
        self.bias_lines: list[list[QLineF]] = [[]]
        self.bias_segments: list[np.ndarray | None] = [None]
        for l in range(1, self.columns):
            bias = self.bias[l]
            if bias is None:
                self.bias_lines.append([])
                self.bias_segments.append(None)
                continue
            b = self.nodes[l]
            seg = np.concatenate([np.repeat(bias, len(b), axis=0), b], axis=1)
            self.bias_segments.append(seg)
            self.bias_lines.append([QLineF(*row) for row in seg.tolist()])

    def heat_rect(self, layer: int) -> QRectF:
        """Where a layer drawn as its weight matrix goes: between its two columns."""
        left, right = self.nodes[layer - 1][0, 0], self.nodes[layer][0, 0]
        ys = np.concatenate([self.nodes[layer - 1][:, 1], self.nodes[layer][:, 1]])
        width = (right - left) * 0.55
        return QRectF((left + right - width) / 2, ys.min(), width, ys.max() - ys.min())

    def bias_strip(self, layer: int) -> QRectF:
        """The biases of a layer drawn as its weight matrix: one more column, just right of
        the matrix, a cell per unit."""
        rect = self.heat_rect(layer)
        width = max(3.0, rect.height() / len(self.nodes[layer]))
        return QRectF(rect.right() + width, rect.top(), width, rect.height())

    @staticmethod
    def _to_screen(points: np.ndarray, rect: QRectF, zoom: float, pan: QPointF) -> np.ndarray:
        centre = np.array([rect.center().x(), rect.center().y()])
        return (points - centre) * zoom + centre + np.array([pan.x(), pan.y()])
