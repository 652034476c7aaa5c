"""Motion while phases are stepped (gui.motion): pulses travel forward into the active layer
and back with δ, frame by frame (no clock), a key press completes them, and reduced motion has
none (pytest-qt, offscreen)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

import sim
from gui.motion import PHASE_SECONDS, PhaseMotion, pulses_for
from sim import lessons
from sim.events import Phase

SEED_003 = lessons.lesson_dir() / "seed003-walkthrough.json"


def test_forward_phases_send_pulses_up_and_backward_phases_back_down() -> None:
    assert pulses_for(Phase("forward", 1), 2) == (0, 1)
    assert pulses_for(Phase("forward", 2), 2) == (1, 2)
    assert pulses_for(Phase("backward", 2), 2) == (2, 1)
    assert pulses_for(Phase("backward", 1), 2) == (1, 0)
    for quiet in (Phase("loss", None), Phase("clip", None), Phase("update", None), None):
        assert pulses_for(quiet, 2) is None


def test_a_phase_lasts_its_frames_at_the_display_rate(qapp) -> None:
    motion = PhaseMotion(frames_per_second=50)
    frames = round(PHASE_SECONDS * 50)
    assert 0.3 * 50 <= frames <= 1.0 * 50  # 0.3 to 1 seconds
    drawn = []
    motion.changed.connect(drawn.append)
    motion.start(Phase("forward", 1), 2)
    progress = [drawn[-1].progress]
    for _ in range(frames - 1):
        motion.advance()
        progress.append(drawn[-1].progress)
    assert motion.running
    assert progress == sorted(progress) and progress[0] == 0.0 and progress[-1] < 1.0
    motion.advance()
    assert not motion.running and drawn[-1] is None
    motion.set_frame_rate(0.0)  # a platform that does not say: 60 Hz
    assert motion.frames_per_second == 60.0


def test_seconds_become_frames_without_losing_parts_of_one(qapp) -> None:
    motion = PhaseMotion(frames_per_second=60)
    motion.start(Phase("backward", 2), 2)
    for _ in range(4):
        motion.advance_seconds(0.5 / 60)  # half a frame each
    assert motion.frame == 2


def test_reduced_motion_shows_the_phase_at_once(qapp) -> None:
    motion = PhaseMotion()
    motion.set_reduced(True)
    motion.start(Phase("forward", 1), 2)
    assert not motion.running and motion.pulses() is None


def walk_one(qtbot, window, cursor: int) -> None:
    window.run.step_phase()
    qtbot.waitUntil(lambda: window.snapshot.cursor == cursor, timeout=10000)


def test_stepping_a_phase_sets_pulses_off_and_a_key_completes_them(make_window, qtbot):
    window = make_window(sim.load(SEED_003))
    motion = window.motion
    motion.driven_by_timer = False  # frames are counted here, not timed
    walk_one(qtbot, window, 1)  # forward 1: from the inputs into layer 1
    assert motion.running
    pulses = window.canvas.pulses
    assert pulses is not None and (pulses.source, pulses.target) == (0, 1)
    motion.advance(3)
    assert window.canvas.pulses.progress > 0.0
    qtbot.keyClick(window.canvas, Qt.Key.Key_Shift)  # any key
    assert not motion.running and window.canvas.pulses is None
    walk_one(qtbot, window, 2)
    walk_one(qtbot, window, 3)  # loss: nothing travels
    assert not motion.running
    qtbot.keyClick(window.canvas, Qt.Key.Key_Right)  # backward 2: δ goes back to layer 1
    qtbot.waitUntil(lambda: window.snapshot.cursor == 4, timeout=10000)
    assert motion.running and (window.canvas.pulses.source, window.canvas.pulses.target) == (2, 1)
    window.canvas.grab()  # the pulses draw
    qtbot.keyClick(window.canvas, Qt.Key.Key_Left)  # a key completes it; stepping back: none
    assert not motion.running


@pytest.mark.parametrize("reduced", [True, False])
def test_the_reduced_motion_setting(make_window, qtbot, reduced):
    window = make_window(sim.load(SEED_003))
    window.motion.driven_by_timer = False
    window.set_reduced_motion(reduced)
    assert window.action("reduced_motion").isChecked() is reduced
    assert window.settings.value("reduced_motion") in (reduced, str(reduced).lower())
    walk_one(qtbot, window, 1)
    assert window.motion.running is not reduced
    assert (window.canvas.pulses is None) is reduced


def test_playing_sets_nothing_in_motion(make_window, qtbot):
    window = make_window(sim.load(SEED_003))
    window.motion.driven_by_timer = False
    window.run.set_playing(True)
    qtbot.waitUntil(lambda: window.snapshot.step >= 3, timeout=10000)
    assert not window.motion.running and window.canvas.pulses is None
    window.run.set_playing(False)
