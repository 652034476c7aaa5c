"""Import a CSV data set: a preview of the table, the target columns to choose, clear errors.

The preview reads the file's first rows only (sim.data.read_table_head). The engine reads and
checks the whole table (sim.importing) in the training process: a table of 100,000 rows takes
a second or two, and the window stays live meanwhile. A bad cell is named by its row and
column, and the dialog stays open with nothing changed until the table is usable.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

import sim
from sim.importing import read_table_head

from .style import ERROR_COLOUR

PREVIEW_ROWS = 20
# Starts building the experiment from the table (target columns, validation share,
# standardise the inputs), then calls the first callable with it, or the second with why not
# (gui.run.RunController.import_csv, its path given).
Importer = Callable[[tuple[str, ...], float, bool, Callable[[sim.Experiment], object],
                     Callable[[sim.ExperimentError], object]], object]


class CsvImportDialog(QDialog):
    """Shows a CSV file and builds an experiment from it on the base experiment's network."""

    def __init__(self, path: Path, importer: Importer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Import {path.name}")
        self.path, self.importer = path, importer
        self.experiment: sim.Experiment | None = None  # set when the import succeeds
        self.cancelled = False
        self.preview = QTableWidget()
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.targets = QListWidget()
        self.validation = QDoubleSpinBox()
        self.validation.setRange(0.0, 0.9)
        self.validation.setSingleStep(0.05)
        self.validation.setValue(0.2)
        self.standardize = QCheckBox("standardise the inputs (mean 0, standard deviation 1)")
        self.standardize.setChecked(True)
        self.error = QLabel()
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # it may quote the table
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {ERROR_COLOUR}")
        self.checking = QLabel()  # while the table is checked
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.try_import)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        form = QFormLayout()
        form.addRow("target columns", self.targets)
        form.addRow("validation share", self.validation)
        form.addRow("", self.standardize)
        layout = QVBoxLayout(self)
        self.caption = QLabel()  # what the preview shows of the table
        layout.addWidget(self.caption)
        layout.addWidget(self.preview, 1)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.checking)
        layout.addWidget(buttons)
        self.resize(760, 560)
        self._load_preview()

    def _load_preview(self) -> None:
        name = self.path.name
        try:
            (header, shown), more = read_table_head(self.path, PREVIEW_ROWS)
        except sim.ExperimentError as error:
            self.caption.setText(f"{name} cannot be imported:")
            self.error.setText(str(error))
            self.ok_button.setEnabled(False)
            return
        count = len(shown)
        self.caption.setText(f"The first {count} rows of {name}:" if more else
                             f"The {count} rows of {name}:" if count > 1 else
                             f"The one row of {name}:")
        self.preview.setColumnCount(len(header))
        self.preview.setRowCount(len(shown))
        self.preview.setHorizontalHeaderLabels(list(header))
        self.preview.setVerticalHeaderLabels([str(row.number) for row in shown])
        for r, row in enumerate(shown):
            for c, cell in enumerate(row[:len(header)]):
                self.preview.setItem(r, c, QTableWidgetItem(cell))
        for number, name in enumerate(header):
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            last = number == len(header) - 1  # the usual place of the answer
            item.setCheckState(Qt.CheckState.Checked if last else Qt.CheckState.Unchecked)
            self.targets.addItem(item)

    def chosen_targets(self) -> list[str]:
        return [self.targets.item(k).text() for k in range(self.targets.count())
                if self.targets.item(k).checkState() == Qt.CheckState.Checked]

    @Slot()
    def try_import(self) -> None:
        """Have the experiment built; it closes the dialog, or a problem says which and the
        dialog stays open. OK waits meanwhile; Cancel does not."""
        self.ok_button.setEnabled(False)
        self.error.setText("")
        self.checking.setText("Checking the table…")
        self.importer(tuple(self.chosen_targets()), self.validation.value(),
                      self.standardize.isChecked(), self._imported, self._refused)

    def reject(self) -> None:
        self.cancelled = True  # an answer still to come is dropped
        super().reject()

    def _imported(self, experiment: sim.Experiment) -> None:
        if not self.cancelled:
            self.experiment = experiment
            self.accept()

    def _refused(self, error: sim.ExperimentError) -> None:
        if self.cancelled:
            return
        self.checking.setText("")
        self.error.setText(str(error))
        self.ok_button.setEnabled(True)
