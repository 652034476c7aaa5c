"""``python -m sim paths``: the sum over paths on the command line, its JSON and its errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import sim
from sim import notation
from tests.conftest import LESSONS
from tests.test_cli import run_sim

SEED003 = LESSONS / "seed003-walkthrough.json"
# /work/shared/reference/worked-examples.md, section 1: dE/dw of seed 003's weights.
SEED003_GRADIENTS = {(1, 1, 1): -7.6402523e-4, (1, 1, 2): -1.2224404e-3,
                     (1, 2, 1): -6.4258867e-4, (1, 2, 2): -1.0281419e-3,
                     (2, 1, 1): -6.1248022e-3, (2, 1, 2): -5.9712676e-3}


def paths_json(*args: object) -> dict:
    result = run_sim("paths", *args, "--json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1  # one object
    return json.loads(result.stdout)


@pytest.mark.parametrize("weight", sorted(SEED003_GRADIENTS))
def test_seed003_paths_add_up_to_the_worked_example(weight):
    record = paths_json(SEED003, "--weight", ",".join(map(str, weight)))
    assert set(record) >= {"weight", "sample", "count", "paths", "total", "gradient"}
    assert record["weight"] == list(weight) and record["sample"] == 0
    layer, unit, _ = weight
    assert record["count"] == len(record["paths"]) == 1  # 2-2-1: one output above
    (path,) = record["paths"]
    assert path["through"] == [[layer, unit]] + ([[2, 1]] if layer == 1 else [])
    assert math.prod(path["factors"]) == pytest.approx(path["product"], rel=1e-15)
    assert len(path["names"]) == len(path["factors"]) == (4 if layer == 1 else 2)
    expected = SEED003_GRADIENTS[weight]
    assert record["gradient"] == pytest.approx(expected, rel=1e-7)
    assert record["total"] == pytest.approx(record["gradient"], rel=1e-14)
    assert path["product"] == pytest.approx(expected, rel=1e-7)


def one_sample_gradient(document: dict, sample: int, weight: tuple[int, int, int]) -> float:
    """dE/dw of a batch of one sample, by the engine's own training phases on a copy of the
    experiment whose data is that sample alone."""
    data = document["data"]
    data["inputs"] = data["inputs"][sample:sample + 1]
    data["targets"] = data["targets"][sample:sample + 1]
    document["batch_size"] = None
    trainer = sim.Trainer(sim.parse(document))
    for _ in range(len(trainer.phases) - 2):  # up to the end of the backward pass
        trainer.step_phase()
    layer, unit, source = weight
    ls = trainer.snapshot(with_history=False).layers[layer - 1]
    assert ls.db is not None
    return float(ls.db[unit - 1] if source == 0 else ls.dW[unit - 1, source - 1])


def softmax_document() -> dict:
    rng = np.random.default_rng(5)
    return {
        "format": "backprop-studio.experiment", "version": 1, "name": "paths", "seed": 2,
        "data": {"kind": "inline", "inputs": rng.normal(0, 1, (6, 3)).round(3).tolist(),
                 "targets": np.eye(3)[[0, 1, 2, 0, 1, 2]].tolist()},
        "network": {"inputs": 3, "layers": [
            {"units": 4, "activation": "tanh"},
            {"units": 4, "activation": "tanh", "residual": True},
            {"units": 3, "activation": "softmax"}]},
        "loss": "cross_entropy", "batch_size": 3,
        "optimizer": {"kind": "sgd", "learning_rate": 0.3}}


@pytest.mark.parametrize("weight", [(1, 2, 3), (1, 4, 0), (2, 1, 4), (3, 3, 2), (3, 2, 0)])
def test_paths_of_one_sample_add_up_to_the_engines_gradient_of_that_sample_alone(tmp_path,
                                                                                 weight):
    document = softmax_document()
    path = tmp_path / "softmax.json"
    path.write_text(json.dumps(document))
    record = paths_json(path, "--weight", ",".join(map(str, weight)), "--sample", "4")
    assert record["sample"] == 4 and record["weight"] == list(weight)
    # Above layer 1: 4 weights out of the unit or the skip, each to 4 units of layer 2 ...
    counts = {1: 4 * 3 + 3, 2: 3, 3: 1}  # layer 1: 4 edges x 3 outputs, plus the skip's 3
    assert record["count"] == counts[weight[0]] == len(record["paths"])
    expected = one_sample_gradient(document, 4, weight)
    assert record["gradient"] == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert record["total"] == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert math.fsum(p["product"] for p in record["paths"]) == \
        pytest.approx(expected, rel=1e-12, abs=1e-300)
    sizes = [abs(p["product"]) for p in record["paths"]]
    assert sizes == sorted(sizes, reverse=True)
    for p in record["paths"]:
        assert p["factors"][-1] is not None and p["through"][0] == [weight[0], weight[1]]
        assert p["names"][-1].startswith("∂E/∂z⁽³⁾")  # softmax: dE/dz of the output unit


def test_steps_trains_first(tmp_path):
    document = softmax_document()
    path = tmp_path / "softmax.json"
    path.write_text(json.dumps(document))
    before = paths_json(path, "--weight", "1,1,1")
    after = paths_json(path, "--weight", "1,1,1", "--steps", "3")
    trainer = sim.Trainer(sim.parse(document))
    trainer.run(steps=3)
    assert trainer.step_count == 3
    trained = trainer.network.layers
    for record, layers in ((after, trained), (before, sim.Trainer(sim.parse(document))
                                              .network.layers)):
        named = {name: value for p in record["paths"]
                 for name, value in zip(p["names"], p["factors"], strict=True)}
        assert named["w⁽²⁾₁₁"] == layers[1].W[0, 0]
        assert named["w⁽³⁾₁₁"] == layers[2].W[0, 0]
    assert after["gradient"] != before["gradient"]


def test_beyond_64_paths_the_json_lists_the_10_largest_and_the_rest():
    record = paths_json(LESSONS / "vanishing-sigmoid.json", "--weight", "1,2,1")
    assert record["count"] == 6 ** 7
    assert len(record["paths"]) == 10
    listed = math.fsum(p["product"] for p in record["paths"])
    assert listed + record["rest"] == pytest.approx(record["total"], rel=1e-9)
    assert record["total"] == pytest.approx(record["gradient"], rel=1e-10)


def test_the_listing_writes_each_path_as_a_product_then_the_sums():
    result = run_sim("paths", LESSONS / "two-neuron-chain.json", "--weight", "1,1,0")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("∂E/∂b⁽¹⁾₁ for sample 0 alone")
    assert lines[2] == "1. 1 × f′(z⁽¹⁾₁) × w⁽²⁾₁₁ × ∂E/∂z⁽²⁾₁"
    record = paths_json(LESSONS / "two-neuron-chain.json", "--weight", "1,1,0")
    (path,) = record["paths"]
    numbers = " × ".join(notation.factor(value) for value in path["factors"])
    assert lines[3] == f"   = {numbers} = {notation.number(path['product'])}"
    assert notation.number(path["product"]) == "0.01021"  # the seed's bias gradient
    assert lines[4] == "paths: 1, every one listed"
    assert lines[6].endswith(f"backpropagation's ∂E/∂b⁽¹⁾₁: {notation.exact(record['gradient'])}")
    assert "-" not in result.stdout.replace("two-neuron", "")  # one minus sign everywhere


@pytest.mark.parametrize("args, message", [
    (["--weight", "1,1"], "--weight: expected three whole numbers L,J,I"),
    (["--weight", "a,b,c"], "--weight: expected three whole numbers L,J,I"),
    (["--weight", "1,-1,1"], "--weight: expected three whole numbers L,J,I"),
    (["--weight", "0,1,1"], "--weight: layers and units count from 1"),
    (["--weight", "3,1,1"], "--weight: layer 3 does not exist; the network has layers 1 to 2"),
    (["--weight", "1,3,1"], "--weight: layer 1 has units 1 to 2, not 3"),
    (["--weight", "2,1,3"], "--weight: the units of layer 2 have inputs 1 to 2 (and 0 for the "
                            "bias), not 3"),
    (["--weight", "1,1,0"], "--weight: layer 1 has no biases"),
    (["--weight", "1,1,1", "--sample", "1"], "--sample must be from 0 to 0"),
    (["--weight", "1,1,1", "--sample", "-1"], "--sample must be a whole number from 0"),
    (["--weight", "1,1,1", "--steps", "many"], "--steps must be a whole number from 0"),
])
def test_bad_arguments_exit_2_with_one_line(args, message):
    for extra in ([], ["--json"]):
        result = run_sim("paths", SEED003, *args, *extra)
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
        assert result.stdout == "" and "Traceback" not in result.stderr


def test_a_missing_file_exits_2_with_one_line(tmp_path):
    result = run_sim("paths", tmp_path / "none.json", "--weight", "1,1,1")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "cannot read" in result.stderr


def test_training_that_diverges_exits_3_after_the_paths_of_the_last_finite_weights():
    result = run_sim("paths", LESSONS / "exploding-gradients.json", "--weight", "1,1,1",
                     "--steps", "200", "--json")
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1 and "diverged at step" in result.stderr
    record = json.loads(result.stdout)  # the weights after the last step were still numbers
    assert record["count"] == 512 and len(record["paths"]) == 10
