"""The recurrent window: the unrolled canvas, the time-gradient plot, the click-through through
time, and how the app opens a recurrent file (its own window, or a one-line refusal)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtGui import QFont, QFontMetrics, QFontMetricsF

from gui.app import main
from gui.recurrent_session import status_line
from gui.recurrent_window import FASTEST, RecurrentWindow, play_rate, status_lines
from gui.unrolled_canvas import TimeGradientPlot
from sim import lessons
from sim import recurrent_experiment as rx
from sim.recurrent_trainer import RecurrentTrainer
from sim.unrolled import walk

RECURRENT = lessons.lesson_dir() / "recurrent"
WAIT_MS = 30_000  # generous: the training process starts on a busy machine


@pytest.fixture
def recurrent_window(qtbot):
    windows = []

    def make(source):
        window = RecurrentWindow(source)
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        windows.append(window)
        qtbot.waitUntil(lambda: window.frame is not None or window.failure is not None,
                        timeout=WAIT_MS)
        return window

    yield make
    for window in windows:
        window.close()


def small(cell: str, steps: int = 6) -> rx.RecurrentExperiment:
    experiment = rx.load(RECURRENT / ("lstm-remembers.json" if cell == "lstm"
                                      else "elman-forgets.json"))
    return experiment.replace(data=experiment.data.__class__(
        kind="remember_first", samples=16, steps=steps, noise=1.0))


@pytest.mark.parametrize("cell", ["elman", "lstm"])
def test_a_step_shows_the_unrolled_network_and_its_gradient_through_time(recurrent_window,
                                                                         qtbot, cell):
    window = recurrent_window(small(cell))
    assert window.frame.step == 0 and window.canvas.picture is None
    window.step()
    qtbot.waitUntil(lambda: window.frame.step == 1, timeout=WAIT_MS)
    picture = window.canvas.picture
    assert picture is not None and picture.steps == 6 and window.canvas.detailed
    assert (picture.forget is not None) == (cell == "lstm")
    xs, ys = window.plot.hidden_curve.getOriginalDataset()
    assert list(xs) == list(range(1, 7))
    np.testing.assert_allclose(ys, picture.time_grad_norms)
    cell_xs, _ = window.plot.cell_curve.getOriginalDataset()
    assert (0 if cell_xs is None else len(cell_xs)) == (6 if cell == "lstm" else 0)
    assert window.canvas.grab().width() > 0  # paints without error
    assert "do not apply to a recurrent one" in window.caption_text


def test_the_click_through_goes_forward_along_time_then_backward(recurrent_window, qtbot):
    window = recurrent_window(small("lstm", steps=4))
    window.next_phase()  # the first press takes a step and shows its first point
    qtbot.waitUntil(lambda: window.walk_index == 0, timeout=WAIT_MS)
    points = walk(4)
    seen, shown, pages = [], [], []
    for index in range(1, len(points)):
        window.next_phase()
        assert window.walk_index == index
        assert window.canvas.point == points[index]
        seen.append(window.caption_text)
        shown.append(window.frame.captions[index])
        pages.append(window.captions.toHtml())
        window.canvas.grab()
        xs, _ = window.plot.hidden_curve.getOriginalDataset()
        # the plot shows the gradient through time as far as the backward pass has come
        assert ([] if xs is None else list(xs)) == [
            t for t in range(1, 5) if points[index].backward_reached(t)]
    titles = [text.splitlines()[0] for text in seen]
    assert titles[0].startswith("Forward, time step 1 of 4")
    assert titles[4].startswith("Loss")
    assert titles[5].startswith("Backward through time, time step 4 of 4")
    assert titles[8].startswith("Backward through time, time step 1 of 4")
    assert any(line.startswith("∂c₃/∂c₂ = f₃ = sigmoid(a_f) = [") for line in shown[6].lines)
    # the panel draws those subscripts as the main window's captions do (real subscripts)
    assert "∂c3/∂c2 = f3 = sigmoid(a_f) = [" in seen[6]
    assert "vertical-align:sub" in pages[6]
    # numbers the caption writes are the picture's: the forget gate at t = 3
    forget = window.canvas.picture.forget[3]
    assert f"{forget[0]:.4g}".replace("-", "−") in seen[6]
    step = window.frame.step
    window.next_phase()  # past the update: the next step
    qtbot.waitUntil(lambda: window.frame.step == step + 1 and window.walk_index == 0,
                    timeout=WAIT_MS)


def test_play_trains_until_paused_and_reset_goes_back(recurrent_window, qtbot):
    window = recurrent_window(small("elman"))
    window.toggle_play()
    qtbot.waitUntil(lambda: window.frame.step >= 3, timeout=WAIT_MS)
    window.toggle_play()
    assert not window.playing
    window.reset()
    qtbot.waitUntil(lambda: window.frame.step == 0, timeout=WAIT_MS)


def test_a_large_network_is_drawn_one_column_a_step(recurrent_window, qtbot):
    experiment = small("lstm", steps=120)
    window = recurrent_window(experiment)
    window.step()
    qtbot.waitUntil(lambda: window.frame.step == 1, timeout=WAIT_MS)
    assert not window.canvas.detailed and not window.canvas.picture.detailed
    assert window.canvas.grab().width() > 0


def test_a_file_that_cannot_be_trained_is_refused_in_one_line(recurrent_window, tmp_path):
    document = json.loads((RECURRENT / "elman-forgets.json").read_text())
    document["data"]["kind"] = "inline"
    document["data"]["inputs"] = [[[0.0]], [[1.0]]]
    document["data"]["targets"] = [[0.5], [2.0]]  # bce needs targets between 0 and 1
    for key in ("samples", "steps", "noise", "validation_fraction"):
        del document["data"][key]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(document))
    window = recurrent_window(path)
    assert window.failure is not None and "\n" not in window.failure
    assert window.failure.startswith(f"{path}: loss: ")


def test_the_main_window_opens_a_recurrent_file_in_its_own_window(make_window, qtbot):
    window = make_window(lessons.load_lesson())
    name = window.run.experiment.name
    window.run.open(RECURRENT / "elman-forgets.json")
    qtbot.waitUntil(lambda: len(window.recurrent_windows) == 1, timeout=WAIT_MS)
    opened = window.recurrent_windows[0]
    qtbot.waitUntil(lambda: opened.frame is not None, timeout=WAIT_MS)
    assert opened.frame.name == "An Elman network forgets the first symbol"
    assert window.run.experiment.name == name  # the main window keeps its experiment
    opened.close()
    qtbot.waitUntil(lambda: not window.recurrent_windows, timeout=WAIT_MS)


def test_the_app_refuses_options_that_do_not_apply_in_one_line(capsys):
    path = str(RECURRENT / "elman-forgets.json")
    assert main([path, "--compare", path, "--quit-after", "1"]) == 2
    error = capsys.readouterr().err
    assert error == "backprop-studio: --compare does not apply to a recurrent network (this " \
                    "file's network is recurrent)\n"


def test_the_app_takes_a_screenshot_of_a_recurrent_lesson(tmp_path):
    shot = tmp_path / "r.png"
    assert main([str(RECURRENT / "lstm-remembers.json"), "--steps", "2", "--phases", "3",
                 "--screenshot", str(shot), "--size", "1280x720"]) == 0
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_recurrent_lessons_open_from_the_lessons_menu(make_window, qtbot):
    window = make_window(lessons.load_lesson())
    title, paths = lessons.recurrent_section()
    menu = next(action.menu() for action in window.menuBar().actions()
                if action.text() == "&Lessons")
    section = next(action.menu() for action in menu.actions() if action.text() == title)
    entries = section.actions()
    assert [action.text() for action in entries] == [rx.load(path).name for path in paths]
    assert len(entries) == 5
    entries[1].trigger()
    qtbot.waitUntil(lambda: len(window.recurrent_windows) == 1, timeout=WAIT_MS)
    opened = window.recurrent_windows[0]
    qtbot.waitUntil(lambda: opened.frame is not None, timeout=WAIT_MS)
    assert opened.frame.name == entries[1].text() and opened.frame.cell == "lstm"
    opened.close()
    qtbot.waitUntil(lambda: not window.recurrent_windows, timeout=WAIT_MS)


def test_play_goes_at_the_lessons_speed():
    assert rx.load(RECURRENT / "elman-forgets.json").view.speed == 25
    assert play_rate(25) == (40, 1)  # a step every 40 ms
    assert play_rate(200) == (20, 4)
    assert play_rate(None) == FASTEST


def test_presentation_mode_makes_the_type_large_and_the_status_line_whole(recurrent_window,
                                                                         qtbot):
    """F5 as in the main window: at 1920x1080 the lesson's, the captions', the plot's and the
    unrolled network's type is 24 pixels and more (the network itself drawn larger too), and
    the status line, too long for the window in large type, goes on two lines rather than
    being cut; F5 again brings the desk's sizes back."""
    window = recurrent_window(small("lstm"))
    window.resize(1920, 1080)
    window.step()
    qtbot.waitUntil(lambda: window.frame.step == 1, timeout=WAIT_MS)
    window.actions_by_name["presentation"].trigger()
    assert window.presenting and window.canvas.scale > 1.0
    for font in (window.lesson.font(), window.captions.font(), window.status.font()):
        assert QFontMetricsF(font).height() >= 24
    tick = window.plot.getAxis("bottom").style["tickFont"]
    assert QFontMetricsF(tick).height() >= 24
    # the canvas's text at the window's text scale: its smallest type (8 points) 20 pixels
    # and more, its body (9 points) 24 and more, though its columns are drawn smaller
    assert window.canvas.scale < window.text_scale
    assert window.canvas.scale * window.canvas.text_ratio == pytest.approx(window.text_scale)
    body = QFont(window.font())
    body.setPointSizeF(9 * window.text_scale)
    assert QFontMetricsF(body).height() >= 24
    window.resize(1000, 1080)  # the status line no longer fits on one line in large type
    qtbot.waitUntil(lambda: "\n" in window.status.text(), timeout=5000)
    metrics = QFontMetricsF(window.status.font())
    lines = window.status.text().split("\n")
    assert len(lines) == 2 and all(metrics.horizontalAdvance(line) <= window.status.width()
                                   for line in lines)
    assert " · ".join(lines) == window.status_text  # broken between its parts, all of it
    qtbot.waitUntil(lambda: window.status.height() >= 2 * metrics.height(),  # both shown
                    timeout=5000)
    window.actions_by_name["presentation"].trigger()
    assert not window.presenting and window.canvas.scale == 1.0
    assert window.canvas.text_ratio == 1.0
    assert QFontMetricsF(window.captions.font()).height() < 24


