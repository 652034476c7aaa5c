"""Training data: inline samples, generated sets (seeded) and CSV files.

Every generated set is a pure function of its parameters and the experiment's data stream, so
the same file and seed always give the same points. Inputs have shape (samples, inputs) and
targets (samples, outputs); classification targets are 0/1 (one column for two classes,
one-hot columns for more).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from .augment import AugmentSpec, read_noise
from .file_cache import FileCache
from .files import path_text, read_regular, read_regular_head
from .schema import (
    MAX_NAME,
    ExperimentError,
    Section,
    join_path,
    read_choice,
    read_matrix,
    read_text,
    read_vector,
)

MAX_SAMPLES = 100_000
MAX_FEATURES = 256
MAX_BITS = 12
MAX_CSV_BYTES = 50 * 1024 * 1024
# What a preview reads of a CSV file: enough for its header and many rows, read at once.
CSV_HEAD_BYTES = 1 << 20
# Numbers of data (samples times inputs and outputs) and cells of a CSV table: what bounds the
# time and memory a data set takes to read and build (a million cells of a table take about a
# second and 100 MB; 100,000 rows of 256 columns took 14 seconds and 570 MB).
MAX_DATA_NUMBERS = 1_000_000
MAX_CSV_CELLS = 1_000_000

COMMON_KEYS = ("kind", "validation_fraction", "test_fraction", "standardize", "augment",
               "jitter", "input_names", "output_names")
SPAM_FEATURES = ("FREE", "MONEY", "CLICK", "!", "ALL CAPS")
SPAM_EXAMPLE = (2.0, 1.0, 1.0, 3.0, 4.0)  # seed 000's "FREE MONEY CLICK NOW!!!"
_CSV_KEYS = {"target_columns": "targets", "input_columns": "inputs"}  # field -> key in the file


# Random stream ids of the data (the initialisation streams are network.INIT_STREAM and one
# per layer; shuffling, dropout and augmentation are the sampler's, in sim.batches).
DATA_STREAM, SPLIT_STREAM = 2, 3


def data_streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The generators a run of this seed makes its data with and splits it with (dense and
    recurrent runs alike)."""
    return np.random.default_rng([seed, DATA_STREAM]), np.random.default_rng([seed, SPLIT_STREAM])


@dataclass(frozen=True)
class DataSpec:
    """The ``data`` section of an experiment, with every default resolved."""

    kind: str = "xor"
    samples: int = 200
    noise: float = 0.0
    classes: int = 2
    factor: float = 0.5  # circles: inner radius / outer radius
    turns: float = 1.0  # spiral: turns of each arm
    encoding: str = "binary"  # gaussians, spiral: "binary" (2 classes) or "one_hot"
    bits: int = 6  # symmetry, parity
    size: int = 8  # encoder: size-log2(size)-size
    slope: float = 2.0  # line: z = slope * x
    x: tuple[float, ...] | None = None  # line: explicit inputs
    inputs: tuple[tuple[float, ...], ...] | None = None  # inline
    targets: tuple[tuple[float, ...], ...] | None = None  # inline
    path: str | None = None  # csv
    target_columns: tuple[str, ...] = ()  # csv "targets"
    input_columns: tuple[str, ...] | None = None  # csv "inputs" (default: the other columns)
    validation_fraction: float = 0.0
    test_fraction: float = 0.0
    standardize: bool = False
    augment: AugmentSpec = AugmentSpec()  # what each epoch does to the training inputs
    input_names: tuple[str, ...] | None = None
    output_names: tuple[str, ...] | None = None

    @classmethod
    def from_json(cls, value: Any, path: str) -> DataSpec:
        """Read a ``data`` object: the keys its kind takes, then the common ones."""
        s = Section(value, path, _allowed_keys(value, path))
        kind = s.choice("kind", KINDS)
        chosen: dict[str, Any] = {"kind": kind, **DATA_KINDS[kind].read(s)}
        chosen.update(read_held_out_fractions(s))
        chosen["standardize"] = s.boolean("standardize", False)
        chosen["augment"] = _augment(s)
        chosen["input_names"] = _names(s, "input_names")
        chosen["output_names"] = _names(s, "output_names")
        return cls(**chosen)

    def to_json(self) -> dict[str, Any]:
        """The kind, the keys it takes and the common keys, each that is set."""
        keys = DATA_KINDS[self.kind].keys
        out: dict[str, Any] = {"kind": self.kind}
        for spec_field in fields(self):
            key = spec_field.name
            name = _CSV_KEYS.get(key, key) if self.kind == "csv" else key
            value = getattr(self, key)
            if key == "kind" or value is None or (name not in keys and key not in COMMON_KEYS):
                continue
            if key == "augment":
                out[key] = value.to_json()
                continue
            out[name] = [list(row) for row in value] if key in ("inputs", "targets") else \
                list(value) if isinstance(value, tuple) else value
        return out


