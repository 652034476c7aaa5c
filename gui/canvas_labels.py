"""Where the canvas's numbers go: each label is a box that overlaps no node, no bias box and no
other label, and lies inside the canvas. Labels are placed in order of importance (the nodes'
values, the names beside the inputs and outputs, then the biases' and the weights' values);
a label with no free place is left out (hovering still shows it): a dense network prints only
what fits, never numbers over numbers.

An edge's label sits on its edge, centred on a point along it: first at the point the edge
prefers (edges leaving one node prefer different points, so their labels do not stack at the
sending node), then ever farther from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSizeF

# Fractions of an edge where its label may sit, and how far from the ends it keeps.
EDGE_STEP = 0.05
EDGE_MARGIN = 0.15


@dataclass(frozen=True)
class PlacedLabel:
    """A label the canvas drew: what it labels ("node", "name", "bias" or "edge"), its text
    and its box (the painted box behind the text) in the canvas's pixels."""

    kind: str
    text: str
    rect: QRectF
    named: bool = False  # the text holds names laid out as rich text (sim.notation.rich)
    key: tuple[int, ...] = ()  # node: (column, j); edge: (layer, j, i); bias: (layer, j)
    small: bool = False  # in the smaller font: the large one found no room


class LabelPlacer:
    """Hands out free boxes inside ``bounds``, none overlapping an obstacle or another label,
    and each at least ``gap`` pixels from the others (two numbers side by side must not read
    as one)."""

    def __init__(self, bounds: QRectF, obstacles: Iterable[QRectF], gap: float = 0.0) -> None:
        self.bounds = bounds
        self.taken = list(obstacles)
        self.gap = gap
        self.placed: list[PlacedLabel] = []

    def free(self, rect: QRectF) -> bool:
        if not self.bounds.contains(rect) or any(rect.intersects(other) for other in self.taken):
            return False
        around = rect.adjusted(-self.gap, -self.gap, self.gap, self.gap)
        return not any(around.intersects(label.rect) for label in self.placed)

    def place(self, kind: str, text: str, size: QSizeF, centres: Iterable[QPointF],
              named: bool = False, key: tuple[int, ...] = (),
              small: bool = False) -> PlacedLabel | None:
        """The first free box of ``size`` centred on one of ``centres`` (taken from then on),
        or None when none is free."""
        width, height = size.width(), size.height()
        for centre in centres:
            rect = QRectF(centre.x() - width / 2, centre.y() - height / 2, width, height)
            if self.free(rect):
                label = PlacedLabel(kind, text, rect, named, key, small)
                self.taken.append(rect)
                self.placed.append(label)
                return label
        return None


def preferred_fraction(index: int, count: int) -> float:
    """Where along its edge the label of the ``index``-th of ``count`` edges leaving one node
    would best sit: spread between 0.3 and 0.7, so that neighbours' labels do not stack."""
    if count <= 1:
        return 0.5
    return 0.3 + 0.4 * index / (count - 1)


def spots_along(segment: tuple[float, float, float, float], preferred: float) -> list[QPointF]:
    """Points along an edge (x1, y1, x2, y2), nearest the ``preferred`` fraction first."""
    steps = round((1 - 2 * EDGE_MARGIN) / EDGE_STEP)
    fractions = [EDGE_MARGIN + k * EDGE_STEP for k in range(steps + 1)]
    fractions.sort(key=lambda t: (abs(t - preferred), t))
    x1, y1, x2, y2 = segment
    return [QPointF(x1 + (x2 - x1) * t, y1 + (y2 - y1) * t) for t in fractions]


def overlapping(labels: list[PlacedLabel]) -> list[tuple[PlacedLabel, PlacedLabel]]:
    """Pairs of labels whose boxes overlap (none, when they were placed by a LabelPlacer)."""
    return [(a, b) for k, a in enumerate(labels) for b in labels[k + 1:]
            if a.rect.intersects(b.rect)]
