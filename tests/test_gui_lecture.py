"""The lecture-hall features through the real window: presentation mode, keyboard-only use,
phase-by-phase captions, save and open, exports, CSV import (pytest-qt, offscreen)."""

from __future__ import annotations

import dataclasses
import json
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetricsF, QImage

import sim
from sim import explain, lessons, notation

LESSON_FILES = lessons.lesson_files()


def wait_step(qtbot, window, step: int) -> None:
    qtbot.waitUntil(lambda: window.snapshot is not None and window.snapshot.step == step,
                    timeout=10000)


def theta_of(snapshot) -> np.ndarray:
    """The trainable parameters in the engine's order: W1, b1, W2, b2, ..."""
    parts = []
    for layer in snapshot.layers:
        parts.append(layer.W.ravel())
        if layer.b is not None:
            parts.append(layer.b)
    return np.concatenate(parts)


def taken_messages(make_window) -> list[str]:
    """The texts of the message boxes the windows raised, taken from the fixture's record
    (which must be empty when the test ends)."""
    texts = [text for _title, text in make_window.dialogs]
    make_window.dialogs.clear()
    return texts


def image_is_drawn(path: Path) -> bool:
    image = QImage(str(path))
    if image.isNull():
        return False
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
               for y in range(0, image.height(), 7)}
    return len(colours) > 20


# ---------------------------------------------------------------------------- presentation

def test_presentation_mode_at_1920x1080_has_text_at_least_24_pixels_high(make_window, qtbot):
    window = make_window(lessons.load_lesson(), size=(1920, 1080))
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert window.presentation.on
    assert not window.controls_dock.isVisible() and not window.inspector_dock.isVisible()
    # no step taken: the slide leaves out the plots' empty axes, the picture has the column
    assert window.canvas.isVisible() and window.views_dock.isVisible()
    assert not window.plots.isVisible()
    frame = window.grab()
    assert (frame.width(), frame.height()) == (1920, 1080)
    for font in (window.captions.body.font(), window.run_status.label.font(),
                 window.canvas.style_.small_font, window.font()):
        assert QFontMetricsF(font).height() >= 24, font.toString()
    qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert window.presentation.scale == 1.75
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert not window.presentation.on
    assert window.controls_dock.isVisible() and window.inspector_dock.isVisible()
    assert QFontMetricsF(window.font()).height() < 24  # the desk layout is back


def test_the_shortcut_sheet_lists_every_shortcut_of_the_window(make_window, qtbot):
    window = make_window(lessons.load_lesson())
    qtbot.keyClick(window, Qt.Key.Key_F1)
    assert window.sheet.isVisible()
    text = window.sheet.label.text()
    for action in (window.action("play"), window.action("step"), window.action("phase"),
                   window.action("back"), window.action("reset"), window.action("mode"),
                   window.action("presentation"), window.action("save")):
        assert action.text().rstrip("…") in text
    for keys in ("Space", "PgDown", "PgUp", "F5", "F11"):
        assert keys in text
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.sheet.isVisible()


# ---------------------------------------------------------------------------- keyboard only

