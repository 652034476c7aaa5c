"""Neuron maps (sim.neuron_maps): every unit's activation over the input range, equal to a
forward pass on the trained weights at the grid's coordinates, and ``python -m sim views
--neurons`` as issue 11 specifies it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import sim
from sim import boundary
from sim.neuron_maps import DEFAULT_GRID, neuron_maps
from sim.views import curve_view
from tests.conftest import LESSONS
from tests.test_cli import run_sim

SPIRAL = LESSONS / "spiral.json"
Z2X = LESSONS / "gradient-descent-z2x.json"
FUNCTIONS = {"tanh": np.tanh, "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
             "linear": lambda z: z, "relu": lambda z: np.maximum(z, 0.0)}


def trained(path: Path, steps: int) -> sim.Trainer:
    trainer = sim.Trainer(sim.load(path))
    trainer.run(steps=steps)
    return trainer


def forward_by_hand(trainer: sim.Trainer, raw: np.ndarray) -> list[np.ndarray]:
    """a of every layer for raw inputs (rows), written out from the weights: standardised as
    the data is, no dropout."""
    a = trainer.dataset.to_network(raw)
    result = []
    for layer, (W, b) in zip(trainer.network.layers, trainer.network.parameters(), strict=True):
        z = a @ W.T + (0.0 if b is None else b)
        a = FUNCTIONS[layer.activation.kind](z)
        result.append(a)
    return result


def grid_points(low: float, high: float, grid: int) -> np.ndarray:
    """Point k of a grid at low + k (high - low) / (grid - 1), as the issue defines it."""
    return low + np.arange(grid) * ((high - low) / (grid - 1))


def test_two_input_maps_equal_a_forward_pass_at_each_grid_point():
    trainer = trained(SPIRAL, 150)
    grid = 9
    maps = neuron_maps(trainer.network, trainer.dataset, grid)
    (x0, x1), (y0, y1) = boundary.plane_extent(trainer.dataset)  # the boundary's range
    assert maps.inputs == 2 and maps.grid == grid
    np.testing.assert_allclose(maps.x, grid_points(x0, x1, grid), rtol=0, atol=1e-15)
    assert maps.y is not None
    np.testing.assert_allclose(maps.y, grid_points(y0, y1, grid), rtol=0, atol=1e-15)
    assert [values.shape for values in maps.layers] == [(16, grid, grid), (16, grid, grid),
                                                        (1, grid, grid)]
    for r in range(grid):
        for c in range(grid):
            raw = np.array([[x0 + c * (x1 - x0) / (grid - 1), y0 + r * (y1 - y0) / (grid - 1)]])
            for number, expected in enumerate(forward_by_hand(trainer, raw), start=1):
                np.testing.assert_allclose(maps.layers[number - 1][:, r, c], expected[0],
                                           rtol=1e-12, atol=1e-14)


def test_the_output_unit_map_is_the_decision_boundary_on_the_same_grid():
    trainer = trained(SPIRAL, 60)
    maps = neuron_maps(trainer.network, trainer.dataset, 40)
    xs, ys, outputs = boundary.decision_grid(trainer.network, trainer.dataset, 40)
    np.testing.assert_array_equal(maps.x, xs)
    np.testing.assert_array_equal(maps.y, ys)
    np.testing.assert_allclose(maps.unit(3, 0), outputs[..., 0], rtol=1e-13, atol=0)
    # Drawn with the boundary's colour map and range (a sigmoid: 0 orange, 1 blue)
    np.testing.assert_array_equal(maps.colours(3)[0],
                                  boundary.boundary_colours(outputs[..., :1], "sigmoid"))


def test_one_input_curves_are_the_line_w_x_over_the_data():
    trainer = trained(Z2X, 2)
    maps = neuron_maps(trainer.network, trainer.dataset)
    assert maps.inputs == 1 and maps.y is None and maps.grid == DEFAULT_GRID[1]
    ((low, high),) = boundary.view_ranges(trainer.dataset)
    assert (maps.x[0], maps.x[-1]) == (low, high)
    raw = trainer.dataset.to_raw(trainer.dataset.x_train)[:, 0]
    assert low < raw.min() and raw.max() < high  # the data with a margin
    w = float(trainer.network.layers[0].W[0, 0])
    assert w != 0.0
    np.testing.assert_allclose(maps.unit(1, 0), w * maps.x, rtol=1e-15)


@pytest.mark.parametrize("name", ["gradient-descent-z2x.json", "dying-relu.json"])
def test_one_input_node_curves_and_the_data_view_share_one_x_range(name):
    """The curves on the nodes and the data view's curve run over the same inputs (the
    nodes' once stopped short of 0, where the data view's line z = w·x passes)."""
    trainer = trained(LESSONS / name, 2)
    view = curve_view(trainer)
    maps = neuron_maps(trainer.network, trainer.dataset, len(view.xs))
    np.testing.assert_array_equal(maps.x, view.xs)
    np.testing.assert_allclose(maps.unit(trainer.network.depth, 0), view.outputs[:, 0],
                               rtol=1e-13, atol=1e-15)


def test_maps_are_evaluation_mode_without_dropout():
    path = LESSONS / "overfitting-dropout.json"
    trainer = trained(path, 30)
    assert any(layer.dropout > 0 for layer in trainer.network.layers)
    first = neuron_maps(trainer.network, trainer.dataset, 6)
    again = neuron_maps(trainer.network, trainer.dataset, 6)
    for a, b in zip(first.layers, again.layers, strict=True):
        np.testing.assert_array_equal(a, b)
    assert first.y is not None
    raw = np.column_stack([np.tile(first.x, 6), np.repeat(first.y, 6)])
    expected = trainer.network.forward(trainer.dataset.to_network(raw))
    for number, values in enumerate(first.layers, start=1):
        np.testing.assert_allclose(values.reshape(values.shape[0], -1),
                                   expected.computed("a", number).T, rtol=1e-12, atol=1e-14)


def test_colour_ranges_follow_the_activation():
    trainer = trained(SPIRAL, 5)
    maps = neuron_maps(trainer.network, trainer.dataset, 4)
    assert maps.ranges == ((-1.0, 1.0), (-1.0, 1.0), (0.0, 1.0))
    grey = sim.palette.DIVERGING[sim.palette.BINS // 2]
    np.testing.assert_array_equal(maps.colours(1, np.array([0.0]))[0], grey)
    np.testing.assert_array_equal(maps.colours(3, np.array([0.5]))[0], grey)
    np.testing.assert_array_equal(maps.colours(3, np.array([np.nan]))[0],
                                  sim.palette.NAN_COLOUR)
    relu = sim.Trainer(sim.load(LESSONS / "dying-relu.json"))
    relu_maps = neuron_maps(relu.network, relu.dataset, 5)
    for (low, high), values, kind in zip(relu_maps.ranges, relu_maps.layers,
                                         relu_maps.activations, strict=True):
        if kind not in ("sigmoid", "tanh", "softmax"):
            assert low == -high and high >= np.abs(values).max()


def test_maps_refuse_networks_without_one_or_two_inputs_and_bad_grids():
    spam = sim.Trainer(sim.load(LESSONS / "spam-detector.json"))
    with pytest.raises(ValueError, match="one or two inputs"):
        neuron_maps(spam.network, spam.dataset)
    spiral = sim.Trainer(sim.load(SPIRAL))
    for grid in (1, 513, 2.5):
        with pytest.raises(ValueError, match="the grid must be"):
            neuron_maps(spiral.network, spiral.dataset, grid)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- the command line

def views_json(*args: object) -> dict:
    result = run_sim("views", *args, "--neurons", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1  # one object
    return json.loads(result.stdout)


def test_views_json_two_inputs_rows_follow_y_and_columns_x():
    grid, steps = 6, 40
    record = views_json(SPIRAL, "--steps", steps, "--grid", grid)
    assert list(record) == ["inputs", "x", "y", "grid", "layers"]
    assert record["inputs"] == 2 and record["grid"] == grid
    trainer = trained(SPIRAL, steps)
    (x0, x1), (y0, y1) = boundary.plane_extent(trainer.dataset)
    assert record["x"] == [x0, x1] and record["y"] == [y0, y1]
    layers = record["layers"]
    assert [len(layer) for layer in layers] == [16, 16, 1]
    for layer in layers:
        for unit in layer:
            assert len(unit) == grid and all(len(row) == grid for row in unit)
    for r in range(grid):
        for c in range(grid):
            raw = np.array([[x0 + c * (x1 - x0) / (grid - 1), y0 + r * (y1 - y0) / (grid - 1)]])
            for number, expected in enumerate(forward_by_hand(trainer, raw)):
                printed = [unit[r][c] for unit in layers[number]]
                np.testing.assert_allclose(printed, expected[0], rtol=1e-12, atol=1e-14)


def test_views_json_one_input_is_one_curve_per_unit():
    record = views_json(Z2X, "--steps", 3, "--grid", 11)
    assert list(record) == ["inputs", "x", "grid", "layers"]
    assert record["inputs"] == 1 and record["grid"] == 11
    trainer = trained(Z2X, 3)
    ((low, high),) = boundary.view_ranges(trainer.dataset)
    assert record["x"] == [low, high]
    (layer,) = record["layers"]
    (curve,) = layer
    w = float(trainer.network.layers[0].W[0, 0])
    np.testing.assert_allclose(curve, w * grid_points(low, high, 11), rtol=1e-14)


def test_views_reads_the_files_resume_state(tmp_path):
    saved = tmp_path / "trained.json"
    result = run_sim("run", SPIRAL, "--steps", 25, "--save", saved, "--quiet")
    assert result.returncode == 0, result.stderr
    from_state = views_json(saved, "--grid", 4)
    assert from_state == views_json(SPIRAL, "--steps", 25, "--grid", 4)
    assert from_state != views_json(SPIRAL, "--grid", 4)  # the initial weights differ
    # and N further steps go on from the state
    assert views_json(saved, "--grid", 4, "--steps", 5) == \
        views_json(SPIRAL, "--steps", 30, "--grid", 4)


def test_views_default_grid_and_text_summary():
    record = views_json(SPIRAL)
    assert record["grid"] == DEFAULT_GRID[2] == 48
    result = run_sim("views", SPIRAL, "--neurons", "--grid", 3)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Every unit's activation on a 3 x 3 grid")
    assert len(lines) == 1 + 16 + 16 + 1
    result = run_sim("views", Z2X, "--neurons", "--steps", 4, "--grid", 5)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Every unit's activation at 5 points: x₁ from 0 to 1.6, after 4 steps (evaluation "
        "mode: no dropout)", "a⁽¹⁾₁ (linear): from 0 to 3.2, mean 1.6"]  # w = 2: the line 2x


@pytest.mark.parametrize(("args", "message"), [
    ((SPIRAL,), "say which view to print (--neurons)"),
    ((SPIRAL, "--neurons", "--grid", "1"), "--grid must be a whole number from 2 to 512, got 1"),
    ((SPIRAL, "--neurons", "--grid", "x"), "--grid must be a whole number from 2 to 512, got 'x'"),
    ((SPIRAL, "--neurons", "--steps", "-3"), "--steps must be a whole number from 0"),
    ((LESSONS / "spam-detector.json", "--neurons"), "one or two inputs; this one has"),
])
def test_views_errors_are_one_line_and_exit_2(args, message):
    result = run_sim("views", *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr


def test_grid_position_places_a_network_input_on_the_maps():
    trainer = trained(SPIRAL, 1)
    maps = neuron_maps(trainer.network, trainer.dataset, 11)
    assert maps.y is not None
    for k in (0, 7, 42):
        raw = trainer.dataset.to_raw(trainer.dataset.x_train[k:k + 1])[0]
        np.testing.assert_allclose(maps.grid_position(trainer.dataset.x_train[k]),
                                   [(raw[0] - maps.x[0]) / (maps.x[-1] - maps.x[0]),
                                    (raw[1] - maps.y[0]) / (maps.y[-1] - maps.y[0])],
                                   rtol=1e-12)
    corner = trainer.dataset.to_network(np.array([[maps.x[-1], maps.y[0]]]))[0]
    np.testing.assert_allclose(maps.grid_position(corner), [1.0, 0.0], atol=1e-12)
    with pytest.raises(ValueError, match="over 2 inputs"):
        maps.grid_position(np.zeros(1))


def test_values_that_are_not_numbers_are_null_in_json_and_magenta_on_the_map():
    trainer = sim.Trainer(sim.load(SPIRAL))
    trainer.network.layers[1].W[3, :] = np.nan  # unit 4 of layer 2, and the output after it
    maps = neuron_maps(trainer.network, trainer.dataset, 3)
    record = json.loads(json.dumps(maps.to_json(), allow_nan=False))
    assert record["layers"][1][3] == [[None] * 3] * 3
    assert all(value is not None for row in record["layers"][1][2] for value in row)
    np.testing.assert_array_equal(maps.colours(2)[3], np.full((3, 3, 3), sim.palette.NAN_COLOUR))


def test_views_after_divergence_prints_the_maps_and_exits_3():
    result = run_sim("views", LESSONS / "exploding-gradients.json", "--neurons", "--steps", 50,
                     "--grid", 3, "--json")
    assert result.returncode == 3
    assert json.loads(result.stdout)["grid"] == 3
    assert "diverged" in result.stderr and result.stderr.count("\n") == 1
