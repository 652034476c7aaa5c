"""The sum over paths: every path's product, their count, and their sum against the engine."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.address import ParameterAddress
from sim.paths import ALL_PATHS_UP_TO, LARGEST_SHOWN, sample_paths, snapshot_paths
from tests.conftest import experiment

HIDDEN = ("sigmoid", "tanh", "relu", "leaky_relu", "linear")
OUTPUTS = [("sse", "sigmoid"), ("half_sse", "linear"), ("mse", "tanh"), ("half_mse", "sigmoid"),
           ("bce", "sigmoid"), ("cross_entropy", "softmax")]


def network_experiment(widths: list[int], hidden: str, loss: str, output: str,
                       residual: bool = False, seed: int = 0, dropout: float = 0.0):
    outputs = widths[-1]
    layers = [{"units": w, "activation": hidden, "residual": residual and k > 0}
              for k, w in enumerate(widths[1:-1])]
    layers.append({"units": outputs, "activation": output})
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, (5, widths[0])).round(3).tolist()
    labels = rng.integers(0, outputs, 5)
    t = np.eye(outputs)[labels] if output == "softmax" else rng.uniform(0.1, 0.9, (5, outputs))
    return experiment(
        seed=seed, loss=loss, batch_size=5,
        data={"kind": "inline", "inputs": x, "targets": np.asarray(t).round(3).tolist()},
        network={"inputs": widths[0], "init": {"kind": "normal", "std": 0.9, "bias": 0.1},
                 "layers": layers},
        regularization={"dropout": dropout})


def brute_force(network: sim.Trainer, x: np.ndarray, loss: str, layer: int, j: int,
                i: int | None) -> list[float]:
    """Every path's product, enumerated one path at a time from the pass's own arrays."""
    trainer = network
    s = trainer.snapshot(with_history=False)
    depth = s.depth
    a_i = 1.0 if i is None else float(s.activations(layer - 1)[0, i])
    products = []

    def walk(m: int, unit: int, product: float, through_slope: bool) -> None:
        ls = s.layers[m - 1]
        if through_slope:
            if m == depth:
                products.append(product * float(ls.delta[0, unit]))
                return
            product *= float(ls.fprime[0, unit])
        above = s.layers[m]
        for k in range(above.units):
            walk(m + 1, k, product * float(above.W[k, unit]), True)
        if above.residual:
            walk(m + 1, unit, product, False)

    walk(layer, j, a_i, True)
    return products


def one_sample_trainer(exp: sim.Experiment) -> sim.Trainer:
    """A trainer whose first step's batch is sample 0 alone, stepped to its backward end."""
    document = sim.experiment.to_dict(exp)
    data = document["data"]
    data["inputs"], data["targets"] = data["inputs"][:1], data["targets"][:1]
    document["batch_size"] = None
    document["regularization"]["dropout"] = 0.0
    trainer = sim.Trainer(sim.parse(document))
    for _ in range(len(trainer.phases) - 2):  # forward, loss, backward: not clip or update
        trainer.step_phase()
    return trainer


def addresses(trainer: sim.Trainer):
    for layer in trainer.network.layers:
        for j in range(layer.units):
            for i in list(range(layer.fan_in)) + ([None] if layer.has_bias else []):
                yield ParameterAddress(layer.number, j, i)


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("loss,output", OUTPUTS)
@pytest.mark.parametrize("residual", [False, True])
def test_the_products_add_up_to_the_gradient_and_every_path_is_listed(hidden, loss, output,
                                                                       residual):
    exp = network_experiment([3, 3, 3, 2], hidden, loss, output, residual)
    trainer = one_sample_trainer(exp)
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    for address in addresses(trainer):
        result = sample_paths(trainer.network, x, t, loss, address, 0)
        expected = brute_force(trainer, x, loss, *address)
        assert result.count == len(expected)
        assert result.complete
        assert sorted(p.product for p in result.paths) == pytest.approx(sorted(expected),
                                                                         rel=1e-12, abs=1e-300)
        scale = max(math.fsum(abs(p) for p in expected), 1e-300)
        assert abs(math.fsum(p.product for p in result.paths) - result.gradient) <= 1e-12 * scale
        assert abs(result.total - result.gradient) <= 1e-12 * scale
        products = [abs(p.product) for p in result.paths]
        assert products == sorted(products, reverse=True)


