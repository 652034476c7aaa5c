"""Quiz mode: before a phase reached by stepping is shown, ask for one of its numbers.

When the trainer's next phase arrives while the user walks phase by phase with the quiz on,
`holds` keeps it back: the views go on showing the phase before (whose numbers the student
needs), the caption panel names the phase that ran and asks sim.quiz's question about it.
An answer (Enter), a skip (Esc, or the Step-phase key) reveals it: `release` hands the
snapshot to the views, which show it with the caption's worked line marked. A phase kept for
stepping back is shown again without a question; stepping back while a question is up
withdraws it (it is asked again when that phase comes back from the trainer).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

import sim
from sim import quiz
from sim.quiz import Quantity, Question, Score, Unreadable
from sim.snapshot import Snapshot

from .quiz_panel import QuizPanel
from .run import RunController


class Quiz(QObject):
    """The session's quiz: on or off, what to ask, the question up, and the score."""

    release = Signal(object)  # the held Snapshot, to be shown now (its line marked if asked)
    on_changed = Signal(bool)

    def __init__(self, run: RunController, panel: QuizPanel, parent: QObject | None = None
                 ) -> None:
        super().__init__(parent)
        self.run, self.panel = run, panel
        self.on = False
        self.ask: tuple[Quantity, ...] | None = None  # a lesson's list; None: the app chooses
        self.score = Score()
        self.pending: tuple[Snapshot, Question] | None = None  # held, and its question
        self.marked: tuple[Snapshot, Quantity] | None = None  # the last one revealed
        self._passed: Snapshot | None = None  # the newest phase shown (asked or not)
        self.asked_for: int | None = None  # the followed sample the question is about
        panel.toggled.connect(self.set_on)
        panel.submitted.connect(self.submit)
        panel.skipped.connect(self.skip)
        run.loading.connect(self._loading)
        run.loaded.connect(self._loaded)
        run.walking_changed.connect(self._walking_changed)

    # ------------------------------------------------------------------ what the views ask

    def holds(self, snapshot: Snapshot, sample: int | None) -> bool:
        """Whether ``snapshot`` is kept back behind a question, asked now if it is the
        trainer's next phase (``sample``: the followed one, see explain.caption)."""
        if self.pending is not None:
            if self.pending[0] is snapshot:
                self._follow(sample)
                return True
            self._withdraw()  # the user went elsewhere: step back, Step, a new file
        trail = self.run.trail
        newest = trail.at_newest and trail.shown is snapshot
        if not newest or snapshot is self._passed:
            return False
        before, self._passed = self._passed, snapshot
        if not (self.on and self.run.walking) or _same_phase(before, snapshot):
            return False  # an edit of a weight, say, shows the same phase anew
        question = quiz.question(snapshot, self.ask, sample)
        if question is None:
            return False
        self.pending = snapshot, question
        self.asked_for = sample
        self.panel.ask(question)
        return True

    def _follow(self, sample: int | None) -> None:
        """Another sample followed while a question is up: ask about that sample's number, so
        that the caption revealed works out the number asked (a batch's sum stays the same)."""
        if self.pending is None or sample == self.asked_for:
            return
        snapshot = self.pending[0]
        question = quiz.question(snapshot, self.ask, sample)
        self.asked_for = sample
        if question is not None and question != self.pending[1]:
            self.pending = snapshot, question
            self.panel.ask(question)

    def holding(self, snapshot: Snapshot) -> bool:
        """Whether ``snapshot`` waits behind the question that is up."""
        return self.pending is not None and self.pending[0] is snapshot

    def marked_in(self, snapshot: Snapshot) -> Quantity | None:
        """The quantity whose worked line the caption of ``snapshot`` marks, if any."""
        if self.marked is not None and self.marked[0] is snapshot:
            return self.marked[1]
        return None

    # ------------------------------------------------------------------ what the user does

    @Slot(bool)
    def set_on(self, on: bool) -> None:
        """Quiz mode on or off; turned off, a question that is up is withdrawn and its phase
        shown."""
        self.on = on
        self.panel.set_on(on)
        if not on:
            self._release()
        self.on_changed.emit(on)

    @Slot(str)
    def submit(self, text: str) -> None:
        """Check a typed answer: a hint if it is not a number, else the verdict and the
        reveal."""
        if self.pending is None:
            return
        try:
            verdict = quiz.check(self.pending[1], text)
        except Unreadable as hint:
            self.panel.hint(str(hint))
            return
        self._reveal(verdict)

    @Slot()
    def skip(self) -> bool:
        """Reveal the question's answer without one (counted as skipped); False if no
        question is up."""
        if self.pending is None:
            return False
        self._reveal(quiz.skip(self.pending[1]))
        return True

    @Slot()
    def step_phase(self) -> None:
        """The Step-phase key: with a question up it reveals the answer (skipped), so that a
        presenter's clicker goes question, answer, next question; else the next phase."""
        if not self.skip():
            self.run.step_phase()

    # ------------------------------------------------------------------ inside

    def _reveal(self, verdict: quiz.Verdict) -> None:
        assert self.pending is not None  # callers check
        snapshot, question = self.pending
        self.pending = None
        self.score = self.score.after(verdict)
        self.marked = snapshot, question.quantity
        self.panel.show_verdict(verdict, self.score)
        self.release.emit(snapshot)

    def _release(self) -> None:
        """Withdraw the question that is up, if any, and show its phase."""
        if self.pending is not None:
            snapshot = self.pending[0]
            self._withdraw()
            self.release.emit(snapshot)

    @Slot(bool)
    def _walking_changed(self, walking: bool) -> None:
        if not walking:  # Play, Step, Reset: the phase is passed by, not asked about
            self._release()

    def _withdraw(self) -> None:
        """Take the question down uncounted; its phase is asked again when it comes back."""
        self.pending = None
        self._passed = None
        self.panel.clear()

    @Slot()
    def _loading(self) -> None:
        if self.pending is not None:
            self._withdraw()
        self.marked = None

    def follow_lesson(self, experiment: sim.Experiment) -> None:
        """A file or lesson opened: its quiz section says whether to ask, and what."""
        self.ask = experiment.quiz.ask
        self.set_on(experiment.quiz.on)

    @Slot(object, object)
    def _loaded(self, experiment: sim.Experiment, source: object) -> None:
        if source is not None:  # a rebuild after an edit keeps what the user chose
            self.follow_lesson(experiment)


def _same_phase(before: Snapshot | None, after: Snapshot) -> bool:
    """Whether two snapshots show the same phase of the same iteration."""
    return before is not None and before.last_phase is not None and \
        (before.step, before.cursor) == (after.step, after.cursor)
