"""Loss landscapes: the vectorised grid against one forward pass per point, and the recorder."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import sim
from gui.views_panel import path_name
from sim import landscape, views
from sim.address import ParameterAddress
from sim.network import Network
from tests.conftest import LESSONS, experiment
from tests.test_gradients import BIAS_MODES, HIDDEN, OUTPUTS, regression_experiment

RTOL = 1e-12


def slow_losses(network: Network, x, t, loss, l1, l2, indices, values) -> np.ndarray:
    """One network.loss_value per row of values, with the parameters set in theta."""
    theta = network.theta.copy()
    result = []
    for row in values:
        network.theta[list(indices)] = row
        result.append(network.loss_value(x, t, loss, l1, l2))
    network.theta[...] = theta
    return np.array(result)


def chosen_parameters(network: Network) -> list[int]:
    """A weight of every layer and, where the layer has one, a bias (trainable or frozen)."""
    chosen = []
    for layer in network.layers:
        chosen.append(ParameterAddress(layer.number, layer.units - 1, 0).flat_index(network))
        if layer.b is not None:
            chosen.append(ParameterAddress(layer.number, 0, None).flat_index(network))
    return chosen


def unchanged(network: Network, theta: bytes, grad: bytes) -> bool:
    return network.theta.tobytes() == theta and network.grad.tobytes() == grad


# ---------------------------------------------------------------------------- the grid

@pytest.mark.parametrize("loss, output", OUTPUTS)
def test_curves_match_one_forward_pass_per_point(loss, output):
    # Every hidden activation, bias mode (present, frozen, absent) and residual connection,
    # a weight and a bias of every layer, with a penalty: as network.loss_value at every value.
    for hidden, bias, residual in itertools.product(range(len(HIDDEN)), range(len(BIAS_MODES)),
                                                    (False, True)):
        trainer = sim.Trainer(regression_experiment(HIDDEN[hidden], loss, output,
                                                    BIAS_MODES[bias], residual,
                                                    regularization={"l1": 0.01, "l2": 0.02}))
        network = trainer.network
        x, t = trainer.dataset.x_train, trainer.dataset.t_train
        theta, grad = network.theta.tobytes(), network.grad.tobytes()
        for index in chosen_parameters(network):
            values, losses = landscape.loss_curve(network, x, t, loss, 0.01, 0.02, index,
                                                  points=5)
            expected = slow_losses(network, x, t, loss, 0.01, 0.02, [index], values[:, None])
            np.testing.assert_allclose(losses, expected, rtol=RTOL, atol=0.0,
                                       err_msg=f"{HIDDEN[hidden]} {BIAS_MODES[bias]} "
                                               f"residual={residual} parameter {index}")
        assert unchanged(network, theta, grad)


@pytest.mark.parametrize("loss, output, hidden", [
    ("mse", "linear", "tanh"), ("bce", "sigmoid", "relu"), ("cross_entropy", "softmax", "sigmoid"),
    ("half_sse", "tanh", {"kind": "leaky_relu", "slope": 0.1})])
@pytest.mark.parametrize("residual", [False, True])
def test_surfaces_match_one_forward_pass_per_point(loss, output, hidden, residual):
    trainer = sim.Trainer(regression_experiment(hidden, loss, output,
                                                {"bias": True, "train_bias": False}, residual,
                                                regularization={"l1": 0.03, "l2": 0.05}))
    network = trainer.network
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    theta, grad = network.theta.tobytes(), network.grad.tobytes()
    def index(network: Network, layer: int, j: int, i: int | None) -> int:
        return ParameterAddress(layer, j, i).flat_index(network)

    pairs = [  # across layers, within a unit, within a layer, weight and bias, output only
        (index(network, 1, 0, 1), index(network, 3, 1, 2)),
        (index(network, 2, 1, 0), index(network, 2, 1, 2)),
        (index(network, 2, 2, None), index(network, 2, 0, 1)),
        (index(network, 3, 0, 0), index(network, 1, 2, None)),
        (index(network, 3, 1, 1), index(network, 3, 1, None))]
    for pair in pairs:
        for points in (3, 4):
            u, v, losses = landscape.loss_surface(network, x, t, loss, 0.03, 0.05, pair,
                                                  (0.7, 1.9), points)
            assert losses.shape == (points, points)
            grid = np.array([(u[c], v[r]) for r in range(points) for c in range(points)])
            expected = slow_losses(network, x, t, loss, 0.03, 0.05, pair, grid)
            np.testing.assert_allclose(losses.ravel(), expected, rtol=RTOL, atol=0.0,
                                       err_msg=f"pair {pair}")
    assert unchanged(network, theta, grad)


def test_a_full_size_surface_matches_at_sampled_points_and_runs_one_forward_pass(monkeypatch):
    trainer = sim.Trainer(experiment(data={"kind": "circles", "samples": 120}, loss="bce",
                                     network={"inputs": 2, "layers": [
                                         {"units": 6, "activation": "tanh"},
                                         {"units": 5, "activation": "tanh"},
                                         {"units": 1, "activation": "sigmoid"}]}))
    trainer.run(steps=20)
    network = trainer.network
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    calls = []
    forward = Network.forward
    monkeypatch.setattr(Network, "forward", lambda self, x: calls.append(1) or forward(self, x))
    u, v, losses = landscape.loss_surface(network, x, t, "bce", 0.0, 0.0, (0, 2))
    assert len(calls) == 1  # the layers below the chosen weights run once, not 4096 times
    assert losses.shape == (landscape.SURFACE_POINTS, landscape.SURFACE_POINTS)
    monkeypatch.undo()
    rows, columns = np.random.default_rng(0).integers(0, len(u), (2, 40))
    expected = slow_losses(network, x, t, "bce", 0.0, 0.0, (0, 2),
                           np.column_stack([u[columns], v[rows]]))
    np.testing.assert_allclose(losses[rows, columns], expected, rtol=RTOL, atol=0.0)


def test_saturated_outputs_give_large_finite_losses_that_still_match():
    # A window wide enough to drive the sigmoid output to 0 or 1 in floating point.
    trainer = sim.Trainer(experiment(loss="bce"))
    network = trainer.network
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    last = ParameterAddress(2, 0, 1).flat_index(network)
    values, losses = landscape.loss_curve(network, x, t, "bce", 0.0, 0.0, last, 2000.0, 9)
    assert np.isfinite(losses).all() and losses.max() > 100.0
    np.testing.assert_allclose(losses, slow_losses(network, x, t, "bce", 0.0, 0.0, [last],
                                                   values[:, None]), rtol=RTOL, atol=0.0)


def test_the_middle_of_an_odd_curve_is_the_current_loss_and_its_slope_the_gradient():
    trainer = sim.Trainer(regression_experiment("sigmoid", "half_mse", "linear",
                                                {"bias": True}, False))
    network = trainer.network
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    current_loss = network.loss_and_gradient(x, t, "half_mse", 0.0, 0.1)
    gradient = network.grad.copy()
    for index in chosen_parameters(network):
        values, losses = landscape.loss_curve(network, x, t, "half_mse", 0.0, 0.1, index,
                                              1e-4, 3)
        assert values[1] == network.theta[index]
        assert losses[1] == pytest.approx(current_loss, rel=RTOL, abs=0.0)
        slope = (losses[2] - losses[0]) / (values[2] - values[0])
        assert slope == pytest.approx(gradient[index], rel=1e-6, abs=1e-9)


def test_loss_at_places_trajectory_points_and_accepts_none():
    trainer = sim.Trainer(experiment())
    network = trainer.network
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    values = np.array([[0.1, -0.2], [1.5, 2.5], [-3.0, 0.0]])
    losses = landscape.loss_at(network, x, t, "mse", 0.0, 0.2, [3, 7], values)
    np.testing.assert_allclose(losses, slow_losses(network, x, t, "mse", 0.0, 0.2, [3, 7],
                                                   values), rtol=RTOL, atol=0.0)
    assert landscape.loss_at(network, x, t, "mse", 0.0, 0.2, [3, 7],
                             np.empty((0, 2))).shape == (0,)


# ---------------------------------------------------------------------------- windows

def test_grid_values_are_symmetric_about_the_current_value():
    values = landscape.grid_values(0.3, 2.0, 7)
    assert values[3] == 0.3 and values[0] == 0.3 - 2.0 and values[-1] == 0.3 + 2.0
    np.testing.assert_allclose(values - 0.3, -(values - 0.3)[::-1], rtol=0.0, atol=1e-15)
    assert np.all(np.diff(landscape.grid_values(-1.0, 0.5, 64)) > 0.0)


def test_default_half_width_reaches_past_zero_and_covers_the_trajectory():
    assert landscape.default_half_width(0.0) == 1.0
    assert landscape.default_half_width(-0.2) == 1.0
    assert landscape.default_half_width(3.0) == 6.0
    assert landscape.default_half_width(3.0, np.array([2.0, 3.0, 11.0, np.nan])) == 10.0
    assert landscape.default_half_width(3.0, np.array([2.9, np.inf])) == 6.0
    trainer = sim.Trainer(experiment())
    network = trainer.network
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    w = float(network.theta[4])
    values, _ = landscape.loss_curve(network, x, t, "mse", 0.0, 0.0, 4)
    assert values[0] == pytest.approx(w - landscape.default_half_width(w), abs=1e-15)
    assert len(values) == landscape.CURVE_POINTS


# ---------------------------------------------------------------------------- refusals

def refusals(network: Network, x: np.ndarray, t: np.ndarray):
    curve, surface = landscape.loss_curve, landscape.loss_surface
    n = network.theta.size
    return [
        (lambda: curve(network, x, t, "mse", 0, 0, n), f"parameter {n} does not exist"),
        (lambda: curve(network, x, t, "mse", 0, 0, -1), "parameter -1 does not exist"),
        (lambda: curve(network, x, t, "mse", 0, 0, True), "parameter True does not exist"),
        (lambda: curve(network, x, t, "mse", 0, 0, 1.0), "parameter 1.0 does not exist"),
        (lambda: curve(network, x, t, "mse", 0, 0, 0, points=1), "points must be"),
        (lambda: curve(network, x, t, "mse", 0, 0, 0, points=513), "from 2 to 512"),
        (lambda: surface(network, x, t, "mse", 0, 0, (0, 1), points=600), "from 2 to 512"),
        (lambda: curve(network, x, t, "mse", 0, 0, 0, 0.0), "half_width must be"),
        (lambda: curve(network, x, t, "mse", 0, 0, 0, float("nan")), "half_width must be"),
        (lambda: curve(network, x, t, "mse", 0, 0, 0, -2.0), "half_width must be"),
        (lambda: surface(network, x, t, "mse", 0, 0, (2, 2)), "two different parameters"),
        (lambda: surface(network, x, t, "mse", 0, 0, (1, 2, 3)), "needs two parameters"),
        (lambda: surface(network, x, t, "mse", 0, 0, (0, n)), f"parameter {n} does not"),
        (lambda: surface(network, x, t, "mse", 0, 0, (0, 1), (1.0,)), "one half-width"),
        (lambda: curve(network, x, t, "hinge", 0, 0, 0), "unknown loss 'hinge'"),
        (lambda: curve(network, x[:, :1], t, "mse", 0, 0, 0), "x must be an array"),
        (lambda: curve(network, x[:0], t[:0], "mse", 0, 0, 0), "x must be an array"),
        (lambda: curve(network, x, t[:2], "mse", 0, 0, 0), "t must be an array"),
        (lambda: curve(network, x.tolist(), t, "mse", 0, 0, 0), "x must be an array"),
        (lambda: curve(network, x, t, "mse", -1.0, 0, 0), "l1 must be"),
        (lambda: curve(network, x, t, "mse", 0, float("inf"), 0), "l2 must be"),
        (lambda: landscape.loss_at(network, x, t, "mse", 0, 0, [0, 0], np.zeros((1, 2))),
         "only once"),
        (lambda: landscape.loss_at(network, x, t, "mse", 0, 0, [0, 1], np.zeros((3, 1))),
         "one column per parameter"),
        (lambda: landscape.loss_at(network, x, t, "mse", 0, 0, [0], np.full((1, 1), np.nan)),
         "finite"),
    ]


def test_bad_arguments_are_refused_with_one_line_and_change_nothing():
    trainer = sim.Trainer(experiment())
    network = trainer.network
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    theta, grad = network.theta.tobytes(), network.grad.tobytes()
    for call, problem in refusals(network, x, t):
        with pytest.raises(ValueError, match=problem) as error:
            call()
        assert "\n" not in str(error.value)
    assert unchanged(network, theta, grad)


def test_a_diverged_weight_is_refused_by_name():
    trainer = sim.Trainer(experiment())
    network = trainer.network
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    network.theta[5] = np.inf
    with pytest.raises(ValueError, match="parameter 5 is inf; a landscape needs finite"):
        landscape.loss_curve(network, x, t, "mse", 0, 0, 5)
    with pytest.raises(ValueError, match="parameter 5 is inf"):
        landscape.loss_surface(network, x, t, "mse", 0, 0, (0, 5))


# ---------------------------------------------------------------------------- trajectory

def test_the_trace_records_each_step_once_and_keeps_the_newest():
    trainer = sim.Trainer(experiment())
    network = trainer.network
    addresses = [(1, 1, 0), (2, 0, None)]
    indices = [ParameterAddress(*address).flat_index(network) for address in addresses]
    trace = landscape.ParameterTrace(addresses, capacity=5)
    expected = {}
    trace.record(trainer.snapshot())
    expected[0] = network.theta[indices].copy()
    for _ in range(8):
        for _ in range(len(trainer.phases)):  # every phase's snapshot; steps count updates
            trainer.step_phase()
            trace.record(trainer.snapshot(with_history=False))
        expected[trainer.step_count] = network.theta[indices].copy()
    assert len(trace) == 5
    assert trace.steps.tolist() == [4, 5, 6, 7, 8] and trace.truncated
    np.testing.assert_array_equal(trace.values, np.array([expected[s] for s in range(4, 9)]))
    trace.clear()
    assert not trace.truncated


def test_a_ravine_lessons_whole_path_is_kept_and_a_longer_one_says_since_when():
    lesson = sim.load(LESSONS / "optimizer-plain.json")
    trainer = sim.Trainer(lesson)
    trace = landscape.ParameterTrace([lesson.view.landscape, lesson.view.second_weight])
    trace.record(trainer.snapshot())
    while trainer.step():  # until the lesson's own stopping rule ends it
        trace.record_layers(trainer.step_count, trainer.network.layers)
    view = views.landscape_view(trainer, trace)
    assert view.path_steps[0] == 0 and view.path_steps[-1] == trainer.step_count
    assert not view.path_truncated
    assert path_name(view, "weights") == "the path the weights took"
    last = trainer.step_count  # a longer run (the values do not matter here)
    for step in range(last + 1, last + landscape.TRACE_CAPACITY):
        trace.record_layers(step, trainer.network.layers)
    view = views.landscape_view(trainer, trace)
    first = int(view.path_steps[0])
    assert view.path_truncated and first > 0
    assert path_name(view, "weights") == f"the path the weights took since step {first:,}"


def test_the_trace_follows_an_edited_weight_and_starts_over_on_a_new_run():
    trainer = sim.Trainer(experiment())
    trace = landscape.ParameterTrace([(1, 0, 1)])
    trainer.run(steps=3)
    trace.record(trainer.snapshot())
    trainer.set_parameter(ParameterAddress(1, 0, 1), 0.25)
    trace.record(trainer.snapshot())
    assert trace.steps.tolist() == [3] and trace.values.tolist() == [[0.25]]
    fresh = sim.Trainer(experiment())
    trace.record(fresh.snapshot())
    assert trace.steps.tolist() == [0]
    trace.clear()
    assert trace.values.shape == (0, 1)


@pytest.mark.parametrize("address, problem", [
    ((3, 0, 0), "layer 3 does not exist"), ((1, 2, 0), "layer 1 has units 0 to 1, not 2"),
    ((2, 1, None), "units 0 to 0, not 1")])
def test_the_trace_refuses_an_address_the_snapshot_lacks(address, problem):
    trace = landscape.ParameterTrace([address])
    with pytest.raises(ValueError, match=problem):
        trace.record(sim.Trainer(experiment()).snapshot())
    assert len(trace) == 0
