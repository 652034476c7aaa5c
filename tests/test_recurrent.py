"""Recurrent networks: BPTT against finite differences, clipping, files, checkpoints, the CLI."""

from __future__ import annotations

import copy
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sim
from sim import recurrent_experiment as rx
from sim.cli import main as cli_main
from sim.clipping import NORM_EPSILON
from sim.recurrent import parameter_label
from sim.recurrent_explain import step_captions
from sim.recurrent_trainer import RecurrentTrainer
from sim.schema import ExperimentError, one_line

ROOT = Path(__file__).resolve().parents[1]

# Every loss, each with an output layer it may have (a fused loss's own; the others vary).
OUTPUT_FOR_LOSS = {kind: sim.losses.FUSED.get(kind, ("tanh", "sigmoid", "linear")[k % 3])
                   for k, kind in enumerate(sim.losses.KINDS)}


def document(cell: str = "elman", loss: str = "bce", **changes: object) -> dict:
    """A small valid recurrent experiment, with top-level ``changes``."""
    outputs = 2 if loss == "cross_entropy" else 1
    rng = np.random.default_rng(7)
    inputs = rng.normal(size=(5, 6, 2))
    targets = rng.uniform(size=(5, outputs))
    if loss == "cross_entropy":
        targets /= targets.sum(axis=1, keepdims=True)
    doc = {
        "format": "backprop-studio.experiment", "version": 1, "seed": 4,
        "data": {"kind": "inline", "inputs": inputs.tolist(), "targets": targets.tolist()},
        "network": {"kind": "recurrent", "inputs": 2, "cell": cell, "hidden": 3,
                    "output": {"units": outputs, "activation": OUTPUT_FOR_LOSS[loss]},
                    "init": {"kind": "normal", "std": 0.5, "bias": "same"}},
        "loss": loss,
    }
    doc.update(changes)
    return doc


def trainer_for(doc: dict) -> RecurrentTrainer:
    return RecurrentTrainer(rx.parse_recurrent(doc))


def parity(**data: object) -> dict:
    """A recurrent experiment on 20 parity sequences of 3 steps, with ``data`` keys added."""
    doc = document(data={"kind": "parity", "samples": 20, "steps": 3, **data})
    doc["network"]["inputs"] = 1
    return doc


@pytest.mark.parametrize("cell", ["elman", "lstm"])
@pytest.mark.parametrize("loss", sorted(OUTPUT_FOR_LOSS))
def test_bptt_agrees_with_finite_differences(cell, loss):
    trainer = trainer_for(document(cell, loss, regularization={"l1": 0.003, "l2": 0.01}))
    result = trainer.gradcheck()
    assert result.passed, result.summary()
    assert result.checked == result.total == trainer.network.n_trainable


def test_relu_elman_cell_agrees_away_from_its_kinks():
    doc = document("elman", "mse")
    doc["network"]["activation"] = "relu"
    result = trainer_for(doc).gradcheck()
    assert result.passed, result.summary()


def test_parameter_names_count_rows_and_columns_from_1_as_the_dense_names_do():
    doc = document("lstm")
    doc["network"]["hidden"] = 10
    network = trainer_for(doc).network

    def name_of(key: str, *position: int) -> str:
        flat = np.zeros(network.n_trainable)
        network.view(key, flat)[position] = 1.0
        return parameter_label(network, int(np.flatnonzero(flat)[0]))

    assert name_of("input", 0, 0) == "W_ih[i]₁₁"
    assert name_of("input", 11, 1) == "W_ih[f]₂₂"  # row 11: the f block's second unit
    assert name_of("recurrent", 19, 0) == "W_hh[f]₁₀,₁"  # two digits: a comma, as w⁽¹⁾₁₀,₂
    assert name_of("bias", 39) == "b[o]₁₀"
    assert name_of("output", 0, 9) == "W_out₁,₁₀"
    assert name_of("output_bias", 0) == "b_out₁"
    elman = trainer_for(document("elman")).network
    assert [parameter_label(elman, index) for index in (0, 6)] == ["W_ih₁₁", "W_hh₁₁"]


