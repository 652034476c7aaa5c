"""Batch normalisation: exact gradients, running statistics in evaluation, checkpoints, and the
file keys that describe it."""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest

import sim
from sim import (
    batch_norm,
    batch_norm_text,
    boundary,
    cli,
    explain,
    held_out,
    landscape,
    neuron_maps,
    notation,
    paths,
    quiz,
)
from sim.address import NormAddress, ParameterAddress, address_at
from sim.batch_norm import OneSampleBatch
from sim.schema import ExperimentError
from tests.test_explain import equations

TOLERANCE = 1e-6
HIDDEN = ("sigmoid", "tanh", "relu", {"kind": "leaky_relu", "slope": 0.1}, "linear")
OUTPUTS = [(loss, out) for loss in ("sse", "half_sse", "mse", "half_mse")
           for out in ("sigmoid", "linear")] + [("bce", "sigmoid"), ("cross_entropy", "softmax")]


def document(hidden="tanh", loss="mse", output="linear", samples=6, norm_output=True,
             **extra) -> dict:
    rng = np.random.default_rng(4)
    outputs = 3 if output == "softmax" else 2
    x = rng.normal(size=(samples, 3))
    t = rng.uniform(size=(samples, outputs))
    if loss == "cross_entropy":
        t /= t.sum(axis=1, keepdims=True)
    layers = [{"units": 4, "activation": hidden, "batch_norm": True},
              {"units": 3, "activation": hidden, "batch_norm": {"momentum": 0.3}},
              {"units": outputs, "activation": output, "batch_norm": norm_output}]
    return {"seed": 2, "loss": loss,
            "data": {"kind": "inline", "inputs": x.tolist(), "targets": t.tolist()},
            "network": {"inputs": 3, "init": {"kind": "normal", "std": 0.8}, "layers": layers},
            **extra}


def trainer_of(**fields) -> sim.Trainer:
    return sim.Trainer(sim.parse(document(**fields)))


# ---------------------------------------------------------------------------- gradients

CASES = list(itertools.product(range(len(HIDDEN)), OUTPUTS, (False, True)))


@pytest.mark.parametrize("hidden, loss_output, norm_output", CASES)
def test_backprop_through_batch_norm_matches_finite_differences(hidden, loss_output,
                                                                norm_output):
    loss, output = loss_output
    trainer = trainer_of(hidden=HIDDEN[hidden], loss=loss, output=output,
                         norm_output=norm_output)
    trainer.run(steps=2)  # gamma and beta away from 1 and 0
    result = trainer.gradcheck()
    assert result.checked + result.at_kinks == trainer.network.n_trainable
    assert result.checked >= 0.9 * trainer.network.n_trainable
    assert result.worst_relative_error < TOLERANCE, result


@pytest.mark.parametrize("regularization", [{"l2": 0.3}, {"l1": 0.2}])
def test_penalties_reach_the_weights_only(regularization):
    trainer = trainer_of(regularization=regularization)
    assert trainer.gradcheck().worst_relative_error < TOLERANCE
    network = trainer.network
    before = network.penalty(0.2, 0.3)
    for layer in network.layers:
        layer.norm.gamma[...] = 5.0
        layer.norm.beta[...] = -3.0
    assert network.penalty(0.2, 0.3) == before


def test_a_bias_before_batch_norm_gets_no_gradient():
    """The batch mean takes any constant added to z away again."""
    doc = document()
    for layer in doc["network"]["layers"]:
        layer["bias"] = True
    trainer = sim.Trainer(sim.parse(doc))
    trainer.step()
    for layer in trainer.network.layers:
        assert np.abs(layer.db).max() < 1e-15


def test_gamma_and_beta_are_addressed_and_named():
    network = trainer_of().network
    for index in range(network.n_trainable):
        address = address_at(network, index)
        assert address.flat_index(network) == index
    gamma = NormAddress(2, 1, "gamma")
    assert gamma.label() == "γ⁽²⁾₂"
    assert network.theta[gamma.flat_index(network)] == 1.0
    assert network.theta[NormAddress(2, 1, "beta").flat_index(network)] == 0.0
    assert gamma.describe() == "γ⁽²⁾₂, the scale of unit 2 of layer 2 after batch normalisation"
    with pytest.raises(ValueError, match="is γ⁽¹⁾₁, not a weight or a bias"):
        ParameterAddress.at_index(network, NormAddress(1, 0, "gamma").flat_index(network))
    with pytest.raises(ValueError, match="running statistic"):
        address_at(network, network.n_trainable)
    plain = sim.Trainer(sim.parse(document(norm_output=False))).network
    assert NormAddress(3, 0, "beta").problem(plain) == \
        "layer 3 has no batch normalisation, so no beta"


