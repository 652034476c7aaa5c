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

import functools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QFont, QPainter

from .canvas_geometry import STRIP_UNITS, Geometry
from .canvas_kept import KeptDrawing
from .canvas_text import Texts
from .style import Style

# Fractions of an edge where its label may sit, and how far from the ends it keeps.
EDGE_STEP = 0.05
EDGE_MARGIN = 0.15
NAMED_MARGIN = 0.05  # a label that names its edge may sit this near the ends
NAME_GAP = 6  # pixels (at scale 1) between a node and the name beside it
GRID_CELL = 64.0  # canvas pixels: the side of the cells boxes are filed under (see _Boxes)


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

    def drawing(self) -> tuple[object, ...]:
        """All that its drawing depends on (besides the style), as plain values."""
        return self.kind, self.text, self.rect.getRect(), self.named, self.small


class PlacementMemo:
    """A placement to replay: the set-up of the last placer (bounds, obstacles, gap) and each
    request it was given with its answer. A repaint whose labels are the same (a paused run,
    a hover) asks the same questions in the same order, and gets the same answers without
    testing a box."""

    def __init__(self) -> None:
        self.setup: tuple[object, ...] | None = None
        self.calls: list[tuple[tuple[object, ...], PlacedLabel | None]] = []
        self.obstacles: _Boxes | None = None  # the set-up's obstacles, filed once


class LabelPlacer:
    """Hands out free boxes inside ``bounds``, none overlapping an obstacle or another label,
    and each at least ``gap`` pixels from the others (two numbers side by side must not read
    as one; ``gap`` >= 0). With a ``memo``, the answers of the last placer with the same
    set-up are given again while the requests are the same (see PlacementMemo), and its
    obstacles are filed once."""

    def __init__(self, bounds: QRectF, obstacles: Iterable[QRectF], gap: float = 0.0,
                 memo: PlacementMemo | None = None) -> None:
        self.bounds = bounds
        self.gap = gap
        self.placed: list[PlacedLabel] = []
        self._obstacles = list(obstacles)
        self._filed: _Boxes | None = None  # the obstacles, once needed
        self._labels: _Boxes | None = None  # the labels placed, once needed
        self._memo = memo
        self._asked = 0  # requests so far
        setup = (bounds, self._obstacles, gap)
        self._replaying = memo is not None and memo.setup == setup
        if memo is not None:
            if self._replaying:
                self._filed = memo.obstacles
            else:
                memo.setup, memo.calls, memo.obstacles = setup, [], None

    def free(self, rect: QRectF) -> bool:
        """Whether a box lies inside the bounds, off every obstacle and ``gap`` from every
        label (a label overlapping it would be within the gap too)."""
        if self._filed is None:
            self._filed = _Boxes(self._obstacles)
            if self._memo is not None:
                self._memo.obstacles = self._filed
        if self._labels is None:
            self._labels = _Boxes(label.rect for label in self.placed)
        if not self.bounds.contains(rect) or self._filed.meets(rect):
            return False
        return not self._labels.meets(rect.adjusted(-self.gap, -self.gap, self.gap, self.gap))

    def place(self, kind: str, text: str, size: QSizeF, centres: Iterable[QPointF],
              named: bool = False, key: tuple[int, ...] = (),
              small: bool = False) -> PlacedLabel | None:
        """The first free box of ``size`` centred on one of ``centres`` (taken from then on),
        or None when none is free."""
        centres = tuple(centres)
        request = (kind, text, size, centres, named, key, small)
        memo = self._memo
        if memo is not None and self._replaying:
            if self._asked < len(memo.calls) and memo.calls[self._asked][0] == request:
                label = memo.calls[self._asked][1]
                self._asked += 1
                if label is not None:
                    self.placed.append(label)
                return label
            self._replaying = False  # a new request: answered from here on
            del memo.calls[self._asked:]
        label = self._first_free(kind, text, size, centres, named, key, small)
        if memo is not None:
            memo.calls.append((request, label))
            self._asked += 1
        return label

    def _first_free(self, kind: str, text: str, size: QSizeF, centres: tuple[QPointF, ...],
                    named: bool, key: tuple[int, ...], small: bool) -> PlacedLabel | None:
        width, height = size.width(), size.height()
        for centre in centres:
            rect = QRectF(centre.x() - width / 2, centre.y() - height / 2, width, height)
            if self.free(rect):
                label = PlacedLabel(kind, text, rect, named, key, small)
                assert self._labels is not None  # made by free
                self._labels.add(rect)
                self.placed.append(label)
                return label
        return None


