"""Batch normalisation in the app: the BN box on the canvas and γ, β in the inspector."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from gui.canvas import Selection
from sim import lessons, notation
from tests.test_gui import as_read, inspector_lines, wait_for_step
from tests.test_gui_paths import show_paths_of

LESSON = "vanishing-batch-norm.json"


def test_a_bn_box_stands_left_of_each_normalised_column_and_nowhere_else(make_window, qtbot):
    window = make_window(lessons.load_lesson(LESSON))
    canvas = window.canvas
    geometry = canvas.geometry_for_paint()
    boxes = canvas.norm_boxes(geometry)
    normalised = [layer.has_batch_norm for layer in window.snapshot.layers]
    assert normalised == [True] * 8 + [False]
    assert [box is not None for box in boxes] == [False] + normalised
    for column in range(1, 9):
        box, nodes = boxes[column], geometry.nodes[column]
        reach = max(geometry.radius, canvas.picture_half_sizes(geometry)[column])
        assert box.right() < nodes[:, 0].min() - reach  # left of the nodes: before f
        assert box.left() > geometry.nodes[column - 1][:, 0].max()  # after the edges leave
        assert box.top() <= nodes[:, 1].min() and box.bottom() >= nodes[:, 1].max()
    canvas.grab()  # paints them


def test_a_network_without_batch_norm_has_no_box(make_window, qtbot):
    window = make_window(lessons.load_lesson("vanishing-sigmoid.json"))
    canvas = window.canvas
    assert canvas.norm_boxes(canvas.geometry_for_paint()) == [None] * 10


def test_the_inspector_shows_gamma_beta_and_their_gradients(make_window, qtbot):
    window = make_window(lessons.load_lesson(LESSON))
    window.run.worker.run_steps(3)
    wait_for_step(qtbot, window, 3)
    geometry = window.canvas.geometry_for_paint()
    x, y = geometry.nodes[2][1]
    qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    assert window.canvas.selection == Selection("node", 2, 1)
    ls = window.snapshot.layers[1]
    lines = inspector_lines(window)
    for label, value in (("γ⁽²⁾₂", ls.gamma[1]), ("∂E/∂γ⁽²⁾₂ (the batch's)", ls.dgamma[1]),
                         ("β⁽²⁾₂", ls.beta[1]), ("∂E/∂β⁽²⁾₂ (the batch's)", ls.dbeta[1]),
                         ("running mean (for evaluation)", ls.running_mean[1]),
                         ("running variance (for evaluation)", ls.running_var[1])):
        assert f"{as_read(label)} {notation.exact(float(value))}" in lines, (label, lines)
    assert ls.dgamma[1] != 0.0 and ls.gamma[1] != 1.0  # trained: not the initial values


def test_the_paths_panel_says_why_a_normalised_network_has_no_paths(make_window, qtbot):
    window = make_window(lessons.load_lesson(LESSON))
    window.run.worker.run_steps(1)
    wait_for_step(qtbot, window, 1)
    show_paths_of(qtbot, window, Selection("weight", 9, 0, 2))  # above every normalisation
    assert window.paths.path_sum is not None
    show_paths_of(qtbot, window, Selection("weight", 3, 0, 2))
    assert window.paths.lines == [
        "No paths to list: layer 3 has batch normalisation, which couples the samples of a "
        "batch: a gradient through it is no sum over one sample's paths."]
    assert window.canvas.paths.listed is None
