"""Quiz mode in the window, from the keyboard alone: a question before each phase walked,
right, wrong and unreadable answers, Esc and the Step-phase key to skip, the score, and the
worked line marked when the answer is revealed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

import sim
from sim import lessons

QUIZ_LESSON = "seed003-quiz.json"


def step_and_wait_for_question(qtbot, window, key=Qt.Key.Key_Right):
    """Press the Step-phase key and wait until the quiz asks about the new phase."""
    qtbot.keyClick(window, key)
    qtbot.waitUntil(lambda: window.quiz.pending is not None, timeout=5000)
    box = window.captions.quiz.answer
    qtbot.waitUntil(lambda: QApplication.focusWidget() is box, timeout=5000)
    return window.quiz.pending


def answer(qtbot, window, text):
    box = window.captions.quiz.answer
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


def marked_line(window) -> str:
    captions = window.captions
    assert captions.marked_line is not None
    return captions.lines[captions.marked_line]


def test_a_quiz_from_the_keyboard_right_wrong_unreadable_and_skipped(make_window, qtbot):
    experiment = lessons.load_lesson(QUIZ_LESSON)
    window = make_window(experiment)
    window.activateWindow()
    quiz, panel = window.quiz, window.captions.quiz
    assert quiz.on and panel.toggle.isChecked() and window.action("quiz").isChecked()
    assert window.snapshot.last_phase is None

    # forward 1 asks for z⁽¹⁾₁; the network keeps showing the phase before until the answer
    held, question = step_and_wait_for_question(qtbot, window)
    assert held.last_phase == sim.events.Phase("forward", 1)
    assert window.canvas.snapshot.last_phase is None
    assert "z<sup>(1)</sup><sub>1</sub>" in panel.question.text()
    assert window.captions.title.text().startswith("Forward · layer 1")
    assert "0.34" not in window.captions.body.text()  # its numbers are hidden
    answer(qtbot, window, "about a third")  # not a number: a hint, no mark
    assert quiz.pending is not None and quiz.score.asked == 0
    assert "not a number" in panel.feedback.text()
    panel.answer.clear()
    (x1, x2), = experiment.data.inputs
    (w11, w12), _ = experiment.network.layers[0].weights
    z11 = x1 * w11 + x2 * w12  # 0.5 × 0.2 + 0.8 × 0.3, worked out as a student would
    answer(qtbot, window, f"{z11:.2f}".replace(".", ","))  # a decimal comma is fine
    assert quiz.pending is None
    assert (quiz.score.asked, quiz.score.right) == (1, 1)
    assert panel.score.text() == "Score: 1 right of 1 asked (0 wrong)"
    assert "Right" in panel.feedback.text()
    assert window.canvas.snapshot is held  # revealed
    assert marked_line(window).startswith("z⁽¹⁾₁ = ") and "= 0.34;" in marked_line(window)
    assert "▶" in window.captions.body.text()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.canvas, timeout=5000)

    # forward 2 asks for a⁽²⁾₁: a wrong answer is marked wrong and revealed all the same
    held, question = step_and_wait_for_question(qtbot, window)
    assert question.name == "a⁽²⁾₁"
    answer(qtbot, window, "-0.5")  # QTest types ASCII only; sim.quiz reads "−" too
    assert (quiz.score.asked, quiz.score.right, quiz.score.wrong) == (2, 1, 1)
    assert "Not quite" in panel.feedback.text()
    assert window.canvas.snapshot is held
    assert marked_line(window).startswith("z⁽²⁾₁ = ")  # the line works out z, then a
    assert "a⁽²⁾₁ = sigmoid(" in marked_line(window)

    # the loss asks for E: Esc in the box skips it, which reveals it
    held, question = step_and_wait_for_question(qtbot, window)
    assert question.name == "E"
    assert "loss ? (quiz)" in window.run_status.label.text()  # the status line keeps it too
    qtbot.keyClick(panel.answer, Qt.Key.Key_Escape)
    # the pass walked is the next step's, not the counter's last one
    assert f"loss {held.loss:.6g} (step {held.step + 1})" in window.run_status.label.text()
    assert (quiz.score.asked, quiz.score.skipped) == (3, 1)
    assert window.canvas.snapshot is held and marked_line(window).startswith("E = ")
    assert "Skipped" in panel.feedback.text()

    # backward 2: a presenter's clicker (Page Down) reveals the answer, then goes on
    held, question = step_and_wait_for_question(qtbot, window, Qt.Key.Key_PageDown)
    assert question.name == "δ⁽²⁾₁"
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert (quiz.score.asked, quiz.score.skipped) == (4, 2)
    assert window.canvas.snapshot is held

    # stepping back and forward through kept phases asks nothing again
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert window.canvas.snapshot.last_phase == sim.events.Phase("loss")
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert window.canvas.snapshot is held and quiz.pending is None

    # Q turns the quiz off: the question up is withdrawn uncounted and its phase shown
    held, question = step_and_wait_for_question(qtbot, window)
    assert question.name == "δ⁽¹⁾₂"
    window.canvas.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Q)
    assert not quiz.on and not window.action("quiz").isChecked()
    assert quiz.pending is None and quiz.score.asked == 4
    assert window.canvas.snapshot is held and not panel.answer.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_Right)  # clip, shown at once
    qtbot.waitUntil(lambda: window.canvas.snapshot.last_phase == sim.events.Phase("clip"),
                    timeout=5000)
    assert quiz.pending is None


def test_the_window_s_esc_skips_when_the_focus_is_elsewhere_and_q_turns_the_quiz_on(
        make_window, qtbot):
    window = make_window(lessons.load_lesson("seed003-walkthrough.json"))
    window.activateWindow()
    assert not window.quiz.on
    qtbot.keyClick(window, Qt.Key.Key_Right)  # quiz off: the phase shows at once
    qtbot.waitUntil(lambda: window.canvas.snapshot.last_phase is not None, timeout=5000)
    assert window.quiz.pending is None
    qtbot.keyClick(window, Qt.Key.Key_Q)
    assert window.quiz.on and window.captions.quiz.toggle.isChecked()
    held, _ = step_and_wait_for_question(qtbot, window)
    window.canvas.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.quiz.pending is None and window.quiz.score.skipped == 1
    assert window.canvas.snapshot is held


def test_playing_passes_a_question_by_uncounted(make_window, qtbot):
    window = make_window(lessons.load_lesson(QUIZ_LESSON))
    window.activateWindow()
    step_and_wait_for_question(qtbot, window)
    window.run.step()  # a whole step: the phase is passed by, not asked about
    qtbot.waitUntil(lambda: window.canvas.snapshot.step == 1, timeout=5000)
    assert window.quiz.pending is None and window.quiz.score.asked == 0
    assert not window.captions.quiz.answer.isVisible()


def test_following_another_sample_asks_about_that_samples_number(make_window, qtbot):
    window = make_window(lessons.load_lesson("xor.json"))  # a batch of 4 samples
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Q)
    held, question = step_and_wait_for_question(qtbot, window)
    assert " for sample " in question.prompt  # the automatic choice, XOR's (1, 1)
    assert not question.prompt.endswith("for sample 2?")
    window.captions.sample.setValue(2)  # follow sample 2
    held_again, asked = window.quiz.pending
    assert held_again is held and asked.prompt.endswith("for sample 2?")
    assert window.captions.quiz.question.text().endswith("for sample 2?")
    qtbot.keyClick(window.captions.quiz.answer, Qt.Key.Key_Escape)
    assert window.canvas.snapshot is held
    line = window.captions.lines[window.captions.marked_line]
    statement = next(part for part in line.split("; ") if part.startswith(f"{asked.name} = "))
    assert statement.endswith(f"= {asked.printed}")


def test_the_quiz_and_the_pulses_of_a_stepped_phase_go_together(make_window, qtbot):
    window = make_window(lessons.load_lesson(QUIZ_LESSON))
    window.activateWindow()
    motion, quiz, canvas = window.motion, window.quiz, window.canvas
    motion.driven_by_timer = False  # frames are counted here, not timed
    # forward 1 asks first: nothing travels while its result is held back ...
    held, _ = step_and_wait_for_question(qtbot, window)
    assert not motion.running and canvas.pulses is None
    answer(qtbot, window, "0.34")
    # ... and the answer reveals it with its pulses on their way into layer 1
    assert canvas.snapshot is held
    qtbot.waitUntil(lambda: motion.running, timeout=5000)
    assert (canvas.pulses.source, canvas.pulses.target) == (0, 1)
    motion.advance(2)
    # stepping on while the pulses run completes them, then asks about forward 2
    held, question = step_and_wait_for_question(qtbot, window)
    assert question.name == "a⁽²⁾₁" and quiz.pending is not None
    assert not motion.running and canvas.pulses is None
    assert canvas.snapshot.last_phase == sim.events.Phase("forward", 1)
    # typing the answer while nothing travels types every character
    box = window.captions.quiz.answer
    qtbot.keyClicks(box, "0.65")
    assert box.text() == "0.65"
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert canvas.snapshot is held and quiz.score.asked == 2
    qtbot.waitUntil(lambda: motion.running, timeout=5000)
    # Esc during a pulse: the pulse completes; no question is up, so nothing is skipped
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not motion.running and quiz.score.asked == 2
    # the loss asks next; Esc skips it and reveals it (nothing travels in the loss phase)
    held, _ = step_and_wait_for_question(qtbot, window)
    qtbot.keyClick(window.captions.quiz.answer, Qt.Key.Key_Escape)
    assert quiz.pending is None and canvas.snapshot is held and quiz.score.skipped == 1
    assert not motion.running