def test_the_status_line_goes_on_two_lines_and_is_elided_only_beyond(qapp):
    metrics = QFontMetrics(QFont())
    text = " · ".join(["step 500", "epoch 50", "loss 0.00151", "batch accuracy 100%",
                       "validation at step 500: loss 0.001571, accuracy 100%"])
    assert status_lines(text, metrics, 2000) == text
    width = metrics.horizontalAdvance(text) * 2 // 3
    first, second = status_lines(text, metrics, width).split("\n")
    assert f"{first} · {second}" == text
    assert metrics.horizontalAdvance(first) <= width
    assert metrics.horizontalAdvance(second) <= width
    narrow = metrics.horizontalAdvance(text) // 3
    first, second = status_lines(text, metrics, narrow).split("\n")
    assert second.endswith("…") and metrics.horizontalAdvance(second) <= narrow
    assert text.startswith(first)


def test_the_app_opens_a_recurrent_lesson_in_presentation_mode(tmp_path):
    shot = tmp_path / "r.png"
    assert main([str(RECURRENT / "elman-forgets.json"), "--presentation", "--screenshot",
                 str(shot), "--size", "1280x720"]) == 0
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_window_shows_the_lessons_text_and_opens_the_others_from_its_lessons_menu(
        recurrent_window, qtbot):
    """A recurrent lesson is read in its window: its name and every paragraph of its text;
    the Lessons menu lists the recurrent lessons, and one chosen trains here from step 0."""
    forgets = rx.load(RECURRENT / "elman-forgets.json")
    window = recurrent_window(RECURRENT / "elman-forgets.json")
    assert window.lesson_text.startswith(forgets.name)
    for paragraph in forgets.description.split("\n\n"):
        assert paragraph in window.lesson_text
    window.step()
    qtbot.waitUntil(lambda: window.frame.step == 1, timeout=WAIT_MS)
    title, paths = lessons.recurrent_section()
    section = next(action.menu() for action in window.lessons_menu.actions()
                   if action.text() == title)
    entries = section.actions()
    assert [action.text() for action in entries] == [rx.load(path).name for path in paths]
    clipped = rx.load(RECURRENT / "elman-exploding-clipped.json")
    next(action for action in entries if action.text() == clipped.name).trigger()
    qtbot.waitUntil(lambda: window.frame is not None and window.frame.name == clipped.name,
                    timeout=WAIT_MS)
    assert window.frame.step == 0 and window.canvas.picture is None
    assert window.lesson_text.startswith(clipped.name)
    assert clipped.description.split("\n\n")[-1] in window.lesson_text
    window.step()
    qtbot.waitUntil(lambda: window.frame.step == 1, timeout=WAIT_MS)
    assert window.canvas.picture.steps == clipped.data.steps


