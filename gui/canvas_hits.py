"""Hit-testing on the canvas: what the user picked (a node, a weight or a bias) and which of
them lies under a screen point."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF

from sim.address import ParameterAddress
from sim.snapshot import Snapshot

from .canvas_geometry import Geometry


@dataclass(frozen=True)
class Selection:
    """What the user picked: a weight, a bias, or a node (i is None for biases and nodes)."""

    kind: str  # "weight", "bias" or "node"
    layer: int  # 1..L for weights, biases and nodes of layers; 0 for input nodes
    j: int
    i: int | None = None

    @property
    def address(self) -> ParameterAddress | None:
        """The weight's or bias's address; None for a node."""
        return None if self.kind == "node" else ParameterAddress(self.layer, self.j, self.i)


def item_at(geometry: Geometry, point: QPointF, halves: list[float], heat: set[int],
            tolerance: float) -> Selection | None:
    """The node (a disc, or anywhere on its picture: ``halves`` per column, 0 for discs),
    weight or bias (its line within ``tolerance`` pixels, or its cell of a layer drawn as a
    matrix: the layers in ``heat``) under a screen point, if any."""
    p = np.array([point.x(), point.y()])
    for column, nodes in enumerate(geometry.nodes):
        half = halves[column]
        distance = np.abs(nodes - p).max(axis=1) if half else np.hypot(*(nodes - p).T)
        j = int(np.argmin(distance))
        if distance[j] <= (half or geometry.radius * 1.1):  # a picture: anywhere on it
            return Selection("node", column, j)
    for l in heat:
        rect = geometry.heat_rect(l)
        if rect.contains(point):
            units, fan_in = len(geometry.nodes[l]), len(geometry.nodes[l - 1])
            j = min(int((point.y() - rect.top()) / rect.height() * units), units - 1)
            i = min(int((point.x() - rect.left()) / rect.width() * fan_in), fan_in - 1)
            return Selection("weight", l, j, i)
    best: tuple[float, Selection] | None = None
    for l in range(1, geometry.columns):
        candidates = [] if l in heat else [("weight", geometry.segments[l])]
        bias_segments = geometry.bias_segments[l]
        if bias_segments is not None:
            candidates.append(("bias", bias_segments))
        for kind, segments in candidates:
            distance = point_segment_distance(p, segments)
            k = int(np.argmin(distance))
            if distance[k] <= tolerance and (best is None or distance[k] < best[0]):
                fan_in = len(geometry.nodes[l - 1])
                found = Selection("weight", l, k // fan_in, k % fan_in) if kind == \
                    "weight" else Selection("bias", l, k)
                best = (float(distance[k]), found)
    return None if best is None else best[1]


def fits(item: Selection, snapshot: Snapshot) -> bool:
    """Whether a selected node, weight or bias exists in the snapshot's network."""
    if item.address is not None:
        return item.address.exists_in(snapshot.layers)
    units = snapshot.layers[0].fan_in if item.layer == 0 else \
        snapshot.layers[item.layer - 1].units if item.layer <= snapshot.depth else 0
    return item.j < units


def point_segment_distance(p: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Distance from point p to each segment (x1, y1, x2, y2), vectorised."""
    a, b = segments[:, :2], segments[:, 2:]
    ab = b - a
    length_sq = np.maximum((ab * ab).sum(axis=1), 1e-12)
    t = np.clip(((p - a) * ab).sum(axis=1) / length_sq, 0.0, 1.0)
    nearest = a + ab * t[:, None]
    return np.hypot(*(nearest - p).T)
