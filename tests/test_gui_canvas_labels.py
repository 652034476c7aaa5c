"""What the network canvas prints where a lesson points at it (pytest-qt, offscreen, through
the real window): the inputs' and outputs' names, the nodes' values after whole steps on a
slide, and the "+1" boxes and "BN" labels clear of the headers and the numbers."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, QRectF

import sim
from gui import batch_norm_box, canvas_labels, canvas_skips
from gui.canvas import LABEL_GAP, Selection
from gui.canvas_labels import overlapping
from sim import lessons, notation

LESSONS = lessons.lesson_dir()


def settle(qtbot, window) -> None:
    qtbot.wait(150)
    window.layout().activate()
    qtbot.wait(50)


def walk(qtbot, window, phases: int) -> None:
    """Step ``phases`` phases from step 0 (the last of a step ends it: step 1, cursor 0)."""
    per_step = len(window.snapshot.phases)
    for walked in range(1, phases + 1):
        step, cursor = divmod(walked, per_step)
        window.run.step_phase()
        qtbot.waitUntil(lambda s=step, c=cursor: (window.snapshot.step, window.snapshot.cursor)
                        == (s, c), timeout=10000)
    settle(qtbot, window)


def open_lesson(make_window, qtbot, lesson: str, size: tuple[int, int], presenting: bool,
                steps: int = 0):
    window = make_window(sim.load(LESSONS / lesson), size=size)
    if presenting:
        window.presentation.set_on(True)
        settle(qtbot, window)
    if steps:
        window.run.run_steps(steps)
        qtbot.waitUntil(lambda: window.snapshot.step == steps, timeout=20000)
        settle(qtbot, window)
    return window


def painted_labels(canvas):
    canvas.grab()  # paints the canvas, which places its labels
    return canvas.placed_labels()


def node_rects(canvas) -> list[QRectF]:
    geometry = canvas.geometry_for_paint()
    reach = [max(geometry.radius, half) for half in canvas.picture_half_sizes(geometry)]
    return [QRectF(x - r, y - r, 2 * r, 2 * r)
            for points, r in zip(geometry.nodes, reach, strict=True) for x, y in points.tolist()]


@pytest.mark.parametrize(("lesson", "size", "presenting"), [
    ("gradient-check.json", (1366, 768), False),
    ("gradient-check.json", (1280, 720), True),
    ("optimizer-plain.json", (1366, 768), False),
    ("spam-detector.json", (1280, 720), True),
    ("spam-detector.json", (1920, 1080), True),
    ("softmax-spiral.json", (1600, 1000), False),
])
def test_every_input_and_output_is_named_beside_its_node(make_window, qtbot, lesson, size,
                                                         presenting):
    """Names wider than the margin were left out: "x₁: size (1000 sq ft)", "price ($100k)",
    "x₅: ALL CAPS", "arm 1": the geometry keeps room for them at the sides. After a step,
    with the nodes' values printed too (a slide's "y" once lost its place to 0.2148)."""
    window = open_lesson(make_window, qtbot, lesson, size, presenting, steps=1)
    canvas = window.canvas
    snapshot = window.snapshot
    labels = painted_labels(canvas)
    names = {label.key: label.text for label in labels if label.kind == "name"}
    inputs = {(0, j): notation.input_label(j, snapshot.input_names)
              for j in range(snapshot.layers[0].fan_in)}
    outputs = {(snapshot.depth, j): text for j, text in enumerate(snapshot.output_names)}
    assert outputs or lesson == "spam-detector.json"  # the test looks at named outputs
    wanted = inputs | outputs
    assert set(names) == set(wanted)
    for key, text in names.items():  # whole, perhaps on two lines
        assert text.replace("\n", " ") == wanted[key]
    assert not overlapping(labels)
    nodes = node_rects(canvas)
    assert not any(label.rect.intersects(node) for label in labels for node in nodes)


@pytest.mark.parametrize(("lesson", "size"), [("clipping-seed000.json", (1280, 720)),
                                              ("batch-full.json", (1920, 1080))])
def test_a_slide_prints_the_inputs_and_outputs_values_after_a_whole_step(make_window, qtbot,
                                                                         lesson, size):
    """After Step (not phase by phase) a slide printed no node's value: the inputs 12, −8,
    15 of seed 000's clipping example, the output a student is asked to watch."""
    window = open_lesson(make_window, qtbot, lesson, size, presenting=True, steps=1)
    canvas = window.canvas
    snapshot = window.snapshot
    row = canvas.sample_row()
    assert row is not None
    values = {label.key: label.text for label in painted_labels(canvas) if label.kind == "node"}
    for column in (0, snapshot.depth):
        shown = snapshot.activations(column)[row]
        for j, value in enumerate(shown.tolist()):
            assert values.get((column, j)) == notation.number(value)


