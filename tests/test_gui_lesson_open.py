"""What a lesson opens on in the window (its `view`), and honest scales: the play speed, the
colour mode and its fixed range, the ravine of two weights, the followed sample, clamped and
logarithmic plot axes, the colour-mode box in step with the canvas, one first instruction and
the primary Play button (pytest-qt, offscreen)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt

import sim
from gui.plots import DecadeAxis
from gui.speed import speed_text
from gui.status import StepPace
from sim import explain, lesson_view, lessons, palette
from sim.address import ParameterAddress
from sim.experiment import to_dict
from tests.conftest import LESSONS, experiment

WAIT_MS = 20000
# Frame ticks come at most every 16 ms (the window's timer), so this many ticks while playing
# take at least 6 seconds, however fast the machine.
SIX_SECONDS_OF_TICKS = 6000 // 16 + 1


def wait_step(qtbot, window, step: int) -> None:
    qtbot.waitUntil(lambda: window.snapshot is not None and window.snapshot.step == step,
                    timeout=WAIT_MS)


def idle(window) -> bool:
    return window.run.idle and window.run.up_to_date


def test_the_default_lesson_plays_at_its_own_speed_and_is_still_running_after_six_seconds(
        make_window, qtbot):
    lesson = lessons.load_lesson()
    window = make_window(lesson)
    total = lesson.stopping.max_steps
    assert window.speed_control.speed == lesson.view.speed == 50.0
    assert window.speed_label.text().strip() == "50/s (lesson)"
    assert window.speed.maximum() - window.speed.value() == 1  # "max" is one notch away
    window.run.set_playing(True)
    ticks = len(window.ui_latencies)  # one entry per frame tick while playing
    qtbot.waitUntil(lambda: len(window.ui_latencies) - ticks >= SIX_SECONDS_OF_TICKS,
                    timeout=120000)
    assert window.run.playing and window.snapshot.stop_event is None
    assert 0 < window.snapshot.step < total
    window.speed.setValue(window.speed.maximum())  # one notch up: as fast as possible
    assert window.speed_label.text().strip() == "max"
    assert window.speed_control.speed is None


def test_a_lesson_without_a_speed_plays_as_fast_as_possible(make_window):
    window = make_window(experiment())
    assert window.speed_control.speed is None
    assert window.speed.value() == window.speed.maximum()


def test_a_ravine_lesson_opens_on_the_loss_over_its_two_weights_with_a_colour_bar(make_window,
                                                                                  qtbot):
    window = make_window(sim.load(LESSONS / "optimizer-plain.json"))
    views = window.views
    assert views.addresses == [ParameterAddress(1, 0, 0), ParameterAddress(1, 0, 1)]
    assert views.currentIndex() == 1 and views.isVisible()  # no click needed
    qtbot.waitUntil(lambda: views.surface.image is not None and views.colour_bar.isVisible(),
                    timeout=WAIT_MS)
    box = views.landscape_plot.getViewBox()
    assert box.state["aspectLocked"] == 1.0  # equal axes: the valley's true shape
    low, high = views.colour_bar.levels()
    image = views.surface.image
    assert (low, high) == (pytest.approx(float(image.min())), pytest.approx(float(image.max())))
    assert window.views.data_panel.plot.getViewBox().state["aspectLocked"] == 1.0


def test_a_lesson_opens_on_its_colour_mode_its_panels_and_its_sample(make_window, qtbot):
    document = to_dict(sim.load(LESSONS / "xor.json"))
    document["view"] = {"speed": 10, "colour": "update", "panels": ["inspector"], "sample": 3}
    window = make_window(experiment())
    window.run.load(sim.parse(document), LESSONS / "xor.json")
    qtbot.waitUntil(lambda: window.run.experiment.view.sample == 2, timeout=WAIT_MS)
    assert window.canvas.mode == "update" and window.mode_box.currentData() == "update"
    assert window.captions.followed() == 2 and window.canvas.sample == 2
    assert window.speed_control.notches == [1.0, 2.0, 5.0, 10.0, None]
    assert window.inspector_dock.isVisible()
    assert not window.inspector_dock.visibleRegion().isEmpty()  # in front of the lesson
    assert set(window.panel_docks) == set(lesson_view.PANELS)  # every panel a file may name


def gradient_scale(window) -> palette.Scale:
    assert window.canvas.shown_mode == "gradient"
    return window.canvas.current_scale()


def test_a_lessons_fixed_gradient_range_survives_training(make_window, qtbot):
    window = make_window(sim.load(LESSONS / "vanishing-sigmoid.json"))
    assert window.canvas.mode == "gradient" and window.action("lock_colours").isChecked()
    window.run.run_steps(1)
    wait_step(qtbot, window, 1)
    assert gradient_scale(window) == palette.Scale("log", 1.0)
    window.run.run_steps(299)
    wait_step(qtbot, window, 300)
    # After 300 steps every gradient is tiny: the range stays, so the network fades ...
    assert gradient_scale(window) == palette.Scale("log", 1.0)
    largest = max(float(np.abs(layer.dW).max()) for layer in window.snapshot.layers)
    assert largest < 1e-4
    # ... where a range that follows the values would have re-ranged to them.
    window.set_range_locked(False)
    assert not window.action("lock_colours").isChecked()
    assert gradient_scale(window) == palette.fixed_scale("gradient", largest)
    window.set_range_locked(True)
    assert gradient_scale(window) == palette.Scale("log", 1.0)  # the lesson's, again


def test_without_a_lessons_range_the_first_range_shown_is_kept(make_window, qtbot):
    window = make_window(lessons.load_lesson())
    window.run.run_steps(1)
    wait_step(qtbot, window, 1)
    window.set_mode("gradient")
    first = gradient_scale(window)
    values = [v for layer in window.snapshot.layers for v in (layer.dW, layer.db)]
    assert first == palette.scale_for("gradient", values)
    window.run.run_steps(2999)
    wait_step(qtbot, window, 3000)
    values = [v for layer in window.snapshot.layers for v in (layer.dW, layer.db)]
    assert palette.scale_for("gradient", values) != first  # the gradients have shrunk
    assert gradient_scale(window) == first


def test_the_loss_plot_turns_logarithmic_when_the_loss_spans_more_than_two_decades(
        make_window, qtbot):
    window = make_window(sim.load(LESSONS / "exploding-gradients.json"))
    plots = window.plots
    assert not plots.log_loss.isChecked()
    window.run.run_steps(1)
    wait_step(qtbot, window, 1)
    assert not plots.log_loss.isChecked()  # one point spans nothing
    window.run.run_steps(10)  # the run diverges at step 4 and stops there
    qtbot.waitUntil(lambda: window.snapshot.stop_event is not None and idle(window),
                    timeout=WAIT_MS)
    plots.refresh_all()
    assert plots.log_loss.isChecked() and plots.loss_plot.log_y


def test_a_loss_within_two_decades_stays_linear_and_the_users_choice_wins(make_window, qtbot):
    window = make_window(lessons.load_lesson())
    plots = window.plots
    window.run.run_steps(50)  # the XOR loss stays near 0.5 for these steps
    wait_step(qtbot, window, 50)
    plots.refresh_all()
    assert not plots.log_loss.isChecked()
    plots.log_loss.click()  # the user asks for log ...
    assert plots.loss_plot.log_y
    plots.log_loss.click()  # ... and takes it back: it stays linear
    window.run.run_steps(2000)  # by now the loss spans more than two decades
    wait_step(qtbot, window, 2050)
    plots.refresh_all()
    assert not plots.log_loss.isChecked()


def test_after_one_step_no_axis_shows_a_negative_loss_or_step(make_window, qtbot):
    window = make_window(lessons.load_lesson())
    window.run.run_steps(1)
    wait_step(qtbot, window, 1)
    window.plots.refresh_all()
    for plot in (window.plots.loss_plot, window.plots.norm_plot):
        plot.getViewBox().autoRange()
        (x_low, _), (y_low, _) = plot.getViewBox().viewRange()
        assert x_low >= 0.0, plot.title
        if not plot.log_y:
            assert y_low >= 0.0, plot.title


def test_the_colour_box_says_what_the_phase_view_shows(make_window, qtbot):
    window = make_window(lessons.load_lesson())
    assert window.mode_box.currentData() == "weight" and window.mode_box.isEnabled()
    walked = 0
    while walked < 4:  # forward 1, forward 2, loss, backward 2
        qtbot.keyClick(window, Qt.Key.Key_Right)
        walked += 1
        wait_cursor = walked
        qtbot.waitUntil(lambda c=wait_cursor: window.snapshot.cursor == c, timeout=WAIT_MS)
    assert window.snapshot.last_phase.kind == "backward"
    assert window.canvas.shown_mode == "gradient"
    assert window.mode_box.currentData() == "gradient" and not window.mode_box.isEnabled()
    assert window.canvas.mode == "weight"  # the user's choice is kept for later
    window.run.step()  # a whole step ends the walk
    qtbot.waitUntil(lambda: not window.run.walking and window.snapshot.at_boundary,
                    timeout=WAIT_MS)
    assert window.mode_box.currentData() == "weight" and window.mode_box.isEnabled()


def test_one_first_instruction_and_a_primary_play_button(make_window):
    window = make_window(lessons.load_lesson())
    assert window.captions.lines == (explain.FIRST_INSTRUCTION,)
    for plot in (window.plots.loss_plot, window.plots.norm_plot):
        title = plot.getPlotItem().titleLabel.text.lower()
        assert "press" not in title and "play" not in title
    assert window.play_button.isVisible() and window.play_button.objectName() == "primary"
    assert window.style_.accent.name() in window.play_button.styleSheet()
    assert not window.windowIcon().isNull()


def test_the_step_counter_is_large_and_counts_towards_the_limit(make_window, qtbot):
    window = make_window(lessons.load_lesson())
    window.run.run_steps(3)
    wait_step(qtbot, window, 3)
    label = window.run_status.step_label
    assert label.text().strip() == "step 3 of 5,000"
    assert label.font().pointSizeF() >= 1.5 * window.font().pointSizeF()


def test_the_status_line_gives_a_diverged_steps_loss_as_that_steps(make_window, qtbot):
    # Step 4 of the exploding lesson overflows: the counter stays at step 3, whose loss the
    # history holds; the pass kept for inspection is step 4's.
    window = make_window(sim.load(LESSONS / "exploding-gradients.json"))
    window.run.run_steps(10)
    qtbot.waitUntil(lambda: window.snapshot is not None and window.snapshot.diverged,
                    timeout=WAIT_MS)
    s = window.snapshot
    assert s.step == 3 and s.stop_event.step == 4
    text = window.run_status.label.text()
    assert f"loss {s.loss:.6g} (step 4, diverged)" in text, text
    losses = s.history["loss"]
    assert losses.steps[-1] == 3 and losses.low[-1] != s.loss  # "loss" alone read as step 3's


def test_after_early_stopping_restores_weights_the_status_line_speaks_of_those(make_window,
                                                                              qtbot):
    lesson = sim.load(LESSONS / "overfitting-early-stopping.json")
    stopping = lesson.stopping
    window = make_window(lesson.replace(stopping=replace(
        stopping, early_stopping=replace(stopping.early_stopping, patience=2))))
    window.run.run_steps(500)
    qtbot.waitUntil(lambda: window.snapshot is not None and window.snapshot.stop_event
                    is not None, timeout=WAIT_MS)
    best = window.snapshot.stop_event.details
    text = window.run_status.label.text()
    assert f"weights of step {best['restored_from']}: validation loss " \
        f"{best['best_val_loss']:.6g}" in text, text
    assert "last batch" not in text  # the last batch's accuracy was of the weights put aside


def test_an_edit_that_rebuilds_the_network_keeps_the_users_speed_and_colours(make_window,
                                                                             qtbot):
    lesson = lessons.load_lesson()
    window = make_window(lesson)
    window.confirm_rebuild = lambda: True
    window.speed.setValue(0)  # the slowest notch
    window.set_mode("update")
    document = to_dict(lesson)
    document["network"]["layers"][0]["units"] = 4
    edited = sim.parse(document)
    window.controls.experiment_edited.emit(edited)
    # The run controller takes the new experiment as it tells the window (gui.run._loaded).
    qtbot.waitUntil(lambda: window.run.experiment == edited, timeout=WAIT_MS)
    assert window.speed_control.speed == 1.0 and window.canvas.mode == "update"
    window.run.open(LESSONS / "xor.json")  # opening a lesson opens on its view again
    qtbot.waitUntil(lambda: window.run.experiment == lesson, timeout=WAIT_MS)
    assert window.speed_control.speed == 50.0 and window.canvas.mode == "weight"


def test_the_speed_label_names_every_allowed_speed_plainly():
    assert [speed_text(s) for s in (0.1, 7.5, 50.0, 10000.0, None)] == \
        ["0.1/s", "7.5/s", "50/s", "10000/s", "max"]


def test_a_log_axis_past_the_largest_float_leaves_those_ticks_unlabelled(qtbot):
    # A weight edited to a huge value gives a loss of 1e300 and more on the log loss plot.
    axis = DecadeAxis("left")
    axis.setLogMode(False, True)
    assert axis.logTickStrings([300.0, 308.0, 309.0, 310.0], 1.0, 1.0) == \
        ["10³⁰⁰", "10³⁰⁸", "", ""]
    assert axis.logTickStrings([-2.0, -1.0], 1.0, 1.0) == ["0.01", "0.1"]


def test_the_status_line_gives_the_epoch_and_batch_the_last_step_belongs_to(make_window,
                                                                            qtbot):
    # 8 batches an epoch: step 11 is the third batch of epoch 2, as the history counts it.
    window = make_window(sim.load(LESSONS / "batch-mini.json"))
    window.run.run_steps(11)
    wait_step(qtbot, window, 11)
    assert "epoch 2, batch 3 of 8" in window.run_status.label.text()


def test_the_status_line_speaks_of_the_phase_on_show_after_stepping_back(make_window, qtbot):
    window = make_window(lessons.load_lesson())  # xor: forward 1, forward 2, loss, ...
    window.run.run_steps(1)
    wait_step(qtbot, window, 1)
    step_one = window.snapshot.loss
    for phase in ("forward layer 1", "forward layer 2", "loss"):
        window.run.step_phase()
        qtbot.waitUntil(lambda p=phase: str(window.snapshot.last_phase) == p, timeout=WAIT_MS)
    text = window.run_status.label.text()
    assert "phase: loss" in text and "(step 2)" in text, text
    window.run.step_back()  # to forward layer 2: step 2's loss is not computed there yet
    text = window.run_status.label.text()
    assert "phase: forward layer 2" in text, text
    assert f"loss {step_one:.6g} (step 1)" in text, text  # the last step's, and said so
    assert "steps/s" not in text  # paused: the counter stands still


def test_the_step_pace_is_the_counters_steps_a_second_over_its_window():
    pace = StepPace(window=2.0)
    assert pace.rate() is None
    for tenth in range(31):  # 10 steps a second for 3 s, as a throttled Play shows them
        pace.add(tenth / 10, tenth)
    assert pace.rate() == pytest.approx(10.0)
    pace.add(3.1, 0)  # reset: a counter going back starts the measure again
    assert pace.rate() is None