# ---------------------------------------------------------------------------- statistics

def test_a_training_step_moves_the_running_statistics_with_the_unbiased_variance():
    trainer = trainer_of()
    layer = trainer.network.layers[1]
    assert np.array_equal(layer.norm.running_mean, np.zeros(3))
    assert np.array_equal(layer.norm.running_var, np.ones(3))
    trainer.step_phase()
    trainer.step_phase()  # forward layer 2
    z = trainer.current_pass.computed("z", 2)
    assert layer.norm.running_mean == pytest.approx(0.3 * z.mean(axis=0), rel=1e-14)
    assert layer.norm.running_var == pytest.approx(0.7 + 0.3 * z.var(axis=0, ddof=1),
                                                   rel=1e-14)
    normalised = trainer.current_pass.norm[2]
    assert normalised.variance == pytest.approx(z.var(axis=0), rel=1e-14)  # biased


def test_evaluation_normalises_with_the_running_statistics():
    trainer = trainer_of(samples=12, batch_size=4)
    trainer.run(steps=9)
    network = trainer.network
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    evaluated = network.forward(x)
    layer = network.layers[0]
    z = evaluated.computed("z", 1)
    expected = layer.norm.gamma * (z - layer.norm.running_mean) / \
        np.sqrt(layer.norm.running_var + 1e-5) + layer.norm.beta
    assert evaluated.activation_input(1) == pytest.approx(expected, rel=1e-14)
    # One sample alone is evaluated as it is in the whole set: no batch statistics.
    assert network.predict(x[:1]) == pytest.approx(network.predict(x)[:1], rel=1e-14)
    # The training-mode loss (batch statistics) is another number.
    evaluation = network.loss_value(x, t, "mse")
    training = network.loss_value(x, t, "mse", statistics="batch")
    assert abs(evaluation - training) > 1e-4 * training


def test_validation_loss_is_an_evaluation_with_the_running_statistics():
    doc = document(samples=10)
    doc["data"]["validation_fraction"] = 0.3
    trainer = sim.Trainer(sim.parse(doc))
    trainer.run(steps=3)
    row = trainer.history.last()
    network = trainer.network
    dataset = trainer.dataset
    assert row["val_loss"] == network.loss_value(dataset.x_val, dataset.t_val, "mse")
    assert row["val_loss"] != network.loss_value(dataset.x_val, dataset.t_val, "mse",
                                                 statistics="batch")
    assert row["train_loss"] == network.loss_value(dataset.x_train, dataset.t_train, "mse")


def test_early_stopping_restores_the_running_statistics_with_the_weights():
    doc = document(samples=10, stopping={"early_stopping": {"patience": 2}},
                   optimizer={"kind": "sgd", "learning_rate": 3.0})
    doc["data"]["validation_fraction"] = 0.3
    trainer = sim.Trainer(sim.parse(doc))
    trainer.run(steps=200)
    assert trainer.stopped and trainer.best is not None
    assert np.array_equal(trainer.network.theta, trainer.best["theta"])
    dataset = trainer.dataset
    assert trainer.network.loss_value(dataset.x_val, dataset.t_val, "mse") == \
        trainer.best["loss"]


# ---------------------------------------------------------------------------- batches of one

def test_a_batch_of_one_is_refused_naming_the_batch_size():
    with pytest.raises(ExperimentError) as error:
        sim.parse(document(batch_size=1))
    assert str(error.value) == (
        "batch_size: batch normalisation (network.layers[0].batch_norm) needs at least 2 "
        "samples in every batch, but each batch has 1 sample: the variance of one sample is 0")


def test_a_last_batch_of_one_is_refused_too():
    with pytest.raises(ExperimentError, match=r"^batch_size: .* the last batch of each epoch "
                                              r"has 1 \(7 training samples in batches of 3\)"):
        sim.parse(document(samples=7, batch_size=3))
    assert sim.parse(document(samples=8, batch_size=3)).batch_size == 3


