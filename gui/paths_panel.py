"""The paths panel: one weight's gradient for the followed sample as a sum over paths.

Each row is one path from the weight to an output, its factors in columns (the input, then
for every layer it crosses the weight or skip it takes and the slope f′(z) it meets, then
∂E/∂z at the output) and their product; the rows are ranked by |product|. Every number and
name comes from `sim.paths`, written with `sim.notation`; the panel lays them out and shades
each factor by how much it shrinks or grows the product.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sim import notation, paths
from sim.paths import Factor, PathSum

from .style import BLUE, ORANGE, Style
from .text_panel import TextPanel

FIXED_COLUMNS = ("#", "product", "∏ f′")  # before the factors' columns
SHADE_DECADES = 2.0  # a factor this many powers of ten from 1 gets the full shade
SHADE_ALPHA = 150  # the full shade's opacity (of 255)
# A panel this many times wider than high (a lecture's full-width dock) puts the text beside
# the list; a narrower one puts it above. The text's share of the room in each case:
WIDE = 2.5
TEXT_SHARE = {Qt.Orientation.Horizontal: 0.36, Qt.Orientation.Vertical: 0.42}
FACTORS = ("A path's factors: the input the weight multiplies, then the slope f′(z) of each "
           "unit it meets and the weight (or residual skip) it takes to the next layer, then "
           "∂E/∂z of the output it ends on. Their product is the path's part of the gradient. "
           "∏ f′: the product of the path's slopes.")
LEGEND = ("Shaded blue: |factor| < 1, it shrinks the product (the darker, the smaller); "
          "orange: |factor| > 1, it grows it. The sample is the one the Step by step panel "
          "follows (its Follow box); pick a path in the list to see it alone on the network.")


def _column(factor: Factor) -> tuple[int, int]:
    """Where a factor goes, as a sort key: the input first, then per layer the edge taken
    into it (weight or skip), its slope (or ∂E/∂z at the output), its dropout keep factor."""
    slot = {"input": 3, "weight": 0, "skip": 0, "slope": 1, "output": 1, "keep": 2}
    return factor.layer, slot[factor.kind]


def _heading(factor: Factor, kinds: set[str]) -> str:
    """A factor column's heading: its kind and layer (the cells name the units)."""
    mark = notation.layer_mark(factor.layer)
    if factor.kind == "input":
        return "input"
    if factor.kind in ("weight", "skip"):  # a column of the edges into one layer
        symbols = {"weight": "w", "skip": "skip"}
        return " / ".join(f"{symbols[kind]}{mark}" for kind in symbols if kind in kinds)
    if factor.kind == "slope":
        return f"f′(z{mark})"
    if factor.kind == "output":
        return notation.gradient(f"z{mark}")
    return f"keep{mark}"


def shade(value: float) -> QColor | None:
    """The tint of a factor's cell: blue below 1 in size, orange above, stronger the further
    from 1 (full at SHADE_DECADES powers of ten); None for exactly ±1 or a value not finite."""
    size = abs(value)
    if size == 1.0 or not math.isfinite(value):
        return None
    decades = SHADE_DECADES if size == 0.0 else abs(math.log10(size))
    colour = QColor(BLUE if size < 1.0 else ORANGE)
    colour.setAlpha(round(SHADE_ALPHA * min(1.0, decades / SHADE_DECADES)))
    return colour


