"""Presentation mode as a slide, through the real window (pytest-qt, offscreen): nothing grows
the window past its screen, the lesson's side view and readable plots stay, the digits are
large, and the Step-by-step caption gets the room it needs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFontMetricsF

import sim
from gui import presentation
from gui.canvas import Selection
from gui.canvas_labels import overlapping
from gui.plots import MIN_LECTURE_PLOT_HEIGHT
from gui.presentation import GRADIENTS, PICTURES, PLOTS, side_view
from gui.status import SEPARATOR
from sim import lessons, notation
from sim.address import ParameterAddress

LESSONS = lessons.lesson_dir()
SPIRAL = LESSONS / "spiral.json"
VANISHING = LESSONS / "vanishing-sigmoid.json"
SEED_003 = LESSONS / "seed003-walkthrough.json"
CHAIN = LESSONS / "two-neuron-chain.json"
BACKWARD_1 = 5  # seed 003: forward 1, forward 2, loss, backward 2, backward 1
SPIRAL_BACKWARD_2 = 6  # forward 1-3, loss, backward 3, backward 2


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


def walk_on(qtbot, window, phases: int) -> None:
    """Step ``phases`` more phases (into the next step, if it comes)."""
    for _ in range(phases):
        cursor, step = window.snapshot.cursor, window.snapshot.step
        window.run.step_phase()
        qtbot.waitUntil(lambda c=cursor, s=step: (window.snapshot.cursor, window.snapshot.step)
                        != (c, s), timeout=10000)
    settle(qtbot, window)


def settled_height(qtbot, widget, checks: int = 3) -> int:
    """The widget's height once it stays the same over a few checks 100 ms apart (a busy
    machine delivers the snapshot, and with it the layout it asks for, late)."""
    heights = [widget.height()]

    def unchanged() -> bool:
        qtbot.wait(100)
        heights.append(widget.height())
        return len(set(heights[-checks:])) == 1 and len(heights) >= checks

    qtbot.waitUntil(unchanged, timeout=10000)
    return heights[-1]


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
    window.run.step()  # a loss to plot
    qtbot.waitUntil(lambda: window.snapshot.step == 1, timeout=10000)
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
def test_vanishing_gradients_plot_is_large_and_its_key_above_the_curves(make_window, qtbot,
                                                                         size):
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
    # nine layers' key takes two rows: it stands above the curves, not over them
    assert not norms.key_covers_view()
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


def test_a_slide_leaves_out_the_plots_until_there_is_a_step_to_plot(make_window, qtbot):
    # seed 003's slide holds the plots alone beside the canvas: before the first step they
    # would be empty axes beside a cramped network, so the canvas takes the whole width
    window = make_window(sim.load(SEED_003), size=(1920, 1080))
    assert window.plots_dock.isVisible()  # at the desk the plots stay where they are
    present(qtbot, window)
    walk(qtbot, window, 2)  # phases walked before any step: still nothing to plot
    assert not window.plots_dock.isVisible()
    assert window.canvas.width() >= window.width() - 20
    window.run.step_phase()
    window.run.step()  # the step completed: its loss is the first point of the curve
    qtbot.waitUntil(lambda: window.snapshot.step >= 1, timeout=10000)
    settle(qtbot, window)
    assert window.plots_dock.isVisible() and window.plots.loss_plot.isVisible()
    share = window.plots_dock.width() / window.width()
    assert abs(share - presentation.SIDE_WIDTH / 100) < 0.05  # the column's share again
    assert window.canvas.geometry().right() < window.plots_dock.geometry().left()
    window.run.reset()  # nothing to plot again: the plots go again
    qtbot.waitUntil(lambda: window.snapshot.step == 0, timeout=10000)
    settle(qtbot, window)
    assert not window.plots_dock.isVisible()
    window.presentation.set_on(False)  # the desk gets its plots back
    settle(qtbot, window)
    assert window.plots_dock.isVisible()


def test_before_the_first_step_a_lessons_picture_has_the_side_column_to_itself(make_window,
                                                                              qtbot):
    window = make_window(sim.load(SPIRAL), size=(1280, 720))
    present(qtbot, window)
    assert window.views_dock.isVisible() and not window.plots_dock.isVisible()
    # the decision boundary's whole column: from under the toolbar to the status line
    assert window.views_dock.height() >= window.centralWidget().height()
    window.run.step()
    qtbot.waitUntil(lambda: window.snapshot.step == 1, timeout=10000)
    settle(qtbot, window)
    assert window.views_dock.isVisible() and window.plots_dock.isVisible()
    assert window.views_dock.geometry().bottom() <= window.plots_dock.geometry().top()
    assert window.views_dock.height() > window.plots_dock.height()  # the picture's share


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


def test_a_caption_that_scrolls_anyway_leaves_the_network_most_of_a_slide(make_window, qtbot):
    # the spiral's backward pass through 16 units: more lines than half a slide holds, and
    # too large a network to stand beside them
    window = make_window(sim.load(SPIRAL), size=(1920, 1080))
    present(qtbot, window)
    walk(qtbot, window, SPIRAL_BACKWARD_2)
    assert window.captions.title.text().startswith("Backward · layer 2")
    dock = settled_height(qtbot, window.captions_dock)
    assert window.captions.caption_cut()  # it scrolls
    assert window.captions_dock.geometry().top() > window.canvas.geometry().bottom()  # under
    assert dock <= window.height() * presentation.SCROLLED_CAPTION_SHARE // 100 + 2
    assert window.canvas.height() > dock


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_xors_chain_rule_shows_whole_beside_its_network_on_a_slide(make_window, qtbot, size):
    # XOR's backward layer 1 through its batch of 4: three deltas, six weights, three biases
    # and the note on Σ, then the batch's note; under the canvas they scrolled (a network
    # squeezed flat would have made room for them)
    window = make_window(lessons.load_lesson("xor.json"), size=size)
    present(qtbot, window)
    walk(qtbot, window, BACKWARD_1)
    captions, canvas, dock = window.captions, window.canvas, window.captions_dock
    assert captions.title.text().startswith("Backward · layer 1")
    assert len(captions.lines) == 13
    settled_height(qtbot, dock)
    assert not captions.caption_cut()  # the whole chain rule
    assert dock.geometry().left() > canvas.geometry().right()  # beside the canvas ...
    assert canvas.height() >= dock.height() - 50  # ... which keeps the slide's height
    assert canvas.width() >= canvas.minimumWidth()
    nodes = [label for label in painted_labels(canvas) if label.kind == "node"]
    assert len(nodes) == 6  # every unit's number, the hidden units' and output's deltas
    assert not window.views_dock.isVisible() and not window.plots_dock.isVisible()
    assert window.height() == size[1]
    walk_on(qtbot, window, 3)  # clip, update, and the next pass's forward 1: short again
    assert dock.geometry().top() > canvas.geometry().bottom()  # back under the canvas
    assert window.plots_dock.isVisible()  # the step taken has its loss plotted
    window.run.set_playing(True)  # the walk ends: the lesson's picture comes back
    qtbot.waitUntil(lambda: window.run.playing, timeout=5000)
    window.run.set_playing(False)
    settle(qtbot, window)
    assert dock.geometry().top() > canvas.geometry().bottom()
    assert window.views_dock.isVisible() and window.plots_dock.isVisible()


def test_a_two_six_one_networks_walk_stands_its_caption_beside_it_on_a_slide(make_window,
                                                                             qtbot):
    # batch-mini's backward pass of a batch of 8 scrolls wherever it stands; under the canvas
    # it left the 2-6-1 network a band a quarter of the slide high.
    window = make_window(sim.load(LESSONS / "batch-mini.json"), size=(1280, 720))
    present(qtbot, window)
    walk(qtbot, window, BACKWARD_1)
    canvas, dock = window.canvas, window.captions_dock
    settled_height(qtbot, dock)
    assert dock.geometry().left() > canvas.geometry().right()  # beside the canvas ...
    assert canvas.height() >= dock.height() - 50  # ... which keeps the slide's height


def test_off_again_after_the_captions_stood_beside_the_canvas_the_desk_returns(make_window,
                                                                            qtbot):
    window = make_window(lessons.load_lesson("xor.json"), size=(1280, 720))
    settle(qtbot, window)
    docks = (window.controls_dock, window.plots_dock, window.inspector_dock,
             window.captions_dock, window.views_dock, window.lesson_dock)
    before = [(dock.isVisible(), window.dockWidgetArea(dock)) for dock in docks]
    present(qtbot, window)
    walk(qtbot, window, BACKWARD_1)
    assert window.captions_dock.geometry().left() > window.canvas.geometry().right()
    window.presentation.set_on(False)
    settle(qtbot, window)
    assert [(dock.isVisible(), window.dockWidgetArea(dock)) for dock in docks] == before


def test_the_caption_steps_aside_while_playing(make_window, qtbot):
    window = make_window(sim.load(SEED_003), size=(1600, 1000))
    walk(qtbot, window, 2)
    dock = window.captions_dock
    shown = settled_height(qtbot, dock)  # the dock grows once the phase's caption arrives
    assert window.captions.body_scroll.isVisible()
    window.run.set_playing(True)
    qtbot.waitUntil(lambda: window.run.playing, timeout=5000)
    settle(qtbot, window)
    assert not window.captions.body_scroll.isVisible()
    qtbot.waitUntil(lambda: dock.height() < shown, timeout=5000)
    window.run.set_playing(False)
    settle(qtbot, window)
    assert window.captions.body_scroll.isVisible()


# ---------------------------------------------------------------------------- canvas labels

def painted_labels(canvas):
    canvas.grab()  # paints the canvas, which places its labels
    return canvas.placed_labels()


def assert_labels_apart(canvas, labels) -> None:
    assert not overlapping(labels)
    bounds = QRectF(canvas.rect())
    for label in labels:
        assert bounds.contains(label.rect), label


@pytest.mark.parametrize(("lesson", "presenting", "size"),
                         [(SEED_003, True, (1920, 1080)), (SEED_003, False, (1600, 1000)),
                          (CHAIN, True, (1280, 720)), (VANISHING, True, (1920, 1080)),
                          (SPIRAL, False, (1366, 768))])
def test_no_two_labels_overlap_in_any_phase(make_window, qtbot, lesson, presenting, size):
    window = make_window(sim.load(lesson), size=size)
    if presenting:
        present(qtbot, window)
    canvas = window.canvas
    phases = len(window.snapshot.phases)
    assert_labels_apart(canvas, painted_labels(canvas))
    numbers = 0  # labels placed over the walk: the test looks at something
    for cursor in range(1, phases + 1):  # the last, the update, ends the step
        window.run.step_phase()
        qtbot.waitUntil(lambda c=cursor: window.snapshot.cursor == c or
                        (c == phases and window.snapshot.step == 1), timeout=10000)
        labels = painted_labels(canvas)
        numbers += len(labels)
        assert_labels_apart(canvas, labels)
        radius = canvas.geometry_for_paint().radius
        for points in canvas.geometry_for_paint().nodes:
            for x, y in points.tolist():
                node = QRectF(x - radius, y - radius, 2 * radius, 2 * radius)
                assert not any(label.rect.intersects(node) for label in labels)
    assert numbers > 0


def test_the_chain_lessons_biases_show_their_values(make_window, qtbot):
    window = make_window(sim.load(CHAIN), size=(1600, 1000))
    walk(qtbot, window, 4)  # forward 1, forward 2, loss, backward 2
    labels = painted_labels(window.canvas)
    biases = {label.key: label.text for label in labels if label.kind == "bias"}
    assert (2, 0) in biases  # b⁽²⁾₁'s gradient, named as the caption names it
    db = window.snapshot.layers[1].db[0]
    assert biases[(2, 0)].endswith(notation.number(float(db)))
    assert biases[(2, 0)].startswith(notation.gradient(notation.bias(2, 0)))


def test_a_dense_network_prints_only_what_fits(make_window, qtbot):
    window = make_window(sim.load(VANISHING), size=(1366, 768))
    labels = painted_labels(window.canvas)
    assert not [label for label in labels if label.kind in ("edge", "bias")]
    assert_labels_apart(window.canvas, labels)


def test_the_selected_edge_its_units_and_its_chain_rule_are_shown(make_window, qtbot):
    window = make_window(sim.load(SEED_003), size=(1920, 1080))
    present(qtbot, window)
    walk(qtbot, window, BACKWARD_1)
    canvas = window.canvas
    canvas.select(Selection("weight", 1, 1, 0))  # w⁽¹⁾₂₁: from x₁ into unit 2 of layer 1
    labels = painted_labels(canvas)
    assert canvas.chain_units() == {(1, 1), (0, 0)}
    assert any(label.key == (1, 1, 0) for label in labels)  # its label is placed first
    lines = canvas.chain_overlay_lines()
    assert lines[0] == ParameterAddress(1, 1, 0).describe()
    assert any(notation.number(float(window.snapshot.layers[0].dW[1, 0])) in line
               for line in lines)
    assert QRectF(canvas.rect()).contains(canvas.chain_overlay_rect)
    window.presentation.set_on(False)  # at the desk the inspector explains it instead
    painted_labels(canvas)
    assert canvas.chain_overlay_lines() == [] and canvas.chain_overlay_rect is None


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_seed_003_keeps_its_network_large_above_the_whole_backward_1_caption(make_window, qtbot,
                                                                            size):
    window = make_window(sim.load(SEED_003), size=size)
    present(qtbot, window)
    walk(qtbot, window, BACKWARD_1)
    assert not window.captions.caption_cut()
    canvas = window.canvas
    labels = painted_labels(canvas)
    geometry = canvas.geometry_for_paint()
    number_height = QFontMetricsF(window.style_.number_font).height()
    # the nodes are no smaller than the numbers printed on the network ...
    assert 2 * geometry.radius >= number_height
    # ... every node's value is printed (δ in the backward pass, the inputs' x) ...
    nodes = {(column, j) for column, points in enumerate(geometry.nodes)
             for j in range(len(points))}
    assert {label.key for label in labels if label.kind == "node"} == nodes
    # ... and the network is the main picture: its nodes span a good part of the slide
    ys = [y for points in geometry.nodes for _, y in points.tolist()]
    assert max(ys) - min(ys) + 2 * geometry.radius >= 0.15 * size[1]
    assert_labels_apart(canvas, labels)


@pytest.mark.parametrize(("presenting", "size"), [(True, (1280, 720)), (False, (1366, 768))])
def test_why_training_stopped_hides_no_node(make_window, qtbot, presenting, size):
    window = make_window(sim.load(LESSONS / "exploding-gradients.json"), size=size)
    if presenting:
        present(qtbot, window)
    window.run.run_steps(10)  # it diverges at step 4
    qtbot.waitUntil(lambda: window.snapshot.stop_event is not None, timeout=20000)
    settle(qtbot, window)
    canvas = window.canvas
    labels = painted_labels(canvas)
    banner = canvas.stop_banner_rect()
    assert banner is not None and QRectF(canvas.rect()).contains(banner)
    geometry = canvas.geometry_for_paint()
    halves = canvas.picture_half_sizes(geometry)  # nodes drawn as their neuron maps
    for points, half in zip(geometry.nodes, halves, strict=True):
        reach = max(geometry.radius, half)
        for x, y in points.tolist():
            assert not banner.intersects(QRectF(x - reach, y - reach, 2 * reach, 2 * reach))
    assert not any(label.rect.intersects(banner) for label in labels)


def test_a_quiz_question_and_the_caption_before_it_show_whole(make_window, qtbot):
    window = make_window(lessons.load_lesson("seed003-quiz.json"), size=(1920, 1080))
    present(qtbot, window)
    quiz = window.quiz
    assert quiz.on and window.captions.quiz.isVisible()  # on a slide, the row while it is on
    for _ in range(2):  # forward 1, skipped; then forward 2 asks below forward 1's caption
        quiz.skip()
        window.run.step_phase()
        qtbot.waitUntil(lambda: quiz.pending is not None, timeout=10000)
    settle(qtbot, window)
    assert window.captions.quiz.question.isVisible()
    assert not window.captions.caption_cut()
    quiz.set_on(False)  # off, the row goes: its line is the caption's and the network's
    assert not window.captions.quiz.isVisible()


def test_the_status_line_leaves_out_what_does_not_fit_rather_than_cutting_it(make_window,
                                                                             qtbot):
    """With a validation set the readout is long: on a 1280x720 slide the line keeps the
    loss and both accuracies whole and leaves the speed out; at the desk it says it all."""
    window = make_window(sim.load(LESSONS / "overfitting-dropout.json"), size=(1280, 720))
    window.run.run_steps(150)
    qtbot.waitUntil(lambda: window.snapshot.step == 150, timeout=20000)
    label = window.run_status.label
    present(qtbot, window)

    def readout() -> str:
        qtbot.waitUntil(lambda: QFontMetricsF(label.font()).horizontalAdvance(label.text())
                        <= label.width(), timeout=5000)
        return label.text()

    text = readout()
    assert text.startswith("epoch 150   loss ") and ", validation " in text
    assert "steps/s" not in text
    window.presentation.set_on(False)
    window.resize(1600, 1000)
    settle(qtbot, window)
    everything = SEPARATOR.join(part for part in window.run_status.parts.values() if part)
    assert readout() == everything


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_two_inputs_beside_sixteen_hidden_units_keep_their_names_on_a_slide(make_window, qtbot,
                                                                           size):
    """A column shorter than the tallest spreads its nodes: on a 1280x720 slide the inputs
    of a 2-16-16-1 network sat 12 pixels apart and x₂'s name found no room."""
    window = make_window(sim.load(LESSONS / "overfitting-dropout.json"), size=size)
    present(qtbot, window)
    names = {label.text for label in painted_labels(window.canvas) if label.kind == "name"}
    assert {"x₁", "x₂"} <= names
    assert_labels_apart(window.canvas, painted_labels(window.canvas))
