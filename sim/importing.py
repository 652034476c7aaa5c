"""Turning a CSV table into an experiment: what the app's import dialog asks the engine.

The table is checked exactly as the experiment loader checks it (same messages: which row,
which column), and the network is fitted to it: as many input units as input columns, as many
outputs as targets, and an output and loss that suit the targets (0/1 targets: a sigmoid
output with binary cross-entropy; anything else: a linear output with mean squared error).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import data
from .data import read_table, read_table_head
from .experiment import Experiment, drop_weights_that_no_longer_fit, parse, to_dict
from .schema import ExperimentError

# read_table: what the import reads; read_table_head: what the import dialog's preview reads
__all__ = ["experiment_from_csv", "read_table", "read_table_head"]


def experiment_from_csv(base: Experiment, path: Path, targets: list[str],
                        validation_fraction: float = 0.0,
                        standardize: bool = True) -> Experiment:
    """``base`` with its data replaced by the CSV table and its network fitted to it.

    Raises ExperimentError naming the problem (a bad cell by row and column) and changes
    nothing else. The trained state of ``base`` is dropped: the new network starts fresh.
    """
    if not targets:
        raise ExperimentError("data.targets", "choose at least one target column")
    header, rows = read_table(path)
    spec = data.DataSpec(kind="csv", path=str(path), target_columns=tuple(targets))
    inputs, target_columns = data.csv_columns(spec, header)
    _, t = data.table_to_arrays(header, rows, inputs, target_columns)
    document = to_dict(base)
    document.pop("state", None)
    document.pop("view", None)  # what a lesson opens on belongs to its own data
    document.pop("quiz", None)  # and so do the numbers its quiz asks for
    document["data"] = {"kind": "csv", "path": str(path.resolve()), "targets": list(targets),
                        "validation_fraction": validation_fraction,
                        "standardize": standardize}
    network = document["network"]
    network["inputs"] = len(inputs)
    output = network["layers"][-1]
    output["units"] = len(targets)
    drop_weights_that_no_longer_fit(document)
    binary = bool(np.isin(t, (0.0, 1.0)).all())
    output["activation"] = "sigmoid" if binary else "linear"
    document["loss"] = "bce" if binary else "mse"
    return parse(document, base_dir=base.base_dir)
