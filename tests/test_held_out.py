"""The test split: held out from training, validation, early stopping and standardisation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim import data
from sim.held_out import held_out_result
from tests.conftest import LESSONS, experiment

SAMPLES = 40


def document(inputs: list[list[float]], targets: list[list[float]]) -> dict:
    return {"data": {"kind": "inline", "inputs": inputs, "targets": targets,
                     "validation_fraction": 0.25, "test_fraction": 0.2, "standardize": True},
            "network": {"inputs": 1, "layers": [{"units": 6, "activation": "tanh"},
                                                {"units": 1, "activation": "linear"}]},
            "loss": "mse", "batch_size": 8,
            "optimizer": {"kind": "sgd", "learning_rate": 0.3},
            "stopping": {"max_steps": 3000, "early_stopping": {"patience": 3}},
            "validation_interval": 5}


def trained(inputs: list[list[float]], targets: list[list[float]]) -> sim.Trainer:
    trainer = sim.Trainer(experiment(**document(inputs, targets)))
    trainer.run()
    return trainer


def test_the_test_split_never_influences_training_or_early_stopping():
    rng = np.random.default_rng(3)
    x = np.linspace(-2.0, 2.0, SAMPLES)
    inputs = [[float(v)] for v in x]
    targets = [[float(v)] for v in np.sin(x) + 0.1 * rng.standard_normal(SAMPLES)]
    first = trained(inputs, targets)
    # The same file with other test samples: far-off inputs, wild targets.
    raw_test = first.dataset.to_raw(first.dataset.x_test)[:, 0]
    held_out = np.isclose(x[:, None], raw_test[None, :], rtol=0.0, atol=1e-9).any(axis=1)
    assert held_out.sum() == len(raw_test) == data.held_out_size(SAMPLES, 0.25, 0.2) == 8
    changed_inputs = [[v * 50.0 if out else v] for v, out in zip(x, held_out, strict=True)]
    changed_targets = [[1e3 if out else t[0]] for t, out in zip(targets, held_out, strict=True)]
    second = trained(changed_inputs, changed_targets)
    # Early stopping ended both runs, at the same step, on the same weights.
    assert first.stop_event is not None
    assert first.stop_event.details["reason"] == "early_stopping"
    assert first.stop_event.to_json() == second.stop_event.to_json()
    assert first.step_count == second.step_count < 3000
    assert first.network.theta.tobytes() == second.network.theta.tobytes()
    for column in ("loss", "val_loss", "train_loss", "weight_norm_1"):
        assert np.array_equal(first.history.column(column), second.history.column(column),
                              equal_nan=True), column
    # The test sets did differ: their losses tell them apart.
    assert held_out_result(first).loss < 10.0 < held_out_result(second).loss


def test_a_test_split_leaves_the_validation_split_as_it_was():
    section = {"kind": "xor_cloud", "samples": 50, "validation_fraction": 0.2}
    without = sim.Trainer(experiment(data=section)).dataset
    with_test = sim.Trainer(experiment(data={**section, "test_fraction": 0.3})).dataset
    assert np.array_equal(without.x_val, with_test.x_val)
    assert len(with_test.x_test) == 15 and len(with_test.x_train) == 25
    together = np.concatenate([with_test.x_train, with_test.x_test])
    assert sorted(map(tuple, together)) == sorted(map(tuple, without.x_train))


def test_the_test_result_is_the_loss_and_accuracy_of_a_forward_pass():
    trainer = sim.Trainer(experiment(data={"kind": "xor_cloud", "samples": 60,
                                           "test_fraction": 0.25}, loss="bce"))
    trainer.run(steps=20)
    result = held_out_result(trainer)
    dataset, network = trainer.dataset, trainer.network
    y = network.predict(dataset.x_test)
    t = dataset.t_test
    assert result.samples == 15 and result.step == 20
    bce = -np.mean(t * np.log(y) + (1 - t) * np.log(1 - y))
    assert result.loss == pytest.approx(bce, rel=1e-9)
    assert result.accuracy == np.mean((y > 0.5) == (t > 0.5))
    assert result.summary().startswith("test set (15 samples), weights of step 20: loss ")
    assert held_out_result(sim.Trainer(experiment())) is None
    assert not math.isnan(result.accuracy)


@pytest.mark.parametrize("fractions", [(0.5, 0.5), (0.0, 0.95)])
def test_fractions_holding_out_too_much_are_refused(fractions):
    validation, test = fractions
    with pytest.raises(sim.ExperimentError, match=r"data\.test_fraction"):
        experiment(data={"kind": "xor_cloud", "validation_fraction": validation,
                         "test_fraction": test})


def test_after_early_stopping_restores_weights_the_result_names_their_step():
    trainer = sim.Trainer(sim.load(LESSONS / "overfitting-test-set.json"))
    while trainer.step():
        pass
    restored = trainer.best["step"]
    assert trainer.stopped and restored < trainer.step_count
    result = held_out_result(trainer)
    assert result is not None and result.step == restored
    assert f"weights of step {restored}:" in result.summary()
