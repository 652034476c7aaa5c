"""The Many seeds view (pytest-qt): the runs trained in the training process, drawn; a click
on a curve opens that seed; an experiment a sweep cannot train is explained in one line."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

import sim
from sim import lessons
from sim.experiment import StoppingSpec
from sim.lesson_view import ManySeedsSpec
from sim.many_seeds import many_seeds

SPEC = ManySeedsSpec(seeds=6, steps=300, target_loss=0.2)  # small: the test stays quick


def small_lesson(**changes: object) -> sim.Experiment:
    """The two-hidden-unit XOR lesson with fewer seeds and steps in its Many seeds view."""
    lesson = lessons.load_lesson("seeds-xor-two-hidden.json")
    return lesson.replace(view=dataclasses.replace(lesson.view, many_seeds=SPEC), **changes)


def test_a_many_seeds_lesson_opens_on_the_runs_trained_in_the_training_process(make_window,
                                                                              qtbot):
    lesson = small_lesson()
    window = make_window(lesson)
    panel = window.many_seeds_panel
    assert window.many_seeds.on_screen  # its dock in front
    qtbot.waitUntil(lambda: panel.result is not None, timeout=30000)
    expected = many_seeds(lesson, SPEC)
    result = panel.result
    assert result.seeds == expected.seeds == tuple(range(6))
    np.testing.assert_array_equal(result.curves, expected.curves)
    np.testing.assert_array_equal(result.steps_to_target, expected.steps_to_target)
    # Drawn: the median bold, every run faint (learnt and never apart), the histogram.
    assert np.array_equal(panel.median_curve.yData, expected.median, equal_nan=True)
    never = expected.steps_to_target == 0
    drawn = sum(np.isfinite(curve.yData).sum() for curve in (panel.learnt_curves,
                                                             panel.never_curves)
                if curve.yData is not None)
    assert drawn == np.isfinite(expected.curves).sum()
    assert panel.never_bar.opts["height"][0] == never.sum()
    assert list(panel.bars.opts["height"]) == list(expected.bin_counts)
    assert expected.summary() in panel.caption.text()
    assert "Steps to a loss below 0.2" in panel.histogram.title


def test_a_click_on_a_curve_opens_that_seed_as_a_normal_experiment(make_window, qtbot):
    window = make_window(small_lesson())
    panel = window.many_seeds_panel
    qtbot.waitUntil(lambda: panel.result is not None, timeout=30000)
    result = panel.result
    step = 100
    row = int(np.nanargmin(result.curves[:, step - 1]))  # the lowest curve at step 100
    loss = result.curves[row, step - 1]
    target_seed = result.seeds[result.run_nearest(step, loss)]
    view = panel.curves.getPlotItem().getViewBox()
    point = panel.curves.mapFromScene(view.mapViewToScene(QPointF(step, math.log10(loss))))
    QTest.mouseClick(panel.curves.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: window.run.experiment.seed == target_seed, timeout=20000)
    assert window.run.experiment.replace(seed=0) == small_lesson()
    assert panel.chosen_seed == target_seed
    assert panel.result is result  # the same runs on show, that one bold over them
    chosen = panel.chosen_curve.yData
    assert np.array_equal(chosen, result.curves[result.seeds.index(target_seed)],
                          equal_nan=True)
    # Trained again from there: the same seeds, not seeds counted from the one opened.
    panel.run_button.click()
    qtbot.waitUntil(lambda: panel.result is not result, timeout=30000)
    assert panel.result.seeds == result.seeds


def test_an_experiment_a_sweep_cannot_train_is_explained_in_one_line(make_window, qtbot):
    window = make_window(small_lesson(stopping=StoppingSpec(max_steps=300, time_limit=5.0)))
    panel = window.many_seeds_panel
    qtbot.waitUntil(lambda: "cannot train" in panel.caption.text(), timeout=30000)
    assert "stopping.time_limit: a sweep cannot stop on time" in panel.caption.text()
    assert panel.result is None and "\n" not in panel.caption.text()
    assert panel.run_button.isEnabled()


def test_the_panel_trains_the_seeds_again_with_its_settings(make_window, qtbot):
    window = make_window(sim.load(lessons.lesson_dir() / "xor.json"))
    assert not window.many_seeds.on_screen and window.many_seeds.token == 0  # none asked for
    window.show_panel("Many seeds")
    panel = window.many_seeds_panel
    qtbot.waitUntil(lambda: panel.result is not None, timeout=30000)
    assert panel.result.spec == ManySeedsSpec()  # the defaults
    panel.set_spec(SPEC)
    panel.run_button.click()  # "Run the seeds"
    qtbot.waitUntil(lambda: panel.result.spec == SPEC, timeout=30000)
    assert panel.result.runs == 6
    # Another experiment opened while the panel is in front: it waits to be asked.
    token = window.many_seeds.token
    spiral = sim.load(lessons.lesson_dir() / "spiral.json")
    window.run.load(spiral)
    qtbot.waitUntil(lambda: window.run.experiment == spiral, timeout=20000)
    qtbot.waitUntil(lambda: panel.result is None, timeout=20000)
    assert f"train {spiral.name} from 6 seeds" in panel.caption.text()
    assert window.many_seeds.token == token  # nothing asked of the training process


def test_the_target_line_stands_at_the_target_named_and_only_with_runs_drawn(qtbot):
    """Before any runs the dashed line stood at a loss of 1 (pyqtgraph's line at 0 on the log
    axis), unnamed, while the target was 0.05."""
    from gui.many_seeds import ManySeedsPanel
    from gui.style import light_style

    panel = ManySeedsPanel(light_style())
    qtbot.addWidget(panel)
    panel.resize(400, 600)
    panel.show()
    qtbot.waitExposed(panel)
    panel.show_stale("XOR")
    assert not panel.target_line.isVisible()
    panel.show_result(many_seeds(small_lesson(), SPEC))
    assert panel.target_line.isVisible()
    assert panel.target_line.value() == math.log10(SPEC.target_loss)
    assert panel.target_line.label.toPlainText() == "target 0.2"
    panel.show_problem("too many weights")
    assert not panel.target_line.isVisible()
