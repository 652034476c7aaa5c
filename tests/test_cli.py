"""``python -m sim``: the worked examples through the command line, exit codes, trace format."""

from __future__ import annotations

import json
import math
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sim
from tests.conftest import LESSONS, ROOT

# As in the tests' own process (pyproject.toml): a numeric warning the engine does not expect
# and scope fails the command.
PYTHON = [sys.executable, "-W", "error::RuntimeWarning"]


def run_sim(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*PYTHON, "-m", "sim", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def run_sim_on_a_terminal(*args: str, timeout: float = 60) -> tuple[int, str]:
    """Run ``python -m sim ARGS`` with its stderr on a pseudo-terminal, as a person would
    see it; returns the exit code and everything written to the terminal."""
    terminal, child_end = pty.openpty()
    try:
        process = subprocess.Popen([*PYTHON, "-m", "sim", *map(str, args)], cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=child_end)
    finally:
        os.close(child_end)
    chunks = []
    try:
        while chunk := os.read(terminal, 4096):
            chunks.append(chunk)
    except OSError:  # EIO: the child closed the terminal's other end
        pass
    finally:
        os.close(terminal)
    # The terminal turns each "\n" into "\r\n"; turned back, "\r" is only the bar's redraw.
    return process.wait(timeout), b"".join(chunks).decode().replace("\r\n", "\n")


def trained_layers(path: Path) -> list[dict]:
    """The trained parameters a --save file holds."""
    return json.loads(path.read_text())["state"]["parameters"]


def read_trace(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_seed004_chain_reproduces_the_seed(tmp_path):
    saved = tmp_path / "after.json"
    result = run_sim("run", LESSONS / "two-neuron-chain.json", "--steps", "1", "--save", saved)
    assert result.returncode == 0, result.stderr
    first, second = trained_layers(saved)
    assert second["weights"][0][0] == pytest.approx(0.427172, abs=5e-7)
    assert second["biases"][0] == pytest.approx(0.612097, abs=5e-7)
    assert first["weights"][0][0] == pytest.approx(0.149591, abs=5e-7)
    assert first["biases"][0] == pytest.approx(0.395914, abs=5e-7)
    assert "0.4271718" in result.stdout  # the summary prints the weights of small networks


def test_seed004_chain_with_the_squared_error_as_written(tmp_path):
    saved = tmp_path / "after.json"
    assert run_sim("run", LESSONS / "two-neuron-chain-sse.json", "--steps", "1", "--save",
                   saved).returncode == 0
    first, second = trained_layers(saved)
    assert (second["weights"][0][0], second["biases"][0], first["weights"][0][0],
            first["biases"][0]) == pytest.approx((0.404344, 0.574195, 0.149183, 0.391829),
                                                 abs=5e-7)


def test_seed003_walkthrough_reproduces_loss_and_gradients(tmp_path):
    saved, trace = tmp_path / "after.json", tmp_path / "trace.jsonl"
    assert run_sim("run", LESSONS / "seed003-walkthrough.json", "--steps", "1", "--save", saved,
                   "--trace", trace).returncode == 0
    record = read_trace(trace)[0]
    assert record["loss"] == pytest.approx(1.0724284e-3, rel=1e-7)
    lr = 0.5  # the lesson's learning rate: gradient = (old - new) / lr
    hidden, output = trained_layers(saved)
    old_hidden, old_output = [[0.2, 0.3], [0.4, 0.1]], [[0.6, 0.5]]
    old, new = old_hidden + old_output, hidden["weights"] + output["weights"]
    grads = [[(o - n) / lr for o, n in zip(orow, nrow, strict=True)]
             for orow, nrow in zip(old, new, strict=True)]
    expected = [[-7.6402523e-4, -1.2224404e-3], [-6.4258867e-4, -1.0281419e-3],
                [-6.1248022e-3, -5.9712676e-3]]
    for got, want in zip(grads, expected, strict=True):
        assert got == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("name, expected", [
    ("gradient-descent-z2x-one-point.json", [1.6, 1.92, 1.984, 1.9968]),
    ("gradient-descent-z2x.json", [1.866667, 1.991111, 1.999407, 1.999960]),
    ("gradient-descent-z2x-too-large.json", [4.0, 0.0, 4.0, 0.0]),
])
def test_z_equals_2x_descent(tmp_path, name, expected):
    weights = []
    for steps in range(1, 5):
        saved = tmp_path / f"w{steps}.json"
        assert run_sim("run", LESSONS / name, "--steps", steps, "--save", saved,
                       "--quiet").returncode == 0
        weights.append(trained_layers(saved)[0]["weights"][0][0])
    assert weights == pytest.approx(expected, abs=5e-7)


def test_xor_lesson_learns_xor(tmp_path):
    result = run_sim("run", LESSONS / "xor.json", "--steps", "2000")
    assert result.returncode == 0
    assert "accuracy 100.0%" in result.stdout
    loss = float(re.search(r"loss ([0-9.e-]+)", result.stdout).group(1))
    assert loss < 0.001


def test_seed000_clipping_through_the_command_line(tmp_path):
    saved, trace = tmp_path / "after.json", tmp_path / "trace.jsonl"
    assert run_sim("run", LESSONS / "clipping-seed000.json", "--steps", "1", "--save", saved,
                   "--trace", trace).returncode == 0
    record = read_trace(trace)[0]
    assert record["clipped"] is True
    assert record["grad_norm"] == pytest.approx(math.sqrt(433), rel=1e-12)
    assert trained_layers(saved)[0]["weights"][0] == pytest.approx(
        [-2.8834158, 1.9222772, -3.6042698], abs=5e-8)


def test_trace_has_one_documented_line_per_step_and_event_lines(tmp_path):
    trace = tmp_path / "trace.jsonl"
    result = run_sim("run", LESSONS / "xor.json", "--steps", "7", "--trace", trace)
    records = read_trace(trace)
    assert result.returncode == 0 and len(records) == 7
    assert [r["step"] for r in records] == list(range(1, 8))
    assert set(records[0]) == {"step", "epoch", "loss", "penalty", "grad_norm",
                               "layer_grad_norms", "clipped", "learning_rate", "val_loss"}
    assert len(records[0]["layer_grad_norms"]) == 2 and records[0]["val_loss"] is None


def test_stopping_rule_ends_the_run_with_an_event_line(tmp_path):
    trace = tmp_path / "trace.jsonl"
    result = run_sim("run", LESSONS / "gradient-descent-z2x.json", "--trace", trace)
    records = read_trace(trace)
    assert result.returncode == 0
    assert records[-1]["event"] == "stopped" and records[-1]["reason"] == "max_steps"
    assert records[-2]["step"] == 50


def test_divergence_exits_3_with_an_event_line(tmp_path):
    exp = sim.load(LESSONS / "gradient-descent-z2x-too-large.json")
    wild = tmp_path / "wild.json"
    sim.save(exp.replace(optimizer=sim.optimizers.OptimizerSpec("sgd", 1e6)), wild)
    trace = tmp_path / "trace.jsonl"
    result = run_sim("run", wild, "--steps", "1000", "--trace", trace)
    assert result.returncode == 3
    assert "diverged at step" in result.stderr and "Traceback" not in result.stderr
    last = read_trace(trace)[-1]
    assert last["event"] == "diverged" and last["layer"] == 1


def test_a_saved_run_resumes_where_it_stopped(tmp_path):
    straight, halfway, resumed = (tmp_path / n for n in ("a.json", "b.json", "c.json"))
    assert run_sim("run", LESSONS / "xor.json", "--steps", "300", "--save",
                   straight).returncode == 0
    assert run_sim("run", LESSONS / "xor.json", "--steps", "120", "--save",
                   halfway).returncode == 0
    assert run_sim("run", halfway, "--steps", "180", "--save", resumed).returncode == 0
    assert trained_layers(resumed) == trained_layers(straight)  # floats equal bit for bit


def test_progress_counts_the_steps_asked_for(tmp_path):
    code, shown = run_sim_on_a_terminal("run", LESSONS / "xor.json", "--steps", "40",
                                        "--quiet")
    assert code == 0
    assert shown.split("\r")[-1].startswith(f"[{'#' * 30}] 40/40 steps  loss ")
    assert "(step" not in shown  # a fresh run's steps are the steps of training


def test_progress_of_a_resumed_run_counts_its_own_steps_and_names_the_step_reached(tmp_path):
    halfway = tmp_path / "halfway.json"
    assert run_sim("run", LESSONS / "xor.json", "--steps", "600", "--save",
                   halfway).returncode == 0
    code, shown = run_sim_on_a_terminal("run", halfway, "--steps", "100", "--quiet")
    assert code == 0
    lines = [line for line in shown.split("\r") if line]
    assert lines[0].startswith("[") and " 1/100 steps (step 601)  loss " in lines[0]
    assert lines[-1].startswith(f"[{'#' * 30}] 100/100 steps (step 700)  loss ")
    assert lines[-1].endswith("\n")  # the line is finished for the shell's prompt


def test_check_and_gradcheck(tmp_path):
    result = run_sim("check", LESSONS / "seed003-walkthrough.json")
    assert result.returncode == 0 and "valid; network 2-2-1" in result.stdout
    result = run_sim("gradcheck", LESSONS / "xor.json")
    assert result.returncode == 0 and result.stdout.rstrip().endswith("ok")
    error = re.search(r"worst relative error ([0-9.e+−]+) at [wb]⁽", result.stdout).group(1)
    assert float(error.replace("−", "-")) < 1e-6


@pytest.mark.parametrize("args, message", [
    (["run", "{lesson}"], "nothing says when to stop"),
    (["run", "{lesson}", "--steps", "1", "--trace", "{missing}/t.jsonl"], "does not exist"),
    (["run", "{nofile}", "--steps", "1"], "cannot read"),
    (["explain", "{lesson}", "--sample", "99"], "--sample must be"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, args, message):
    lesson = sim.load(LESSONS / "xor.json").replace(stopping=sim.experiment.StoppingSpec())
    path = tmp_path / "lesson.json"
    sim.save(lesson, path)
    filled = [a.format(lesson=path, missing=tmp_path / "missing", nofile=tmp_path / "no.json")
              for a in args]
    result = run_sim(*filled)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert "Traceback" not in result.stderr


# The seed's walk-through, as the captions print it (4 significant digits). The seed rounds
# some of its own numbers down (0.2036 for 0.20367, 0.0947 for 0.09476, 0.05706 for 0.057071),
# so each number is compared to within one unit of the seed's last digit.
SEED004_CAPTIONS = [
    ("Forward · layer 1", ["0.415", "0.6023"]),
    ("Forward · layer 2", ["0.921", "0.7153"]),
    ("Backward · layer 2", ["0.7153", "0.25", "0.2036", "0.0947", "0.05706", "0.0948"]),
    ("Backward · layer 1", ["0.45", "0.01021", "0.001021"]),
    ("Update", ["0.1496", "0.3959", "0.427", "0.612"]),
]


def _numbers(text: str) -> list[float]:
    return [float(x.replace("−", "-")) for x in re.findall(r"−?\d+\.\d+(?:e-?\d+)?", text)]


def test_explain_walks_through_seed004_with_the_seeds_numbers():
    result = run_sim("explain", LESSONS / "two-neuron-chain.json")
    assert result.returncode == 0
    sections = result.stdout.split("== ")[1:]
    for title, expected in SEED004_CAPTIONS:
        section = next(s for s in sections if s.startswith(title))
        shown = _numbers(section)
        for number in expected:
            unit = 10.0 ** -len(number.split(".")[1])
            close = [abs(value - float(number)) <= unit * (1 + 1e-9) for value in shown]
            assert any(close), (title, number, shown)


def test_run_summary_prints_each_layer_on_one_line_with_the_saved_weights(tmp_path):
    saved = tmp_path / "after.json"
    result = run_sim("run", LESSONS / "seed003-walkthrough.json", "--steps", "3", "--save", saved)
    assert result.returncode == 0, result.stderr
    layer_lines = [line for line in result.stdout.splitlines() if line.startswith("layer ")]
    saved_layers = trained_layers(saved)
    assert len(layer_lines) == len(saved_layers)
    for line, layer in zip(layer_lines, saved_layers, strict=True):
        weights = json.loads(re.search(r"W = (\[.*?\]\])", line)[1])
        assert np.allclose(weights, layer["weights"], rtol=1e-9, atol=0)