def test_each_paths_factors_multiply_to_its_product_and_run_through_its_units():
    exp = network_experiment([2, 3, 3, 1], "tanh", "half_sse", "sigmoid", residual=True)
    trainer = one_sample_trainer(exp)
    result = sample_paths(trainer.network, trainer.dataset.x_train, trainer.dataset.t_train,
                          "half_sse", ParameterAddress(1, 1, 0), 0)
    skips = 0
    for path in result.paths:
        assert math.prod(f.value for f in path.factors) == pytest.approx(path.product, rel=1e-15)
        kinds = [f.kind for f in path.factors]
        assert kinds[0] == "input" and kinds[1] == "slope" and kinds[-1] == "output"
        assert path.through[0] == (1, 2) and path.through[-1][0] == 3
        layers = [layer for layer, _ in path.through]
        assert layers == list(range(1, 4))
        skips += kinds.count("skip")
    assert skips > 0  # the residual second layer adds skip paths


def test_beyond_64_paths_the_10_largest_are_listed_with_the_rest_summed():
    exp = network_experiment([2, 5, 5, 5, 3], "tanh", "cross_entropy", "softmax", seed=3)
    trainer = one_sample_trainer(exp)
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    result = sample_paths(trainer.network, x, t, "cross_entropy", ParameterAddress(1, 2, 1), 0)
    expected = brute_force(trainer, x, "cross_entropy", 1, 2, 1)
    assert result.count == len(expected) == 5 * 5 * 3 > ALL_PATHS_UP_TO
    assert len(result.paths) == LARGEST_SHOWN and not result.complete
    largest = sorted(expected, key=abs, reverse=True)[:LARGEST_SHOWN]
    assert [p.product for p in result.paths] == pytest.approx(largest, rel=1e-12)
    listed = math.fsum(p.product for p in result.paths)
    assert listed + result.rest == pytest.approx(result.gradient, rel=1e-10, abs=1e-15)


def test_the_count_of_a_deep_wide_network_is_exact():
    exp = network_experiment([2, 30, 30, 30, 30, 2], "relu", "half_mse", "linear", seed=1)
    trainer = one_sample_trainer(exp)
    result = sample_paths(trainer.network, trainer.dataset.x_train, trainer.dataset.t_train,
                          "half_mse", ParameterAddress(1, 0, 0), 0)
    assert result.count == 30 ** 3 * 2
    assert len(result.paths) == LARGEST_SHOWN
    assert result.total == pytest.approx(result.gradient, rel=1e-10, abs=1e-300)


def test_residual_layers_add_their_skip_paths_to_the_count():
    # Hidden layers 2 and 3 residual: from a unit of layer 1 a path may skip each of them.
    exp = network_experiment([2, 3, 3, 3, 2], "tanh", "half_sse", "linear", residual=True)
    trainer = one_sample_trainer(exp)
    result = sample_paths(trainer.network, trainer.dataset.x_train, trainer.dataset.t_train,
                          "half_sse", ParameterAddress(1, 0, 1), 0)
    # From a unit of layer 2: 3 edges to layer 3, 2 outputs each, or its skip past layer 3's
    # slope to the same 2 outputs: 8 tails. From layer 1: 3 edges to layer 2 (8 each) or
    # the skip to layer 2's output (8): 32.
    expected = brute_force(trainer, trainer.dataset.x_train, "half_sse", 1, 0, 1)
    assert result.count == len(expected) == 32


def test_snapshot_paths_follow_the_batch_row_with_its_dropout():
    exp = network_experiment([3, 4, 4, 2], "sigmoid", "half_mse", "sigmoid", dropout=0.3)
    trainer = sim.Trainer(exp)
    for _ in range(len(trainer.phases) - 2):
        trainer.step_phase()
    s = trainer.snapshot(with_history=False)
    assert s.layers[0].keep is not None and (s.layers[0].keep == 0.0).any()
    for row in range(s.x.shape[0]):
        for address in (ParameterAddress(1, 2, 1), ParameterAddress(2, 0, None),
                        ParameterAddress(3, 1, 3)):
            result = snapshot_paths(s, address, row)
            share = s.chain_rule(address).per_sample[row]
            assert result.gradient == share
            assert result.total == pytest.approx(share, rel=1e-12, abs=1e-300)
            if any(f.kind == "keep" and f.value == 0.0 for p in result.paths
                   for f in p.factors):
                assert all(p.product == 0.0 for p in result.paths
                           if any(f.kind == "keep" and f.value == 0.0 for f in p.factors))


@pytest.mark.parametrize("layer,j,i,problem", [
    (4, 0, 0, "layer 4 does not exist"), (1, 5, 0, "layer 1 has units 0 to 2, not 5"),
    (1, 0, 7, "layer 1 has inputs 0 to 1, not 7")])
def test_addresses_that_do_not_exist_are_refused(layer, j, i, problem):
    exp = network_experiment([2, 3, 1], "tanh", "half_sse", "linear")
    trainer = one_sample_trainer(exp)
    with pytest.raises(ValueError, match=problem):
        sample_paths(trainer.network, trainer.dataset.x_train, trainer.dataset.t_train,
                     "half_sse", ParameterAddress(layer, j, i), 0)
