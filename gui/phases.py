"""Walking one iteration phase by phase: the kept phases (for stepping back) and the caption.

The worker publishes a Snapshot after every phase it runs. `PhaseTrail` keeps those of the
current iteration, so "step back" shows an earlier phase again without recomputing anything,
and "step phase" after stepping back moves forward through the kept ones before asking the
trainer for a new phase. `CaptionPanel` says in words and numbers what the shown phase did.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QSpinBox, QVBoxLayout, QWidget

from sim import explain, notation, quiz
from sim.events import Phase
from sim.quiz import Quantity
from sim.snapshot import Snapshot

from .quiz_panel import QuizPanel
from .style import Style

HELD = "This phase's numbers are hidden until you answer."
TRAINING = "Training: each step runs every phase above; pause for the last step's numbers."
BEFORE = "The numbers before it, also on the network:"


def phase_index(snapshot: Snapshot) -> int | None:
    """Position of the snapshot's last phase in its iteration (None before any phase)."""
    if snapshot.last_phase is None:
        return None
    return (snapshot.cursor - 1) % len(snapshot.phases)


def iteration_of(snapshot: Snapshot) -> int:
    """The number of the step whose pass the snapshot shows (its update may be done)."""
    return snapshot.step if snapshot.at_boundary else snapshot.step + 1


class PhaseTrail:
    """The snapshots of the current iteration, one per phase run, and which one is shown."""

    def __init__(self) -> None:
        self.kept: list[Snapshot] = []
        self.position = -1  # index of the shown snapshot in `kept`

    def add(self, snapshot: Snapshot) -> None:
        """Keep a new snapshot: the next phase of the kept iteration, or a fresh start."""
        index = phase_index(snapshot)
        if self.kept and index is not None and index > 0:
            last = self.kept[-1]
            if iteration_of(last) == iteration_of(snapshot) and phase_index(last) == index - 1:
                self.kept.append(snapshot)
                self.position = len(self.kept) - 1
                return
        self.kept = [snapshot]
        self.position = 0

    @property
    def shown(self) -> Snapshot | None:
        return self.kept[self.position] if self.kept else None

    @property
    def at_newest(self) -> bool:
        return self.position == len(self.kept) - 1

    @property
    def can_go_back(self) -> bool:
        """Whether an earlier phase of this iteration is kept (not after a whole step, nor
        at an iteration's first phase)."""
        return self.position > 0

    def back(self) -> Snapshot | None:
        """Show the previous kept phase; None if the first kept phase is shown."""
        if self.position <= 0:
            return None
        self.position -= 1
        return self.kept[self.position]

    def forward(self) -> Snapshot | None:
        """Show the next kept phase; None if the newest is shown (the trainer must run one)."""
        if self.at_newest:
            return None
        self.position += 1
        return self.kept[self.position]


def phase_name(phase: Phase) -> str:
    return phase.kind if phase.layer is None else f"{phase.kind} {phase.layer}"


def _phase_groups(phases: tuple[Phase, ...], fold: bool) -> list[tuple[str, list[int]]]:
    """Consecutive phases of one kind as one group when ``fold``; else one group each."""
    groups: list[tuple[str, list[int]]] = []
    for index, phase in enumerate(phases):
        if fold and groups and groups[-1][0] == phase.kind and phase.layer is not None:
            groups[-1][1].append(index)
        else:
            groups.append((phase.kind, [index]))
    return groups


