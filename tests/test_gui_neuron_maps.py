"""Neuron maps in the app: what the worker hands the window equals sim's maps (a forward pass on
the trained weights), the canvas draws them on every hidden and output node where there is
room and not on a big network, and hovering or clicking a node enlarges its map."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

import sim
from gui.window import MainWindow
from sim.neuron_maps import neuron_maps
from tests.conftest import LESSONS
from tests.test_gui import WAIT_MS, headless, worker_idle

SPIRAL = LESSONS / "spiral.json"


def maps_at(qtbot, window: MainWindow, step: int) -> sim.neuron_maps.NeuronMaps:
    """The neuron maps the window has received for ``step``, once it has them."""
    view = window.neuron_maps
    qtbot.waitUntil(lambda: worker_idle(window) and view.step == step, timeout=WAIT_MS)
    maps = view.pictures.maps
    assert maps is not None
    return maps


def image_colours(image: QImage) -> np.ndarray:
    """An image's pixels as (rows, columns, 3) uint8."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    rows, columns = rgb.height(), rgb.width()
    data = np.frombuffer(rgb.constBits(), dtype=np.uint8, count=rgb.sizeInBytes())
    # A copy: the bits belong to ``rgb``, which goes when this returns.
    return data.reshape(rows, rgb.bytesPerLine())[:, :columns * 3].reshape(
        rows, columns, 3).copy()


def half_sizes(window: MainWindow) -> list[float]:
    canvas = window.canvas
    return canvas.picture_half_sizes(canvas.geometry_for_paint())


def test_spiral_nodes_carry_the_maps_sim_computes_from_the_trained_weights(make_window,
                                                                          qtbot):
    spec = sim.load(SPIRAL)
    window = make_window(spec, size=(1600, 1000))
    assert window.action("neuron_maps").isChecked()  # on by default
    window.run.run_steps(40)
    maps = maps_at(qtbot, window, 40)
    # The same file trained headless to the same step gives the same maps, bit for bit ...
    trainer = headless(spec, 40)
    expected = neuron_maps(trainer.network, trainer.dataset)
    for received, computed in zip(maps.layers, expected.layers, strict=True):
        np.testing.assert_array_equal(received, computed)
    # ... and they are a forward pass on the weights the window shows.
    assert maps.y is not None
    raw = np.column_stack([np.tile(maps.x, maps.grid), np.repeat(maps.y, maps.grid)])
    a = trainer.dataset.to_network(raw)
    for layer, values in zip(window.snapshot.layers, maps.layers, strict=True):
        assert layer.b is not None
        z = a @ layer.W.T + layer.b
        a = np.tanh(z) if layer.activation == "tanh" else 1.0 / (1.0 + np.exp(-z))
        np.testing.assert_allclose(values.reshape(len(values), -1), a.T, rtol=1e-12,
                                   atol=1e-14)
    # Every hidden and output node is drawn as its map, in exactly sim's colours.
    window.canvas.grab()
    halves = half_sizes(window)
    assert halves[0] == 0 and all(half > 0 for half in halves[1:])
    assert window.neuron_maps.pictures.drawn == 16 + 16 + 1
    for layer, unit in ((1, 0), (2, 7), (3, 0)):
        np.testing.assert_array_equal(image_colours(window.neuron_maps.pictures.image(
            layer, unit)), maps.colours(layer)[unit][::-1])  # an image's first row is its top


def test_hover_and_click_enlarge_a_units_map(make_window, qtbot):
    window = make_window(sim.load(SPIRAL), size=(1600, 1000))
    window.run.run_steps(5)
    maps = maps_at(qtbot, window, 5)
    panel = window.neuron_map_panel
    assert panel.shown_unit() == (3, 1 - 1)  # the output, until a node is chosen
    window.neuron_map_dock.raise_()
    qtbot.waitUntil(lambda: panel.on_screen, timeout=WAIT_MS)
    np.testing.assert_array_equal(panel.image.image, maps.colours(3, maps.unit(3, 0)))
    nodes = window.canvas.geometry_for_paint().nodes
    x, y = nodes[2][4]
    qtbot.mouseMove(window.canvas, QPoint(round(x), round(y)))
    qtbot.waitUntil(lambda: panel.shown_unit() == (2, 4), timeout=WAIT_MS)
    np.testing.assert_array_equal(panel.image.image, maps.colours(2, maps.unit(2, 4)))
    x, y = nodes[1][9]
    qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    assert window.canvas.selection is not None and \
        (window.canvas.selection.layer, window.canvas.selection.j) == (1, 9)
    assert panel.shown_unit() == (1, 9)
    assert len(panel.points.data) == len(maps.train)  # the training points, over the map