@pytest.mark.parametrize(("lesson", "size", "presenting"), [
    ("symmetry-1986.json", (1920, 1080), True),
    ("seeds-xor-two-hidden.json", (1280, 720), True),
    ("vanishing-batch-norm.json", (1366, 768), False),
])
def test_bias_boxes_and_bn_labels_cover_no_header_node_or_number(make_window, qtbot, lesson,
                                                                  size, presenting):
    """A tall column's "+1" box sat 0.8 node spacings above it, over its layer's header; the
    nodes' values covered the "BN" of the batch-normalised layers."""
    window = open_lesson(make_window, qtbot, lesson, size, presenting, steps=1)
    canvas = window.canvas
    labels = painted_labels(canvas)
    geometry = canvas.geometry_for_paint()
    boxes = canvas.bias_boxes(geometry)
    assert boxes
    nodes = node_rects(canvas)
    for box in boxes:
        assert box.top() >= canvas.header_bottom()
        assert not any(box.intersects(node) for node in nodes)
    bn = batch_norm_box.label_rects(window.style_, canvas.norm_boxes(geometry), boxes)
    assert bool(bn) == (lesson == "vanishing-batch-norm.json")
    assert not any(label.rect.intersects(rect) for label in labels for rect in bn)


def test_no_number_runs_into_a_node(make_window, qtbot):
    """Seed two-neuron chain, update phase on a 1280x720 slide: "Δw⁽²⁾₁₁ = −0.02283" ended
    where a⁽²⁾₁'s disc began, its last digit read as under the disc. Labels keep the gap
    they keep from each other from every node too."""
    window = open_lesson(make_window, qtbot, "two-neuron-chain.json", (1280, 720), True)
    walk(qtbot, window, len(window.snapshot.phases))
    canvas = window.canvas
    labels = painted_labels(canvas)
    assert any(label.kind == "edge" for label in labels)
    gap = LABEL_GAP * window.style_.scale
    for node in node_rects(canvas):
        near = node.adjusted(-gap, -gap, gap, gap)
        assert not any(label.rect.intersects(near) for label in labels)


