"""The window names what it shows as the captions do, and says whose numbers they are."""

from __future__ import annotations

import sim
from gui.canvas import Selection
from sim import explain, lessons, notation
from sim.address import ParameterAddress

WAIT_MS = 5000


def walk(qtbot, window, phases: int) -> None:
    """Step phase by phase, as the user does, until ``phases`` phases are shown."""
    for phase in range(1, phases + 1):
        window.run.step_phase()
        qtbot.waitUntil(lambda p=phase: window.run.trail.position == p - 1 and len(
            window.run.trail.kept) == p and window.snapshot.last_phase is not None,
            timeout=WAIT_MS)


def test_xor_follows_a_sample_without_zero_inputs_until_the_user_picks_one(make_window, qtbot):
    window = make_window(lessons.load_lesson("xor.json"))
    walk(qtbot, window, 1)
    captions, canvas = window.captions, window.canvas
    assert captions.followed() is None and captions.sample.text() == "automatic"
    s = window.snapshot
    assert explain.sample_number(s, canvas.sample_row()) == 3  # x = (1, 1)
    assert captions.lines == explain.caption(s, None).lines
    assert "x₁ = 1; x₂ = 1" in captions.lines
    assert captions.batch_note.text() == notation.rich(explain.following(s, None))
    captions.sample.setValue(1)  # the user follows sample 1, x = (0, 0)
    assert captions.followed() == 0 and canvas.sample == 0
    assert explain.sample_number(s, canvas.sample_row()) == 0
    assert "x₁ = 0; x₂ = 0" in captions.lines
    window.run.load(sim.load(lessons.lesson_dir() / "seed003-walkthrough.json"))
    qtbot.waitUntil(lambda: window.snapshot.experiment.name != s.experiment.name,
                    timeout=WAIT_MS)
    assert captions.followed() is None and canvas.sample is None  # a new lesson: automatic


def test_in_phase_view_nodes_and_edges_carry_the_captions_names(make_window, qtbot):
    window = make_window(sim.load(lessons.lesson_dir() / "seed003-walkthrough.json"))
    canvas = window.canvas
    walk(qtbot, window, 4)  # forward 1, forward 2, loss, backward 2
    assert canvas.node_name(2, 0) == "δ⁽²⁾₁"  # the backward pass has reached it
    assert canvas.node_name(1, 1) == "a⁽¹⁾₂"  # not yet
    assert canvas.node_name(0, 1) == "x₂"
    assert canvas.edge_name(2, 0, 1) == "∂E/∂w⁽²⁾₁₂"
    walk_on = len(window.snapshot.phases) - 4
    for _ in range(walk_on):
        window.run.step_phase()
    qtbot.waitUntil(lambda: window.snapshot.last_phase.kind == "update", timeout=WAIT_MS)
    assert canvas.edge_name(1, 1, 0) == "Δw⁽¹⁾₂₁"
    tip = canvas.describe(Selection("weight", 2, 0, 1))
    address = ParameterAddress(2, 0, 1)
    ls = window.snapshot.layers[1]
    assert tip.splitlines() == [
        address.describe(), f"w⁽²⁾₁₂ = {notation.exact(ls.W[0, 1])}",
        f"∂E/∂w⁽²⁾₁₂ = {notation.exact(ls.dW[0, 1])} (the batch's)",
        f"Δw⁽²⁾₁₂ = {notation.exact(ls.update_W[0, 1])} (last update)"]


def test_plot_axes_write_negative_numbers_with_the_minus_sign(qtbot):
    from gui.plots import DecadeAxis, MinusAxis

    axis = MinusAxis("bottom")
    assert axis.tickStrings([-0.5, 0.0, 0.5], 1.0, 0.5) == ["−0.5", "0", "0.5"]
    decades = DecadeAxis("left")
    decades.setLogMode(False, True)
    assert all("-" not in label for label in decades.logTickStrings([-3.0, -2.0], 1.0, 1.0))
