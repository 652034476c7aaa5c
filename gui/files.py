"""The window's file: new, open, save (with the trained state), recent files, exports.

Saving goes through the worker, which owns the trainer: it writes the experiment with its
resume state atomically (a temporary file, then a rename), so a failed save never damages the
previous file. Every file the window writes (saves, the history, pictures) follows the rules
of `sim.files`: only a regular file is ever replaced, and a read-only one only after the user
agreed. Lessons open as untitled copies: saving one asks for a new name.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QEventLoop,
    QIODevice,
    QObject,
    QPoint,
    QSettings,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QInputDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QWidget,
)

import sim
from sim import lessons
from sim.files import WriteError, is_read_only, path_text, write_atomic
from sim.snapshot import Snapshot

from .csv_dialog import CsvImportDialog
from .run import RunController
from .status import message_box_text

RECENT_LIMIT = 8
EXPERIMENT_FILTER = "Experiments (*.json)"
IMAGE_FILTER = "PNG image (*.png);;SVG drawing (*.svg)"


def png_bytes(image: QImage) -> bytes:
    """``image`` as a PNG file's bytes."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # The stubs type the format as bytes, but PySide6 (6.11) refuses bytes and takes a str.
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    return bytes(buffer.data().data())


def widget_image(widget: QWidget, scale: float = 1.0) -> QImage:
    """The widget drawn at ``scale`` times its size (sharp, not enlarged pixels)."""
    image = QImage(widget.size() * scale, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(scale)
    image.fill(0)
    widget.render(image)
    return image


def svg_bytes(widget: QWidget, title: str) -> bytes | None:
    """The widget drawn as an SVG file's bytes; None if it could not be drawn."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(widget.size())
    generator.setViewBox(widget.rect())
    generator.setTitle(title)
    painter = QPainter()
    if not painter.begin(generator):
        return None
    widget.render(painter, QPoint())
    if not painter.end():
        return None
    return bytes(buffer.data().data())


class Document(QObject):
    """What file the window shows, whether it has unsaved changes, and the file actions.

    Files are read and written by run A's worker, through the run controller; ``pictures``
    are the widgets that export as pictures ("canvas", "plots"); ``host`` is the window that
    dialogs belong to and whose status bar says what was done."""

    changed = Signal()  # the title (file name, unsaved mark, experiment name) may differ
    error = Signal(str)  # a picture that could not be written, and why

    def __init__(self, host: QMainWindow, settings: QSettings, run: RunController,
                 pictures: Mapping[str, QWidget]) -> None:
        super().__init__(host)
        self.host = host
        self.settings = settings
        self.run = run
        self.pictures = pictures
        self.path: Path | None = None  # None: untitled (a new experiment or a lesson)
        self.dirty = False
        self.clean_step: int | None = None  # the step saved or opened (None: the next shown)
        self._saving_as: Path | None = None  # where a pending save goes
        # Tests replace these to answer dialogs at once.
        self.confirm_discard = self._ask_discard
        self.confirm_replace_read_only = self._ask_replace_read_only
        self.ask_save_path = self._ask_save_path
        self.ask_image_path = self._ask_image_path
        self.ask_csv_path = self._ask_csv_path
        self.run_dialog = lambda dialog: dialog.exec() == CsvImportDialog.DialogCode.Accepted
        self.recent_menu = QMenu("Open Recent")
        self._fill_recent()
        run.written.connect(self._written)
        run.received.connect(self._note_step)
        run.loaded.connect(self._loaded)

    # ------------------------------------------------------------------ state

    def title(self) -> str:
        name = self.path.name if self.path else "untitled"
        return f"{'*' if self.dirty else ''}{name} — {self.run.experiment.name}"

    def set_dirty(self, dirty: bool) -> None:
        if dirty != self.dirty:
            self.dirty = dirty
            self.changed.emit()

    def opened(self, path: Path | None) -> None:
        """A file (None: a lesson or a new experiment) is now shown, with no changes yet."""
        self.path = path if path is not None and not _is_lesson(path) else None
        if self.path is not None:
            self._remember(self.path)
        self.dirty = False
        self.clean_step = None
        self.changed.emit()

    @Slot(object)
    def _note_step(self, snapshot: Snapshot) -> None:
        """Training moved the weights away from the file's (the first step seen is clean)."""
        if self.clean_step is None:
            self.clean_step = snapshot.step
        elif snapshot.step != self.clean_step:
            self.set_dirty(True)

    @Slot(object, object)
    def _loaded(self, experiment: sim.Experiment, source: Path | None) -> None:
        if source is not None:
            self.opened(source)
        else:  # the controls changed the network or the data: a new, unsaved experiment
            self.set_dirty(True)
            self.changed.emit()  # the experiment's name may be new

    # ------------------------------------------------------------------ actions

    @Slot()
    def new(self) -> None:
        if self.may_discard():
            self.run.open(lessons.lesson_files()[0])

    @Slot()
    def open(self) -> None:
        if not self.may_discard():
            return
        start = str(self.path.parent if self.path else Path.cwd())
        path, _ = QFileDialog.getOpenFileName(self.host, "Open experiment", start,
                                              EXPERIMENT_FILTER)
        if path:
            self.run.open(Path(path))

    @Slot()
    def save(self) -> None:
        if self.path is None:
            self.save_as()
        else:
            self.save_to(self.path)

    @Slot()
    def save_as(self) -> None:
        path = self._chosen_save_path()
        if path is not None:
            self.save_to(path)

    def _chosen_save_path(self) -> Path | None:
        """Where the user wants the experiment saved (".json" added if no suffix was typed)."""
        path = self.ask_save_path()
        if path is None or path.suffix:
            return path
        return path.with_suffix(".json")

    def save_to(self, path: Path) -> bool:
        """Ask the worker to save to ``path`` (a read-only file only if the user agrees);
        whether it was asked."""
        replace_read_only = self._may_replace(path)
        if replace_read_only is None:
            return False
        self._saving_as = path
        self.run.save(path, replace_read_only)
        return True

    def _may_replace(self, path: Path) -> bool | None:
        """Whether a write to ``path`` may replace a read-only file there (False: there is
        none); None if there is one and the user would rather keep it."""
        if not is_read_only(path):
            return False
        return True if self.confirm_replace_read_only(path) else None

    @Slot()
    def import_csv(self) -> None:
        path = self.ask_csv_path()
        if path is None:
            return
        dialog = CsvImportDialog(path, partial(self.run.import_csv, path), self.host)
        if self.run_dialog(dialog) and dialog.experiment is not None:
            self.run.load(dialog.experiment)
            self.path = None  # a new experiment: saving it asks for a name
            self.set_dirty(True)

    @Slot()
    def export_history(self) -> None:
        path = self.ask_save_path("Export history", "CSV table (*.csv)", ".csv")
        replace_read_only = None if path is None else self._may_replace(path)
        if path is not None and replace_read_only is not None:
            self.run.export_history(path, replace_read_only)

    def export_view(self, which: str) -> None:
        """A picture of ``which`` of `pictures` ("canvas" or "plots"), as PNG or SVG."""
        widget = self.pictures[which]
        answer = self.ask_image_path()
        if answer is None:
            return
        path, scale = answer
        if path.suffix.lower() == ".svg":
            content = svg_bytes(widget, self.run.experiment.name)
        else:
            path = path.with_suffix(".png")
            content = png_bytes(widget_image(widget, scale))
        replace_read_only = self._may_replace(path)
        if replace_read_only is None:
            return
        if content is None:
            self.error.emit(f"cannot write {path_text(path)}: the picture could not be drawn")
            return
        try:
            write_atomic(path, content, replace_read_only=replace_read_only)
        except WriteError as error:
            self.error.emit(str(error))
            return
        self.host.statusBar().showMessage(f"Saved {path.name}", 5000)

    @Slot()
    def copy_canvas(self) -> None:
        QApplication.clipboard().setImage(widget_image(self.pictures["canvas"], 2.0))
        self.host.statusBar().showMessage("The network picture is on the clipboard", 4000)

    def may_discard(self) -> bool:
        """True if there are no unsaved changes or the user lets them go."""
        return not self.dirty or self.confirm_discard()

    # ------------------------------------------------------------------ results

    @Slot(object)
    def _written(self, written: Path) -> None:
        if written.suffix.lower() == ".json" and self._saving_as == written:
            self.path = written
            self._remember(written)
            self.dirty = False
            self.clean_step = None
            self.changed.emit()
        self.host.statusBar().showMessage(f"Saved {written.name}", 5000)

    def _remember(self, path: Path) -> None:
        recent = [str(path.resolve())] + [p for p in self.recent() if p != str(path.resolve())]
        self.settings.setValue("recent_files", recent[:RECENT_LIMIT])
        self._fill_recent()

    def recent(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):  # QSettings gives a lone string for a one-item list
            return [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for text in self.recent():
            action = self.recent_menu.addAction(text)
            action.triggered.connect(lambda _=False, p=text: self._open_recent(Path(p)))
        self.recent_menu.setEnabled(bool(self.recent()))

    def _open_recent(self, path: Path) -> None:
        if self.may_discard():
            self.run.open(path)

    # ------------------------------------------------------------------ dialogs

    def _ask_discard(self) -> bool:
        answer = QMessageBox.question(
            self.host, "Unsaved changes",
            "The experiment has changes that are not saved. Save them first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Save:
            path = self.path or self._chosen_save_path()
            return path is not None and self.save_and_wait(path)
        return answer == QMessageBox.StandardButton.Discard

    def save_and_wait(self, path: Path, timeout_ms: int = 10000) -> bool:
        """Save, and wait for the worker to say it is written: only then may the experiment
        be let go (a failed save has shown its error, and nothing is lost)."""
        outcome: list[bool] = []
        loop = QEventLoop()

        def finished(where: Path, *failure: str) -> None:
            if where == path:
                outcome.append(not failure)
                loop.quit()

        self.run.written.connect(finished)
        self.run.write_failed.connect(finished)
        try:
            if not self.save_to(path):
                return False  # the user kept a read-only file
            QTimer.singleShot(timeout_ms, loop.quit)
            loop.exec()
        finally:
            self.run.written.disconnect(finished)
            self.run.write_failed.disconnect(finished)
        return outcome == [True]

    def _ask_replace_read_only(self, path: Path) -> bool:
        answer = QMessageBox.question(
            self.host, "Replace a read-only file?", message_box_text(
                f"{path_text(path.name)} is read-only: its permissions say it should not be "
                "changed. Replace it anyway? (The new file is read-only too.)"))
        return answer == QMessageBox.StandardButton.Yes

    def _ask_save_path(self, title: str = "Save experiment", file_filter: str = EXPERIMENT_FILTER,
                       suffix: str = ".json") -> Path | None:
        start = self.path or Path.cwd() / f"{self.run.experiment.name}{suffix}"
        path, _ = QFileDialog.getSaveFileName(self.host, title, str(start), file_filter)
        return Path(path) if path else None

    def _ask_csv_path(self) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(self.host, "Import CSV data", str(Path.cwd()),
                                              "CSV tables (*.csv);;All files (*)")
        return Path(path) if path else None

    def _ask_image_path(self) -> tuple[Path, float] | None:
        path, _ = QFileDialog.getSaveFileName(self.host, "Export picture",
                                              str(Path.cwd() / "network.png"), IMAGE_FILTER)
        if not path:
            return None
        if path.lower().endswith(".svg"):
            return Path(path), 1.0
        scale, ok = QInputDialog.getDouble(self.host, "Export picture",
                                           "Scale (2 or 3 for slides):", 2.0, 1.0, 4.0, 1)
        return (Path(path), scale) if ok else None


def _is_lesson(path: Path) -> bool:
    return path.resolve().parent == lessons.lesson_dir().resolve()