def test_a_residual_network_shows_its_skip_connections(make_window, qtbot):
    """vanishing-residual.json: "· skip" was only in the long headers, gone once they shrink
    to "h2": each residual unit j now gets an arch from unit j of the column below."""
    window = open_lesson(make_window, qtbot, "vanishing-residual.json", (1366, 768), False)
    canvas = window.canvas
    canvas.grab()
    geometry = canvas.geometry_for_paint()
    reach = [max(geometry.radius, half) for half in canvas.picture_half_sizes(geometry)]
    residual = [layer.residual for layer in window.snapshot.layers]
    path = canvas_skips.skip_path(geometry, residual, reach)
    starts = [path.elementAt(k) for k in range(path.elementCount())
              if path.elementAt(k).isMoveTo()]
    expected = [(float(x), float(y) - reach[layer - 1])
                for layer, skips in enumerate(residual, start=1) if skips
                for x, y in geometry.nodes[layer - 1].tolist()]
    assert len(expected) == 7 * 6  # h2 to h8, six units each
    found = [coordinate for start in starts for coordinate in (start.x, start.y)]
    assert found == pytest.approx([coordinate for point in expected for coordinate in point])
    image = canvas.grab().toImage()
    peak = path.pointAtPercent(0.5 / len(expected))  # half way along the first arch
    ink = [image.pixelColor(round(peak.x()) + dx, round(peak.y()) + dy).lightness()
           for dx in range(-6, 7) for dy in range(-3, 4)]
    assert min(ink) < 100  # the dashed arch (dark on the light background) is drawn there


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_the_chain_rule_box_covers_none_of_what_it_explains(make_window, qtbot, size):
    """gradient-check.json on a slide, w⁽¹⁾₁₁ selected: the box hid hidden unit 1, on the
    weight's path, and numbers on the edges."""
    window = open_lesson(make_window, qtbot, "gradient-check.json", size, True, steps=1)
    canvas = window.canvas
    canvas.select(Selection("weight", 1, 0, 0))
    labels = painted_labels(canvas)
    box = canvas.chain_overlay_rect
    assert box is not None and QRectF(canvas.rect()).contains(box)
    geometry = canvas.geometry_for_paint()
    reach = [max(geometry.radius, half) for half in canvas.picture_half_sizes(geometry)]
    for column, j in canvas.chain_units() | {(2, 0)}:  # x₁, hidden unit 1, the output
        x, y = geometry.nodes[column][j].tolist()
        r = reach[column]
        assert not box.intersects(QRectF(x - r, y - r, 2 * r, 2 * r))
    assert not any(label.rect.intersects(box) for label in labels)


def test_the_walked_layers_weights_and_biases_are_all_named(make_window, qtbot):
    """xor.json, step 2's forward 1: the caption's z⁽¹⁾₃ line uses b⁽¹⁾₃ = −0.07157, which
    found no room on the network (biases came last)."""
    window = open_lesson(make_window, qtbot, "xor.json", (1600, 1000), False)
    phases = len(window.snapshot.phases)
    walk(qtbot, window, phases + 1)  # the whole first step, then forward 1 of the second
    assert window.snapshot.step == 1 and window.snapshot.cursor == 1
    canvas = window.canvas
    labels = {label.key: label.text for label in painted_labels(canvas)
              if label.kind in ("edge", "bias") and label.key[0] == 1}
    layer = window.snapshot.layers[0]
    weights = {(1, j, i) for j in range(layer.units) for i in range(layer.fan_in)}
    biases = {(1, j) for j in range(layer.units)}
    assert set(labels) == weights | biases
    assert labels[(1, 2)] == f"{notation.bias(1, 2)} = {notation.number(float(layer.b[2]))}"


@pytest.mark.parametrize("presenting", [True, False])
def test_no_bare_number_sits_where_two_edges_cross(make_window, qtbot, presenting):
    """seed 003, backward 1: the gradients of w⁽¹⁾₂₁ and w⁽¹⁾₁₂ lost their names and sat on
    the crossing of their two edges, either's for all one could tell."""
    size = (1920, 1080) if presenting else (1366, 768)
    window = open_lesson(make_window, qtbot, "seed003-walkthrough.json", size, presenting)
    walk(qtbot, window, 5)  # forward 1, forward 2, loss, backward 2, backward 1
    canvas = window.canvas
    labels = painted_labels(canvas)
    geometry = canvas.geometry_for_paint()
    segments = {}
    for layer in range(1, geometry.columns):
        fan_in = len(geometry.nodes[layer - 1])
        for k, segment in enumerate(geometry.segments[layer].tolist()):
            segments[(layer, *divmod(k, fan_in))] = tuple(segment)
        bias = geometry.bias_segments[layer]
        for j, segment in enumerate([] if bias is None else bias.tolist()):
            segments[(layer, j)] = tuple(segment)
    keys = list(segments)
    crossed = dict(zip(keys, canvas_labels.crossings(tuple(segments[key] for key in keys)),
                       strict=True))
    assert any(crossed.values())  # the two first-layer edges cross
    bare = [label for label in labels if label.kind in ("edge", "bias") and "=" not in label.text]
    assert bare or not presenting  # the slide's crowded first layer prints bare numbers
    for label in bare:
        assert not any(label.rect.contains(QPointF(x, y)) for x, y in crossed[label.key])
