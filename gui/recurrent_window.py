"""The window of a recurrent experiment: the network unrolled in time, the gradient through
time, and a click-through of one step, forward along time and backward through it.

The app opens it instead of the main window when the file's network is recurrent. Its trainer
runs in a process of its own (`gui.recurrent_session`), as a dense one's does; the window asks
for steps and draws the frames that come back. The dense window's side pictures (neuron maps,
paths, the loss landscape) are drawn for dense networks and do not apply here; the caption
panel says so.
"""

from __future__ import annotations

import contextlib
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QFont,
    QFontMetrics,
    QKeySequence,
    QResizeEvent,
    QTextDocumentFragment,
)
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QSizePolicy,
    QSplitter,
    QTextBrowser,
    QToolBar,
    QWidget,
)

from sim import lessons
from sim.notation import rich
from sim.recurrent_experiment import RecurrentExperiment, load
from sim.schema import ExperimentError
from sim.unrolled import WalkPoint, walk

from .lesson_panel import LessonPanel
from .presentation import suggested_scale
from .recurrent_session import STATUS_SEPARATOR, RecurrentFrame, serve
from .unrolled_canvas import TimeGradientPlot, UnrolledCanvas
from .worker import start_process

POLL_MS = 15  # how often the window looks for the training process's answer
FASTEST = (20, 10)  # without a lesson's speed: 10 steps a request, every 20 ms at most
BODY_POINTS = 10.0  # the captions' type at scale 1, as the main window's body text
PICTURE_SHARE_OF_SCALE = 2.0 / 3.0  # the unrolled network scales less than the text
TEXT_SHARE = 0.28  # of the window's width: the lesson and the captions
TEXT_SHARE_PRESENTING = 0.36  # in larger type
PLOT_SHARE = 0.4  # of the pictures' height: the gradient through time under the network
PLOT_SHARE_PRESENTING = 0.33  # the network's larger type takes room from its columns
NOT_APPLICABLE = ("Neuron maps, weight paths and the loss landscape are drawn for dense "
                  "networks; they do not apply to a recurrent one.")


def status_lines(text: str, metrics: QFontMetrics, width: int) -> str:
    """``text`` in one line of ``width`` pixels, or else two, broken after the last of its
    " · "-separated parts that fits on the first; what the second cannot hold is elided."""
    if metrics.horizontalAdvance(text) <= width:
        return text
    parts = text.split(STATUS_SEPARATOR)
    first = parts[0]
    taken = 1
    while taken < len(parts) and \
            metrics.horizontalAdvance(first + STATUS_SEPARATOR + parts[taken]) <= width:
        first += STATUS_SEPARATOR + parts[taken]
        taken += 1
    rest = STATUS_SEPARATOR.join(parts[taken:])
    lines = [metrics.elidedText(line, Qt.TextElideMode.ElideRight, width)
             for line in (first, rest) if line]
    return "\n".join(lines)


def play_rate(speed: float | None) -> tuple[int, int]:
    """(milliseconds between requests, steps a request) that play ``speed`` steps a second."""
    if speed is None:
        return FASTEST
    interval = max(FASTEST[0], round(1000.0 / speed))
    return interval, max(1, round(speed * interval / 1000.0))