def test_a_keyboard_only_session(make_window, qtbot, tmp_path):
    window = make_window(lessons.load_lesson())
    second = sim.load(LESSON_FILES[1])
    qtbot.keyClick(window, Qt.Key.Key_2)  # lesson 2
    qtbot.waitUntil(lambda: window.run.experiment.name == second.name, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_Space)  # play
    qtbot.waitUntil(lambda: window.snapshot.step >= 3, timeout=10000)
    qtbot.keyClick(window, Qt.Key.Key_Space)  # pause
    # the worker has taken the pause and published its last step, and the window shows it
    qtbot.waitUntil(lambda: window.run.worker.idle and window.run.up_to_date, timeout=5000)
    paused_at = window.snapshot.step
    qtbot.wait(300)
    assert window.snapshot.step == paused_at
    qtbot.keyClick(window, Qt.Key.Key_R)  # reset
    wait_step(qtbot, window, 0)
    for expected in (1, 2, 3):  # forward 1, forward 2, loss
        qtbot.keyClick(window, Qt.Key.Key_PageDown)  # a presenter clicker's "next"
        qtbot.waitUntil(lambda e=expected: window.snapshot.cursor == e, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_Left)  # step back: shows forward 2 again
    assert window.snapshot.cursor == 2 and window.run.trail.position == 1
    assert window.captions.title.text().startswith("Forward · layer 2")
    qtbot.keyClick(window, Qt.Key.Key_Right)  # forward again through the kept phase
    assert window.snapshot.cursor == 3 and window.run.trail.at_newest
    mode = window.canvas.mode
    qtbot.keyClick(window, Qt.Key.Key_G)
    assert window.canvas.mode != mode
    window.document.ask_image_path = lambda: (tmp_path / "network.png", 2.0)
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    exported = QImage(str(tmp_path / "network.png"))
    assert exported.width() == 2 * window.canvas.width()
    assert image_is_drawn(tmp_path / "network.png")


def test_each_phase_of_lesson_one_is_captioned_with_the_engines_numbers(make_window, qtbot):
    window = make_window(sim.load(LESSON_FILES[1]))  # the two-neuron chain of seed 004
    shown = []
    for phase in range(1, len(window.snapshot.phases) + 1):
        window.run.step_phase()
        qtbot.waitUntil(lambda p=phase: window.run.trail.position == p - 1 and len(
            window.run.trail.kept) == p and window.snapshot.last_phase is not None, timeout=5000)
        expected = explain.caption(window.snapshot, 0)
        assert window.captions.title.text() == notation.rich(expected.title)
        assert window.captions.lines == expected.lines
        assert window.captions.body.text() == "<br>".join(map(notation.rich, expected.lines))
        shown.append("\n".join(window.captions.lines))
    text = "\n".join(shown)
    for number in ("0.6023", "0.7153", "0.09476", "0.01021", "0.4272"):  # seed 004's walk
        assert number in text


# ---------------------------------------------------------------------------- files

def test_save_then_open_reproduces_the_trajectory_bit_for_bit(make_window, qtbot, tmp_path):
    lesson = sim.load(LESSON_FILES[0])
    window = make_window(lesson)
    window.run.worker.run_steps(7)
    wait_step(qtbot, window, 7)
    path = tmp_path / "saved.json"
    window.document.save_to(path)
    qtbot.waitUntil(lambda: window.document.path == path, timeout=5000)
    assert not window.document.dirty and "*" not in window.windowTitle()
    window.run.reset()
    wait_step(qtbot, window, 0)
    assert window.run.open(path)
    wait_step(qtbot, window, 7)
    window.run.worker.run_steps(5)
    wait_step(qtbot, window, 12)
    uninterrupted = sim.Trainer(lesson)
    uninterrupted.run(steps=12)
    assert theta_of(window.snapshot).tobytes() == uninterrupted.network.theta.tobytes()


def test_a_failed_save_leaves_the_old_file_intact_and_says_why(make_window, qtbot, tmp_path,
                                                                monkeypatch):
    window = make_window(lessons.load_lesson())
    path = tmp_path / "saved.json"
    window.document.save_to(path)
    qtbot.waitUntil(lambda: path.exists() and not window.document.dirty, timeout=5000)
    before = path.read_bytes()
    window.run.worker.run_steps(3)
    wait_step(qtbot, window, 3)

    def failing_fsync(fd):  # the disk fills up halfway through the write
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sim.experiment.os, "fsync", failing_fsync)
    window.document.save_to(path)
    qtbot.waitUntil(lambda: bool(make_window.dialogs), timeout=5000)
    assert taken_messages(make_window) == [f"cannot write {path}: No space left on device"]
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name != path.name
            and not p.name.startswith("settings")] == []  # no temporary file left behind


