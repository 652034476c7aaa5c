"""The sum over paths: every path's product, their count, and their sum against the engine."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim import notation, paths
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


# ---------------------------------------------------------------------------- edges on paths

def enumerated_edges(trainer: sim.Trainer, layer: int, j: int, i: int | None) -> set:
    """Every edge of every path, found by walking the network's shape one path at a time:
    ("weight", l, k, u) for w_ku of layer l, ("bias", l, k), ("skip", l, u)."""
    s = trainer.snapshot(with_history=False)
    edges = {("bias", layer, j) if i is None else ("weight", layer, j, i)}

    def walk(m: int, unit: int) -> None:
        if m == s.depth:
            return
        above = s.layers[m]
        for k in range(above.units):
            edges.add(("weight", m + 1, k, unit))
            walk(m + 1, k)
        if above.residual:
            edges.add(("skip", m + 1, unit))
            walk(m + 1, unit)

    walk(layer, j)
    return edges


def mask_edges(masks: dict) -> set:
    """The edges marked in sim.paths' masks, in `enumerated_edges`' form."""
    edges = set()
    for number, layer_edges in masks.items():
        edges |= {("weight", number, k, u) for k, u in np.argwhere(layer_edges.weights).tolist()}
        edges |= {("bias", number, k) for k in np.flatnonzero(layer_edges.biases).tolist()}
        edges |= {("skip", number, u) for u in np.flatnonzero(layer_edges.skips).tolist()}
    return edges


@pytest.mark.parametrize("residual", [False, True])
def test_the_edges_of_every_path_are_those_the_paths_run_along(residual):
    exp = network_experiment([2, 3, 3, 3, 2], "tanh", "half_sse", "linear", residual)
    trainer = one_sample_trainer(exp)
    layers = trainer.snapshot(with_history=False).layers
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    for address in addresses(trainer):
        expected = enumerated_edges(trainer, *address)
        assert mask_edges(paths.edges_of_every_path(layers, address)) == expected
        result = sample_paths(trainer.network, x, t, "half_sse", address, 0)
        assert result.complete  # every path listed: their edges are every path's edges
        assert mask_edges(paths.edges_of(result.paths, layers, address)) == expected


def test_the_edges_of_one_path_are_its_weights_and_skips():
    exp = network_experiment([2, 3, 3, 3, 2], "tanh", "half_sse", "linear", residual=True)
    trainer = one_sample_trainer(exp)
    layers = trainer.snapshot(with_history=False).layers
    address = ParameterAddress(1, 2, None)
    result = sample_paths(trainer.network, trainer.dataset.x_train, trainer.dataset.t_train,
                          "half_sse", address, 0)
    for path in result.paths:
        expected = {("bias", 1, 2)}
        for f in path.factors:
            if f.kind == "weight":
                expected.add(("weight", f.layer, f.unit - 1, f.source - 1))
            elif f.kind == "skip":
                expected.add(("skip", f.layer, f.unit - 1))
        assert mask_edges(paths.edges_of([path], layers, address)) == expected
        assert len(expected) == len(path.through)  # its own, and one edge per layer above


# ---------------------------------------------------------------------------- in words

def test_factors_are_named_in_the_seeds_notation():
    exp = network_experiment([2, 3, 3, 2], "sigmoid", "half_sse", "linear", residual=True)
    trainer = one_sample_trainer(exp)
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    result = sample_paths(trainer.network, x, t, "half_sse", ParameterAddress(2, 1, 2), 0)
    names = {tuple(f.name for f in p.factors) for p in result.paths}
    assert ("a⁽¹⁾₃", "f′(z⁽²⁾₂)", "w⁽³⁾₁₂", "∂E/∂z⁽³⁾₁") in names
    bias = sample_paths(trainer.network, x, t, "half_sse", ParameterAddress(1, 0, None), 0)
    skip = next(p for p in bias.paths if p.through == ((1, 1), (2, 1), (3, 2)) and
                any(f.kind == "skip" for f in p.factors))
    assert [f.name for f in skip.factors] == ["1", "f′(z⁽¹⁾₁)", "skip⁽²⁾₁", "w⁽³⁾₂₁",
                                              "∂E/∂z⁽³⁾₂"]
    first = sample_paths(trainer.network, x, t, "half_sse", ParameterAddress(1, 0, 1), 0)
    assert first.paths[0].factors[0].name == "x₂"


def test_a_path_written_out_multiplies_its_named_factors():
    exp = network_experiment([2, 2, 1], "sigmoid", "half_sse", "sigmoid")
    trainer = one_sample_trainer(exp)
    result = sample_paths(trainer.network, trainer.dataset.x_train, trainer.dataset.t_train,
                          "half_sse", ParameterAddress(1, 1, 0), 0)
    (path,) = result.paths
    names, numbers = paths.written_out(path)
    assert names == "x₁ × f′(z⁽¹⁾₂) × w⁽²⁾₁₂ × ∂E/∂z⁽²⁾₁"
    expected = " × ".join(notation.factor(f.value) for f in path.factors)
    assert numbers == f"{expected} = {notation.number(path.product)}"
    assert "-" not in numbers  # one minus sign: −


def test_the_summary_gives_the_count_the_sums_and_the_gradient_beside_the_total():
    exp = network_experiment([2, 5, 5, 5, 3], "tanh", "cross_entropy", "softmax", seed=3)
    trainer = one_sample_trainer(exp)
    result = sample_paths(trainer.network, trainer.dataset.x_train, trainer.dataset.t_train,
                          "cross_entropy", ParameterAddress(1, 2, 1), 0)
    lines = paths.summary(result, "backpropagation's ∂E/∂w⁽¹⁾₃₂")
    assert lines[0] == "paths: 75; listed: the 10 of largest |product|"
    listed = math.fsum(p.product for p in result.paths)
    assert lines[1] == (f"sum of the listed products: {notation.number(listed)}; of the other "
                        f"65 paths' products: {notation.number(result.rest)}")
    assert lines[2] == (f"sum over all paths (added up as backpropagation does): "
                        f"{notation.exact(result.total)}; backpropagation's ∂E/∂w⁽¹⁾₃₂: "
                        f"{notation.exact(result.gradient)}")


def test_the_slope_note_bounds_the_product_of_sigmoid_slopes():
    exp = network_experiment([2, 3, 3, 3, 1], "sigmoid", "bce", "sigmoid")
    trainer = one_sample_trainer(exp)
    result = sample_paths(trainer.network, trainer.dataset.x_train, trainer.dataset.t_train,
                          "bce", ParameterAddress(1, 0, 0), 0)
    slopes = [f.value for f in result.paths[0].factors if f.kind == "slope"]
    assert len(slopes) == 3 and all(0 < s <= 0.25 for s in slopes)
    assert paths.slope_note(result) == (
        f"The 3 slopes f′ on path 1 multiply to {notation.number(math.prod(slopes))}: "
        f"sigmoid's f′ is at most 0.25, so 3 of them multiply to at most 0.25³ = 0.01562.")
    relu = network_experiment([2, 3, 3, 1], "relu", "half_sse", "linear")
    trainer = one_sample_trainer(relu)
    result = sample_paths(trainer.network, trainer.dataset.x_train, trainer.dataset.t_train,
                          "half_sse", ParameterAddress(1, 0, 0), 0)
    assert paths.slope_note(result) is None  # relu's slope is 0 or 1: nothing to bound


def test_the_json_record_holds_the_documented_fields():
    exp = network_experiment([2, 3, 2], "tanh", "half_sse", "linear")
    trainer = one_sample_trainer(exp)
    result = sample_paths(trainer.network, trainer.dataset.x_train, trainer.dataset.t_train,
                          "half_sse", ParameterAddress(1, 2, None), 0)
    record = paths.to_json(result)
    assert record["weight"] == [1, 3, 0] and record["sample"] == 0 and record["count"] == 2
    assert [p["through"] for p in record["paths"]] == [list(map(list, p.through))
                                                       for p in result.paths]
    for shown, path in zip(record["paths"], result.paths, strict=True):
        assert shown["factors"] == [f.value for f in path.factors]
        assert shown["names"] == [f.name for f in path.factors]
        assert shown["product"] == path.product
    assert (record["total"], record["rest"], record["gradient"]) == \
        (result.total, 0.0, result.gradient)