def test_a_pass_over_one_sample_with_batch_statistics_is_refused():
    network = trainer_of().network
    x = np.zeros((1, 3))
    with pytest.raises(OneSampleBatch, match=r"^batch normalisation in layer 1 needs at least "
                                             r"2 samples in a batch"):
        network.forward(x, statistics="batch")


# ---------------------------------------------------------------------------- the file

def test_batch_norm_layers_have_no_bias_unless_asked():
    layers = sim.parse(document()).network.layers
    assert [layer.bias for layer in layers] == [False, False, False]
    doc = document()
    doc["network"]["layers"][0]["bias"] = True
    assert sim.parse(doc).network.layers[0].bias


def test_gamma_and_beta_set_the_start_and_round_trip():
    doc = document()
    doc["network"]["layers"][1].update(gamma=[2.0, 0.5, 1.0], beta=[0.1, 0.2, -0.3])
    experiment = sim.parse(doc)
    layer = sim.Trainer(experiment).network.layers[1]
    assert layer.norm.gamma.tolist() == [2.0, 0.5, 1.0]
    assert layer.norm.beta.tolist() == [0.1, 0.2, -0.3]
    again = sim.parse(sim.experiment.decode_json(sim.dumps(experiment).encode(), "x"))
    assert again.network == experiment.network
    assert again.network.layers[1].batch_norm.momentum == 0.3


@pytest.mark.parametrize("change, message", [
    ({"batch_norm": "yes"}, "network.layers[1].batch_norm: must be true, false or an object "
                            "with momentum and epsilon, got the text \"yes\""),
    ({"batch_norm": {"momentum": 1.5}}, "network.layers[1].batch_norm.momentum: must be "
                                        "between 0 and 1, got 1.5"),
    ({"batch_norm": {"epsilon": 0}}, "network.layers[1].batch_norm.epsilon: must be a "
                                     "positive finite number, got 0"),
    ({"batch_norm": {"momentm": 0.1}}, "network.layers[1].batch_norm.momentm: unknown key; "
                                       "did you mean \"momentum\"?"),
    ({"gamma": [1, 2]}, "network.layers[1].gamma: must have 3 numbers, got 2"),
    ({"batch_norm": False, "beta": [0, 0, 0]}, "network.layers[1].beta: given for a layer "
                                               "without batch_norm"),
])
def test_malformed_batch_norm_keys_are_refused_naming_the_field(change, message):
    doc = document()
    doc["network"]["layers"][1].update(change)
    with pytest.raises(ExperimentError) as error:
        sim.parse(doc)
    assert str(error.value) == message


# ---------------------------------------------------------------------------- checkpoints

def test_the_state_holds_gamma_beta_and_the_running_statistics():
    trainer = trainer_of()
    trainer.run(steps=3)
    saved = trainer.state()["parameters"]
    for entry, layer in zip(saved, trainer.network.layers, strict=True):
        assert entry["gamma"] == layer.norm.gamma.tolist()
        assert entry["beta"] == layer.norm.beta.tolist()
        assert entry["running_mean"] == layer.norm.running_mean.tolist()
        assert entry["running_var"] == layer.norm.running_var.tolist()


@pytest.mark.parametrize("edit, message", [
    (lambda layer: layer.pop("running_var"), "state.parameters[1].running_var: is required"),
    (lambda layer: layer.update(gamma=[1.0]), "state.parameters[1].gamma: must have 3 "
                                               "numbers, got 1"),
    (lambda layer: layer.update(running_var=[1.0, -1.0, 1.0]),
     "state.parameters[1].running_var: a variance cannot be negative"),
])
def test_a_malformed_state_is_refused_naming_the_field(edit, message):
    trainer = trainer_of()
    trainer.run(steps=1)
    state = copy.deepcopy(trainer.state())
    edit(state["parameters"][1])
    doc = document() | {"state": state}
    with pytest.raises(ExperimentError) as error:
        sim.Trainer(sim.parse(doc))
    assert str(error.value) == message


# ---------------------------------------------------------------------------- captions

def phases_until(trainer: sim.Trainer, kind: str, layer: int | None = None) -> sim.Snapshot:
    while True:
        phase = trainer.step_phase()
        if phase.kind == kind and phase.layer == layer:
            return trainer.snapshot(with_history=False)


