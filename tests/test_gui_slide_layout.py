"""What a slide and the side pictures show whole: a plot's key stands above its curves and is
never cut, step axes count whole steps, a one-input fit leaves the axes to the data, the loss
landscape keeps a readable height on a 1280x720 slide, and the captions' text is all on show or
scrolls (never cut off)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QFont, QFontMetricsF

import sim
from gui.data_panel import FIT_REACH, fit_reach
from gui.plots import Plot, wrapped
from gui.presentation import LANDSCAPE_HEIGHT, PICTURE_HEIGHT, picture_share
from gui.style import light_style
from sim import lessons, notation
from tests.conftest import LESSONS
from tests.test_gui_presentation import present, settle, walk

BATCH_MINI = LESSONS / "batch-mini.json"
RATE_RIGHT = LESSONS / "learning-rate-right.json"
RATE_TOO_LARGE = LESSONS / "learning-rate-too-large.json"
CLIPPED = LESSONS / "exploding-gradients-clipped.json"
Z2X = LESSONS / "gradient-descent-z2x.json"
XOR = LESSONS / "xor.json"
BATCH_FULL = LESSONS / "batch-full.json"


def run_to(qtbot, window, step: int) -> None:
    window.run.run_steps(step - window.snapshot.step)
    qtbot.waitUntil(lambda: window.snapshot.step == step, timeout=30000)


# ---------------------------------------------------------------------------- keys

def test_a_name_wraps_between_words_into_lines_that_fit(qtbot):
    font = QFont()
    font.setPointSizeF(12.0)
    text = "training loss, each batch (faint) and its moving average"
    width = QFontMetricsF(font).horizontalAdvance("training loss, each")
    lines = wrapped(text, QFontMetricsF(font), width)
    assert len(lines) > 1 and " ".join(lines) == text
    assert all(QFontMetricsF(font).horizontalAdvance(line) <= width for line in lines)
    # a word wider than the line stands alone on its line
    assert wrapped("unbreakable", QFontMetricsF(font), 1.0) == ["unbreakable"]


def key_names(plot: Plot) -> list[str]:
    """The names in a plot's key as they read, their lines joined."""
    return [label.text.replace("<br>", " ") for _, label in plot.key.items]


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
@pytest.mark.parametrize(("lesson", "steps"), [(BATCH_MINI, 16), (RATE_RIGHT, 10)])
def test_a_slides_keys_stand_above_the_curves_whole(make_window, qtbot, lesson, steps, size):
    window = make_window(sim.load(lesson), size=size)
    run_to(qtbot, window, steps)
    present(qtbot, window)
    window.plots.refresh_all()
    settle(qtbot, window)
    keyed = [plot for plot in (window.plots.loss_plot, window.plots.norm_plot)
             if plot.isVisible() and plot.key.isVisible()]
    assert keyed  # the test looks at a key
    for plot in keyed:
        assert not plot.key_covers_view()  # the curves under it stay in sight
        key = plot.key_rect()
        assert key.left() >= 0 and key.right() <= plot.width()  # not cut at either side
        assert key.top() >= 0
    names = key_names(window.plots.loss_plot) if window.plots.loss_plot.key.isVisible() else []
    if lesson == BATCH_MINI:  # each batch's loss is drawn faintly: the key says so, whole
        assert len(names) == 1 and "faint" in names[0] and "moving average" in names[0]
        assert names[0].startswith("training loss")


def test_the_training_loss_alone_needs_no_key_on_a_slide(make_window, qtbot):
    window = make_window(sim.load(RATE_RIGHT), size=(1280, 720))
    run_to(qtbot, window, 5)
    present(qtbot, window)
    window.plots.refresh_all()
    assert not window.plots.loss_plot.key.isVisible()  # one plain curve under "Loss"
    assert window.plots.norm_plot.key.isVisible()  # three curves to tell apart


def test_the_clipping_count_says_time_or_times(make_window, qtbot):
    window = make_window(sim.load(CLIPPED))
    run_to(qtbot, window, 1)
    window.plots.refresh_all()
    assert window.snapshot.clip_count == 1  # the lesson clips from its first step
    assert window.plots.clip_label.text() == "clipping fired 1 time"
    run_to(qtbot, window, 3)
    window.plots.refresh_all()
    assert window.plots.clip_label.text() == \
        f"clipping fired {window.snapshot.clip_count} times"


# ---------------------------------------------------------------------------- step axes

@pytest.mark.parametrize(("low", "high"), [(0.6, 1.4), (0.7, 4.3), (-0.2, 2.2)])
def test_a_step_axis_ticks_whole_steps_only(qtbot, low, high):
    plot = Plot("Loss", light_style(), log_y=False)
    qtbot.addWidget(plot)
    axis = plot.getAxis("bottom")
    levels = axis.tickValues(low, high, 400)
    ticks = [value for _, values in levels for value in values]
    assert ticks and all(float(value).is_integer() for value in ticks)
    # an axis of other things (a weight, an input) keeps its fractions
    other = Plot("Data and fit", light_style(), log_y=False, steps=False)
    qtbot.addWidget(other)
    fractions = [value for _, values in other.getAxis("bottom").tickValues(0.6, 1.4, 400)
                 for value in values]
    assert any(not float(value).is_integer() for value in fractions)


# ---------------------------------------------------------------------------- one input