class _Boxes:
    """Boxes filed under the cells of a grid that they cover, so that a query meets only the
    boxes near it (a 6x8 network's ~70 labels once tested each of ~100 boxes, 4 ms a paint).
    Two boxes that overlap share a cell: the one that holds a point of their overlap. Boxes
    wider or higher than a few cells (the bands of the headers and the legend) are kept
    aside and tested by every query."""

    WIDE = 4  # cells: a box covering more than this many across or down is kept aside

    def __init__(self, boxes: Iterable[QRectF] = ()) -> None:
        self._cells: dict[tuple[int, int], list[QRectF]] = {}
        self._wide: list[QRectF] = []
        for box in boxes:
            self.add(box)

    def add(self, box: QRectF) -> None:
        left, top, right, bottom = _span(box)
        if right - left >= self.WIDE or bottom - top >= self.WIDE:
            self._wide.append(box)
            return
        for x in range(left, right + 1):
            for y in range(top, bottom + 1):
                self._cells.setdefault((x, y), []).append(box)

    def meets(self, rect: QRectF) -> bool:
        """Whether ``rect`` overlaps a box (QRectF.intersects: touching is not overlapping)."""
        if any(rect.intersects(box) for box in self._wide):
            return True
        cells = self._cells
        left, top, right, bottom = _span(rect)
        for x in range(left, right + 1):
            for y in range(top, bottom + 1):
                for box in cells.get((x, y), ()):
                    if rect.intersects(box):
                        return True
        return False


