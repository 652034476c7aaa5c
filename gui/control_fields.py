"""The pieces the Controls panel is built of: its field widgets, a setting's description (what
it shows, how it edits the document, when it applies) and a group that folds away.

A `Setting` edits the experiment *document* (the JSON-ready dict of `sim.experiment.to_dict`);
the panel sends every edited document through `sim.parse`, the parser files go through.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

# The widgets that edit a field: a choice, a number or a switch (one of them, or any).
AnyField = TypeVar("AnyField", QComboBox, QSpinBox, QDoubleSpinBox, QCheckBox)
Field = QComboBox | QSpinBox | QDoubleSpinBox | QCheckBox


def combo(items: list[str] | tuple[str, ...]) -> QComboBox:
    box = QComboBox()
    box.addItems(list(items))
    return box


def spin(minimum: float, maximum: float, decimals: int, step: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(minimum, maximum)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setKeyboardTracking(False)  # apply when typing is finished, not on every key
    return box


def int_spin(minimum: int, maximum: int, off: str = "") -> QSpinBox:
    """A whole number; ``off``: the text shown at the minimum, which then means "not set"."""
    box = QSpinBox()
    box.setRange(minimum, maximum)
    box.setKeyboardTracking(False)
    box.setSpecialValueText(off)
    return box


class NumberBox(QDoubleSpinBox):
    """A number of any size, shown and typed with up to ``digits`` significant digits (1e-08,
    0.003, 2500): a fixed count of decimals would show a small epsilon or threshold as 0."""

    def __init__(self, minimum: float, maximum: float, step: float, off: str = "",
                 digits: int = 6) -> None:
        super().__init__()
        self.digits = digits
        self.setDecimals(323)  # Qt's most: setValue then keeps a double as it is
        self.setRange(minimum, maximum)
        self.setSingleStep(step)
        self.setKeyboardTracking(False)
        self.setSpecialValueText(off)  # shown at the minimum, which then means "not set"

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt's name
        return f"{value:.{self.digits}g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt's name
        number = self._read(text)
        return self.value() if number is None else number

    def validate(self, text: str, position: int) -> tuple[QValidator.State, str, int]:
        number = self._read(text)
        if number is not None and self.minimum() <= number <= self.maximum():
            return QValidator.State.Acceptable, text, position
        return QValidator.State.Intermediate, text, position  # perhaps still being typed

    def _read(self, text: str) -> float | None:
        """The number typed (the minimum for the text shown there, such as "none")."""
        special = self.specialValueText()
        if special and text.strip() == special:
            return self.minimum()
        return _number(text.removeprefix(self.prefix()).removesuffix(self.suffix()))

    def fixup(self, text: str) -> str:
        return self.textFromValue(self.value())


def _number(text: str) -> float | None:
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def value_of(widget: Field) -> Any:
    """What the widget holds: the chosen text, the number or the switch's state."""
    if isinstance(widget, QComboBox):
        return widget.currentText()
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    return widget.value()


def show_value(widget: Field, value: Any) -> None:
    """Put ``value`` (a text, number or truth value, as ``value_of`` returns) in the widget."""
    if isinstance(widget, QComboBox):
        widget.setCurrentText(value)
    elif isinstance(widget, QCheckBox):
        widget.setChecked(value)
    elif isinstance(widget, QSpinBox):
        widget.setValue(int(value))
    else:
        widget.setValue(float(value))


def always(_: dict) -> bool:
    return True


@dataclass(frozen=True)
class Setting:
    """One control: its label, its widget, the value it shows for a document, the edit it makes
    and whether it applies (a setting that does not apply, such as β₁ with SGD, is hidden)."""

    name: str  # the panel's key for it, as in ``ControlPanel.fields``
    label: str
    make: Callable[[], Field]
    read: Callable[[dict], Any]  # the value to show for a canonical document
    write: Callable[[dict, Any], None]  # the edit of a document for a new value
    applies: Callable[[dict], bool] = always
    tip: str = ""


class FoldingGroup(QWidget):
    """A titled group of form rows that folds away under its title, so that a small screen
    shows the groups one wants."""

    def __init__(self, title: str) -> None:
        super().__init__()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.header = QToolButton()
        self.header.setText(title)
        self.header.setCheckable(True)
        self.header.setChecked(True)
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setArrowType(Qt.ArrowType.DownArrow)
        self.header.setAutoRaise(True)
        self.header.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        font = self.header.font()
        font.setBold(True)
        self.header.setFont(font)
        self.header.toggled.connect(self.set_open)
        self.body = QWidget()
        self.form = QFormLayout(self.body)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        column.addWidget(self.header)
        column.addWidget(self.body)

    def set_open(self, open_: bool) -> None:
        """Show the rows (True) or fold them under the title."""
        self.header.setChecked(open_)
        self.header.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)
        self.body.setVisible(open_)

    def is_open(self) -> bool:
        return self.header.isChecked()