def test_a_broken_file_names_the_field_and_changes_nothing(make_window, qtbot, tmp_path):
    window = make_window(lessons.load_lesson())
    window.run.worker.run_steps(4)
    wait_step(qtbot, window, 4)
    document = json.loads(LESSON_FILES[0].read_text())
    document["optimizer"]["learning_rate"] = -0.5
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))
    name = window.run.experiment.name
    window.run.open(broken)  # read by the worker, not here
    qtbot.waitUntil(lambda: bool(make_window.dialogs), timeout=5000)
    errors = taken_messages(make_window)
    assert len(errors) == 1 and "optimizer.learning_rate" in errors[0]
    assert "\n" not in errors[0]
    qtbot.wait(200)
    assert window.run.experiment.name == name and window.snapshot.step == 4
    assert window.run.worker.idle and window.run.up_to_date  # and nothing new to show


def test_csv_import_names_the_bad_row_and_column_then_imports_a_good_table(make_window, qtbot,
                                                                           tmp_path):
    from gui.csv_dialog import CsvImportDialog

    window = make_window(lessons.load_lesson())
    bad = tmp_path / "bad.csv"
    bad.write_text("size,rooms,price\n50,2,100\n70,x,150\n")
    dialog = CsvImportDialog(bad, partial(window.run.import_csv, bad), window)
    qtbot.addWidget(dialog)
    assert dialog.preview.rowCount() == 2 and dialog.chosen_targets() == ["price"]
    assert dialog.caption.text() == "The 2 rows of bad.csv:"
    dialog.try_import()  # the training process checks the table; OK waits meanwhile
    assert not dialog.ok_button.isEnabled() and dialog.checking.text()
    qtbot.waitUntil(lambda: bool(dialog.error.text()), timeout=5000)
    assert 'row 3, column "rooms"' in dialog.error.text() and dialog.experiment is None
    assert dialog.ok_button.isEnabled() and not dialog.checking.text()
    good = tmp_path / "good.csv"
    good.write_text("size,rooms,price\n50,2,100\n70,3,150\n90,4,210\n40,1,80\n65,2,120\n")

    def run_dialog(d: CsvImportDialog) -> bool:
        d.try_import()
        qtbot.waitUntil(lambda: d.experiment is not None or bool(d.error.text()), timeout=5000)
        return d.experiment is not None
    window.document.ask_csv_path = lambda: good
    window.document.run_dialog = run_dialog
    window.document.import_csv()
    qtbot.waitUntil(lambda: window.snapshot.experiment.data.kind == "csv", timeout=5000)
    assert window.snapshot.input_names == ("size", "rooms")
    assert window.snapshot.output_names == ("price",)
    assert window.document.dirty and window.document.path is None


def test_a_csv_import_cancelled_while_the_table_is_checked_changes_nothing(make_window, qtbot,
                                                                          tmp_path):
    from gui.csv_dialog import CsvImportDialog

    window = make_window(lessons.load_lesson())
    table = tmp_path / "table.csv"
    table.write_text("size,rooms,price\n50,2,100\n70,3,150\n90,4,210\n")
    answers = []  # the training process's experiment, when it comes

    def importer(targets, fraction, standardize, imported, refused):
        window.run.import_csv(table, targets, fraction, standardize,
                              lambda experiment: (answers.append(experiment),
                                                  imported(experiment)), refused)
    dialog = CsvImportDialog(table, importer, window)
    qtbot.addWidget(dialog)
    dialog.try_import()
    dialog.reject()  # Cancel before the answer
    qtbot.waitUntil(lambda: len(answers) == 1, timeout=5000)
    assert dialog.experiment is None and dialog.result() == CsvImportDialog.DialogCode.Rejected
    assert window.run.experiment.data.kind != "csv"