def test_the_three_paths_of_delta_add_up_to_the_engines_delta():
    trainer = trainer_of()
    snapshot = phases_until(trainer, "backward", 1)
    layer = snapshot.layers[1]
    for sample in range(layer.delta.shape[0]):
        for unit in range(layer.units):
            terms = batch_norm.paths(layer.norm, layer.dE_dy, layer.z, sample, unit)
            assert terms.total == pytest.approx(layer.delta[sample, unit], rel=1e-12,
                                                abs=1e-18)
    with pytest.raises(ValueError, match="batch's statistics"):
        batch_norm.paths(trainer.network.forward(trainer.dataset.x_train).norm[2],
                         layer.dE_dy, layer.z, 0, 0)


def test_the_forward_caption_writes_out_mean_variance_and_normalisation():
    trainer = trainer_of(samples=4)
    snapshot = phases_until(trainer, "forward", 2)
    text = "\n".join(explain.caption(snapshot, 0).lines)
    layer = snapshot.layers[1]
    z = layer.z[:, 0]
    mean = z.mean()
    assert f"μ⁽²⁾₁ = Σ z⁽²⁾₁ / n = ([{notation.factor(z[0])}] + " in text
    assert f"/ 4 = {notation.number(mean)}" in text
    assert f"σ⁽²⁾₁² = Σ (z⁽²⁾₁ − μ⁽²⁾₁)² / n = ([{notation.factor(z[0] - mean)}²] + " in text
    assert f"ẑ⁽²⁾₁ = (z⁽²⁾₁ − μ⁽²⁾₁) / √(σ⁽²⁾₁² + ε) = ({notation.difference(z[0], mean)}) / " \
           f"√({notation.number(z.var())} + 1e−05) = {notation.number(layer.norm.zhat[0, 0])}" \
        in text
    assert "z̃⁽²⁾₁ = γ⁽²⁾₁ × ẑ⁽²⁾₁ + β⁽²⁾₁ = 1 × " in text
    assert f"a⁽²⁾₁ = tanh({notation.number(layer.norm.y[0, 0])}) = " in text
    assert "moved 0.3 of the way towards this batch's μ and n/(n − 1) × σ²" in text


def test_the_backward_caption_writes_delta_through_the_batch_mean_and_variance():
    trainer = trainer_of(samples=4)
    snapshot = phases_until(trainer, "backward", 2)
    lines = explain.caption(snapshot, 0).lines
    layer = snapshot.layers[1]
    terms = batch_norm.paths(layer.norm, layer.dE_dy, layer.z, 0, 0)
    number, factor = notation.number, notation.factor
    assert (f"δ⁽²⁾₁ = ∂E/∂z⁽²⁾₁ = ∂E/∂ẑ⁽²⁾₁ / √(σ⁽²⁾₁² + ε) + ∂E/∂σ⁽²⁾₁² × 2 (z⁽²⁾₁ − μ⁽²⁾₁) "
            f"/ n + ∂E/∂μ⁽²⁾₁ / n = {factor(terms.dE_dzhat)} / {number(layer.norm.std[0])} + "
            f"{factor(terms.dE_dvar)} × 2 × {factor(layer.z[0, 0] - layer.norm.mean[0])} / 4 + "
            f"{factor(terms.dE_dmu)} / 4 = {factor(terms.direct)} + "
            f"{factor(terms.through_variance)} + {factor(terms.through_mean)} = "
            f"{number(layer.delta[0, 0])}") in lines
    assert any(line.startswith("∂E/∂γ⁽²⁾₁ = Σ ∂E/∂z̃⁽²⁾₁ × ẑ⁽²⁾₁ = ") and
               line.split("; ")[0].endswith(f"= {number(layer.dgamma[0])}") for line in lines)


def test_the_update_caption_shows_gamma_and_beta_taking_their_step():
    trainer = sim.Trainer(sim.parse({
        "data": {"kind": "inline", "inputs": [[0.0], [1.0], [3.0]], "targets": [[0.0], [1.0],
                                                                                [0.5]]},
        "network": {"inputs": 1, "layers": [{"units": 1, "activation": "tanh",
                                             "batch_norm": True},
                                            {"units": 1, "activation": "linear"}]},
        "optimizer": {"kind": "sgd", "learning_rate": 0.5}}))
    snapshot = phases_until(trainer, "update")
    lines = explain.caption(snapshot, 0).lines
    layer = snapshot.layers[0]
    number, factor = notation.number, notation.factor
    for name, value, gradient in (("γ⁽¹⁾₁", layer.gamma[0], layer.dgamma[0]),
                                  ("β⁽¹⁾₁", layer.beta[0], layer.dbeta[0])):
        old = value + 0.5 * gradient
        assert f"{name} ← {number(old)} − 0.5 × {factor(gradient)} = {number(value)}" in lines