def test_a_big_network_keeps_its_discs_and_the_toggle_turns_maps_off(make_window, qtbot):
    document = sim.dumps(sim.load(SPIRAL))
    import json
    spec = json.loads(document)
    spec["network"]["layers"][0]["units"] = spec["network"]["layers"][1]["units"] = 64
    window = make_window(sim.parse(spec), size=(1600, 1000))
    window.run.step()
    maps_at(qtbot, window, 1)  # computed, but no room on the nodes to draw them
    assert half_sizes(window) == [0.0] * 4
    window.action("neuron_maps").trigger()  # off
    assert not window.action("neuron_maps").isChecked()
    assert window.canvas.node_pictures is None and window.neuron_maps.step is None
    window.run.step()
    qtbot.waitUntil(lambda: worker_idle(window) and window.snapshot.step == 2, timeout=WAIT_MS)
    assert window.neuron_maps.pictures.maps is None


def test_one_input_units_are_drawn_as_curves_and_walking_phases_shows_the_discs(make_window,
                                                                                qtbot):
    window = make_window(sim.load(LESSONS / "dying-relu.json"), size=(1600, 1000))
    window.run.run_steps(3)
    maps = maps_at(qtbot, window, 3)
    assert maps.inputs == 1 and maps.y is None
    window.canvas.grab()
    assert window.neuron_maps.pictures.drawn == 16 + 16 + 1
    window.run.step_phase()  # walking: the nodes show the followed sample's a and δ
    qtbot.waitUntil(lambda: window.run.walking, timeout=WAIT_MS)
    assert half_sizes(window) == [0.0] * 4


def test_the_training_points_can_be_drawn_over_every_map_on_the_network(make_window, qtbot):
    window = make_window(sim.load(SPIRAL), size=(1600, 1000))
    window.run.run_steps(2)
    maps = maps_at(qtbot, window, 2)
    pictures, canvas = window.neuron_maps.pictures, window.canvas
    assert not pictures.show_points  # off by default: the maps alone
    before = image_colours(canvas.grab().toImage())
    window.neuron_map_panel.points_on_nodes.setChecked(True)
    assert pictures.show_points
    after = image_colours(canvas.grab().toImage())
    # Each point sits where sim's grid places it, in its target's colour: over the output
    # unit's map, the pixel under the last point drawn (on top of any other) is its colour.
    nodes, halves = canvas.geometry_for_paint().nodes, half_sizes(window)
    side = max(1, round(2 * halves[3]))
    x, y = nodes[3][0]
    left, top = round(x - side / 2), round(y - side / 2)
    followed = maps.grid_position(window.snapshot.x[canvas.sample_row()])
    places = np.column_stack([(maps.train[:, 0] - maps.x[0]) / (maps.x[-1] - maps.x[0]),
                              (maps.train[:, 1] - maps.y[0]) / (maps.y[-1] - maps.y[0])])
    last = max(k for k in range(len(places))  # clear of the followed sample's ring
               if np.abs(places[k] - followed).max() > 0.1)
    later = places[last + 1:]
    assert not len(later) or np.abs(later - places[last]).max(axis=1).min() > 0.05
    column = left + int(places[last, 0] * side)
    row = top + int((1.0 - places[last, 1]) * side)
    assert np.array_equal(after[row, column], maps.point_colours()[last])
    assert not np.array_equal(before[row, column], after[row, column])
    # one image of the points per size, drawn over all 33 maps
    assert (image_colours(pictures.points_image(side)) != 0).any()
    window.neuron_map_panel.points_on_nodes.setChecked(False)
    assert np.array_equal(image_colours(canvas.grab().toImage()), before)


def test_the_maps_follow_training_live(make_window, qtbot):
    """While training plays the maps come with the snapshots (at most 30 a second), each
    the maps of a step the window was shown, not once per side picture."""
    window = make_window(sim.load(SPIRAL), size=(1600, 1000))
    steps: list[int] = []
    window.run.neuron_maps_received.connect(lambda update: steps.append(update.step))
    shown: set[int] = set()
    window.run.shown.connect(lambda snapshot: shown.add(snapshot.step))
    window.run.set_playing(True)
    qtbot.waitUntil(lambda: len(set(steps)) >= 4, timeout=20000)
    window.run.set_playing(False)
    qtbot.waitUntil(lambda: worker_idle(window), timeout=WAIT_MS)
    assert steps == sorted(steps) and len(set(steps)) >= 4
    assert set(steps) <= shown | {0}
