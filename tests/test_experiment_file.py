"""The experiment file: broken files are refused in one line naming the field, valid files
round-trip exactly, saving is atomic and loading never unpickles or executes anything.

The corpus in tests/broken/ holds small variations of a valid experiment, each broken in one
way and named after the problem; tests/broken/expected.json maps each file to the field path
its error must name ("" for problems of the file as a whole).
"""

from __future__ import annotations

import copy
import errno
import json
import math
import os
import pickle
import struct
import subprocess
import sys
import tracemalloc
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sim
from sim.experiment import to_dict
from sim.recurrent_experiment import parse_recurrent
from sim.recurrent_trainer import RecurrentTrainer
from sim.schema import ExperimentError, one_line
from tests.conftest import experiment

ROOT = Path(__file__).resolve().parents[1]
BROKEN = Path(__file__).resolve().parent / "broken"
EXPECTED: dict[str, str] = json.loads((BROKEN / "expected.json").read_text(encoding="utf-8"))
CORPUS = sorted(p.name for p in BROKEN.glob("*.json") if p.name != "expected.json")

# `run` is tried on files failing at each stage: decoding, field checks, cross-field checks,
# and the trainer's own set-up (CSV cells, target ranges, checkpoints). Every command starts a
# fresh interpreter, so trying all of the corpus would double the time and test nothing new.
RUN_CORPUS = [
    "empty-file.json", "invalid-utf8-bytes.json", "not-json-at-all.json", "deep-nesting.json",
    "nan-literal.json", "duplicate-nested-key.json", "top-level-list.json", "pickle-payload.json",
    "unknown-top-level-key.json", "learning-rate-negative.json", "missing-network-layers.json",
    "type-data-string.json", "wrong-version.json", "softmax-hidden-layer.json",
    "data-network-input-mismatch.json", "early-stopping-validation-rounds-to-none.json",
    "csv-file-missing.json", "csv-bad-cell.json", "bce-targets-out-of-range.json",
    "state-parameters-wrong-shape.json", "state-unknown-key.json",
]

# The experiment every broken file varies: valid as it stands.
VALID = {
    "format": "backprop-studio.experiment",
    "version": 1,
    "name": "XOR, 2-2-1",
    "seed": 0,
    "data": {"kind": "xor"},
    "network": {"inputs": 2, "layers": [{"units": 2, "activation": "sigmoid"},
                                        {"units": 1, "activation": "sigmoid"}]},
    "loss": "half_sse",
    "optimizer": {"kind": "sgd", "learning_rate": 0.5, "momentum": 0.9},
    "stopping": {"max_steps": 1000},
}


# ---------------------------------------------------------------------------- the command line

def run_sim(*args: Any) -> subprocess.CompletedProcess:
    # One BLAS thread: these runs are tiny, and starting a thread per core slows numpy's start.
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-m", "sim",
                           *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def pool():
    # Each command is a fresh interpreter importing numpy; running them side by side keeps the
    # corpus fast on any number of cores.
    with ThreadPoolExecutor(max_workers=(os.cpu_count() or 2) + 2) as executor:
        yield executor


@pytest.fixture(scope="module")
def checks(pool) -> dict[str, Future]:
    return {name: pool.submit(run_sim, "check", BROKEN / name) for name in CORPUS}


@pytest.fixture(scope="module")
def runs(pool, tmp_path_factory) -> dict[str, tuple[Future, Path]]:
    started = {}
    for name in RUN_CORPUS:
        folder = tmp_path_factory.mktemp(Path(name).stem)
        future = pool.submit(run_sim, "run", BROKEN / name, "--steps", "1", "--trace",
                             folder / "trace.jsonl", "--save", folder / "saved.json")
        started[name] = (future, folder)
    return started