def test_the_chain_rule_of_a_normalised_layer_starts_from_delta():
    trainer = trainer_of(samples=4)
    phases_until(trainer, "backward", 1)
    rule = trainer.chain_rule(ParameterAddress(2, 0, 1))
    assert rule.normalised and rule.dE_da is None
    assert rule.data_gradient == pytest.approx(rule.gradient, rel=1e-12)
    assert any("came back through batch normalisation" in line for line in rule.lines(0, 0))


def test_paths_are_refused_through_batch_normalisation():
    trainer = trainer_of()
    trainer.run(steps=1)
    with pytest.raises(paths.CoupledSamples, match=r"^layer 1 has batch normalisation, which "
                                                   r"couples the samples of a batch"):
        paths.sample_paths(trainer.network, trainer.dataset.x_train, trainer.dataset.t_train,
                           "mse", ParameterAddress(2, 0, 0), 0)


def test_the_inspectors_values_of_a_normalised_unit():
    trainer = trainer_of()
    snapshot = phases_until(trainer, "forward", 2)
    layer = snapshot.layers[1]
    values = dict(batch_norm_text.node_values(layer, 3, 1))
    record = layer.norm
    assert values == {
        "μ⁽²⁾₂ (the batch's)": record.mean[1], "σ⁽²⁾₂² (the batch's)": record.variance[1],
        "ẑ⁽²⁾₂": record.zhat[3, 1], "z̃⁽²⁾₂ = γ⁽²⁾₂ ẑ⁽²⁾₂ + β⁽²⁾₂": record.y[3, 1],
        "γ⁽²⁾₂": 1.0, "∂E/∂γ⁽²⁾₂ (the batch's)": 0.0, "β⁽²⁾₂": 0.0,
        "∂E/∂β⁽²⁾₂ (the batch's)": 0.0, "running mean (for evaluation)": layer.running_mean[1],
        "running variance (for evaluation)": layer.running_var[1]}
    # Layer 3's forward phase has not run: its parameters and running statistics only.
    assert batch_norm_text.node_values(snapshot.layers[2], 3, 0)[0][0] == "γ⁽³⁾₁"
    plain = sim.Trainer(sim.parse(document(norm_output=False))).snapshot()
    assert batch_norm_text.node_values(plain.layers[2], 0, 0) == []


def test_the_quiz_asks_no_a_or_delta_of_a_normalised_layer():
    """They come through the whole batch's mean and variance: no sum to work by hand."""
    trainer = trainer_of(samples=4)
    asked = []
    for _ in range(2 * len(trainer.phases)):
        trainer.step_phase()
        snapshot = trainer.snapshot(with_history=False)
        for kind in ("z", "a", "delta", "dE/dw"):
            question = quiz.question(snapshot, (quiz.Quantity(kind),))
            if question is not None:
                asked.append(question.name)
    assert any(name.startswith("z⁽") for name in asked)
    assert any(name.startswith("∂E/∂w⁽") for name in asked)
    assert not any(name.startswith(("a⁽", "δ⁽")) for name in asked)


def by_hand_with_running_statistics(network, x: np.ndarray) -> np.ndarray:
    """The network's output for each row of x alone, every normalisation written out with the
    running statistics."""
    a = x
    for layer in network.layers:
        z = a @ layer.W.T + (0.0 if layer.b is None else layer.b)
        norm = layer.norm
        if norm is not None:
            z = norm.gamma * (z - norm.running_mean) / np.sqrt(norm.running_var +
                                                               norm.spec.epsilon) + norm.beta
        a = layer.activation.forward(z)
    return a


