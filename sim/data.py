"""Training data: inline samples, generated sets (seeded) and CSV files.

Every generated set is a pure function of its parameters and the experiment's data stream, so
the same file and seed always give the same points. Inputs have shape (samples, inputs) and
targets (samples, outputs); classification targets are 0/1 (one column for two classes,
one-hot columns for more).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .schema import MAX_NAME, ExperimentError, read_at_most

MAX_SAMPLES = 100_000
MAX_FEATURES = 256
MAX_BITS = 12
MAX_CSV_BYTES = 50 * 1024 * 1024

# Each data kind and the keys it takes besides the common ones.
KIND_KEYS: dict[str, tuple[str, ...]] = {
    "inline": ("inputs", "targets"),
    "xor": (),
    "xor_cloud": ("samples", "noise"),
    "circles": ("samples", "noise", "factor"),
    "gaussians": ("samples", "noise", "classes", "encoding"),
    "spiral": ("samples", "noise", "classes", "turns", "encoding"),
    "moons": ("samples", "noise"),
    "line": ("slope", "x", "samples", "noise"),
    "sine": ("samples", "noise"),
    "symmetry": ("bits",),
    "parity": ("bits",),
    "encoder": ("size",),
    "spam": ("samples", "noise"),
    "csv": ("path", "targets", "inputs"),
}
COMMON_KEYS = ("kind", "validation_fraction", "standardize", "jitter", "input_names",
               "output_names")
DEFAULT_NOISE = {"xor_cloud": 0.1, "circles": 0.08, "gaussians": 0.35, "spiral": 0.05,
                 "moons": 0.1, "line": 0.0, "sine": 0.1, "spam": 0.05}
SPAM_FEATURES = ("FREE", "MONEY", "CLICK", "!", "ALL CAPS")
SPAM_EXAMPLE = (2.0, 1.0, 1.0, 3.0, 4.0)  # seed 000's "FREE MONEY CLICK NOW!!!"


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
    standardize: bool = False
    jitter: float = 0.0  # std of Gaussian noise added to training inputs each epoch
    input_names: tuple[str, ...] | None = None
    output_names: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Dataset:
    """Training and validation arrays, as the network sees them (standardised if asked)."""

    x_train: np.ndarray
    t_train: np.ndarray
    x_val: np.ndarray
    t_val: np.ndarray
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    input_mean: np.ndarray = field(repr=False)  # network input = (raw - mean) / scale
    input_scale: np.ndarray = field(repr=False)

    @property
    def inputs(self) -> int:
        return self.x_train.shape[1]

    @property
    def outputs(self) -> int:
        return self.t_train.shape[1]

    def to_network(self, raw_inputs: np.ndarray) -> np.ndarray:
        """Map raw input coordinates (as the user sees them) to what the network receives."""
        return (raw_inputs - self.input_mean) / self.input_scale

    def to_raw(self, network_inputs: np.ndarray) -> np.ndarray:
        return network_inputs * self.input_scale + self.input_mean


def dimensions(spec: DataSpec, base_dir: Path | None = None) -> tuple[int, int]:
    """(inputs, outputs) the data will have, found without generating it."""
    kind = spec.kind
    if kind == "inline":
        return len(spec.inputs[0]), len(spec.targets[0])
    if kind in ("xor", "xor_cloud", "circles", "moons"):
        return 2, 1
    if kind in ("gaussians", "spiral"):
        return 2, (spec.classes if spec.encoding == "one_hot" else 1)
    if kind in ("line", "sine"):
        return 1, 1
    if kind in ("symmetry", "parity"):
        return spec.bits, 1
    if kind == "encoder":
        return spec.size, spec.size
    if kind == "spam":
        return len(SPAM_FEATURES), 1
    header = _read_csv(spec, base_dir)[0]
    inputs, targets = csv_columns(spec, header)
    return len(inputs), len(targets)


def sample_count(spec: DataSpec, base_dir: Path | None = None) -> int:
    """How many samples the data will have (before the split), found without generating it."""
    kind = spec.kind
    if kind == "inline":
        return len(spec.inputs)
    if kind == "xor":
        return 4
    if kind in ("symmetry", "parity"):
        return 2 ** spec.bits
    if kind == "encoder":
        return spec.size
    if kind == "line" and spec.x is not None:
        return len(spec.x)
    if kind == "csv":
        return len(_read_csv(spec, base_dir)[1])
    return spec.samples


def validation_size(samples: int, fraction: float) -> int:
    """Samples split off for validation: the nearest whole number, leaving one to train on."""
    return min(samples - 1, int(round(samples * fraction))) if fraction > 0.0 else 0


def build(spec: DataSpec, rng: np.random.Generator, split_rng: np.random.Generator,
          base_dir: Path | None = None) -> Dataset:
    """Generate or read the samples, split off validation, standardise if asked."""
    x, t, names_in, names_out = _samples(spec, rng, base_dir)
    x_train, t_train, x_val, t_val = _split(x, t, spec.validation_fraction, split_rng)
    mean = np.zeros(x.shape[1])
    scale = np.ones(x.shape[1])
    if spec.standardize:
        mean = x_train.mean(axis=0)
        std = x_train.std(axis=0)
        scale = np.where(std > 0.0, std, 1.0)
        x_train = (x_train - mean) / scale
        x_val = (x_val - mean) / scale
    return Dataset(x_train, t_train, x_val, t_val,
                   spec.input_names or names_in, spec.output_names or names_out, mean, scale)


def _samples(spec: DataSpec, rng: np.random.Generator, base_dir: Path | None):
    if spec.kind == "csv":
        return _load_csv(spec, base_dir)
    x, t = _GENERATORS[spec.kind](spec, rng)
    return x, t, _input_names(spec, x.shape[1]), _output_names(spec, t.shape[1])


def _input_names(spec: DataSpec, count: int) -> tuple[str, ...]:
    if spec.kind == "spam":
        return SPAM_FEATURES
    if spec.kind == "line":
        return ("x",)
    return tuple(f"x{i + 1}" for i in range(count))


def _output_names(spec: DataSpec, count: int) -> tuple[str, ...]:
    if spec.kind == "line":
        return ("z",)
    return ("y",) if count == 1 else tuple(f"y{j + 1}" for j in range(count))


def _split(x: np.ndarray, t: np.ndarray, fraction: float, rng: np.random.Generator):
    n = x.shape[0]
    n_val = validation_size(n, fraction)
    if n_val <= 0:
        return x, t, x[:0], t[:0]
    order = rng.permutation(n)
    train, val = np.sort(order[n_val:]), np.sort(order[:n_val])
    return x[train], t[train], x[val], t[val]


# ---------------------------------------------------------------------------- generated sets

def _inline(spec: DataSpec, rng: np.random.Generator):
    return np.array(spec.inputs, dtype=np.float64), np.array(spec.targets, dtype=np.float64)


def _xor(spec: DataSpec, rng: np.random.Generator):
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return x, np.array([[0.0], [1.0], [1.0], [0.0]])


def _xor_cloud(spec: DataSpec, rng: np.random.Generator):
    x = rng.uniform(-1.0, 1.0, (spec.samples, 2))
    t = (x[:, 0] * x[:, 1] < 0.0).astype(np.float64)[:, None]  # 1 where the signs differ
    return x + rng.normal(0.0, spec.noise, x.shape), t


def _circles(spec: DataSpec, rng: np.random.Generator):
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


def _gaussians(spec: DataSpec, rng: np.random.Generator):
    labels = _class_labels(spec.samples, spec.classes)
    angles = 2.0 * math.pi * labels / spec.classes
    centres = np.c_[np.cos(angles), np.sin(angles)]
    return centres + rng.normal(0.0, spec.noise, centres.shape), _encode(labels, spec)


def _spiral(spec: DataSpec, rng: np.random.Generator):
    labels = _class_labels(spec.samples, spec.classes)
    radius = rng.uniform(0.05, 1.0, spec.samples)
    angle = 2.0 * math.pi * (labels / spec.classes + spec.turns * radius)
    x = np.c_[radius * np.cos(angle), radius * np.sin(angle)]
    return x + rng.normal(0.0, spec.noise, x.shape), _encode(labels, spec)


def _moons(spec: DataSpec, rng: np.random.Generator):
    n_upper = spec.samples // 2
    labels = np.r_[np.zeros(n_upper), np.ones(spec.samples - n_upper)]
    angle = rng.uniform(0.0, math.pi, spec.samples)
    upper = np.c_[np.cos(angle), np.sin(angle)]
    lower = np.c_[1.0 - np.cos(angle), 0.5 - np.sin(angle)]
    x = np.where(labels[:, None] == 0.0, upper, lower) - np.array([0.5, 0.25])
    return x + rng.normal(0.0, spec.noise, x.shape), labels[:, None]


def _line(spec: DataSpec, rng: np.random.Generator):
    if spec.x is not None:
        x = np.array(spec.x, dtype=np.float64)[:, None]
    else:
        x = np.linspace(-1.0, 1.0, spec.samples)[:, None]
    z = spec.slope * x
    if spec.noise > 0.0:
        z = z + rng.normal(0.0, spec.noise, x.shape)
    return x, z


def _sine(spec: DataSpec, rng: np.random.Generator):
    x = np.sort(rng.uniform(-math.pi, math.pi, spec.samples))[:, None]
    return x, np.sin(x) + rng.normal(0.0, spec.noise, x.shape)


def _all_patterns(bits: int) -> np.ndarray:
    codes = np.arange(2 ** bits)
    return ((codes[:, None] >> np.arange(bits - 1, -1, -1)) & 1).astype(np.float64)


def _symmetry(spec: DataSpec, rng: np.random.Generator):
    x = _all_patterns(spec.bits)
    return x, np.all(x == x[:, ::-1], axis=1).astype(np.float64)[:, None]


def _parity(spec: DataSpec, rng: np.random.Generator):
    x = _all_patterns(spec.bits)
    return x, (x.sum(axis=1) % 2.0)[:, None]


def _encoder(spec: DataSpec, rng: np.random.Generator):
    identity = np.eye(spec.size)
    return identity, identity.copy()


def _spam(spec: DataSpec, rng: np.random.Generator):
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


_GENERATORS = {"inline": _inline, "xor": _xor, "xor_cloud": _xor_cloud, "circles": _circles,
               "gaussians": _gaussians, "spiral": _spiral, "moons": _moons, "line": _line,
               "sine": _sine, "symmetry": _symmetry, "parity": _parity, "encoder": _encoder,
               "spam": _spam}


# ---------------------------------------------------------------------------- CSV files

def csv_path(spec: DataSpec, base_dir: Path | None) -> Path:
    path = Path(spec.path)
    return path if path.is_absolute() or base_dir is None else base_dir / path


def _read_csv(spec: DataSpec, base_dir: Path | None) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV file as text, with size and shape checked."""
    path = csv_path(spec, base_dir)
    try:
        raw = read_at_most(path, MAX_CSV_BYTES)
    except OSError as error:
        raise ExperimentError("data.path", f"cannot read {path}: {error.strerror}") from None
    if raw is None:
        raise ExperimentError("data.path", f"file is larger than {MAX_CSV_BYTES >> 20} MB: "
                                           f"{path}")
    return parse_csv_text(raw, str(path))


