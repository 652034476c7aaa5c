"""Importing a CSV table as an experiment: the network is fitted, bad cells are named."""

from __future__ import annotations

import pytest

import sim
from sim.importing import experiment_from_csv, read_table
from tests.conftest import experiment


def write(tmp_path, text: str):
    path = tmp_path / "table.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_binary_target_gets_a_sigmoid_output_and_the_network_fits_the_columns(tmp_path):
    path = write(tmp_path, "a,b,c,label\n1,2,3,0\n4,5,6,1\n7,8,9,1\n1,1,1,0\n")
    base = experiment()
    imported = experiment_from_csv(base, path, ["label"], validation_fraction=0.25)
    assert imported.network.inputs == 3
    assert imported.network.layers[-1].units == 1
    assert imported.network.layers[-1].activation.kind == "sigmoid" and imported.loss == "bce"
    assert imported.network.layers[0].units == base.network.layers[0].units  # hidden kept
    trainer = sim.Trainer(imported)
    assert trainer.dataset.input_names == ("a", "b", "c") and trainer.step()


def test_numeric_targets_get_a_linear_output_and_mean_squared_error(tmp_path):
    path = write(tmp_path, "x,price,size\n1,250.5,3\n2,310.0,4\n3,199.9,2\n")
    imported = experiment_from_csv(experiment(), path, ["price", "size"])
    assert imported.network.inputs == 1 and imported.network.layers[-1].units == 2
    assert imported.network.layers[-1].activation.kind == "linear" and imported.loss == "mse"


@pytest.mark.parametrize("text, row, column", [
    ("a,b,label\n1,2,0\n1,x,1\n", 3, "b"),
    ("a,b,label\n1,2,0\n\n1,2,nan\n", 4, "label"),
])
def test_a_bad_cell_is_named_by_row_and_column(tmp_path, text, row, column):
    path = write(tmp_path, text)
    with pytest.raises(sim.ExperimentError) as error:
        experiment_from_csv(experiment(), path, ["label"])
    assert f'row {row}, column "{column}"' in str(error.value)
    assert "\n" not in str(error.value)


def test_a_ragged_row_and_a_missing_target_are_refused(tmp_path):
    with pytest.raises(sim.ExperimentError, match="row 3: has 2 cells"):
        experiment_from_csv(experiment(), write(tmp_path, "a,b,c\n1,2,3\n1,2\n"), ["c"])
    with pytest.raises(sim.ExperimentError, match="choose at least one target"):
        experiment_from_csv(experiment(), write(tmp_path, "a,b\n1,2\n"), [])


def test_the_preview_reads_header_and_rows_as_text(tmp_path):
    header, rows = read_table(write(tmp_path, "\ufeffa, b\n1,2\n3,4\n"))
    assert header == ("a", "b") and [list(r) for r in rows] == [["1", "2"], ["3", "4"]]


def test_only_weights_whose_shape_no_longer_fits_are_dropped():
    from sim.experiment import drop_weights_that_no_longer_fit

    document = {"network": {"inputs": 2, "layers": [
        {"units": 3, "weights": [[1, 2], [3, 4], [5, 6]], "biases": [0, 0, 0]},
        {"units": 1, "weights": [[1, 2]], "biases": [0]}]}}
    drop_weights_that_no_longer_fit(document)
    first, second = document["network"]["layers"]
    assert "weights" in first and "biases" in first and "biases" in second
    assert "weights" not in second  # its rows have 2 numbers, the layer below has 3 units
