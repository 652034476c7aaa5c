"""Backpropagation against central finite differences, and the chain rule's factors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import sim
from sim.address import ParameterAddress
from sim.gradcheck import relative_error
from sim.network import Network, Pass

TOLERANCE = 1e-6
HIDDEN = ("sigmoid", "tanh", "relu", {"kind": "leaky_relu", "slope": 0.1}, "linear")
SQUARED = ("sse", "half_sse", "mse", "half_mse")
OUTPUTS = [(loss, out) for loss in SQUARED for out in ("sigmoid", "tanh", "linear")] + \
    [("bce", "sigmoid"), ("cross_entropy", "softmax"), ("huber", "linear"), ("huber", "tanh")]
BIAS_MODES = ({"bias": True}, {"bias": False}, {"bias": True, "train_bias": False})


def regression_experiment(hidden, loss: str, output: str, bias: dict, residual: bool,
                          seed: int = 3, **extra) -> sim.Experiment:
    rng = np.random.default_rng(seed)
    outputs = 3 if output == "softmax" else 2
    x = rng.normal(size=(5, 3))
    if loss in ("bce", "cross_entropy"):
        t = rng.uniform(size=(5, outputs))
        if loss == "cross_entropy":
            t /= t.sum(axis=1, keepdims=True)
    else:
        t = rng.normal(size=(5, outputs))
    layers = [{"units": 3, "activation": hidden, **bias},
              {"units": 3, "activation": hidden, "residual": residual, **bias},
              {"units": outputs, "activation": output, **bias}]
    return sim.parse({"seed": seed,
                      "data": {"kind": "inline", "inputs": x.tolist(), "targets": t.tolist()},
                      "network": {"inputs": 3, "init": {"kind": "normal", "std": 0.8,
                                                        "bias": "same"}, "layers": layers},
                      "loss": loss, **extra})


CASES = list(itertools.product(range(len(HIDDEN)), OUTPUTS, range(len(BIAS_MODES)),
                               (False, True)))


@pytest.mark.parametrize("hidden, loss_output, bias, residual", CASES)
def test_backprop_matches_finite_differences(hidden, loss_output, bias, residual):
    loss, output = loss_output
    trainer = sim.Trainer(regression_experiment(HIDDEN[hidden], loss, output, BIAS_MODES[bias],
                                                residual))
    result = trainer.gradcheck()
    assert result.checked + result.at_kinks == trainer.network.n_trainable
    assert result.checked >= 0.9 * trainer.network.n_trainable  # kinks are rare, not the rule
    assert result.worst_relative_error < TOLERANCE, result


def test_the_huber_cases_check_both_its_squared_and_its_linear_part():
    """The finite differences above see errors on both sides of |a − t| = 1, where the Huber
    loss turns from squared to linear."""
    for output in ("linear", "tanh"):
        experiment = regression_experiment("tanh", "huber", output, BIAS_MODES[0], False)
        trainer = sim.Trainer(experiment)
        dataset = trainer.dataset
        errors = np.abs(trainer.network.predict(dataset.x_train) - dataset.t_train)
        assert (errors < 1).any() and (errors > 1).any()


@pytest.mark.parametrize("penalty", [{"l2": 0.3}, {"l1": 0.2}, {"l1": 0.1, "l2": 0.05}])
def test_penalty_gradients_match_finite_differences(penalty):
    trainer = sim.Trainer(regression_experiment("tanh", "mse", "linear", {"bias": True}, False,
                                                regularization=penalty))
    assert trainer.gradcheck().worst_relative_error < TOLERANCE


def test_frozen_bias_gets_a_gradient_but_no_update():
    trainer = sim.Trainer(regression_experiment("tanh", "mse", "linear",
                                                {"bias": True, "train_bias": False}, False))
    before = [layer.b.copy() for layer in trainer.network.layers]
    trainer.step()
    for layer, b in zip(trainer.network.layers, before, strict=True):
        assert np.array_equal(layer.b, b)
        assert np.abs(layer.db).sum() > 0.0


def test_dropout_gradient_matches_finite_differences_with_the_mask_held_fixed():
    exp = regression_experiment("tanh", "mse", "linear", {"bias": True}, False,
                                regularization={"dropout": 0.4})
    trainer = sim.Trainer(exp)
    network = trainer.network
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    state = np.random.default_rng(11).bit_generator.state

    def loss_with_mask(backward: bool) -> float:
        rng = np.random.default_rng()
        rng.bit_generator.state = state  # the same dropout mask every time
        p = Pass(x, t, None, network.depth)
        for number in range(1, network.depth + 1):
            network.forward_layer(p, number, rng)
        network.compute_loss(p, "mse", 0.0, 0.0)
        if backward:
            for number in range(network.depth, 0, -1):
                network.backward_layer(p, number, 0.0, 0.0)
        return p.loss

    assert loss_with_mask(True) > 0.0
    analytic = network.trainable_grad.copy()
    numeric = np.empty_like(analytic)
    for k in range(network.n_trainable):
        original = network.theta[k]
        network.theta[k] = original + 1e-6
        upper = loss_with_mask(False)
        network.theta[k] = original - 1e-6
        lower = loss_with_mask(False)
        network.theta[k] = original
        numeric[k] = (upper - lower) / 2e-6
    assert relative_error(analytic, numeric).max() < TOLERANCE
    hidden_keep = mask_of_first_hidden_layer(network, x, state)
    assert (hidden_keep == 0.0).any() and (hidden_keep > 0.0).any()  # the mask really dropped


def mask_of_first_hidden_layer(network, x, state) -> np.ndarray:
    rng = np.random.default_rng()
    rng.bit_generator.state = state
    p = Pass(x, None, None, network.depth)
    network.forward_layer(p, 1, rng)
    return p.keep[1]


def _chain_rule_cases(trainer: sim.Trainer):
    for layer in trainer.network.layers:
        for j in range(layer.units):
            for i in list(range(layer.fan_in)) + ([None] if layer.b is not None else []):
                yield ParameterAddress(layer.number, j, i)


@pytest.mark.parametrize("extra", [
    {},
    {"regularization": {"l2": 0.1, "l1": 0.01, "dropout": 0.3}},
    {"clipping": {"kind": "global_norm", "threshold": 0.01}},
    {"clipping": {"kind": "value", "threshold": 0.001}},
])
def test_chain_rule_factors_multiply_to_the_engines_gradient(extra):
    trainer = sim.Trainer(regression_experiment("sigmoid", "half_sse", "sigmoid",
                                                {"bias": True}, True, **extra))
    trainer.step()
    for address in _chain_rule_cases(trainer):
        rule = trainer.chain_rule(address)
        factors = rule.dE_da if rule.keep is None else rule.dE_da * rule.keep
        assert np.array_equal(factors * rule.fprime, rule.delta)  # bit for bit: same operations
        assert np.array_equal(rule.per_sample, rule.delta * rule.a_i)
        assert rule.data_gradient + rule.penalty_gradient == pytest.approx(rule.gradient,
                                                                           rel=1e-12, abs=1e-15)
        assert rule.clipped_gradient == trainer.network.grad[address.flat_index(trainer.network)]


def test_chain_rule_of_fused_outputs_names_the_fused_formula():
    trainer = sim.Trainer(regression_experiment("tanh", "cross_entropy", "softmax",
                                                {"bias": True}, False))
    trainer.step()
    rule = trainer.chain_rule(ParameterAddress(3, 1, 0))
    assert rule.fused.startswith("softmax + cross_entropy")
    assert rule.dE_da is None and rule.fprime is None
    assert rule.data_gradient == pytest.approx(rule.gradient, rel=1e-12)


def test_chain_rule_needs_the_backward_phase_to_have_reached_the_layer():
    trainer = sim.Trainer(regression_experiment("tanh", "mse", "linear", {"bias": True}, False))
    with pytest.raises(ValueError):
        trainer.chain_rule(ParameterAddress(1, 0, 0))
    for _ in range(5):  # forward 1-3, loss, backward 3
        trainer.step_phase()
    trainer.chain_rule(ParameterAddress(3, 0, 0))
    with pytest.raises(ValueError, match="not reached layer 2"):
        trainer.chain_rule(ParameterAddress(2, 0, 0))


def test_gradcheck_reports_a_wrong_gradient():
    """The checker itself must catch a broken backward pass."""
    trainer = sim.Trainer(regression_experiment("tanh", "mse", "linear", {"bias": True}, False))
    network = Network(trainer.experiment.network, 0.0, trainer.experiment.seed)
    original = network.backward_layer

    def broken(p, number, l1, l2):
        original(p, number, l1, l2)
        if number == 1:
            network.layers[0].dW[0, 0] *= 1.01

    network.backward_layer = broken
    from sim.gradcheck import gradcheck
    result = gradcheck(network, trainer.dataset.x_train, trainer.dataset.t_train, "mse")
    assert result.worst_relative_error > 1e-3
    assert result.worst_parameter == "w⁽¹⁾₁₁"


# ---------------------------------------------------------------------------- any network's loss

class Bowl:
    """E(θ) = Σ cᵢ θᵢ² / 2 + |θ₀|, a loss offering sim.gradcheck.Differentiable: its gradient
    cᵢ θᵢ (+ sign θ₀), with ``error`` added to one parameter's to break it; |θ₀| has a kink at
    θ₀ = 0, which its kink pattern (the sign of θ₀) reports."""

    def __init__(self, theta: list[float], error: tuple[int, float] = (0, 0.0)) -> None:
        self.theta = np.array(theta)
        self.grad = np.zeros(len(theta) + 1)  # one more than is trained, as a dense network's
        self.n_trainable = len(theta)
        self.curvature = np.arange(1.0, len(theta) + 1.0)
        self.error = error

    def loss(self) -> float:
        return float(0.5 * np.dot(self.curvature, self.theta ** 2) + abs(self.theta[0]))

    def loss_and_gradient(self) -> float:
        self.grad[:self.n_trainable] = self.curvature * self.theta
        self.grad[0] += np.sign(self.theta[0])
        index, error = self.error
        self.grad[index] += error
        return self.loss()

    def kink_pattern(self) -> bytes:
        return bytes([bool(self.theta[0] > 0.0)])

    def parameter_name(self, index: int) -> str:
        return f"θ{index}"


def test_any_loss_offering_the_protocol_is_checked_and_left_as_it_was():
    from sim.gradcheck import check_gradients
    bowl = Bowl([0.5, -1.5, 2.0, 0.25])
    before = bowl.theta.copy()
    result = check_gradients(bowl)
    assert result.passed and (result.checked, result.total, result.at_kinks) == (4, 4, 0)
    assert result.loss == bowl.loss()
    assert bowl.theta.tobytes() == before.tobytes()
    sampled = check_gradients(bowl, max_parameters=2, seed=1)
    assert (sampled.checked, sampled.total) == (2, 4)


def test_the_check_names_the_parameter_whose_gradient_is_wrong():
    from sim.gradcheck import check_gradients
    result = check_gradients(Bowl([0.5, -1.5, 2.0, 0.25], error=(2, 0.01)))
    assert result.worst_parameter == "θ2" and not result.passed
    assert result.analytic == pytest.approx(3 * 2.0 + 0.01) and \
        result.numeric == pytest.approx(6.0)
    assert result.summary().endswith("MISMATCH")


def test_a_nudge_across_the_protocols_kink_leaves_that_parameter_out():
    from sim.gradcheck import check_gradients
    result = check_gradients(Bowl([0.0, -1.5, 2.0]))
    assert (result.checked, result.at_kinks) == (2, 1) and result.passed
