"""The experiment file, version 1: load, validate, save.

One JSON format serves the command line, the app's File menu and the lessons; it is documented
in docs/experiment-format.md. Loading never executes or unpickles anything: a file is parsed as
JSON, every field is checked (with sizes bounded before any array is allocated), and the first
problem is reported in one line naming the field.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from . import augment, data, losses
from .activations import Activation
from .batch_norm import BatchNormSpec
from .clipping import ClippingSpec
from .data import DataFacts, DataSpec
from .files import WriteError, output_target, path_text, read_regular, write_atomic
from .initializers import InitSpec
from .lesson_view import LessonView
from .optimizers import OptimizerSpec
from .quiz import QuizSpec, plans
from .schedules import ScheduleSpec
from .schema import (
    ExperimentError,
    Section,
    describe,
    join_path,
    read_matrix,
    read_vector,
)

if TYPE_CHECKING:  # recurrent_experiment imports this module
    from .recurrent_experiment import RecurrentExperiment

FORMAT = "backprop-studio.experiment"
VERSION = 1
# The largest experiment a file may hold: at most 1,000,000 numbers of data, 723,712 initial
# weights and biases (eleven layers of 256 units) and a checkpoint of four times that (the
# parameters, Adam's two moments, early stopping's best), 4.6 million numbers in all. Written
# at most 26 bytes a number ("-2.2250738585072014e-308, "), 115 MB and 4.7 million values
# (tests/test_file_faults.py builds it): every experiment that loads can be saved, and its save
# loads again. The values bound the time and memory a file
# takes to read, before it is decoded (a 128 MB file of "1," would be 64 million).
MAX_FILE_BYTES = 128 * 1024 * 1024
MAX_VALUES = 6_000_000
MAX_HIDDEN_LAYERS = 10
MAX_UNITS = 256
MAX_INPUTS = data.MAX_FEATURES  # a network takes every feature its data may have
MAX_SEED = 2**63 - 1
MAX_TEXT = 20_000
MAX_DIGITS = 400  # an integer literal longer than this is refused (Python's int() stops at 4300)

TOP_KEYS = ("format", "version", "name", "description", "seed", "data", "network", "loss",
            "optimizer", "schedule", "batch_size", "shuffle", "clipping", "regularization",
            "stopping", "validation_interval", "view", "quiz", "state")


@dataclass(frozen=True)
class LayerSpec:
    """One dense layer. ``weights[j][i]`` is w_ji, the weight from unit i below to unit j."""

    units: int
    activation: Activation = Activation("sigmoid")
    bias: bool = True
    train_bias: bool = True
    residual: bool = False  # a = f(z) + a_prev; hidden layers whose width equals their input's
    dropout: float | None = None  # None: regularization.dropout (hidden layers only)
    init: InitSpec | None = None  # None: network.init
    weights: tuple[tuple[float, ...], ...] | None = None
    biases: tuple[float, ...] | None = None
    batch_norm: BatchNormSpec | None = None  # None: no batch normalisation (sim.batch_norm)
    gamma: tuple[float, ...] | None = None  # batch normalisation's initial scale (None: 1)
    beta: tuple[float, ...] | None = None  # and shift (None: 0)

    @classmethod
    def from_json(cls, value: Any, path: str, fan_in: int) -> LayerSpec:
        """Read one layer whose input has ``fan_in`` units (the shape of explicit weights)."""
        s = Section(value, path, LAYER_KEYS)
        units = s.integer("units", minimum=1, maximum=MAX_UNITS)
        norm = BatchNormSpec.from_json(s.raw("batch_norm", False), s.at("batch_norm"))
        has_bias = s.boolean("bias", norm is None)  # beta plays the bias's part
        gamma, beta = (_norm_vector(s, key, units, norm) for key in ("gamma", "beta"))
        weights = biases = None
        if s.has("weights"):
            weights = tuple(map(tuple, read_matrix(s.raw("weights"), s.at("weights"), units,
                                                   fan_in, MAX_UNITS, MAX_INPUTS)))
        if s.has("biases"):
            if not has_bias:
                raise ExperimentError(s.at("biases"), "given for a layer whose bias is false")
            biases = tuple(read_vector(s.raw("biases"), s.at("biases"), units, MAX_UNITS))
        dropout = s.optional_number("dropout", minimum=0.0, maximum=0.95)
        return cls(
            units=units,
            activation=Activation.from_json(s.raw("activation", "sigmoid"), s.at("activation")),
            bias=has_bias,
            train_bias=s.boolean("train_bias", True),
            residual=s.boolean("residual", False),
            dropout=dropout,
            init=InitSpec.from_json(s.raw("init"), s.at("init")) if s.has("init") else None,
            weights=weights,
            biases=biases,
            batch_norm=norm,
            gamma=gamma,
            beta=beta,
        )

    def to_json(self) -> dict[str, Any]:
        """Every flag written out; dropout, init, weights, biases and batch normalisation
        (with gamma and beta) only when given."""
        out: dict[str, Any] = {"units": self.units, "activation": self.activation.to_json(),
                               "bias": self.bias, "train_bias": self.train_bias,
                               "residual": self.residual}
        if self.dropout is not None:
            out["dropout"] = self.dropout
        if self.init is not None:
            out["init"] = self.init.to_json()
        if self.weights is not None:
            out["weights"] = [list(row) for row in self.weights]
        if self.biases is not None:
            out["biases"] = list(self.biases)
        if self.batch_norm is not None:
            out["batch_norm"] = self.batch_norm.to_json()
        for key, values in (("gamma", self.gamma), ("beta", self.beta)):
            if values is not None:
                out[key] = list(values)
        return out


def _norm_vector(s: Section, key: str, units: int,
                 norm: BatchNormSpec | None) -> tuple[float, ...] | None:
    """A layer's initial ``gamma`` or ``beta``: one number per unit, only with batch_norm."""
    if not s.has(key):
        return None
    if norm is None:
        raise ExperimentError(s.at(key), "given for a layer without batch_norm")
    return tuple(read_vector(s.raw(key), s.at(key), units, MAX_UNITS))


