"""The side pictures as a slide needs them: a log axis labels only the ticks its length holds
apart, a two-weight landscape fills its plot at one scale, and the landscape's colour bar
scales with the presentation."""

from __future__ import annotations

import itertools
import math

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFontMetricsF

import sim
from gui.plots import Plot, label_stride, roundness, spaced_apart
from gui.style import light_style
from gui.views_panel import surface_range
from tests.conftest import LESSONS
from tests.test_gui_presentation import present, settle

MOMENTUM = LESSONS / "optimizer-momentum.json"


def test_the_roundest_ticks_are_kept_first():
    assert [roundness(math.log10(v)) for v in (1, 100, 0.01, 5, 0.5, 2, 20, 3, 0.7)] == \
        [0, 0, 0, 1, 1, 2, 2, 3, 3]
    # 1 first, then 5 and 2 where they are far enough from it, never the crowded rest
    assert spaced_apart([0.0, 10.0, 40.0, 45.0, 100.0], [3, 0, 2, 3, 1], 20.0) == \
        [False, True, True, False, True]


def test_a_linear_axis_labels_every_first_second_fifth_or_tenth_tick():
    assert [label_stride(apart, 30.0) for apart in (40, 20, 10, 5, 3, 1)] == \
        [1, 2, 5, 10, 10, 50]


def labels_of(qtbot, scale: float, log: bool, low: float, high: float, height: int
              ) -> tuple[dict[float, str], int, float]:
    """The labels a small plot's y axis draws, by their place along it in pixels; how many
    ticks it has; how far apart two labels must be."""
    plot = Plot("Gradient norm per layer (log)", light_style(scale), log_y=log)
    qtbot.addWidget(plot)
    plot.resize(500, height)
    plot.show()
    plot.plot([1.0, 2.0], [low, high])
    plot.setYRange(*((math.log10(low), math.log10(high)) if log else (low, high)), padding=0)
    qtbot.waitExposed(plot)
    qtbot.wait(50)
    axis = plot.getAxis("left")
    labelled: dict[float, str] = {}
    ticks = 0
    levels = axis.tickValues(*axis.range, axis.geometry().height())
    for spacing, values in levels[:axis.style["maxTextLevel"] + 1]:  # the levels labelled
        ticks += len(values)
        strings = axis.tickStrings(values, 1.0, spacing)
        for position, text in zip(axis.tick_pixels(values), strings, strict=True):
            if text:
                labelled[round(position, 6)] = text
    return labelled, ticks, axis.label_room()


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_a_small_log_axis_labels_only_what_its_length_holds_apart(qtbot, scale):
    # a decade and a bit: 0.3 … 4, every 0.1, 1, 2, … ticked
    labelled, ticks, room = labels_of(qtbot, scale, True, 0.3, 4.0, 200)
    assert "1" in labelled.values()  # the decade is named ...
    assert 2 <= len(labelled) < ticks  # ... and some ticks between, not all
    positions = sorted(labelled)
    assert all(b - a >= room for a, b in itertools.pairwise(positions))


@pytest.mark.parametrize("height", [150, 400])
def test_a_small_linear_axis_keeps_its_labels_apart_and_at_least_two(qtbot, height):
    labelled, _, room = labels_of(qtbot, 2.0, False, 0.69, 0.78, height)
    positions = sorted(labelled)
    assert len(positions) >= 2  # one label would tell no scale
    assert all(b - a >= room for a, b in itertools.pairwise(positions))


def test_the_surface_range_fills_a_wide_and_a_tall_plot_around_the_path():
    window = QRectF(-2.0, -4.0, 8.0, 8.0)  # a square window: u from -2 to 6, v from -4 to 4
    path = QRectF(0.0, -0.2, 2.0, 0.6)  # a ravine's path, long in u and low in v
    (x0, x1), (y0, y1) = surface_range(window, path, 4.0)  # a wide slide's plot
    assert (x0, x1) == (-2.0, 6.0) and (y1 - y0) == pytest.approx(2.0)
    assert y0 <= path.top() and path.bottom() <= y1  # the path in view
    (x0, x1), (y0, y1) = surface_range(window, path, 0.5)  # a tall panel
    assert (y0, y1) == (-4.0, 4.0) and (x1 - x0) == pytest.approx(4.0)
    assert x0 <= path.left() and path.right() <= x1
    # near the window's edge the range stays inside it
    (x0, x1), _ = surface_range(window, QRectF(5.5, 0.0, 0.5, 0.1), 0.5)
    assert (x0, x1) == (2.0, 6.0)