def _span(rect: QRectF) -> tuple[int, int, int, int]:
    """The first and last grid cells a box covers across and down (its edges included)."""
    return (int(rect.left() // GRID_CELL), int(rect.top() // GRID_CELL),
            int(rect.right() // GRID_CELL), int(rect.bottom() // GRID_CELL))


def preferred_fraction(index: int, count: int) -> float:
    """Where along its edge the label of the ``index``-th of ``count`` edges leaving one node
    would best sit: spread between 0.3 and 0.7, so that neighbours' labels do not stack."""
    if count <= 1:
        return 0.5
    return 0.3 + 0.4 * index / (count - 1)


@functools.lru_cache(maxsize=4096)
def spots_along(segment: tuple[float, float, float, float], preferred: float,
                margin: float = EDGE_MARGIN) -> tuple[QPointF, ...]:
    """Points along an edge (x1, y1, x2, y2), ``margin`` of it from either end, nearest the
    ``preferred`` fraction first (the same edges ask every paint: kept)."""
    steps = round((1 - 2 * margin) / EDGE_STEP)
    fractions = [margin + k * EDGE_STEP for k in range(steps + 1)]
    fractions.sort(key=lambda t: (abs(t - preferred), t))
    x1, y1, x2, y2 = segment
    return tuple(QPointF(x1 + (x2 - x1) * t, y1 + (y2 - y1) * t) for t in fractions)


def overlapping(labels: list[PlacedLabel]) -> list[tuple[PlacedLabel, PlacedLabel]]:
    """Pairs of labels whose boxes overlap (none, when they were placed by a LabelPlacer)."""
    return [(a, b) for k, a in enumerate(labels) for b in labels[k + 1:]
            if a.rect.intersects(b.rect)]


@dataclass(frozen=True)
class EdgeNumber:
    """A weight's or bias's number to print on its edge: its key ((layer, j, i) or
    (layer, j)), its name and number as text, its edge (x1, y1, x2, y2) and where along it
    its label would best sit."""

    key: tuple[int, ...]
    name: str
    number: str
    segment: tuple[float, float, float, float]
    preferred: float


class LabelSizes:
    """The size of a label's box in the canvas's style: the text and a little room on either
    side."""

    def __init__(self, style: Style, texts: Texts) -> None:
        self.style = style
        self.texts = texts

    def size(self, text: str, font: QFont, named: bool) -> QSizeF:
        if named:
            size = self.texts.named(text, font, self.style.foreground).size()
            return QSizeF(size.width() + 6, size.height())
        metrics = self.texts.metrics(font)
        return QSizeF(metrics.horizontalAdvance(text) + 6, metrics.height())


def place_node_values(placer: LabelPlacer, sizes: LabelSizes, geometry: Geometry,
                      reach: list[float], numbers: list[list[str] | None]) -> None:
    """Each node's number (``numbers``: per column, None for none) below it, or above or
    beside where below is taken; ``reach``: per column, how far a node's drawing reaches."""
    font = sizes.style.number_font
    gap = 4 * sizes.style.scale
    for column, (points, texts) in enumerate(zip(geometry.nodes, numbers, strict=True)):
        if texts is None:
            continue
        r = reach[column]
        for j, ((x, y), text) in enumerate(zip(points.tolist(), texts, strict=True)):
            size = sizes.size(text, font, named=False)
            half = size.height() / 2
            beside = r + gap + size.width() / 2
            placer.place("node", text, size, (QPointF(x, y + r + gap + half),
                                               QPointF(x, y - r - gap - half),
                                               QPointF(x + beside, y),
                                               QPointF(x - beside, y)), key=(column, j))


def place_names(placer: LabelPlacer, sizes: LabelSizes, geometry: Geometry,
                reach: list[float], inputs: list[str], outputs: list[str]) -> None:
    """The inputs' names left of their nodes and the outputs' right of theirs: on one line
    where it fits, else on two, else cut short with "…" to the room there is (hovering over
    the node shows the whole name); left out only where not even that fits."""
    font = sizes.style.small_font
    gap = sizes.style.scale * NAME_GAP
    for column, names, side in ((0, inputs, -1.0), (geometry.columns - 1, outputs, 1.0)):
        points = geometry.nodes[column]
        r = reach[column]
        if len(points) > STRIP_UNITS:
            continue
        edge = placer.bounds.left() if side < 0 else placer.bounds.right()
        for j, (x, y) in enumerate(points.tolist()[:len(names)]):
            room = abs(edge - x) - r - gap  # from the node to the canvas's edge
            for text in name_forms(names[j], sizes, font, room):
                size = sizes.size(text, font, named=True)
                across = x + side * (r + gap + size.width() / 2)
                # level with the node, else (a name higher than a small node, its value
                # just under it) raised to end where the node ends
                centres = [QPointF(across, y)]
                if size.height() / 2 > r:
                    centres.append(QPointF(across, y + r - size.height() / 2))
                if placer.place("name", text, size, centres, named=True, key=(column, j)):
                    break


def name_forms(text: str, sizes: LabelSizes, font: QFont, room: float) -> Iterator[str]:
    """The forms of a name to try in turn, each made only when asked for (most names fit
    whole): whole, on two lines, cut short to ``room`` pixels."""
    yield text
    for shorter in (two_lines, lambda whole: cut_short(whole, sizes, font, room)):
        form = shorter(text)
        if form is not None:
            yield form


def two_lines(text: str) -> str | None:
    """A name on two lines, broken at the space that makes the longer line shortest (None:
    one word)."""
    words = text.split(" ")
    if len(words) < 2:
        return None
    breaks = [(" ".join(words[:k]), " ".join(words[k:])) for k in range(1, len(words))]
    first, second = min(breaks, key=lambda pair: max(len(pair[0]), len(pair[1])))
    return f"{first}\n{second}"


def cut_short(text: str, sizes: LabelSizes, font: QFont, room: float) -> str | None:
    """A name cut short with "…" to fit ``room`` pixels (None: it fits whole, or not even
    its first letter does)."""
    if sizes.size(text, font, named=True).width() <= room:
        return None
    metrics = sizes.texts.metrics(font)
    width = room - 6
    while width > 0:
        short = metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
        if short and short != "…" and sizes.size(short, font, named=True).width() <= room:
            return short
        width -= max(4.0, width / 8)  # rich text draws sub- and superscripts wider
    return None


def place_edge_values(placer: LabelPlacer, sizes: LabelSizes, wanted: list[EdgeNumber],
                      named: bool) -> None:
    """Each edge's number, in order: with its name (if ``named``) in the large font, then in
    the small one, then the number alone (large, then small): the first that finds room. A
    number alone never sits where another edge crosses its edge: there it could be either's."""
    large, small = sizes.style.number_font, sizes.style.small_font
    tries = [(True, large), (True, small), (False, large), (False, small)]
    if not named:
        tries = tries[2:]
    crossed = crossings(tuple(edge.segment for edge in wanted))
    for edge, points in zip(wanted, crossed, strict=True):
        kind = "edge" if len(edge.key) == 3 else "bias"
        spots = spots_along(edge.segment, edge.preferred)
        # a named number says whose it is wherever it sits: it may go nearer the ends too
        named_spots = spots_along(edge.segment, edge.preferred, NAMED_MARGIN)
        for with_name, font in tries:
            text = f"{edge.name} = {edge.number}" if with_name else edge.number
            size = sizes.size(text, font, with_name)
            centres = named_spots if with_name else spots if not points else \
                spots_off(edge.segment, edge.preferred, size.width(), size.height(), points)
            if placer.place(kind, text, size, centres, named=with_name, key=edge.key,
                            small=font is small):
                break


@functools.lru_cache(maxsize=4096)
def spots_off(segment: tuple[float, float, float, float], preferred: float, width: float,
              height: float, points: tuple[tuple[float, float], ...]) -> tuple[QPointF, ...]:
    """The spots along an edge (spots_along) where a box of ``width`` and ``height`` centred
    holds none of ``points`` (kept: the same labels ask every paint)."""
    return tuple(spot for spot in spots_along(segment, preferred)
                 if not any(abs(x - spot.x()) <= width / 2 and abs(y - spot.y()) <= height / 2
                            for x, y in points))


@functools.lru_cache(maxsize=64)
def crossings(segments: tuple[tuple[float, float, float, float], ...]
              ) -> tuple[tuple[tuple[float, float], ...], ...]:
    """Per segment (x1, y1, x2, y2), the points where the others cross it (not where two
    meet at an end: edges meet at their nodes). The same edges ask every paint: kept."""
    if not segments:
        return ()
    s = np.asarray(segments, dtype=float)
    start, direction = s[:, :2], s[:, 2:] - s[:, :2]
    # start_a + t d_a = start_b + u d_b, for every pair (a, b)
    cross = direction[:, None, 0] * direction[None, :, 1] - \
        direction[:, None, 1] * direction[None, :, 0]
    gap = start[None, :, :] - start[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (gap[..., 0] * direction[None, :, 1] - gap[..., 1] * direction[None, :, 0]) / cross
        u = (gap[..., 0] * direction[:, None, 1] - gap[..., 1] * direction[:, None, 0]) / cross
    inside = 1e-6
    meets = (np.abs(cross) > 1e-9) & (t > inside) & (t < 1 - inside) & (u > inside) & \
        (u < 1 - inside)
    found = []
    for a in range(len(s)):
        ts = t[a][meets[a]]
        points = start[a] + ts[:, None] * direction[a]
        found.append(tuple((float(x), float(y)) for x, y in points))
    return tuple(found)


def draw_label(painter: QPainter, style: Style, texts: Texts, label: PlacedLabel) -> None:
    """A placed label: a number on a box (edges never cross it), or a name."""
    font = style.small_font if label.kind == "name" or label.small else style.number_font
    rect = label.rect
    if label.kind != "name":
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(style.label_box)
        painter.drawRoundedRect(rect, 3, 3)
    if label.named:
        laid_out = texts.named(label.text, font, style.foreground)
        painter.save()
        painter.translate(rect.left() + (rect.width() - laid_out.size().width()) / 2,
                          rect.top() + (rect.height() - laid_out.size().height()) / 2)
        laid_out.drawContents(painter)
        painter.restore()
        return
    painter.setFont(font)
    painter.setPen(style.foreground)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label.text)



class KeptLabels:
    """The labels, kept as one image (gui.canvas_kept) and, while the style is the same,
    amended label by label: a new snapshot changes most numbers but not all (a 6x8
    network's inputs and their names, 24 of its 72 labels, stay), and redrawing only the
    changed ones spares filling the image and drawing the rest. A number's ink lies inside
    its box (its text centred, with room either side; checked for every style and scale
    with digits, signs, "e", "δ", "NaN (not a number)" and "infinity"), and the placer
    keeps boxes LABEL_GAP apart: where that is 2 device pixels or more, no two labels'
    inks share a pixel, so clearing the device pixels of a number's box and drawing a
    number over nothing leaves the pixels a whole redraw leaves. Names, laid out as rich
    text, may ink below their boxes (subscripts): where one comes or goes, or a number
    falls outside the image, or the gap is smaller, the image is drawn whole."""

    def __init__(self) -> None:
        self._kept = KeptDrawing()
        self._bounds = QRectF()  # where the image lies
        # the style, device pixel ratio and labels in the image, by their drawings
        self._shown: tuple[Style, float, dict[tuple[object, ...], PlacedLabel]] | None = None

    @property
    def drawn(self) -> int:
        """Times the image was drawn whole (rather than amended or blitted)."""
        return self._kept.drawn

    def paint(self, painter: QPainter, style: Style, texts: Texts, placed: list[PlacedLabel],
              gap: float, device_pixel_ratio: float) -> None:
        """Draw the labels ``placed`` ``gap`` pixels apart or more."""
        dpr = device_pixel_ratio
        labels = {label.drawing(): label for label in placed}
        key = (tuple(labels), style)
        changes = self._changes(labels, style, gap, dpr)
        if changes is not None:
            removed, added = changes
            self._kept.amend(key, dpr, lambda on: _redraw(on, style, texts, removed, added, dpr))

        def bounds() -> QRectF:
            self._bounds = labels_bounds(placed)
            return self._bounds

        def draw(on: QPainter) -> None:
            for label in placed:
                draw_label(on, style, texts, label)
        self._kept.paint(painter, key, bounds, dpr, draw)
        self._shown = (style, dpr, labels)

    def _changes(self, labels: dict[tuple[object, ...], PlacedLabel], style: Style, gap: float,
                 dpr: float) -> tuple[list[PlacedLabel], list[PlacedLabel]] | None:
        """The numbers to clear from the image and those to draw in it, if the image can be
        amended to show ``labels`` (None: it is the same, or must be drawn whole)."""
        shown = self._shown
        if shown is None or shown[0] != style or shown[1] != dpr or gap * dpr < 2:
            return None
        removed = [label for drawing, label in shown[2].items() if drawing not in labels]
        added = [label for drawing, label in labels.items() if drawing not in shown[2]]
        inside = self._bounds.adjusted(2, 2, -2, -2)
        if not (removed or added) or any(label.named for label in removed + added) or \
                not all(inside.contains(label.rect) for label in added):
            return None
        return removed, added


def _redraw(painter: QPainter, style: Style, texts: Texts, removed: list[PlacedLabel],
            added: list[PlacedLabel], dpr: float) -> None:
    """The ``removed`` labels' device pixels cleared, then the ``added`` labels drawn."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # whole pixels, cleared
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
    for label in removed:
        rect = label.rect
        left, top = math.floor(rect.left() * dpr), math.floor(rect.top() * dpr)
        right, bottom = math.ceil(rect.right() * dpr), math.ceil(rect.bottom() * dpr)
        painter.fillRect(QRectF(left / dpr, top / dpr, (right - left) / dpr,
                                (bottom - top) / dpr), Qt.GlobalColor.transparent)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for label in added:
        draw_label(painter, style, texts, label)


def labels_bounds(labels: list[PlacedLabel]) -> QRectF:
    """Where the labels' ink lies: their boxes, and a little room for ink outside them."""
    bounds = QRectF(labels[0].rect) if labels else QRectF()
    for label in labels[1:]:
        bounds = bounds.united(label.rect)
    return bounds.adjusted(-4, -4, 4, 4)
