"""The inspector: exact numbers of the selected weight or node, and its chain rule."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from sim import batch_norm_text, explain
from sim import notation as name
from sim.address import ParameterAddress
from sim.notation import exact
from sim.snapshot import Snapshot

from .canvas import Selection, bias_arrays
from .style import Style
from .text_panel import TextPanel


def _row(label: str, value: str) -> str:
    return f"<tr><td style='padding-right:12px'>{label}</td><td><b>{value}</b></td></tr>"


def _table(rows: list[tuple[str, str]]) -> str:
    return "<table>" + "".join(_row(name.rich(k), name.rich(v)) for k, v in rows) + \
        "</table>"


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
        parameter = address.label()
        regularization = s.experiment.regularization
        gradient = name.gradient(parameter, penalised=bool(regularization.l1 or
                                                            regularization.l2) and i is not None)
        if i is None:  # a bias: the canvas keeps only selections its snapshot has
            biases = bias_arrays(ls)
            assert biases is not None
            value, slope, change = (float(array[j]) for array in biases)
        else:
            value, slope, change = (float(ls.W[j, i]), float(ls.dW[j, i]),
                                    float(ls.update_W[j, i]))
        rows = [(parameter, exact(value)), (f"{gradient} (the batch's)", exact(slope)),
                (f"{name.change(parameter)} (last update)", exact(change))]
        parts = [f"<h3>{name.rich(address.describe())}</h3>", _table(rows)]
        try:
            rule = s.chain_rule(address)
        except ValueError as reason:  # the backward phase has not reached this layer yet
            self.lines = []
            parts.append(f"<p><i>{html.escape(str(reason))}.</i></p>")
            return "".join(parts)
        row = row or 0
        self.lines = rule.lines(row, explain.sample_number(s, row))
        parts.append("<p><b>The chain rule, this step:</b><br>" +
                     "<br>".join(name.rich(line) for line in self.lines) + "</p>")
        return "".join(parts)

    def _node_html(self, s: Snapshot, sel: Selection, row: int | None) -> str:
        self.lines = []
        if sel.layer == 0:
            value = "—" if s.x is None or row is None else exact(float(s.x[row, sel.j]))
            return (f"<h3>input {name.rich(name.input_label(sel.j, s.input_names))}</h3>" +
                    _table([(name.input_name(sel.j), value)]))
        l, j = sel.layer, sel.j
        ls = s.layers[l - 1]
        values: list[tuple[str, float]] = []
        slope = f"f′({name.normalised_output(l, j)})" if ls.has_batch_norm else name.slope(l, j)
        for label, array in ((name.net_input(l, j), ls.z), (name.activation(l, j), ls.a),
                             (f"{name.delta(l, j)} = {name.gradient(name.net_input(l, j))}",
                              ls.delta),
                             (name.gradient(name.activation(l, j)), ls.dE_da),
                             (slope, ls.fprime)):
            if array is not None and row is not None:
                values.append((label, float(array[row, j])))
        values += batch_norm_text.node_values(ls, row, j)
        biases = bias_arrays(ls)
        if biases is not None:
            b, db, _ = biases
            values += [(name.bias(l, j), float(b[j])),
                       (f"{name.gradient(name.bias(l, j))} (the batch's)", float(db[j]))]
        rows = [(label, exact(value)) for label, value in values]
        role = "output" if l == s.depth else "hidden"
        head = f"<h3>unit {j + 1} of layer {l} ({role}, {ls.activation})</h3>"
        note = "" if row is None else (
            f"<p><i>Values of the followed sample, sample {explain.sample_number(s, row) + 1};"
            " the bias's gradient is the batch's.</i></p>")
        if ls.has_batch_norm:
            note += ("<p><i>Batch normalisation: z is normalised over the batch, "
                     f"{name.rich(name.normalised(l, j))} = (z − μ) / √(σ² + ε), and scaled "
                     "and shifted by the trained γ and β before f; μ, σ² and the gradients of "
                     "γ and β are the batch's. Evaluation uses the running mean and variance "
                     "instead of the batch's.</i></p>")
        if not np.isfinite([value for _, value in values]).all():
            note += "<p><b>Some values are NaN (not a number) or infinite: training diverged." \
                    "</b></p>"
        return head + _table(rows) + note