@pytest.mark.parametrize("which", ["canvas", "plots"])
def test_pictures_export_as_png_and_svg(make_window, qtbot, tmp_path, which):
    window = make_window(lessons.load_lesson())
    window.run.worker.run_steps(20)
    wait_step(qtbot, window, 20)
    window.document.ask_image_path = lambda: (tmp_path / f"{which}.svg", 1.0)
    window.document.export_view(which)
    svg = (tmp_path / f"{which}.svg").read_text()
    assert svg.startswith("<?xml") and "<svg" in svg and len(svg) > 2000
    window.document.ask_image_path = lambda: (tmp_path / f"{which}.png", 1.5)
    window.document.export_view(which)
    assert image_is_drawn(tmp_path / f"{which}.png")


def test_the_history_exports_as_csv_with_one_row_per_step(make_window, qtbot, tmp_path):
    window = make_window(lessons.load_lesson())
    window.run.worker.run_steps(30)
    wait_step(qtbot, window, 30)
    target = tmp_path / "history.csv"
    window.document.ask_save_path = lambda *args: target
    window.document.export_history()
    qtbot.waitUntil(target.exists, timeout=5000)
    lines = target.read_text().splitlines()
    assert lines[0].startswith("from_step,to_step,statistic,step,epoch,loss")
    assert [int(line.split(",")[0]) for line in lines[1:]] == list(range(1, 31))


# ---------------------------------------------------------------------------- side by side

def test_side_by_side_runs_move_together_and_stop_with_the_window(make_window, qtbot):
    plain = sim.load(LESSON_FILES[0])
    momentum = plain.replace(optimizer=dataclasses.replace(plain.optimizer, momentum=0.9),
                             name="XOR with momentum")
    window = make_window(plain)
    window.run.start_comparison(momentum)
    qtbot.waitUntil(lambda: window.run.snapshot_b is not None, timeout=5000)
    assert window.comparison_dock.isVisible()
    for expected in (1, 2, 3):
        qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)  # step
        qtbot.waitUntil(lambda e=expected: window.snapshot.step == e
                        and window.run.snapshot_b.step == e, timeout=5000)
    a, b = window.snapshot, window.run.snapshot_b
    reference_a, reference_b = sim.Trainer(plain), sim.Trainer(momentum)
    reference_a.run(steps=3)
    reference_b.run(steps=3)
    assert theta_of(a).tobytes() == reference_a.network.theta.tobytes()
    assert theta_of(b).tobytes() == reference_b.network.theta.tobytes()
    assert not np.array_equal(theta_of(a), theta_of(b))  # momentum really differs
    worker = window.run.worker_b
    window.force_close = True
    window.close()
    assert not worker.isRunning()


def test_comparing_with_a_file_from_the_menu(make_window, qtbot, tmp_path):
    """"Compare with…" reads the chosen file on the worker: a broken one says why and changes
    nothing; a good one runs as B, and A starts again beside it."""
    window = make_window(sim.load(LESSON_FILES[0]))
    window.run.worker.run_steps(5)
    wait_step(qtbot, window, 5)
    document = json.loads(LESSON_FILES[1].read_text())
    document["network"]["inputs"] = "two"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))
    window.comparison.ask_path = lambda: broken
    window.action("compare").trigger()
    qtbot.waitUntil(lambda: bool(make_window.dialogs), timeout=5000)
    errors = taken_messages(make_window)
    assert len(errors) == 1 and errors[0].startswith("broken.json: network.inputs")
    assert window.run.worker_b is None and not window.comparison_dock.isVisible()
    assert window.run.worker.status().snapshot.step == 5  # A was not started again
    window.comparison.ask_path = lambda: LESSON_FILES[1]
    window.action("compare").trigger()
    qtbot.waitUntil(lambda: window.run.snapshot_b is not None, timeout=5000)
    assert window.run.snapshot_b.experiment == sim.load(LESSON_FILES[1])
    assert window.comparison_dock.isVisible()
    wait_step(qtbot, window, 0)