class PathsPanel(QWidget):
    """The paths of the selected weight: a heading, the sum, the list and a note on slopes."""

    path_chosen = Signal(object)  # the rank (from 0) of the path picked in the list, or None

    def __init__(self, style: Style, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path_sum: PathSum | None = None  # what the list shows
        self.lines: list[str] = []  # the heading and the sums as shown, as plain text
        self.text = TextPanel()
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.setToolTip(FACTORS)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.text)
        self.splitter.addWidget(self.table)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.apply_style(style)
        self.show_message("Select a weight or a bias (click an edge) and choose Show paths "
                          "(P) to see its gradient as a sum over paths.")

    def apply_style(self, style: Style) -> None:
        self.style_ = style
        self.text.label.setFont(style.font())
        self.table.setFont(style.font())

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Text beside the list in a wide panel, above it in a narrower one."""
        super().resizeEvent(event)
        size = event.size()
        wide = size.width() > WIDE * size.height()
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if orientation != self.splitter.orientation() or event.oldSize().isEmpty():
            self.splitter.setOrientation(orientation)
            room = size.width() if wide else size.height()
            text = round(room * TEXT_SHARE[orientation])
            self.splitter.setSizes([text, room - text])

    # ------------------------------------------------------------------ what is shown

    def chosen(self) -> int | None:
        """The rank (from 0) of the path picked in the list, if one is."""
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def show_message(self, text: str) -> None:
        """No paths to list: say why (nothing selected, or not computed yet)."""
        self.path_sum = None
        self.lines = [text]
        self.text.label.setText(f"<i>{notation.rich(text)}</i>")
        self._clear_table()
        self.table.hide()

    def show_paths(self, ps: PathSum, sample_note: str, gradient_note: str) -> None:
        """List the paths of ``ps``; ``sample_note`` names the sample followed and
        ``gradient_note`` what backpropagation's value is (this sample's share of the batch)."""
        name = notation.gradient(notation.parameter(*ps.address))
        sums = paths.summary(ps, f"backpropagation's {name} {gradient_note}")
        self.lines = [f"{name} as a sum over paths, {sample_note}", *sums]
        note = paths.slope_note(ps)
        if note is not None:
            self.lines.append(note)
        self.text.label.setText(
            f"<b>{notation.rich(self.lines[0])}</b><br>" +
            "<br>".join(notation.rich(line) for line in self.lines[1:]) +
            f"<p><small>{notation.rich(LEGEND)}</small></p>")
        chosen = self.chosen()
        self.path_sum = ps
        self._fill_table(ps)
        if chosen is not None and chosen < len(ps.paths):
            self.table.selectRow(chosen)
        self.table.show()

    def _clear_table(self) -> None:
        self.table.blockSignals(True)
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.table.blockSignals(False)
        self.path_chosen.emit(None)

    def _fill_table(self, ps: PathSum) -> None:
        """One row per listed path: rank, product, the product of its slopes, its factors."""
        firsts: dict[tuple[int, int], Factor] = {}
        kinds: dict[tuple[int, int], set[str]] = {}
        for path in ps.paths:
            for f in path.factors:
                firsts.setdefault(_column(f), f)
                kinds.setdefault(_column(f), set()).add(f.kind)
        columns = sorted(firsts)
        # Filled with updates off and sized once at the end: sizing the columns at every
        # cell took 0.5 ms a cell (a 10-layer network's list: 230 cells).
        self.table.setUpdatesEnabled(False)
        self.table.blockSignals(True)
        self.table.clear()
        self.table.setColumnCount(len(FIXED_COLUMNS) + len(columns))
        self.table.setHorizontalHeaderLabels(
            [*FIXED_COLUMNS, *(_heading(firsts[key], kinds[key]) for key in columns)])
        self.table.setRowCount(len(ps.paths))
        position = {key: len(FIXED_COLUMNS) + k for k, key in enumerate(columns)}
        for row, path in enumerate(ps.paths):
            slopes = math.prod(f.value for f in path.slopes)
            for column, text in enumerate((str(row + 1), notation.number(path.product),
                                           notation.number(slopes) if path.slopes else "")):
                self.table.setItem(row, column, self._item(text, None))
            for f in path.factors:
                self.table.setItem(row, position[_column(f)],
                                   self._item(f"{f.name}\n{notation.number(f.value)}",
                                              shade(f.value)))
        self.table.resizeColumnsToContents()
        self.table.resizeRowsToContents()
        self.table.blockSignals(False)
        self.table.setUpdatesEnabled(True)

    def _item(self, text: str, tint: QColor | None) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        if tint is not None:
            item.setBackground(tint)
        return item

    @Slot()
    def _selection_changed(self) -> None:
        self.path_chosen.emit(self.chosen())