def test_every_evaluation_normalises_with_the_running_statistics():
    trainer = sim.Trainer(sim.parse({
        "seed": 5, "loss": "bce", "batch_size": 8,
        "data": {"kind": "moons", "samples": 40, "validation_fraction": 0.2,
                 "test_fraction": 0.2},
        "network": {"inputs": 2, "layers": [{"units": 5, "activation": "tanh",
                                             "batch_norm": True},
                                            {"units": 1, "activation": "sigmoid"}]},
        "optimizer": {"kind": "adam", "learning_rate": 0.05}}))
    trainer.run(steps=12)
    network, dataset = trainer.network, trainer.dataset
    assert not np.array_equal(network.layers[0].norm.running_var, np.ones(5))
    # the test set
    result = held_out.held_out_result(trainer)
    outputs = by_hand_with_running_statistics(network, dataset.x_test)
    t = dataset.t_test
    bce = -np.mean(t * np.log(outputs) + (1 - t) * np.log(1 - outputs))
    assert result.loss == pytest.approx(bce, rel=1e-10)
    # the decision boundary
    _, _, grid = boundary.decision_grid(network, dataset, points=7)
    raw = np.column_stack([np.tile(np.linspace(*boundary.plane_extent(dataset)[0], 7), 7),
                           np.repeat(np.linspace(*boundary.plane_extent(dataset)[1], 7), 7)])
    assert grid.reshape(-1, 1) == pytest.approx(
        by_hand_with_running_statistics(network, dataset.to_network(raw)), rel=1e-12)
    # the neuron maps (of the output layer)
    maps = neuron_maps.neuron_maps(network, dataset, grid=5)
    axes = [np.linspace(low, high, 5) for low, high in boundary.input_ranges(dataset)]
    raw = np.column_stack([np.tile(axes[0], 5), np.repeat(axes[1], 5)])
    assert maps.unit(2, 0).ravel() == pytest.approx(
        by_hand_with_running_statistics(network, dataset.to_network(raw))[:, 0], rel=1e-12)
    # the landscape, at the weights as they are
    index = ParameterAddress(1, 2, 1).flat_index(network)
    outputs = by_hand_with_running_statistics(network, dataset.x_train)
    t = dataset.t_train
    bce = -np.mean(t * np.log(outputs) + (1 - t) * np.log(1 - outputs))
    assert landscape.loss_at(network, dataset.x_train, t, "bce", 0.0, 0.0, [index],
                             network.theta[[index]][None, :])[0] == pytest.approx(bce, rel=1e-10)


def test_batch_norm_beside_a_residual_link_and_a_frozen_bias_matches_finite_differences():
    doc = document(hidden={"kind": "leaky_relu", "slope": 0.1})
    layers = doc["network"]["layers"]
    layers[1].update(units=4, residual=True, bias=True, train_bias=False)
    trainer = sim.Trainer(sim.parse(doc))
    trainer.run(steps=2)
    result = trainer.gradcheck()
    assert result.checked >= 0.9 * trainer.network.n_trainable
    assert result.worst_relative_error < TOLERANCE, result


def test_an_edit_of_a_layers_units_drops_gamma_and_beta_that_no_longer_fit():
    doc = document()
    doc["network"]["layers"][1].update(gamma=[2.0, 0.5, 1.0], beta=[0.1, 0.2, -0.3])
    doc["network"]["layers"][0].update(gamma=[1.0] * 4)
    doc["network"]["layers"][1]["units"] = 5
    sim.experiment.drop_weights_that_no_longer_fit(doc)
    assert "gamma" not in doc["network"]["layers"][1] and "beta" not in doc["network"]["layers"][1]
    assert doc["network"]["layers"][0]["gamma"] == [1.0] * 4  # still fits: kept
    assert sim.parse(doc).network.layers[1].units == 5


@pytest.mark.parametrize("loss_output", OUTPUTS[-3:], ids="-".join)
def test_every_caption_of_a_normalised_network_gives_each_name_one_value(loss_output):
    """Fused outputs (sigmoid with bce, softmax with cross-entropy) normalised too."""
    loss, output = loss_output
    trainer = trainer_of(loss=loss, output=output, samples=4)
    values: dict[str, str] = {}
    for _ in range(len(trainer.phases)):
        trainer.step_phase()
        lines = explain.caption(trainer.snapshot(with_history=False), 1).lines
        for name, value in equations("\n".join(lines)):
            assert values.setdefault(name, value) == value, (name, value, values[name])
    assert any(name.startswith("μ⁽³⁾") for name in values)
    assert any(name.startswith("δ⁽³⁾") for name in values)