def test_the_plot_says_which_norms_are_0_which_a_log_scale_cannot_show(qtbot):
    plot = TimeGradientPlot()
    qtbot.addWidget(plot)
    plot.set_norms(np.array([0.0, 0.0, 0.0, 0.3, 0.0, 0.2]), np.empty(0))
    xs, ys = plot.hidden_curve.getOriginalDataset()
    assert list(xs) == [4, 6] and list(ys) == [0.3, 0.2]
    assert plot.note == "‖∂E/∂hₜ‖ is 0 at t = 1 to 3, 5, not drawn: a log scale has no 0"
    assert plot.viewRange()[0] == [0.5, 6.5]  # every step has its place
    plot.set_norms(np.array([0.1, 0.2]), np.empty(0))
    assert plot.note == ""
    plot.set_norms(np.array([0.1, 0.2]), np.array([0.0, 0.4]))  # an LSTM's
    assert plot.note == "‖∂E/∂cₜ‖ is 0 at t = 1, not drawn: a log scale has no 0"
    assert plot.legend.getLabel(plot.cell_curve) is not None
    plot.set_norms(np.array([0.1, 0.2]), np.empty(0))  # an Elman network's: no cell state
    assert plot.legend.getLabel(plot.cell_curve) is None


def test_the_status_line_gives_the_gradient_norm_and_a_regressions_validation_loss():
    adding = rx.load(RECURRENT / "elman-exploding-clipped.json")
    adding = adding.replace(data=adding.data.__class__(kind="adding", samples=16, steps=5,
                                                       validation_fraction=0.25))
    trainer = RecurrentTrainer(adding)
    trainer.run(steps=2)  # 12 training sequences, one batch: each step ends an epoch
    record = trainer.records[-1]
    line = status_line(trainer)
    assert "step 2 · epoch 2 · " in line  # the epoch step 2 belongs to, as the records count
    assert record.epoch == 2
    assert f"gradient norm {record.grad_norm:.4g}" in line
    assert record.clipped == ("clipped" in line)
    assert f"validation at step 2: loss {record.val_loss:.4g}" in line
    assert "accuracy" not in line  # a regression has none
    remembering = small("elman")
    classifying = RecurrentTrainer(remembering.replace(data=remembering.data.__class__(
        kind="remember_first", samples=16, steps=5, noise=1.0, validation_fraction=0.25)))
    classifying.run(steps=1)
    record = classifying.records[-1]
    assert f"validation at step 1: loss {record.val_loss:.4g}, accuracy " \
           f"{record.val_accuracy:.0%}" in status_line(classifying)