@dataclass(frozen=True)
class DataFacts:
    """What the rest of an experiment must fit, known without generating the data."""

    inputs: int
    outputs: int
    samples: int  # before the validation and test splits


@dataclass(frozen=True)
class Dataset:
    """Training, validation and test arrays, as the network sees them (standardised if asked).

    The test set is held out from everything training does: no step, no validation, no
    stopping rule and no standardisation statistic reads it.
    """

    x_train: np.ndarray
    t_train: np.ndarray
    x_val: np.ndarray
    t_val: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    input_mean: np.ndarray = field(repr=False)  # network input = (raw - mean) / scale
    input_scale: np.ndarray = field(repr=False)

    @property
    def inputs(self) -> int:
        return self.x_train.shape[1]

    @property
    def facts(self) -> DataFacts:
        """Inputs, outputs and samples (training, validation and test together) of this data."""
        return DataFacts(self.inputs, self.outputs,
                         len(self.x_train) + len(self.x_val) + len(self.x_test))

    @property
    def outputs(self) -> int:
        return self.t_train.shape[1]

    def to_network(self, raw_inputs: np.ndarray) -> np.ndarray:
        """Map raw input coordinates (as the user sees them) to what the network receives."""
        return (raw_inputs - self.input_mean) / self.input_scale

    def to_raw(self, network_inputs: np.ndarray) -> np.ndarray:
        return network_inputs * self.input_scale + self.input_mean


def facts(spec: DataSpec, base_dir: Path | None = None) -> DataFacts:
    """Inputs, outputs and samples the data will have, found without generating it (a CSV
    file's table is read, through the cache of `read_table`)."""
    return DATA_KINDS[spec.kind].facts(spec, base_dir)


def same_samples(first: DataSpec, second: DataSpec) -> bool:
    """Whether the two specs give the same data, whatever each epoch's augmentation does."""
    return replace(first, augment=AugmentSpec()) == replace(second, augment=AugmentSpec())


def count_is_chosen(spec: DataSpec) -> bool:
    """Whether ``samples`` sets how many samples there are: a generated kind that takes it,
    without explicit inputs (a line's ``x``) fixing the count instead."""
    return "samples" in DATA_KINDS[spec.kind].keys and spec.x is None


def read_held_out_fractions(s: Section) -> dict[str, float]:
    """A data section's ``validation_fraction`` and ``test_fraction`` (dense or sequences):
    each at most 0.9, and at most 0.9 together."""
    fractions = {"validation_fraction": s.number("validation_fraction", 0.0, minimum=0.0,
                                                 maximum=0.9),
                 "test_fraction": s.number("test_fraction", 0.0, minimum=0.0, maximum=0.9)}
    if sum(fractions.values()) > 0.9:
        raise ExperimentError(s.at("test_fraction"), "validation_fraction and "
                              "test_fraction together may hold out at most 0.9 of the "
                              "samples")
    return fractions


def validation_size(samples: int, fraction: float) -> int:
    """Samples split off for validation: the nearest whole number, leaving one to train on."""
    return min(samples - 1, round(samples * fraction)) if fraction > 0.0 else 0


def held_out_size(samples: int, validation_fraction: float, test_fraction: float) -> int:
    """Samples split off for the test set: the nearest whole number, leaving one to train on
    after the validation split."""
    left = samples - validation_size(samples, validation_fraction)
    return min(left - 1, round(samples * test_fraction)) if test_fraction > 0.0 else 0


def build(spec: DataSpec, rng: np.random.Generator, split_rng: np.random.Generator,
          base_dir: Path | None = None) -> Dataset:
    """Generate or read the samples, split off validation and test, standardise if asked."""
    x, t, names_in, names_out = DATA_KINDS[spec.kind].samples(spec, rng, base_dir)
    x_train, t_train, x_val, t_val, x_test, t_test = split_samples(
        x, t, spec.validation_fraction, spec.test_fraction, split_rng)
    mean = np.zeros(x.shape[1])
    scale = np.ones(x.shape[1])
    if spec.standardize:
        mean = x_train.mean(axis=0)
        std = x_train.std(axis=0)
        scale = np.where(std > 0.0, std, 1.0)
        x_train = (x_train - mean) / scale
        x_val = (x_val - mean) / scale
        x_test = (x_test - mean) / scale
    return Dataset(x_train, t_train, x_val, t_val, x_test, t_test,
                   spec.input_names or names_in, spec.output_names or names_out, mean, scale)


