"""File › Record: what the window (or the canvas alone) shows, grabbed at a chosen rate while
the user plays or steps, into an animated GIF or an MP4 (see gui.recording for the encoding).

Frames are grabbed on the GUI thread (QWidget.grab paints the widget into a picture, the one
thing that must happen there) and handed to the encoder's thread; training runs in its own
worker and does not wait for either. The dialog asks for the file and the settings, then shows
the progress and a Stop button; it is a window of its own, so it is never in the recording.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sim.files import path_text

from .recording import (
    DEFAULT_FPS,
    FORMAT_TITLES,
    FORMATS,
    FPS_RANGE,
    SCALE_RANGE,
    FrameEncoder,
    RecordingError,
    RecordingProgress,
    RecordingSpec,
    check,
    output_size,
)
from .style import ERROR_COLOUR

FILE_FILTER = "Animated GIF (*.gif);;MP4 video, H.264 (*.mp4)"
SOURCES = {"window": "the whole window", "canvas": "the network canvas alone"}


def rgb_pixels(image: QImage) -> np.ndarray:
    """``image`` as a height × width × 3 array of RGB bytes (a copy: Qt may reuse its own)."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    rows = np.frombuffer(image.constBits(), np.uint8, count=stride * height)
    return rows.reshape(height, stride)[:, :width * 3].reshape(height, width, 3).copy()


class RecordingControl(QObject):
    """Records one of its widgets ("window" or "canvas") while asked to.

    `start` begins (RecordingError, with nothing started, if it cannot), `stop` ends and
    saves without waiting, `wait` ends and waits until the file is saved. It says so:
    `recording_changed(bool)`, `progressed(RecordingProgress)` while recording and `ended(str)`
    with a one-line result (the file saved, or why not) once the file is written or failed.
    """

    recording_changed = Signal(bool)
    progressed = Signal(object)
    ended = Signal(str)
    _encoder_done = Signal(object, object)  # from the encoder's thread: (encoder, problem)

    def __init__(self, sources: dict[str, QWidget], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sources = sources
        self.spec: RecordingSpec | None = None  # the recording going on, or the last one
        self.last_result = ""  # the last `ended` message
        self.last_problem: str | None = None  # why the last recording failed, if it did
        self._encoder: FrameEncoder | None = None
        self._widget: QWidget | None = None
        self._started = 0.0
        self._last_time = -1  # in frames since the start, of the last frame offered
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._grab)
        self._dialog: RecordDialog | None = None
        self._encoder_done.connect(self._finished)

    @property
    def recording(self) -> bool:
        return self._encoder is not None

    @property
    def progress(self) -> RecordingProgress:
        encoder = self._encoder
        if encoder is None or self.spec is None:
            return RecordingProgress(0, 0, 0.0)
        return RecordingProgress(encoder.frames, encoder.dropped,
                                 max(0, self._last_time) / self.spec.fps)

    def start(self, spec: RecordingSpec) -> None:
        """Start recording ``spec`` (the first frame at once); RecordingError if it cannot be
        recorded or a recording goes on already."""
        if self.recording:
            raise RecordingError("a recording is going on already: stop it first")
        check(spec)
        self._widget = self.sources["canvas" if spec.canvas_only else "window"]
        first = rgb_pixels(self._widget.grab().toImage())
        height, width = first.shape[:2]
        self.spec = spec
        encoder = FrameEncoder(spec, output_size(width, height, spec.scale, spec.kind),
                               done=lambda problem: self._encoder_done.emit(encoder, problem))
        self._encoder = encoder
        self._started = time.perf_counter()
        self._last_time = 0
        encoder.offer(first, 0)
        self._timer.start(max(1, round(1000 / spec.fps)))
        self.recording_changed.emit(True)
        self.progressed.emit(self.progress)

    @Slot()
    def stop(self) -> None:
        """End the recording with one last frame (what shows now); the file is saved on the
        encoder's thread, and `ended` says when."""
        encoder = self._encoder
        if encoder is None:
            return
        self._grab(last=True)
        self._timer.stop()
        encoder.finish()

    def wait(self) -> str | None:
        """End the recording and wait until its file is saved; the problem, or None (also if
        nothing was being recorded)."""
        encoder = self._encoder
        if encoder is None:
            return None
        self.stop()
        problem = encoder.wait()
        self._finished(encoder, problem)
        return problem

    def record_frame(self) -> bool:
        """Offer what shows now as the next frame at once, not waiting for the clock: for a
        recording driven frame by frame (the motion moved on by one frame per frame
        recorded, `PhaseMotion.driven_by_timer` off). False if nothing is being recorded or
        the encoder, being behind, dropped it."""
        if self._encoder is None:
            return False
        taken = self._encoder.frames
        self._grab(last=True)
        return self._encoder is not None and self._encoder.frames > taken

    @Slot()
    def _grab(self, last: bool = False) -> None:
        encoder, spec, widget = self._encoder, self.spec, self._widget
        if encoder is None or spec is None or widget is None:
            return
        elapsed = round((time.perf_counter() - self._started) * spec.fps)
        if elapsed <= self._last_time:
            if not last:
                return  # the timer came early: this frame's time is the last one's
            elapsed = self._last_time + 1
        if encoder.offer(rgb_pixels(widget.grab().toImage()), elapsed):
            self._last_time = elapsed
        self.progressed.emit(self.progress)

    @Slot(object, object)
    def _finished(self, encoder: FrameEncoder, problem: str | None) -> None:
        if encoder is not self._encoder or self.spec is None:
            return  # already reported (`wait`)
        progress = self.progress
        self._encoder = None
        self._timer.stop()
        self.last_problem = problem
        self.last_result = problem or \
            f"Recorded {path_text(self.spec.path)}: {progress.text()}"
        self.recording_changed.emit(False)
        self.ended.emit(self.last_result)

    # ------------------------------------------------------------------ the dialog

    @Slot()
    def toggle(self) -> None:
        """File › Record: stop the recording going on, or ask what to record."""
        if self.recording:
            self.stop()
            return
        if self._dialog is None:
            parent = self.sources["window"]
            self._dialog = RecordDialog(self, parent)
        self._dialog.update_size_note()  # the window may have changed size since
        self._dialog.show()
        self._dialog.raise_()
        self._dialog.activateWindow()

    @property
    def dialog(self) -> RecordDialog | None:
        """The Record dialog, once it was opened."""
        return self._dialog