class RecurrentRunner(QObject):
    """Starts the training process and relays: one request out, one frame back."""

    received = Signal(object)  # a RecurrentFrame
    failed = Signal(str)  # one line: the file could not be trained, or the process ended

    def __init__(self, source: RecurrentExperiment | Path,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        import multiprocessing

        self._connection, child = multiprocessing.Pipe()
        self._process: BaseProcess | None = start_process(serve, (child, source))
        child.close()
        self.waiting = True  # the process sends its first frame unasked
        self._pending: tuple[Any, ...] | None = None  # to send once the answer comes
        self.ended = False  # the process has ended (or refused the file): nothing to ask
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._poll)
        self._timer.start(POLL_MS)

    def request(self, *request: Any) -> bool:
        """Send a request, or if one is still unanswered keep it to send once the answer
        comes (replacing any kept before: the newest wins); False if the process has gone."""
        if self.ended:
            return False
        if self.waiting:
            self._pending = request
            return True
        self._connection.send(request)
        self.waiting = True
        return True

    def cancel_pending(self) -> None:
        """Forget a request kept to be sent (a step asked for by Play, once paused)."""
        self._pending = None

    def _poll(self) -> None:
        connection: Connection = self._connection
        try:
            while connection.poll():
                message = connection.recv()
                self.waiting = False
                if isinstance(message, str):  # the file could not be trained
                    self._timer.stop()
                    self.ended = True
                    self.failed.emit(message)
                    return
                pending, self._pending = self._pending, None
                if pending is not None:
                    self.request(*pending)
                self.received.emit(message)
        except (EOFError, OSError):
            self._timer.stop()
            self.ended = True
            self.failed.emit("the training process ended unexpectedly")

    def shutdown(self) -> None:
        self._timer.stop()
        process, self._process = self._process, None
        if process is None:
            return
        self.ended = True
        with contextlib.suppress(OSError):  # already gone
            self._connection.send(("stop",))
        process.join(0.5)
        if process.is_alive():
            process.kill()
            process.join(0.5)
        self._connection.close()


