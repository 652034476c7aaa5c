"""Abuse of the engine and its files (issue 6): divergence on purpose, interrupted and refused
saves, and files that are never unpickled or executed.

Divergence: learning rates up to 1e6, weights near the float limit, inputs of 1e300 and deep
exploding networks, under every optimizer. Each run either ends in a divergence event or keeps
every number finite; the weights stay finite throughout; a history value is non-finite only
where that is documented (a metric not measured in a step is NaN; a norm whose squares overflow
a double is infinite); reset gives back the very first run; a diverged run saves, loads and goes
on exactly as the original would.
"""

from __future__ import annotations

import ast
import builtins
import errno
import json
import marshal
import math
import os
import pickle
import stat
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest

import sim
from sim import losses
from sim.cli import EXIT_DIVERGED, EXIT_INVALID, EXIT_OK
from sim.optimizers import OptimizerSpec
from tests.conftest import LESSONS, ROOT
from tests.test_fuzz_files import CSV_TEXT, run_command

# ---------------------------------------------------------------------------- divergence

OPTIMIZERS = {
    "sgd": {"kind": "sgd"},
    "momentum": {"kind": "sgd", "momentum": 0.99},
    "nesterov": {"kind": "sgd", "momentum": 0.9, "nesterov": True},
    "adam": {"kind": "adam"},
    "rmsprop": {"kind": "rmsprop"},
}
SGD_FAMILY = ("sgd", "momentum", "nesterov")
XOR = {"kind": "xor"}


def deep(hidden: int, activation: str, std: float) -> dict:
    return {"inputs": 2, "init": {"kind": "normal", "std": std, "bias": "same"},
            "layers": [{"units": 8, "activation": activation} for _ in range(hidden)]
            + [{"units": 1, "activation": "linear"}]}


def two_layers(hidden: str, output: str, **first: Any) -> dict:
    return {"inputs": 2, "layers": [{"units": 2 if first else 4, "activation": hidden, **first},
                                    {"units": 1, "activation": output}]}


HUGE_INPUTS = {"kind": "inline", "inputs": [[1e300, -1e300], [1e300, 1e300], [-1e300, 0.0]],
               "targets": [1.0, 0.0, 1.0]}

# name: (data, network, loss, learning rate, which optimizers must end in a divergence event)
SCENARIOS = {
    "learning rate 1e6, tanh": (XOR, two_layers("tanh", "linear"), "mse", 1e6, SGD_FAMILY),
    "learning rate 1e6, relu": (XOR, two_layers("relu", "linear"), "sse", 1e6, SGD_FAMILY),
    "learning rate 1e6, sigmoid and bce": (XOR, two_layers("sigmoid", "sigmoid"), "bce", 1e6,
                                           ()),
    "learning rate 1e6, validation": (
        {"kind": "xor_cloud", "samples": 40, "validation_fraction": 0.25},
        two_layers("tanh", "linear"), "half_mse", 1e6, SGD_FAMILY),
    "weights near the float limit": (
        XOR, two_layers("linear", "linear", weights=[[1.7e308, -1.7e308], [1e308, 1e-308]],
                        biases=[1.7e308, -1e308]), "half_sse", 0.1, tuple(OPTIMIZERS)),
    "weights of 1e200": (XOR, two_layers("tanh", "linear", weights=[[1e200, -1e154],
                                                                    [1e200, 1e-300]]),
                         "half_sse", 0.5, ()),
    "inputs of 1e300, linear": (HUGE_INPUTS, {"inputs": 2, "layers": [
        {"units": 1, "activation": "linear"}]}, "half_sse", 0.5, tuple(OPTIMIZERS)),
    "inputs of 1e300, tanh": (HUGE_INPUTS, two_layers("tanh", "sigmoid"), "half_sse", 0.5, ()),
    "exploding deep linear network": (XOR, deep(10, "linear", 10.0), "sse", 1.0, SGD_FAMILY),
    "exploding deep relu network": (XOR, deep(10, "relu", 5.0), "sse", 1.0, ()),
}
STEPS = 300
SQRT_MAX = math.sqrt(sys.float_info.max)  # a norm above this has squares that overflow


def divergence_experiment(scenario: str, optimizer: str) -> sim.Experiment:
    data, network, loss, learning_rate, _ = SCENARIOS[scenario]
    return sim.parse({"data": data, "network": network, "loss": loss,
                      "optimizer": {**OPTIMIZERS[optimizer], "learning_rate": learning_rate}})