# ---------------------------------------------------------------------------- pictures

def test_the_boundary_and_the_landscape_of_a_selected_weight_are_drawn(make_window, qtbot):
    from gui.canvas import Selection

    window = make_window(sim.load(lessons.lesson_dir() / "spiral.json"))
    window.views_dock.show()
    window.views_dock.raise_()
    data = window.views.data_panel
    qtbot.waitUntil(lambda: data.image.image is not None, timeout=5000)
    assert data.image.image.shape[2] == 3
    assert data.samples_shown() == window.snapshot.train_size
    window.views.setCurrentIndex(1)  # the landscape tab: only the tab on show is computed
    window.canvas.select(Selection("weight", 2, 0, 1))
    window.views.use_selected()
    window.run.worker.run_steps(5)
    wait_step(qtbot, window, 5)
    qtbot.waitUntil(lambda: window.views.curve.xData is not None and window.views.now.data[
        "x"].size == 1 and window.views.now.data["x"][0] == window.snapshot.layers[1].W[0, 1],
        timeout=5000)
    current = window.snapshot.layers[1].W[0, 1]
    assert window.views.now.data["x"][0] == current
    assert notation.rich("Showing: w⁽²⁾₁₂.") in window.views.choice.text()


def test_checking_gradients_from_the_menu_reports_agreement(make_window, qtbot):
    window = make_window(sim.load(lessons.lesson_dir() / "gradient-check.json"))
    window.action("gradcheck").trigger()
    qtbot.waitUntil(lambda: bool(window.last_gradient_check), timeout=10000)
    expected = sim.Trainer(window.run.experiment).gradcheck().summary()
    assert window.last_gradient_check == expected and expected.endswith(": ok")
    assert expected in window.statusBar().currentMessage()


def test_every_lesson_opens_from_the_lessons_menu(make_window, qtbot):
    window = make_window(lessons.load_lesson())
    menu = next(action.menu() for action in window.menuBar().actions()
                if action.text() == "&Lessons")
    recurrent, _ = lessons.recurrent_section()  # open in a window of their own: see
    # tests/test_gui_recurrent.py
    entries = [action for section in menu.actions() if section.text() != recurrent
               for action in section.menu().actions()]
    assert len(entries) == len(LESSON_FILES)
    for action in entries:
        action.trigger()
        qtbot.waitUntil(lambda a=action: window.run.experiment.name == a.text()
                        and window.snapshot.experiment.name == a.text(), timeout=5000)
        assert window.lesson.label.text().count("<p>") >= 1  # its guidance is on show


# ---------------------------------------------------------------------------- settings

