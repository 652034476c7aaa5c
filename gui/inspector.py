"""The inspector: exact numbers of the selected weight or node, and its chain rule."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from sim.address import ParameterAddress
from sim.chain_rule import ChainRule
from sim.explain import exact, factor, fmt
from sim.snapshot import Snapshot

from .canvas import Selection, bias_arrays, parameter_name
from .style import Style
from .text_panel import TextPanel


def _row(label: str, value: str) -> str:
    return f"<tr><td style='padding-right:12px'>{label}</td><td><b>{value}</b></td></tr>"


def _table(rows: list[tuple[str, str]]) -> str:
    return "<table>" + "".join(_row(html.escape(k), html.escape(v)) for k, v in rows) + \
        "</table>"


def chain_rule_lines(rule: ChainRule, row: int, batch: int) -> list[str]:
    """The chain rule of one weight for one sample, and how the batch adds up."""
    _, j, i = rule.address
    name = parameter_name(rule.address)
    input_name = f"a_{i + 1}" if i is not None else "1"
    lines = []
    dE_da, fprime = rule.dE_da, rule.fprime
    if dE_da is None or fprime is None:  # a fused output: the loss gave dE/dz_j at once
        lines.append(f"dE/d{name} = dE/dz_{j + 1} × {input_name}")
        lines.append(f"= {factor(rule.delta[row])} × {factor(rule.a_i[row])} = "
                     f"{fmt(rule.per_sample[row])}")
        lines.append(f"({rule.fused})")
    else:
        keep = "" if rule.keep is None else " × keep"
        lines.append(f"dE/d{name} = dE/da_{j + 1}{keep} × f'(z_{j + 1}) × {input_name}")
        keep_value = "" if rule.keep is None else f" × {factor(rule.keep[row])}"
        lines.append(f"= {factor(dE_da[row])}{keep_value} × {factor(fprime[row])} × "
                     f"{factor(rule.a_i[row])} = {fmt(rule.per_sample[row])}")
    if batch > 1:
        lines.append(f"summed over the batch of {batch}: {fmt(rule.data_gradient)}")
    if rule.penalty_gradient:
        lines.append(f"+ penalty {fmt(rule.penalty_gradient)} = {fmt(rule.gradient)}")
    if rule.clipped_gradient != rule.gradient:
        lines.append(f"after clipping (× {fmt(rule.clip_factor)}): {fmt(rule.clipped_gradient)}"
                     f" goes to the optimizer")
    return lines


class Inspector(TextPanel):
    """Shows the selection's numbers; every number comes from the Snapshot (that is, sim)."""

    paths_requested = Signal()  # "Show paths" was clicked for the selected weight or bias

    def __init__(self, style: Style, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paths_button = QPushButton("Show paths (P)")
        self.paths_button.setToolTip("This weight's gradient for the followed sample as a sum "
                                     "over the paths from it to the outputs")
        self.paths_button.clicked.connect(self.paths_requested)
        self._place_button()
        self.selection: Selection | None = None
        self.snapshot: Snapshot | None = None
        self.sample_row: int | None = None
        self.lines: list[str] = []  # the chain-rule lines shown, for tests and export
        self.show_nothing()

    def _place_button(self) -> None:
        """The "Show paths" button above the text, at its left."""
        label = self.takeWidget()
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.setContentsMargins(6, 6, 6, 0)
        row.addWidget(self.paths_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(label, 1)
        self.setWidget(page)

    def show_nothing(self) -> None:
        self.paths_button.hide()
        self.lines = []
        self.label.setText("<i>Click an edge (a weight) or a node to inspect it. "
                           "Double-click an edge to edit its weight.</i>")

    def update_view(self, snapshot: Snapshot | None, selection: Selection | None,
                    sample_row: int | None) -> None:
        self.snapshot, self.selection, self.sample_row = snapshot, selection, sample_row
        if snapshot is None or selection is None:
            self.show_nothing()
            return
        self.paths_button.setVisible(selection.kind != "node")
        if selection.kind == "node":
            self.label.setText(self._node_html(snapshot, selection, sample_row))
        else:
            self.label.setText(self._weight_html(snapshot, selection, sample_row))

    def _weight_html(self, s: Snapshot, sel: Selection, row: int | None) -> str:
        ls = s.layers[sel.layer - 1]
        address = ParameterAddress(sel.layer, sel.j, sel.i)
        j, i = sel.j, sel.i
        if i is None:  # a bias: the canvas keeps only selections its snapshot has
            biases = bias_arrays(ls)
            assert biases is not None
            b, db, update_b = biases
            title = f"bias {parameter_name(address)} of layer {sel.layer}"
            rows = [("b", exact(float(b[j]))), ("dE/db", exact(float(db[j]))),
                    ("last update db", exact(float(update_b[j])))]
        else:
            title = (f"weight {parameter_name(address)} of layer {sel.layer}: "
                     f"from unit {i + 1} below to unit {j + 1}")
            rows = [("w", exact(float(ls.W[j, i]))), ("dE/dw", exact(float(ls.dW[j, i]))),
                    ("last update dw", exact(float(ls.update_W[j, i])))]
        parts = [f"<h3>{html.escape(title)}</h3>", _table(rows)]
        try:
            rule = s.chain_rule(address)
        except ValueError as reason:  # the backward phase has not reached this layer yet
            self.lines = []
            parts.append(f"<p><i>{html.escape(str(reason))}.</i></p>")
            return "".join(parts)
        self.lines = chain_rule_lines(rule, row or 0, rule.delta.shape[0])
        parts.append("<p><b>The chain rule, this step" +
                     (f", sample {self._sample_name(s, row)}" if rule.delta.shape[0] > 1 else "")
                     + ":</b><br>" + "<br>".join(html.escape(line) for line in self.lines) +
                     "</p>")
        return "".join(parts)

    @staticmethod
    def _sample_name(s: Snapshot, row: int | None) -> str:
        row = row or 0
        return str(int(s.indices[row]) + 1 if s.indices is not None else row + 1)

    def _node_html(self, s: Snapshot, sel: Selection, row: int | None) -> str:
        if sel.layer == 0:
            name = s.input_names[sel.j] if sel.j < len(s.input_names) else f"x{sel.j + 1}"
            value = "—" if s.x is None or row is None else exact(float(s.x[row, sel.j]))
            self.lines = []
            return f"<h3>input {html.escape(name)}</h3>" + _table([("x", value)])
        ls = s.layers[sel.layer - 1]
        values: list[tuple[str, float]] = []
        for label, array in (("z", ls.z), ("a", ls.a), ("delta = dE/dz", ls.delta),
                             ("dE/da", ls.dE_da), ("f'(z)", ls.fprime)):
            if array is not None and row is not None:
                values.append((label, float(array[row, sel.j])))
        biases = bias_arrays(ls)
        if biases is not None:
            b, db, _ = biases
            values += [("bias b", float(b[sel.j])), ("dE/db", float(db[sel.j]))]
        rows = [(label, exact(value)) for label, value in values]
        self.lines = []
        role = "output" if sel.layer == s.depth else "hidden"
        head = f"<h3>unit {sel.j + 1} of layer {sel.layer} ({role}, {ls.activation})</h3>"
        note = "" if row is None else "<p><i>Values for the followed sample; dE/db is the " \
                                      "batch's.</i></p>"
        if not np.isfinite([value for _, value in values]).all():
            note += "<p><b>Some values are NaN (not a number) or infinite: training diverged." \
                    "</b></p>"
        return head + _table(rows) + note
