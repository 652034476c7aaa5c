"""The controls: data, architecture, loss, optimizer, schedule, batching, clipping, ...

Every control edits one field of the experiment document; each edit is validated by
`sim.parse`, the same validator that reads files, so the panel can never build an experiment
the engine would refuse. A refused edit shows the engine's one-line reason and changes nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

import sim
from sim import activations, data, initializers, losses
from sim.experiment import MAX_HIDDEN_LAYERS, MAX_UNITS, to_dict

from .control_fields import (
    AnyField,
    Field,
    FoldingGroup,
    Setting,
    combo,
    int_spin,
    show_value,
    spin,
    value_of,
)
from .control_settings import AUGMENTATION, DATA, REGULARISATION, STOPPING, TRAINING
from .style import ERROR_COLOUR

GENERATED = [kind for kind in data.KINDS if kind not in ("inline", "csv")]
# The groups of settings below the data's kind and the layers, each folding away by itself.
GROUPS = (("Training", TRAINING), ("Regularisation", REGULARISATION),
          ("Augmentation", AUGMENTATION), ("Stopping", STOPPING))


class ControlPanel(QScrollArea):
    """Edits the experiment; emits every valid new experiment it makes."""

    experiment_edited = Signal(object)  # a validated sim.Experiment

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.document: dict[str, Any] = {}
        self._base_dir: Path | None = None
        # The experiment in force: an edit that leaves its data section as it is reuses its
        # data facts, so that no edit reads a data file on the GUI thread.
        self._experiment: sim.Experiment | None = None
        self._loading = False  # True while the widgets are being filled from a document
        # Every setting of the tables (sim's engine settings), by name: its description, its
        # widget and the form row it sits in.
        self.settings: dict[str, Setting] = {}
        self.fields: dict[str, Field] = {}
        self._forms: dict[str, QFormLayout] = {}
        self.groups: dict[str, FoldingGroup] = {}
        self._inner = QWidget()
        self.column = QVBoxLayout(self._inner)
        self.error = QLabel()
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # it may quote a name from a file
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {ERROR_COLOUR}")
        self.column.addWidget(self.error)
        self._build_data()
        self._build_network()
        for title, settings in GROUPS:
            self._add_settings(self._group(title), settings)
        self.column.addStretch(1)
        self.setWidget(self._inner)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._fit_width()

    def _fit_width(self) -> None:
        """Wide enough for every field: a horizontal scroll bar would hide the values' ends."""
        # A row spanning a form does not raise the form's minimum, so the layer rows are
        # measured themselves (plus the group's and the column's margins).
        rows = self._layers_holder.minimumSizeHint().width() + 40
        content = max(self._inner.minimumSizeHint().width(), rows)
        self.setMinimumWidth(content + self.verticalScrollBar().sizeHint().width()
                             + 2 * self.frameWidth())

    # ------------------------------------------------------------------ building

    def _group(self, title: str) -> QFormLayout:
        group = FoldingGroup(title)
        self.groups[title] = group
        self.column.addWidget(group)
        return group.form

    def _bind(self, widget: AnyField, edit: Callable[[dict, Any], None]) -> AnyField:
        """Connect a widget so that changing it edits the document through ``edit``."""
        self._connect(widget, edit)
        return widget

    def _connect(self, widget: Field, edit: Callable[[dict, Any], None]) -> None:
        def changed(*_: Any) -> None:
            if not self._loading:
                self._edit(lambda doc: edit(doc, value_of(widget)))
        for signal in ("valueChanged", "currentTextChanged", "toggled"):
            if hasattr(widget, signal):
                getattr(widget, signal).connect(changed)
                break

    def _add_settings(self, form: QFormLayout, settings: Sequence[Setting]) -> None:
        for setting in settings:
            widget = setting.make()
            self._connect(widget, setting.write)
            widget.setToolTip(setting.tip)
            form.addRow(setting.label, widget)
            self.settings[setting.name] = setting
            self.fields[setting.name] = widget
            self._forms[setting.name] = form

    def _build_data(self) -> None:
        form = self._group("Data")
        self.data_kind = self._bind(combo(GENERATED + ["inline", "csv"]), self._set_data_kind)
        self.samples = self._bind(int_spin(2, data.MAX_SAMPLES),
                                  lambda d, v: self._data_option(d, "samples", v))
        self.noise = self._bind(spin(0.0, 5.0, 3, 0.01),
                                lambda d, v: self._data_option(d, "noise", v))
        self.noise.setToolTip("the noise the data is generated with (drawn once)")
        self.classes = self._bind(int_spin(2, 5), lambda d, v: self._data_option(d, "classes", v))
        for label, widget in (("kind", self.data_kind), ("samples", self.samples),
                              ("noise", self.noise), ("classes", self.classes)):
            form.addRow(label, widget)
        self._add_settings(form, DATA)
        self.regenerate = QPushButton("New random data and weights")
        seed = self.fields["seed"]
        self.regenerate.clicked.connect(lambda: show_value(seed, value_of(seed) + 1))
        form.addRow(self.regenerate)

    def _build_network(self) -> None:
        form = self._group("Network")
        self.layers_box = QVBoxLayout()
        self._layers_holder = QWidget()
        self._layers_holder.setLayout(self.layers_box)
        form.addRow(self._layers_holder)
        buttons = QHBoxLayout()
        self.add_layer = QPushButton("Add hidden layer")
        self.add_layer.clicked.connect(lambda: self._edit(self._add_layer))
        buttons.addWidget(self.add_layer)
        form.addRow(buttons)
        self.output_activation = self._bind(combo(list(activations.KINDS)),
                                            self._set_output_activation)
        form.addRow("output activation", self.output_activation)
        self.init_kind = self._bind(combo(list(initializers.KINDS)),
                                    lambda d, v: d["network"]["init"].__setitem__("kind", v))
        form.addRow("initialisation", self.init_kind)
        self.loss = self._bind(combo(list(losses.KINDS)), self._set_loss)
        form.addRow("loss", self.loss)

    # ------------------------------------------------------------------ document edits

    def _edit(self, change: Callable[[dict], None]) -> None:
        document = copy.deepcopy(self.document)
        change(document)
        notice = self._fit_network_to_data(document)
        sim.experiment.drop_weights_that_no_longer_fit(document)  # sizes edited or fitted
        try:
            experiment = sim.parse(document, self._base_dir, previous=self._experiment)
        except sim.ExperimentError as error:
            self.error.setText(str(error))
            self.set_experiment_document(self.document)  # show what is still in force
            return
        self.error.setText(notice or "")
        self._experiment = experiment
        layers_before = len(self.document["network"]["layers"])
        self.document = to_dict(experiment)
        if len(self.document["network"]["layers"]) != layers_before:
            # A layer added or removed: the rows follow at once, so that no button of a row
            # that has gone (a second quick click on ✕) edits another layer.
            self._fill_layers(self.document["network"]["layers"])
        self._show_which_apply(self.document)
        self.experiment_edited.emit(experiment)

    def _fit_network_to_data(self, document: dict) -> str | None:
        """Inputs and output units follow the data (one-hot classes, features), and so does
        the lesson's followed sample; a notice if the sample was dropped."""
        try:
            spec = data.DataSpec.from_json(document["data"], "data")
            facts = sim.experiment.data_facts(spec, self._base_dir, self._experiment)
        except sim.ExperimentError:
            return None  # the full parse will name the problem
        document["network"]["inputs"] = facts.inputs
        document["network"]["layers"][-1]["units"] = facts.outputs
        if facts.inputs != 2 and "augment" in document["data"]:
            # Flips and rotations move 2-D points: data of another kind keeps only the noise.
            noise = document["data"]["augment"].get("noise", 0.0)
            document["data"]["augment"] = {"noise": noise}
        return sim.experiment.drop_followed_sample_beyond_data(document, spec, facts)

    @staticmethod
    def _data_option(document: dict, key: str, value: Any) -> None:
        if key in data.DATA_KINDS[document["data"]["kind"]].keys:
            document["data"][key] = value

    def _set_data_kind(self, document: dict, kind: str) -> None:
        kept = {k: v for k, v in document["data"].items()
                if k in ("validation_fraction", "test_fraction", "standardize", "augment")}
        document["data"] = {"kind": kind, **kept}
        if kind in ("gaussians", "spiral") and self.classes.value() > 2:
            document["data"]["classes"] = self.classes.value()

    def _set_output_activation(self, document: dict, kind: str) -> None:
        document["network"]["layers"][-1]["activation"] = kind
        if activations.ACTIVATIONS[kind].derivative is None:  # softmax: only with its own loss
            document["loss"] = next(loss for loss, output in losses.FUSED.items()
                                    if output == kind)
        elif losses.FUSED.get(document["loss"], kind) != kind:  # a loss fused with another
            document["loss"] = "half_mse"

    def _set_loss(self, document: dict, loss: str) -> None:
        document["loss"] = loss
        needed = losses.FUSED.get(loss)
        if needed:
            document["network"]["layers"][-1]["activation"] = needed

    def _add_layer(self, document: dict) -> None:
        layers = document["network"]["layers"]
        if len(layers) > MAX_HIDDEN_LAYERS:
            raise_limit = f"at most {MAX_HIDDEN_LAYERS} hidden layers"
            self.error.setText(raise_limit)
            return
        width = layers[-2]["units"] if len(layers) > 1 else 4
        activation = layers[-2]["activation"] if len(layers) > 1 else "tanh"
        layers.insert(len(layers) - 1, {"units": width, "activation": activation})

    # ------------------------------------------------------------------ filling

    def set_experiment(self, experiment: sim.Experiment) -> None:
        """Show an experiment (a lesson, a file, a rebuild)."""
        self._base_dir = experiment.base_dir
        self._experiment = experiment
        self.set_experiment_document(to_dict(experiment.replace(state=None)))

    def set_experiment_document(self, document: dict) -> None:
        self.document = document
        self._loading = True
        try:
            self._fill(document)
        finally:
            self._loading = False

    def applies(self, name: str) -> bool:
        """Whether the setting ``name`` applies to the experiment shown (else it is hidden)."""
        return not self.fields[name].isHidden()

    def _show_samples(self, section: dict) -> None:
        """The number of samples the data has: editable where the kind takes a count, else
        read-only, as the data (inline, a CSV table, all the patterns of a kind) fixes it."""
        try:
            spec = data.DataSpec.from_json(section, "data")
            count = sim.experiment.data_facts(spec, self._base_dir, self._experiment).samples
        except sim.ExperimentError:
            return  # the full parse names the problem
        editable = data.count_is_chosen(spec)
        self.samples.setReadOnly(not editable)
        self.samples.setButtonSymbols(QSpinBox.ButtonSymbols.UpDownArrows if editable
                                      else QSpinBox.ButtonSymbols.NoButtons)
        self.samples.setMinimum(2 if editable else 0)
        self.samples.setToolTip("" if editable else "Fixed by the data itself")
        self.samples.setValue(count)

    def _fill(self, d: dict) -> None:
        kind = d["data"]["kind"]
        self.data_kind.setCurrentText(kind)
        for widget, key in ((self.noise, "noise"), (self.classes, "classes")):
            widget.setEnabled(key in data.DATA_KINDS[kind].keys)
            if key in d["data"]:
                widget.setValue(d["data"][key])
        self._show_samples(d["data"])
        self._fill_layers(d["network"]["layers"])
        output = d["network"]["layers"][-1]["activation"]
        self.output_activation.setCurrentText(output if isinstance(output, str)
                                              else output["kind"])
        self.init_kind.setCurrentText(d["network"]["init"]["kind"])
        self.loss.setCurrentText(d["loss"])
        for name, setting in self.settings.items():
            show_value(self.fields[name], setting.read(d))
        self._show_which_apply(d)

    def _show_which_apply(self, d: dict) -> None:
        """Show the settings that apply to the document; hide the others (β₁ with SGD)."""
        for name, setting in self.settings.items():
            self._forms[name].setRowVisible(self.fields[name], setting.applies(d))

    def _fill_layers(self, layers: list[dict]) -> None:
        while (item := self.layers_box.takeAt(0)) is not None:
            widget = item.widget()
            if widget is not None:
                widget.hide()  # at once: deleted later, it could still be clicked till then
                widget.deleteLater()
        for index, layer in enumerate(layers[:-1]):
            self.layers_box.addWidget(self._layer_row(index, layer))
        self.add_layer.setEnabled(len(layers) - 1 < MAX_HIDDEN_LAYERS)
        self._fit_width()

    def _layer_row(self, index: int, layer: dict) -> QWidget:
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(QLabel(f"hidden {index + 1}"))
        units = int_spin(1, MAX_UNITS)
        units.setValue(layer["units"])
        units.valueChanged.connect(lambda v: self._edit(
            lambda d: d["network"]["layers"][index].__setitem__("units", v)))
        activation = layer["activation"]
        kind = combo([k for k in activations.KINDS if k != "softmax"])
        kind.setCurrentText(activation if isinstance(activation, str) else activation["kind"])
        kind.currentTextChanged.connect(lambda v: self._edit(
            lambda d: d["network"]["layers"][index].__setitem__("activation", v)))
        residual = QCheckBox("skip")
        residual.setToolTip("residual connection: a = f(z) + a_prev (needs equal widths)")
        residual.setChecked(layer.get("residual", False))
        residual.toggled.connect(lambda v: self._edit(
            lambda d: d["network"]["layers"][index].__setitem__("residual", v)))
        norm = QCheckBox("BN")
        norm.setToolTip("batch normalisation of z over the batch, then γ·ẑ + β "
                        "(the layer's bias is dropped: β plays its part)")
        norm.setChecked(bool(layer.get("batch_norm")))
        norm.toggled.connect(lambda v: self._edit(
            lambda d: _set_batch_norm(d["network"]["layers"][index], v)))
        remove = QPushButton("✕")
        remove.setToolTip("remove this layer")
        remove.setFixedWidth(32)
        remove.clicked.connect(lambda: self._edit(
            lambda d: d["network"]["layers"].pop(index)))
        for widget in (units, kind, residual, norm, remove):
            line.addWidget(widget)
        return row


def _set_batch_norm(layer: dict, on: bool) -> None:
    """Batch normalisation on or off for a layer of a document, with the bias the file format
    gives each by default: none with it (β shifts instead), one without."""
    for key in ("batch_norm", "gamma", "beta", "biases"):
        layer.pop(key, None)
    if on:
        layer["batch_norm"] = True
    layer["bias"] = not on