def norm(values: np.ndarray) -> float:
    """The Euclidean norm without overflow: scaled by the largest magnitude first."""
    largest = float(np.max(np.abs(values))) if values.size else 0.0
    if largest == 0.0:
        return 0.0
    return largest * float(np.sqrt(np.sum((values / largest) ** 2)))


class HistoryAudit:
    """Checks each step's history row the moment it is recorded, with the weights it describes.

    The documented non-finite values: NaN for a metric not measured in that step (accuracy in
    regression, validation metrics between validations, saturation for activations that do not
    saturate or an output fused with its loss, dead units for anything but ReLU, the update
    ratio of a layer whose weights were all zero); +inf for a norm, or a validation loss, too
    large for a double. Everything else is finite, and the norms are the norms of the weights.
    """

    def __init__(self, trainer: sim.Trainer) -> None:
        self.trainer = trainer
        self.previous = trainer.network.trainable_theta.copy()
        self.rows = 0
        output = trainer.network.layers[-1]
        fused = losses.FUSED.get(trainer.experiment.loss) == output.activation.kind
        self.measured_saturation = {layer.number: layer.activation.saturates
                                    and not (layer is output and fused)
                                    for layer in trainer.network.layers}

    def __call__(self, trainer: sim.Trainer) -> None:
        row = trainer.history.last()
        theta = trainer.network.trainable_theta
        assert np.isfinite(trainer.network.theta).all()
        assert row["step"] == trainer.step_count == self.rows + 1
        for name in ("step", "epoch", "loss", "penalty", "learning_rate", "grad_norm",
                     "grad_norm_clipped", "clipped"):
            assert math.isfinite(row[name]), (name, row[name])
        assert math.isnan(row["accuracy"]) == (trainer.accuracy_rule is None)
        validated = not math.isnan(row["val_loss"])
        assert validated == (not math.isnan(row["train_loss"]))
        if validated:
            assert row["val_loss"] >= 0.0 and row["train_loss"] >= 0.0  # +inf allowed
        for layer in trainer.network.layers:
            l, segment = layer.number, layer.segment
            assert math.isfinite(row[f"grad_norm_{l}"]) and math.isfinite(
                row[f"grad_norm_clipped_{l}"])
            assert math.isnan(row[f"dead_{l}"]) == (layer.activation.kind != "relu")
            assert math.isnan(row[f"saturated_{l}"]) == (not self.measured_saturation[l])
            self._check_norm(row[f"weight_norm_{l}"], norm(theta[segment]))
            self._check_ratio(row[f"update_ratio_{l}"], norm(trainer.last_update[segment]),
                              norm(self.previous[segment]))
        self.previous = theta.copy()
        self.rows += 1

    @staticmethod
    def _check_norm(recorded: float, exact: float) -> None:
        if math.isinf(recorded):  # its squares overflow a double
            assert recorded > 0 and exact >= SQRT_MAX * (1 - 1e-9), exact
        else:
            assert recorded == pytest.approx(exact, rel=1e-9, abs=1e-300)

    @staticmethod
    def _check_ratio(recorded: float, update: float, weights: float) -> None:
        if max(update, weights) >= SQRT_MAX * (1 - 1e-9):
            assert not recorded < 0.0  # from overflowed squares: 0, inf or NaN, never negative
        elif weights == 0.0:
            assert math.isnan(recorded)  # the ratio to all-zero weights is undefined
        else:
            assert recorded == pytest.approx(update / weights, rel=1e-9, abs=1e-300)


def first_row(trainer: sim.Trainer) -> np.ndarray:
    return trainer.history.recent()[0]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_run_pushed_to_diverge_ends_in_an_event_or_stays_finite(scenario, optimizer, tmp_path):
    experiment = divergence_experiment(scenario, optimizer)
    trainer = sim.Trainer(experiment)
    initial = trainer.network.theta.copy()
    audit = HistoryAudit(trainer)
    trainer.run(steps=STEPS, on_step=audit)
    assert np.isfinite(trainer.network.theta).all()
    assert len(trainer.history) == trainer.step_count == audit.rows
    if optimizer in SCENARIOS[scenario][4]:
        assert trainer.diverged
    if trainer.diverged:
        event = trainer.stop_event
        assert event.step == trainer.step_count + 1  # the failed step left no row
        assert 1 <= event.details["layer"] <= trainer.network.depth
        assert event.message.startswith(f"diverged at step {event.step}: ")
        assert not trainer.step() and trainer.step_phase() is None
    else:  # converged or not, every number stayed finite for all the steps asked for
        assert trainer.step_count == STEPS and not trainer.stopped
    assert_reset_starts_the_same_run_again(experiment, trainer, initial)
    assert_the_run_saves_and_goes_on_as_the_original(experiment, trainer, optimizer, tmp_path)


