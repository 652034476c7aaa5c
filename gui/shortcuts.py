"""The keyboard cheat sheet: an overlay listing every action that has a shortcut.

It is built from the window's actions themselves, so it can never disagree with them.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QAction,
    QColor,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
)
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from .style import Style


def shortcut_text(action: QAction) -> str:
    """All of an action's shortcuts, readable: "Right or PgDown"."""
    keys = [key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts()]
    return " or ".join(key for key in keys if key)


ROWS_PER_COLUMN = 12


def sheet_rows(actions: list[QAction]) -> list[tuple[str, str]]:
    """(keys, what they do) for every action with a shortcut; the lesson keys 1-9 as one row."""
    rows, lessons = [], 0
    for action in actions:
        keys = shortcut_text(action)
        if not keys:
            continue
        if keys.isdigit():
            lessons += 1
            continue
        rows.append((keys, action.text().replace("&", "").rstrip("…")))
    if lessons:
        rows.append((f"1 … {lessons}", "Open the lessons in the Lessons menu"))
    return rows


def sheet_html(actions: list[QAction]) -> str:
    rows = sheet_rows(actions)
    columns = [rows[k:k + ROWS_PER_COLUMN] for k in range(0, len(rows), ROWS_PER_COLUMN)]
    cells = []
    for column in columns:
        lines = "".join(f"<tr><td align='right' style='padding-right:14px'><b>{escape(keys)}"
                        f"</b></td><td style='padding-right:40px'>{escape(text)}</td></tr>"
                        for keys, text in column)
        cells.append(f"<td valign='top'><table>{lines}</table></td>")
    return (f"<h2>Keyboard shortcuts</h2><table><tr>{''.join(cells)}</tr></table>"
            "<p><i>F1, Esc or a click closes this sheet.</i></p>")


class ShortcutSheet(QWidget):
    """Covers its parent with a list of shortcuts; any key or click closes it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._covered = parent
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, False)
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        self.style_: Style | None = None
        self.hide()

    def show_for(self, actions: list[QAction], style: Style) -> None:
        self.style_ = style
        self.label.setText(sheet_html(actions))
        self.label.setFont(style.font())
        palette = self.label.palette()
        palette.setColor(self.label.foregroundRole(), style.foreground)
        self.label.setPalette(palette)
        self.setGeometry(self._covered.rect())
        self.raise_()
        self.show()
        self.setFocus()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        fill = QColor(self.style_.background if self.style_ else QColor("white"))
        fill.setAlpha(235)
        painter.fillRect(self.rect(), fill)
        painter.end()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        self.hide()
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.hide()
        event.accept()
