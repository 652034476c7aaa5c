"""The main window: the canvas in the middle; controls, plots, inspector and captions in docks.

The window sends commands to the training worker and shows the newest Snapshot it publishes.
The file (gui.files) and the presentation style (gui.presentation) are kept by helpers.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Slot
from PySide6.QtGui import (QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence)
from PySide6.QtWidgets import (QComboBox, QDockWidget, QInputDialog, QLabel, QMainWindow,
                               QMessageBox, QProgressBar, QPushButton, QSlider, QToolBar,
                               QWidget)

import sim
from sim import lessons, palette
from sim.snapshot import Snapshot

from .canvas import NetworkCanvas, Selection
from .compare import Comparison
from .controls import ControlPanel
from .files import Document
from .inspector import Inspector
from .lesson_panel import LessonPanel
from .phases import CaptionPanel, PhaseTrail
from .plots import PLOT_INTERVAL_SECONDS, LivePlots
from .presentation import Presentation
from .shortcuts import ShortcutSheet
from .style import Style
from .views_panel import ViewsPanel
from .worker import EventLoopGate, TrainingWorker

FRAME_MS = 16
# While playing, the canvas takes a new snapshot about 30 times a second: the training runs
# only while the GUI is idle, and painting half as often gives it half again as many steps
# (measured: 2-8-8-1 spiral, from 0.36 to about 0.5 of the headless speed).
PLAYING_FRAME_SECONDS = 0.028  # every second tick of the 16 ms timer: 30 frames a second
# Speed slider positions: steps per second, the last one meaning as fast as possible.
SPEEDS = [1, 2, 5, 10, 30, 100, 300, 1000, None]


class MainWindow(QMainWindow):
    """Backprop Studio's window. It shows Snapshots and sends commands to the worker."""

    def __init__(self, experiment: sim.Experiment, settings: QSettings | None = None,
                 path: Path | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings()
        self.experiment = experiment
        self.snapshot: Snapshot | None = None
        self._seen = 0
        self._playing = False
        self._opening: Path | None = None  # a file being loaded by the worker
        self.force_close = False  # close without asking about unsaved changes (quit-after)
        self.last_gradient_check = ""  # the last "check gradients" result, as shown
        self.trail = PhaseTrail()  # the phases of the current iteration, for stepping back
        self._walking = False  # the user is stepping phase by phase
        self.confirm_rebuild = self._ask_rebuild  # tests replace this to answer at once
        self.gate = EventLoopGate(self)
        self.worker = TrainingWorker(experiment, self.gate.idle)
        self.worker.failed.connect(self._worker_failed)
        self.worker.rebuilt.connect(self._worker_rebuilt)
        self.worker.checked.connect(self._gradient_checked)
        self.worker.run_ended.connect(self._run_ended)
        self.presentation = Presentation(self, self.settings)
        self.style_ = self.presentation.style()
        self.canvas = NetworkCanvas(self.style_)
        self.canvas.selection_changed.connect(self._selection_changed)
        self.canvas.edit_requested.connect(self._edit_weight)
        self.setCentralWidget(self.canvas)
        self.plots = LivePlots(self.style_)
        self.inspector = Inspector(self.style_)
        self.views = ViewsPanel(self.style_)
        self.views.wanted_changed.connect(
            lambda boundary, addresses: self.worker.send("views", boundary, addresses))
        self._views_seen = 0
        self.lesson = LessonPanel()
        self.lesson.show_experiment(experiment)
        self.captions = CaptionPanel(self.style_)
        self.captions.sample_changed.connect(self._follow_sample)
        self.controls = ControlPanel()
        self.controls.experiment_edited.connect(self._experiment_edited)
        self.controls.set_experiment(experiment)
        self.document = Document(self, self.settings)
        self.sheet = ShortcutSheet(self)
        self._epoch_target: int | None = None  # "run to epoch N" in progress
        self._run_token = 0  # names each run of epochs, for the worker's report of its end
        self._docks()
        self._actions()
        self.comparison = Comparison(self)
        self._toolbar()
        self._menus()
        self._status()
        self.setAcceptDrops(True)
        self._restore_layout()
        self.document.opened(path)
        self.apply_style(self.style_)
        self.presentation.set_scheme(self.presentation.scheme)
        self.frame_timer = QTimer(self)
        self.frame_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.frame_timer.timeout.connect(self._frame)
        self._last_tick = time.perf_counter()
        self._plotted_at = 0.0
        self._shown_at = 0.0  # when the canvas last took a new snapshot
        self.ui_latencies: list[float] = []  # how late each frame tick fired (ms)
        self.worker.start()
        self.frame_timer.start(FRAME_MS)

    # ------------------------------------------------------------------ layout

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _docks(self) -> None:
        self.controls_dock = self._dock("Controls", self.controls,
                                        Qt.DockWidgetArea.LeftDockWidgetArea)
        self.plots_dock = self._dock("Plots", self.plots, Qt.DockWidgetArea.RightDockWidgetArea)
        self.inspector_dock = self._dock("Inspector", self.inspector,
                                         Qt.DockWidgetArea.RightDockWidgetArea)
        self.captions_dock = self._dock("Step by step", self.captions,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)
        self.views_dock = self._dock("Boundary and landscape", self.views,
                                     Qt.DockWidgetArea.LeftDockWidgetArea)
        self.tabifyDockWidget(self.controls_dock, self.views_dock)
        self.controls_dock.raise_()
        self.lesson_dock = self._dock("Lesson", self.lesson, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.inspector_dock, self.lesson_dock)
        self.lesson_dock.raise_()  # what to do comes first; a click raises the inspector
        # The side docks run to the bottom edge; the captions sit under the canvas only.
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self._sized = False  # the docks get their first sizes when the window first shows

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._sized and not self._layout_restored:
            self._sized = True  # sizes given before the window has its own are not kept
            # A two-input problem opens on its decision boundary, any other on the controls.
            two_inputs = self.experiment.network.inputs == 2
            if not self.comparison.active:  # else its dock is the one to see
                (self.views_dock if two_inputs else self.controls_dock).raise_()
            self.resizeDocks([self.plots_dock, self.inspector_dock], [3, 1],
                             Qt.Orientation.Vertical)
            self.resizeDocks([self.controls_dock, self.plots_dock],
                             [self.width() * 22 // 100, self.width() * 29 // 100],
                             Qt.Orientation.Horizontal)

    def make_action(self, text: str, slot, shortcut: str | QKeySequence | None = None,
                tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.setToolTip(f"{tip or text} ({action.shortcut().toString()})" if shortcut
                          else tip or text)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _actions(self) -> None:
        self.play_action = self.make_action("Play", self.toggle_play, "Space",
                                        "Play or pause training")
        self.step_action = self.make_action("Step", self.step, "Shift+Right",
                                        "One whole iteration: forward, loss, backward, update")
        self.phase_action = self.make_action("Step phase", self.step_phase, "Right",
                                         "One phase: a layer forward or backward, loss, clip "
                                         "or update")
        self.back_action = self.make_action("Step back", self.step_back, "Left",
                                        "Show the previous phase of this iteration again")
        # A presenter clicker sends Page Down and Page Up.
        self.phase_action.setShortcuts([QKeySequence("Right"), QKeySequence("PgDown")])
        self.back_action.setShortcuts([QKeySequence("Left"), QKeySequence("PgUp")])
        self.epoch_action = self.make_action("Step epoch", self.step_epoch, "E",
                                         "Train until this epoch ends")
        self.reset_action = self.make_action("Reset", self.reset, "R",
                                         "Start again from the initial weights")
        self.mode_action = self.make_action("Next colour mode", self.cycle_mode, "G",
                                        "Colour edges by weight, gradient or last update")
        self.run_epochs_action = self.make_action("Run epochs…", self.ask_run_epochs, "Shift+E",
                                                  "Train a number of epochs, with a progress "
                                                  "bar and a cancel button")
        self.gradcheck_action = self.make_action(
            "Check gradients numerically", lambda: self.worker.send("gradcheck"), "Ctrl+K",
            "Compare every gradient backpropagation computes with finite differences "
            "(seed 000's idea) at the current weights")
        self.quit_action = self.make_action("Quit", self.close, "Ctrl+Q")
        self.help_action = self.make_action("Keyboard shortcuts", self.toggle_shortcut_sheet,
                                            "F1", "Show every shortcut (also ?)")
        self.help_action.setShortcuts([QKeySequence("F1"), QKeySequence("?")])
        self.close_sheet_action = self.make_action("Close the shortcut sheet", self.sheet.hide,
                                                   "Esc")

    def _toolbar(self) -> None:
        bar = QToolBar("Training")
        bar.setObjectName("Training")
        bar.setMovable(False)
        self.addToolBar(bar)
        for action in (self.play_action, self.step_action, self.back_action, self.phase_action,
                       self.epoch_action, self.reset_action):
            bar.addAction(action)
        bar.addSeparator()
        bar.addWidget(QLabel(" speed "))
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(0, len(SPEEDS) - 1)
        self.speed.setValue(len(SPEEDS) - 1)
        self.speed.setFixedWidth(140)
        self.speed.valueChanged.connect(self._speed_changed)
        bar.addWidget(self.speed)
        self.speed_label = QLabel(" max ")
        bar.addWidget(self.speed_label)
        bar.addSeparator()
        bar.addWidget(QLabel(" colour edges by "))
        self.mode_box = QComboBox()
        for mode in palette.MODES:
            self.mode_box.addItem(palette.MODE_TITLES[mode], mode)
        self.mode_box.currentIndexChanged.connect(
            lambda index: self.set_mode(self.mode_box.itemData(index)))
        bar.addWidget(self.mode_box)

    def _menus(self) -> None:
        menu = self.menuBar()
        d, p = self.document, self.presentation
        file_menu = menu.addMenu("&File")
        for item in (d.new_action, d.open_action, d.recent_menu, None, d.save_action,
                     d.save_as_action, None, d.import_action, None, d.export_canvas_action,
                     d.export_plots_action, d.export_history_action, d.copy_action, None,
                     self.quit_action):
            _add(file_menu, item)
        train = menu.addMenu("&Training")
        for action in (self.play_action, self.step_action, self.phase_action, self.back_action,
                       self.epoch_action, self.run_epochs_action, self.reset_action,
                       self.gradcheck_action):
            train.addAction(action)
        view = menu.addMenu("&View")
        for item in (self.mode_action, self.comparison.start_action,
                     self.comparison.stop_action, None, p.toggle_action, p.larger_action, p.smaller_action,
                     p.full_screen_action, None):
            _add(view, item)
        themes = view.addMenu("Theme")
        themes.addActions(p.theme_actions.actions())
        view.addMenu("Colour maps").addActions(p.scheme_actions.actions())
        view.addSeparator()
        for dock in (self.controls_dock, self.views_dock, self.plots_dock, self.inspector_dock,
                     self.lesson_dock, self.captions_dock):
            view.addAction(dock.toggleViewAction())
        menu.addMenu("&Help").addAction(self.help_action)
        lesson_menu = menu.addMenu("&Lessons")
        keys = {path: number for number, path in enumerate(lessons.lesson_files()[:9], start=1)}
        for title, paths in lessons.lesson_sections():
            section = lesson_menu.addMenu(title)
            for path in paths:
                section.addAction(self._lesson_action(path, keys.get(path)))

    def _lesson_action(self, path: Path, key: int | None) -> QAction:
        """A Lessons menu entry; the first nine lessons also open with the keys 1 to 9."""
        try:
            title = sim.load(path).name
        except sim.ExperimentError as error:
            title = f"{path.name} (broken: {error})"
        action = QAction(title, self)
        if key is not None:
            action.setShortcut(QKeySequence(str(key)))
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        self.addAction(action)
        return action

    def _status(self) -> None:
        self.status_label = QLabel()
        self.statusBar().addPermanentWidget(self.status_label, 1)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(240)
        self.cancel_run = QPushButton("Cancel")
        self.cancel_run.clicked.connect(lambda: self.set_playing(False))
        for widget in (self.progress, self.cancel_run):
            self.statusBar().addPermanentWidget(widget)
            widget.hide()

    # ------------------------------------------------------------------ commands

    def send(self, command: str, *args) -> None:
        """A command to the training run, and to the side-by-side run if there is one."""
        self.worker.send(command, *args)
        self.comparison.send(command, *args)

    @Slot()
    def toggle_play(self) -> None:
        self.set_playing(not self._playing)

    def set_playing(self, playing: bool) -> None:
        self._playing = playing
        if playing:
            self._set_walking(False)
        elif self._epoch_target is not None:
            self._end_run()
        self.send("play" if playing else "pause")
        self.play_action.setText("Pause" if playing else "Play")

    @Slot()
    def step(self) -> None:
        self.set_playing(False)
        self._set_walking(False)
        self.send("step")

    @Slot()
    def step_phase(self) -> None:
        """The next phase: a kept one if the user stepped back, else the trainer's next."""
        self.set_playing(False)
        self._set_walking(True)
        kept = self.trail.forward()
        if kept is not None:
            self._display(kept)
        else:
            self.worker.send("step_phase")

    @Slot()
    def step_back(self) -> None:
        """Show the previous phase of this iteration again (nothing is recomputed)."""
        self.set_playing(False)
        self._set_walking(True)
        kept = self.trail.back()
        if kept is not None:
            self._display(kept)

    @Slot()
    def step_epoch(self) -> None:
        self.set_playing(False)
        self._set_walking(False)
        self.send("epoch")

    @Slot()
    def reset(self) -> None:
        self.set_playing(False)
        self._set_walking(False)
        self.send("reset")

    def _set_walking(self, walking: bool) -> None:
        self._walking = walking
        self.canvas.set_phase_view(walking)
        if self.trail.shown is not None:
            self.captions.show_snapshot(self.trail.shown, walking)

    @Slot(int)
    def _follow_sample(self, sample: int) -> None:
        self.canvas.set_sample(sample)
        if self.trail.shown is not None:
            self._display(self.trail.shown)

    @Slot()
    def cycle_mode(self) -> None:
        modes = palette.MODES
        self.set_mode(modes[(modes.index(self.canvas.mode) + 1) % len(modes)])

    def set_mode(self, mode: str) -> None:
        self.canvas.set_mode(mode)
        index = self.mode_box.findData(mode)
        if index != self.mode_box.currentIndex():
            self.mode_box.setCurrentIndex(index)

    @Slot(int)
    def _speed_changed(self, position: int) -> None:
        speed = SPEEDS[position]
        self.speed_label.setText(" max " if speed is None else f" {speed}/s ")
        self.send("speed", speed)

    def open_path(self, path: Path) -> bool:
        """Open an experiment or lesson file; a broken file changes nothing and says why."""
        try:
            experiment = sim.load(path)
        except sim.ExperimentError as error:
            self.show_error(f"{path.name}: {error}")
            return False
        self._opening = path
        self.load_experiment(experiment)
        return True

    @Slot()
    def ask_run_epochs(self) -> None:
        count, ok = QInputDialog.getInt(self, "Run epochs", "How many epochs?", 100, 1, 10**6)
        if ok:
            self.run_epochs(count)

    def run_epochs(self, count: int) -> None:
        """Train ``count`` epochs at full speed, showing progress; Cancel or Space stops."""
        self.set_playing(False)
        self._set_walking(False)
        start = self.snapshot.epoch if self.snapshot is not None else 0
        self._epoch_target = start + count
        self.progress.setRange(start, self._epoch_target)
        self.progress.setValue(start)
        self.progress.show()
        self.cancel_run.show()
        self._playing = True  # so that the plots throttle and Space pauses
        self.play_action.setText("Pause")
        self._run_token += 1
        self.send("epoch", count, self._run_token)

    def _end_run(self) -> None:
        self._epoch_target = None
        self.progress.hide()
        self.cancel_run.hide()

    def load_experiment(self, experiment: sim.Experiment) -> None:
        self.set_playing(False)
        self._set_walking(False)
        self.canvas.select(None)
        self.worker.send("load", experiment)

    def show_error(self, message: str) -> None:
        self.statusBar().showMessage(message, 15000)
        QMessageBox.warning(self, "Backprop Studio", message)

    # ------------------------------------------------------------------ from the views

    @Slot(object)
    def _experiment_edited(self, experiment: sim.Experiment) -> None:
        if sim.trainer.live_compatible(self.experiment, experiment):
            self.experiment = experiment
            self.worker.send("apply", experiment)
            self.document.set_dirty(True)
        elif self.confirm_rebuild():
            self.load_experiment(experiment)
        else:
            self.controls.set_experiment(self.experiment)

    def _ask_rebuild(self) -> bool:
        answer = QMessageBox.question(
            self, "Rebuild the network?", "This change needs a new network and new data: "
            "training starts again from fresh weights. Continue?")
        return answer == QMessageBox.StandardButton.Yes

    @Slot(object)
    def _selection_changed(self, selection: Selection | None) -> None:
        self.inspector.update_view(self.snapshot, selection, self.canvas.sample_row())
        weight = selection is not None and selection.kind in ("weight", "bias")
        self.views.set_selected(selection.address if weight else None)
        if selection is not None:
            self.inspector_dock.raise_()

    @Slot(object)
    def _edit_weight(self, item: Selection) -> None:
        if self.snapshot is None:
            return
        ls = self.snapshot.layers[item.layer - 1]
        current = float(ls.b[item.j] if item.kind == "bias" else ls.W[item.j, item.i])
        name = f"b_{item.j + 1}" if item.kind == "bias" else f"w_{item.j + 1},{item.i + 1}"
        value, ok = QInputDialog.getDouble(self, "Edit weight",
                                           f"New value of {name} in layer {item.layer}:",
                                           current, -1e6, 1e6, 6)
        if ok:
            self.worker.send("edit", item.layer, item.j,
                             None if item.kind == "bias" else item.i, value)

    @Slot(int)
    def _run_ended(self, token: int) -> None:
        if self._epoch_target is not None and token == self._run_token:
            self.set_playing(False)

    @Slot(str)
    def _gradient_checked(self, summary: str) -> None:
        self.statusBar().showMessage(f"Gradient check: {summary}", 30000)
        self.last_gradient_check = summary

    @Slot(str)
    def _worker_failed(self, details: str) -> None:
        self.show_error("Training stopped because of an internal error:\n\n" +
                        details.strip().splitlines()[-1])

    @Slot(object)
    def _worker_rebuilt(self, result: object) -> None:
        opening, self._opening = self._opening, None
        if isinstance(result, str):
            self.show_error(result)
            return
        self.experiment = result
        self.controls.set_experiment(result)
        self.lesson.show_experiment(result)
        self.views.forget()
        if opening is not None:
            self.lesson_dock.raise_()
            self.document.opened(opening)
        else:  # the controls changed the network or the data: a new, unsaved experiment
            self.document.set_dirty(True)
            self.update_title()

    # ------------------------------------------------------------------ frames

    @Slot()
    def _frame(self) -> None:
        now = time.perf_counter()
        training = self._playing and self.snapshot is not None and self.snapshot.stop_event \
            is None
        if training:  # the latency that matters: how late a frame comes while training runs
            self.ui_latencies.append(max(0.0, (now - self._last_tick) * 1000.0 - FRAME_MS))
        self._last_tick = now
        if len(self.ui_latencies) > 20000:
            del self.ui_latencies[:10000]
        self.comparison.frame(self._playing)
        views = self.worker.views(self._views_seen)
        if views is not None:
            self._views_seen, shown = views
            inputs = self.snapshot.layers[0].fan_in if self.snapshot else 0
            self.views.show_views(shown.boundary, shown.landscape, shown.problem, inputs)
        due = not self._playing or now - self._shown_at >= PLAYING_FRAME_SECONDS
        newest = self.worker.latest(self._seen) if due else None
        if newest is None:
            self.plots.refresh_next()
            return
        self._seen, snapshot = newest
        self._shown_at = now
        self.show_snapshot(snapshot)
        self.plots.refresh_next()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        """A new snapshot from the worker: kept for stepping back, drawn everywhere."""
        self.trail.add(snapshot)
        self._display(snapshot)
        now = time.perf_counter()
        if not self._playing:
            self.plots.set_snapshot(snapshot)
            self.plots.refresh_all()
        elif now - self._plotted_at >= PLOT_INTERVAL_SECONDS:
            self.plots.set_snapshot(snapshot)  # its plots then redraw one per frame
            self._plotted_at = now
        self._update_status(snapshot)
        self.document.note_step(snapshot.step)
        if self._epoch_target is not None:  # the worker says when the run ends
            self.progress.setValue(min(snapshot.epoch, self._epoch_target))
        self.stop_when_all_stopped()

    def stop_when_all_stopped(self) -> None:
        """Play ends when the run stops by itself (and the side-by-side run too, if any)."""
        if self._playing and self.snapshot is not None and \
                self.snapshot.stop_event is not None and not self.comparison.running:
            self.set_playing(False)

    def _display(self, snapshot: Snapshot) -> None:
        """Show one snapshot on the canvas, the inspector and the caption panel."""
        self.snapshot = snapshot
        self.canvas.set_snapshot(snapshot)
        self.inspector.update_view(snapshot, self.canvas.selection, self.canvas.sample_row())
        if self._walking or not self._playing:
            self.captions.show_snapshot(snapshot, self._walking)

    def _update_status(self, s: Snapshot) -> None:
        loss = "—" if s.loss is None else f"{s.loss:.6g}"
        seconds = s.train_seconds
        rate = f"{s.history_steps / seconds:,.0f} steps/s" if seconds > 0.05 else ""
        phase = "" if s.at_boundary or s.last_phase is None else f"   phase: {s.last_phase}"
        self.status_label.setText(f"step {s.step}   epoch {s.epoch}   loss {loss}   {rate}"
                                  f"{phase}")

    def update_title(self) -> None:
        self.setWindowTitle(f"{self.document.title()} — Backprop Studio")

    # ------------------------------------------------------------------ looks

    def apply_style(self, style: Style) -> None:
        """Give every view the style (theme and scale); presentation mode changes it."""
        self.style_ = style
        font = style.font()
        self.setFont(font)
        for bar in (self.menuBar(), self.statusBar()):
            bar.setFont(font)
        self.status_label.setFont(style.font(1.2, bold=True))
        self.canvas.set_style(style)
        self.plots.apply_style(style)
        self.captions.apply_style(style)
        self.inspector.setFont(font)
        self.comparison.apply_style(style)
        self.views.apply_style(style)

    @Slot()
    def toggle_shortcut_sheet(self) -> None:
        if self.sheet.isVisible():
            self.sheet.hide()
        else:
            self.sheet.show_for(self.actions(), self.style_)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.sheet.isVisible():
            self.sheet.setGeometry(self.rect())

    # ------------------------------------------------------------------ files dropped

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        files = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if files and self.document.may_discard():
            self.open_path(files[0])
            event.acceptProposedAction()

    # ------------------------------------------------------------------ settings

    def _restore_layout(self) -> None:
        geometry, state = self.settings.value("geometry"), self.settings.value("window_state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self._layout_restored = isinstance(state, QByteArray) and self.restoreState(state)

    def _save_layout(self) -> None:
        if self.presentation.on:  # remember the everyday layout, not the lecture one
            self.presentation.set_on(False)
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())

    # ------------------------------------------------------------------ closing

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.force_close and not self.document.may_discard():
            event.ignore()
            return
        self._save_layout()
        self.frame_timer.stop()
        self.gate.detach()  # the worker must be able to finish its step and see "quit"
        self.worker.shutdown()
        self.comparison.stop()
        super().closeEvent(event)


def _add(menu, item) -> None:
    """A menu entry: an action, a submenu, or None for a separator."""
    if item is None:
        menu.addSeparator()
    elif isinstance(item, QAction):
        menu.addAction(item)
    else:
        menu.addMenu(item)