def assert_reset_starts_the_same_run_again(experiment: sim.Experiment, trainer: sim.Trainer,
                                           initial: np.ndarray) -> None:
    fresh = sim.Trainer(experiment)
    assert not fresh.stopped and fresh.step_count == 0
    assert np.array_equal(fresh.network.theta, initial)
    fresh.step()
    if trainer.step_count:  # the same first step, to the bit (NaN where it was NaN)
        assert np.array_equal(first_row(fresh), first_row(trainer), equal_nan=True)
    else:
        assert fresh.diverged and fresh.stop_event.message == trainer.stop_event.message


def assert_the_run_saves_and_goes_on_as_the_original(experiment: sim.Experiment,
                                                     trainer: sim.Trainer, optimizer: str,
                                                     folder: Path) -> None:
    path = folder / "diverged.json"
    sim.save(trainer.to_experiment(), path)
    reloaded = sim.Trainer(sim.load(path))
    assert (reloaded.diverged, reloaded.step_count) == (trainer.diverged, trainer.step_count)
    assert np.array_equal(reloaded.network.theta, trainer.network.theta)
    if trainer.stopped:
        assert reloaded.stop_event.message == trainer.stop_event.message
    # Lower the learning rate and go on, in both: the saved run lost nothing.
    calmer = experiment.replace(optimizer=OptimizerSpec(**{**OPTIMIZERS[optimizer],
                                                          "learning_rate": 1e-3}))
    for run in (trainer, reloaded):
        run.apply_live(calmer)
        run.resume()
        run.run(steps=3)
    assert np.array_equal(reloaded.network.theta, trainer.network.theta)
    assert reloaded.step_count == trainer.step_count


def test_a_diverging_run_through_the_command_line_exits_3_and_saves(tmp_path):
    path, saved = tmp_path / "wild.json", tmp_path / "saved.json"
    sim.save(divergence_experiment("learning rate 1e6, relu", "sgd"), path)
    code, out, err = run_command("run", path, "--steps", "1000", "--save", saved)
    assert code == EXIT_DIVERGED
    assert err.count("\n") == 1 and err.startswith("diverged at step ")
    assert "nan" not in out.lower() and "inf" not in out.lower()  # the weights shown are finite
    reloaded = sim.Trainer(sim.load(saved))
    assert reloaded.diverged and err.startswith(reloaded.stop_event.message)


def test_the_trace_of_a_diverged_run_has_each_step_once_then_the_event(tmp_path):
    # The iteration that diverges takes no step: it must not repeat the last step's record.
    path, trace = tmp_path / "wild.json", tmp_path / "trace.jsonl"
    sim.save(divergence_experiment("learning rate 1e6, relu", "sgd"), path)
    assert run_command("run", path, "--steps", "1000", "--quiet", "--trace",
                       trace)[0] == EXIT_DIVERGED
    *records, event = [json.loads(line) for line in trace.read_text().splitlines()]
    assert [record["step"] for record in records] == list(range(1, len(records) + 1))
    assert event["event"] == "diverged" and event["step"] == len(records) + 1
    trainer = sim.Trainer(divergence_experiment("learning rate 1e6, relu", "sgd"))
    assert trainer.run(steps=1000) == trainer.step_count == len(records)


# ---------------------------------------------------------------------------- interrupted saves

def saved_lesson(folder: Path) -> tuple[Path, Path, bytes]:
    """A lesson to train, and an earlier save of it that a failed save must leave alone."""
    lesson, target = folder / "lesson.json", folder / "trained.json"
    sim.save(sim.load(LESSONS / "xor.json"), lesson)
    assert run_command("run", lesson, "--steps", "3", "--save", target)[0] == EXIT_OK
    return lesson, target, target.read_bytes()


