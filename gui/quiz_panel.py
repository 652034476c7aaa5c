"""The quiz's row in the Step-by-step panel: the toggle, the score, the question and the answer.

It only shows what sim.quiz decided (the question, the verdict, the score) and says what the
student did: typed an answer and pressed Enter, or pressed Esc to skip.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QLineEdit, QWidget

from sim import notation
from sim.quiz import Question, Score, Verdict

from .style import Style

TOGGLE_TEXT = "Quiz (Q)"
WAITING = "Type your prediction and press Enter; Esc shows the answer."
DONE = "(→ next phase)"


class AnswerBox(QLineEdit):
    """The answer's text box. Esc here skips the question (the window's Esc would only close
    the shortcut sheet); Enter submits; the arrow keys move the cursor, as in any text box."""

    skipped = Signal()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and \
                event.key() == Qt.Key.Key_Escape:
            event.accept()  # Esc comes to keyPressEvent, not to a window shortcut
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.skipped.emit()
            return
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            # The answer is taken here: the key goes no further (a text box passes Enter on
            # to its window, where it would complete at once the motion its reveal set off).
            event.accept()


class QuizPanel(QWidget):
    """Quiz mode's toggle and score, and while a question is up, the question and the box."""

    toggled = Signal(bool)  # the student turned quiz mode on or off
    submitted = Signal(str)  # the text typed, Enter pressed
    skipped = Signal()  # Esc in the box

    def __init__(self, style: Style, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.style_ = style
        self.toggle = QCheckBox(TOGGLE_TEXT)
        self.toggle.setToolTip("Predict, then reveal: before a phase's result is shown, type "
                               "one number it computes; right to the printed digits or within "
                               "1% counts. Enter checks it, Esc shows it.")
        self.toggle.toggled.connect(self.toggled)
        self.score = QLabel(Score().text())
        self.question = QLabel()  # rich text: the name's layer and unit as super/subscripts
        self.question.setTextFormat(Qt.TextFormat.RichText)
        self.answer = AnswerBox()
        self.answer.setPlaceholderText("your answer")
        self.answer.returnPressed.connect(self._submit)
        self.answer.skipped.connect(self.skipped)
        self.feedback = QLabel()
        self.feedback.setTextFormat(Qt.TextFormat.RichText)
        self.feedback.setWordWrap(True)
        # One row, and a second for what is said about the answer while a question is up:
        # the caption below keeps its room.
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toggle, 0, 0)
        layout.addWidget(self.question, 0, 1)
        layout.addWidget(self.answer, 0, 2)
        layout.addWidget(self.score, 0, 3, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.feedback, 1, 0, 1, 4)
        layout.setColumnStretch(3, 1)
        self.clear()
        self.apply_style(style)

    def apply_style(self, style: Style) -> None:
        self.style_ = style
        self.question.setFont(style.font(1.15, bold=True))
        self.answer.setFont(style.font(1.15))
        self.answer.setMinimumWidth(int(style.body_px * 12))
        self.score.setFont(style.font(bold=True))
        self._show_row()

    def _show_row(self) -> None:
        """On a slide the row shows only while quiz mode is on (Q turns it on): off, its
        line goes to the caption and the network above it."""
        self.setVisible(self.on or not self.style_.presenting)

    def set_on(self, on: bool) -> None:
        """Show the toggle's state without saying it was toggled."""
        self.toggle.blockSignals(True)
        self.toggle.setChecked(on)
        self.toggle.blockSignals(False)
        if not on:
            self.clear()
        self._show_row()

    @property
    def on(self) -> bool:
        return self.toggle.isChecked()

    def ask(self, question: Question) -> None:
        """Put the question up, the box empty and with the keyboard's focus."""
        self.question.setText(notation.rich(question.prompt))
        self.answer.clear()
        self.answer.setReadOnly(False)
        self.feedback.setText(WAITING)
        for widget in (self.question, self.answer, self.feedback):
            widget.show()
        self.answer.setFocus(Qt.FocusReason.OtherFocusReason)

    def hint(self, text: str) -> None:
        """An answer that is not a number: say why, keep the question up."""
        self.feedback.setText(f'<span style="color:{self.style_.danger.name()}">'
                              f"{notation.rich(text)}</span>")
        self.answer.selectAll()

    def show_verdict(self, verdict: Verdict, score: Score) -> None:
        """The answer checked (or skipped): what it was, and the score."""
        colour = {"right": self.style_.accent, "wrong": self.style_.danger}.get(
            verdict.outcome, self.style_.muted).name()
        self.feedback.setText(f'<b style="color:{colour}">{notation.rich(verdict.message)}</b> '
                              f"{DONE}")
        self.answer.setReadOnly(True)
        self.set_score(score)

    def set_score(self, score: Score) -> None:
        self.score.setText(score.text())

    def clear(self) -> None:
        """No question up: only the toggle and the score show."""
        self.answer.clear()
        for widget in (self.question, self.answer, self.feedback):
            widget.hide()

    @Slot()
    def _submit(self) -> None:
        if not self.answer.isReadOnly():
            self.submitted.emit(self.answer.text())
