"""The main window, the app's composition root: the canvas in the middle; controls, plots,
inspector and captions in docks; the actions, menus and toolbar; and the wiring between them.

Training is the run controller's (gui.run), the file the document's (gui.files), the looks
the presentation's (gui.presentation), side by side the comparison's (gui.compare); the
window builds them, connects their signals to the views and shows what they say.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings, Qt, QTimer, Slot
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolBar,
    QWidget,
)

import sim
from sim import lessons, notation, palette
from sim.address import ParameterAddress
from sim.lesson_view import play_speed
from sim.recurrent_experiment import load_any
from sim.snapshot import Snapshot

from .actions import ActionSpec, Entries, fill, make_actions
from .activation_panel import ActivationPanel
from .canvas import NetworkCanvas, Selection
from .compare import Comparison
from .controls import ControlPanel
from .desktop_entry import icon_path
from .files import Document
from .health_plots import HealthPlots
from .health_views import HealthViews
from .inspector import Inspector
from .lesson_panel import LessonPanel
from .many_seeds import ManySeedsPanel, ManySeedsView
from .motion import PhaseMotion
from .neuron_maps import NeuronMapPanel, NeuronMapsView
from .paths_panel import PathsPanel
from .phases import CaptionPanel
from .plots import LivePlots
from .presentation import CaptionRoom, LectureLayout, Presentation
from .quiz import Quiz
from .recorder import RecordingControl
from .recurrent_window import RecurrentWindow
from .run import RunController
from .run_views import RunViews
from .shortcuts import ShortcutSheet
from .speed import SpeedControl
from .status import RunStatus, message_box_text, status_line_text
from .style import Style, primary_button_sheet
from .views_panel import ViewsPanel

FRAME_MS = 16
PATHS_HEIGHT = 42  # per cent of the window's height the Paths panel takes when shown
TOOLBAR: Entries = ("play", "step", "back", "phase", "epoch", "reset")
MENUS: tuple[tuple[str, Entries], ...] = (
    ("&File", ("new", "open", "recent", None, "save", "save_as", None, "import_csv", None,
               "export_canvas", "export_plots", "export_history", "copy_canvas", None, "record",
               None, "quit")),
    ("&Training", ("play", "step", "phase", "back", "epoch", "run_epochs", "reset",
                   "gradcheck", None, "quiz")),
    ("&View", ("mode", "lock_colours", "paths", "neuron_maps", "compare", "stop_comparing", None,
               "presentation", "larger", "smaller", "full_screen", "reduced_motion", None,
               "themes", "colour_maps", None, "Controls", "Data and landscape", "Neuron map",
               "Plots", "Health", "Inspector", "Activation", "Many seeds", "Lesson", "Step by step",
               "Paths")),
    ("&Help", ("shortcuts",)),
)


class MainWindow(QMainWindow):
    """Backprop Studio's window: it builds the app's parts and connects them."""

    def __init__(self, experiment: sim.Experiment, settings: QSettings | None = None,
                 path: Path | None = None) -> None:
        super().__init__()
        self.setWindowIcon(QIcon(str(icon_path())))
        self.settings = settings or QSettings()
        self.force_close = False  # close without asking about unsaved changes (quit-after)
        self.recurrent_windows: list[RecurrentWindow] = []  # recurrent files opened from here
        self.last_gradient_check = ""  # the last "check gradients" result, as shown
        self.confirm_rebuild = self._ask_rebuild  # tests replace this to answer at once
        self.opened_view = experiment.view  # the view the window last opened on (open_view)
        self.run = RunController(experiment, self)
        self.presentation = Presentation(self, self.settings)
        self.style_ = self.presentation.style()
        self._views_and_panels(experiment)
        self.quiz = Quiz(self.run, self.captions.quiz, self)
        self.quiz.follow_lesson(experiment)
        self.run_views = RunViews(self.run, self.canvas, self.inspector, self.captions,
                                  self.plots, self.views, self.paths, self.quiz, self)
        self.health_views = HealthViews(self.run, self.canvas, self.health, self.activations,
                                        self)
        self.many_seeds = ManySeedsView(self.run, self.many_seeds_panel, self)
        self.neuron_maps = NeuronMapsView(self.run, self.canvas, self.neuron_map_panel,
                                          self.style_, self)
        self.document = Document(self, self.settings, self.run,
                                 {"canvas": self.canvas, "plots": self.plots})
        self.sheet = ShortcutSheet(self)
        self.recording = RecordingControl({"window": self, "canvas": self.canvas}, self)
        self._docks()
        self.comparison = Comparison(self.run, self.style_, self)
        self.comparison_dock = self._dock("Side by side", self.comparison.panel,
                                          Qt.DockWidgetArea.LeftDockWidgetArea)
        # It shares the left side with the controls (a tab): the plots keep their room.
        self.tabifyDockWidget(self.controls_dock, self.comparison_dock)
        self.comparison_dock.hide()
        self.lecture_layout = LectureLayout(
            self, [self.controls_dock, self.inspector_dock, self.lesson_dock, self.health_dock,
                   self.activation_dock, self.neuron_map_dock, self.many_seeds_dock],
            self.plots_dock, self.captions_dock, self.views_dock, self.comparison_dock,
            self.plots.emphasise)
        self.caption_room = CaptionRoom(self, self.captions_dock, self.captions,
                                        lambda: self.run.snapshot, self.lecture_layout)
        self.motion = PhaseMotion(parent=self)
        self.motion.set_reduced(self.settings.value("reduced_motion", False) in (True, "true"))
        self._actions = make_actions(self, self._action_table())
        self._toolbar()
        self._menus()
        self.run_status = RunStatus(self.run, self.statusBar(), self.quiz.holding)
        self._connect()
        self.show_neuron_maps(bool(self.settings.value("neuron_maps", True, type=bool)))
        self.setAcceptDrops(True)
        self._restore_layout()
        self.document.opened(path)
        self.open_view(experiment)
        self.apply_style(self.style_)
        self.presentation.set_scheme(self.presentation.scheme)
        self.frame_timer = QTimer(self)
        self.frame_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.frame_timer.timeout.connect(self.tick)
        self._last_tick = time.perf_counter()
        self.ui_latencies: list[float] = []  # how late each frame tick fired (ms)
        self.run.start()
        self.frame_timer.start(FRAME_MS)

    @property
    def snapshot(self) -> Snapshot | None:
        """The snapshot on show (a kept phase, after stepping back)."""
        return self.run.snapshot

    def panel_titles(self) -> list[str]:
        """The titles of the panels (docks) a user can bring to the front."""
        return sorted(dock.objectName() for dock in self.findChildren(QDockWidget))

    def show_panel(self, title: str) -> None:
        """Show the panel (dock) titled ``title`` and bring it to the front of its tabs."""
        dock = next(dock for dock in self.findChildren(QDockWidget)
                    if dock.objectName() == title)
        dock.show()
        dock.raise_()

    def action(self, name: str) -> QAction:
        """The action of the table row ``name`` (see `_action_table`)."""
        return self._actions[name]

    # ------------------------------------------------------------------ building

    def _views_and_panels(self, experiment: sim.Experiment) -> None:
        self.canvas = NetworkCanvas(self.style_)
        self.setCentralWidget(self.canvas)
        self.plots = LivePlots(self.style_)
        self.health = HealthPlots(self.style_)
        self.activations = ActivationPanel(self.style_)
        self.inspector = Inspector(self.style_)
        self.views = ViewsPanel(self.style_)
        self.lesson = LessonPanel()
        self.lesson.show_experiment(experiment)
        self.captions = CaptionPanel(self.style_)
        self.paths = PathsPanel(self.style_)
        self.neuron_map_panel = NeuronMapPanel(self.style_)
        self.many_seeds_panel = ManySeedsPanel(self.style_)
        self.controls = ControlPanel()
        self.controls.set_experiment(experiment)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _docks(self) -> None:
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.controls_dock = self._dock("Controls", self.controls, left)
        self.plots_dock = self._dock("Plots", self.plots, right)
        self.health_dock = self._dock("Health", self.health, right)
        self.tabifyDockWidget(self.plots_dock, self.health_dock)
        self.plots_dock.raise_()
        self.inspector_dock = self._dock("Inspector", self.inspector, right)
        self.captions_dock = self._dock("Step by step", self.captions,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)
        self.paths_dock = self._dock("Paths", self.paths, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.captions_dock, self.paths_dock)
        self.paths_dock.hide()  # until paths are shown
        self.captions_dock.raise_()
        self.views_dock = self._dock("Data and landscape", self.views, left)
        self.tabifyDockWidget(self.controls_dock, self.views_dock)
        self.views_dock.visibilityChanged.connect(self.views.set_on_screen)
        self.neuron_map_dock = self._dock("Neuron map", self.neuron_map_panel, left)
        self.tabifyDockWidget(self.views_dock, self.neuron_map_dock)
        self.neuron_map_dock.visibilityChanged.connect(self.neuron_map_panel.set_on_screen)
        self.controls_dock.raise_()
        self.lesson_dock = self._dock("Lesson", self.lesson, right)
        self.tabifyDockWidget(self.inspector_dock, self.lesson_dock)
        # Beside the plots, not the inspector: its two curves need a plot's height to be read.
        self.activation_dock = self._dock("Activation", self.activations, right)
        self.tabifyDockWidget(self.health_dock, self.activation_dock)
        self.many_seeds_dock = self._dock("Many seeds", self.many_seeds_panel, right)
        self.tabifyDockWidget(self.activation_dock, self.many_seeds_dock)
        self.many_seeds_dock.visibilityChanged.connect(self.many_seeds.set_on_screen)
        self.plots_dock.raise_()
        self.lesson_dock.raise_()  # what to do comes first; a click raises the inspector
        # The side docks run to the bottom edge; the captions sit under the canvas only.
        self.setCorner(Qt.Corner.BottomLeftCorner, left)
        self.setCorner(Qt.Corner.BottomRightCorner, right)
        # The panels a lesson's view may bring to the front (sim.lesson_view.PANELS).
        self.panel_docks = {"controls": self.controls_dock, "plots": self.plots_dock,
                            "inspector": self.inspector_dock, "lesson": self.lesson_dock,
                            "step_by_step": self.captions_dock}
        self._sized = False  # the docks get their first sizes when the window first shows

    def _action_table(self) -> list[ActionSpec]:
        """Every action of the window once, in the order the shortcut sheet lists them."""
        run, d, p = self.run, self.document, self.presentation
        return [
            ActionSpec("presentation", "Presentation mode", p.toggle, ("F5",),
                       "Large type and lines for a projector; hides the controls and the "
                       "inspector", checkable=True),
            ActionSpec("larger", "Larger", p.larger, ("Ctrl++", "Ctrl+="),
                       "Scale everything up (presentation mode)"),
            ActionSpec("smaller", "Smaller", p.smaller, ("Ctrl+-",),
                       "Scale everything down (presentation mode)"),
            ActionSpec("full_screen", "Full screen", p.toggle_full_screen, ("F11",)),
            ActionSpec("new", "New", d.new, ("Ctrl+N",),
                       "Start a new experiment from the XOR lesson"),
            ActionSpec("open", "Open…", d.open, ("Ctrl+O",)),
            ActionSpec("save", "Save", d.save, ("Ctrl+S",),
                       "Save the experiment with its trained weights"),
            ActionSpec("save_as", "Save As…", d.save_as, ("Ctrl+Shift+S",)),
            ActionSpec("export_canvas", "Export network picture…",
                       lambda: d.export_view("canvas"), ("Ctrl+P",),
                       "The network as PNG (choose a scale) or SVG"),
            ActionSpec("export_plots", "Export plots picture…", lambda: d.export_view("plots"),
                       ("Ctrl+Shift+P",)),
            ActionSpec("export_history", "Export history as CSV…", d.export_history,
                       ("Ctrl+Shift+H",)),
            ActionSpec("import_csv", "Import CSV data…", d.import_csv, ("Ctrl+I",),
                       "Train on a table of your own: choose the target columns, the rest are "
                       "inputs"),
            ActionSpec("copy_canvas", "Copy network picture", d.copy_canvas, ("Ctrl+Shift+C",),
                       "Copy the network to the clipboard"),
            ActionSpec("record", "Record…", self.recording.toggle, ("Ctrl+Shift+R",),
                       "Record the window or the canvas while you play or step, as an "
                       "animated GIF or an MP4 video for slides; again to stop"),
            ActionSpec("play", "Play", run.toggle_play, ("Space",), "Play or pause training"),
            ActionSpec("step", "Step", run.step, ("Shift+Right",),
                       "One whole iteration: forward, loss, backward, update"),
            # A presenter clicker sends Page Down and Page Up.
            ActionSpec("phase", "Step phase", self.quiz.step_phase, ("Right", "PgDown"),
                       "One phase: a layer forward or backward, loss, clip or update (in quiz "
                       "mode, with a question up: show its answer)"),
            ActionSpec("back", "Step back", run.step_back, ("Left", "PgUp"),
                       "Show the previous phase of this iteration again"),
            ActionSpec("epoch", "Step epoch", run.step_epoch, ("E",),
                       "Train until this epoch ends"),
            ActionSpec("reset", "Reset", run.reset, ("R",),
                       "Start again from the initial weights"),
            ActionSpec("quiz", "Quiz mode", self.quiz.set_on, ("Q",),
                       "Predict, then reveal: before a phase's result is shown, type one of "
                       "its numbers; Enter checks it, Esc shows it", checkable=True),
            ActionSpec("mode", "Next colour mode", self.cycle_mode, ("G",),
                       "Colour edges by weight, gradient or last update"),
            ActionSpec("lock_colours", "Fixed colour range", self.set_range_locked, ("L",),
                       "Keep the gradient and update colours on one absolute range (the "
                       "lesson's, or the first shown) while training goes on; off: the range "
                       f"follows the values on show. A magnitude below "
                       f"{notation.number(palette.TINY)} is drawn as 0, in grey",
                       checkable=True),
            ActionSpec("paths", "Show paths", self.show_paths, ("P",),
                       "The selected weight's gradient for the followed sample as a sum over "
                       "the paths from it to the outputs: on the canvas and in the Paths panel",
                       checkable=True),
            ActionSpec("neuron_maps", "Neuron maps", self.show_neuron_maps, ("M",),
                       "Draw every hidden and output unit as its activation over the inputs "
                       "(one or two inputs, where the nodes have room); hover or click a node "
                       "to enlarge its map in the Neuron map panel", checkable=True),
            ActionSpec("reduced_motion", "Reduced motion", self.set_reduced_motion, (),
                       "Show each phase's result at once, without signals travelling along "
                       "the edges", checkable=True),
            ActionSpec("run_epochs", "Run epochs…", self.ask_run_epochs, ("Shift+E",),
                       "Train a number of epochs, with a progress bar and a cancel button"),
            ActionSpec("gradcheck", "Check gradients numerically", run.check_gradients,
                       ("Ctrl+K",), "Compare every gradient backpropagation computes with "
                       "finite differences (seed 000's idea) at the current weights"),
            ActionSpec("quit", "Quit", self.close, ("Ctrl+Q",)),
            ActionSpec("shortcuts", "Keyboard shortcuts", self.toggle_shortcut_sheet,
                       ("F1", "?"), "Show every shortcut (also ?)"),
            ActionSpec("close_sheet", "Close the shortcut sheet, or skip the quiz's question",
                       self.escape, ("Esc",)),
            ActionSpec("compare", "Compare with…", self.comparison.choose, ("Ctrl+B",),
                       "Train a second configuration side by side with this one, on the same "
                       "axes"),
            ActionSpec("stop_comparing", "Stop comparing", run.stop_comparison,
                       ("Ctrl+Shift+B",)),
        ]

    def _toolbar(self) -> None:
        bar = QToolBar("Training")
        bar.setObjectName("Training")
        bar.setMovable(False)
        self.addToolBar(bar)
        fill(bar, TOOLBAR, self._actions)
        # Play is the first thing to press: the one button drawn as the primary one.
        self.play_button = bar.widgetForAction(self.action("play"))
        self.play_button.setObjectName("primary")
        bar.addSeparator()
        self.speed_control = SpeedControl()
        self.speed, self.speed_label = self.speed_control.slider, self.speed_control.label
        bar.addWidget(self.speed_control)
        bar.addSeparator()
        bar.addWidget(QLabel(" colour edges by "))
        self.mode_box = QComboBox()
        for mode in palette.MODES:
            self.mode_box.addItem(palette.MODE_TITLES[mode], mode)
        bar.addWidget(self.mode_box)
        fill(bar, ("lock_colours",), self._actions)
        self.action("lock_colours").setIconText("fixed range")  # short, for the toolbar
        self.action("lock_colours").setChecked(self.canvas.range_locked)

    def _menus(self) -> None:
        p = self.presentation
        themes, schemes = QMenu("Theme", self), QMenu("Colour maps", self)
        themes.addActions(p.theme_actions.actions())
        schemes.addActions(p.scheme_actions.actions())
        docks = (self.controls_dock, self.views_dock, self.neuron_map_dock, self.plots_dock,
                 self.health_dock, self.inspector_dock, self.activation_dock,
                 self.many_seeds_dock, self.lesson_dock, self.captions_dock, self.paths_dock)
        named: dict[str, QAction | QMenu] = {
            **self._actions, "recent": self.document.recent_menu, "themes": themes,
            "colour_maps": schemes, **{d.objectName(): d.toggleViewAction() for d in docks}}
        for title, entries in MENUS:
            fill(self.menuBar().addMenu(title), entries, named)
        lesson_menu = self.menuBar().addMenu("&Lessons")
        keys = {path: number for number, path in enumerate(lessons.lesson_files()[:9], start=1)}
        for title, paths in [*lessons.lesson_sections(), lessons.recurrent_section()]:
            section = lesson_menu.addMenu(title)
            for path in paths:
                section.addAction(self._lesson_action(path, keys.get(path)))

    def _lesson_action(self, path: Path, key: int | None) -> QAction:
        """A Lessons menu entry; the first nine lessons also open with the keys 1 to 9."""
        try:
            title = load_any(path).name
        except sim.ExperimentError as error:
            title = f"{path.name} (broken: {error})"
        action = QAction(title, self)
        if key is not None:
            action.setShortcut(QKeySequence(str(key)))
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.triggered.connect(lambda _=False, p=path: self.run.open(p))
        self.addAction(action)
        return action

    def _open_recurrent(self, path: Path) -> None:
        """A recurrent network opens in a window of its own (gui.recurrent_window); this one
        keeps its experiment."""
        window = RecurrentWindow(path)
        window.resize(self.size())
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.recurrent_windows.append(window)
        window.destroyed.connect(lambda _=None, w=window: self.recurrent_windows.remove(w))
        window.show()

    def _connect(self) -> None:
        run = self.run
        run.playing_changed.connect(self._playing_changed)
        run.playing_changed.connect(self.caption_room.set_playing)
        run.shown.connect(self._follow_motion)  # after the views: the quiz has decided
        self.quiz.release.connect(self._follow_motion)  # a phase held back, revealed
        run.walking_changed.connect(self.lecture_layout.set_walking)
        run.shown.connect(self._plots_on_slide)
        run.walking_changed.connect(self.caption_room.set_walking)
        # Step back only while it has a phase to go back to (not after a whole step)
        run.can_step_back_changed.connect(self.action("back").setEnabled)
        self.action("back").setEnabled(run.can_step_back)
        self.motion.changed.connect(self.canvas.set_pulses)
        _application().installEventFilter(self.motion)  # a key press completes the motion
        self.action("reduced_motion").setChecked(self.motion.reduced)
        run.loaded.connect(self._loaded)
        run.comparison_started.connect(self._comparison_started)
        run.comparison_stopped.connect(self.comparison_dock.hide)
        run.comparison_stopped.connect(self._rearrange)
        run.checked.connect(self._gradient_checked)
        run.error.connect(self.show_error)
        run.recurrent_opened.connect(self._open_recurrent)
        self.recording.recording_changed.connect(
            lambda on: self.action("record").setText("Stop recording" if on else "Record…"))
        self.recording.ended.connect(lambda result: self.statusBar().showMessage(result, 30000))
        self.document.error.connect(self.show_error)
        self.document.changed.connect(self.update_title)
        self.presentation.toggled.connect(self._presentation_toggled)
        self.presentation.style_changed.connect(self.apply_style)
        self.presentation.scheme_changed.connect(self.canvas.set_scheme)
        self.presentation.scheme_changed.connect(self.comparison.canvas.set_scheme)
        self.presentation.scheme_changed.connect(self.neuron_maps.set_scheme)
        self.canvas.selection_changed.connect(self._raise_inspector)
        self.inspector.paths_requested.connect(lambda: self.show_paths(True))
        self.quiz.on_changed.connect(self.action("quiz").setChecked)
        self.quiz.release.connect(self.run_status.show)
        self.action("quiz").setChecked(self.quiz.on)  # a lesson may have turned it on
        self.paths_dock.toggleViewAction().toggled.connect(self._paths_dock_toggled)
        self.controls.experiment_edited.connect(self._experiment_edited)
        self.speed_control.speed_changed.connect(run.set_speed)
        self.mode_box.currentIndexChanged.connect(
            lambda index: self.set_mode(self.mode_box.itemData(index)))
        run.shown.connect(self._show_mode)
        run.walking_changed.connect(lambda _: self._show_mode())

    def show_at(self, width: int, height: int) -> None:
        """Show the window at this size. The size is given again once the window shows: until
        then its docks have not taken their places (tabs), and the smallest height they ask
        for can exceed the height asked for (1280 x 720 opened 745 lines high)."""
        self.resize(width, height)
        self.show()
        layout = self.layout()
        if layout is not None:
            layout.activate()
        self.resize(width, height)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        screen = self.screen()
        if screen is not None:  # the motion runs at the display's frame rate
            self.motion.set_frame_rate(screen.refreshRate())
        if not self._sized and not self._layout_restored:
            self._sized = True  # sizes given before the window has its own are not kept
            # Every experiment opens on its pictures (see _raise_view_docks).
            experiment = self.run.experiment
            if not self.run.comparing:  # else its dock is the one to see
                self._raise_view_docks(experiment)
            self.resizeDocks([self.plots_dock, self.inspector_dock], [3, 1],
                             Qt.Orientation.Vertical)
            self.resizeDocks([self.controls_dock, self.plots_dock],
                             [self.width() * 22 // 100, self.width() * 29 // 100],
                             Qt.Orientation.Horizontal)

    # ------------------------------------------------------------------ the user asks

    @Slot()
    def ask_run_epochs(self) -> None:
        count, ok = QInputDialog.getInt(self, "Run epochs", "How many epochs?", 100, 1, 10**6)
        if ok:
            self.run.run_epochs(count)

    @Slot()
    def cycle_mode(self) -> None:
        modes = palette.MODES
        self.set_mode(modes[(modes.index(self.canvas.mode) + 1) % len(modes)])

    def set_mode(self, mode: str) -> None:
        self.canvas.set_mode(mode)
        self._show_mode()

    @Slot()
    def _show_mode(self) -> None:
        """The combo box says what the edges show: while walking phases, the phase's own
        quantity (a backward phase's gradients), and it waits until the walk ends."""
        shown = self.canvas.shown_mode
        forced = shown != self.canvas.mode
        self.mode_box.blockSignals(True)
        self.mode_box.setCurrentIndex(self.mode_box.findData(shown))
        self.mode_box.blockSignals(False)
        self.mode_box.setEnabled(not forced)
        self.mode_box.setToolTip(
            "While you step phase by phase, each phase colours the edges by what it computed; "
            "Play or Step to choose again" if forced else "What the edges' colours show (G)")

    @Slot(bool)
    def set_range_locked(self, locked: bool) -> None:
        self.canvas.set_range_locked(locked)
        self.action("lock_colours").setChecked(locked)

    @Slot(bool)
    def show_paths(self, shown: bool) -> None:
        """Show the selected weight's paths (the canvas highlights them, the Paths panel lists
        them), or stop showing them."""
        self.action("paths").setChecked(shown)
        self.run_views.set_paths_shown(shown)
        if shown:
            self.paths_dock.show()
            self.paths_dock.raise_()
            # The list needs room: about the lower two fifths of the window.
            self.resizeDocks([self.paths_dock], [self.height() * PATHS_HEIGHT // 100],
                             Qt.Orientation.Vertical)

    @Slot(bool)
    def show_neuron_maps(self, shown: bool) -> None:
        """Draw the neuron maps on the canvas's nodes and in their panel, or not (kept in the
        settings)."""
        self.action("neuron_maps").setChecked(shown)
        self.neuron_maps.set_shown(shown)
        self.settings.setValue("neuron_maps", shown)

    def show_paths_of(self, address: ParameterAddress) -> None:
        """Select a weight or bias and show its paths."""
        layer, unit, source = address
        self.canvas.select(Selection("bias" if source is None else "weight", layer, unit,
                                     source))
        self.show_paths(True)

    @Slot(bool)
    def _paths_dock_toggled(self, visible: bool) -> None:
        if not visible and self.run_views.paths_shown:  # the panel was closed
            self.show_paths(False)

    @Slot(bool)
    def set_reduced_motion(self, reduced: bool) -> None:
        """No signals travelling along the edges (kept in the settings)."""
        self.motion.set_reduced(reduced)
        self.action("reduced_motion").setChecked(reduced)
        self.settings.setValue("reduced_motion", reduced)

    @Slot(object)
    def _follow_motion(self, snapshot: Snapshot) -> None:
        """Set the pulses of a phase stepped to off, when it is shown: a phase the quiz holds
        back behind its question sets off when the answer reveals it."""
        if self.quiz.holding(snapshot):
            self.motion.finish()
            return
        self.motion.follow(snapshot, self.run.walking and not self.run.playing)

    @Slot(object)
    def _experiment_edited(self, experiment: sim.Experiment) -> None:
        if sim.experiment.live_compatible(self.run.experiment, experiment):
            self.run.apply(experiment)
            self.document.set_dirty(True)
        elif self.confirm_rebuild():
            self.run.load(experiment)
        else:
            self.controls.set_experiment(self.run.experiment)

    def _ask_rebuild(self) -> bool:
        answer = QMessageBox.question(
            self, "Rebuild the network?", "This change needs a new network and new data: "
            "training starts again from fresh weights. Continue?")
        return answer == QMessageBox.StandardButton.Yes

    @Slot(object)
    def _raise_inspector(self, selection: Selection | None) -> None:
        if selection is not None:  # the inspector explains what was clicked
            self.inspector_dock.raise_()
        if self.neuron_maps.shown and selection is not None and selection.kind == "node" \
                and selection.layer > 0:  # and the Neuron map panel shows its map large
            self.neuron_map_dock.raise_()

    @Slot()
    def escape(self) -> None:
        """Esc: close the shortcut sheet if it shows, else skip the quiz's question (in the
        answer's box, Esc goes to the box, which skips it too)."""
        if self.sheet.isVisible():
            self.sheet.hide()
        else:
            self.quiz.skip()

    @Slot()
    def toggle_shortcut_sheet(self) -> None:
        if self.sheet.isVisible():
            self.sheet.hide()
        else:
            self.sheet.show_for(self.actions(), self.style_)

    def show_error(self, message: str) -> None:
        """On the status line and in a message box, always as plain text (it may quote a
        file)."""
        self.statusBar().showMessage(status_line_text(message), 15000)
        QMessageBox.warning(self, "Backprop Studio", message_box_text(message))

    # ------------------------------------------------------------------ the run says

    @Slot()
    def tick(self) -> None:
        """One frame of the timer: the newest snapshots and pictures are taken and shown,
        and the plots redraw one of theirs."""
        now = time.perf_counter()
        if self.run.playing and self.snapshot is not None and self.snapshot.stop_event is None:
            # the latency that matters: how late a frame comes while training runs
            self.ui_latencies.append(max(0.0, (now - self._last_tick) * 1000.0 - FRAME_MS))
        if self.motion.driven_by_timer:
            self.motion.advance_seconds(now - self._last_tick)
        self._last_tick = now
        if len(self.ui_latencies) > 20000:
            del self.ui_latencies[:10000]
        self.run.tick()
        self.plots.refresh_next()
        self.health_views.refresh()

    @Slot(bool)
    def _playing_changed(self, playing: bool) -> None:
        self.action("play").setText("Pause" if playing else "Play")

    @Slot(object, object)
    def _loaded(self, experiment: sim.Experiment, source: Path | None) -> None:
        self.controls.set_experiment(experiment)
        self.lesson.show_experiment(experiment)
        self.views.forget()
        if source is None and experiment.view == self.opened_view:  # an edit rebuilt the run
            self.canvas.set_colour_ranges(dict(experiment.view.colour_ranges))
            self.views.open_lesson_view(experiment.view)  # the user's speed and mode stay
        else:
            self.open_view(experiment)
        self._raise_view_docks(experiment)
        if source is not None:  # a file or a lesson: what to do with it comes first
            self.lesson_dock.raise_()
            for name in experiment.view.panels:  # unless the lesson asks for other panels
                self.panel_docks[name].raise_()
        self._rearrange()  # in presentation mode, the new lesson's slide

    def open_view(self, experiment: sim.Experiment) -> None:
        """Open on what the experiment's view asks for (sim.lesson_view): its speed, colour
        mode and fixed colour ranges, its landscape's weights and its followed sample."""
        view = experiment.view
        self.opened_view = view
        self.speed_control.set_lesson_speed(play_speed(view))
        self.set_mode(view.colour)
        self.canvas.set_colour_ranges(dict(view.colour_ranges))
        self.views.open_lesson_view(view)
        self.captions.follow(view.sample)

    def _raise_view_docks(self, experiment: sim.Experiment) -> None:
        """Every experiment opens on its pictures (the data with the network's fit, or the
        landscape or side view a lesson names); then the panels the lesson names."""
        view = experiment.view
        self.views_dock.raise_()
        for name in view.panels:
            self.panel_docks[name].show()
            self.panel_docks[name].raise_()
        if view.many_seeds is not None:  # the lesson is about many seeds: their view in front
            self.many_seeds_dock.show()
            self.many_seeds_dock.raise_()

    def _rearrange(self) -> None:
        """In presentation mode, the slide for the lesson and the comparison now shown."""
        if self.presentation.on:
            self.presentation.rearrange(self._arrange_slide)

    def _arrange_slide(self) -> None:
        self.lecture_layout.arrange(self.run.experiment, self.run.comparing)
        self._many_seeds_on_slide()

    def _many_seeds_on_slide(self) -> None:
        """On a slide (where the lecture layout hides the Many seeds view with the other
        panels), a lesson about many seeds shows their view where the side picture goes, in
        front of it."""
        if self.presentation.on and self.run.experiment.view.many_seeds is not None \
                and not self.run.comparing:
            self.tabifyDockWidget(self.views_dock, self.many_seeds_dock)
            self.many_seeds_dock.show()
            self.many_seeds_dock.raise_()
            # Its curves and histogram take the whole column: the live plots of one run are
            # what the view is there to go beyond.
            self.plots_dock.hide()

    @Slot(object)
    def _plots_on_slide(self, snapshot: Snapshot) -> None:
        """A slide shows the plots from the first step on (before it they are empty axes);
        a lesson about many seeds keeps their view in the plots' place."""
        if self.lecture_layout.set_plotted(bool(snapshot.history)):
            self._many_seeds_on_slide()

    @Slot(object, object)
    def _comparison_started(self, a: sim.Experiment, b: sim.Experiment) -> None:
        self.comparison_dock.show()
        self.comparison_dock.raise_()
        self._rearrange()

    @Slot(str)
    def _gradient_checked(self, summary: str) -> None:
        self.statusBar().showMessage(f"Gradient check: {summary}", 30000)
        self.last_gradient_check = summary

    @Slot()
    def update_title(self) -> None:
        self.setWindowTitle(f"{self.document.title()} — Backprop Studio")

    # ------------------------------------------------------------------ looks

    @Slot(bool)
    def _presentation_toggled(self, on: bool) -> None:
        self.action("presentation").setChecked(on)
        self.lecture_layout.apply(on, self.run.experiment, self.run.comparing)
        self._many_seeds_on_slide()

    @Slot(object)
    def apply_style(self, style: Style) -> None:
        """Give every view the style (theme and scale); presentation mode changes it."""
        self.style_ = style
        font = style.font()
        self.setFont(font)
        for bar in (self.menuBar(), self.statusBar()):
            bar.setFont(font)
        self.run_status.apply_style(style)
        self.play_button.setStyleSheet(primary_button_sheet(style))
        self.canvas.set_style(style)
        self.plots.apply_style(style)
        self.health.apply_style(style)
        self.activations.apply_style(style)
        self.captions.apply_style(style)
        self.paths.apply_style(style)
        self.inspector.setFont(font)
        self.comparison.apply_style(style)
        self.views.apply_style(style)
        self.neuron_maps.apply_style(style)
        self.many_seeds_panel.apply_style(style)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.presentation.refit()
        if self.sheet.isVisible():
            self.sheet.setGeometry(self.rect())

    # ------------------------------------------------------------------ files dropped

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if files and self.document.may_discard():
            self.run.open(files[0])
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
        _application().removeEventFilter(self.motion)
        self.recording.wait()  # the file is complete before the app goes
        self.frame_timer.stop()
        self.run.shutdown()
        super().closeEvent(event)


def _application() -> QCoreApplication:
    """The running application (a window exists only inside one)."""
    app = QApplication.instance()
    if app is None:
        raise RuntimeError("Backprop Studio's window needs a running QApplication")
    return app