def split_samples(x: np.ndarray, t: np.ndarray, validation_fraction: float,
                  test_fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """(x_train, t_train, x_val, t_val, x_test, t_test). One permutation: its first samples
    validate, the next ones test (so a test split leaves the validation split as it was)."""
    n = x.shape[0]
    n_val = validation_size(n, validation_fraction)
    n_test = held_out_size(n, validation_fraction, test_fraction)
    if n_val + n_test <= 0:
        return x, t, x[:0], t[:0], x[:0], t[:0]
    order = rng.permutation(n)
    val, test = np.sort(order[:n_val]), np.sort(order[n_val:n_val + n_test])
    train = np.sort(order[n_val + n_test:])
    return x[train], t[train], x[val], t[val], x[test], t[test]


# ---------------------------------------------------------------------------- generated sets

def _inline(spec: DataSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    inputs, targets = _inline_samples(spec)
    return np.array(inputs, dtype=np.float64), np.array(targets, dtype=np.float64)


Rows = tuple[tuple[float, ...], ...]


def _inline_samples(spec: DataSpec) -> tuple[Rows, Rows]:
    """An inline spec's inputs and targets, which its reader requires; ValueError for a spec
    made in code without them."""
    if spec.inputs is None or spec.targets is None:
        raise ValueError('data kind "inline" needs inputs and targets')
    return spec.inputs, spec.targets


def _inline_dimensions(spec: DataSpec) -> tuple[int, int]:
    inputs, targets = _inline_samples(spec)
    return len(inputs[0]), len(targets[0])


def _xor(spec: DataSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return x, np.array([[0.0], [1.0], [1.0], [0.0]])


def _xor_cloud(spec: DataSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-1.0, 1.0, (spec.samples, 2))
    t = (x[:, 0] * x[:, 1] < 0.0).astype(np.float64)[:, None]  # 1 where the signs differ
    return x + rng.normal(0.0, spec.noise, x.shape), t


def _circles(spec: DataSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n_outer = spec.samples // 2
    labels = np.r_[np.zeros(n_outer), np.ones(spec.samples - n_outer)]
    radius = np.where(labels == 0.0, 1.0, spec.factor)
    angle = rng.uniform(0.0, 2.0 * math.pi, spec.samples)
    x = np.c_[radius * np.cos(angle), radius * np.sin(angle)]
    return x + rng.normal(0.0, spec.noise, x.shape), labels[:, None]


def _class_labels(samples: int, classes: int) -> np.ndarray:
    return np.arange(samples) % classes


def _encode(labels: np.ndarray, spec: DataSpec) -> np.ndarray:
    if spec.encoding == "one_hot":
        return np.eye(spec.classes)[labels]
    return labels.astype(np.float64)[:, None]


def _gaussians(spec: DataSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = _class_labels(spec.samples, spec.classes)
    angles = 2.0 * math.pi * labels / spec.classes
    centres = np.c_[np.cos(angles), np.sin(angles)]
    return centres + rng.normal(0.0, spec.noise, centres.shape), _encode(labels, spec)


def _spiral(spec: DataSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = _class_labels(spec.samples, spec.classes)
    radius = rng.uniform(0.05, 1.0, spec.samples)
    angle = 2.0 * math.pi * (labels / spec.classes + spec.turns * radius)
    x = np.c_[radius * np.cos(angle), radius * np.sin(angle)]
    return x + rng.normal(0.0, spec.noise, x.shape), _encode(labels, spec)


def _moons(spec: DataSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n_upper = spec.samples // 2
    labels = np.r_[np.zeros(n_upper), np.ones(spec.samples - n_upper)]
    angle = rng.uniform(0.0, math.pi, spec.samples)
    upper = np.c_[np.cos(angle), np.sin(angle)]
    lower = np.c_[1.0 - np.cos(angle), 0.5 - np.sin(angle)]
    x = np.where(labels[:, None] == 0.0, upper, lower) - np.array([0.5, 0.25])
    return x + rng.normal(0.0, spec.noise, x.shape), labels[:, None]


def _line(spec: DataSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if spec.x is not None:
        x = np.array(spec.x, dtype=np.float64)[:, None]
    else:
        x = np.linspace(-1.0, 1.0, spec.samples)[:, None]
    z = spec.slope * x
    if spec.noise > 0.0:
        z = z + rng.normal(0.0, spec.noise, x.shape)
    return x, z


def _sine(spec: DataSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = np.sort(rng.uniform(-math.pi, math.pi, spec.samples))[:, None]
    return x, np.sin(x) + rng.normal(0.0, spec.noise, x.shape)


def _all_patterns(bits: int) -> np.ndarray:
    codes = np.arange(2 ** bits)
    return ((codes[:, None] >> np.arange(bits - 1, -1, -1)) & 1).astype(np.float64)


def _symmetry(spec: DataSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = _all_patterns(spec.bits)
    return x, np.all(x == x[:, ::-1], axis=1).astype(np.float64)[:, None]


def _parity(spec: DataSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = _all_patterns(spec.bits)
    return x, (x.sum(axis=1) % 2.0)[:, None]


def _encoder(spec: DataSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    identity = np.eye(spec.size)
    return identity, identity.copy()


def _spam(spec: DataSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Word counts per e-mail: spam uses the trigger words and shouting far more often.
    spam_rates = np.array([1.5, 1.0, 1.0, 3.0, 3.0])
    ham_rates = np.array([0.2, 0.1, 0.3, 0.6, 0.5])
    labels = (np.arange(spec.samples) % 2 == 0).astype(np.float64)
    rates = np.where(labels[:, None] == 1.0, spam_rates, ham_rates)
    x = rng.poisson(rates).astype(np.float64)
    x[0] = SPAM_EXAMPLE  # the seed's e-mail is always sample 0, so it can be followed
    flips = rng.random(spec.samples) < spec.noise
    flips[0] = False
    labels = np.where(flips, 1.0 - labels, labels)
    return x, labels[:, None]


# ---------------------------------------------------------------------------- reading the kinds

Reader = Callable[[Section], dict[str, Any]]  # the values of a kind's keys, defaults filled in


def _samples_and_noise(noise: float, max_noise: float = 100.0) -> Reader:
    """``samples`` and ``noise`` with this kind's default noise."""
    def read(s: Section) -> dict[str, Any]:
        return {"samples": s.integer("samples", 200, minimum=2, maximum=MAX_SAMPLES),
                "noise": s.number("noise", noise, minimum=0.0, maximum=max_noise)}
    return read


def _then(*readers: Reader) -> Reader:
    """The readers one after another (so a file's first problem is the one reported)."""
    return lambda s: {key: value for read in readers for key, value in read(s).items()}


def _nothing(s: Section) -> dict[str, Any]:
    return {}


def _classes(s: Section) -> dict[str, Any]:
    classes = s.integer("classes", 2, minimum=2, maximum=5)
    encoding = s.choice("encoding", ("binary", "one_hot"), "binary" if classes == 2 else "one_hot")
    if encoding == "binary" and classes != 2:
        raise ExperimentError(s.at("encoding"), f'"binary" needs 2 classes, got {classes}; '
                                                'use "one_hot"')
    return {"classes": classes, "encoding": encoding}


def _bits(default: int) -> Reader:
    return lambda s: {"bits": s.integer("bits", default, minimum=1, maximum=MAX_BITS)}


def _read_line(s: Section) -> dict[str, Any]:
    chosen: dict[str, Any] = {"slope": s.number("slope", 2.0, minimum=-1e6, maximum=1e6)}
    if s.has("x"):
        chosen["x"] = tuple(read_vector(s.raw("x"), s.at("x"), None, MAX_SAMPLES))
        if not chosen["x"]:
            raise ExperimentError(s.at("x"), "must hold at least one number")
    return chosen


def _read_inline(s: Section) -> dict[str, Any]:
    _check_inline_size(s)
    inputs = read_matrix(s.raw("inputs"), s.at("inputs"), None, None, MAX_SAMPLES,
                         MAX_FEATURES)
    if not inputs or not inputs[0]:
        raise ExperimentError(s.at("inputs"), "must hold at least one sample of one number")
    targets = _inline_targets(s, len(inputs))
    return {"inputs": tuple(map(tuple, inputs)), "targets": tuple(map(tuple, targets))}


def _check_inline_size(s: Section) -> None:
    """At most MAX_DATA_NUMBERS numbers, told from the lists' lengths before a number is read
    (the shapes are checked as they are read)."""
    numbers = 0
    for key in ("inputs", "targets"):
        rows = s.raw(key)
        if isinstance(rows, list) and rows:
            numbers += len(rows) * (len(rows[0]) if isinstance(rows[0], list) else 1)
    if numbers > MAX_DATA_NUMBERS:
        raise ExperimentError(s.at("inputs"), f"inputs and targets hold {numbers:,} numbers; "
                                              f"at most {MAX_DATA_NUMBERS:,} are allowed")


def _inline_targets(s: Section, samples: int) -> list[list[float]]:
    raw = s.raw("targets")
    if isinstance(raw, list) and raw and not isinstance(raw[0], list):
        # One target per sample may be written flat; errors then name the flat positions.
        flat = read_vector(raw, s.at("targets"), samples, MAX_SAMPLES)
        return [[value] for value in flat]
    targets = read_matrix(raw, s.at("targets"), samples, None, MAX_SAMPLES, MAX_FEATURES)
    if not targets[0]:
        raise ExperimentError(s.at("targets"), "each sample needs at least one target")
    return targets


def _read_csv_keys(s: Section) -> dict[str, Any]:
    path = s.text("path", max_length=4096)
    if "\x00" in path:  # no file system allows it; open() would raise
        raise ExperimentError(s.at("path"), "must not hold a NUL character")
    targets = _column_names(s, "targets")
    inputs = _column_names(s, "inputs") if s.has("inputs") else None
    _check_columns(s, targets, inputs or ())
    return {"path": path, "target_columns": targets, "input_columns": inputs}


def _check_columns(s: Section, targets: tuple[str, ...], inputs: tuple[str, ...]) -> None:
    """Each CSV column is used once: a target that is also an input would give the answer away."""
    for key, names in (("targets", targets), ("inputs", inputs)):
        for number, name in enumerate(names):
            if name in names[:number]:
                raise ExperimentError(f"{s.at(key)}[{number}]", f'names column "{name}" twice')
    for number, name in enumerate(inputs):
        if name in targets:
            raise ExperimentError(f"{s.at('inputs')}[{number}]", f'column "{name}" is also a '
                                                                 'target')


def _names(s: Section, key: str) -> tuple[str, ...] | None:
    """The names listed under ``key``; None if the file leaves the key out."""
    return _listed_names(s, key) if s.has(key) else None


def _column_names(s: Section, key: str) -> tuple[str, ...]:
    """At least one column name, listed under the required ``key``."""
    names = _listed_names(s, key)
    if not names:
        raise ExperimentError(s.at(key), "must name at least one column")
    return names


def _listed_names(s: Section, key: str) -> tuple[str, ...]:
    items = s.list(key, max_length=2 * MAX_FEATURES)
    return tuple(read_text(v, f"{s.at(key)}[{i}]", MAX_NAME) for i, v in enumerate(items))


def _augment(s: Section) -> AugmentSpec:
    """The ``augment`` object, or the older ``jitter`` key: the noise of augmentation alone."""
    if s.has("jitter"):
        if s.has("augment"):
            raise ExperimentError(s.at("jitter"), "is the older name of augment.noise: give "
                                                  "the noise in augment only")
        return AugmentSpec(noise=read_noise(s, "jitter"))
    return AugmentSpec.from_json(s.raw("augment", {}), s.at("augment"))


def _allowed_keys(value: Any, path: str) -> tuple[str, ...]:
    """The keys allowed in the ``data`` object, which depend on its kind."""
    if not isinstance(value, dict):
        return COMMON_KEYS  # Section then reports that data must be an object
    if "kind" not in value:
        raise ExperimentError(join_path(path, "kind"), "is required")
    kind = read_choice(value["kind"], join_path(path, "kind"), KINDS)
    allowed = COMMON_KEYS + DATA_KINDS[kind].keys
    for key in value:
        if key not in allowed and any(key in other.keys for other in DATA_KINDS.values()):
            raise ExperimentError(join_path(path, key), f'is not used by data kind "{kind}"')
    return allowed


# ---------------------------------------------------------------------------- the kinds

Samples = tuple[np.ndarray, np.ndarray, tuple[str, ...], tuple[str, ...]]  # x, t, their names


def _numbered_inputs(count: int) -> tuple[str, ...]:
    return tuple(f"x{i + 1}" for i in range(count))


def _numbered_outputs(count: int) -> tuple[str, ...]:
    return ("y",) if count == 1 else tuple(f"y{j + 1}" for j in range(count))


@dataclass(frozen=True)
class DataKind:
    """Everything the program knows about one kind of data set that it makes itself.

    ``keys`` are the keys the kind takes besides the common ones, in the order an error lists
    them; ``read`` reads them (in the order their problems are reported), defaults filled in.
    ``dimensions`` and ``sample_count`` tell the shape without generating; ``generate`` makes
    inputs and targets from the spec and the data stream.
    """

    name: str
    keys: tuple[str, ...]
    read: Reader
    generate: Callable[[DataSpec, np.random.Generator], tuple[np.ndarray, np.ndarray]]
    dimensions: Callable[[DataSpec], tuple[int, int]]
    sample_count: Callable[[DataSpec], int] = lambda spec: spec.samples
    input_names: Callable[[int], tuple[str, ...]] = _numbered_inputs
    output_names: Callable[[int], tuple[str, ...]] = _numbered_outputs

    def facts(self, spec: DataSpec, base_dir: Path | None) -> DataFacts:
        inputs, outputs = self.dimensions(spec)
        return DataFacts(inputs, outputs, self.sample_count(spec))

    def samples(self, spec: DataSpec, rng: np.random.Generator,
                base_dir: Path | None) -> Samples:
        x, t = self.generate(spec, rng)
        return x, t, self.input_names(x.shape[1]), self.output_names(t.shape[1])


@dataclass(frozen=True)
class CsvKind:
    """The data kind read from a CSV file, with the same interface as `DataKind`."""

    name: str = "csv"
    keys: tuple[str, ...] = ("path", "targets", "inputs")
    read: Reader = _read_csv_keys

    def facts(self, spec: DataSpec, base_dir: Path | None) -> DataFacts:
        table = read_table(csv_path(spec, base_dir))
        inputs, targets = csv_columns(spec, table.header)
        return DataFacts(len(inputs), len(targets), len(table.rows))

    def samples(self, spec: DataSpec, rng: np.random.Generator,
                base_dir: Path | None) -> Samples:
        header, rows = read_table(csv_path(spec, base_dir))
        inputs, targets = csv_columns(spec, header)
        x, t = table_to_arrays(header, rows, inputs, targets)
        return x, t, tuple(header[i] for i in inputs), tuple(header[i] for i in targets)


def _two_in_one_out(spec: DataSpec) -> tuple[int, int]:
    return 2, 1


def _one_in_one_out(spec: DataSpec) -> tuple[int, int]:
    return 1, 1


def _two_in_class_out(spec: DataSpec) -> tuple[int, int]:
    return 2, (spec.classes if spec.encoding == "one_hot" else 1)


DATA_KINDS: dict[str, DataKind | CsvKind] = {kind.name: kind for kind in (
    DataKind("inline", ("inputs", "targets"), _read_inline, _inline, _inline_dimensions,
             sample_count=lambda spec: len(_inline_samples(spec)[0])),
    DataKind("xor", (), _nothing, _xor, _two_in_one_out, sample_count=lambda spec: 4),
    DataKind("xor_cloud", ("samples", "noise"), _samples_and_noise(0.1), _xor_cloud,
             _two_in_one_out),
    DataKind("circles", ("samples", "noise", "factor"),
             _then(_samples_and_noise(0.08), lambda s: {
                 "factor": s.number("factor", 0.5, minimum=0.0, maximum=1.0)}),
             _circles, _two_in_one_out),
    DataKind("gaussians", ("samples", "noise", "classes", "encoding"),
             _then(_samples_and_noise(0.35), _classes), _gaussians, _two_in_class_out),
    DataKind("spiral", ("samples", "noise", "classes", "turns", "encoding"),
             _then(_samples_and_noise(0.05), _classes, lambda s: {
                 "turns": s.number("turns", 1.0, minimum=0.0, maximum=10.0)}),
             _spiral, _two_in_class_out),
    DataKind("moons", ("samples", "noise"), _samples_and_noise(0.1), _moons, _two_in_one_out),
    DataKind("line", ("slope", "x", "samples", "noise"),
             _then(_samples_and_noise(0.0), _read_line), _line, _one_in_one_out,
             sample_count=lambda spec: spec.samples if spec.x is None else len(spec.x),
             input_names=lambda count: ("x",), output_names=lambda count: ("z",)),
    DataKind("sine", ("samples", "noise"), _samples_and_noise(0.1), _sine, _one_in_one_out),
    DataKind("symmetry", ("bits",), _bits(6), _symmetry, lambda spec: (spec.bits, 1),
             sample_count=lambda spec: 2 ** spec.bits),
    DataKind("parity", ("bits",), _bits(3), _parity, lambda spec: (spec.bits, 1),
             sample_count=lambda spec: 2 ** spec.bits),
    DataKind("encoder", ("size",),
             lambda s: {"size": s.integer("size", 8, minimum=2, maximum=MAX_FEATURES)},
             _encoder, lambda spec: (spec.size, spec.size), sample_count=lambda spec: spec.size),
    # spam's noise is the probability of flipping a label; the others' a standard deviation
    DataKind("spam", ("samples", "noise"), _samples_and_noise(0.05, max_noise=1.0), _spam,
             lambda spec: (len(SPAM_FEATURES), 1), input_names=lambda count: SPAM_FEATURES),
    CsvKind(),
)}
KINDS = tuple(DATA_KINDS)


# ---------------------------------------------------------------------------- CSV files

def csv_path(spec: DataSpec, base_dir: Path | None) -> Path:
    """The CSV file of a csv spec, relative paths taken from ``base_dir`` (if given); ValueError
    for a spec made in code without a path (its reader requires one)."""
    if spec.path is None:
        raise ValueError('data kind "csv" needs a path')
    path = Path(spec.path)
    return path if path.is_absolute() or base_dir is None else base_dir / path


class CsvRow(tuple):
    """The cells of one CSV row, with the row number a spreadsheet shows for it."""

    number: int

    def __new__(cls, cells: list[str], number: int) -> CsvRow:
        row = super().__new__(cls, cells)
        row.number = number
        return row


class CsvTable(tuple):
    """A CSV file's header and rows, as text, checked to be a table (unpacks as both)."""

    def __new__(cls, header: tuple[str, ...], rows: tuple[CsvRow, ...]) -> CsvTable:
        return super().__new__(cls, (header, rows))

    @property
    def header(self) -> tuple[str, ...]:
        return self[0]

    @property
    def rows(self) -> tuple[CsvRow, ...]:
        return self[1]


def _cells(table: CsvTable) -> int:
    return len(table.header) * (len(table.rows) + 1)


def _read_table_file(path: Path) -> CsvTable:
    name = path_text(path)
    try:
        raw = read_regular(path, MAX_CSV_BYTES)
    except OSError as error:
        raise ExperimentError("data.path", f"cannot read {name}: {error.strerror}") from None
    if raw is None:
        raise ExperimentError("data.path", f"file is larger than {MAX_CSV_BYTES >> 20} MB: "
                                           f"{name}")
    text = csv_text(raw, name)
    del raw  # the text is all that is needed from here
    return parse_csv_text(text, name)


# Up to three of the largest tables are kept: a table larger than all of them is read again.
CSV_TABLES: FileCache[CsvTable] = FileCache(_read_table_file, _cells, capacity=4,
                                            max_weight=3 * MAX_CSV_CELLS)


def read_table(path: Path) -> CsvTable:
    """The header and rows of the CSV file at ``path``, as text, with size and shape checked;
    ExperimentError (field data.path) if the file cannot be read, is too large or is not a
    table. Read once while the file is unchanged: see `sim.file_cache`."""
    return CSV_TABLES.get(path)


def read_table_head(path: Path, rows: int) -> tuple[CsvTable, bool]:
    """The header and first ``rows`` rows of the CSV file at ``path``, read from at most its
    first CSV_HEAD_BYTES, and whether the file holds more rows than those: a preview, which
    takes no longer for a large table than for a small one. The header is checked as
    ``read_table`` checks it; the rest of the table is checked when it is read whole."""
    name = path_text(path)
    try:
        raw, more = read_regular_head(path, CSV_HEAD_BYTES)
    except OSError as error:
        raise ExperimentError("data.path", f"cannot read {name}: {error.strerror}") from None
    if more:  # end at the last whole line: a line end never falls inside a UTF-8 character
        end = max(raw.rfind(b"\n"), raw.rfind(b"\r"))
        if end < 0:
            raise ExperimentError("data.path", f"{name} has no line end in its first "
                                               f"{CSV_HEAD_BYTES >> 20} MB: it is not a table")
        raw = raw[:end + 1]
    table = parse_csv_text(csv_text(raw, name), name, rows + 1)
    return CsvTable(table.header, table.rows[:rows]), more or len(table.rows) > rows


def csv_text(raw: bytes, name: str) -> str:
    """The text of a CSV file's bytes; ExperimentError if they are not UTF-8 text."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ExperimentError("data.path", f"{name} is not UTF-8 text (byte {error.start})") \
            from None
    if "\x00" in text:
        raise ExperimentError("data.path", f"{name} is not a text file (it holds NUL bytes)")
    return text


def parse_csv_text(text: str, name: str, limit: int | None = None) -> CsvTable:
    """Split CSV text into a header and rows (at most ``limit`` of them, if given), refusing
    what is not a rectangular table.

    The limits on columns, rows and cells are checked as the rows are read: a table too large
    is refused as soon as that is certain, without reading the rest of it.
    """
    rows = _non_blank_rows(text, name, limit)
    if not rows:
        raise ExperimentError("data.path", f"{name} is empty")
    header = tuple(cell.strip() for cell in rows[0])
    if len(rows) < 2:
        raise ExperimentError("data.path", f"{name} has a header but no data rows")
    for number, column in enumerate(header):
        if not column:
            raise ExperimentError("data.path", f"{name}: header column {number + 1} is empty")
        if column in header[:number]:  # a name must pick one column, or a target could leak
            raise ExperimentError("data.path", f'{name}: header column {number + 1} repeats '
                                               f'the name "{column}"')
        if len(column) > MAX_NAME:  # it becomes a unit's name, which the app draws
            raise ExperimentError("data.path", f"{name}: header column {number + 1} is longer "
                                               f"than {MAX_NAME} characters")
    return CsvTable(header, tuple(rows[1:]))


def _non_blank_rows(text: str, name: str, limit: int | None) -> list[CsvRow]:
    """Rows with their numbers counted as a spreadsheet counts them, blank rows left out; the
    header (the first) of at most 2 * MAX_FEATURES cells, then at most MAX_SAMPLES rows of
    MAX_CSV_CELLS cells in all; reading stops after ``limit`` rows below the header."""
    rows: list[CsvRow] = []
    number = cells_read = 0
    try:
        for number, cells in enumerate(csv.reader(_lines(text)), start=1):
            if not any(cell.strip() for cell in cells):
                continue
            if rows:
                cells_read += len(cells)
            elif len(cells) > MAX_FEATURES * 2:
                raise ExperimentError("data.path", f"{name} has {len(cells)} columns; "
                                                   f"at most {MAX_FEATURES * 2} are allowed")
            rows.append(CsvRow(cells, number))
            if limit is not None and len(rows) > limit:
                break
            if len(rows) - 1 > MAX_SAMPLES:
                raise ExperimentError("data.path", f"{name} has more than {MAX_SAMPLES} rows; "
                                                   f"at most {MAX_SAMPLES} are allowed")
            if cells_read > MAX_CSV_CELLS:
                raise ExperimentError("data.path", f"{name} has more than {MAX_CSV_CELLS:,} "
                                                   f"cells (by row {number}); at most "
                                                   f"{MAX_CSV_CELLS:,} are allowed")
    except csv.Error as error:  # e.g. a cell longer than the csv module's field limit
        raise ExperimentError("data.path", f"{name}: row {number + 1}: {error}") from None
    return rows


_LINE_END = re.compile(r"\r\n|\r|\n")


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text``, each ending in "\n", one at a time (as io.StringIO with
    newline=None gives them, without its copy of the text, four bytes a character): rows may
    end in \n, \r\n or a bare \r (as Excel for Mac writes them)."""
    start = 0
    for end in _LINE_END.finditer(text):
        yield text[start:end.start()] + "\n"
        start = end.end()
    if start < len(text):
        yield text[start:]


def csv_columns(spec: DataSpec, header: Sequence[str]) -> tuple[list[int], list[int]]:
    """The indices of the input and target columns that ``spec`` names in ``header``."""
    for name in spec.target_columns:
        if name not in header:
            raise ExperimentError("data.targets", f'no column named "{name}" in the header')
    targets = [header.index(name) for name in spec.target_columns]
    if spec.input_columns is None:
        inputs = [i for i in range(len(header)) if i not in targets]
    else:
        for name in spec.input_columns:
            if name not in header:
                raise ExperimentError("data.inputs", f'no column named "{name}" in the header')
        inputs = [header.index(name) for name in spec.input_columns]
    if not inputs:
        raise ExperimentError("data.inputs", "no input columns are left besides the targets")
    if len(inputs) > MAX_FEATURES or len(targets) > MAX_FEATURES:
        raise ExperimentError("data.path", f"at most {MAX_FEATURES} input and target columns")
    return inputs, targets


def table_to_arrays(header: Sequence[str], rows: Sequence[Sequence[str]], inputs: list[int],
                    targets: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Numbers from the chosen columns; a bad cell is named by its line and column."""
    used = inputs + targets
    values = np.empty((len(rows), len(used)))
    for r, row in enumerate(rows):
        line = getattr(row, "number", r + 2)  # as a spreadsheet shows it (blank rows count)
        if len(row) != len(header):
            raise ExperimentError("data.path", f"row {line}: has {len(row)} cells, "
                                               f"the header has {len(header)}")
        for c, column in enumerate(used):
            cell = row[column].strip()
            try:
                number = float(cell)
            except ValueError:
                raise ExperimentError("data.path", f'row {line}, column "{header[column]}": '
                                                   f"not a number: {cell[:20]!r}") from None
            if not math.isfinite(number):
                raise ExperimentError("data.path", f'row {line}, column "{header[column]}": '
                                                   f"not a finite number: {cell[:20]!r}")
            values[r, c] = number
    return values[:, :len(inputs)], values[:, len(inputs):]
