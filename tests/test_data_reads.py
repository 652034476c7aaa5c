"""Data is read once: a CSV table is shared by the facts of the data and the data itself while
the file is unchanged, and an edit that leaves the data section as it is reads no file at all."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

import sim
from sim import data
from sim.experiment import to_dict
from sim.importing import read_table, read_table_head

HOUSES = "size,rooms,price\n50,2,100\n60,2,120\n70,3,140.5\n80,4,150\n"


def old_file(path: Path, text: str, age: float = 3600.0) -> Path:
    """Write ``text`` and date the file ``age`` seconds back, as a file saved earlier is."""
    path.write_text(text, encoding="utf-8")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def csv_experiment(folder: Path, **data_keys) -> sim.Experiment:
    """An experiment file on ``folder``/houses.csv, loaded as the app and the CLI load it."""
    document = {"data": {"kind": "csv", "path": "houses.csv", "targets": ["price"],
                         **data_keys},
                "network": {"inputs": 2, "layers": [{"units": 3}, {"units": 1,
                                                                   "activation": "linear"}]},
                "loss": "half_mse"}
    file = folder / "houses.json"
    file.write_text(sim.dumps(sim.parse(document, folder)), encoding="utf-8")
    return sim.load(file)


# ---------------------------------------------------------------------------- the table cache

def test_an_unchanged_csv_file_is_read_once_for_its_facts_and_its_data(tmp_path):
    old_file(tmp_path / "houses.csv", HOUSES)
    data.CSV_TABLES.clear()
    before = data.CSV_TABLES.reads
    experiment = csv_experiment(tmp_path)  # checked against its facts: one read
    trainer = sim.Trainer(experiment)  # built from the same table
    assert data.CSV_TABLES.reads - before == 1
    assert experiment.data_facts == data.DataFacts(inputs=2, outputs=1, samples=4)
    assert trainer.dataset.x_train.tolist() == [[50, 2], [60, 2], [70, 3], [80, 4]]


def test_a_changed_csv_file_is_read_again(tmp_path):
    table = old_file(tmp_path / "houses.csv", HOUSES)
    first = data.read_table(table)
    old_file(table, HOUSES.replace("50,2,100", "55,2,101"), age=1800.0)
    before = data.CSV_TABLES.reads
    second = data.read_table(table)
    assert data.CSV_TABLES.reads - before == 1
    assert first.rows[0] == ("50", "2", "100") and second.rows[0] == ("55", "2", "101")


def test_a_file_of_the_same_size_and_time_replaced_by_another_is_read_again(tmp_path):
    table = old_file(tmp_path / "houses.csv", HOUSES)
    data.read_table(table)
    stamp = table.stat()
    other = old_file(tmp_path / "other.csv", HOUSES.replace("100", "999"))
    os.utime(other, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    os.replace(other, table)  # same path, size and modification time: another file
    assert data.read_table(table).rows[0] == ("50", "2", "999")


def test_a_file_written_moments_ago_is_read_every_time(tmp_path):
    # A second write within one tick of the file system's clock could leave the size and times
    # as they were, so a table this fresh is never kept.
    table = tmp_path / "houses.csv"
    table.write_text(HOUSES, encoding="utf-8")
    before = data.CSV_TABLES.reads
    data.read_table(table)
    table.write_text(HOUSES.replace("100", "900"), encoding="utf-8")  # same size
    assert data.read_table(table).rows[0] == ("50", "2", "900")
    assert data.CSV_TABLES.reads - before == 2


def test_the_cache_keeps_only_the_last_few_tables(tmp_path):
    data.CSV_TABLES.clear()
    files = [old_file(tmp_path / f"t{n}.csv", HOUSES) for n in range(data.CSV_TABLES.capacity + 1)]
    for file in files:
        data.read_table(file)
    before = data.CSV_TABLES.reads
    for file in files[1:]:
        data.read_table(file)
    assert data.CSV_TABLES.reads == before  # the last `capacity` are kept
    data.read_table(files[0])
    assert data.CSV_TABLES.reads == before + 1  # the first was let go


def test_threads_reading_one_file_together_all_get_its_table(tmp_path):
    table = old_file(tmp_path / "houses.csv", HOUSES)
    data.CSV_TABLES.clear()
    results: list[data.CsvTable] = []
    errors: list[BaseException] = []

    def read_many() -> None:
        try:
            results.extend(data.read_table(table) for _ in range(50))
        except BaseException as error:  # any error at all: the assertion below reports it
            errors.append(error)

    threads = [threading.Thread(target=read_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(results) == 400
    assert all(result == results[0] for result in results)
    before = data.CSV_TABLES.reads
    data.read_table(table)
    assert data.CSV_TABLES.reads == before  # kept once the threads were done


def test_the_preview_reads_the_first_rows_only_and_says_whether_there_are_more(tmp_path):
    table = old_file(tmp_path / "houses.csv", HOUSES)
    (header, rows), more = read_table_head(table, 2)
    assert header == ("size", "rooms", "price") and more
    assert rows == (("50", "2", "100"), ("60", "2", "120")) and rows[1].number == 3
    assert read_table_head(table, 4)[1] is False and len(read_table_head(table, 9)[0].rows) == 4


def test_the_preview_of_a_large_table_reads_its_head_and_the_import_checks_the_rest(tmp_path):
    # Past the first megabyte the bytes are not text: the preview never reads them, the import
    # refuses the file.
    head = "size,rooms,price\n" + "50,2,100\n" * (data.CSV_HEAD_BYTES // 9)
    table = tmp_path / "large.csv"
    table.write_bytes(head.encode() + b"\xff\xfe" * 1000)
    (header, rows), more = read_table_head(table, 20)
    assert header == ("size", "rooms", "price") and len(rows) == 20 and more
    with pytest.raises(sim.ExperimentError, match="is not UTF-8 text"):
        read_table(table)
    no_lines = tmp_path / "one-line.csv"
    no_lines.write_bytes(b"x" * (data.CSV_HEAD_BYTES + 1))
    with pytest.raises(sim.ExperimentError, match="no line end in its first 1 MB"):
        read_table_head(no_lines, 20)
    with pytest.raises(sim.ExperimentError, match="not a regular file"):
        read_table_head(tmp_path, 20)


# ---------------------------------------------------------------------------- data facts

def test_an_edit_that_keeps_the_data_section_reads_no_file(tmp_path):
    old_file(tmp_path / "houses.csv", HOUSES)
    experiment = csv_experiment(tmp_path, validation_fraction=0.25)
    (tmp_path / "houses.csv").unlink()  # nothing left to read
    document = to_dict(experiment)
    document["optimizer"]["learning_rate"] = 0.05
    document["network"]["layers"][0]["units"] = 5
    document["stopping"] = {"early_stopping": {"patience": 3}}  # needs the sample count
    before = data.CSV_TABLES.reads
    edited = sim.parse(document, experiment.base_dir, previous=experiment)
    assert data.CSV_TABLES.reads == before
    assert edited.optimizer.learning_rate == 0.05 and edited.network.layers[0].units == 5
    assert edited.data_facts == experiment.data_facts
    with pytest.raises(sim.ExperimentError, match="cannot read"):
        sim.parse(document, experiment.base_dir)  # without the previous experiment: read


def test_the_facts_still_check_an_edit_that_keeps_the_data(tmp_path):
    old_file(tmp_path / "houses.csv", HOUSES)
    experiment = csv_experiment(tmp_path)
    (tmp_path / "houses.csv").unlink()
    document = to_dict(experiment)
    document["network"]["inputs"] = 3
    with pytest.raises(sim.ExperimentError, match="the data has 2 inputs, the network 3"):
        sim.parse(document, experiment.base_dir, previous=experiment)
    document = to_dict(experiment)
    document["stopping"] = {"early_stopping": {}}
    document["data"]["validation_fraction"] = 0.1  # an edit of the data section: read again
    with pytest.raises(sim.ExperimentError, match="cannot read"):
        sim.parse(document, experiment.base_dir, previous=experiment)


def test_facts_are_not_lent_across_folders_or_after_the_data_is_replaced(tmp_path):
    old_file(tmp_path / "houses.csv", HOUSES)
    experiment = csv_experiment(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with pytest.raises(sim.ExperimentError, match="cannot read"):
        sim.parse(to_dict(experiment), elsewhere, previous=experiment)
    assert experiment.replace(seed=3).data_facts == experiment.data_facts
    assert experiment.replace(data=data.DataSpec(kind="xor")).data_facts is None
    assert experiment.replace(base_dir=elsewhere).data_facts is None


# ---------------------------------------------------------------------------- the controls

def test_a_control_edit_of_a_csv_experiment_reads_no_file(tmp_path, qtbot):
    from gui.controls import ControlPanel

    old_file(tmp_path / "houses.csv", HOUSES)
    experiment = csv_experiment(tmp_path)
    panel = ControlPanel()
    qtbot.addWidget(panel)
    panel.set_experiment(experiment)
    (tmp_path / "houses.csv").unlink()
    before = data.CSV_TABLES.reads
    edited: list[sim.Experiment] = []
    panel.experiment_edited.connect(edited.append)
    panel.fields["learning_rate"].setValue(0.25)
    panel.fields["l2"].setValue(0.01)
    assert panel.error.text() == ""
    assert [e.optimizer.learning_rate for e in edited] == [0.25, 0.25]
    assert edited[-1].regularization.l2 == 0.01
    assert data.CSV_TABLES.reads == before


def test_a_table_changed_since_the_experiment_was_read_is_refused_when_training_starts(
        tmp_path):
    # The edit that skipped the file could not see the new column: the trainer, which builds
    # the data from the file as it is now, names the mismatch instead of failing in numpy.
    old_file(tmp_path / "houses.csv", HOUSES)
    experiment = csv_experiment(tmp_path)
    old_file(tmp_path / "houses.csv", "size,rooms,age,price\n50,2,9,100\n60,2,5,120\n", 60.0)
    with pytest.raises(sim.ExperimentError, match="the data has 3 inputs, the network 2") \
            as error:
        sim.Trainer(experiment)
    assert error.value.path == "network.inputs"