def test_a_quiz_list_is_checked_against_batch_normalisation():
    doc = document() | {"quiz": {"on": True, "ask": ["a[2]_2"]}}
    with pytest.raises(ExperimentError) as error:
        sim.parse(doc)
    assert str(error.value) == ("quiz.ask[0]: layer 2 has batch normalisation: its a depends on "
                                "the whole batch's mean and variance, not a sum to work by hand")
    assert sim.parse(document() | {"quiz": {"on": True, "ask": ["z[2]_2"]}}).quiz.on


@pytest.mark.parametrize("batch_norm, refused", [(False, False), (True, True)])
def test_the_update_caption_lists_gamma_and_beta_before_the_next_layers_weights(batch_norm,
                                                                                refused):
    """Layer 1's 3 weights, then (normalised) its 3 γ and 3 β: w⁽²⁾₁₁ is the update caption's
    4th parameter, or its 10th, past the 8 it writes out."""
    doc = {"data": {"kind": "inline", "inputs": [[0.0], [1.0], [2.0]],
                    "targets": [[0.0], [1.0], [0.0]]},
           "network": {"inputs": 1, "layers": [
               {"units": 3, "activation": "tanh", "bias": False, "batch_norm": batch_norm},
               {"units": 1, "activation": "linear"}]},
           "quiz": {"on": True, "ask": ["w[2]_11"]}}
    if refused:
        with pytest.raises(ExperimentError, match="first 8 parameters"):
            sim.parse(doc)
    else:
        assert sim.parse(doc).quiz.ask is not None
    trainer = sim.Trainer(sim.parse(doc | {"quiz": {}}))
    snapshot = phases_until(trainer, "update")
    listed = [line.split(" ← ")[0] for line in explain.caption(snapshot, 0).lines
              if " ← " in line]
    assert ("w⁽²⁾₁₁" in listed) != refused


@pytest.mark.parametrize("weight", ["3,1,2", "9,1,2"])
def test_the_command_lines_paths_refuse_a_network_with_batch_normalisation(capsys, weight):
    """They run a batch of the one sample, which no normalisation over the batch can take,
    even for a weight above every normalised layer."""
    lesson = sim.lessons.lesson_dir() / "vanishing-batch-norm.json"
    assert cli.main(["paths", str(lesson), "--weight", weight]) == cli.EXIT_INVALID
    assert capsys.readouterr().err == (
        "error: --weight: layer 1 has batch normalisation, which couples the samples of a "
        "batch: one sample alone, a batch of one, cannot pass through it\n")


@pytest.mark.parametrize("first, second", [((1, 2, 1), (2, 0, 3)), ((2, 1, 0), (3, 0, 2)),
                                           ((3, 1, 1), (1, 0, 0))])
def test_the_landscape_of_a_normalised_network_is_its_evaluation_loss(first, second):
    trainer = trainer_of(samples=8)
    trainer.run(steps=4)
    network, x, t = trainer.network, trainer.dataset.x_train, trainer.dataset.t_train
    indices = [ParameterAddress(*first).flat_index(network),
               ParameterAddress(*second).flat_index(network)]
    values = network.theta[indices] + np.array([[-0.7, 0.2], [0.0, 0.0], [0.4, -1.1],
                                                [1.3, 0.6]])
    grid = landscape.loss_at(network, x, t, "mse", 0.0, 0.0, indices, values)
    now = network.theta[indices].copy()
    for row, expected in zip(values, grid, strict=True):
        network.theta[indices] = row
        assert expected == pytest.approx(network.loss_value(x, t, "mse"), rel=1e-12)
    network.theta[indices] = now


def test_an_iteration_abandoned_by_divergence_leaves_the_running_statistics_of_the_last_step():
    trainer = sim.Trainer(sim.parse({
        "seed": 1, "loss": "mse", "batch_size": 10, "data": {"kind": "moons", "samples": 40},
        "network": {"inputs": 2, "layers": [
            {"units": 6, "activation": "relu", "batch_norm": True},
            {"units": 6, "activation": "relu", "batch_norm": True},
            {"units": 1, "activation": "linear"}]},
        "optimizer": {"kind": "sgd", "learning_rate": 1e6}}))
    after: list[np.ndarray] = []
    trainer.run(steps=100, on_step=lambda t: after.append(t.network.theta.copy()))
    assert trainer.diverged and after  # a few steps, then the loss is not finite
    assert "the weights are those after step" in trainer.stop_event.message
    assert np.array_equal(trainer.network.theta, after[-1])  # running statistics included