def test_theme_colour_maps_scale_and_recent_files_persist(make_window, qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from gui.window import MainWindow

    settings_file = str(tmp_path / "persisted.ini")
    first = MainWindow(lessons.load_lesson(),
                       settings=QSettings(settings_file, QSettings.Format.IniFormat))
    first.presentation.set_theme("projector")
    first.presentation.set_scheme("purple-green")
    first.presentation.set_scale(2.5)
    saved = tmp_path / "run.json"
    first.document.save_to(saved)
    qtbot.waitUntil(lambda: first.document.path == saved, timeout=5000)
    first.force_close = True
    first.close()
    first.settings.sync()
    second = MainWindow(lessons.load_lesson(),
                        settings=QSettings(settings_file, QSettings.Format.IniFormat))
    second.resize(1920, 1080)  # a window that holds 2.5x (a smaller one caps the scale)
    try:
        assert second.presentation.theme == "projector"
        assert second.canvas.scheme == "purple-green"
        assert second.presentation.current_scale() == 2.5
        assert second.document.recent()[0] == str(saved.resolve())
        second.presentation.set_on(True)
        assert second.style_.name == "projector" and second.style_.scale == 2.5
        node = second.canvas.palette_colours()[0]
        assert tuple(node) == tuple(sim.palette.PURPLE_GREEN["weight"][0])
    finally:
        second.force_close = True
        second.close()


def test_a_lesson_with_explicit_weights_can_change_its_architecture(make_window, qtbot):
    from PySide6.QtWidgets import QSpinBox

    window = make_window(sim.load(lessons.lesson_dir() / "seed003-walkthrough.json"))
    window.confirm_rebuild = lambda: True
    units = window.controls.layers_box.itemAt(0).widget().findChild(QSpinBox)
    units.setValue(4)
    qtbot.waitUntil(lambda: window.snapshot.layers[0].units == 4, timeout=5000)
    assert window.controls.error.text() == ""
    assert window.snapshot.layers[0].fan_in == 2 and window.snapshot.layers[1].fan_in == 4


def test_the_end_of_an_earlier_epoch_does_not_end_a_later_run(make_window, qtbot):
    window = make_window(lessons.load_lesson())
    window.run.step_epoch()
    # That epoch ends, and its end is reported, before the GUI looks again (this thread
    # waits without running the event loop).
    assert window.run.worker.wait_idle(timeout=30)
    start = window.snapshot.epoch + 1  # the epoch stepped is not shown yet
    window.run.run_epochs(50)
    qtbot.waitUntil(lambda: not window.run_status.progress.isVisible(), timeout=20000)
    qtbot.waitUntil(lambda: window.snapshot.epoch == start + 50, timeout=5000)


def test_the_network_picture_goes_to_the_clipboard(make_window, qtbot):
    from PySide6.QtWidgets import QApplication

    window = make_window(lessons.load_lesson())
    QApplication.clipboard().clear()
    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    image = QApplication.clipboard().image()
    assert image.width() == 2 * window.canvas.width()  # twice the size, for slides
    colours = {image.pixel(x, y) for x in range(0, image.width(), 9)
               for y in range(0, image.height(), 9)}
    assert len(colours) > 20


def test_a_file_dropped_on_the_window_opens(make_window, qtbot):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    window = make_window(lessons.load_lesson())
    path = LESSON_FILES[2]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.run.experiment.name == sim.load(path).name, timeout=5000)
    assert event.isAccepted()


def test_a_learning_rate_edit_keeps_a_lessons_explicit_weights_and_applies_live(make_window,
                                                                               qtbot):
    window = make_window(sim.load(lessons.lesson_dir() / "gradient-descent-z2x-one-point.json"))
    asked = []
    window.confirm_rebuild = lambda: asked.append(True) or False
    rate = window.run.experiment.optimizer.learning_rate
    window.controls.fields["learning_rate"].setValue(2 * rate)
    qtbot.waitUntil(lambda: window.snapshot.experiment.optimizer.learning_rate == 2 * rate,
                    timeout=5000)
    assert asked == []  # no rebuild was needed
    assert window.run.experiment.network == sim.load(
        lessons.lesson_dir() / "gradient-descent-z2x-one-point.json").network


def test_saving_from_the_unsaved_changes_question_waits_for_the_file(make_window, qtbot,
                                                                    tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    window = make_window(lessons.load_lesson())
    window.run.worker.run_steps(3)
    wait_step(qtbot, window, 3)
    monkeypatch.setattr(QMessageBox, "question",
                        staticmethod(lambda *args: QMessageBox.StandardButton.Save))
    window.document.ask_save_path = lambda *args: tmp_path / "kept"
    assert window.document.may_discard()  # answered only once the file is written
    assert sim.load(tmp_path / "kept.json").state is not None
    window.document.ask_save_path = lambda *args: tmp_path / "missing" / "kept.json"
    window.document.path = None
    window.document.dirty = True
    assert not window.document.may_discard()  # the save failed: nothing may be let go
    qtbot.waitUntil(lambda: bool(make_window.dialogs), timeout=5000)
    errors = taken_messages(make_window)
    assert errors and "cannot write" in errors[0]