class RecordDialog(QDialog):
    """The file, format, source, frame rate and scale of a recording; then its progress and a
    Stop button. Not modal: the user plays and steps in the window while it records."""

    def __init__(self, control: RecordingControl, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record")
        self.control = control
        self.path = QLineEdit(str(Path.cwd() / "backprop-studio.gif"))
        self.choose = QPushButton("Choose…")
        self.format = QComboBox()
        for kind, title in FORMAT_TITLES.items():
            self.format.addItem(title, kind)
        self.source = QComboBox()
        for name, title in SOURCES.items():
            self.source.addItem(title, name)
        self.fps = QSpinBox()
        self.fps.setRange(*FPS_RANGE)
        self.fps.setValue(DEFAULT_FPS)
        self.fps.setSuffix(" frames a second")
        self.scale = QDoubleSpinBox()
        self.scale.setRange(*SCALE_RANGE)
        self.scale.setSingleStep(0.25)
        self.scale.setDecimals(2)
        self.scale.setValue(1.0)
        self.scale.setSuffix(" ×")
        self.size_note = QLabel()
        self.message = QLabel("Press Start, then play or step in the window.")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.start_stop = QPushButton("Start")
        self.start_stop.setDefault(True)
        self.close_button = QPushButton("Close")
        self._lay_out()
        self._connect()
        self.update_size_note()

    def _lay_out(self) -> None:
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(self.choose)
        form = QFormLayout()
        form.addRow("File", file_row)
        form.addRow("Format", self.format)
        form.addRow("Record", self.source)
        form.addRow("Frame rate", self.fps)
        form.addRow("Scale", self.scale)
        form.addRow("", self.size_note)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.start_stop)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.setMinimumWidth(480)

    def _connect(self) -> None:
        self.choose.clicked.connect(self._choose_path)
        self.format.currentIndexChanged.connect(self._format_chosen)
        self.path.textEdited.connect(self._path_edited)
        self.source.currentIndexChanged.connect(self.update_size_note)
        self.scale.valueChanged.connect(self.update_size_note)
        self.start_stop.clicked.connect(self._start_or_stop)
        self.close_button.clicked.connect(self.close)
        self.control.progressed.connect(self._progressed)
        self.control.ended.connect(self._ended)
        self.control.recording_changed.connect(self._recording_changed)

    def spec(self) -> RecordingSpec:
        """The recording the dialog's fields describe."""
        return RecordingSpec(Path(self.path.text().strip()).expanduser(), self.fps.value(),
                             round(self.scale.value(), 2),
                             self.source.currentData() == "canvas")

    @Slot()
    def _start_or_stop(self) -> None:
        if self.control.recording:
            self.control.stop()
            self.message.setText("Finishing the file…")
            return
        try:
            self.control.start(self.spec())
        except RecordingError as error:
            self._show_problem(str(error))

    def _show_problem(self, text: str) -> None:
        self.message.setStyleSheet(f"color: {ERROR_COLOUR}")
        self.message.setText(text)

    @Slot(object)
    def _progressed(self, progress: RecordingProgress) -> None:
        self.message.setStyleSheet("")
        self.message.setText(f"Recording: {progress.text()}")

    @Slot(str)
    def _ended(self, result: str) -> None:
        if result.startswith("Recorded"):
            self.message.setStyleSheet("")
            self.message.setText(result)
        else:
            self._show_problem(result)

    @Slot(bool)
    def _recording_changed(self, recording: bool) -> None:
        self.start_stop.setText("Stop" if recording else "Start")
        for field in (self.path, self.choose, self.format, self.source, self.fps, self.scale):
            field.setEnabled(not recording)

    @Slot()
    def _choose_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Record to", self.path.text(),
                                              FILE_FILTER)
        if path:
            self.path.setText(path)
            self._path_edited(path)

    @Slot(int)
    def _format_chosen(self, index: int) -> None:
        """The file's ending follows the format chosen."""
        ending = next(e for e, kind in FORMATS.items() if kind == self.format.itemData(index))
        path = Path(self.path.text().strip())
        if path.name and path.suffix.lower() != ending:
            self.path.setText(str(path.with_suffix(ending)))
        self.update_size_note()

    @Slot(str)
    def _path_edited(self, text: str) -> None:
        """The format follows the file's ending, where it names one."""
        kind = FORMATS.get(Path(text.strip()).suffix.lower())
        if kind is not None:
            self.format.blockSignals(True)
            self.format.setCurrentIndex(self.format.findData(kind))
            self.format.blockSignals(False)
            self.update_size_note()

    @Slot()
    def update_size_note(self) -> None:
        """Say the frame size that the source, its present size and the scale give."""
        widget = self.control.sources[self.source.currentData()]
        pixels = widget.size() * widget.devicePixelRatio()  # as grab() gives them
        width, height = output_size(pixels.width(), pixels.height(), self.scale.value(),
                                    self.format.currentData())
        self.size_note.setText(f"frames of {width} × {height} pixels at the widget's present "
                               "size")
