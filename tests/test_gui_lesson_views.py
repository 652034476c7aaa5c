"""What a lesson shows beyond its text: the weight's landscape with the path a course text prints,
the L2 penalty as its own curve, and the note on the course text (pytest-qt, offscreen)."""

from __future__ import annotations

import html

import numpy as np
import pytest

import sim
from sim import lessons
from sim.address import ParameterAddress

Z2X = lessons.lesson_dir() / "gradient-descent-z2x.json"
TOO_LARGE = lessons.lesson_dir() / "gradient-descent-z2x-too-large.json"


def plain(label) -> str:
    """A rich-text label's words, as the screen shows them."""
    return html.unescape(label.text()).replace("\xa0", " ")


def wait_step(qtbot, window, step: int) -> None:
    qtbot.waitUntil(lambda: window.snapshot is not None and window.snapshot.step == step,
                    timeout=10000)


def landscape_shows_step(window, step: int) -> bool:
    """The landscape drawn is that of the weights after ``step`` steps."""
    views = window.views
    return window.snapshot is not None and window.snapshot.step == step and \
        views.now.data["x"].size == 1 and \
        views.now.data["x"][0] == window.snapshot.layers[0].W[0, 0] and \
        views.path.xData is not None and len(views.path.xData) == step + 1


def test_the_z2x_lesson_opens_on_the_landscape_with_the_seeds_path(make_window, qtbot):
    window = make_window(sim.load(Z2X))
    views = window.views
    assert views.addresses == [ParameterAddress(1, 0, 0)]
    assert views.currentIndex() == 1 and views.isVisible()  # the landscape tab, on show
    window.run.worker.run_steps(4)
    qtbot.waitUntil(lambda: landscape_shows_step(window, 4), timeout=10000)
    # The run's own path, one point per step from the initial weight, beside the seed's.
    assert views.path.xData == pytest.approx([0.0, 1.866667, 1.991111, 1.999407, 1.999960],
                                             abs=5e-7)
    assert list(views.printed.xData) == [0.0, 0.8, 1.4, 2.0]
    mean_square = float(np.mean(np.array([0.5, 1.0, 1.5]) ** 2))
    assert views.printed.yData == pytest.approx(
        [(2 - w) ** 2 * mean_square for w in (0.0, 0.8, 1.4, 2.0)], rel=1e-12)
    # Below the curve, both paths against the step: the seed skips step 3.
    assert views.steps_plot.isVisible()
    assert list(views.steps_path.xData) == [0, 1, 2, 3, 4]
    assert list(views.steps_path.yData) == list(views.path.xData)
    assert list(views.steps_printed.xData) == [0, 1, 2, 4]
    assert list(views.steps_printed.yData) == [0.0, 0.8, 1.4, 2.0]
    key = plain(views.landscape_key)
    assert "seed 004's path" in key and "the path the weight took" in key
    # The curve's window shows both paths.
    assert views.curve.xData[0] <= 0.0 and views.curve.xData[-1] >= 2.0


def test_opening_a_lesson_that_names_a_weight_raises_its_landscape(make_window, qtbot):
    window = make_window(lessons.load_lesson())  # XOR: a two-input problem
    assert window.views.addresses == []
    window.run.open(TOO_LARGE)
    qtbot.waitUntil(lambda: window.run.experiment.name == sim.load(TOO_LARGE).name,
                    timeout=5000)
    qtbot.waitUntil(lambda: window.views.addresses == [ParameterAddress(1, 0, 0)],
                    timeout=5000)
    assert window.views.currentIndex() == 1 and window.views.isVisible()
    window.run.worker.run_steps(4)
    qtbot.waitUntil(lambda: landscape_shows_step(window, 4), timeout=10000)
    assert list(window.views.path.xData) == [0.0, 4.0, 0.0, 4.0, 0.0]  # it never settles
    assert list(window.views.printed.xData) == [0.0, 0.8, 1.4, 2.0]
    window.run.open(lessons.lesson_dir() / "xor.json")  # a lesson without a view forgets it
    qtbot.waitUntil(lambda: window.run.experiment.name == lessons.load_lesson().name,
                    timeout=5000)
    qtbot.waitUntil(lambda: window.views.addresses == [], timeout=5000)
    assert not window.views.steps_plot.isVisible()


def test_the_l2_lesson_plots_the_penalty_beside_the_loss(make_window, qtbot):
    window = make_window(sim.load(lessons.lesson_dir() / "overfitting-l2.json"))
    window.run.worker.run_steps(20)
    wait_step(qtbot, window, 20)
    window.plots.refresh_all()
    history = window.snapshot.history
    curve = window.plots.penalty_curve.line
    assert list(curve.yData) == list(history["penalty"].low)
    assert list(curve.xData) == list(history["penalty"].steps)
    assert "penalty on the weights" in plain(window.plots.loss_key)
    assert curve.yData[-1] == pytest.approx(0.5 * 0.01 * sum(
        float(np.sum(layer.W ** 2)) for layer in sim_weights_before_step(window, 20)), rel=1e-12)


def sim_weights_before_step(window, step: int) -> list:
    """The layers after ``step`` − 1 steps of the same lesson: step ``step`` records their
    penalty."""
    trainer = sim.Trainer(window.run.experiment)
    trainer.run(steps=step - 1)
    return trainer.network.layers


def test_without_a_penalty_there_is_no_penalty_curve(make_window, qtbot):
    window = make_window(sim.load(lessons.lesson_dir() / "overfitting.json"))
    window.run.worker.run_steps(5)
    wait_step(qtbot, window, 5)
    window.plots.refresh_all()
    assert window.plots.penalty_curve.line.yData is None or \
        len(window.plots.penalty_curve.line.yData) == 0
    assert "penalty" not in plain(window.plots.loss_key)


def test_a_note_on_the_course_text_has_its_own_heading(make_window, qtbot):
    window = make_window(sim.load(Z2X))
    text = window.lesson.label.text()
    assert text.count("<p>") == 2
    assert "<p><b>Note on the course text:</b> seed 004 says" in text