def assert_one_error_line(result: subprocess.CompletedProcess, path: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, result.stderr
    line = result.stderr[:-1]
    assert line.startswith("error: ")
    if path:
        assert line.startswith(f"error: {path}: "), line
    assert len(line) < 600  # huge keys, names and numbers are cut, not echoed
    return line


def test_the_corpus_is_complete():
    assert len(CORPUS) >= 30
    assert set(CORPUS) == set(EXPECTED)
    assert set(RUN_CORPUS) <= set(CORPUS)


def test_the_experiment_the_corpus_varies_is_valid(tmp_path):
    path = tmp_path / "valid.json"
    path.write_text(json.dumps(VALID), encoding="utf-8")
    sim.Trainer(sim.load(path))


@pytest.mark.parametrize("name", CORPUS)
def test_check_refuses_in_one_line_naming_the_field(name, checks):
    assert_one_error_line(checks[name].result(), EXPECTED[name])


@pytest.mark.parametrize("name", RUN_CORPUS)
def test_run_on_a_broken_file_writes_nothing(name, runs):
    future, folder = runs[name]
    assert_one_error_line(future.result(), EXPECTED[name])
    assert list(folder.iterdir()) == []  # no trace, no save, no temporary file


def test_a_valid_file_checks_and_runs(tmp_path):
    # The other side of the tests above: the same command does write both files.
    path, trace, saved = tmp_path / "xor.json", tmp_path / "trace.jsonl", tmp_path / "saved.json"
    path.write_text(json.dumps(VALID), encoding="utf-8")
    assert run_sim("check", path).returncode == 0
    result = run_sim("run", path, "--steps", "1", "--trace", trace, "--save", saved, "--quiet")
    assert result.returncode == 0, result.stderr
    assert trace.exists() and sim.load(saved).state["step"] == 1


def test_run_on_a_broken_file_leaves_existing_outputs_alone(tmp_path):
    trace, saved = tmp_path / "trace.jsonl", tmp_path / "saved.json"
    trace.write_text("an earlier trace\n")
    saved.write_text("an earlier save\n")
    result = run_sim("run", BROKEN / "learning-rate-negative.json", "--steps", "1", "--trace",
                     trace, "--save", saved)
    assert_one_error_line(result, "optimizer.learning_rate")
    assert trace.read_text() == "an earlier trace\n"
    assert saved.read_text() == "an earlier save\n"


# ---------------------------------------------------------------------------- in process

@pytest.mark.parametrize("name", CORPUS)
def test_load_raises_experiment_error_naming_the_field(name):
    with pytest.raises(ExperimentError) as info:
        sim.Trainer(sim.load(BROKEN / name))  # some problems show only once data is read
    assert one_line(info.value.path) == EXPECTED[name]
    assert "\n" not in str(info.value)


def error_of(name: str) -> str:
    with pytest.raises(ExperimentError) as info:
        sim.Trainer(sim.load(BROKEN / name))
    return str(info.value)


@pytest.mark.parametrize("name, suggestion", [
    ("unknown-top-level-key.json", "optimizer"),
    ("unknown-key-optimizer.json", "learning_rate"),
    ("unknown-key-layer.json", "activation"),
    ("unknown-key-data.json", "samples"),
    ("unknown-key-early-stopping.json", "patience"),
    ("unknown-key-init.json", "kind"),
    ("unknown-key-with-newline.json", "learning_rate"),
    ("state-unknown-key.json", "step"),
    ("unknown-optimizer.json", "adam"),
    ("unknown-data-kind.json", "xor_cloud"),
])
def test_unknown_names_suggest_the_nearest_known_one(name, suggestion):
    assert f'did you mean "{suggestion}"?' in error_of(name)


@pytest.mark.parametrize("name, message", [
    ("learning-rate-negative.json",
     "optimizer.learning_rate: must be a positive finite number, got -0.1"),
    ("learning-rate-zero.json", "optimizer.learning_rate: must be a positive finite number, got 0"),
    ("momentum-one.json", "optimizer.momentum: must be between 0 and 0.999, got 1.0"),
    ("units-257.json", "network.layers[0].units: must be a whole number from 1 to 256, got 257"),
    ("nan-literal.json",
     "optimizer.learning_rate: NaN is not allowed: every number must be finite"),
    ("number-1e999.json", "optimizer.learning_rate: the number 1e999 is too large to represent"),
    ("duplicate-nested-key.json", "optimizer.learning_rate: appears twice in one object"),
    ("csv-bad-cell.json", "data.path: row 7, column \"price\": not a number: 'abc'"),
])
def test_messages_read_as_documented(name, message):
    assert error_of(name) == message


def test_unknown_keys_without_a_near_name_list_the_known_ones():
    assert error_of("unknown-key-huge.json").endswith(
        'known keys are "kind", "learning_rate", "momentum", "nesterov", "rho", "beta1", "beta2", '
        '"epsilon"')


def test_keys_of_another_data_kind_are_named_as_such():
    assert error_of("data-key-of-other-kind.json") == 'data.classes: is not used by data kind "xor"'


@pytest.mark.parametrize("data", [{"kind": "moons", "samples": 10**9},
                                  {"kind": "moons", "samples": 100_000},
                                  {"kind": "symmetry", "bits": 12}])
def test_loading_checks_sizes_without_building_anything(data, tmp_path):
    # A billion samples is refused from the number alone, and even the largest allowed data is
    # only generated by the trainer, never while a file is read.
    path = tmp_path / "big.json"
    path.write_text(json.dumps(VALID | {"data": data, "network": {
        "inputs": 12 if data["kind"] == "symmetry" else 2, "layers": [{"units": 1}]}}))
    tracemalloc.start()
    try:
        if data["samples" if "samples" in data else "bits"] > 100_000:
            with pytest.raises(ExperimentError) as error:
                sim.load(path)
            assert error.value.path == "data.samples"
        else:
            sim.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20


# ---------------------------------------------------------------------------- round trips

def layers(*specs: dict) -> dict:
    return {"inputs": 2, "layers": list(specs)}


def csv_experiment(folder: Path) -> sim.Experiment:
    (folder / "houses.csv").write_text("size,rooms,price\n50,2,100\n60,2,120\n70,3,140\n")
    return sim.parse({"data": {"kind": "csv", "path": "houses.csv", "targets": ["price"],
                               "inputs": ["rooms", "size"], "standardize": True},
                      "network": {"inputs": 2, "layers": [{"units": 1, "activation": "linear"}]}},
                     base_dir=folder)


VALID_VARIANTS: dict[str, dict] = {
    "defaults": {},
    "sgd": {"optimizer": {"kind": "sgd", "learning_rate": 0.3}},
    "sgd momentum": {"optimizer": {"kind": "sgd", "learning_rate": 0.3, "momentum": 0.9}},
    "sgd nesterov": {"optimizer": {"kind": "sgd", "learning_rate": 0.3, "momentum": 0.5,
                                   "nesterov": True}},
    "rmsprop": {"optimizer": {"kind": "rmsprop", "learning_rate": 0.01, "rho": 0.95,
                              "epsilon": 1e-6}},
    "adam": {"optimizer": {"kind": "adam", "learning_rate": 0.002, "beta1": 0.8, "beta2": 0.99,
                           "epsilon": 1e-7}},
    "adam defaults": {"optimizer": {"kind": "adam"}},
    "schedule constant": {"schedule": {"kind": "constant"}},
    "schedule step": {"schedule": {"kind": "step", "step_size": 50, "gamma": 0.1,
                                   "unit": "epochs"}},
    "schedule exponential": {"schedule": {"kind": "exponential", "gamma": 0.9,
                                          "decay_steps": 12.5}},
    "clipping none": {"clipping": {"kind": "none"}},
    "clipping global_norm": {"clipping": {"kind": "global_norm", "threshold": 1.5}},
    "clipping layer_norm": {"clipping": {"kind": "layer_norm", "threshold": 0.25}},
    "clipping value": {"clipping": {"kind": "value", "threshold": 0.01}},
    **{f"init {kind}": {"network": layers({"units": 2, "init": {"kind": kind}},
                                          {"units": 1})}
       for kind in ("xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "zeros")},
    "init uniform": {"network": {"inputs": 2, "init": {"kind": "uniform", "low": -0.3,
                                                       "high": 0.7, "bias": "same"},
                                 "layers": [{"units": 2}, {"units": 1}]}},
    "init normal": {"network": {"inputs": 2, "init": {"kind": "normal", "std": 0.25,
                                                      "bias": 0.1},
                                "layers": [{"units": 2}, {"units": 1}]}},
    "init constant": {"network": layers({"units": 2, "init": {"kind": "constant", "value": 0.5,
                                                              "bias": -1}}, {"units": 1})},
    **{f"activation {kind}": {"network": layers({"units": 2, "activation": kind},
                                                {"units": 1})}
       for kind in ("sigmoid", "tanh", "relu", "leaky_relu", "linear")},
    "activation leaky_relu slope": {"network": layers(
        {"units": 2, "activation": {"kind": "leaky_relu", "slope": 0.2}}, {"units": 1})},
    "softmax and cross_entropy": {
        "data": {"kind": "gaussians", "classes": 3, "samples": 30},
        "network": layers({"units": 4, "activation": "tanh"},
                          {"units": 3, "activation": "softmax"}),
        "loss": "cross_entropy"},
    "bce": {"loss": "bce"},
    **{f"loss {loss}": {"loss": loss} for loss in ("sse", "half_sse", "mse", "half_mse")},
    "layer details": {"network": layers(
        {"units": 2, "activation": "relu", "bias": True, "train_bias": False, "residual": True,
         "dropout": 0.25, "weights": [[0.1, -0.2], [1e-300, 123456.789]], "biases": [0, -0.5]},
        {"units": 3, "bias": False, "weights": [[1, 2], [3, 4], [5, 6]]},
        {"units": 1, "activation": "linear", "init": {"kind": "he_normal", "bias": "same"}})},
    "training settings": {
        "name": "Everything set", "description": "Ünïcödé ✓ and \"quotes\"\non two lines",
        "seed": 2**63 - 1, "batch_size": 2, "shuffle": False, "validation_interval": 7,
        "regularization": {"l1": 0.001, "l2": 0.01, "dropout": 0.1},
        "data": {"kind": "xor_cloud", "samples": 40, "noise": 0.2, "validation_fraction": 0.25,
                 "standardize": True, "jitter": 0.05, "input_names": ["a", "b"],
                 "output_names": ["a xor b"]},
        "stopping": {"max_steps": 100, "max_epochs": 10, "loss_below": 1e-4,
                     "time_limit": 2.5,
                     "early_stopping": {"patience": 3, "min_delta": 1e-3,
                                        "restore_best": False}}},
    "data inline": {"data": {"kind": "inline", "inputs": [[0, 1], [1, 0.5]],
                             "targets": [1, 0.25]}},
    "data circles": {"data": {"kind": "circles", "samples": 20, "factor": 0.3}},
    "data spiral": {"data": {"kind": "spiral", "classes": 2, "turns": 1.5},
                    "network": layers({"units": 3}, {"units": 1})},
    "data moons": {"data": {"kind": "moons", "noise": 0}},
    "data line": {"data": {"kind": "line", "slope": -3, "x": [0, 0.5, 1]},
                  "network": {"inputs": 1, "layers": [{"units": 1, "activation": "linear"}]}},
    "data sine": {"data": {"kind": "sine", "samples": 50},
                  "network": {"inputs": 1, "layers": [{"units": 4, "activation": "tanh"},
                                                      {"units": 1, "activation": "linear"}]}},
    "data symmetry": {"data": {"kind": "symmetry", "bits": 4},
                      "network": {"inputs": 4, "layers": [{"units": 2}, {"units": 1}]}},
    "data parity": {"data": {"kind": "parity"},
                    "network": {"inputs": 3, "layers": [{"units": 3}, {"units": 1}]}},
    "data encoder": {"data": {"kind": "encoder", "size": 4},
                     "network": {"inputs": 4, "layers": [{"units": 2}, {"units": 4}]}},
    "data spam": {"data": {"kind": "spam", "samples": 10, "noise": 0},
                  "network": {"inputs": 5, "layers": [{"units": 1}]}},
}


@pytest.fixture(params=sorted(VALID_VARIANTS) + ["data csv"])
def valid(request, tmp_path) -> sim.Experiment:
    if request.param == "data csv":
        return csv_experiment(tmp_path)
    return experiment(**copy.deepcopy(VALID_VARIANTS[request.param]))


def test_parse_of_to_dict_gives_the_same_experiment(valid):
    assert sim.parse(to_dict(valid), base_dir=valid.base_dir) == valid


def test_dumps_reloads_identically(valid, tmp_path):
    text = sim.dumps(valid)
    again = sim.parse(json.loads(text), base_dir=valid.base_dir)
    assert again == valid
    assert sim.dumps(again) == text  # the canonical form is a fixed point
    path = tmp_path / "saved.json"
    sim.save(valid, path)
    assert path.read_text(encoding="utf-8") == text
    assert sim.load(path).replace(base_dir=valid.base_dir) == valid


def test_the_canonical_form_writes_every_section():
    document = to_dict(experiment())
    assert list(document) == ["format", "version", "name", "description", "seed", "data",
                              "network", "loss", "optimizer", "schedule", "batch_size",
                              "shuffle", "clipping", "regularization", "stopping",
                              "validation_interval", "view", "quiz"]
    assert (document["format"], document["version"]) == ("backprop-studio.experiment", 1)


def bits(value: float) -> bytes:
    return struct.pack("<d", value)


AWKWARD_FLOATS = [0.1, 0.2 + 0.1, 1 / 3, -0.0, 5e-324, 2.2250738585072014e-308,
                  1.7976931348623157e308, -1.5e308, 123456789.12345679, math.pi, 1e-300,
                  float.fromhex("0x1.fffffffffffffp-1")]


def test_floats_round_trip_bit_for_bit(tmp_path):
    rng = np.random.default_rng(7)
    values = AWKWARD_FLOATS + rng.normal(scale=1e3, size=20).tolist()
    weights = [values[i:i + 2] for i in range(0, 32, 2)]  # a 16 x 2 layer
    original = experiment(network={"inputs": 2, "layers": [
        {"units": 16, "activation": "linear", "weights": weights, "biases": values[:16]},
        {"units": 1}]}, optimizer={"kind": "sgd", "learning_rate": 0.1 + 0.2})
    path = tmp_path / "floats.json"
    sim.save(original, path)
    loaded = sim.load(path)
    first = loaded.network.layers[0]
    assert [bits(w) for row in first.weights for w in row] == [bits(w) for w in values[:32]]
    assert [bits(b) for b in first.biases] == [bits(b) for b in values[:16]]
    assert bits(loaded.optimizer.learning_rate) == bits(0.1 + 0.2)


def all_floats(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for item in value.values() for f in all_floats(item)]
    if isinstance(value, list):
        return [f for item in value for f in all_floats(item)]
    return []


def test_a_checkpoint_round_trips_bit_for_bit(tmp_path):
    trainer = sim.Trainer(experiment(optimizer={"kind": "adam", "learning_rate": 0.05},
                                     data={"kind": "xor_cloud", "samples": 20,
                                           "validation_fraction": 0.25},
                                     stopping={"early_stopping": {"patience": 50}}))
    trainer.run(steps=5)
    saved = trainer.to_experiment()
    path = tmp_path / "checkpoint.json"
    sim.save(saved, path)
    loaded = sim.load(path)
    assert loaded == saved
    assert [bits(f) for f in all_floats(loaded.state)] == [bits(f) for f in
                                                           all_floats(json.loads(
                                                               json.dumps(saved.state)))]
    assert sim.dumps(loaded) == sim.dumps(saved)


# ---------------------------------------------------------------------------- atomic save

class FailingWrite:
    """A text stream that writes half of what it is given, then reports a full disk."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def __enter__(self) -> FailingWrite:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stream.close()

    def write(self, text: str) -> int:
        self.stream.write(text[:len(text) // 2])
        self.stream.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def break_fsync(monkeypatch) -> type[BaseException]:
    def fsync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")
    monkeypatch.setattr(os, "fsync", fsync)
    return OSError


def break_write(monkeypatch) -> type[BaseException]:
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda *a, **k: FailingWrite(real_fdopen(*a, **k)))
    return OSError


def break_replace(monkeypatch) -> type[BaseException]:
    def replace(source: Any, target: Any) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")
    monkeypatch.setattr(os, "replace", replace)
    return OSError


def interrupt_write(monkeypatch) -> type[BaseException]:
    def fsync(fd: int) -> None:
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "fsync", fsync)
    return KeyboardInterrupt


@pytest.mark.parametrize("failure", [break_fsync, break_write, break_replace, interrupt_write])
def test_a_failed_save_leaves_the_previous_file_and_no_temporary(failure, tmp_path, monkeypatch):
    path = tmp_path / "lesson.json"
    sim.save(experiment(name="before"), path)
    before = path.read_bytes()
    with monkeypatch.context() as patch:
        error = failure(patch)
        with pytest.raises(error):
            sim.save(experiment(name="after, a longer name" * 8), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["lesson.json"]


@pytest.mark.parametrize("failure", [break_fsync, break_write])
def test_a_failed_first_save_leaves_nothing(failure, tmp_path, monkeypatch):
    with monkeypatch.context() as patch:
        error = failure(patch)
        with pytest.raises(error):
            sim.save(experiment(), tmp_path / "new.json")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_save_gives_a_new_file_the_usual_mode_and_keeps_an_old_files(tmp_path):
    umask = os.umask(0o022)
    try:
        path = tmp_path / "lesson.json"
        sim.save(experiment(), path)
        assert path.stat().st_mode & 0o777 == 0o644  # readable by all, like any new file
        path.chmod(0o600)
        sim.save(experiment(name="again"), path)
        assert path.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(umask)


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_save_through_a_symbolic_link_replaces_the_file_it_points_to(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "lesson.json"
    sim.save(experiment(name="first"), target)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    sim.save(experiment(name="second"), link)
    assert link.is_symlink()
    assert sim.load(target).name == "second"


# ---------------------------------------------------------------------------- JSON only

class Payload:
    """Unpickling this creates a folder: the proof that something was unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (str(self.marker),)


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_a_pickle_is_refused_as_not_json_and_never_unpickled(protocol, tmp_path):
    marker = tmp_path / "unpickled"
    path = tmp_path / "lesson.json"
    path.write_bytes(pickle.dumps(Payload(marker), protocol=protocol))
    with pytest.raises(ExperimentError) as info:
        sim.load(path)
    assert info.value.path == ""
    assert "not valid JSON" in str(info.value) or "not UTF-8" in str(info.value)
    assert not marker.exists()


def test_loading_never_unpickles(tmp_path, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("loading an experiment must not unpickle anything")

    path = tmp_path / "lesson.json"
    sim.save(sim.Trainer(experiment()).to_experiment(), path)  # with a state section
    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, forbidden)
    monkeypatch.setattr(np, "load", forbidden)
    sim.Trainer(sim.load(path))


@pytest.mark.parametrize("text", ["__import__('os').mkdir({marker!r})",
                                  "{{'data': {{'kind': 'xor'}}}}", "data:\n  kind: xor\n"])
def test_python_and_yaml_are_not_json(text, tmp_path):
    marker = tmp_path / "executed"
    path = tmp_path / "lesson.json"
    path.write_text(text.format(marker=str(marker)))
    with pytest.raises(ExperimentError, match="is not valid JSON"):
        sim.load(path)
    assert not marker.exists()


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "lesson.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(VALID).encode())
    assert sim.load(path).name == "XOR, 2-2-1"


def test_a_file_larger_than_the_limit_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "big.json"
    path.write_text(json.dumps(VALID | {"description": "x" * 2000}))
    monkeypatch.setattr(sim.experiment, "MAX_FILE_BYTES", 1024)
    with pytest.raises(ExperimentError, match=r"big\.json is larger than"):
        sim.load(path)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_that_never_ends_is_refused_without_being_read():
    # Only regular files are read: a device may never end (and a FIFO never start).
    with pytest.raises(ExperimentError, match=r"^cannot read /dev/zero: it is a character "
                                              r"device, not a regular file$"):
        sim.load("/dev/zero")


def test_a_file_that_is_not_there_or_a_folder_is_named(tmp_path):
    for path in (tmp_path / "missing.json", tmp_path):
        with pytest.raises(ExperimentError, match="cannot read"):
            sim.load(path)


def test_the_examples_in_the_documentation_are_valid():
    text = (ROOT / "docs" / "experiment-format.md").read_text(encoding="utf-8")
    examples = text.split("```json\n")[1:]
    assert len(examples) >= 3
    for example in examples:
        document = sim.experiment.decode_json(example.split("```")[0].encode(), "example")
        if sim.experiment.network_kind(document) == "recurrent":  # read by its own module
            RecurrentTrainer(parse_recurrent(document))
        else:
            sim.Trainer(sim.parse(document))