LAYER_KEYS = tuple(field.name for field in fields(LayerSpec))


@dataclass(frozen=True)
class NetworkSpec:
    inputs: int
    layers: tuple[LayerSpec, ...]
    init: InitSpec = InitSpec()

    @classmethod
    def from_json(cls, value: Any, path: str) -> NetworkSpec:
        s = Section(value, path, ("inputs", "init", "layers"))
        inputs = s.integer("inputs", minimum=1, maximum=MAX_INPUTS)
        init = InitSpec.from_json(s.raw("init", {}), s.at("init"))
        raw_layers = s.list("layers", max_length=MAX_HIDDEN_LAYERS + 1)
        if not raw_layers:
            raise ExperimentError(s.at("layers"), "must hold at least the output layer")
        layers = []
        fan_in = inputs
        for number, raw in enumerate(raw_layers):
            layer = LayerSpec.from_json(raw, f"{s.at('layers')}[{number}]", fan_in)
            layers.append(layer)
            fan_in = layer.units
        return cls(inputs, tuple(layers), init)

    def to_json(self) -> dict[str, Any]:
        return {"inputs": self.inputs, "init": self.init.to_json(),
                "layers": [layer.to_json() for layer in self.layers]}


@dataclass(frozen=True)
class RegularizationSpec:
    l1: float = 0.0  # adds l1 * sum |w| (weights only)
    l2: float = 0.0  # adds l2/2 * sum w^2 (weights only)
    dropout: float = 0.0  # inverted dropout on every hidden layer while training

    @classmethod
    def from_json(cls, value: Any, path: str) -> RegularizationSpec:
        s = Section(value, path, ("l1", "l2", "dropout"))
        return cls(
            l1=s.number("l1", 0.0, minimum=0.0, maximum=1e3),
            l2=s.number("l2", 0.0, minimum=0.0, maximum=1e3),
            dropout=s.number("dropout", 0.0, minimum=0.0, maximum=0.95),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EarlyStoppingSpec:
    patience: int = 10  # validations without improvement before stopping
    min_delta: float = 0.0  # an improvement must lower the validation loss by more than this
    restore_best: bool = True

    @classmethod
    def from_json(cls, value: Any, path: str) -> EarlyStoppingSpec:
        s = Section(value, path, ("patience", "min_delta", "restore_best"))
        return cls(
            patience=s.integer("patience", 10, minimum=1, maximum=10**6),
            min_delta=s.number("min_delta", 0.0, minimum=0.0, maximum=1e6),
            restore_best=s.boolean("restore_best", True),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StoppingSpec:
    max_steps: int | None = None
    max_epochs: int | None = None
    loss_below: float | None = None  # stop once a step's batch loss is below this
    early_stopping: EarlyStoppingSpec | None = None
    time_limit: float | None = None  # seconds of training

    @classmethod
    def from_json(cls, value: Any, path: str) -> StoppingSpec:
        s = Section(value, path, STOPPING_KEYS)
        early = None
        if s.has("early_stopping") and s.raw("early_stopping") is not None:
            early = EarlyStoppingSpec.from_json(s.raw("early_stopping"), s.at("early_stopping"))
        return cls(
            max_steps=s.optional_integer("max_steps", minimum=1, maximum=10**12),
            max_epochs=s.optional_integer("max_epochs", minimum=1, maximum=10**12),
            loss_below=s.optional_number("loss_below", positive=True),
            early_stopping=early,
            time_limit=s.optional_number("time_limit", positive=True, maximum=1e7),
        )

    def to_json(self) -> dict[str, Any]:
        """The rules that are set, early stopping last."""
        out: dict[str, Any] = {key: getattr(self, key) for key in STOPPING_KEYS
                               if getattr(self, key) is not None and key != "early_stopping"}
        if self.early_stopping is not None:
            out["early_stopping"] = self.early_stopping.to_json()
        return out


STOPPING_KEYS = tuple(field.name for field in fields(StoppingSpec))


@dataclass(frozen=True)
class Experiment:
    """A whole experiment: data, network, loss, optimizer and how to train; frozen."""

    data: DataSpec
    network: NetworkSpec
    name: str = "untitled"
    description: str = ""
    seed: int = 0
    loss: str = "half_sse"
    optimizer: OptimizerSpec = OptimizerSpec()
    schedule: ScheduleSpec = ScheduleSpec()
    batch_size: int | None = None  # None: the whole training set in every step
    shuffle: bool = True
    clipping: ClippingSpec = ClippingSpec()
    regularization: RegularizationSpec = RegularizationSpec()
    stopping: StoppingSpec = StoppingSpec()
    validation_interval: int | None = None  # steps between validations; None: once per epoch
    view: LessonView = LessonView()  # what a lesson opens on (sim.lesson_view)
    quiz: QuizSpec = QuizSpec()  # predict, then reveal: whether on, what to ask (sim.quiz)
    state: dict[str, Any] | None = field(default=None, compare=False)  # checkpoint, see Trainer
    base_dir: Path | None = field(default=None, compare=False)  # where relative paths start
    # What the data has (found by `parse`), so that an edit elsewhere needs no file: see
    # `data_facts`. None when not known; a replace of data or base_dir makes it unknown.
    data_facts: DataFacts | None = field(default=None, compare=False, repr=False)

    def replace(self, **changes: Any) -> Experiment:
        if "data_facts" not in changes and ("data" in changes or "base_dir" in changes):
            changes["data_facts"] = None
        return replace(self, **changes)


# ---------------------------------------------------------------------------- loading

def load(path: str | os.PathLike) -> Experiment:
    """Read and validate an experiment file; raises ExperimentError naming the bad field."""
    return parse(read_document(path), base_dir=Path(path).resolve().parent)


def read_document(path: str | os.PathLike) -> dict[str, Any]:
    """An experiment file's JSON object, read within the size limits and decoded strictly
    (not yet validated); ExperimentError naming the file if it cannot be."""
    path = Path(path)
    name = path_text(path)
    try:
        raw = read_regular(path, MAX_FILE_BYTES)
    except OSError as error:
        raise ExperimentError("", f"cannot read {name}: {error.strerror}") from None
    if raw is None:
        raise ExperimentError("", f"{name} is larger than {MAX_FILE_BYTES >> 20} MB")
    problem = _size_problem(raw)
    if problem:
        raise ExperimentError("", f"{name} {problem}")
    document = decode_json(raw, name)
    del raw  # the decoded document is all that is needed from here
    if not isinstance(document, dict):  # a problem of the file as a whole: name the file
        raise ExperimentError("", f"{name}: {_NOT_AN_OBJECT}, got {describe(document)}")
    return document


def values_bound(raw: bytes) -> int:
    """At least as many as the values (numbers, texts, lists, objects, ...) the JSON text
    holds: every value but the first of a list or object follows a comma, and every list and
    object opens with a bracket. Counted in C, before anything is decoded."""
    return raw.count(b",") + raw.count(b"[") + raw.count(b"{") + 1


def _size_problem(raw: bytes) -> str:
    """Why JSON text of this size is not read as an experiment ("" if it may be)."""
    if len(raw) > MAX_FILE_BYTES:
        return f"would be {len(raw) / 2**20:.1f} MB; at most {MAX_FILE_BYTES >> 20} MB is read"
    values = values_bound(raw)
    if values > MAX_VALUES:
        return (f"holds about {values:,} values (commas and brackets); at most {MAX_VALUES:,} "
                "are read")
    return ""


def decode_json(raw: bytes, name: str) -> Any:
    """Strict JSON: a non-finite or overlong number or a repeated key is refused, naming it."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ExperimentError("", f"{name} is not UTF-8 text (byte {error.start})") from None
    hooks = _Hooks()
    try:
        document = json.loads(text, parse_constant=hooks.constant, parse_float=hooks.real,
                              parse_int=hooks.whole, object_pairs_hook=hooks.object)
    except json.JSONDecodeError as error:
        raise ExperimentError("", f"{name} is not valid JSON: {error.msg} at line "
                                  f"{error.lineno} column {error.colno}") from None
    except RecursionError:
        raise ExperimentError("", f"{name} nests too deeply to be an experiment") from None
    if hooks.refused:
        path, refused = _find_refused(document)
        # a file that is nothing but NaN has no field to name: name the file
        raise ExperimentError(path, refused.problem if path else f"{name}: {refused.problem}")
    return document


class _Refused:
    """Stands in for a refused value until decoding ends and its path can be found (the
    decoder does not tell its hooks where they are)."""

    def __init__(self, problem: str, key: str | None = None) -> None:
        self.problem = problem
        self.key = key  # for a repeated key: the key, named after the object's path


class _Hooks:
    """The decoder's hooks: each refused value is replaced by a _Refused marker."""

    def __init__(self) -> None:
        self.refused = False

    def refuse(self, problem: str, key: str | None = None) -> _Refused:
        self.refused = True
        return _Refused(problem, key)

    def constant(self, name: str) -> Any:
        return self.refuse(f"{name} is not allowed: every number must be finite")

    def real(self, text: str) -> Any:
        number = float(text)
        if math.isinf(number):
            return self.refuse(f"the number {text[:30]} is too large to represent")
        return number

    def whole(self, text: str) -> Any:
        # Python's int() raises a bare ValueError beyond 4300 digits; refuse long before that.
        if len(text) > MAX_DIGITS:
            return self.refuse(f"the number {text[:20]}... has {len(text)} digits; "
                               f"at most {MAX_DIGITS} are allowed")
        return int(text)

    def object(self, pairs: list[tuple[str, Any]]) -> Any:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                return self.refuse("appears twice in one object", key)
            result[key] = value
        return result


def _find_refused(document: Any) -> tuple[str, _Refused]:
    """The path and marker of the first refused value, in the order of the file."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:  # a loop, not recursion: the document may nest nearly to the recursion limit
        path, value = stack.pop()
        if isinstance(value, _Refused):
            return (join_path(path, value.key) if value.key is not None else path), value
        if isinstance(value, dict):
            stack.extend(reversed([(join_path(path, k), v) for k, v in value.items()]))
        elif isinstance(value, list):
            stack.extend(reversed([(f"{path}[{i}]", v) for i, v in enumerate(value)]))
    raise AssertionError("a refused value was not found")


_NOT_AN_OBJECT = "an experiment must be one JSON object {...}"


LESSON_INDEX = "this is the lesson index, the list of the lessons' files, not an experiment: " \
    "open one of the lessons it lists"


def parse(document: Any, base_dir: Path | None = None,
          previous: Experiment | None = None) -> Experiment:
    """Validate a decoded JSON document and build the Experiment it describes.

    ``previous``, an experiment this document is an edit of, lends its data facts when the
    data section and ``base_dir`` are unchanged: then no data file is read (see `data_facts`).
    """
    if not isinstance(document, dict):
        raise ExperimentError("", f"{_NOT_AN_OBJECT}, got {describe(document)}")
    if "lessons" in document and "network" not in document:  # assets/lessons/index.json
        raise ExperimentError("", LESSON_INDEX)
    top = Section(document, "", TOP_KEYS)
    check_format(top)
    if network_kind(document) == "recurrent":
        raise ExperimentError("network.kind", RECURRENT_ELSEWHERE)
    data_spec = DataSpec.from_json(top.raw("data"), top.at("data"))
    network = NetworkSpec.from_json(top.raw("network"), top.at("network"))
    experiment = Experiment(
        data=data_spec,
        network=network,
        **read_run_settings(top, "half_sse"),
        view=LessonView.from_json(top.raw("view", {}), top.at("view")),
        quiz=QuizSpec.from_json(top.raw("quiz", {}), top.at("quiz")),
        base_dir=base_dir,
    )
    _check_network(experiment)
    _check_view(experiment)
    _check_quiz(experiment)
    facts = data_facts(data_spec, base_dir, previous)
    check_data(experiment, facts)
    _check_view_sample(experiment, facts)
    return replace(experiment, data_facts=facts)


def check_format(top: Section) -> None:
    """A file's ``format`` and ``version`` (either may be left out), as this program reads
    them."""
    if top.raw("format", FORMAT) != FORMAT:
        raise ExperimentError("format", f'must be "{FORMAT}", got {top.raw("format")!r:.60}')
    version = top.raw("version", VERSION)
    if version != VERSION or isinstance(version, bool):
        raise ExperimentError("version", f"this program reads version {VERSION}, got "
                                         f"{version!r:.30}")


class RunSettings(TypedDict):
    """The top-level settings a dense and a recurrent experiment share, as keyword arguments
    of either's constructor."""

    name: str
    description: str
    seed: int
    loss: str
    optimizer: OptimizerSpec
    schedule: ScheduleSpec
    batch_size: int | None
    shuffle: bool
    clipping: ClippingSpec
    regularization: RegularizationSpec
    stopping: StoppingSpec
    validation_interval: int | None
    state: dict[str, Any] | None


def read_run_settings(top: Section, default_loss: str) -> RunSettings:
    """The settings of how to train, checked, from a file's top level (``top``): the name,
    description and seed, the loss (``default_loss`` when it is left out), optimizer, schedule,
    batches, clipping, regularisation, stopping and validation interval, and the saved state
    (checked against the network when a trainer loads it)."""
    optimizer = OptimizerSpec.from_json(top.raw("optimizer", {}), top.at("optimizer"))
    stopping = StoppingSpec.from_json(top.raw("stopping", {}), top.at("stopping"))
    state = top.raw("state", None)
    if state is not None and not isinstance(state, dict):
        raise ExperimentError("state", f"must be an object, got {describe(state)}")
    return RunSettings(
        name=top.text("name", "untitled", max_length=200),
        description=top.text("description", "", max_length=MAX_TEXT),
        seed=top.integer("seed", 0, minimum=0, maximum=MAX_SEED),
        loss=top.choice("loss", losses.KINDS, default_loss),
        optimizer=optimizer,
        schedule=ScheduleSpec.from_json(top.raw("schedule", {}), top.at("schedule")),
        batch_size=top.optional_integer("batch_size", minimum=1, maximum=data.MAX_SAMPLES),
        shuffle=top.boolean("shuffle", True),
        clipping=ClippingSpec.from_json(top.raw("clipping", {}), top.at("clipping")),
        regularization=RegularizationSpec.from_json(top.raw("regularization", {}),
                                                    top.at("regularization")),
        stopping=stopping,
        validation_interval=top.optional_integer("validation_interval", minimum=1,
                                                 maximum=10**9),
        state=state or None,
    )


RECURRENT_ELSEWHERE = ('"recurrent" is read by sim.recurrent_experiment, not here: open the file '
                       "with backprop-studio FILE, or train it with python -m sim run FILE")


def is_recurrent_refusal(error: ExperimentError) -> bool:
    """Whether ``error`` is `parse`'s refusal of a recurrent network (to be read elsewhere)."""
    return error.path == "network.kind" and error.problem == RECURRENT_ELSEWHERE


def network_kind(document: dict[str, Any]) -> str:
    """The network section's ``kind``: "recurrent" (read by `sim.recurrent_experiment`), or
    "dense" (the default, read here)."""
    network = document.get("network")
    kind = network.get("kind", "dense") if isinstance(network, dict) else "dense"
    return "recurrent" if kind == "recurrent" else "dense"


def data_facts(spec: DataSpec, base_dir: Path | None,
               previous: Experiment | None = None) -> DataFacts:
    """Inputs, outputs and samples of the data ``spec`` describes (relative paths starting at
    ``base_dir``): those ``previous`` recorded if it has the same data and base_dir, without
    touching any file; otherwise found (a CSV file is read, or taken from the table cache)."""
    if previous is not None and previous.data_facts is not None and \
            data.same_samples(previous.data, spec) and previous.base_dir == base_dir:
        return previous.data_facts
    return data.facts(spec, base_dir)


def live_compatible(old: Experiment, new: Experiment) -> bool:
    """Whether ``new`` differs from ``old`` only in settings a running trainer can adopt (the
    augmentation among them: it changes what each epoch draws, not the data)."""
    return data.same_samples(old.data, new.data) and \
        (old.network, old.loss, old.seed) == (new.network, new.loss, new.seed)


def drop_weights_that_no_longer_fit(document: dict) -> None:
    """Remove each layer's explicit ``weights`` (``biases``, batch normalisation's ``gamma`` and
    ``beta``) whose shape no longer matches its units and inputs, after an edit of the
    network's sizes; weights that fit are kept. A lesson's view of a weight the network no
    longer has goes too (see `LessonView`)."""
    network = document["network"]
    fan_in = network.get("inputs")
    for layer in network.get("layers", []):
        units = layer.get("units")
        weights = layer.get("weights")
        if weights is not None and not (isinstance(weights, list) and len(weights) == units
                                        and all(isinstance(row, list) and len(row) == fan_in
                                                for row in weights)):
            del layer["weights"]
        for key in ("biases", "gamma", "beta"):  # one number per unit
            values = layer.get(key)
            if values is not None and not (isinstance(values, list) and len(values) == units):
                del layer[key]
        fan_in = units
    _drop_view_that_no_longer_fits(document)
    _drop_quiz_questions_that_no_longer_fit(document)


@dataclass(frozen=True)
class PlannedLayer:
    """What an address is checked against, known from the spec before any weight exists."""

    units: int
    fan_in: int
    has_bias: bool


def layer_shapes(network: NetworkSpec) -> list[PlannedLayer]:
    fan_ins = [network.inputs] + [layer.units for layer in network.layers[:-1]]
    return [PlannedLayer(layer.units, fan_in, layer.bias)
            for layer, fan_in in zip(network.layers, fan_ins, strict=True)]


def _check_view(experiment: Experiment) -> None:
    view = experiment.view
    problem = view.problem(layer_shapes(experiment.network))
    if problem is not None:
        raise ExperimentError("view.landscape", problem)
    problem = view.boundary_problem(experiment.network.inputs)
    if problem is not None:
        raise ExperimentError("view.side_view", problem)


def training_samples(spec: DataSpec, facts: DataFacts) -> int:
    """How many samples the training set holds: those left after the validation and test
    splits."""
    return facts.samples - data.validation_size(facts.samples, spec.validation_fraction) - \
        data.held_out_size(facts.samples, spec.validation_fraction, spec.test_fraction)


def _check_view_sample(experiment: Experiment, facts: DataFacts) -> None:
    """A followed sample past the training set the file itself describes is refused. A CSV
    table is not the file's own: one that has shrunk since the lesson was written leaves the
    lesson valid, and the app follows the batch's own sample instead, saying so."""
    if experiment.data.kind == "csv":
        return
    problem = experiment.view.sample_problem(training_samples(experiment.data, facts))
    if problem is not None:
        raise ExperimentError("view.sample", problem)


def drop_followed_sample_beyond_data(document: dict, spec: DataSpec,
                                     facts: DataFacts) -> str | None:
    """After an edit of the data (``spec``, with ``facts``) that leaves the training set
    without the lesson's followed sample (fewer samples, a larger held-out share): drop it
    from the document's view, so that the edit is taken and the numbers follow the batch's
    own sample; a one-line notice says so (None: nothing was dropped)."""
    view = document.get("view")
    sample = view.get("sample") if isinstance(view, dict) else None
    training = training_samples(spec, facts)
    if not isinstance(sample, int) or isinstance(sample, bool) or sample <= training:
        return None
    assert isinstance(view, dict)  # a sample was read from it
    del view["sample"]
    return (f"view.sample: the training set now has samples 1 to {training}, so the "
            f"lesson's sample {sample} is no longer followed (automatic instead)")


def _drop_view_that_no_longer_fits(document: dict) -> None:
    try:
        view = LessonView.from_json(document.get("view", {}), "view")
        network = NetworkSpec.from_json(document["network"], "network")
    except ExperimentError:
        return  # parse names the problem
    if view.problem(layer_shapes(network)) is not None:
        del document["view"]


def _check_quiz(experiment: Experiment) -> None:
    problem = experiment.quiz.problem(plans(experiment.network))
    if problem is not None:
        position, why = problem
        raise ExperimentError(f"quiz.ask[{position}]", why)


def _drop_quiz_questions_that_no_longer_fit(document: dict) -> None:
    try:
        quiz = QuizSpec.from_json(document.get("quiz", {}), "quiz")
        network = NetworkSpec.from_json(document["network"], "network")
    except ExperimentError:
        return  # parse names the problem
    if "quiz" in document:
        document["quiz"] = quiz.fitting(plans(network)).to_json()


def _check_network(experiment: Experiment) -> None:
    """Checks that involve more than one field: loss/activation pairs, residuals, dropout."""
    layers = experiment.network.layers
    output = layers[-1]
    for number, layer in enumerate(layers[:-1]):
        path = f"network.layers[{number}]"
        if layer.activation.kind == "softmax":
            raise ExperimentError(f"{path}.activation", "softmax is only allowed on the output "
                                                        "layer")
    if output.dropout:  # the trainer drops units of hidden layers only
        raise ExperimentError(f"network.layers[{len(layers) - 1}].dropout",
                              "only hidden layers can have dropout")
    fan_in = experiment.network.inputs
    for number, layer in enumerate(layers):
        if layer.residual:
            path = f"network.layers[{number}].residual"
            if layer is output:
                raise ExperimentError(path, "only hidden layers can have a residual connection")
            if layer.units != fan_in:
                raise ExperimentError(path, f"needs as many units as its input ({fan_in}), "
                                            f"got {layer.units}")
        fan_in = layer.units
    losses.check_output_layer(experiment.loss, output.activation.kind, output.units,
                              f"network.layers[{len(layers) - 1}]")


def check_data(experiment: Experiment, facts: DataFacts) -> None:
    """ExperimentError naming the field if data with these facts does not fit the experiment
    (its network's inputs and outputs, its names, the validation set early stopping needs).

    Called when a document is parsed, and by the trainer on the data it actually built: a
    data file may have changed since.
    """
    _check_data_fits(experiment, facts)
    if experiment.stopping.early_stopping:
        check_validation_set(experiment.data.validation_fraction, facts.samples)
    _check_batch_norm_batches(experiment, facts)


def _check_batch_norm_batches(experiment: Experiment, facts: DataFacts) -> None:
    # The variance of one sample is 0: batch normalisation needs two or more in every batch,
    # the last of an epoch too (PyTorch refuses one in training as well).
    normalised = [number for number, layer in enumerate(experiment.network.layers)
                  if layer.batch_norm is not None]
    if not normalised:
        return
    spec = experiment.data
    training = facts.samples - data.validation_size(facts.samples, spec.validation_fraction) \
        - data.held_out_size(facts.samples, spec.validation_fraction, spec.test_fraction)
    batch = min(experiment.batch_size or training, training)
    last = training - (-(-training // batch) - 1) * batch
    if min(batch, last) < 2:
        where = "each batch has 1 sample" if batch < 2 else \
            f"the last batch of each epoch has 1 ({training} training samples in batches of " \
            f"{batch})"
        raise ExperimentError("batch_size", f"batch normalisation (network.layers"
                                            f"[{normalised[0]}].batch_norm) needs at least 2 "
                                            f"samples in every batch, but {where}: the "
                                            f"variance of one sample is 0")


def check_validation_set(validation_fraction: float, samples: int) -> None:
    """ExperimentError if early stopping has no validation sample to watch (dense or sequence
    data): without one it never fires, and a run relying on it never ends."""
    if validation_fraction <= 0.0:
        raise ExperimentError("stopping.early_stopping", "needs a validation set: set "
                                                         "data.validation_fraction above 0")
    if data.validation_size(samples, validation_fraction) == 0:
        raise ExperimentError("stopping.early_stopping", "needs a validation set, but "
                              f"data.validation_fraction {validation_fraction:g} of "
                              f"{samples} samples rounds to none")


def _check_data_fits(experiment: Experiment, facts: DataFacts) -> None:
    spec = experiment.data
    n_in, n_out = facts.inputs, facts.outputs
    network = experiment.network
    if n_in != network.inputs:
        raise ExperimentError("network.inputs", f"the data has {n_in} inputs, the network "
                                                f"{network.inputs}")
    units = network.layers[-1].units
    if n_out != units:
        raise ExperimentError(f"network.layers[{len(network.layers) - 1}].units",
                              f"the data has {n_out} targets, the output layer {units} units")
    for key, count in (("input_names", n_in), ("output_names", n_out)):
        names = getattr(spec, key)
        if names is not None and len(names) != count:
            raise ExperimentError(f"data.{key}", f"must name {count} columns, got {len(names)}")
    augment.check_fits(spec.augment, n_in, "data.augment")


# ---------------------------------------------------------------------------- saving

def to_dict(experiment: Experiment) -> dict[str, Any]:
    """The canonical JSON document of an experiment, every default written out."""
    return run_document(experiment, quiz=experiment.quiz.to_json())


def run_document(experiment: Experiment | RecurrentExperiment,
                 **network_keys: Any) -> dict[str, Any]:
    """The canonical document of a dense or a recurrent experiment: the keys both kinds have,
    then ``network_keys`` (what only one kind has), then its saved state if it has one."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "name": experiment.name,
        "description": experiment.description,
        "seed": experiment.seed,
        "data": experiment.data.to_json(),
        "network": experiment.network.to_json(),
        "loss": experiment.loss,
        "optimizer": experiment.optimizer.to_json(),
        "schedule": experiment.schedule.to_json(),
        "batch_size": experiment.batch_size,
        "shuffle": experiment.shuffle,
        "clipping": experiment.clipping.to_json(),
        "regularization": experiment.regularization.to_json(),
        "stopping": experiment.stopping.to_json(),
        "validation_interval": experiment.validation_interval,
        "view": experiment.view.to_json(),
        **network_keys,
    }
    if experiment.state:
        document["state"] = experiment.state
    return document


def dumps(experiment: Experiment) -> str:
    """The experiment as JSON text, one key per line and a row of numbers on one line; floats
    are written so they read back bit for bit."""
    return document_text(to_dict(experiment))


def document_text(document: dict[str, Any]) -> str:
    """A document as `dumps` writes an experiment's."""
    return _json_text(document, "") + "\n"


def _json_text(value: Any, indent: str) -> str:
    """JSON for ``value``: objects and lists of lists one item per line, any other list (of
    numbers or names) on one line."""
    inner = indent + " "
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(key)}: {_json_text(item, inner)}"
                 for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(item, (list, dict)) for item in value):
        return "[\n" + ",\n".join(inner + _json_text(item, inner) for item in value) + \
            "\n" + indent + "]"
    return json.dumps(value, allow_nan=False)


def save(experiment: Experiment, path: str | os.PathLike, *,
         replace_read_only: bool = False) -> None:
    """Write the experiment to ``path`` by the rules of `sim.files` (atomically, only over a
    regular file, a read-only one only if ``replace_read_only``), its relative data path
    rewritten to lead from the new file's folder to the same table; WriteError if it is not
    written, for any reason, and then nothing has changed.

    What is written always loads again: a text beyond the loader's limits is refused.
    """
    target = output_target(path)
    write_document(dumps(rebased(experiment, target.parent, path)), path,
                   replace_read_only=replace_read_only)


def write_document(text: str, path: str | os.PathLike, *, replace_read_only: bool) -> None:
    """Write an experiment's text as `save` does, refusing one its loader would refuse."""
    content = text.encode("utf-8")
    problem = _size_problem(content)
    if problem:
        raise WriteError(path, f"the experiment {problem}")
    write_atomic(path, content, replace_read_only=replace_read_only)


def rebased(experiment: Experiment, folder: Path, path: str | os.PathLike = "") -> Experiment:
    """The experiment as a file in ``folder`` must write it: a relative CSV path rewritten to
    lead from ``folder`` to the table it leads to now (from ``base_dir``, or the working folder
    without one, as the data is read); an absolute path where no relative one can (another
    drive). WriteError naming ``path`` if where the table is cannot be told."""
    spec = experiment.data
    if spec.kind != "csv" or spec.path is None or Path(spec.path).is_absolute():
        return experiment
    try:
        base = (experiment.base_dir or Path.cwd()).resolve()
        given = base / spec.path
        # The folders resolved (so that ".." means what it means on disk), the table's own
        # name kept: a link named there stays the link.
        table = given.parent.resolve() / given.name
    except (OSError, RuntimeError) as error:
        raise WriteError(path, f"cannot tell where data.path {spec.path!r} leads: "
                               f"{getattr(error, 'strerror', None) or error}") from None
    if base == folder:
        return experiment
    try:
        written = os.path.relpath(table, folder)
    except ValueError:  # on another drive than the folder
        written = str(table)
    return experiment.replace(data=replace(spec, path=written))