class CsvRow(list):
    """The cells of one CSV row, with the row number a spreadsheet shows for it."""

    def __init__(self, cells: list[str], number: int) -> None:
        super().__init__(cells)
        self.number = number


def parse_csv_text(raw: bytes, name: str) -> tuple[list[str], list[list[str]]]:
    """Split CSV bytes into a header and rows, refusing what is not a rectangular table."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ExperimentError("data.path", f"{name} is not UTF-8 text (byte {error.start})") \
            from None
    if "\x00" in text:
        raise ExperimentError("data.path", f"{name} is not a text file (it holds NUL bytes)")
    rows = _non_blank_rows(text, name)
    if not rows:
        raise ExperimentError("data.path", f"{name} is empty")
    header = [cell.strip() for cell in rows[0]]
    if len(header) > MAX_FEATURES * 2:
        raise ExperimentError("data.path", f"{name} has {len(header)} columns; "
                                           f"at most {MAX_FEATURES * 2} are allowed")
    if len(rows) - 1 > MAX_SAMPLES:
        raise ExperimentError("data.path", f"{name} has {len(rows) - 1} rows; "
                                           f"at most {MAX_SAMPLES} are allowed")
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
    return header, rows[1:]


def _non_blank_rows(text: str, name: str) -> list[CsvRow]:
    """Rows with their numbers counted as a spreadsheet counts them, blank rows left out."""
    rows: list[CsvRow] = []
    number = 0
    try:
        # newline=None: rows may end in \n, \r\n or a bare \r (as Excel for Mac writes them)
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=None)), start=1):
            if any(cell.strip() for cell in cells):
                rows.append(CsvRow(cells, number))
    except csv.Error as error:  # e.g. a cell longer than the csv module's field limit
        raise ExperimentError("data.path", f"{name}: row {number + 1}: {error}") from None
    return rows


def csv_columns(spec: DataSpec, header: list[str]) -> tuple[list[int], list[int]]:
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


def table_to_arrays(header: list[str], rows: list[list[str]], inputs: list[int],
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


def _load_csv(spec: DataSpec, base_dir: Path | None):
    header, rows = _read_csv(spec, base_dir)
    inputs, targets = csv_columns(spec, header)
    x, t = table_to_arrays(header, rows, inputs, targets)
    return x, t, tuple(header[i] for i in inputs), tuple(header[i] for i in targets)
