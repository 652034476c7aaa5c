"""Show paths in the window: the Paths panel's list and sums, and the canvas's highlight.

Every number the panel shows is checked against the engine's chain rule (the inspector's) and
against paths the test enumerates itself from the snapshot's arrays; the highlight against the
edges the test finds by walking the network's shape, and against the canvas's pixels.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton

from gui.canvas import Selection
from sim import lessons, notation, palette
from sim.address import ParameterAddress
from sim.events import Phase
from tests.conftest import LESSONS, ROOT
from tests.test_app_process import LAUNCH_TIMEOUT, app_environment
from tests.test_gui import WAIT_MS, canvas_pixels, clear_points, key, wait_for_step
from tests.test_paths import mask_edges, network_experiment


def snapshot_edges(snapshot, layer: int, j: int, i: int | None) -> set:
    """Every edge of every path from the parameter, walking the snapshot's network shape:
    ("weight", l, k, u), ("bias", l, k), ("skip", l, u)."""
    edges = {("bias", layer, j) if i is None else ("weight", layer, j, i)}

    def walk(m: int, unit: int) -> None:
        if m == snapshot.depth:
            return
        above = snapshot.layers[m]
        for k in range(above.units):
            edges.add(("weight", m + 1, k, unit))
            walk(m + 1, k)
        if above.residual:
            edges.add(("skip", m + 1, unit))
            walk(m + 1, unit)

    walk(layer, j)
    return edges


def enumerated_products(snapshot, row: int, layer: int, j: int, i: int | None) -> list[float]:
    """Every path's product for one batch row, one path at a time, from the pass's arrays."""
    a_i = 1.0 if i is None else float(snapshot.computed("a", layer - 1)[row, i])
    products: list[float] = []

    def walk(m: int, unit: int, product: float, slope: bool) -> None:
        ls = snapshot.layers[m - 1]
        if slope:
            if m == snapshot.depth:
                products.append(product * float(ls.delta[row, unit]))
                return
            product *= float(ls.fprime[row, unit])
            if ls.keep is not None:
                product *= float(ls.keep[row, unit])
        above = snapshot.layers[m]
        W = snapshot.weights_in_pass(m + 1)[0]
        for k in range(above.units):
            walk(m + 1, k, product * float(W[k, unit]), True)
        if above.residual:
            walk(m + 1, unit, product, False)

    walk(layer, j, a_i, True)
    return products


def show_paths_of(qtbot, window, selection: Selection) -> None:
    """Select a weight or bias on the canvas and press P."""
    window.canvas.select(selection)
    if not window.action("paths").isChecked():
        key(qtbot, window, Qt.Key.Key_P)
    assert window.action("paths").isChecked()


def table_column(window, heading: str) -> list[str]:
    table = window.paths.table
    headings = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    column = headings.index(heading)
    return [table.item(row, column).text() for row in range(table.rowCount())]


def shown_number(text: str) -> float:
    return float(text.replace(notation.MINUS, "-"))


DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉", "01234567890123456789")
EDGE_NAME = re.compile(r"(w|skip)⁽([⁰-⁹¹²³]+)⁾([₀-₉]+)")


def row_edges(window, row: int) -> set:
    """The edges a row of the paths list names in its cells (w⁽ˡ⁾ₖᵤ, skip⁽ˡ⁾ᵤ; units below
    10), with the selected parameter's own: in `snapshot_edges`' form."""
    own = window.canvas.selection
    edges = {("bias", own.layer, own.j) if own.i is None else ("weight", own.layer, own.j,
                                                                  own.i)}
    table = window.paths.table
    for column in range(table.columnCount()):
        item = table.item(row, column)
        found = EDGE_NAME.fullmatch(item.text().split("\n")[0]) if item else None
        if found:
            kind, layer, units = found[1], int(found[2].translate(DIGITS)), \
                [int(u) - 1 for u in found[3].translate(DIGITS)]
            edges.add(("weight", layer, *units) if kind == "w" else ("skip", layer, *units))
    return edges


# ---------------------------------------------------------------------------- the panel

@pytest.mark.parametrize("address", [(1, 2, 0), (2, 0, None), (3, 1, 2)])
def test_the_panel_lists_every_path_and_their_sum_is_the_inspectors_share(make_window, qtbot,
                                                                          address):
    window = make_window(network_experiment([3, 3, 3, 2], "sigmoid", "half_mse", "sigmoid"))
    window.run.worker.run_steps(2)
    wait_for_step(qtbot, window, 2)
    layer, j, i = address
    show_paths_of(qtbot, window, Selection("weight" if i is not None else "bias", *address))
    assert window.paths_dock.isVisible()
    s = window.snapshot
    row = window.canvas.sample_row()
    products = enumerated_products(s, row, *address)
    count = len(products)
    assert count == {1: 3 * 2, 2: 2, 3: 1}[layer]  # the widths above the weight
    assert window.paths.table.rowCount() == count
    shown = [shown_number(text) for text in table_column(window, "product")]
    ranked = sorted(products, key=abs, reverse=True)
    assert shown == [pytest.approx(p, rel=1e-3) for p in ranked]  # 4 significant digits
    lines = window.paths.lines
    name = notation.gradient(notation.bias(layer, j) if i is None else
                             notation.weight(layer, j, i))
    share = s.chain_rule(ParameterAddress(*address)).per_sample[row]
    assert lines[0] == f"{name} as a sum over paths, sample {row + 1}, step 2's pass, with " \
        "the weights before its update"  # the edges show the weights after it
    assert lines[1] == f"paths: {count}, every one listed"
    assert lines[2] == f"sum of the listed products: {notation.number(math.fsum(products))}"
    total = re.fullmatch(r"sum over all paths \(added up as backpropagation does\): (\S+); "
                         rf"backpropagation's {re.escape(name)} for this sample \(its share of "
                         r"the batch of 5\): (\S+)", lines[3])
    assert total is not None, lines[3]
    assert shown_number(total[1]) == pytest.approx(share, rel=1e-12, abs=1e-300)
    assert total[2] == notation.exact(share)  # the inspector's chain rule, this sample


def test_beyond_64_paths_the_panel_lists_the_10_largest_and_the_rest(make_window, qtbot):
    window = make_window(lessons.load_lesson("vanishing-sigmoid.json"))
    window.run.worker.run_steps(1)
    wait_for_step(qtbot, window, 1)
    show_paths_of(qtbot, window, Selection("weight", 1, 1, 0))
    s = window.snapshot
    row = window.canvas.sample_row()
    assert window.paths.table.rowCount() == 10
    lines = window.paths.lines
    assert lines[1] == "paths: 279,936; listed: the 10 of largest |product|"
    listed, rest = (shown_number(n) for n in re.fullmatch(
        r"sum of the listed products: (\S+); of the other 279,926 paths' products: (\S+)",
        lines[2]).groups())
    products = [shown_number(text) for text in table_column(window, "product")]
    share = s.chain_rule(ParameterAddress(1, 1, 0)).per_sample[row]
    assert listed == pytest.approx(math.fsum(products), rel=2e-3)
    assert listed + rest == pytest.approx(share, rel=2e-3)
    # the slopes of path 1: 8 sigmoid slopes, each at most 0.25
    slopes = [shown_number(text.split("\n")[1]) for heading in
              [f"f′(z{notation.layer_mark(m)})" for m in range(1, 9)]
              for text in table_column(window, heading)[:1]]
    assert len(slopes) == 8 and all(0 < value <= 0.25 for value in slopes)
    assert shown_number(table_column(window, "∏ f′")[0]) == \
        pytest.approx(math.prod(slopes), rel=1e-2)
    assert lines[4].endswith("sigmoid's f′ is at most 0.25, so 8 of them multiply to at most "
                             "0.25⁸ = 1.526e−05.")


def test_paths_get_their_numbers_when_the_backward_phase_reaches_the_weight(make_window,
                                                                             qtbot):
    window = make_window(network_experiment([2, 3, 3, 1], "tanh", "half_sse", "linear"))
    show_paths_of(qtbot, window, Selection("weight", 1, 0, 1))
    s = window.snapshot
    expected_edges = snapshot_edges(s, 1, 0, 1)
    for phase in (Phase("forward", 1), Phase("forward", 2), Phase("forward", 3), Phase("loss"),
                  Phase("backward", 3), Phase("backward", 2), Phase("backward", 1)):
        key(qtbot, window, Qt.Key.Key_Right)
        qtbot.waitUntil(lambda p=phase: window.snapshot.last_phase == p, timeout=WAIT_MS)
        paths = window.canvas.paths
        assert paths is not None and mask_edges(paths.every) == expected_edges
        if phase != Phase("backward", 1):
            assert window.paths.lines[0].startswith(
                "The backward phase has not reached layer 1 yet: the paths of ∂E/∂w⁽¹⁾₁₂")
            assert not window.paths.table.isVisibleTo(window) and paths.listed is None
    assert window.paths.lines[1] == "paths: 3, every one listed"
    assert window.paths.table.rowCount() == 3 and window.paths.table.isVisibleTo(window)
    key(qtbot, window, Qt.Key.Key_Left)  # stepping back: the kept phase, without numbers
    qtbot.waitUntil(lambda: window.snapshot.last_phase == Phase("backward", 2), timeout=WAIT_MS)
    assert window.canvas.paths.listed is None
    assert "has not reached layer 1" in window.paths.lines[0]


def test_a_pass_that_diverged_before_the_weight_says_so(make_window, qtbot):
    window = make_window(lessons.load_lesson("learning-rate-too-large.json"))
    window.run.worker.run_steps(1000)
    qtbot.waitUntil(lambda: window.snapshot.stop_event is not None, timeout=30000)
    assert window.snapshot.diverged and window.snapshot.layers[0].delta is None
    show_paths_of(qtbot, window, Selection("weight", 1, 0, 0))
    assert window.paths.lines == [
        "Training diverged before the backward phase reached layer 1: the paths of ∂E/∂w⁽¹⁾₁₁ "
        "(drawn on the network) have no numbers in this pass."]
    assert window.canvas.paths.listed is None


def test_paths_follow_the_sample_the_captions_follow(make_window, qtbot):
    window = make_window(network_experiment([2, 3, 2], "tanh", "half_sse", "linear"))
    window.run.worker.run_steps(1)
    wait_for_step(qtbot, window, 1)
    show_paths_of(qtbot, window, Selection("weight", 1, 1, 0))
    for sample in (3, 1, 5):
        window.captions.sample.setValue(sample)
        assert f"as a sum over paths, sample {sample}, step 1's pass" in window.paths.lines[0]
        rule = window.snapshot.chain_rule(ParameterAddress(1, 1, 0))
        assert window.paths.lines[3].endswith(notation.exact(rule.per_sample[sample - 1]))


def test_the_inspectors_button_and_the_menu_show_paths_and_p_hides_them(make_window, qtbot):
    window = make_window(network_experiment([2, 3, 2], "tanh", "half_sse", "linear"))
    window.run.worker.run_steps(1)
    wait_for_step(qtbot, window, 1)
    button = window.inspector.findChild(QPushButton)
    window.canvas.select(Selection("node", 1, 0))
    assert not button.isVisibleTo(window)  # a node has no paths
    window.canvas.select(Selection("weight", 2, 1, 2))
    assert button.isVisibleTo(window) and window.canvas.paths is None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.action("paths").isChecked() and window.canvas.paths is not None
    assert window.paths.lines[1] == "paths: 1, every one listed"
    key(qtbot, window, Qt.Key.Key_P)
    assert not window.action("paths").isChecked() and window.canvas.paths is None
    view = next(a for a in window.menuBar().actions() if a.text() == "&View").menu()
    assert window.action("paths") in view.actions()
    window.action("paths").trigger()
    assert window.canvas.paths is not None and window.paths_dock.isVisible()
    window.canvas.select(Selection("node", 2, 0))  # no weight: no paths, and the panel says so
    assert window.canvas.paths is None and window.paths.lines[0].startswith("Select a weight")
    window.canvas.select(Selection("weight", 1, 0, 0))
    assert window.canvas.paths is not None
    window.paths_dock.close()  # closing the panel stops showing paths
    QApplication.processEvents()
    assert not window.action("paths").isChecked() and window.canvas.paths is None


# ---------------------------------------------------------------------------- the canvas

@pytest.mark.parametrize("residual", [False, True])
def test_the_highlight_covers_exactly_the_edges_of_the_paths(make_window, qtbot, residual):
    window = make_window(network_experiment([3, 6, 6, 6, 2], "tanh", "half_mse", "sigmoid",
                                            residual=residual))
    window.run.worker.run_steps(1)
    wait_for_step(qtbot, window, 1)
    for address in ((1, 4, 2), (2, 3, None), (3, 0, 5), (4, 1, 1)):
        show_paths_of(qtbot, window, Selection("weight" if address[2] is not None else "bias",
                                               *address))
        expected = snapshot_edges(window.snapshot, *address)
        paths = window.canvas.paths
        assert mask_edges(paths.every) == expected
        if window.paths.path_sum.complete:  # every path listed: all drawn strongly
            assert mask_edges(paths.listed) == expected
        else:  # the 10 largest: the edges their rows name, among every path's
            assert window.paths.table.rowCount() == 10
            listed = set().union(*(row_edges(window, row) for row in range(10)))
            assert mask_edges(paths.listed) == listed and listed < expected
    key(qtbot, window, Qt.Key.Key_P)
    assert window.canvas.paths is None


def test_the_highlighted_edges_are_drawn_and_the_others_faded(make_window, qtbot):
    """On screen: a pixel near the middle of every edge on a path has the foreground colour
    of the listed paths; no pixel near an edge off the paths has it, nor the pure colour of
    its weight (it is faded)."""
    window = make_window(network_experiment([3, 6, 6, 2], "tanh", "half_mse", "sigmoid"),
                         size=(1500, 1000))
    window.run.worker.run_steps(1)
    wait_for_step(qtbot, window, 1)
    show_paths_of(qtbot, window, Selection("weight", 1, 2, 1))
    assert window.canvas.paths.listed is not None
    on_paths = snapshot_edges(window.snapshot, 1, 2, 1)
    pixels = canvas_pixels(window).astype(int)
    ink = np.array(window.style_.foreground.getRgb()[:3])
    colours = palette.PALETTES[window.canvas.shown_mode].astype(int)
    checked = {True: 0, False: 0}
    for ls in window.snapshot.layers:
        for j in range(ls.units):
            for i in range(ls.fan_in):
                points = clear_points(window, ls.number, j, i)
                if len(points) < 3:
                    continue
                inked, pure = [], []
                for point in points[len(points) // 3: 2 * len(points) // 3 + 1]:
                    x, y = round(point.x()), round(point.y())
                    around = pixels[y - 1:y + 2, x - 1:x + 2].reshape(-1, 1, 3)
                    inked.append(bool((np.abs(around - ink).max(axis=2) <= 24).any()))
                    pure.append(bool((np.abs(around - colours[None]).max(axis=2) <= 1).any()))
                on = ("weight", ls.number, j, i) in on_paths
                assert all(inked) if on else not any(inked + pure), (ls.number, j, i, on,
                                                                     inked, pure)
                checked[on] += 1
    assert checked[True] >= 3 and checked[False] >= 10, checked


def test_a_path_picked_in_the_list_is_drawn_on_its_own(make_window, qtbot):
    window = make_window(network_experiment([2, 3, 3, 2], "tanh", "half_sse", "linear"))
    window.run.worker.run_steps(1)
    wait_for_step(qtbot, window, 1)
    show_paths_of(qtbot, window, Selection("weight", 1, 1, 0))
    assert window.canvas.paths.chosen is None
    table = window.paths.table
    for row in (2, 0):
        table.selectRow(row)
        edges = row_edges(window, row)
        assert len(edges) == 3  # its own, one into layer 2, one into layer 3
        assert mask_edges(window.canvas.paths.chosen) == edges
    table.clearSelection()
    assert window.canvas.paths.chosen is None


# ---------------------------------------------------------------------------- the app's --paths

# Prints what the Paths panel says once the window has walked PHASES phases, then closes it.
REPORT_THE_PATHS = """
import sys
from PySide6.QtCore import QTimer
from gui import app

