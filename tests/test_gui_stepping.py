"""Playing and stepping as the Step-by-step panel and the Step back action show them
(pytest-qt): what the captions say while training plays and after a pause, and Step back
offered only when there is a phase to go back to."""

from __future__ import annotations

from sim import explain, lessons, notation
from tests.conftest import experiment

WAIT_MS = 5000  # the longest any effect may take to show (they take milliseconds)


def test_while_playing_the_captions_name_the_phases_and_say_training_then_pausing_captions_the_step(
        make_window, qtbot):
    window = make_window(experiment())  # XOR, no stopping rule: play goes on
    captions = window.captions
    window.action("play").trigger()
    qtbot.waitUntil(lambda: window.snapshot.step >= 3, timeout=WAIT_MS)
    shown = window.snapshot
    assert captions.title.text().startswith("Training")
    strip = captions.strip.text()
    for phase in shown.phases:  # every phase a step runs, none marked as the one shown
        assert (phase.kind if phase.layer is None else f"{phase.kind} {phase.layer}") in strip
    assert "[" not in strip
    assert captions.strip.isVisible() and captions.title.isVisible()
    assert not captions.body_scroll.isVisible()  # the equations of a step long gone
    window.action("play").trigger()  # pause
    qtbot.waitUntil(lambda: window.run.worker.idle and window.run.up_to_date, timeout=WAIT_MS)
    paused = window.snapshot
    # The step on show captioned, whether or not a snapshot came after the pause.
    caption = explain.caption(paused, captions.followed())
    assert captions.title.text() == notation.rich(caption.title)
    assert captions.lines == caption.lines
    assert captions.body_scroll.isVisible()


def test_step_back_is_offered_only_when_a_phase_of_the_iteration_is_kept(make_window, qtbot):
    window = make_window(lessons.load_lesson())
    back, run = window.action("back"), window.run
    assert not back.isEnabled()  # step 0: nothing ran yet

    def phase(cursor: int) -> None:
        window.action("phase").trigger()
        qtbot.waitUntil(lambda: window.snapshot.cursor == cursor, timeout=WAIT_MS)

    phase(1)  # the first phase of the iteration: nothing before it is kept
    assert not back.isEnabled() and not run.can_step_back
    phase(2)
    assert back.isEnabled()
    back.trigger()
    assert window.snapshot.cursor == 1 and not back.isEnabled()
    phase(2)  # forward through the kept phase
    assert back.isEnabled()
    window.action("step").trigger()  # the rest of the iteration at once
    qtbot.waitUntil(lambda: window.snapshot.step == 1 and window.snapshot.at_boundary,
                    timeout=WAIT_MS)
    window.action("step").trigger()  # a whole step: its phases were never shown
    qtbot.waitUntil(lambda: window.snapshot.step == 2, timeout=WAIT_MS)
    assert not back.isEnabled()
    shown = window.snapshot
    run.step_back()  # asked anyway (not through the action): nothing changes
    assert window.snapshot is shown and not run.walking