@pytest.mark.parametrize(("size", "presenting"), [((1600, 1000), False), ((1920, 1080), True)])
def test_the_ravine_fills_its_plot_at_one_scale(make_window, qtbot, size, presenting):
    window = make_window(sim.load(MOMENTUM), size=size)
    if presenting:
        present(qtbot, window)
    window.run.run_steps(30)
    qtbot.waitUntil(lambda: window.snapshot.step == 30, timeout=20000)
    views = window.views
    qtbot.waitUntil(lambda: views.shown_surface is not None, timeout=20000)
    settle(qtbot, window)
    box = views.landscape_plot.getPlotItem().getViewBox()
    (x0, x1), (y0, y1) = box.viewRange()
    surface = views.shown_surface
    # no empty band beside the picture: the view lies within the surface ...
    tolerance = 1e-6 * surface.width()
    assert surface.left() - tolerance <= x0 and x1 <= surface.right() + tolerance
    assert surface.top() - tolerance <= y0 and y1 <= surface.bottom() + tolerance
    # ... spans the whole of it along one axis, and one unit is as long on both
    assert math.isclose(x1 - x0, surface.width(), rel_tol=1e-3) or \
        math.isclose(y1 - y0, surface.height(), rel_tol=1e-3)
    assert (x1 - x0) / box.width() == pytest.approx((y1 - y0) / box.height(), rel=0.02)


def test_the_landscapes_colour_bar_scales_with_the_presentation(make_window, qtbot):
    window = make_window(sim.load(MOMENTUM), size=(1920, 1080))
    bar = window.views.colour_bar
    desk = QFontMetricsF(bar.axis.style["tickFont"]).height()
    present(qtbot, window)
    ticks = QFontMetricsF(bar.axis.style["tickFont"]).height()
    assert ticks >= 24 and ticks > desk
    title = bar.getAxis("left").labelStyle["font-size"]
    assert float(title.removesuffix("pt")) * 96 / 72 >= 24


def test_a_diverging_networks_huge_surface_is_left_to_pyqtgraphs_own_ranging(qtbot):
    import numpy as np

    from gui.views_panel import ViewsPanel
    from sim.address import ParameterAddress
    from sim.views import LandscapeView

    panel = ViewsPanel(light_style())
    qtbot.addWidget(panel)
    panel.resize(400, 600)
    panel.setCurrentIndex(1)
    panel.show()
    qtbot.waitExposed(panel)
    values = np.linspace(-1e307, 1e307, 5)  # weights past any sum of two of them
    view = LandscapeView(addresses=(ParameterAddress(1, 0, 0), ParameterAddress(1, 0, 1)),
                         u=values, v=values, losses=np.ones((5, 5)), current=(0.0, 0.0),
                         current_loss=1.0, path=np.zeros((0, 2)), path_losses=np.zeros(0))
    panel.show_views(None, view, "")
    qtbot.wait(50)
    (x0, x1), (y0, y1) = panel.landscape_plot.getPlotItem().getViewBox().viewRange()
    assert not any(math.isnan(number) for number in (x0, x1, y0, y1))


def test_on_a_slide_the_data_plots_axis_titles_are_both_at_the_plots_size(make_window, qtbot):
    """The y axis is named once the data come, after the slide's style was given: it takes
    the style too (x₂ stayed at pyqtgraph's 9 points while x₁ was 24 pixels high)."""
    window = make_window(sim.load(LESSONS / "xor.json"), size=(1920, 1080))
    present(qtbot, window)
    plot = window.views.data_panel.plot
    qtbot.waitUntil(lambda: plot.getAxis("left").labelText != "", timeout=10000)
    size = f"{window.style_.small_font.pointSizeF():.1f}pt"
    for side in ("bottom", "left"):
        assert plot.getAxis(side).labelStyle["font-size"] == size, side
    assert float(size.removesuffix("pt")) * 96 / 72 >= 24  # readable from the back


def test_the_landscape_shows_no_axes_before_a_weight_is_chosen_and_keys_only_what_it_draws(
        qtbot):
    """No weight: no plot (its empty axes read "step" and a negative loss). A weight chosen
    after training began: its path is one point, under the dot of the weight now, so the key
    says from when it will be drawn instead of naming a path; with more points it names it,
    and since when."""
    from gui.views_panel import LANDSCAPE_TAB, ViewsPanel
    from sim import landscape, views
    from sim.address import ParameterAddress

    panel = ViewsPanel(light_style())
    qtbot.addWidget(panel)
    panel.resize(400, 600)
    panel.setCurrentIndex(LANDSCAPE_TAB)
    panel.show()
    qtbot.waitExposed(panel)
    assert not panel.landscape_plot.isVisible() and panel.choice.isVisible()
    assert "no weight" in panel.choice.text()
    assert Plot("a plot of x", light_style(), log_y=False, steps=False).getAxis(
        "bottom").labelText == ""  # only a plot over steps names its x axis "step"
    trainer = sim.Trainer(sim.load(LESSONS / "xor.json"))
    trainer.run(steps=5)
    address = ParameterAddress(1, 0, 0)
    panel.set_selected(address)
    panel.use_selected()
    trace = landscape.ParameterTrace([address])
    trace.record(trainer.snapshot())  # chosen at step 5
    panel.show_views(None, views.landscape_view(trainer, trace), "")
    assert panel.landscape_plot.isVisible()
    key = panel.landscape_key.text()
    assert "the path the weight took" not in key and "from step 5 on" in key
    trainer.run(steps=3)
    trace.record(trainer.snapshot())
    panel.show_views(None, views.landscape_view(trainer, trace), "")
    key = panel.landscape_key.text()
    assert "the path the weight took since step 5" in key.replace("&nbsp;", " ")
    panel.clear()
    assert not panel.landscape_plot.isVisible()
