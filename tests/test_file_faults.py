"""The file and process faults of issue 13, each reproduced: nothing lost, nothing hung.

Every test names its finding (13.1 to 13.18). FIFOs and device nodes are made in a temporary
folder; these tests run as root on CI, so read-only files are told by their permission bits
(root may write anyway), and a full disk is /dev/full or a file size limit (RLIMIT_FSIZE).
"""

from __future__ import annotations

import copy
import json
import os
import signal
import stat
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sim
from sim import data, files
from sim.cli import EXIT_DIVERGED, EXIT_GRADCHECK_FAILED, EXIT_INVALID, EXIT_OK
from sim.experiment import MAX_FILE_BYTES, MAX_VALUES, values_bound
from sim.schema import ExperimentError
from sim.state import MAX_COUNT
from tests.conftest import LESSONS, ROOT
from tests.test_fuzz_files import run_command

PYTHON = [sys.executable, "-W", "error::RuntimeWarning"]
TIMEOUT = 60  # seconds a command may take here (they take about one; a hang takes forever)
XOR = LESSONS / "xor.json"
HOUSES = "size,rooms,price\n50,2,100\n60,2,120\n70,3,140.5\n80,4,150\n"


def sim_process(*args: Any, env: dict[str, str] | None = None,
                **options: Any) -> subprocess.CompletedProcess:
    """``python -m sim ARGS`` in its own process (a hang fails the test, not the run)."""
    return subprocess.run([*PYTHON, "-m", "sim", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=TIMEOUT, env=env, **options)


def one_error_line(err: str) -> str:
    """The single line of a refusal, without its "error: "."""
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    return err[len("error: "):-1]


def csv_experiment(folder: Path, table: str = HOUSES, **document: Any) -> Path:
    """An experiment file in ``folder`` reading data.csv (written there) by a relative path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.csv").write_text(table, encoding="utf-8")
    inputs = len(table.splitlines()[0].split(",")) - 1
    path = folder / "experiment.json"
    path.write_text(json.dumps({
        "data": {"kind": "csv", "path": "data.csv", "targets": ["price"]},
        "network": {"inputs": inputs, "layers": [{"units": 1, "activation": "linear"}]},
        "optimizer": {"learning_rate": 1e-5}, "stopping": {"max_steps": 50}, **document}))
    return path


def fifo(folder: Path, name: str = "pipe") -> Path:
    path = folder / name
    os.mkfifo(path)
    return path


def device(folder: Path, name: str = "device") -> Path:
    """A character device like /dev/null (1, 3), made in ``folder``; the test is skipped where
    devices cannot be made (not root, or a container that forbids it)."""
    path = folder / name
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError) as error:
        pytest.skip(f"cannot make a device node here: {error}")
    return path


def special_files(folder: Path) -> list[Path]:
    return [fifo(folder), device(folder), folder / "a folder"]


# ---------------------------------------------------------------------------- 13.1

def test_13_1_a_save_never_replaces_a_fifo_a_device_or_a_folder(tmp_path):
    targets = special_files(tmp_path)
    targets[2].mkdir()
    for target in targets:
        kind = files.kind_of_file(os.stat(target).st_mode)
        result = sim_process("run", XOR, "--steps", "3", "--save", target)
        assert result.returncode == EXIT_INVALID and result.stdout == ""
        assert one_error_line(result.stderr) == (f"cannot write {target}: it is {kind}; only a "
                                                 "regular file is replaced")
        assert files.kind_of_file(os.stat(target).st_mode) == kind  # still what it was
        with pytest.raises(files.WriteError, match="only a regular file is replaced"):
            sim.save(sim.load(XOR), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a folder", "device", "pipe"]


def test_13_1_the_apps_save_never_replaces_a_fifo(tmp_path, qtbot):
    from gui.worker import TrainingWorker

    target = fifo(tmp_path)
    worker = TrainingWorker(sim.load(XOR))
    worker.start()
    try:
        with qtbot.waitSignal(worker.write_failed, timeout=10000) as failed:
            worker.save(target)
        assert failed.args == [target, f"cannot write {target}: it is a FIFO (a named pipe); "
                                       "only a regular file is replaced"]
        assert stat.S_ISFIFO(os.stat(target).st_mode)
    finally:
        assert worker.shutdown(5000)


# ---------------------------------------------------------------------------- 13.2

WIDE = 256
HIDDEN = 10


def widest_network(explicit: bool, inputs: int = WIDE) -> dict:
    """Ten hidden layers of 256 and 256 outputs: the most parameters a file may describe;
    with ``explicit``, every initial weight and bias written out (as the longest numbers)."""
    layers = []
    fan_in = inputs
    for number in range(HIDDEN + 1):
        layer: dict[str, Any] = {"units": WIDE,
                                 "activation": "linear" if number == HIDDEN else "tanh"}
        if explicit:
            layer["weights"] = [[LONGEST] * fan_in for _ in range(WIDE)]
            layer["biases"] = [LONGEST] * WIDE
        layers.append(layer)
        fan_in = WIDE
    return {"inputs": inputs, "layers": layers}


def test_13_2_the_widest_network_with_adam_and_early_stopping_saves_a_file_that_opens(tmp_path):
    rng = np.random.default_rng(0)
    source = tmp_path / "wide.json"
    source.write_text(json.dumps({
        "data": {"kind": "inline", "inputs": rng.random((20, WIDE)).tolist(),
                 "targets": rng.random((20, WIDE)).tolist(), "validation_fraction": 0.2},
        "network": widest_network(explicit=False), "optimizer": {"kind": "adam"},
        "stopping": {"early_stopping": {"patience": 5}}}))
    saved = tmp_path / "out.json"
    code, _, err = run_command("run", source, "--epochs", "1", "--save", saved, "--quiet")
    assert (code, err) == (EXIT_OK, "")
    assert saved.stat().st_size <= MAX_FILE_BYTES  # it was 80.7 MB with a 64 MB limit
    code, out, err = run_command("check", saved)
    assert (code, err) == (EXIT_OK, "") and ": valid; network 256-256" in out


LONGEST = -2.2250738585072014e-308  # the longest a double is written (24 characters)
MOST_TEXT = "[{," * 100  # commas and brackets in a text count towards the values too


def largest_document(inputs: int) -> dict:
    """A document at every limit at once that bears on its size: data of the most numbers,
    the widest network with every weight given, a checkpoint of Adam and early stopping, the
    longest texts, every number as long as a double is written."""
    samples = data.MAX_DATA_NUMBERS // (inputs + WIDE)
    network = widest_network(explicit=True, inputs=inputs)
    parameters = [{"weights": layer["weights"], "biases": layer["biases"]}
                  for layer in network["layers"]]
    count = sum(len(p["weights"]) * len(p["weights"][0]) + len(p["biases"]) for p in parameters)
    small = sim.Trainer(sim.load(XOR)).state()  # the random streams' states, as saved
    return {
        "name": (MOST_TEXT * 2)[:200], "description": (MOST_TEXT * 100)[:20_000],
        "data": {"kind": "inline", "inputs": [[LONGEST] * inputs] * samples,
                 "targets": [[LONGEST] * WIDE] * samples,
                 "validation_fraction": 0.5, "input_names": [MOST_TEXT[:64]] * inputs,
                 "output_names": [MOST_TEXT[:64]] * WIDE},
        "network": network,
        "optimizer": {"kind": "adam"},
        "stopping": {"early_stopping": {"patience": 5}},
        "state": {"step": MAX_COUNT, "epoch": MAX_COUNT, "position": samples - 1,
                  "train_seconds": LONGEST, "clip_count": MAX_COUNT, "parameters": parameters,
                  "optimizer": {"kind": "adam", "m": [LONGEST] * count,
                                "v": [LONGEST] * count, "t": MAX_COUNT},
                  "rng": small["rng"], "epoch_rng": small["rng"],
                  "early_stopping": {"loss": LONGEST, "step": MAX_COUNT, "wait": 10**9,
                                     "parameters": parameters},
                  "stopped": {"event": "stopped", "step": MAX_COUNT,
                              "message": (MOST_TEXT * 10)[:2000]}}}


@pytest.mark.parametrize("inputs", [WIDE, 9])  # the most parameters; the most rows of data
def test_13_2_every_experiment_within_the_limits_saves_within_them(inputs):
    """The file limits are chosen so that whatever loads can be saved and loaded again."""
    experiment = sim.parse(largest_document(inputs))
    content = sim.dumps(experiment).encode("utf-8")
    assert len(content) <= MAX_FILE_BYTES, len(content) / 2**20
    assert values_bound(content) <= MAX_VALUES, values_bound(content)


def test_13_2_a_save_the_loader_would_refuse_is_refused_and_writes_nothing(tmp_path,
                                                                           monkeypatch):
    target = tmp_path / "big.json"
    inputs = np.random.default_rng(0).random((50_000, 2)).tolist()
    experiment = sim.parse({"data": {"kind": "inline", "inputs": inputs, "targets": [0] * 50_000},
                            "network": {"inputs": 2, "layers": [{"units": 1}]}})
    monkeypatch.setattr(sim.experiment, "MAX_FILE_BYTES", 2**20)
    with pytest.raises(files.WriteError, match=r"^cannot write .*big\.json: the experiment "
                                               r"would be 2\.\d MB; at most 1 MB is read$"):
        sim.save(experiment, target)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- 13.3

def test_13_3_a_csv_experiment_saved_into_another_folder_reads_the_same_table(tmp_path):
    source = csv_experiment(tmp_path / "a")
    other = tmp_path / "b"
    other.mkdir()
    (other / "data.csv").write_text("size,rooms,price\n1,1,1\n2,2,2\n", encoding="utf-8")
    saved = other / "experiment.json"
    code, _, err = run_command("run", source, "--steps", "2", "--save", saved, "--quiet")
    assert (code, err) == (EXIT_OK, "")
    assert json.loads(saved.read_text())["data"]["path"] == os.path.join("..", "a", "data.csv")
    original = sim.Trainer(sim.load(source)).dataset
    copied = sim.Trainer(sim.load(saved)).dataset  # not the unrelated b/data.csv
    assert np.array_equal(copied.x_train, original.x_train)
    sim.save(sim.load(saved), source)  # and back again: the path it had
    assert json.loads(source.read_text())["data"]["path"] == "data.csv"


def test_13_3_a_path_relative_to_the_working_folder_is_rebased_too(tmp_path, monkeypatch):
    csv_experiment(tmp_path / "work")
    monkeypatch.chdir(tmp_path / "work")
    experiment = sim.parse({"data": {"kind": "csv", "path": "data.csv", "targets": ["price"]},
                            "network": {"inputs": 2, "layers": [{"units": 1}]}})
    assert experiment.base_dir is None
    (tmp_path / "out").mkdir()
    sim.save(experiment, tmp_path / "out" / "x.json")
    monkeypatch.chdir(tmp_path)
    assert sim.load(tmp_path / "out" / "x.json").data.path == os.path.join("..", "work",
                                                                          "data.csv")


def test_13_3_the_apps_save_rebases_the_data_path(tmp_path, qtbot):
    from gui.worker import TrainingWorker

    worker = TrainingWorker(sim.load(csv_experiment(tmp_path / "a")))
    worker.start()
    try:
        (tmp_path / "b").mkdir()
        with qtbot.waitSignal(worker.written, timeout=10000):
            worker.save(tmp_path / "b" / "copy.json")
    finally:
        assert worker.shutdown(5000)
    assert sim.load(tmp_path / "b" / "copy.json").data.path == os.path.join("..", "a",
                                                                           "data.csv")


# ---------------------------------------------------------------------------- 13.4

def test_13_4_the_trace_never_overwrites_the_experiment_its_data_or_the_save(tmp_path):
    experiment = csv_experiment(tmp_path)
    table = tmp_path / "data.csv"
    before = {p: p.read_bytes() for p in (experiment, table)}
    out = tmp_path / "out.json"
    for args, message in [
        (("--trace", experiment), f"--trace {experiment} is the experiment being run: it "
                                  "would be overwritten"),
        (("--trace", table), f"--trace {table} is the experiment's data table (data.path): "
                             "it would be overwritten"),
        (("--save", table), f"--save {table} is the experiment's data table (data.path): it "
                            "would be overwritten"),
        (("--trace", out, "--save", out), f"--trace and --save both name {out}: the save would "
                                          "replace the trace")]:
        code, stdout, err = run_command("run", experiment, "--steps", "2", *args)
        assert (code, stdout) == (EXIT_INVALID, "") and one_error_line(err) == message
        assert {p: p.read_bytes() for p in before} == before and not out.exists()
    code, _, err = run_command("run", experiment, "--steps", "2", "--save", experiment,
                               "--quiet")  # saving in place is allowed
    assert (code, err) == (EXIT_OK, "") and sim.load(experiment).state["step"] == 2


# ---------------------------------------------------------------------------- 13.5

def symlink_loop(folder: Path) -> Path:
    (folder / "loop-a").symlink_to(folder / "loop-b")
    (folder / "loop-b").symlink_to(folder / "loop-a")
    return folder / "loop-a"


def test_13_5_a_bad_save_path_does_not_end_saving_in_the_app(tmp_path, qtbot):
    from gui.worker import TrainingWorker

    loop = symlink_loop(tmp_path)
    worker = TrainingWorker(sim.load(XOR))
    worker.start()
    try:
        with qtbot.waitSignal(worker.write_failed, timeout=10000) as failed:
            worker.save(loop)
        assert failed.args == [loop, f"cannot write {loop}: a symbolic link loop"]
        with qtbot.waitSignal(worker.write_failed, timeout=10000) as failed:
            worker.export_history(loop)
        good = tmp_path / "good.json"
        with qtbot.waitSignal(worker.written, timeout=10000):
            worker.save(good)
        worker.run_steps(4)
        assert worker.wait_idle(10)
        assert worker.latest(0)[1].step == 4 and sim.load(good).state is not None
    finally:
        assert worker.shutdown(5000)


def test_13_5_the_window_says_why_a_save_failed_and_saves_again(make_window, qtbot, tmp_path):
    window = make_window(sim.load(XOR))
    loop = symlink_loop(tmp_path)
    window.document.save_to(loop)
    qtbot.waitUntil(lambda: bool(make_window.dialogs), timeout=10000)
    assert [text for _, text in make_window.dialogs] == [f"cannot write {loop}: a symbolic "
                                                         "link loop"]
    make_window.dialogs.clear()
    good = tmp_path / "good.json"
    window.document.save_to(good)
    qtbot.waitUntil(lambda: window.document.path == good, timeout=10000)
    window.run.step()
    qtbot.waitUntil(lambda: window.snapshot.step == 1, timeout=10000)


# ---------------------------------------------------------------------------- 13.6

@pytest.mark.parametrize("field", ["step", "t"])
def test_13_6_a_run_past_what_a_file_holds_is_not_saved(field, tmp_path):
    """A state near the loader's limit of 10**15 steps (or Adam steps), resumed: the next save
    would not load, so it is refused, naming the field."""
    trainer = sim.Trainer(sim.parse({"data": {"kind": "xor"}, "optimizer": {"kind": "adam"},
                                     "network": {"inputs": 2, "layers": [{"units": 1}]}}))
    trainer.run(steps=1)
    experiment = trainer.to_experiment()
    state = copy.deepcopy(experiment.state)
    if field == "step":
        state["step"] = MAX_COUNT - 1
    else:
        state["optimizer"]["t"] = MAX_COUNT - 1
    near = tmp_path / "near.json"
    sim.save(experiment.replace(state=state), near)
    out = tmp_path / "out.json"
    code, stdout, err = run_command("run", near, "--steps", "2", "--save", out)
    where = "state.step" if field == "step" else "state.optimizer.t"
    assert (code, stdout) == (EXIT_INVALID, "")
    assert one_error_line(err) == (f"cannot write {out}: {where}: must be a whole number from 0 "
                                   f"to {MAX_COUNT}, got {MAX_COUNT + 1}")
    assert not out.exists()
    code, _, err = run_command("run", near, "--steps", "1", "--save", out, "--quiet")
    assert (code, err) == (EXIT_OK, "") and sim.Trainer(sim.load(out))  # at the limit: saved


def test_13_6_a_recurrent_run_past_what_a_file_holds_is_refused_the_same_way(tmp_path):
    from sim import recurrent_experiment as rx
    from sim.recurrent_trainer import RecurrentTrainer
    trainer = RecurrentTrainer(rx.parse_recurrent({
        "data": {"kind": "parity", "samples": 4, "steps": 2},
        "network": {"kind": "recurrent", "inputs": 1, "hidden": 2,
                    "output": {"units": 1}}}))
    trainer.run(steps=1)
    experiment = trainer.to_experiment()
    near = tmp_path / "near.json"
    rx.save(experiment.replace(state={**experiment.state, "step": MAX_COUNT - 1}), near)
    out = tmp_path / "out.json"
    code, stdout, err = run_command("run", near, "--steps", "2", "--save", out)
    assert (code, stdout) == (EXIT_INVALID, "")
    assert one_error_line(err) == (f"cannot write {out}: state.step: must be a whole number from "
                                   f"0 to {MAX_COUNT}, got {MAX_COUNT + 1}")
    assert not out.exists()


# ---------------------------------------------------------------------------- 13.7

def read_only_save(folder: Path) -> tuple[Path, bytes]:
    target = folder / "kept.json"
    sim.save(sim.load(XOR), target)
    target.chmod(0o444)
    return target, target.read_bytes()


def test_13_7_the_command_line_does_not_replace_a_read_only_file(tmp_path):
    target, before = read_only_save(tmp_path)
    code, out, err = run_command("run", XOR, "--steps", "3", "--save", target)
    assert (code, out) == (EXIT_INVALID, "")
    assert one_error_line(err) == (f"cannot write {target}: it is read-only (r--r--r--); make "
                                   "it writable first")
    assert target.read_bytes() == before
    sim.save(sim.load(LESSONS / "spiral.json"), target, replace_read_only=True)  # if told to
    assert sim.load(target).name == sim.load(LESSONS / "spiral.json").name
    assert stat.S_IMODE(target.stat().st_mode) == 0o444  # and it stays read-only


@pytest.mark.parametrize("agree", [False, True])
def test_13_7_the_app_asks_before_replacing_a_read_only_file(agree, make_window, qtbot,
                                                             tmp_path):
    target, before = read_only_save(tmp_path)
    window = make_window(sim.load(LESSONS / "spiral.json"))
    asked = []
    window.document.confirm_replace_read_only = lambda path: asked.append(path) or agree
    window.document.save_to(target)
    assert asked == [target]
    if agree:
        qtbot.waitUntil(lambda: window.document.path == target, timeout=10000)
        assert sim.load(target).name == window.run.experiment.name
        assert stat.S_IMODE(target.stat().st_mode) == 0o444
    else:
        assert window.run.worker.wait_idle(10)
        assert target.read_bytes() == before and window.document.path is None


# ---------------------------------------------------------------------------- 13.8

def add_a_column(table: Path) -> None:
    rows = table.read_text().splitlines()
    table.write_text("\n".join([rows[0] + ",age"] + [row + ",7" for row in rows[1:]]) + "\n")


def test_13_8_a_table_changed_after_it_was_checked_is_refused_naming_the_field(tmp_path):
    experiment = sim.load(csv_experiment(tmp_path))
    add_a_column(tmp_path / "data.csv")
    with pytest.raises(ExperimentError) as refused:
        sim.Trainer(experiment)  # was: ValueError: matmul ...
    assert refused.value.path == "network.inputs"
    assert str(refused.value) == "network.inputs: the data has 3 inputs, the network 2"


def test_13_8_reset_after_the_table_changed_says_why_and_training_goes_on(make_window, qtbot,
                                                                         tmp_path):
    window = make_window(sim.load(csv_experiment(tmp_path)))
    add_a_column(tmp_path / "data.csv")
    window.run.reset()
    qtbot.waitUntil(lambda: bool(make_window.dialogs), timeout=10000)
    assert [text for _, text in make_window.dialogs] == [
        "network.inputs: the data has 3 inputs, the network 2"]
    make_window.dialogs.clear()
    window.run.step()
    qtbot.waitUntil(lambda: window.snapshot.step == 1, timeout=10000)  # the worker lives


# ---------------------------------------------------------------------------- 13.9

def too_long(folder: Path) -> Path:
    return folder / ("a/" * 3000) / "x.json"


@pytest.mark.parametrize("option", ["--save", "--trace"])
def test_13_9_an_output_path_that_cannot_be_written_is_one_line(option, tmp_path):
    loop, long = symlink_loop(tmp_path), too_long(tmp_path)
    for path, reason in ((loop, "a symbolic link loop"), (long, "File name too long"),
                         (tmp_path / "no" / "x.json", "its folder does not exist")):
        code, out, err = run_command("run", XOR, "--steps", "2", option, path)
        assert (code, out) == (EXIT_INVALID, "")
        line = one_error_line(err)
        assert line.startswith("cannot write ") and line.endswith(f": {reason}"), line
        assert len(line) < 400  # a path of 6000 characters is shown cut short


def test_13_9_a_screenshot_path_that_cannot_be_written_is_one_line(tmp_path, capsys):
    from gui import app

    for path, reason in ((symlink_loop(tmp_path), "a symbolic link loop"),
                         (too_long(tmp_path), "File name too long")):
        assert app.main(["--screenshot", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("backprop-studio: cannot write ")
        assert err.endswith(f": {reason}\n")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_13_9_a_trace_on_a_full_disk_stops_the_run_and_the_save_is_written(tmp_path):
    saved = tmp_path / "saved.json"
    code, out, err = run_command("run", XOR, "--steps", "5000", "--trace", "/dev/full",
                                 "--save", saved)
    assert (code, out) == (EXIT_INVALID, "")
    line = one_error_line(err)
    assert line.startswith("cannot write /dev/full: No space left on device; training stopped "
                           "at step "), line
    assert line.endswith(f" (saved to {saved})")
    stopped_at = int(line.split("training stopped at step ")[1].split()[0])
    assert 1 <= stopped_at < 5000 and sim.load(saved).state["step"] == stopped_at


def limit_file_size(size: int) -> None:
    import resource
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_FSIZE")
def test_13_9_a_save_on_a_full_disk_is_one_line_and_leaves_the_old_file(tmp_path):
    target = tmp_path / "saved.json"
    assert run_command("run", XOR, "--steps", "2", "--save", target, "--quiet")[0] == EXIT_OK
    before = target.read_bytes()
    # Files may not grow beyond 100 bytes: as a disk with 100 bytes left.
    result = sim_process("run", LESSONS / "spiral.json", "--steps", "2", "--save", target,
                         preexec_fn=lambda: limit_file_size(100))
    assert result.returncode == EXIT_INVALID and result.stdout == ""
    assert one_error_line(result.stderr) == f"cannot write {target}: File too large"
    assert target.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == [
        "saved.json"]


# ---------------------------------------------------------------------------- 13.10

NO_TEMPORARY_FOLDER = """
import sys, tempfile

def nowhere(*args, **kwargs):
    raise FileNotFoundError("No usable temporary directory found")

tempfile.gettempdir = tempfile.mkdtemp = tempfile.mkstemp = nowhere
tempfile.TemporaryDirectory = tempfile.NamedTemporaryFile = nowhere
from gui import app
sys.exit(app.main(sys.argv[1:]))
"""


def test_13_10_the_app_needs_no_temporary_folder(tmp_path):
    from tests.test_app_process import app_environment

    shot = tmp_path / "window.png"
    result = subprocess.run([sys.executable, "-c", NO_TEMPORARY_FOLDER, "--quit-after", "1",
                             "--screenshot", str(shot)], cwd=ROOT, env=app_environment(),
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert (result.returncode, result.stderr) == (0, "")
    assert shot.read_bytes().startswith(b"\x89PNG")


# ---------------------------------------------------------------------------- 13.11

def broken_at_training(folder: Path) -> dict[str, tuple[Path, str]]:
    """Files that load but that no trainer takes, and the line each is refused with."""
    bad_cell = csv_experiment(folder / "cell", HOUSES.replace("120", "abc"))
    bce = folder / "bce.json"
    bce.write_text(json.dumps({"data": {"kind": "inline", "inputs": [[0], [1]],
                                        "targets": [2, 3]},
                               "network": {"inputs": 1, "layers": [{"units": 1}]},
                               "loss": "bce"}))
    state = folder / "state.json"
    document = json.loads(XOR.read_text())
    state.write_text(json.dumps({**document, "state": {"step": -1}}))
    return {
        "cell": (bad_cell, f"{bad_cell}: data.path: row 3, column \"price\": not a number: "
                           "'abc'"),
        "bce": (bce, f'{bce}: loss: "bce" needs targets between 0 and 1; the data has 2 to 3'),
        "state": (state, f"{state}: state.step: must be a whole number from 0 to {MAX_COUNT}, "
                         "got -1")}


@pytest.mark.parametrize("which", ["cell", "bce", "state"])
@pytest.mark.parametrize("as_compare", [False, True])
def test_13_11_a_file_no_trainer_takes_is_refused_before_the_window_opens(which, as_compare,
                                                                         tmp_path, capsys):
    from gui import app

    path, message = broken_at_training(tmp_path)[which]
    args = ["--compare", str(path)] if as_compare else [str(path)]
    assert app.main([*args, "--quit-after", "30"]) == 2  # refused at once, no window
    assert capsys.readouterr().err == f"backprop-studio: {message}\n"


def test_13_11_comparing_with_a_file_no_trainer_takes_says_why(make_window, qtbot, tmp_path):
    window = make_window(sim.load(XOR))
    path, _ = broken_at_training(tmp_path)["cell"]
    window.run.compare_with(path)
    qtbot.waitUntil(lambda: bool(make_window.dialogs), timeout=10000)
    assert [text for _, text in make_window.dialogs] == [
        'B: data.path: row 3, column "price": not a number: \'abc\'']
    make_window.dialogs.clear()
    qtbot.waitUntil(lambda: not window.run.comparing, timeout=10000)
    window.run.step()
    qtbot.waitUntil(lambda: window.snapshot.step == 1, timeout=10000)


def test_13_11_a_worker_whose_first_experiment_is_refused_waits_for_another(qtbot, tmp_path):
    from gui.worker import TrainingWorker

    path, _ = broken_at_training(tmp_path)["cell"]
    worker = TrainingWorker(sim.load(path))
    try:
        with qtbot.waitSignal(worker.load_failed, timeout=10000) as failed:
            worker.start()
        assert failed.args[0] is None and failed.args[1].path == "data.path"
        worker.step()  # nothing to step: ignored, not an error
        with qtbot.waitSignal(worker.loaded, timeout=10000):
            worker.load(sim.load(XOR))
        worker.run_steps(2)
        assert worker.wait_idle(10) and worker.latest(0)[1].step == 2
    finally:
        assert worker.shutdown(5000)


# ---------------------------------------------------------------------------- 13.12

def test_13_12_file_names_that_are_not_utf8_are_printed_escaped(tmp_path):
    strict = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}
    folder = os.fsencode(tmp_path)
    good, bad = folder + b"/\xff.json", folder + b"/\xfe.json"
    with open(good, "wb") as stream:
        stream.write(XOR.read_bytes())
    with open(bad, "wb") as stream:
        stream.write(b"{")
    shown = f"{tmp_path}/\\xff.json"
    result = sim_process("check", os.fsdecode(good), env=strict)
    assert result.returncode == EXIT_OK and result.stdout.startswith(f"{shown}: valid; ")
    result = sim_process("check", os.fsdecode(bad), env=strict)
    assert result.returncode == EXIT_INVALID
    assert one_error_line(result.stderr).startswith(f"{tmp_path}/\\xfe.json is not valid JSON")
    result = sim_process("run", os.fsdecode(good), "--steps", "1", "--save",
                         os.fsdecode(folder + b"/\xff/x.json"), env=strict)
    assert result.returncode == EXIT_INVALID
    assert one_error_line(result.stderr) == (f"cannot write {tmp_path}/\\xff/x.json: its "
                                             "folder does not exist")


# ---------------------------------------------------------------------------- 13.13

def test_13_13_a_fifo_or_a_device_is_refused_at_once_never_waited_for(tmp_path):
    for path in (fifo(tmp_path), device(tmp_path)):
        kind = files.kind_of_file(os.stat(path).st_mode)
        result = sim_process("check", path)  # a hang would time out
        assert result.returncode == EXIT_INVALID
        assert one_error_line(result.stderr) == (f"cannot read {path}: it is {kind}, not a "
                                                 "regular file")


def test_13_13_a_fifo_as_the_csv_table_is_refused_at_once(tmp_path):
    experiment = csv_experiment(tmp_path)
    (tmp_path / "data.csv").unlink()
    fifo(tmp_path, "data.csv")
    result = sim_process("check", experiment)
    assert result.returncode == EXIT_INVALID
    assert one_error_line(result.stderr) == (f"data.path: cannot read {tmp_path / 'data.csv'}: "
                                             "it is a FIFO (a named pipe), not a regular file")


def test_13_13_the_app_refuses_a_fifo_as_its_file_and_in_file_open(tmp_path, capsys,
                                                                   make_window, qtbot):
    from gui import app

    path = fifo(tmp_path, "x.json")
    assert app.main([str(path), "--quit-after", "30"]) == 2
    assert capsys.readouterr().err == (f"backprop-studio: cannot read {path}: it is a FIFO (a "
                                       "named pipe), not a regular file\n")
    window = make_window(sim.load(XOR))
    window.run.open(path)  # File > Open reads on the worker: the window never waits
    qtbot.waitUntil(lambda: bool(make_window.dialogs), timeout=10000)
    assert [text for _, text in make_window.dialogs] == [
        f"x.json: cannot read {path}: it is a FIFO (a named pipe), not a regular file"]
    make_window.dialogs.clear()


# ---------------------------------------------------------------------------- 13.14

def as_shown(text: str) -> str:
    """The text a message box shows for ``text`` (Qt guesses plain text or HTML)."""
    from PySide6.QtGui import Qt, QTextDocument

    document = QTextDocument()
    if Qt.mightBeRichText(text):
        document.setHtml(text)
    else:
        document.setPlainText(text)
    return document.toPlainText()


def test_13_14_error_dialogs_and_the_status_line_show_a_files_text_as_written(make_window,
                                                                              qtbot, tmp_path):
    key = '<h1 style="color:red">DANGER</h1>'
    path = tmp_path / "danger.json"
    path.write_text(json.dumps({**json.loads(XOR.read_text()), key: 1}))
    window = make_window(sim.load(XOR))
    window.run.open(path)
    qtbot.waitUntil(lambda: bool(make_window.dialogs), timeout=10000)
    [(_, text)] = make_window.dialogs
    make_window.dialogs.clear()
    message = f'danger.json: {key}: unknown key; known keys are "format"'
    assert as_shown(text).startswith(message)  # the markup shown as written, not obeyed
    status = window.statusBar().currentMessage()
    assert status.startswith(message) and "\n" not in status
    window.show_error("first line\n\nsecond line")  # several lines: one on the status line
    assert window.statusBar().currentMessage() == "first line second line"
    assert [as_shown(text) for _, text in make_window.dialogs] == ["first line\n\nsecond line"]
    make_window.dialogs.clear()


def test_13_14_escape_codes_from_a_file_are_printed_escaped(tmp_path):
    trainer = sim.Trainer(sim.load(LESSONS / "learning-rate-too-large.json"))
    trainer.run(steps=200)
    assert trainer.stop_event is not None
    experiment = trainer.to_experiment()
    state = copy.deepcopy(experiment.state)
    state["stopped"]["message"] = "\x1b[2J\x1b[31mpwned\x07"
    path = tmp_path / "escape.json"
    sim.save(experiment.replace(state=state, name="\x1b]0;title\x07name"), path)
    result = sim_process("run", path, "--steps", "1")
    shown = result.stdout + result.stderr
    assert "\x1b" not in shown and "\x07" not in shown
    assert "\\x1b[2J\\x1b[31mpwned\\x07" in shown and "\\x1b]0;title\\x07name" in shown


# ---------------------------------------------------------------------------- 13.15

def gradcheck_file(folder: Path, weights: list[list[float]], inputs: list[list[float]],
                   activation: str = "linear") -> Path:
    path = folder / "check.json"
    path.write_text(json.dumps({
        "data": {"kind": "inline", "inputs": inputs, "targets": [0] * len(inputs)},
        "network": {"inputs": 1, "layers": [{"units": 1, "activation": activation,
                                             "weights": weights, "biases": [0]}]}}))
    return path


def test_13_15_zero_loss_and_zero_gradients_check_ok(tmp_path):
    code, out, err = run_command("gradcheck", gradcheck_file(tmp_path, [[0.0]], [[0.0], [1.0]]))
    assert (code, err) == (EXIT_OK, "")
    assert out == ("worst relative error 0 at w⁽¹⁾₁₁ (backprop 0, finite "
                   "differences 0); 2 of 2 parameters checked: ok\n")


def test_13_15_a_loss_that_is_not_finite_is_named_not_called_a_mismatch(tmp_path):
    code, out, err = run_command("gradcheck", gradcheck_file(tmp_path, [[1e300]],
                                                             [[1e300], [1.0]]))
    assert (code, err) == (EXIT_DIVERGED, "")
    assert out == ("the loss is +infinity at these weights, not a finite number: there are no "
                   "gradients to compare; NOT FINITE\n")


def test_13_15_a_check_that_compared_nothing_does_not_pass(tmp_path):
    # ReLU at z = 0 for every sample: every nudge crosses the kink, nothing is compared.
    code, out, _ = run_command("gradcheck", gradcheck_file(tmp_path, [[0.0]], [[1.0], [2.0]],
                                                           "relu"))
    assert code == EXIT_GRADCHECK_FAILED
    assert out == ("no parameter could be compared (0 of 2 parameters checked, 2 at ReLU "
                   "kinks left out): NOTHING CHECKED\n")


# ---------------------------------------------------------------------------- 13.16

@pytest.mark.parametrize("length", [250, 255])
def test_13_16_any_name_the_file_system_allows_can_be_saved(length, tmp_path):
    target = tmp_path / ("n" * (length - len(".json")) + ".json")
    code, _, err = run_command("run", XOR, "--steps", "2", "--save", target, "--quiet")
    assert (code, err) == (EXIT_OK, "")
    assert sim.load(target).state["step"] == 2 and len(list(tmp_path.iterdir())) == 1


# ---------------------------------------------------------------------------- 13.17

KILLED_DURING_A_SAVE = """
import os, signal, sys
import sim

def killed(fd):
    os.kill(os.getpid(), signal.SIGKILL)  # as kill -9, with the temporary file written

os.fsync = killed
sim.save(sim.load(sys.argv[1]), sys.argv[2])
"""


@pytest.mark.skipif(os.name != "posix", reason="kill -9")
def test_13_17_temporaries_left_by_a_killed_save_are_removed_by_the_next(tmp_path):
    target = tmp_path / "saved.json"
    result = subprocess.run([sys.executable, "-c", KILLED_DURING_A_SAVE, str(XOR), str(target)],
                            cwd=ROOT, capture_output=True, timeout=TIMEOUT)
    assert result.returncode == -signal.SIGKILL
    [left] = list(tmp_path.iterdir())
    assert left.name.startswith(".saved.json.bps-save-") and left.name.endswith(".tmp")
    sim.save(sim.load(XOR), target)
    assert left.exists()  # a minute may not have passed: a save may still be under way
    old = time.time() - 2 * files.STALE_SECONDS
    os.utime(left, (old, old))
    running = tmp_path / f".x{files.TEMPORARY_MARK}{os.getpid()}-0123abcd.tmp"
    running.write_text("")  # a save of this (live) process: left alone however old
    os.utime(running, (old, old))
    sim.save(sim.load(XOR), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == [running.name, "saved.json"]


# ---------------------------------------------------------------------------- 13.18

def peak_memory(work: Any) -> int:
    """The most memory (bytes) Python allocated while ``work()`` ran."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def refused(path: Path) -> ExperimentError:
    try:
        sim.Trainer(sim.load(path))
    except ExperimentError as error:
        return error
    raise AssertionError(f"{path} was not refused")


def test_13_18_a_csv_with_too_many_rows_is_refused_without_reading_it_all(tmp_path):
    path = csv_experiment(tmp_path, "a,b,price\n" + "1,2,0\n" * 8_000_000)  # 48 MB
    size = (tmp_path / "data.csv").stat().st_size
    holder: list[ExperimentError] = []
    peak = peak_memory(lambda: holder.append(refused(path)))
    assert str(holder[0]) == (f"data.path: {tmp_path / 'data.csv'} has more than "
                              f"{data.MAX_SAMPLES} rows; at most {data.MAX_SAMPLES} are "
                              "allowed")
    assert peak < 3 * size  # the bytes and their text, not 8 million rows (was 1.7 GB)


def test_13_18_a_csv_with_too_many_cells_is_refused_at_the_row_that_passes_the_limit(tmp_path):
    header = ",".join(f"c{i}" for i in range(99)) + ",price\n"
    path = csv_experiment(tmp_path, header + (",".join(["1"] * 100) + "\n") * 20_000,
                          network={"inputs": 99, "layers": [{"units": 1}]})
    assert str(refused(path)) == (f"data.path: {tmp_path / 'data.csv'} has more than "
                                  f"{data.MAX_CSV_CELLS:,} cells (by row 10002); at most "
                                  f"{data.MAX_CSV_CELLS:,} are allowed")


def test_13_18_inline_data_of_too_many_numbers_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "inline.json"
    path.write_text(json.dumps({"data": {"kind": "inline", "inputs": [[1] * 256] * 4000,
                                         "targets": [1] * 4000},
                                "network": {"inputs": 256, "layers": [{"units": 1}]}}))
    error = refused(path)
    assert str(error) == ("data.inputs: inputs and targets hold 1,028,000 numbers; at most "
                          f"{data.MAX_DATA_NUMBERS:,} are allowed")


def test_13_18_a_file_of_too_many_values_is_refused_before_it_is_decoded(tmp_path):
    path = tmp_path / "values.json"
    path.write_bytes(b"[" + b"1," * MAX_VALUES + b"1]")  # 12 MB
    holder: list[ExperimentError] = []
    peak = peak_memory(lambda: holder.append(refused(path)))
    assert peak < 3 * path.stat().st_size  # never decoded (6 million values: about 200 MB)
    assert str(holder[0]) == (f"{path} holds about {MAX_VALUES + 2:,} values (commas and "
                              f"brackets); at most {MAX_VALUES:,} are read")


def test_13_18_the_largest_table_allowed_trains_within_bounded_memory(tmp_path):
    columns = 100
    header = ",".join(f"c{i}" for i in range(columns - 1)) + ",price\n"
    rows = data.MAX_CSV_CELLS // columns
    row = ",".join(f"{0.001 * i:.4f}" for i in range(columns)) + "\n"
    path = csv_experiment(tmp_path, header + row * rows,
                          network={"inputs": columns - 1, "layers": [{"units": 1}]})

    def train() -> None:
        trainer = sim.Trainer(sim.load(path))
        assert trainer.dataset.x_train.shape == (rows, columns - 1) and trainer.step()

    data.CSV_TABLES.clear()
    assert peak_memory(train) < 400 * 2**20  # 100,000 rows of 257 took 570 MB, now refused
    data.CSV_TABLES.clear()