class WriteFailsAfter:
    """A text stream that takes ``limit`` characters, then fails as a full disk (or a Ctrl+C)."""

    def __init__(self, stream: Any, limit: int, failure: BaseException) -> None:
        self.stream, self.limit, self.failure = stream, limit, failure

    def __enter__(self) -> WriteFailsAfter:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stream.close()

    def write(self, text: str) -> int:
        self.stream.write(text[:self.limit])
        self.stream.flush()  # the part before the failure really reaches the temporary file
        if len(text) > self.limit:
            raise self.failure
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


@pytest.mark.parametrize("limit", [0, 1, 100, 2000, 10**9])
@pytest.mark.parametrize("failure", [OSError(errno.ENOSPC, "No space left on device"),
                                     OSError(errno.EIO, "Input/output error")])
def test_a_save_that_fails_midway_leaves_the_previous_file_byte_identical(limit, failure,
                                                                          tmp_path):
    lesson, target, before = saved_lesson(tmp_path)
    real_fdopen = os.fdopen

    def failing_fdopen(*args: Any, **kwargs: Any) -> WriteFailsAfter:
        return WriteFailsAfter(real_fdopen(*args, **kwargs), limit, failure)

    # 10**9: the whole text is written, and renaming it into place fails instead
    replace = os.replace if limit < 10**9 else mock.Mock(side_effect=failure)
    with mock.patch.object(os, "fdopen", failing_fdopen), mock.patch.object(os, "replace",
                                                                            replace):
        code, out, err = run_command("run", lesson, "--steps", "5", "--save", target)
    assert (code, out) == (EXIT_INVALID, "")
    assert err == f"error: cannot write {target}: {failure.strerror}\n"
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lesson.json", "trained.json"]


def test_ctrl_c_during_a_save_leaves_the_previous_file_byte_identical(tmp_path):
    lesson, target, before = saved_lesson(tmp_path)
    real_fdopen = os.fdopen
    with mock.patch.object(os, "fdopen", lambda *a, **k: WriteFailsAfter(
            real_fdopen(*a, **k), 500, KeyboardInterrupt())):
        code, _out, err = run_command("run", lesson, "--steps", "5", "--save", target)
    assert (code, err) == (130, "interrupted\n")
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lesson.json", "trained.json"]


def test_a_save_never_opens_the_file_it_replaces(tmp_path):
    # Why an interruption at any instant leaves the old file whole: the only operation on the
    # target is the final rename, which the operating system performs atomically.
    _, target, _ = saved_lesson(tmp_path)
    opened: list[tuple[str, int]] = []
    real_open, real_replace = os.open, os.replace
    renames: list[tuple[str, str]] = []

    def spy_open(path: Any, flags: int, *args: Any) -> int:
        opened.append((os.fspath(path), flags))
        return real_open(path, flags, *args)

    def spy_replace(source: Any, destination: Any) -> None:
        renames.append((os.fspath(source), os.fspath(destination)))
        real_replace(source, destination)

    lesson = sim.load(LESSONS / "xor.json")
    with mock.patch.object(os, "open", spy_open), mock.patch.object(os, "replace", spy_replace), \
            mock.patch.object(builtins, "open", mock.Mock(side_effect=AssertionError)):
        sim.save(lesson, target)
    target = target.resolve()
    assert [Path(path).parent for path, _ in opened] == [target.parent]
    temporary, flags = opened[0]
    assert temporary != str(target) and flags & os.O_EXCL  # a new file, never the old one
    assert renames == [(temporary, str(target))]
    assert sim.load(target) == lesson


# ---------------------------------------------------------------------------- read-only places

def refuse_writes_in(folder: Path):
    """os.open as in a folder the user may not write to (root may write anywhere, so a chmod
    alone proves nothing when the tests run as root)."""
    real_open = os.open

    def guarded(path: Any, flags: int, *args: Any) -> int:
        writing = flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        if writing and Path(os.fspath(path)).resolve().parent == folder.resolve():
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_open(path, flags, *args)

    return mock.patch.object(os, "open", guarded)


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def folder_holding_a_saved_run(tmp_path: Path) -> tuple[Path, Path]:
    """A lesson file, and a folder "locked" holding a trained run saved as trained.json."""
    lesson, previous, _ = saved_lesson(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "trained.json").write_bytes(previous.read_bytes())
    return lesson, locked


