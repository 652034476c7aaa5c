"""Runs that blow up end in a divergence event, with finite weights, and training can go on."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.address import ParameterAddress
from sim.explain import caption
from tests.conftest import experiment

DEEP = {"inputs": 2, "init": {"kind": "normal", "std": 3.0},
        "layers": [{"units": 8, "activation": "linear"} for _ in range(6)]
        + [{"units": 1, "activation": "linear"}]}


@pytest.mark.parametrize("fields", [
    dict(optimizer={"kind": "sgd", "learning_rate": 1e6}, loss="mse",
         network={"inputs": 2, "layers": [{"units": 4, "activation": "relu"},
                                          {"units": 1, "activation": "linear"}]}),
    dict(optimizer={"kind": "sgd", "learning_rate": 10.0}, network=DEEP, loss="sse"),
    dict(data={"kind": "inline", "inputs": [[1e300, 1e300]], "targets": [[1.0]]},
         network={"inputs": 2, "layers": [{"units": 1, "activation": "linear"}]}, loss="sse"),
    dict(optimizer={"kind": "sgd", "learning_rate": 1e6, "momentum": 0.99}, loss="half_mse",
         network={"inputs": 2, "layers": [{"units": 3, "activation": "tanh"},
                                          {"units": 1, "activation": "linear"}]}),
])
def test_divergence_is_caught_and_the_weights_stay_finite(fields):
    trainer = sim.Trainer(experiment(**fields))
    trainer.run(steps=5000)
    assert trainer.diverged
    event = trainer.stop_event
    assert event.kind == "diverged" and event.step == trainer.step_count + 1
    assert 1 <= event.details["layer"] <= trainer.network.depth
    assert f"step {event.step}" in event.message and "layer" in event.message
    assert np.isfinite(trainer.network.theta).all()
    assert not trainer.step() and trainer.step_phase() is None  # stopped stays stopped


def test_weights_near_the_float_limit_diverge_in_the_update_and_keep_the_old_weights():
    trainer = sim.Trainer(experiment(
        data={"kind": "inline", "inputs": [[1.0]], "targets": [[-1.0]]},
        network={"inputs": 1, "layers": [{"units": 1, "activation": "linear", "bias": False,
                                          "weights": [[1e6]]}]},
        loss="half_sse", optimizer={"kind": "sgd", "learning_rate": 1e6}))
    trainer.set_parameter(ParameterAddress(1, 0, 0), 1.7e308)  # what an exploding run can reach
    before = trainer.network.theta.copy()
    trainer.step()
    assert trainer.diverged
    assert trainer.stop_event.details["phase"] in ("forward", "update")
    assert np.array_equal(trainer.network.theta, before)


def test_a_diverged_run_can_go_on_after_lowering_the_learning_rate():
    exp = experiment(optimizer={"kind": "sgd", "learning_rate": 1e6}, loss="mse",
                     network={"inputs": 2, "layers": [{"units": 4, "activation": "tanh"},
                                                      {"units": 1, "activation": "linear"}]})
    trainer = sim.Trainer(exp)
    trainer.run(steps=1000)
    assert trainer.diverged
    trainer.apply_live(exp.replace(optimizer=sim.optimizers.OptimizerSpec("sgd", 0.01)))
    trainer.resume()
    assert trainer.step() and np.isfinite(trainer.history.last()["loss"])


def test_reset_after_divergence_is_a_fresh_trainer():
    exp = experiment(optimizer={"kind": "sgd", "learning_rate": 1e6}, loss="mse",
                     network={"inputs": 2, "layers": [{"units": 4, "activation": "relu"},
                                                      {"units": 1, "activation": "linear"}]})
    diverged = sim.Trainer(exp)
    diverged.run(steps=1000)
    assert diverged.diverged
    fresh = sim.Trainer(exp)
    assert fresh.step_count == 0 and not fresh.stopped
    assert np.isfinite(fresh.network.theta).all()


def test_an_update_that_would_overflow_is_refused_and_the_old_weights_kept():
    trainer = sim.Trainer(experiment(
        data={"kind": "inline", "inputs": [[0.0, 1.0]], "targets": [[0.5]]},
        network={"inputs": 2, "layers": [{"units": 1, "activation": "linear", "bias": False,
                                          "weights": [[1.5e308, 0.1]]}]}, loss="half_sse"))

    def overflowing_step(g, lr, out):  # as if momentum had built up an enormous velocity
        out[...] = [1.5e308, 0.0]

    trainer.optimizer.compute = overflowing_step
    before = trainer.network.theta.copy()
    assert trainer.step()
    assert trainer.diverged and trainer.stop_event.details == {
        "phase": "update", "layer": 1, "quantity": "weights"}
    assert np.array_equal(trainer.network.theta, before)
    assert trainer.history.last() is None  # the failed step left no row


def test_an_overflowing_validation_loss_is_never_the_best_and_the_run_still_saves(tmp_path):
    exp = experiment(data={"kind": "inline", "inputs": [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0],
                                                        [1.0, 1.0]],
                           "targets": [[0.0], [1.0], [0.5], [0.2]], "validation_fraction": 0.25},
                     network={"inputs": 2, "layers": [{"units": 1, "activation": "linear"}]},
                     loss="half_sse", stopping={"early_stopping": {"patience": 3}},
                     validation_interval=1)
    trainer = sim.Trainer(exp)
    trainer.dataset.x_val[...] = 1e300  # a validation input whose loss overflows
    trainer.run(steps=10)
    assert not trainer.diverged and np.isfinite(trainer.network.theta).all()
    assert np.isinf(trainer.history.column("val_loss")[-1])
    assert trainer.best is None  # inf was never recorded as the best validation loss
    sim.save(trainer.to_experiment(), tmp_path / "saved.json")
    assert sim.load(tmp_path / "saved.json").state is not None


def test_after_a_divergence_the_caption_shows_no_equation_of_the_abandoned_iteration():
    trainer = sim.Trainer(experiment(optimizer={"kind": "sgd", "learning_rate": 10.0},
                                     network=DEEP, loss="sse"))
    trainer.run(steps=5000)
    assert trainer.diverged
    text = caption(trainer.snapshot())
    assert text.title == "Training diverged"
    assert text.lines[0] == trainer.stop_event.message
    assert not any("=" in line for line in text.lines)
