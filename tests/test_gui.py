"""The app's window, driven through its real buttons, keys and mouse (pytest-qt, offscreen).

Every number and colour the window shows is checked against `sim`: a headless Trainer on the
same experiment, or the Snapshot the window shows, fed through `sim.palette` and
`sim.explain` by the test itself.
"""

from __future__ import annotations

import html
import re
import signal
import sys
import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QInputDialog, QToolBar, QToolButton

import sim
from gui.canvas import Selection
from gui.window import MainWindow
from sim import lessons, notation, palette
from sim.address import ParameterAddress
from tests.conftest import experiment, running_qthreads
from tests.test_gui_close import CLOSE_SECONDS

WAIT_MS = 5000  # the longest any effect may take to show (they take milliseconds)


def endless_xor() -> sim.Experiment:
    """XOR on a 2-2-1 network with no stopping rule, so that playing never ends by itself."""
    return experiment()


def toolbar_button(window: MainWindow, action) -> QToolButton:
    """The toolbar's button for an action: what the user clicks."""
    for bar in window.findChildren(QToolBar):
        button = bar.widgetForAction(action)
        if isinstance(button, QToolButton) and button.isVisible():
            return button
    raise AssertionError(f"no visible toolbar button for {action.text()!r}")


def headless(spec: sim.Experiment, steps: int) -> sim.Trainer:
    """The engine alone, trained as many steps as the window was asked for."""
    trainer = sim.Trainer(spec)
    for _ in range(steps):
        assert trainer.step()
    return trainer


def wait_for_step(qtbot, window: MainWindow, step: int) -> None:
    qtbot.waitUntil(lambda: window.snapshot.step == step, timeout=WAIT_MS)


def worker_idle(window: MainWindow) -> bool:
    """The worker has run every command sent and has nothing left to train (an idle worker
    takes no step by itself), and the window has taken its newest snapshot."""
    return window.run.worker.idle and window.run.up_to_date


def wait_until_paused(qtbot, window: MainWindow) -> int:
    """Wait until the worker has run the pause (and everything sent before it) and stopped
    training; the step it stopped at."""
    qtbot.waitUntil(lambda: worker_idle(window), timeout=WAIT_MS)
    return window.snapshot.step