class RecurrentWindow(QMainWindow):
    """The unrolled canvas and the time-gradient plot on the left; on the right the lesson's
    text above the captions of a click-through."""

    def __init__(self, source: RecurrentExperiment | Path,
                 parent: QWidget | None = None) -> None:
        """``source``: an experiment, or a file its training process reads."""
        super().__init__(parent)
        self.setWindowTitle(f"Backprop Studio — {source.name}")
        self.frame: RecurrentFrame | None = None
        self.walk_index: int | None = None  # the click-through's point; None: the whole step
        self.playing = False
        self._walk_next_frame = False
        self._steps_per_request = 1  # while playing
        self.canvas = UnrolledCanvas()
        self.plot = TimeGradientPlot()
        self.lesson = LessonPanel()
        self._lesson_shown: tuple[str, str] | None = None  # (name, description) on the panel
        self.captions = QTextBrowser()
        self.status = QLabel()
        # As wide as the bar leaves it, whatever its text: _show_status fits the text to it.
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.status_text = "starting the training process…"
        self.statusBar().addWidget(self.status, 1)
        self.panes = self._build_panes()
        self.setCentralWidget(self.panes)
        self.presenting = False
        self.text_scale = 1.0
        self._build_toolbar()
        self._build_lessons_menu()
        self._play_timer = QTimer(self)
        self._play_timer.timeout.connect(self._play_tick)
        self.failure: str | None = None  # why the file could not be trained
        self.runner = self._start(source)
        self._show_captions()

    def _build_panes(self) -> QSplitter:
        """The pictures on the left (the network over its gradient through time); on the
        right what to read: the lesson, then the step's captions."""
        self.pictures = pictures = QSplitter(Qt.Orientation.Vertical)
        pictures.addWidget(self.canvas)
        pictures.addWidget(self.plot)
        pictures.setStretchFactor(0, 3)
        pictures.setStretchFactor(1, 2)
        pictures.setSizes([round(1000 * (1 - PLOT_SHARE)), round(1000 * PLOT_SHARE)])
        texts = QSplitter(Qt.Orientation.Vertical)
        texts.addWidget(self.lesson)
        texts.addWidget(self.captions)
        texts.setSizes([650, 350])
        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(pictures)
        main.addWidget(texts)
        main.setStretchFactor(0, 5)
        main.setStretchFactor(1, 2)
        main.setSizes([round(1000 * (1 - TEXT_SHARE)), round(1000 * TEXT_SHARE)])
        return main

    def _start(self, source: RecurrentExperiment | Path) -> RecurrentRunner:
        runner = RecurrentRunner(source, self)
        runner.received.connect(self._show_frame)
        runner.failed.connect(self._failed)
        return runner

    def open_lesson(self, path: Path) -> None:
        """Train the lesson at ``path`` in this window, from step 0, instead of the present
        experiment."""
        if self.playing:
            self.toggle_play()
        self.runner.shutdown()
        self.runner.deleteLater()
        self.frame, self.walk_index, self.failure = None, None, None
        self._walk_next_frame = False
        self._lesson_shown = None
        self.lesson.label.clear()  # until the new lesson's text comes (a broken file's: none)
        self.canvas.set_picture(None, None)
        self.plot.set_norms(np.empty(0), np.empty(0))
        self.setWindowTitle(f"Backprop Studio — {path.name}")
        self._set_status("starting the training process…")
        self.runner = self._start(path)
        self._show_captions()

    def _build_toolbar(self) -> None:
        self.toolbar = bar = QToolBar("Training")
        self.addToolBar(bar)
        self.actions_by_name: dict[str, QAction] = {}
        for name, text, keys, slot in (
                ("play", "Play", "Space", self.toggle_play),
                ("step", "Step", "S", self.step),
                ("next_phase", "Next phase", "N", self.next_phase),
                ("reset", "Reset", "Ctrl+R", self.reset),
                ("presentation", "Presentation mode", "F5", self.toggle_presentation)):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(slot)
            bar.addAction(action)
            self.actions_by_name[name] = action
        self.actions_by_name["presentation"].setCheckable(True)

    def _build_lessons_menu(self) -> None:
        """The recurrent lessons, as the main window's Lessons menu lists them; each opens
        here (the lessons' texts send the reader from one to another)."""
        title, paths = lessons.recurrent_section()
        self.lessons_menu = self.menuBar().addMenu("&Lessons")
        section = self.lessons_menu.addMenu(title)
        for path in paths:
            try:
                name = load(path).name
            except ExperimentError as error:
                name = f"{path.name} (broken: {error})"
            section.addAction(name).triggered.connect(
                lambda _=False, p=path: self.open_lesson(p))

    # ------------------------------------------------------------------ presentation mode

    def toggle_presentation(self) -> None:
        self.set_presentation(not self.presenting)

    def set_presentation(self, on: bool) -> None:
        """Large type for a projector, as the main window's presentation mode: text at the
        scale that suits the window's height (2x at 1080 lines), the plot's and the unrolled
        network's too, but the network itself drawn at two thirds of it, so that its columns
        keep their room; the text column on the right wider for the larger type."""
        self.presenting = on
        self.actions_by_name["presentation"].setChecked(on)
        self.text_scale = suggested_scale(self.height()) if on else 1.0
        self.canvas.set_scale(max(1.0, self.text_scale * PICTURE_SHARE_OF_SCALE),
                              self.text_scale)
        share = TEXT_SHARE_PRESENTING if on else TEXT_SHARE
        self.panes.setSizes([round(self.width() * (1 - share)), round(self.width() * share)])
        share = PLOT_SHARE_PRESENTING if on else PLOT_SHARE
        self.pictures.setSizes([round(self.height() * (1 - share)),
                                round(self.height() * share)])
        self.plot.set_scale(self.text_scale)
        for widget in (self.lesson, self.captions, self.status, self.toolbar, self.menuBar()):
            font = QFont(self.font())
            font.setPointSizeF(BODY_POINTS * self.text_scale)
            font.setBold(widget is self.status and on)
            widget.setFont(font)
        self._show_status()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.presenting:  # the scale the new height holds
            self.set_presentation(True)
        else:
            self._show_status()

    def _set_status(self, text: str) -> None:
        self.status_text = text
        self._show_status()

    def _show_status(self) -> None:
        """The status line, on two lines if one cannot hold it (broken between its parts),
        the second elided at its end if the window is too narrow even for two."""
        self.status.setText(status_lines(self.status_text, QFontMetrics(self.status.font()),
                                         max(10, self.status.width())))

    @property
    def lesson_text(self) -> str:
        """The lesson panel's text, as a reader sees it."""
        return QTextDocumentFragment.fromHtml(self.lesson.label.text()).toPlainText()

    # ------------------------------------------------------------------ what a user does

    def toggle_play(self) -> None:
        self.playing = not self.playing
        self.actions_by_name["play"].setText("Pause" if self.playing else "Play")
        if self.playing:
            self.walk_index = None
            interval, self._steps_per_request = play_rate(
                None if self.frame is None else self.frame.speed)
            self._play_timer.start(interval)
        else:
            self._play_timer.stop()
            self.runner.cancel_pending()

    def step(self) -> None:
        """One whole step, shown whole."""
        if self.runner.request("steps", 1):
            self.walk_index = None

    def next_phase(self) -> None:
        """The click-through's next point; past the last (or before any), a new step."""
        frame = self.frame
        points = self._points()
        if frame is None or frame.picture is None or self.walk_index is None or \
                self.walk_index + 1 >= len(points):
            # a new step to walk through; a press while one is computed waits for nothing
            if not self.runner.waiting and self.runner.request("steps", 1):
                self._walk_next_frame = True
            return
        self.walk_index += 1
        self._show_walk()

    def reset(self) -> None:
        if self.playing:
            self.toggle_play()
        if self.runner.request("reset"):
            self.walk_index = None

    def _play_tick(self) -> None:
        frame = self.frame
        if frame is not None and frame.stopped:
            self.toggle_play()
            return
        if not self.runner.waiting:
            self.runner.request("steps", self._steps_per_request)

    # ------------------------------------------------------------------ showing

    def _points(self) -> list[WalkPoint]:
        frame = self.frame
        if frame is None or frame.picture is None:
            return []
        return walk(frame.picture.steps)

    def _failed(self, message: str) -> None:
        self.failure = message
        self._set_status(message)
        self.captions.setPlainText(message)

    def _show_frame(self, frame: RecurrentFrame) -> None:
        self.frame = frame
        self.setWindowTitle(f"Backprop Studio — {frame.name}")
        if self._lesson_shown != (frame.name, frame.description):  # else it keeps its scroll
            self._lesson_shown = (frame.name, frame.description)
            self.lesson.show_lesson(frame.name, frame.description)
        self._set_status(frame.status)
        if self._walk_next_frame:
            self._walk_next_frame = False
            self.walk_index = 0 if frame.picture is not None else None
        self._show_walk()

    def _show_walk(self) -> None:
        frame = self.frame
        if frame is None:
            return
        points = self._points()
        point = None if self.walk_index is None or not points else points[self.walk_index]
        self.canvas.set_picture(frame.picture, point)
        if frame.picture is not None:
            self.plot.set_norms(frame.picture.time_grad_norms, frame.picture.cell_grad_norms,
                                point)
        self._show_captions()

    def _show_captions(self) -> None:
        """The caption of the click-through's point, names' subscripts as real subscripts (as
        the main window's captions draw them)."""
        frame = self.frame
        parts: list[str] = []
        if frame is None or not frame.captions:
            parts.append("<p>Press <b>Step</b> (S) to train one step and see the network "
                         "unrolled in time, or <b>Next phase</b> (N) to walk through a step: "
                         "forward along time, the loss, then backward through time.</p>")
        elif self.walk_index is None:
            first = frame.captions[0]
            parts.append(f"<p><b>{rich(first.title)}</b><br>"
                         f"{'<br>'.join(map(rich, first.lines))}</p>")
            parts.append("<p>Press <b>Next phase</b> (N) to walk through the next step: forward "
                         "along time, the loss, then backward through time, each with its "
                         "numbers.</p>")
        else:
            caption = frame.captions[self.walk_index]
            parts.append(f"<p><b>{rich(caption.title)}</b> "
                         f"({self.walk_index + 1} of {len(frame.captions)})</p>")
            parts.extend(f"<p>{rich(line)}</p>" for line in caption.lines)
        parts.append(f"<p style='color:#777'>{NOT_APPLICABLE}</p>")
        self.captions.setHtml("".join(parts))

    @property
    def caption_text(self) -> str:
        """The caption panel's text, as a reader sees it."""
        return self.captions.toPlainText()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._play_timer.stop()
        self.runner.shutdown()
        super().closeEvent(event)