PHASES = int(sys.argv[sys.argv.index("--phases") + 1])

def report_when_walked(window):
    def look():
        shown = window.run.snapshot
        if shown is None or shown.cursor != PHASES or not window.run.idle:
            return
        poll.stop()
        print(window.canvas.selection, window.action("paths").isChecked(), flush=True)
        print("\\n".join(window.paths.lines), flush=True)
        window.force_close = True
        window.close()

    poll = QTimer(window)
    poll.timeout.connect(look)
    poll.start(20)

sys.exit(app.main(sys.argv[1:], on_show=report_when_walked))
"""


def test_the_app_shows_the_paths_of_the_weight_its_command_line_names():
    result = subprocess.run(
        [sys.executable, "-c", REPORT_THE_PATHS, str(LESSONS / "seed003-walkthrough.json"),
         "--phases", "5", "--paths", "1,2,1", "--quit-after", str(LAUNCH_TIMEOUT)],
        cwd=ROOT, env=app_environment(), capture_output=True, text=True,
        timeout=LAUNCH_TIMEOUT + 30)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{Selection('weight', 1, 1, 0)} True"
    assert lines[1] == "∂E/∂w⁽¹⁾₂₁ as a sum over paths, sample 1, step 1's pass"
    assert lines[2] == "paths: 1, every one listed"
    found = re.fullmatch(r".*∂E/∂w⁽¹⁾₂₁ for this sample: (\S+)", lines[4])
    # /work/shared/reference/worked-examples.md, section 1: input 1 to hidden unit 2
    assert found is not None and shown_number(found[1]) == pytest.approx(-6.4258867e-4, rel=1e-7)


def test_the_apps_paths_option_refuses_a_weight_the_network_lacks():
    result = subprocess.run(
        [sys.executable, "-m", "gui", str(LESSONS / "seed003-walkthrough.json"),
         "--paths", "1,1,0", "--quit-after", "1"],
        cwd=ROOT, env=app_environment(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == "backprop-studio: --paths: layer 1 has no biases (I = 0 is the " \
                            "bias)\n"