def numeric_gradient(trainer: RecurrentTrainer, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    network, loss = trainer.network, trainer.experiment.loss
    theta = network.theta
    out = np.empty_like(theta)
    for index in range(theta.size):
        original = theta[index]
        h = 1e-5 * max(1.0, abs(original))
        theta[index] = original + h
        up = network.loss_value(x, t, loss, trainer.l1, trainer.l2)
        theta[index] = original - h
        down = network.loss_value(x, t, loss, trainer.l1, trainer.l2)
        theta[index] = original
        out[index] = (up - down) / (2 * h)
    return out


@pytest.mark.parametrize("cell", ["elman", "lstm"])
@pytest.mark.parametrize("clipping", [{"kind": "none"},
                                      {"kind": "global_norm", "threshold": 0.01}])
def test_a_step_moves_the_weights_by_the_clipped_finite_difference_gradient(cell, clipping):
    trainer = trainer_for(document(cell, "half_sse", clipping=clipping,
                                   optimizer={"kind": "sgd", "learning_rate": 0.5}))
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    before = trainer.network.theta.copy()
    numeric = numeric_gradient(trainer, x, t)
    trainer.step()
    norm = float(np.linalg.norm(numeric))
    scale = 1.0
    if clipping["kind"] == "global_norm":
        assert norm > clipping["threshold"]  # the test needs a gradient that gets clipped
        scale = clipping["threshold"] / (norm + NORM_EPSILON)
        assert trainer.last_record.clipped
    np.testing.assert_allclose(trainer.network.theta - before, -0.5 * scale * numeric,
                               rtol=1e-6, atol=1e-10)
    # the recorded norm is the gradient's before clipping
    assert trainer.last_record.grad_norm == pytest.approx(norm, rel=1e-6)


@pytest.mark.parametrize("cell", ["elman", "lstm"])
def test_time_grad_norms_are_the_norms_of_the_total_derivative_by_hidden_state(cell):
    trainer = trainer_for(document(cell, "bce"))
    network = trainer.network
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    p = network.loss_and_gradient(x, t, "bce")
    steps = x.shape[1]
    assert len(p.time_grad_norms) == steps
    for step in (1, steps // 2, steps):
        # nudging h_t (with every later step computed from it) changes E by dE/dh_t
        def loss_with(offset: np.ndarray, step: int = step) -> float:
            q = network.forward(x[:, :step], t)
            h = q.h[step] + offset
            c = q.c[step] if cell == "lstm" else None
            return _loss_from(network, x, t, step, h, c)

        numeric = np.zeros_like(p.h[step])
        for index in np.ndindex(numeric.shape):
            nudge = np.zeros_like(numeric)
            nudge[index] = 1e-6
            numeric[index] = (loss_with(nudge) - loss_with(-nudge)) / 2e-6
        np.testing.assert_allclose(p.dh[step], numeric, rtol=1e-5, atol=1e-10)
        assert p.time_grad_norms[step - 1] == pytest.approx(np.linalg.norm(numeric), rel=1e-5)


def _loss_from(network, x, t, step, h, c):
    """The loss when the pass is continued from hidden state h (and cell state c) at ``step``."""
    W_ih, W_hh, b = network.view("input"), network.view("recurrent"), network.view("bias")
    k = network.hidden
    for s in range(step, x.shape[1]):
        a = x[:, s] @ W_ih.T + h @ W_hh.T + b
        if c is None:
            h = np.tanh(a)
        else:
            sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
            c = sig(a[:, k:2 * k]) * c + sig(a[:, :k]) * np.tanh(a[:, 2 * k:3 * k])
            h = sig(a[:, 3 * k:]) * np.tanh(c)
    z = h @ network.view("output").T + network.view("output_bias")
    y = 1.0 / (1.0 + np.exp(-z))
    return sim.losses.value("bce", y, z, t)


@pytest.mark.parametrize("optimizer", [{"kind": "sgd", "learning_rate": 0.1, "momentum": 0.9},
                                       {"kind": "rmsprop", "learning_rate": 0.01},
                                       {"kind": "adam", "learning_rate": 0.01}])
def test_save_and_resume_are_bit_exact(tmp_path, optimizer):
    doc = document("lstm", "bce", optimizer=optimizer, batch_size=2,
                   clipping={"kind": "global_norm", "threshold": 0.3})
    doc["data"] = {"kind": "parity", "samples": 12, "steps": 5, "validation_fraction": 0.25}
    doc["network"]["inputs"] = 1
    doc["network"]["init"] = {"kind": "xavier_uniform", "forget_bias": 1.0}
    straight = trainer_for(doc)
    straight.run(steps=7)
    halted = trainer_for(doc)
    halted.run(steps=3)  # inside the second epoch of 5 batches
    rx.save(halted.to_experiment(), tmp_path / "saved.json")
    loaded = rx.load(tmp_path / "saved.json")
    assert set(loaded.state["parameters"]) == {"input", "recurrent", "bias", "output",
                                               "output_bias"}
    resumed = RecurrentTrainer(loaded)
    resumed.run(steps=4)
    assert resumed.network.theta.tobytes() == straight.network.theta.tobytes()
    resumed_state, straight_state = resumed.state(), straight.state()
    del resumed_state["train_seconds"], straight_state["train_seconds"]  # wall time
    assert resumed_state == straight_state


def stopped_early() -> tuple[dict, RecurrentTrainer]:
    """A parity experiment with early stopping, and its trainer run until that stopped it."""
    doc = parity(validation_fraction=0.25)
    doc["stopping"] = {"early_stopping": {"patience": 1, "min_delta": 1e6}}
    doc["validation_interval"] = 1
    trainer = trainer_for(doc)
    trainer.run(steps=50)
    return doc, trainer


def test_early_stopping_and_its_stop_are_saved_and_read_back():
    doc, trainer = stopped_early()
    assert trainer.stop_event is not None and trainer.stop_event.kind == "stopped"
    state = trainer.state()
    assert set(state["early_stopping"]["parameters"]) == set(state["parameters"])
    resumed = trainer_for({**doc, "state": state})
    assert resumed.stop_event == trainer.stop_event
    assert resumed.network.theta.tobytes() == trainer.network.theta.tobytes()
    assert resumed.state() == state
    state["early_stopping"]["parameters"]["output_bias"] = [0.0, 0.0]
    with pytest.raises(ExperimentError, match=r"^state\.early_stopping\.parameters\."
                                              r"output_bias: "):
        trainer_for({**doc, "state": state})


def test_explain_on_a_run_that_has_stopped_says_so_as_for_a_dense_file(tmp_path, capsys):
    _, trainer = stopped_early()
    rx.save(trainer.to_experiment(), tmp_path / "stopped.json")
    assert cli_main(["explain", str(tmp_path / "stopped.json")]) == 0
    assert capsys.readouterr().out == one_line(trainer.stop_event.message) + "\n"


def test_a_file_round_trips_through_save_and_load(tmp_path):
    doc = document("lstm", "bce")
    doc["network"]["init"] = {"kind": "xavier_uniform", "forget_bias": 1.0}
    experiment = rx.parse_recurrent(doc)
    rx.save(experiment, tmp_path / "e.json")
    assert rx.load(tmp_path / "e.json") == experiment


def test_explicit_weights_are_used_as_given():
    doc = document("lstm", "bce")
    trained = trainer_for(doc)
    doc["network"]["weights"] = trained.network.parameters()
    given = trainer_for(doc)
    assert given.network.theta.tobytes() == trained.network.theta.tobytes()
    assert given.network.view("recurrent").shape == (12, 3)  # (G·H, H) with G = 4


def test_forget_bias_sets_only_the_f_block_of_the_bias():
    doc = document("lstm", "bce")
    doc["network"]["init"] = {"kind": "xavier_uniform", "forget_bias": 1.0}
    bias = trainer_for(doc).network.view("bias")
    assert (bias[3:6] == 1.0).all() and (bias[:3] == 0.0).all() and (bias[6:] == 0.0).all()


@pytest.mark.parametrize("kind, steps", [("remember_first", 7), ("adding", 6), ("parity", 5)])
def test_generated_tasks_have_the_targets_their_rule_gives(kind, steps):
    doc = document("elman", "mse")
    doc["data"] = {"kind": kind, "samples": 40, "steps": steps}
    doc["network"]["inputs"] = 2 if kind == "adding" else 1
    doc["network"]["output"]["activation"] = "linear"
    data = trainer_for(doc).dataset
    x, t = data.x_train, data.t_train
    assert x.shape == (40, steps, doc["network"]["inputs"])
    if kind == "remember_first":
        np.testing.assert_array_equal(t[:, 0], (x[:, 0, 0] > 0).astype(float))
        assert (x[:, 1:] == 0.0).all()
    elif kind == "adding":
        assert (x[:, :, 1].sum(axis=1) == 2.0).all()
        np.testing.assert_allclose(t[:, 0], (x[:, :, 0] * x[:, :, 1]).sum(axis=1))
    else:
        np.testing.assert_array_equal(t[:, 0], x[:, :, 0].sum(axis=1) % 2)


def _with(doc: dict, path: str, value: object) -> dict:
    doc = copy.deepcopy(doc)
    *keys, last = path.split(".")
    target = doc
    for key in keys:
        target = target[key]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return doc


BROKEN = [
    ("network.cell", "gru", "network.cell"),
    ("network.hidden", 0, "network.hidden"),
    ("network.inputs", 3, "network.inputs"),
    ("network.output.units", 2, "network.output.units"),
    ("network.activation", "softmax", "network.activation"),
    ("network.output", None, "network.output"),
    ("network.init.forget_bias", 1.0, "network.init.forget_bias"),  # an Elman cell
    ("network.weights", {"input": [[0.0, 0.0]]}, "network.weights.input"),
    ("data.inputs", [[[0.0, 0.0]], [[0.0]]], "data.inputs[1][0]"),
    ("data.targets", [[0.0]], "data.targets"),
    ("data.kind", "spiral", "data.kind"),
    ("data.steps", 3, "data.steps"),  # inline data takes no steps
    ("regularization", {"dropout": 0.5}, "regularization.dropout"),
    ("view", {"colour": "gradient"}, "view.colour"),  # only the speed applies
    ("view", {"speed": -1}, "view.speed"),
    ("loss", "cross_entropy", "loss"),
    # the settings a dense file has too, read by the same code (sim.experiment)
    ("format", "other", "format"),
    ("version", 2, "version"),
    ("optimizer", {"kind": "nesterov"}, "optimizer.kind"),
    ("batch_size", 0, "batch_size"),
    ("stopping", {"max_steps": 0}, "stopping.max_steps"),
    ("validation_interval", 0, "validation_interval"),
    ("state", [1], "state"),
]


@pytest.mark.parametrize("path, value, field", BROKEN, ids=[b[2] for b in BROKEN])
def test_broken_recurrent_files_are_refused_naming_the_field(path, value, field):
    with pytest.raises(ExperimentError) as error:
        rx.parse_recurrent(_with(document(), path, value))
    assert error.value.path == field
    assert "\n" not in str(error.value)


def test_sequences_split_off_validation_then_test_as_dense_data_does():
    dataset = trainer_for(parity(validation_fraction=0.25, test_fraction=0.25)).dataset
    assert [part.shape[0] for part in (dataset.x_train, dataset.x_val, dataset.x_test)] == \
        [10, 5, 5]
    whole = trainer_for(parity()).dataset
    parts = np.concatenate([dataset.x_train, dataset.x_val, dataset.x_test])
    assert sorted(map(bytes, parts)) == sorted(map(bytes, whole.x_train))  # a partition
    for x, t in ((dataset.x_train, dataset.t_train), (dataset.x_test, dataset.t_test)):
        np.testing.assert_array_equal(t[:, 0], x.sum(axis=(1, 2)) % 2.0)  # targets kept


def test_sequences_holding_out_too_much_are_refused_as_dense_data_is():
    with pytest.raises(ExperimentError, match=r"^data\.test_fraction: validation_fraction and "
                                              r"test_fraction together may hold out at most "
                                              r"0\.9 of the samples$"):
        rx.parse_recurrent(parity(validation_fraction=0.5, test_fraction=0.5))


def test_the_issues_example_network_reads_and_lstm_refuses_another_activation():
    doc = document("lstm")
    doc["network"] = {"kind": "recurrent", "inputs": 2, "cell": "lstm", "hidden": 8,
                      "activation": "tanh", "output": {"units": 1, "activation": "sigmoid"},
                      "init": {"kind": "xavier_uniform", "forget_bias": 1.0}}
    network = rx.parse_recurrent(doc).network
    assert network.cell == "lstm" and network.init.forget_bias == 1.0
    with pytest.raises(ExperimentError, match=r"^network\.activation: can be chosen for the "):
        rx.parse_recurrent(_with(doc, "network.activation", "relu"))


def test_a_broken_state_is_refused_naming_the_field():
    doc = document("lstm")
    state = trainer_for(doc).state()
    state["parameters"]["recurrent"] = [[0.0]]
    with pytest.raises(ExperimentError, match=r"^state\.parameters\.recurrent: must have 12 "):
        trainer_for({**doc, "state": state})


def test_the_dense_loader_refuses_a_recurrent_file_in_one_line(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(document()), encoding="utf-8")
    with pytest.raises(ExperimentError) as error:
        sim.load(path)
    assert error.value.path == "network.kind"
    assert "python -m sim" in str(error.value)


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_command_line_on_a_recurrent_file(tmp_path):
    doc = document("lstm", "bce", optimizer={"kind": "adam", "learning_rate": 0.01})
    (tmp_path / "r.json").write_text(json.dumps(doc), encoding="utf-8")
    check = cli("check", "r.json", cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert "valid; recurrent network, lstm cell: 2 inputs, 3 hidden units" in check.stdout
    grad = cli("gradcheck", "r.json", cwd=tmp_path)
    assert grad.returncode == 0 and grad.stdout.rstrip().endswith(": ok"), grad.stdout
    run = cli("run", "r.json", "--steps", "3", "--trace", "t.jsonl", "--save", "s.json",
              cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3]
    assert all(len(r["time_grad_norms"]) == 6 and len(r["cell_grad_norms"]) == 6
               for r in records)
    assert all(set(r["gate_means"]) == {"i", "f", "g", "o"} and
               all(len(means) == 6 for means in r["gate_means"].values()) for r in records)
    assert json.loads((tmp_path / "s.json").read_text())["state"]["step"] == 3
    walk = cli("explain", "r.json", cwd=tmp_path)
    assert walk.returncode == 0, walk.stderr
    out = walk.stdout
    assert out.index("Forward, time step 1 of 6") < out.index("== Loss") < \
        out.index("Backward through time, time step 6 of 6") < \
        out.index("Backward through time, time step 1 of 6") < out.index("== Update")
    assert "∂c₆/∂c₅ = f₆ = sigmoid(a_f) = [" in out
    refused = cli("paths", "r.json", "--weight", "1,1,1", cwd=tmp_path)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "holds a recurrent network" in refused.stderr


def test_command_line_refuses_a_broken_recurrent_file_naming_the_field(tmp_path):
    (tmp_path / "r.json").write_text(json.dumps(_with(document(), "network.hidden", -1)),
                                     encoding="utf-8")
    for command in ("check", "run", "explain", "gradcheck"):
        result = cli(command, "r.json", cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.startswith("error: network.hidden: ") and \
            result.stderr.count("\n") == 1
        assert result.stdout == ""


def test_explain_numbers_are_the_pass_numbers():
    trainer = trainer_for(document("lstm", "bce"))
    trainer.step()
    snapshot = trainer.snapshot()
    p = snapshot.last_pass
    forget = snapshot.gate_values("f")
    assert forget.shape == (6, 5, 3)
    np.testing.assert_array_equal(forget[2], p.gates[3]["f"])
    assert snapshot.record.gate_means["f"][2] == pytest.approx(float(np.mean(forget[2])))
    # the cell path: dE/dc_{t-1} holds dE/dc_t · f_t
    dc3, dc2 = p.dc[3], p.dc[2]
    tanh_c = np.tanh(p.c[2])
    np.testing.assert_allclose(dc2 - p.dh[2] * p.gates[2]["o"] * (1 - tanh_c ** 2),
                               dc3 * p.gates[3]["f"], rtol=1e-12, atol=1e-15)
    assert math.isfinite(snapshot.time_grad_norms.sum())


def test_captions_write_time_steps_as_subscripts_as_the_names_write_units():
    trainer = trainer_for(parity(steps=12))
    trainer.step()
    lines = [line for caption in step_captions(trainer.snapshot()) for line in caption.lines]
    text = "\n".join(lines)
    assert "a₁ = W_ih x₁ + W_hh h₀ + b = [" in text
    assert "a₁₂ = W_ih x₁₂ + W_hh h₁₁ + b = [" in text
    assert "∂E/∂h₁₁ gets (∂E/∂h₁₂ · f′(a₁₂)) W_hh" in text
    assert "z = W_out h₁₂ + b_out = [" in text
    assert not re.search(r"_\d|_\{", text)  # no step written with an underscore


OUTPUT_REFUSALS = [  # loss, output activation, units; the field and the problem
    ("bce", "softmax", 2, "activation", 'softmax output needs loss "cross_entropy", got "bce"'),
    ("cross_entropy", "softmax", 1, "units", "a softmax output needs at least 2 units"),
    ("cross_entropy", "sigmoid", 2, "", '"cross_entropy" needs a softmax output layer, got '
                                        "sigmoid"),
]


@pytest.mark.parametrize("loss, activation, units, field, problem", OUTPUT_REFUSALS)
def test_an_output_layer_the_loss_cannot_train_is_refused_alike_in_both_kinds_of_file(
        loss, activation, units, field, problem):
    targets = [[0.5] * units] * 5
    recurrent = document(loss=loss)
    recurrent["data"]["targets"] = targets
    recurrent["network"]["output"] = {"units": units, "activation": activation}
    dense = {"data": {"kind": "inline", "inputs": [[0.0, 1.0]] * 5, "targets": targets},
             "network": {"inputs": 2, "layers": [{"units": units, "activation": activation}]},
             "loss": loss}
    for parse, doc, layer in ((rx.parse_recurrent, recurrent, "network.output"),
                              (sim.parse, dense, "network.layers[0]")):
        with pytest.raises(ExperimentError) as error:
            parse(doc)
        assert (error.value.path, error.value.problem) == \
            (f"{layer}.{field}" if field else "loss", problem)


@pytest.mark.parametrize("fraction, problem", [
    (0.0, "needs a validation set: set data.validation_fraction above 0"),
    (0.02, "needs a validation set, but data.validation_fraction 0.02 of 20 samples rounds to "
           "none")])
def test_early_stopping_without_a_validation_sample_is_refused_as_in_a_dense_file(fraction,
                                                                                 problem):
    doc = parity(validation_fraction=fraction)
    doc["stopping"] = {"early_stopping": {"patience": 2}}
    with pytest.raises(ExperimentError) as error:
        rx.parse_recurrent(doc)
    assert (error.value.path, error.value.problem) == ("stopping.early_stopping", problem)