class CaptionPanel(QWidget):
    """The phases of an iteration in a row, the shown one marked, and its caption."""

    sample_changed = Signal(object)  # the training sample to follow (from 0), None: automatic
    captioned = Signal()  # a new caption is shown: it may need more room

    def __init__(self, style: Style, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.style_ = style
        self.strip = QLabel()
        self.strip.setWordWrap(True)
        self.lines: tuple[str, ...] = ()  # the caption's lines as sim wrote them (plain text)
        self.marked_line: int | None = None  # the line marked as a quiz answer's worked line
        self._before = ""  # while a quiz question is up: the caption shown before it (HTML)
        self.training_shown = False  # the strip and title say training plays (show_training)
        self.quiz = QuizPanel(style)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.body = QLabel()  # rich text: names' layers and units as real super/subscripts
        self.body.setWordWrap(True)
        # Rich text made by sim.notation.rich, which escapes everything else: the data's own
        # column names, which the captions quote, are shown as they are, never as markup.
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sample = QSpinBox()  # 0 is "automatic", then the samples counted from 1
        self.sample.setRange(0, 1)
        self.sample.setPrefix("sample ")
        self.sample.setSpecialValueText("automatic")
        self.sample.setToolTip("Which training sample the node values and the caption follow; "
                               "automatic: in each batch the first with the fewest inputs "
                               "equal to 0")
        self.sample.valueChanged.connect(self._sample_changed)
        self.batch_note = QLabel()
        self.batch_note.setWordWrap(True)
        self.batch_note.setTextFormat(Qt.TextFormat.RichText)
        self.follow_row = QWidget()
        follow = QHBoxLayout(self.follow_row)
        follow.setContentsMargins(0, 0, 0, 0)
        follow.addWidget(QLabel("Follow"))
        follow.addWidget(self.sample)
        # The Follow box at the strip's end: a row of its own would cost a caption line.
        self.strip_row = QWidget()
        top = QHBoxLayout(self.strip_row)
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.strip, 1)
        top.addWidget(self.follow_row, 0, Qt.AlignmentFlag.AlignTop)
        # A caption longer than its room scrolls rather than being cut off (the window gives
        # it the room it needs where it can: gui.presentation.CaptionRoom). The note on the
        # batch and the sample followed scrolls with it: beside the Follow box, a low dock
        # cut it off mid-sentence.
        self.body_scroll = QScrollArea()
        self.body_scroll.setWidgetResizable(True)
        self.body_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scrolled = QWidget()
        text = QVBoxLayout(scrolled)
        text.setContentsMargins(0, 0, 0, 0)
        text.addWidget(self.body)
        text.addWidget(self.batch_note)
        text.addStretch(1)
        self.body_scroll.setWidget(scrolled)
        self.scrolled_layout = text
        layout = QVBoxLayout(self)
        layout.addWidget(self.strip_row)
        layout.addWidget(self.title)
        layout.addWidget(self.quiz)
        layout.addWidget(self.body_scroll, 1)
        self.apply_style(style)

    def apply_style(self, style: Style) -> None:
        self.style_ = style
        self.title.setFont(style.font(1.15, bold=True))
        # Proportional, not monospaced: a monospaced font gives each small raised or lowered
        # character a whole cell, and w⁽¹⁾₁₁ falls apart into w ( 1 ) 1 1.
        self.body.setFont(style.caption_font)
        self.quiz.apply_style(style)

    def set_playing(self, playing: bool) -> None:
        """While training plays the caption steps aside: the phase strip and the title stay
        (`show_training` says what they mean then), the equations (of a phase long gone) and
        the Follow box are hidden."""
        self.body_scroll.setVisible(not playing)
        self.follow_row.setVisible(not playing)

    def show_training(self, snapshot: Snapshot | None) -> None:
        """While training plays: the phases of a step (the newest ``snapshot``'s network; None
        before the first), none of them marked, and a title saying that each step runs them
        all. Said once: the snapshots of the same network that follow change nothing."""
        strip = "" if snapshot is None else self._strip_html(snapshot, walking=False)
        if self.training_shown and strip == self.strip.text():
            return
        self.training_shown = True
        self.strip.setText(strip)
        self.title.setText(escape(TRAINING))
        self.captioned.emit()  # the strip may need more room than the one it replaced

    def needed_height(self, width: int, body_lines: int | None = None) -> int:
        """The height this panel needs, ``width`` pixels wide, to show its whole caption
        without scrolling (or its first ``body_lines`` lines, if given)."""
        layout = self.layout()
        assert layout is not None
        margins = layout.contentsMargins()
        inner = max(1, width - margins.left() - margins.right())
        shown = [widget for widget in (self.strip_row, self.title, self.quiz,
                                       self.body_scroll) if not widget.isHidden()]
        heights = [self._height_for(widget, inner, body_lines) for widget in shown]
        return margins.top() + margins.bottom() + sum(heights) + \
            layout.spacing() * max(0, len(heights) - 1)

    def _height_for(self, widget: QWidget, width: int, body_lines: int | None) -> int:
        if widget is self.body_scroll:  # the texts, not the scroll area's own smaller hint
            text = self.body.heightForWidth(width)
            if body_lines is not None:
                return min(text, round(body_lines * self.body.fontMetrics().lineSpacing())) + 2
            if self.batch_note.text():
                text += self.scrolled_layout.spacing() + self.batch_note.heightForWidth(width)
            return text + 2
        if widget is self.strip_row:
            inner = widget.layout()
            assert inner is not None
            return max(inner.heightForWidth(width), inner.minimumSize().height())
        height = widget.heightForWidth(width)
        return height if height >= 0 else widget.sizeHint().height()  # -1: no such height

    def caption_cut(self) -> bool:
        """Whether part of the caption is out of sight (it scrolls)."""
        bar = self.body_scroll.verticalScrollBar()
        return self.body_scroll.isVisible() and bar.maximum() > 0

    @Slot(int)
    def _sample_changed(self, number: int) -> None:
        self.sample_changed.emit(self.followed())

    def followed(self) -> int | None:
        """The training sample chosen to follow (from 0), or None for sim's choice."""
        number = self.sample.value()
        return None if number == 0 else number - 1

    def follow_automatically(self) -> None:
        self.sample.setValue(0)

    def follow(self, sample: int | None) -> None:
        """Follow a training sample (from 0; a lesson's view checked it exists), or None:
        automatically."""
        if sample is None:
            self.follow_automatically()
            return
        self.sample.setMaximum(max(self.sample.maximum(), sample + 1))
        self.sample.setValue(sample + 1)

    def show_snapshot(self, snapshot: Snapshot, walking: bool,
                      marked: Quantity | None = None) -> None:
        """Caption the snapshot's phase; ``walking``: it was reached phase by phase;
        ``marked``: a quiz's answer, whose worked line is marked."""
        self.training_shown = False
        self.sample.setMaximum(max(1, snapshot.train_size))
        self.strip.setText(self._strip_html(snapshot, walking))
        text = explain.caption(snapshot, self.followed())
        self.lines = text.lines
        self.marked_line = None if marked is None else quiz.worked_line(text.lines, marked)
        self.title.setText(notation.rich(text.title))
        lines = [notation.rich(line) for line in text.lines]
        if self.marked_line is not None:
            lines[self.marked_line] = (f'<b style="color:{self.style_.accent.name()}">▶ '
                                       f"{lines[self.marked_line]}</b>")
        self.body.setText("<br>".join(lines))
        if self.marked_line is not None:  # once the label has its new height
            QTimer.singleShot(0, self._scroll_to_marked)
        self.batch_note.setText("" if snapshot.x is None else
                                notation.rich(explain.following(snapshot, self.followed())))
        self.captioned.emit()

    @Slot()
    def _scroll_to_marked(self) -> None:
        """Scroll the caption so that the marked line shows (lines wrap, so its place is
        estimated from its share of the text)."""
        if self.marked_line is None or not self.lines:
            return
        before = sum(len(line) for line in self.lines[:self.marked_line])
        share = before / max(1, sum(len(line) for line in self.lines))
        self.body_scroll.ensureVisible(0, int(share * self.body.height()), 0,
                                       self.body_scroll.viewport().height() // 3)

    def show_question(self, snapshot: Snapshot) -> None:
        """The phase that ran, named and marked in the strip, while a quiz question about it
        is up: its numbers stay hidden, the caption of the phase before stays below."""
        self.training_shown = False
        if self.lines:  # a caption shown, not the question's page: keep it below
            self._before = f"<br>{BEFORE}<br><b>{self.title.text()}</b><br>{self.body.text()}"
        self.strip.setText(self._strip_html(snapshot, True))
        self.title.setText(notation.rich(explain.caption(snapshot, self.followed()).title))
        self.body.setText(f"<i>{HELD}</i>{self._before}")
        self.lines = ()
        self.marked_line = None
        self.captioned.emit()  # the question and the caption before it need their room

    def _strip_html(self, snapshot: Snapshot, walking: bool) -> str:
        """The iteration's phases in order, the shown one marked. In a deep network the
        layers of each pass are folded into one entry ("forward 1–9")."""
        shown = phase_index(snapshot) if walking else None
        accent = self.style_.accent.name()
        parts: list[str] = []
        groups = _phase_groups(snapshot.phases, fold=snapshot.depth > 3)
        for kind, indices in groups:
            first, last = snapshot.phases[indices[0]], snapshot.phases[indices[-1]]
            if len(indices) == 1:
                name = phase_name(first)
            elif shown in indices:
                name = f"{kind} {snapshot.phases[shown].layer} ({first.layer}–{last.layer})"
            else:
                name = f"{kind} {first.layer}–{last.layer}"
            name = escape(name)
            if shown in indices:
                name = f'<b style="color:{accent}">[{name}]</b>'
            parts.append(name)
        return " › ".join(parts)
