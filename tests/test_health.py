"""What the health view and the activation panel show, computed from a Snapshot (sim.health)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

import sim
from sim import explain
from sim.activations import SATURATION_FRACTION
from sim.health import (
    MAX_Z_REACH,
    Z_REACH,
    accuracy_readout,
    activation_curve,
    layer_condition,
    z_range,
)
from tests.conftest import LESSONS, experiment


def test_each_activation_names_the_trouble_it_can_have():
    assert layer_condition("sigmoid") == layer_condition("tanh") == "saturated"
    assert layer_condition("relu") == "dead"
    assert {layer_condition(kind) for kind in ("leaky_relu", "linear", "softmax")} == {None}


def test_the_accuracy_readout_is_the_last_recorded_accuracy():
    trainer = sim.Trainer(sim.load(LESSONS / "overfitting.json"))
    assert accuracy_readout(trainer.snapshot()) == ""  # no step yet
    trainer.run(steps=3)
    history = trainer.history
    readout = accuracy_readout(trainer.snapshot())
    assert readout == (f"accuracy {history.column('accuracy')[-1]:.1%} (last batch), "
                       f"validation {history.column('val_accuracy')[-1]:.1%}")
    regression = sim.Trainer(sim.load(LESSONS / "dying-relu.json"))
    regression.run(steps=2)
    assert accuracy_readout(regression.snapshot()) == ""


@pytest.mark.parametrize("reopened", [False, True])
def test_after_early_stopping_restores_weights_nothing_shown_is_of_the_weights_put_aside(
        reopened, tmp_path):
    # Patience 2 of one validation a step: a stop with the best weights put back, quickly.
    lesson = sim.load(LESSONS / "overfitting-early-stopping.json")
    stopping = lesson.stopping
    trainer = sim.Trainer(lesson.replace(stopping=replace(
        stopping, early_stopping=replace(stopping.early_stopping, patience=2))))
    trainer.run(steps=500)
    if reopened:  # a saved run says the same when it is opened again
        sim.save(trainer.experiment.replace(state=trainer.state()), tmp_path / "run.json")
        trainer = sim.Trainer(sim.load(tmp_path / "run.json"))
    s = trainer.snapshot()
    best = trainer.best
    assert s.stop_event is not None and s.stop_event.step == best["step"] + 2
    # The network holds step best's weights: its validation accuracy is the readout's,
    # and the pass of the last step (made with the weights put aside) is gone.
    if reopened:  # a file keeps no history: no figure is better than another step's
        assert accuracy_readout(s) == ""
    else:
        val_accuracy = trainer.history.column("val_accuracy")[best["step"] - 1]
        assert accuracy_readout(s) == f"validation {val_accuracy:.1%} (step {best['step']})"
    assert s.loss is None and s.x is None
    caption = explain.caption(s)
    assert caption.title == "Training stopped early"
    assert f"the weights of step {best['step']} again" in caption.lines[1]
    assert not any("←" in line or "=" in line for line in caption.lines)  # no equation


def test_a_sigmoid_layers_curve_its_saturation_and_the_units_of_the_batch():
    trainer = sim.Trainer(sim.load(LESSONS / "vanishing-sigmoid.json"))
    trainer.step()
    snapshot = trainer.snapshot()
    curve = activation_curve(snapshot, 2, followed_row=3)
    assert curve is not None and curve.max_derivative == 0.25
    assert curve.fprime == pytest.approx(curve.f * (1 - curve.f), abs=1e-15)
    assert curve.fprime.max() == 0.25  # at z = 0, on the grid
    # At the edge of the shaded region f′ is 5% of its largest value.
    edge = curve.saturated_beyond
    sigma = 1.0 / (1.0 + math.exp(-edge))
    assert sigma * (1 - sigma) == pytest.approx(SATURATION_FRACTION * 0.25, rel=1e-9)
    assert np.array_equal(curve.batch_z, snapshot.layers[1].z)
    assert np.array_equal(curve.batch_f, snapshot.layers[1].h)
    assert curve.followed_row == 3 and "at most 0.25" in curve.note
    assert curve.max_label == "max \N{GREEK SMALL LETTER SIGMA}′ = 0.25"
    assert (curve.z[0], curve.z[-1]) == z_range(snapshot.layers[1].z)


def test_relu_shades_its_dead_side_and_softmax_has_no_curve():
    trainer = sim.Trainer(sim.load(LESSONS / "dying-relu.json"))
    curve = activation_curve(trainer.snapshot(), 1, followed_row=0)
    assert curve is not None and curve.dead_below == 0.0 and curve.saturated_beyond is None
    assert curve.batch_z is None and curve.followed_row is None  # no pass yet
    assert "dead" in curve.note
    softmax = sim.Trainer(sim.load(LESSONS / "softmax-spiral.json"))
    assert activation_curve(softmax.snapshot(), softmax.network.depth, None) is None


def test_the_curve_reaches_the_batchs_largest_z():
    trainer = sim.Trainer(experiment(data={"kind": "xor"}, network={
        "inputs": 2, "layers": [{"units": 2, "activation": "tanh",
                                 "weights": [[9.0, 9.0], [-9.0, 9.0]], "biases": [0.0, 0.0]},
                                {"units": 1, "activation": "sigmoid"}]}))
    trainer.step()
    curve = activation_curve(trainer.snapshot(), 1, followed_row=0)
    assert curve is not None and curve.z[-1] >= np.abs(curve.batch_z).max() == 18.0
    assert curve.z[0] == -curve.z[-1] and curve.max_label == "max tanh′ = 1"


def test_the_z_range_is_symmetric_covers_every_z_and_shows_saturation():
    assert z_range(None) == (-Z_REACH, Z_REACH) == (-6.0, 6.0)  # before the first pass
    assert z_range(np.array([[0.0, 1.0, 5.0]])) == (-6.0, 6.0)  # small z: still ±6
    low, high = z_range(np.array([[0.5, 9.0], [2.0, np.nan]]))  # only positive z, one NaN
    assert low == -high and high > 9.0
    low, high = z_range(np.array([[-20.0, 3.0], [np.inf, 1.0]]))  # the farthest is below 0
    assert low == -high and low < -20.0
    assert z_range(np.array([[1e6]])) == (-MAX_Z_REACH, MAX_Z_REACH)  # a diverging z


def test_relu_and_tanh_label_their_largest_slope():
    relu = sim.Trainer(sim.load(LESSONS / "dying-relu.json"))
    curve = activation_curve(relu.snapshot(), 1, followed_row=0)
    assert curve is not None and curve.max_label == "max f′ = 1"
    assert (curve.z[0], curve.z[-1]) == (-6.0, 6.0)
