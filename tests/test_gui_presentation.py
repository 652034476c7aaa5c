"""Presentation mode as a slide, through the real window (pytest-qt, offscreen): nothing grows
the window past its screen, the lesson's side view and readable plots stay, the digits are
large, and the Step-by-step caption gets the room it needs."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontMetricsF

import sim
from gui.plots import MIN_LECTURE_PLOT_HEIGHT
from gui.presentation import GRADIENTS, PICTURES, PLOTS, side_view
from sim import lessons

LESSONS = lessons.lesson_dir()
SPIRAL = LESSONS / "spiral.json"
VANISHING = LESSONS / "vanishing-sigmoid.json"
SEED_003 = LESSONS / "seed003-walkthrough.json"
BACKWARD_1 = 5  # seed 003: forward 1, forward 2, loss, backward 2, backward 1


def settle(qtbot, window) -> None:
    """Let the docks and the window take the sizes the layout gives them."""
    qtbot.wait(150)
    window.layout().activate()
    qtbot.wait(50)


def present(qtbot, window, scale: float | None = None) -> None:
    if scale is not None:
        window.presentation.set_scale(scale)
    window.presentation.set_on(True)
    settle(qtbot, window)


def walk(qtbot, window, phases: int) -> None:
    for cursor in range(1, phases + 1):
        window.run.step_phase()
        qtbot.waitUntil(lambda c=cursor: window.snapshot.cursor == c, timeout=10000)
    settle(qtbot, window)


def digit_height(font) -> float:
    """The ink height of the digits in a font, in pixels."""
    return QFontMetricsF(font).tightBoundingRect("0123456789").height()


def font_pixels(font) -> float:
    return font.pointSizeF() * 96.0 / 72.0


# ---------------------------------------------------------------------------- the slide

def test_each_lesson_kind_keeps_its_one_side_view() -> None:
    assert side_view(sim.load(SPIRAL)) == PICTURES  # its decision boundary
    assert side_view(sim.load(VANISHING)) == GRADIENTS  # its gradient norms
    assert side_view(sim.load(SEED_003)) == PLOTS  # one point: no boundary worth a look


@pytest.mark.parametrize("lesson", [SPIRAL, VANISHING])
@pytest.mark.parametrize("scale", [2.0, 3.0])
def test_no_scale_grows_a_720_line_window(make_window, qtbot, lesson, scale):
    window = make_window(sim.load(lesson), size=(1280, 720))
    present(qtbot, window, scale)
    assert window.height() == 720
    assert window.minimumSizeHint().height() <= 720
    status = window.statusBar()
    assert status.isVisible() and status.geometry().bottom() < 720
    assert window.captions_dock.geometry().bottom() < 720


def test_spiral_keeps_its_decision_boundary_beside_a_readable_loss_plot(make_window, qtbot):
    window = make_window(sim.load(SPIRAL), size=(1920, 1080))
    present(qtbot, window)
    assert window.views_dock.isVisible() and window.views.currentIndex() == 0
    assert not window.controls_dock.isVisible() and not window.inspector_dock.isVisible()
    scale = window.style_.scale
    assert window.plots.loss_plot.isVisible()
    assert window.plots.loss_plot.height() >= MIN_LECTURE_PLOT_HEIGHT * scale
    # side by side: the boundary above the plots, both beside the canvas
    assert window.views_dock.geometry().bottom() <= window.plots_dock.geometry().top()
    assert window.canvas.geometry().right() < window.views_dock.geometry().left()


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_vanishing_gradients_plot_is_large_and_its_key_inside(make_window, qtbot, size):
    window = make_window(sim.load(VANISHING), size=size)
    window.run.run_steps(20)
    qtbot.waitUntil(lambda: window.snapshot.step == 20, timeout=20000)
    present(qtbot, window)
    plots = window.plots
    norms = plots.norm_plot
    assert not window.views_dock.isVisible()
    assert norms.isVisible() and norms.height() >= MIN_LECTURE_PLOT_HEIGHT * window.style_.scale
    assert norms.height() > plots.loss_plot.height()
    # the key is inside the plot, not a label above it, and lies within the plot's width
    assert not plots.norm_key.isVisible() and norms.key.isVisible()
    key = norms.key_rect()
    assert key.left() >= 0 and key.right() <= norms.width()
    # a title too long for the plot is elided, and the plot is not widened to hold it
    assert norms.width() <= window.plots_dock.width()
    title = norms.shown_title()
    assert title == norms.full_title or title.endswith("…")


def test_every_text_is_scaled_and_digits_are_28_pixels_at_1080(make_window, qtbot):
    window = make_window(sim.load(SEED_003), size=(1920, 1080))
    present(qtbot, window)
    style = window.style_
    assert digit_height(style.number_font) >= 28  # the canvas's numbers
    assert font_pixels(window.captions.body.font()) >= 28  # the captions' lines
    tick = window.plots.loss_plot.getAxis("bottom")
    assert QFontMetricsF(tick.style["tickFont"]).height() >= 24
    axis_title = tick.labelStyle["font-size"]
    assert float(axis_title.removesuffix("pt")) * 96 / 72 >= 24
    assert QFontMetricsF(window.plots.log_loss.font()).height() >= 24


def test_digits_stay_readable_at_1280x720(make_window, qtbot):
    window = make_window(sim.load(SEED_003), size=(1280, 720))
    present(qtbot, window)
    assert digit_height(window.style_.number_font) >= 18
    assert font_pixels(window.captions.body.font()) >= 18


def test_off_again_the_everyday_layout_returns(make_window, qtbot):
    window = make_window(sim.load(SPIRAL), size=(1600, 1000))
    settle(qtbot, window)
    before = {dock.objectName(): dock.isVisible() for dock in
              (window.controls_dock, window.plots_dock, window.inspector_dock,
               window.captions_dock)}
    present(qtbot, window)
    window.presentation.set_on(False)
    settle(qtbot, window)
    after = {dock.objectName(): dock.isVisible() for dock in
             (window.controls_dock, window.plots_dock, window.inspector_dock,
              window.captions_dock)}
    assert after == before
    assert window.plots.loss_key.isVisible() and not window.plots.loss_plot.key.isVisible()


# ---------------------------------------------------------------------------- caption room

@pytest.mark.parametrize(("size", "presenting"), [((1600, 1000), False), ((1366, 768), False),
                                                 ((1920, 1080), True), ((1280, 720), True)])
def test_seed_003_backward_1_caption_shows_whole(make_window, qtbot, size, presenting):
    window = make_window(sim.load(SEED_003), size=size)
    if presenting:
        present(qtbot, window)
    walk(qtbot, window, BACKWARD_1)
    captions = window.captions
    assert captions.title.text().startswith("Backward · layer 1")
    assert len(captions.lines) >= 6
    assert not captions.caption_cut()
    assert window.height() == size[1]


def test_the_caption_steps_aside_while_playing(make_window, qtbot):
    window = make_window(sim.load(SEED_003), size=(1600, 1000))
    walk(qtbot, window, 2)
    shown = window.captions_dock.height()
    assert window.captions.body_scroll.isVisible()
    window.run.set_playing(True)
    qtbot.waitUntil(lambda: window.run.playing, timeout=5000)
    settle(qtbot, window)
    assert not window.captions.body_scroll.isVisible()
    assert window.captions_dock.height() < shown
    window.run.set_playing(False)
    settle(qtbot, window)
    assert window.captions.body_scroll.isVisible()
