"""The pictures beside the network: decision boundary and loss landscape from a trainer."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.landscape import ParameterTrace
from sim.palette import DIVERGING, NAN_COLOUR
from sim.views import (
    BoundaryView,
    CurveView,
    PredictionView,
    boundary_view,
    data_view,
    landscape_view,
)
from tests.conftest import LESSONS, experiment


def test_the_boundary_covers_the_data_in_raw_units_and_matches_the_network():
    trainer = sim.Trainer(sim.load(LESSONS / "spiral.json"))
    trainer.run(steps=50)
    view = boundary_view(trainer, points=40)
    assert view.colours.shape == (40, 40, 3) and view.colours.dtype == np.uint8
    raw = trainer.dataset.to_raw(trainer.dataset.x_train)
    assert np.array_equal(view.train, raw)
    assert view.xs[0] <= raw[:, 0].min() and view.xs[-1] >= raw[:, 0].max()
    assert view.ys[0] <= raw[:, 1].min() and view.ys[-1] >= raw[:, 1].max()
    assert len(view.train_colours) == len(raw)
    # The pixel at row r, column c shows the network's output at (xs[c], ys[r]).
    r, c = 7, 31
    point = trainer.dataset.to_network(np.array([[view.xs[c], view.ys[r]]]))
    probability = trainer.network.predict(point)[0, 0]
    expected = sim.boundary.boundary_colours(np.array([[probability]]), "sigmoid")[0]
    assert np.array_equal(view.colours[r, c], expected)


def test_one_input_shows_every_sample_and_the_networks_curve():
    trainer = sim.Trainer(sim.load(LESSONS / "gradient-descent-z2x.json"))
    trainer.run(steps=2)
    view = data_view(trainer)
    assert isinstance(view, CurveView)
    w = trainer.network.layers[0].W[0, 0]
    assert view.outputs[:, 0] == pytest.approx(w * view.xs, rel=1e-12)  # the line w·x
    assert view.xs[0] == 0.0  # from the origin: where a line z = w·x passes
    (training,) = view.splits
    raw = trainer.dataset.to_raw(trainer.dataset.x_train)
    assert training.name == "training" and np.array_equal(training.x, raw)
    assert np.array_equal(training.t, trainer.dataset.t_train)
    assert view.xs[-1] >= raw.max()


def test_more_than_two_inputs_show_outputs_against_targets_and_a_slice():
    trainer = sim.Trainer(sim.load(LESSONS / "spam-detector.json"))
    trainer.run(steps=3)
    view = data_view(trainer, (3, 1))
    assert isinstance(view, PredictionView)
    (training,) = view.splits
    assert np.array_equal(training.y, trainer.network.predict(trainer.dataset.x_train))
    assert view.slice.inputs == (3, 1) and view.slice.input_names == ("!", "MONEY")
    assert "x₁: FREE = " in view.slice.held and "x₄" not in view.slice.held
    # A choice of inputs this network does not have falls back to the first two.
    assert data_view(trainer, (7, 1)).slice.inputs == (0, 1)


def test_two_inputs_show_the_boundary_and_its_classes():
    trainer = sim.Trainer(sim.load(LESSONS / "spiral.json"))
    view = data_view(trainer)
    assert isinstance(view, BoundaryView) and view.held == "" and view.classifies
    _, _, outputs = sim.boundary.decision_grid(trainer.network, trainer.dataset)
    blue = (outputs[..., 0] > 0.5)
    assert (view.class_colours[blue] == DIVERGING[-1]).all()
    assert (view.class_colours[~blue] == DIVERGING[0]).all()


def test_the_landscape_passes_through_the_current_loss_and_follows_the_path():
    trainer = sim.Trainer(experiment(regularization={"l2": 0.01}))
    trace = ParameterTrace([(2, 0, 1)])
    for _ in range(5):
        trainer.step()
        trace.record(trainer.snapshot(with_history=False))
    view = landscape_view(trainer, trace)
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    now = trainer.network.loss_value(x, t, trainer.experiment.loss, trainer.l1, trainer.l2)
    assert view.current_loss == now
    assert view.losses[len(view.u) // 2] == pytest.approx(now, rel=1e-12)  # the weight now
    assert view.current == (float(trainer.network.layers[1].W[0, 1]),)
    assert view.path.shape == (5, 1) and view.path[-1, 0] == view.current[0]
    assert view.path_losses[-1] == pytest.approx(now, rel=1e-12)


def test_a_two_weight_landscape_is_a_grid():
    trainer = sim.Trainer(experiment())
    trace = ParameterTrace([(1, 0, 0), (1, 1, None)])
    view = landscape_view(trainer, trace)
    assert view.losses.shape == (len(view.v), len(view.u)) and view.path.shape == (0, 2)


def test_a_regression_boundary_whose_outputs_overflow_still_has_colours():
    trainer = sim.Trainer(experiment(
        data={"kind": "inline", "inputs": [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]],
              "targets": [[0.5], [1.5], [-1.0]]},
        network={"inputs": 2, "layers": [{"units": 1, "activation": "linear"}]}, loss="mse"))
    trainer.network.theta[...] = 1e200
    view = boundary_view(trainer, points=8)
    assert view.colours.shape == (8, 8, 3)
    # Shades of the map that follow the outputs across the plane, not one flat fill of the
    # not-a-number colour.
    shades = np.unique(view.colours.reshape(-1, 3), axis=0)
    assert len(shades) > 1 and not (shades == NAN_COLOUR).all(axis=1).any(), shades


def test_a_ravines_two_weight_window_is_square_and_keeps_the_path():
    trainer = sim.Trainer(sim.load(LESSONS / "optimizer-momentum.json"))
    trace = ParameterTrace(list(trainer.experiment.view.weights))
    for _ in range(30):
        trainer.step()
        trace.record(trainer.snapshot(with_history=False))
    view = landscape_view(trainer, trace, surface_points=9)
    assert view.v is not None
    # one scale on both axes, and as wide as high: the picture fills a square, not a strip
    assert view.u[-1] - view.u[0] == pytest.approx(view.v[-1] - view.v[0])
    for k, values in enumerate((view.u, view.v)):
        assert values[0] <= view.path[:, k].min() and view.path[:, k].max() <= values[-1]
        assert (values[0] + values[-1]) / 2 == pytest.approx(view.current[k])
