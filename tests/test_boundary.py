"""The decision boundary: the network's outputs over the raw input plane, and their colours."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim import boundary
from sim.palette import BINS, DIVERGING, NAN_COLOUR
from tests.conftest import LESSONS, experiment

RTOL = 1e-13


def two_input_trainer(output: str = "sigmoid", standardize: bool = True,
                      validation: float = 0.25) -> sim.Trainer:
    classes = 3 if output == "softmax" else 1
    data = {"kind": "spiral", "samples": 60, "classes": max(classes, 2),
            "validation_fraction": validation, "standardize": standardize}
    if output == "softmax":
        data["encoding"] = "one_hot"
    loss = {"softmax": "cross_entropy", "sigmoid": "bce"}.get(output, "mse")
    return sim.Trainer(experiment(
        data=data, loss=loss,
        network={"inputs": 2, "layers": [{"units": 6, "activation": "tanh"},
                                         {"units": 5, "activation": "relu"},
                                         {"units": classes, "activation": output}]}))


def raw_points(dataset) -> np.ndarray:
    return dataset.to_raw(np.concatenate([dataset.x_train, dataset.x_val]))


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear", "tanh"])
@pytest.mark.parametrize("standardize", [False, True])
def test_outputs_are_the_networks_at_each_raw_grid_point(output, standardize):
    trainer = two_input_trainer(output, standardize)
    trainer.run(steps=15)
    network, dataset = trainer.network, trainer.dataset
    theta = network.theta.tobytes()
    xs, ys, outputs = boundary.decision_grid(network, dataset, points=9, margin=0.2)
    assert xs.shape == ys.shape == (9,)
    assert outputs.shape == (9, 9, network.layers[-1].units)
    for r, y in enumerate(ys):
        for c, x in enumerate(xs):
            expected = network.forward(dataset.to_network(np.array([[x, y]]))).output[0]
            np.testing.assert_allclose(outputs[r, c], expected, rtol=RTOL, atol=1e-15)
    assert network.theta.tobytes() == theta
    if output == "softmax":
        np.testing.assert_allclose(outputs.sum(axis=-1), 1.0, rtol=1e-12)


def test_the_grid_covers_training_and_validation_points_with_the_margin():
    trainer = two_input_trainer(standardize=True)
    dataset = trainer.dataset
    raw = raw_points(dataset)
    low, high = raw.min(axis=0), raw.max(axis=0)
    xs, ys, _ = boundary.decision_grid(trainer.network, dataset, points=50, margin=0.1)
    for axis, values in enumerate((xs, ys)):
        width = high[axis] - low[axis]
        assert values[0] == pytest.approx(low[axis] - 0.1 * width, rel=1e-12)
        assert values[-1] == pytest.approx(high[axis] + 0.1 * width, rel=1e-12)
        assert np.all(np.diff(values) > 0.0)
    # The validation points alone reach beyond the training points' range on some side.
    train_raw = dataset.to_raw(dataset.x_train)
    assert (raw.min(axis=0) < train_raw.min(axis=0)).any() or \
        (raw.max(axis=0) > train_raw.max(axis=0)).any()


def test_a_training_point_on_the_grid_gets_the_output_it_was_trained_on():
    # XOR's raw corners are grid points when the margin is 0; standardised, the network still
    # sees each corner exactly as in training.
    trainer = sim.Trainer(experiment(data={"kind": "xor", "standardize": True}))
    trainer.run(steps=30)
    network, dataset = trainer.network, trainer.dataset
    xs, ys, outputs = boundary.decision_grid(network, dataset, points=2, margin=0.0)
    assert xs.tolist() == [0.0, 1.0] and ys.tolist() == [0.0, 1.0]
    trained = network.predict(dataset.x_train)  # rows (0,0), (0,1), (1,0), (1,1)
    corners = [outputs[0, 0], outputs[1, 0], outputs[0, 1], outputs[1, 1]]
    np.testing.assert_allclose(np.array(corners), trained, rtol=1e-12)


def test_a_single_point_or_a_line_still_gets_a_plane():
    trainer = sim.Trainer(experiment(data={"kind": "inline", "inputs": [[2.0, 5.0], [2.0, 7.0]],
                                           "targets": [[0.0], [1.0]]}))
    (x_low, x_high), (y_low, y_high) = boundary.plane_extent(trainer.dataset, 0.1)
    assert (x_low, x_high) == (1.0, 3.0)
    assert (y_low, y_high) == pytest.approx((4.8, 7.2))


def test_large_grids_are_computed_in_chunks_with_the_same_numbers(monkeypatch):
    trainer = two_input_trainer("softmax")
    network, dataset = trainer.network, trainer.dataset
    _, _, whole = boundary.decision_grid(network, dataset, points=40)
    monkeypatch.setattr(boundary, "MIN_CHUNK_ROWS", 7)
    monkeypatch.setattr(boundary, "ONE_THREAD_PRODUCT", 1)
    _, _, chunked = boundary.decision_grid(network, dataset, points=40)
    np.testing.assert_allclose(chunked, whole, rtol=RTOL, atol=1e-15)


@pytest.mark.parametrize("call, problem", [
    (lambda n, d: boundary.decision_grid(n, d, points=1), "points must be"),
    (lambda n, d: boundary.decision_grid(n, d, points=513), "from 2 to 512"),
    (lambda n, d: boundary.decision_grid(n, d, points=10.0), "whole number"),
    (lambda n, d: boundary.decision_grid(n, d, margin=-0.1), "margin must be"),
    (lambda n, d: boundary.decision_grid(n, d, margin=float("nan")), "margin must be"),
    (lambda n, d: boundary.decision_grid(n, d, margin=11.0), "from 0 to 10"),
    (lambda n, d: boundary.boundary_colours(np.zeros((2, 2, 2)), "sigmoid"), "one output"),
    (lambda n, d: boundary.boundary_colours(np.zeros((2, 1)), "linear", 0.0), "high must be")])
def test_bad_arguments_are_refused_with_one_line(call, problem):
    trainer = two_input_trainer()
    theta = trainer.network.theta.tobytes()
    with pytest.raises(ValueError, match=problem) as error:
        call(trainer.network, trainer.dataset)
    assert "\n" not in str(error.value)
    assert trainer.network.theta.tobytes() == theta


def test_a_network_with_one_input_has_no_plane():
    trainer = sim.Trainer(sim.load(LESSONS / "two-neuron-chain.json"))
    with pytest.raises(ValueError, match="needs at least 2 inputs") as error:
        boundary.decision_grid(trainer.network, trainer.dataset)
    assert "\n" not in str(error.value)


def test_a_slice_of_three_inputs_holds_the_third_at_its_training_mean():
    trainer = sim.Trainer(experiment(data={"kind": "parity", "bits": 3}, network={
        "inputs": 3, "layers": [{"units": 2, "activation": "tanh"},
                                {"units": 1, "activation": "sigmoid"}]}))
    network, dataset = trainer.network, trainer.dataset
    xs, ys, outputs = boundary.decision_grid(network, dataset, points=6, inputs=(2, 0))
    mean = dataset.to_raw(dataset.x_train)[:, 1].mean()
    r, c = 4, 1
    expected = network.predict(dataset.to_network(np.array([[ys[r], mean, xs[c]]])))
    assert outputs[r, c] == pytest.approx(expected[0], rel=1e-12)
    with pytest.raises(ValueError, match="two different inputs from 0 to 2, got 1 and 1"):
        boundary.decision_grid(network, dataset, inputs=(1, 1))


# ---------------------------------------------------------------------------- colours

def test_a_sigmoid_output_runs_from_orange_through_grey_to_blue():
    colours = boundary.boundary_colours(np.array([[0.0], [0.5], [1.0], [np.nan]]), "sigmoid")
    assert colours.dtype == np.uint8 and colours.shape == (4, 3)
    assert colours[:3].tolist() == [DIVERGING[0].tolist(), DIVERGING[BINS // 2].tolist(),
                                    DIVERGING[-1].tolist()]
    assert tuple(colours[3]) == NAN_COLOUR
    # Targets colour the data points on the same map.
    targets = boundary.boundary_colours(np.array([[0.0], [1.0]]), "sigmoid")
    assert targets.tolist() == [colours[0].tolist(), colours[2].tolist()]


def test_softmax_takes_the_likely_class_colour_faded_by_doubt():
    probabilities = np.array([[0.0, 1.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.05, 0.05, 0.9],
                              [0.6, 0.2, 0.2], [np.nan, 0.5, 0.5]])
    colours = boundary.boundary_colours(probabilities, "softmax").astype(int)
    assert colours[0].tolist() == boundary.CLASS_COLOURS[1].tolist()
    assert colours[1].tolist() == boundary.UNDECIDED.tolist()
    confident, doubtful = colours[2] - boundary.UNDECIDED, colours[3] - boundary.UNDECIDED
    assert np.abs(confident).sum() > np.abs(doubtful).sum() > 0  # fainter when less sure
    assert tuple(colours[4]) == NAN_COLOUR
    one_hot = boundary.boundary_colours(np.eye(3), "softmax")
    assert one_hot.tolist() == boundary.CLASS_COLOURS[:3].astype(np.uint8).tolist()


def test_regression_outputs_share_a_symmetric_scale():
    values = np.array([[-5.0], [0.0], [5.0]])  # 5 is a round scale: no rounding up
    colours = boundary.boundary_colours(values, "linear")
    assert colours.tolist() == [DIVERGING[0].tolist(), DIVERGING[BINS // 2].tolist(),
                                DIVERGING[-1].tolist()]
    # Without a given high the largest |value| is rounded up to a round scale (4.5 -> 5).
    assert boundary.boundary_colours(values * 0.9, "linear").tolist() == \
        boundary.boundary_colours(values * 0.9, "linear", high=5.0).tolist()
    halved = boundary.boundary_colours(values, "linear", high=10.0)
    assert halved[2].tolist() == DIVERGING[3 * (BINS - 1) // 4].tolist()
