"""Parameter addresses: one type finds, checks, reads and names every weight and bias."""

from __future__ import annotations

import itertools

import pytest

import sim
from sim.address import ParameterAddress
from sim.gradcheck import gradcheck
from tests.conftest import experiment
from tests.test_gradients import regression_experiment


def frozen_bias_network():
    """Three layers, residual, the biases frozen: trainable and frozen parameters both."""
    return sim.Trainer(regression_experiment("tanh", "mse", "linear",
                                             {"bias": True, "train_bias": False}, True))


def test_index_and_at_index_are_inverse_and_cover_every_parameter():
    trainer = frozen_bias_network()
    network = trainer.network
    seen = set()
    for layer in network.layers:
        for j, i in itertools.product(range(layer.units), [*range(layer.fan_in), None]):
            address = ParameterAddress(layer.number, j, i)
            index = address.flat_index(network)
            sub = "₀₁₂₃₄₅₆₇₈₉"  # under 10 units, so one digit each
            mark = f"⁽{'⁰¹²³⁴⁵⁶⁷⁸⁹'[layer.number]}⁾"
            label = f"b{mark}{sub[j + 1]}" if i is None else f"w{mark}{sub[j + 1]}{sub[i + 1]}"
            assert address.label() == label
            assert address.describe().startswith(f"{label}, the ")
            assert ParameterAddress.at_index(network, index) == address == (layer.number, j, i)
            assert network.theta[index] == (layer.b[j] if i is None else layer.W[j, i])
            seen.add(index)
    assert seen == set(range(network.theta.size))  # frozen biases included


def test_a_snapshot_and_its_network_agree_on_every_address_and_value():
    trainer = frozen_bias_network()
    trainer.run(steps=2)
    snapshot = trainer.snapshot(with_history=False)
    network = trainer.network
    for layer, j, i in itertools.product(range(5), range(-1, 5), [None, -1, 0, 2, 3, 9]):
        address = ParameterAddress(layer, j, i)
        assert address.problem(snapshot.layers) == address.problem(network.layers)
        if address.exists_in(network.layers):
            assert address.value_in(snapshot.layers) == \
                network.theta[address.flat_index(network)]


@pytest.mark.parametrize("address, problem", [
    ((0, 0, 0), "layer 0 does not exist"), ((4, 0, 0), "layer 4 does not exist"),
    ((1, 3, 0), "units 0 to 2, not 3"), ((1, 0, 3), "inputs 0 to 2, not 3"),
    ((1, 0, -1), "inputs 0 to 2, not -1"), ((2, 0, None), "layer 2 has no bias"),
    ((1.0, 0, 0), "whole numbers"), ((1, 0, 0.5), "whole numbers"), ((1, True, 0), "whole")])
def test_addresses_that_do_not_exist_are_refused_naming_why(address, problem):
    exp = regression_experiment("tanh", "mse", "linear", {"bias": True}, False)
    document = sim.experiment.to_dict(exp)
    document["network"]["layers"][1]["bias"] = False
    trainer = sim.Trainer(sim.parse(document))
    for layers in (trainer.network.layers, trainer.snapshot(with_history=False).layers):
        assert not ParameterAddress(*address).exists_in(layers)
        with pytest.raises(ValueError, match=problem):
            ParameterAddress(*address).check(layers)
    with pytest.raises(ValueError, match=problem):
        ParameterAddress(*address).flat_index(trainer.network)


def test_an_index_past_the_end_has_no_address():
    network = sim.Trainer(experiment()).network
    with pytest.raises(ValueError, match="parameters 0 to 8"):
        ParameterAddress.at_index(network, 9)


@pytest.mark.parametrize("address, label", [
    ((1, 0, 1), "w⁽¹⁾₁₂"), ((2, 8, 8), "w⁽²⁾₉₉"), ((1, 9, 0), "w⁽¹⁾₁₀,₁"),
    ((1, 0, 11), "w⁽¹⁾₁,₁₂"), ((3, 0, None), "b⁽³⁾₁"), ((1, 11, None), "b⁽¹⁾₁₂"),
    ((12, 0, 0), "w⁽¹²⁾₁₁")])
def test_labels_carry_the_layer_count_units_from_one_and_separate_two_digit_units(address,
                                                                                   label):
    assert ParameterAddress(*address).label() == label


@pytest.mark.parametrize("address, description", [
    ((2, 0, 1), "w⁽²⁾₁₂, the weight into unit 1 of layer 2 from unit 2 of layer 1"),
    ((1, 2, 0), "w⁽¹⁾₃₁, the weight into unit 3 of layer 1 from input x₁"),
    ((1, 2, None), "b⁽¹⁾₃, the bias of unit 3 of layer 1")])
def test_a_description_says_where_the_parameter_sits(address, description):
    assert ParameterAddress(*address).describe() == description


def test_the_gradient_check_names_its_worst_parameter_by_its_address():
    trainer = frozen_bias_network()
    result = trainer.gradcheck()
    names = {ParameterAddress.at_index(trainer.network, k).label()
             for k in range(trainer.network.n_trainable)}
    assert result.worst_parameter in names
    network = trainer.network
    direct = gradcheck(network, trainer.dataset.x_train, trainer.dataset.t_train, "mse")
    assert direct.worst_parameter in names