def test_saving_into_a_read_only_folder_is_one_clear_line_and_changes_nothing(tmp_path):
    lesson, locked = folder_holding_a_saved_run(tmp_path)
    before = listing(locked)
    for target in (locked / "trained.json", locked / "new.json"):  # replace, or create
        with refuse_writes_in(locked):
            code, out, err = run_command("run", lesson, "--steps", "5", "--save", target)
        assert (code, out) == (EXIT_INVALID, "")
        assert err == f"error: cannot write {target}: Permission denied\n"
        assert listing(locked) == before


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="POSIX permissions, which root ignores")
def test_saving_into_a_folder_without_write_permission_fails_cleanly(tmp_path):
    lesson, locked = folder_holding_a_saved_run(tmp_path)
    before = listing(locked)
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        code, out, err = run_command("run", lesson, "--steps", "5", "--save",
                                     locked / "trained.json")
    finally:
        locked.chmod(stat.S_IRWXU)
    assert (code, out) == (EXIT_INVALID, "")
    assert err == f"error: cannot write {locked / 'trained.json'}: Permission denied\n"
    assert listing(locked) == before


# ---------------------------------------------------------------------------- never unpickled

UNSAFE_MODULES = {"pickle", "_pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle",
                  "joblib", "yaml"}
UNSAFE_BUILTINS = {"eval", "exec", "compile", "__import__"}


def unsafe_calls(source: str) -> list[str]:
    """Imports of unpickling modules, np.load without allow_pickle=False, eval and friends."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) \
                else [node.module or ""]
            found += [f"import {name}" for name in names if name.split(".")[0] in UNSAFE_MODULES]
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if isinstance(function, ast.Name) and function.id in UNSAFE_BUILTINS:
            found.append(f"{function.id}(...) at line {node.lineno}")
        if isinstance(function, ast.Attribute) and function.attr == "load" and isinstance(
                function.value, ast.Name) and function.value.id in ("np", "numpy", "torch"):
            safe = any(k.arg == "allow_pickle" and isinstance(k.value, ast.Constant)
                       and k.value.value is False for k in node.keywords)
            if function.value.id == "torch" or not safe:
                found.append(f"{function.value.id}.load(...) at line {node.lineno}")
    return found


def test_the_scanner_finds_what_it_looks_for():
    source = ("import pickle\nfrom yaml import load\nimport numpy as np\nnp.load(f)\n"
              "np.load(f, allow_pickle=True)\neval(text)\nwindow.exec()\n"
              "np.load(f, allow_pickle=False)\n")
    assert unsafe_calls(source) == ["import pickle", "import yaml", "np.load(...) at line 4",
                                    "np.load(...) at line 5", "eval(...) at line 6"]


@pytest.mark.parametrize("package", ["sim", "gui"])
def test_no_code_path_can_unpickle_or_execute_a_file(package):
    sources = sorted((ROOT / package).rglob("*.py"))
    assert sources
    problems = {str(path.relative_to(ROOT)): unsafe_calls(path.read_text(encoding="utf-8"))
                for path in sources}
    assert {path: found for path, found in problems.items() if found} == {}


def forbidden(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a user's file must never be unpickled or executed")


@pytest.fixture
def nothing_may_be_unpickled(monkeypatch):
    for module, names in ((pickle, ("load", "loads", "Unpickler")), (marshal, ("load", "loads")),
                          (np, ("load",)), (builtins, ("eval", "exec"))):
        for name in names:
            monkeypatch.setattr(module, name, forbidden)


def test_every_way_in_reads_files_as_data_only(tmp_path, nothing_may_be_unpickled):
    (tmp_path / "houses.csv").write_text(CSV_TEXT, encoding="utf-8")
    csv_lesson = tmp_path / "houses.json"
    csv_lesson.write_text(json.dumps({
        "data": {"kind": "csv", "path": "houses.csv", "targets": ["price"]},
        "network": {"inputs": 2, "layers": [{"units": 1, "activation": "linear"}]},
        "stopping": {"max_steps": 2}}), encoding="utf-8")
    files = sorted(LESSONS.glob("*.json"))
    files = [f for f in files if f.name != "index.json"] + [csv_lesson]
    for file in files:
        saved = tmp_path / f"saved-{file.name}"
        code, _, err = run_command("run", file, "--steps", "2", "--quiet", "--save", saved)
        assert code in (EXIT_OK, EXIT_DIVERGED), (file.name, err)
        sim.Trainer(sim.load(saved))  # a checkpoint, read back
        assert run_command("check", saved)[0] == EXIT_OK