def test_a_fit_reaches_the_axes_only_as_far_as_the_data_allows():
    targets = np.array([-1.0, 0.0, 1.0])
    near = np.array([[-1.2], [0.5], [1.5]])
    assert np.array_equal(fit_reach(targets, near), near.reshape(-1))  # whole, within reach
    diverged = np.array([[-1e153], [np.nan], [np.inf]])
    reach = fit_reach(targets, diverged)
    margin = FIT_REACH * 2.0
    assert reach[0] == -1.0 - margin and np.isnan(reach[1]) and reach[2] == 1.0 + margin
    assert np.isnan(fit_reach(np.array([np.nan]), near)).all()  # no target: nothing


def data_panel_in_front(window):
    """The window's data panel, its dock and tab in front (a hidden panel does not draw)."""
    window.views_dock.show()
    window.views_dock.raise_()
    window.views.setCurrentIndex(0)
    return window.views.data_panel


def test_a_diverged_one_input_fit_leaves_the_axes_to_the_data(make_window, qtbot):
    window = make_window(sim.load(RATE_TOO_LARGE))
    data = data_panel_in_front(window)
    window.run.run_steps(200)  # it diverges at step 197, its output weights near 1.5e153
    qtbot.waitUntil(lambda: data.view is not None and
                    not (np.abs(data.view.outputs) < 1e100).all(), timeout=30000)
    settle(qtbot, window)
    box = data.plot.getPlotItem().getViewBox()
    assert not box.state["aspectLocked"]  # an input against an output: no common unit
    assert not data.equal_aspect.isVisible()
    (x0, x1), (y0, y1) = box.viewRange()
    targets = np.concatenate([split.t.reshape(-1) for split in data.view.splits])
    inputs = np.concatenate([split.x[:, 0] for split in data.view.splits])
    span = float(targets.max() - targets.min())
    assert y0 >= targets.min() - 2 * FIT_REACH * span and y1 <= targets.max() + 2 * span
    assert x1 - x0 <= 2 * float(inputs.max() - inputs.min())
    assert "off the plot" in data.note.text()


def test_a_two_input_plane_keeps_its_equal_aspect(make_window, qtbot):
    window = make_window(sim.load(XOR))
    data = data_panel_in_front(window)
    qtbot.waitUntil(lambda: data.view is not None, timeout=10000)
    assert data.equal_aspect.isVisible() and data.equal_aspect.isChecked()
    assert data.plot.getPlotItem().getViewBox().state["aspectLocked"]


# ---------------------------------------------------------------------------- landscape

def test_a_landscape_lesson_gives_its_picture_the_larger_share():
    assert picture_share(sim.load(Z2X)) == LANDSCAPE_HEIGHT > PICTURE_HEIGHT
    assert picture_share(sim.load(LESSONS / "spiral.json")) == PICTURE_HEIGHT


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_the_landscape_keeps_a_readable_height_on_a_slide(make_window, qtbot, size):
    window = make_window(sim.load(Z2X), size=size)
    run_to(qtbot, window, 4)
    present(qtbot, window)
    views = window.views
    qtbot.waitUntil(lambda: views.curve.xData is not None, timeout=10000)
    settle(qtbot, window)
    assert views.landscape_plot.isVisible()
    box = views.landscape_plot.getPlotItem().getViewBox()
    scale = window.style_.scale
    assert box.height() >= 50 * scale  # the parabola is a curve, not a flat line
    # its loss axis's title fits along the axis, not cut
    axis = views.landscape_plot.getAxis("left")
    assert axis.label.boundingRect().width() <= axis.height()  # drawn along the axis
    assert not views.choice.isVisible()  # on a slide the axis names the weight


def test_at_the_desk_the_landscape_says_what_it_shows(make_window, qtbot):
    window = make_window(sim.load(Z2X), size=(1600, 1000))
    run_to(qtbot, window, 4)
    views = window.views
    qtbot.waitUntil(lambda: views.curve.xData is not None, timeout=10000)
    assert views.choice.isVisible()
    assert views.landscape_plot.getAxis("left").labelText == \
        f"loss {notation.LOSS} (training set)"
    assert views.landscape_plot.shown_title().startswith("Loss landscape")


# ---------------------------------------------------------------------------- captions

def test_the_batch_note_is_never_cut_off_beside_the_follow_box(make_window, qtbot):
    """On a 1280x720 slide after a run of steps, the caption's first lines show and the rest,
    the note on the batch followed among them, scroll into view: none of it is out of
    reach."""
    window = make_window(sim.load(BATCH_FULL), size=(1280, 720))
    run_to(qtbot, window, 3)
    present(qtbot, window)
    captions = window.captions
    assert captions.batch_note.text()
    assert captions.body_scroll.isAncestorOf(captions.batch_note)  # it scrolls with the text
    captions.body_scroll.ensureWidgetVisible(captions.batch_note)
    settle(qtbot, window)
    note = captions.batch_note
    shown = note.visibleRegion().boundingRect()
    assert shown.height() >= note.height() - 1  # scrolled to, it shows whole


def test_a_slide_shows_the_xor_backward_lines_across_the_whole_width(make_window, qtbot):
    window = make_window(lessons.load_lesson(), size=(1280, 720))  # XOR: a boundary lesson
    window.run.step()  # a loss to plot: the plots stand in the side column
    qtbot.waitUntil(lambda: window.snapshot.step == 1, timeout=10000)
    present(qtbot, window)
    walk(qtbot, window, 4)  # backward 2: a delta, three weights' and a bias's gradients
    captions = window.captions
    assert captions.title.text().startswith("Backward · layer 2")
    assert not window.views_dock.isVisible()  # the picture gives its room while walking
    assert window.plots_dock.isVisible()
    # the captions then run under the plots too, and show their lines whole
    assert window.captions_dock.width() >= window.width() - 20
    assert window.captions_dock.geometry().top() > window.plots_dock.geometry().bottom()
    assert not captions.caption_cut()