def key(qtbot, window: MainWindow, name: Qt.Key,
        modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(window, name, modifier)


# ---------------------------------------------------------------------------- geometry

def distances_to_segments(p: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """The distance from point p to each segment (x1, y1, x2, y2), to the nearest of 1001
    points along it: within a pixel on any canvas, and margins are ten pixels."""
    t = np.linspace(0.0, 1.0, 1001)[None, :, None]
    points = segments[:, None, :2] + (segments[:, None, 2:] - segments[:, None, :2]) * t
    return np.hypot(*(points - p).transpose(2, 0, 1)).min(axis=1)


def clear_points(window: MainWindow, layer: int, j: int, i: int | None,
                 margin: float = 10.0) -> list[QPointF]:
    """Points along an edge (weight w_ji, or bias b_j when i is None) at least ``margin``
    pixels from every other edge and from every node: a click there can only mean this edge,
    and a pixel there can only have this edge's colour (or a label's)."""
    canvas = window.canvas
    geometry = canvas.geometry_for_paint()
    fan_in = canvas.snapshot.layers[layer - 1].fan_in
    wanted = ("weight", layer, j * fan_in + i) if i is not None else ("bias", layer, j)
    segments, own = [], None
    for l in range(1, geometry.columns):
        for kind, block in (("weight", geometry.segments[l]), ("bias", geometry.bias_segments[l])):
            for k, segment in enumerate([] if block is None else block):
                if (kind, l, k) == wanted:
                    own = segment
                else:
                    segments.append(segment)
    assert own is not None, f"no edge for layer {layer}, j {j}, i {i}"
    others = np.array(segments).reshape(-1, 4)
    nodes = np.concatenate(geometry.nodes + [b for b in geometry.bias if b is not None])
    points = []
    for t in np.linspace(0.1, 0.9, 81):
        p = own[:2] + (own[2:] - own[:2]) * t
        if (distances_to_segments(p, others) > margin).all() and \
                (np.hypot(*(nodes - p).T) > geometry.radius * 1.6 + margin).all():
            points.append(QPointF(*p))
    return points


def clear_point(window: MainWindow, layer: int, j: int, i: int | None) -> QPoint:
    """A pixel on the edge where nothing else is near: where to click it."""
    points = clear_points(window, layer, j, i)
    assert points, f"edge {layer}:{j},{i} has no point clear of the others"
    return points[len(points) // 2].toPoint()


def canvas_pixels(window: MainWindow) -> np.ndarray:
    """The canvas as painted now, as a (height, width, 3) array of RGB."""
    image = window.canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(height, image.bytesPerLine())
    return rows[:, :width * 3].reshape(height, width, 3).copy()


# ---------------------------------------------------------------------------- launch

def test_launch_without_a_file_shows_the_xor_lesson(qtbot):
    """`python -m gui` with no file: app.main opens the default lesson, XOR with one hidden
    layer, and the window shows its network."""
    from gui import app

    seen: dict = {}

    def look() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible() and \
                    widget.snapshot is not None and widget.canvas.paint_times:
                seen.update(snapshot=widget.snapshot, canvas=widget.canvas.snapshot,
                            title=widget.windowTitle())

    poll = QTimer()
    poll.timeout.connect(look)
    poll.start(20)
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    switch_interval = sys.getswitchinterval()
    try:
        assert app.main(["--quit-after", "1", "--size", "900x600"]) == 0
    finally:
        poll.stop()
        for number, handler in handlers.items():
            signal.signal(number, handler)
        sys.setswitchinterval(switch_interval)
    lesson = lessons.load_lesson()
    assert lesson.data.kind == "xor"
    assert "snapshot" in seen, "the window never showed a snapshot"
    snapshot = seen["snapshot"]
    assert seen["canvas"] is snapshot
    assert snapshot.experiment == lesson
    assert snapshot.depth == 2  # one hidden layer and the output
    assert [(l.fan_in, l.units) for l in snapshot.layers] == \
        [(2, lesson.network.layers[0].units), (lesson.network.layers[0].units, 1)]
    assert lesson.name in seen["title"]
    assert not running_qthreads()


# ---------------------------------------------------------------------------- step

def test_step_button_takes_one_step_and_the_canvas_and_plots_follow(make_window, qtbot):
    lesson = lessons.load_lesson()
    window = make_window(lesson)
    assert window.snapshot.step == 0
    button = toolbar_button(window, window.action("step"))
    for clicks in (1, 2):
        paints, redraws = len(window.canvas.paint_times), window.plots.redraws
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        wait_for_step(qtbot, window, clicks)
        qtbot.waitUntil(lambda paints=paints: len(window.canvas.paint_times) > paints,
                        timeout=WAIT_MS)
        assert window.plots.redraws > redraws
        assert window.canvas.snapshot is window.snapshot
        # One step per click: the engine alone, stepped as often, has the same weights.
        engine = headless(lesson, clicks).snapshot()
        assert window.run.worker.steps_done == clicks
        for shown, expected in zip(window.canvas.snapshot.layers, engine.layers, strict=True):
            np.testing.assert_array_equal(shown.W, expected.W)
            np.testing.assert_array_equal(shown.b, expected.b)
        # The loss plot has a point per step, with the engine's losses.
        curve = window.plots.train_curve.line
        np.testing.assert_array_equal(curve.yData, engine.history["loss"].low)
        assert len(curve.xData) == clicks


# ---------------------------------------------------------------------------- buttons

def test_play_and_pause_buttons(make_window, qtbot):
    window = make_window(endless_xor())
    play = toolbar_button(window, window.action("play"))
    qtbot.mouseClick(play, Qt.MouseButton.LeftButton)
    assert window.action("play").text() == "Pause"
    qtbot.waitUntil(lambda: window.snapshot.step >= 20, timeout=WAIT_MS)
    qtbot.mouseClick(play, Qt.MouseButton.LeftButton)
    assert window.action("play").text() == "Play"
    stopped_at = wait_until_paused(qtbot, window)
    # Paused: one step button press now takes exactly one step from where it stopped.
    qtbot.mouseClick(toolbar_button(window, window.action("step")), Qt.MouseButton.LeftButton)
    wait_for_step(qtbot, window, stopped_at + 1)
    assert window.run.worker.steps_done == stopped_at + 1


def test_phase_epoch_and_reset_buttons(make_window, qtbot):
    lesson = lessons.load_lesson()
    window = make_window(lesson)
    initial = window.snapshot

    def click(action) -> None:
        qtbot.mouseClick(toolbar_button(window, action), Qt.MouseButton.LeftButton)

    click(window.action("phase"))
    qtbot.waitUntil(lambda: window.snapshot.cursor == 1, timeout=WAIT_MS)
    assert (window.snapshot.last_phase.kind, window.snapshot.last_phase.layer) == ("forward", 1)
    assert window.snapshot.step == 0
    click(window.action("step"))  # finishes the iteration the phase began
    wait_for_step(qtbot, window, 1)
    assert window.snapshot.at_boundary
    epoch = window.snapshot.epoch
    click(window.action("epoch"))
    qtbot.waitUntil(lambda: window.snapshot.epoch == epoch + 1, timeout=WAIT_MS)
    assert window.snapshot.step == 1 + window.snapshot.steps_per_epoch
    click(window.action("reset"))
    wait_for_step(qtbot, window, 0)
    for shown, first in zip(window.snapshot.layers, initial.layers, strict=True):
        np.testing.assert_array_equal(shown.W, first.W)
        np.testing.assert_array_equal(shown.b, first.b)


# ---------------------------------------------------------------------------- keys

def test_keys_play_pause_step_phase_epoch_reset(make_window, qtbot):
    window = make_window(endless_xor())
    initial = window.snapshot
    key(qtbot, window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.snapshot.step >= 20, timeout=WAIT_MS)
    key(qtbot, window, Qt.Key.Key_Space)
    stopped_at = wait_until_paused(qtbot, window)

    key(qtbot, window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)  # one step
    wait_for_step(qtbot, window, stopped_at + 1)
    assert window.snapshot.at_boundary

    key(qtbot, window, Qt.Key.Key_Right)  # one phase: the first layer's forward pass
    qtbot.waitUntil(lambda: window.snapshot.cursor == 1, timeout=WAIT_MS)
    assert (window.snapshot.last_phase.kind, window.snapshot.last_phase.layer) == ("forward", 1)
    assert window.snapshot.step == stopped_at + 1

    epoch = window.snapshot.epoch
    key(qtbot, window, Qt.Key.Key_E)  # train until this epoch ends
    qtbot.waitUntil(lambda: window.snapshot.epoch > epoch and window.snapshot.at_boundary,
                    timeout=WAIT_MS)

    key(qtbot, window, Qt.Key.Key_R)  # reset: step 0 and the initial weights again
    wait_for_step(qtbot, window, 0)
    for shown, first in zip(window.snapshot.layers, initial.layers, strict=True):
        np.testing.assert_array_equal(shown.W, first.W)

    assert window.canvas.mode == "weight"
    key(qtbot, window, Qt.Key.Key_G)  # next colour mode
    assert window.canvas.mode == "gradient"
    assert window.mode_box.currentData() == "gradient"


@pytest.mark.parametrize("batch_size, steps_per_epoch", [(None, 1), (1, 4)])
def test_epoch_key_after_a_phase_ends_the_epoch_it_is_in(make_window, qtbot, batch_size,
                                                         steps_per_epoch):
    """E after a phase of the first iteration trains until the first epoch ends: with the
    whole XOR set in a batch, finishing that iteration ends it; with one sample a batch,
    three more steps do."""
    window = make_window(experiment(batch_size=batch_size))
    assert window.snapshot.steps_per_epoch == steps_per_epoch
    key(qtbot, window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.snapshot.cursor == 1, timeout=WAIT_MS)
    key(qtbot, window, Qt.Key.Key_E)
    # Epoch 1 reached and the worker idle: a run that trained one epoch too many never is
    # both (waiting for "idle" alone could catch the worker between taking the command from
    # its queue and starting the run).
    qtbot.waitUntil(lambda: window.snapshot.at_boundary and window.snapshot.epoch == 1
                    and worker_idle(window), timeout=WAIT_MS)
    qtbot.wait(200)
    assert worker_idle(window)  # settled: nothing new was published
    assert (window.snapshot.step, window.snapshot.epoch) == (steps_per_epoch, 1)
    assert window.run.worker.steps_done == steps_per_epoch


def expected_bins(snapshot, mode: str, layer: int) -> tuple[np.ndarray, np.ndarray]:
    """The colour bins of a layer's weights and biases, from the engine's values alone."""
    def shown(ls):  # what each mode colours by, as the issue defines the modes
        return {"weight": (ls.W, ls.b), "gradient": (ls.dW, ls.db),
                "update": (ls.update_W, ls.update_b)}[mode]
    values = [v for ls in snapshot.layers for v in shown(ls)]
    scale = palette.scale_for(mode, values)
    weights, biases = shown(snapshot.layers[layer - 1])
    return palette.bins(weights, scale), palette.bins(biases, scale)


def check_edge_colours(window: MainWindow, mode: str) -> None:
    """Every edge's colour on screen is its bin's colour in ``mode``, the bin computed from
    the snapshot's numbers. Sampled at points clear of other edges and nodes; a point counts
    where some pixel within one pixel of it has exactly one of the mode's colours (a value
    label's box may hide the line elsewhere), and there it must be the expected one."""
    canvas, snapshot = window.canvas, window.snapshot
    assert canvas.mode == mode and canvas.shown_mode == mode
    assert window.mode_box.currentData() == mode
    pixels = canvas_pixels(window).astype(int)
    colours = palette.PALETTES[mode].astype(int)
    checked = 0
    for ls in snapshot.layers:
        weight_bins, bias_bins = expected_bins(snapshot, mode, ls.number)
        edges = [((j, i), weight_bins[j, i]) for j in range(ls.units) for i in range(ls.fan_in)]
        edges += [((j, None), bias_bins[j]) for j in range(ls.units)]
        for (j, i), index in edges:
            found = []  # per readable point: the bins whose pure colour is there
            for point in clear_points(window, ls.number, j, i):
                x, y = round(point.x()), round(point.y())
                around = pixels[y - 1:y + 2, x - 1:x + 2].reshape(-1, 1, 3)
                pure = (np.abs(around - colours[None]).max(axis=2) <= 1).any(axis=0)
                if pure.any():
                    found.append(set(np.flatnonzero(pure).tolist()))
            if len(found) < 5:
                continue  # crossed or covered all along: no pixel is this edge's alone
            hits = sum(int(index) in bins for bins in found)
            assert hits >= 0.9 * len(found), (
                f"{mode}: edge {ls.number}:{j},{i} should be bin {index}, "
                f"{tuple(colours[index])}; found at {hits} of {len(found)} points: {found}")
            checked += 1
    assert checked >= 8, "too few edges could be checked"


def test_colour_modes_colour_edges_by_the_engine_values(make_window, qtbot):
    window = make_window(lessons.load_lesson(), size=(1500, 1000))
    window.run.worker.run_steps(40)
    wait_for_step(qtbot, window, 40)
    qtbot.waitUntil(lambda: window.canvas.snapshot is window.snapshot, timeout=WAIT_MS)
    snapshot = window.snapshot
    # The modes must disagree somewhere, or switching could not be seen.
    bins = {mode: np.concatenate([expected_bins(snapshot, mode, l)[0].ravel()
                                  for l in (1, 2)]) for mode in palette.MODES}
    assert len({tuple(b) for b in bins.values()}) == 3

    check_edge_colours(window, "weight")
    key(qtbot, window, Qt.Key.Key_G)
    check_edge_colours(window, "gradient")
    window.mode_box.setFocus()
    qtbot.keyClick(window.mode_box, Qt.Key.Key_Down)  # the toolbar's combo box, next item
    check_edge_colours(window, "update")
    key(qtbot, window, Qt.Key.Key_G)  # and round again
    check_edge_colours(window, "weight")


# ---------------------------------------------------------------------------- inspector

def inspector_lines(window: MainWindow) -> list[str]:
    """The inspector's text as the user reads it, one line per line."""
    text = window.inspector.label.text()
    text = re.sub(r"<br\s*/?>|</(?:p|tr|h3)>", "\n", text)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


NUMBER = re.compile(r"[−-]?(?:\d+\.?\d*|\.\d+)(?:e[+−-]?\d+)?|NaN \(not a number\)|[+−]infinity")


def as_read(text: str) -> str:
    """A name or text as inspector_lines reads it from the inspector's rich text."""
    return " ".join(re.sub(r"<[^>]+>", " ", notation.rich(text)).split())


def test_inspector_chain_rule_equals_sim_to_the_digit(make_window, qtbot):
    lesson = lessons.load_lesson()
    window = make_window(lesson)
    window.run.worker.run_steps(25)
    wait_for_step(qtbot, window, 25)
    for layer, j, i in ((2, 0, 1), (1, 2, 0)):
        qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton,
                         pos=clear_point(window, layer, j, i))
        assert window.canvas.selection == Selection("weight", layer, j, i)
        s = window.snapshot
        ls = s.layers[layer - 1]
        lines = inspector_lines(window)
        w = notation.weight(layer, j, i)
        for label, value in ((w, ls.W[j, i]), (f"∂E/∂{w} (the batch's)", ls.dW[j, i]),
                             (f"Δ{w} (last update)", ls.update_W[j, i])):
            assert f"{as_read(label)} {notation.exact(float(value))}" in lines, (label, lines)
        rule = s.chain_rule(ParameterAddress(layer, j, i))
        row = window.canvas.sample_row()
        # ∂E/∂a × f′(z) × a = this sample's term, as sim's text formats numbers
        expected = [notation.number(v) for v in (rule.dE_da[row], rule.fprime[row],
                                                 rule.a_i[row], rule.per_sample[row])]
        product = [line for line in lines if line.startswith("= ")]
        assert len(product) == 1, lines
        assert NUMBER.findall(product[0]) == expected
        batch = [line for line in lines if line.startswith(f"{as_read(f'∂E/∂{w}')} = Σ over "
                                                            f"the batch of {rule.delta.size}")]
        assert batch and NUMBER.findall(batch[0])[-1] == notation.number(rule.data_gradient)
        # every sample's term is listed (4 samples), the followed one's with its factors
        terms = batch[0].split(" = ")[2]
        assert terms.count(" + ") == 3 and terms.count("[") == 1
        # and sim's chain rule is the engine's gradient
        assert rule.gradient == ls.dW[j, i]


def test_inspector_node_values_equal_sim(make_window, qtbot):
    window = make_window(lessons.load_lesson())
    window.run.worker.run_steps(7)
    wait_for_step(qtbot, window, 7)
    geometry = window.canvas.geometry_for_paint()
    x, y = geometry.nodes[1][2]
    qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    assert window.canvas.selection == Selection("node", 1, 2)
    ls = window.snapshot.layers[0]
    row = window.canvas.sample_row()
    lines = inspector_lines(window)
    for label, value in (("z⁽¹⁾₃", ls.z[row, 2]), ("a⁽¹⁾₃", ls.a[row, 2]),
                         ("δ⁽¹⁾₃ = ∂E/∂z⁽¹⁾₃", ls.delta[row, 2]), ("b⁽¹⁾₃", ls.b[2]),
                         ("∂E/∂b⁽¹⁾₃ (the batch's)", ls.db[2])):
        assert f"{as_read(label)} {notation.exact(float(value))}" in lines, (label, lines)


# ---------------------------------------------------------------------------- editing

def test_double_click_edit_reaches_the_trainer(make_window, qtbot, monkeypatch):
    lesson = lessons.load_lesson()
    window = make_window(lesson)
    window.run.worker.run_steps(3)
    wait_for_step(qtbot, window, 3)
    asked = []

    def get_double(parent, title, label, value, *args, **kwargs):
        asked.append(value)
        return 1.25, True

    monkeypatch.setattr(QInputDialog, "getDouble", staticmethod(get_double))
    layer, j, i = 2, 0, 1
    before = float(window.snapshot.layers[layer - 1].W[j, i])
    qtbot.mouseDClick(window.canvas, Qt.MouseButton.LeftButton,
                      pos=clear_point(window, layer, j, i))
    assert asked == [before]  # the dialog offered the current value
    qtbot.waitUntil(lambda: window.snapshot.layers[layer - 1].W[j, i] == 1.25, timeout=WAIT_MS)
    assert window.canvas.snapshot.layers[layer - 1].W[j, i] == 1.25

    # Training moves on from the edited value exactly as the engine does.
    qtbot.mouseClick(toolbar_button(window, window.action("step")), Qt.MouseButton.LeftButton)
    wait_for_step(qtbot, window, 4)
    trainer = headless(lesson, 3)
    trainer.set_parameter(ParameterAddress(layer, j, i), 1.25)
    trainer.step()
    engine = trainer.snapshot()
    for shown, expected in zip(window.snapshot.layers, engine.layers, strict=True):
        np.testing.assert_array_equal(shown.W, expected.W)
    window.plots.refresh_all()
    assert window.plots.train_curve.line.yData[-1] == engine.history["loss"].low[-1]


# ---------------------------------------------------------------------------- closing

def test_closing_mid_training_joins_the_worker(make_window, qtbot):
    window = make_window(endless_xor())
    window.document.confirm_discard = lambda: True  # the user answers "Discard"
    window.run.set_playing(True)
    qtbot.waitUntil(lambda: window.snapshot.step >= 50, timeout=WAIT_MS)
    assert window.run.worker.isRunning()
    started = time.perf_counter()
    window.close()
    assert time.perf_counter() - started < CLOSE_SECONDS
    assert window.run.worker.isFinished() and not window.run.worker.isRunning()
    assert not window.isVisible()
    assert not running_qthreads()


def test_a_running_worker_is_seen_by_the_thread_check(qtbot):
    """The autouse fixture's check finds a running worker, and no longer once it is joined."""
    from gui.worker import TrainingWorker

    worker = TrainingWorker(endless_xor())
    worker.start()
    try:
        qtbot.waitUntil(lambda: worker.latest(0) is not None, timeout=WAIT_MS)
        assert worker in running_qthreads()
        assert worker in running_qthreads(tracked=False)
    finally:
        worker.shutdown()
    assert worker not in running_qthreads()
