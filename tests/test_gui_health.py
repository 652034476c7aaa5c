"""The health plots and the activation panel, drawn from the engine's numbers (pytest-qt)."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim import lessons
from sim.health import UPDATE_RATIO_RULE

DYING = lessons.lesson_dir() / "dying-relu.json"
VANISHING = lessons.lesson_dir() / "vanishing-sigmoid.json"


def test_the_health_view_shows_dead_units_rising_and_the_percentile_bands(make_window, qtbot):
    window = make_window(sim.load(DYING))
    window.health_dock.show()
    window.health_dock.raise_()
    window.run.worker.run_steps(60)
    qtbot.waitUntil(lambda: window.snapshot.step == 60, timeout=20000)
    qtbot.waitUntil(lambda: window.health.snapshot is not None and
                    window.health.snapshot.step == 60, timeout=10000)
    health = window.health
    health.refresh_all()
    snapshot = health.snapshot
    # Layer 2's dead-unit fraction as recorded, drawn: it ends far above where it began.
    dead = health.layer_curves["units"][1].line.yData
    recorded = snapshot.history["dead_2"]
    assert dead is not None and dead[-1] == recorded.high[-1] > recorded.low[0]
    assert "Dead units per layer" in health.units_plot.title
    assert not health.accuracy_plot.isVisible()  # regression: no accuracy
    # ... its page greyed out in the box, the next one shown instead of an empty page
    assert health.page_box.currentText() == "Saturated or dead units"
    assert not health.page_box.model().item(0).isEnabled()
    assert health.rule_line.value() == np.log10(UPDATE_RATIO_RULE)
    bands = snapshot.distributions
    median = health.weight_bands.median
    assert np.array_equal(median.xData, bands.steps.astype(float))
    assert np.array_equal(median.yData, bands.weights[:, 0, 2])  # layer 1, the median
    health.layer_box.setCurrentIndex(2)  # layer 3's gradients
    assert np.array_equal(health.gradient_bands.median.yData, bands.gradients[:, 2, 2])


def test_the_activation_panel_draws_f_and_its_largest_slope_with_the_units(make_window, qtbot):
    window = make_window(sim.load(VANISHING))
    window.activation_dock.show()
    window.activation_dock.raise_()
    window.run.worker.run_steps(1)
    qtbot.waitUntil(lambda: window.snapshot.step == 1, timeout=20000)
    panel = window.activations
    panel.choose_layer(3)
    qtbot.waitUntil(lambda: panel.curve is not None and panel.curve.layer == 3, timeout=10000)
    curve = panel.curve
    assert curve.max_derivative == 0.25 and np.max(curve.fprime) == 0.25
    assert panel.max_label.toPlainText() == "max \N{GREEK SMALL LETTER SIGMA}′ = 0.25"
    assert curve.saturated_beyond is not None and 4.3 < curve.saturated_beyond < 4.4
    layer = window.snapshot.layers[2]
    row = window.canvas.sample_row()
    assert np.array_equal(panel.f_units.data["x"], layer.z[row])
    assert np.array_equal(panel.f_units.data["y"], layer.h[row])
    assert len(panel.f_rug.data) == layer.z.size
    assert len(panel.regions) == 4  # both tails shaded, on f and on f′


def test_the_activation_panel_shows_f_and_fprime_whole_at_a_small_screen(make_window, qtbot):
    """At 1366x768 both curves are on screen at once, over a z axis symmetric about 0 that
    holds every unit's z (the axis once ran from 0 to 13, and f′ lay below a scroll)."""
    window = make_window(sim.load(VANISHING), size=(1366, 768))
    window.activation_dock.show()
    window.activation_dock.raise_()
    window.run.worker.run_steps(1)
    qtbot.waitUntil(lambda: window.snapshot.step == 1, timeout=20000)
    panel = window.activations
    qtbot.waitUntil(lambda: panel.curve is not None, timeout=10000)
    curve = panel.curve
    for plot in (panel.f_plot, panel.fprime_plot):
        low, high = plot.getViewBox().viewRange()[0]
        assert (low, high) == pytest.approx((curve.z[0], curve.z[-1]))
        assert low == pytest.approx(-high) and high >= 6.0
        assert high >= np.abs(curve.batch_z).max()
        top_left = plot.mapTo(panel, plot.rect().topLeft())
        assert plot.isVisible() and plot.height() >= 100
        assert top_left.y() >= 0 and top_left.y() + plot.height() <= panel.height()


@pytest.mark.parametrize("size", [(1600, 1000), (1366, 768)])
def test_every_health_page_shows_its_plots_whole_at_a_desk_size(make_window, qtbot, size):
    """One page of plots at a time, each plot whole in the dock (six stacked plots were each
    taller than it: at 1366x768 the accuracy plot's step axis lay below the fold); the
    accuracy in per cent, as the status line gives it; the norm's key unbroken."""
    from PySide6.QtWidgets import QScrollArea

    from gui.health_plots import PAGES

    window = make_window(lessons.load_lesson(), size=size)  # XOR: a classification
    window.health_dock.show()
    window.health_dock.raise_()
    window.run.worker.run_steps(5)
    qtbot.waitUntil(lambda: window.health.snapshot is not None and
                    window.health.snapshot.step == 5, timeout=10000)
    health = window.health
    scroll = health.findChild(QScrollArea)
    for name in PAGES:
        health.show_page(name)
        qtbot.wait(100)
        health.refresh_all()
        plots = health.page_plots()
        assert plots, name
        assert scroll.verticalScrollBar().maximum() == 0, name  # nothing below the fold
        for plot in plots:
            top = plot.mapTo(health, plot.rect().topLeft()).y()
            assert plot.isVisible() and plot.height() >= plot.minimumHeight(), name
            assert top >= 0 and top + plot.height() <= health.height(), name
    recorded = health.snapshot.history["accuracy"]
    drawn = health.train_accuracy.line.yData
    assert np.array_equal(drawn, 100.0 * recorded.high) and drawn.max() <= 100.0
    norm_key = health.keys[health.norm_plot].text()
    assert "‖W‖" in norm_key and "|" not in norm_key
