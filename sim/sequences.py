"""Sequence data for recurrent networks: samples of shape (time, features), one target each.

Kinds (the ``data`` section of a recurrent experiment, documented in docs/experiment-format.md):

- ``inline``: ``inputs`` of shape (samples, time, features), ``targets`` (samples, outputs).
- ``remember_first``: one input; x₁ is a symbol, −1 or +1 with equal chance; x₂ … x_T are noise
  drawn from N(0, noise²) (zeros without noise). The target is 1 if the first symbol was +1,
  else 0: the network must carry what it saw at t = 1 through T − 1 steps.
- ``adding``: two inputs per step, a value drawn from U(0, 1) and a marker; exactly two steps are
  marked (one in each half of the sequence) and the target is the sum of their two values
  (Hochreiter & Schmidhuber 1997).
- ``parity``: one input, a bit 0 or 1 per step; the target is 1 if the sequence holds an odd
  number of ones, else 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .data import (
    MAX_DATA_NUMBERS,
    MAX_SAMPLES,
    Dataset,
    read_held_out_fractions,
    split_samples,
)
from .schema import ExperimentError, Section, describe, read_list, read_matrix

KINDS = ("inline", "remember_first", "adding", "parity")
MAX_STEPS = 1000  # time steps of one sequence
MAX_FEATURES = 64
KEYS = {"inline": ("inputs", "targets"),
        "remember_first": ("samples", "steps", "noise"),
        "adding": ("samples", "steps"),
        "parity": ("samples", "steps")}
COMMON_KEYS = ("kind", "validation_fraction", "test_fraction")

Sequences = tuple[tuple[tuple[float, ...], ...], ...]


@dataclass(frozen=True)
class SequenceDataSpec:
    """The ``data`` section of a recurrent experiment, every default resolved."""

    kind: str = "remember_first"
    samples: int = 200
    steps: int = 20  # T, the time steps of each sequence
    noise: float = 0.0  # remember_first: std of the inputs after the first
    inputs: Sequences | None = None  # inline: (samples, time, features)
    targets: tuple[tuple[float, ...], ...] | None = None  # inline: (samples, outputs)
    validation_fraction: float = 0.0
    test_fraction: float = 0.0

    @classmethod
    def from_json(cls, value: Any, path: str) -> SequenceDataSpec:
        kind = Section(value, path, (*COMMON_KEYS, *{k for keys in KEYS.values()
                                                     for k in keys})).choice("kind", KINDS)
        s = Section(value, path, (*COMMON_KEYS, *KEYS[kind]))
        chosen: dict[str, Any] = {"kind": kind}
        if kind == "inline":
            chosen.update(_read_inline(s))
        else:
            chosen["samples"] = s.integer("samples", 200, minimum=2, maximum=MAX_SAMPLES)
            chosen["steps"] = s.integer("steps", 20, minimum=2 if kind == "adding" else 1,
                                        maximum=MAX_STEPS)
            if chosen["samples"] * chosen["steps"] * features(kind) > MAX_DATA_NUMBERS:
                raise ExperimentError(s.at("samples"), f"samples × steps may be at most "
                                      f"{MAX_DATA_NUMBERS // features(kind):,}")
        if kind == "remember_first":
            chosen["noise"] = s.number("noise", 0.0, minimum=0.0, maximum=100.0)
        chosen.update(read_held_out_fractions(s))
        return cls(**chosen)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == "inline":
            assert self.inputs is not None and self.targets is not None
            out["inputs"] = [[list(step) for step in sample] for sample in self.inputs]
            out["targets"] = [list(row) for row in self.targets]
        else:
            out["samples"], out["steps"] = self.samples, self.steps
        if self.kind == "remember_first":
            out["noise"] = self.noise
        out["validation_fraction"] = self.validation_fraction
        out["test_fraction"] = self.test_fraction
        return out

    @property
    def features(self) -> int:
        """Inputs per time step."""
        if self.kind == "inline":
            assert self.inputs is not None
            return len(self.inputs[0][0])
        return features(self.kind)

    @property
    def outputs(self) -> int:
        if self.kind == "inline":
            assert self.targets is not None
            return len(self.targets[0])
        return 1

    @property
    def time_steps(self) -> int:
        if self.kind == "inline":
            assert self.inputs is not None
            return len(self.inputs[0])
        return self.steps

    @property
    def sample_count(self) -> int:
        if self.kind == "inline":
            assert self.inputs is not None
            return len(self.inputs)
        return self.samples


def features(kind: str) -> int:
    """Inputs per time step of a generated kind."""
    return 2 if kind == "adding" else 1


def _read_inline(s: Section) -> dict[str, Any]:
    raw = read_list(s.raw("inputs"), s.at("inputs"), MAX_SAMPLES)
    if not raw:
        raise ExperimentError(s.at("inputs"), "must hold at least one sequence")
    inputs: list[tuple[tuple[float, ...], ...]] = []
    steps = features_per_step = None
    numbers = 0
    for number, sample in enumerate(raw):
        path = f"{s.at('inputs')}[{number}]"
        if not isinstance(sample, list):
            raise ExperimentError(path, f"must be a list of time steps, got {describe(sample)}")
        rows = read_matrix(sample, path, steps, features_per_step, MAX_STEPS, MAX_FEATURES)
        if not rows or not rows[0]:
            raise ExperimentError(path, "must hold at least one time step of one number")
        steps, features_per_step = len(rows), len(rows[0])
        numbers += steps * features_per_step
        if numbers > MAX_DATA_NUMBERS:
            raise ExperimentError(s.at("inputs"), f"may hold at most {MAX_DATA_NUMBERS:,} "
                                                  "numbers")
        inputs.append(tuple(map(tuple, rows)))
    targets = read_matrix(s.raw("targets"), s.at("targets"), len(inputs), None, MAX_SAMPLES,
                          MAX_FEATURES)
    if not targets[0]:
        raise ExperimentError(s.at("targets"), "each row must hold at least one number")
    return {"inputs": tuple(inputs), "targets": tuple(map(tuple, targets))}


@dataclass(frozen=True)
class SequenceDataset(Dataset):
    """A Dataset whose inputs have shape (samples, time, features)."""

    steps: int = field(default=1)

    @property
    def inputs(self) -> int:
        return int(self.x_train.shape[2])


def build(spec: SequenceDataSpec, rng: np.random.Generator,
          split_rng: np.random.Generator) -> SequenceDataset:
    """Generate (or take) the sequences and split off the validation and test sets."""
    x, t = samples(spec, rng)
    x_train, t_train, x_val, t_val, x_test, t_test = split_samples(
        x, t, spec.validation_fraction, spec.test_fraction, split_rng)
    count = x.shape[2]
    input_names = tuple(f"x{k + 1}" for k in range(count)) if count > 1 else ("x",)
    output_names = tuple(f"y{k + 1}" for k in range(t.shape[1])) if t.shape[1] > 1 else ("y",)
    return SequenceDataset(x_train, t_train, x_val, t_val, x_test, t_test, input_names,
                           output_names, np.zeros(count), np.ones(count), steps=x.shape[1])


def samples(spec: SequenceDataSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """All sequences (samples, time, features) and targets (samples, outputs)."""
    if spec.kind == "inline":
        assert spec.inputs is not None and spec.targets is not None
        return np.array(spec.inputs, dtype=np.float64), np.array(spec.targets, dtype=np.float64)
    n, steps = spec.samples, spec.steps
    if spec.kind == "remember_first":
        first = rng.choice(np.array([-1.0, 1.0]), n)
        x = rng.normal(0.0, spec.noise, (n, steps, 1)) if spec.noise else np.zeros((n, steps, 1))
        x[:, 0, 0] = first
        return x, (first > 0.0).astype(np.float64)[:, np.newaxis]
    if spec.kind == "adding":
        values = rng.uniform(0.0, 1.0, (n, steps))
        half = steps // 2
        early = rng.integers(0, half, n)
        late = rng.integers(half, steps, n)
        markers = np.zeros((n, steps))
        rows = np.arange(n)
        markers[rows, early] = 1.0
        markers[rows, late] = 1.0
        target = values[rows, early] + values[rows, late]
        return np.stack([values, markers], axis=2), target[:, np.newaxis]
    bits = rng.integers(0, 2, (n, steps)).astype(np.float64)
    return bits[:, :, np.newaxis], (bits.sum(axis=1) % 2.0)[:, np.newaxis]
