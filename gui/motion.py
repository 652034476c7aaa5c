"""Motion while phases are stepped: signals travel along the edges.

In a forward phase, pulses run along the edges from the layer below into the active layer; in
a backward phase they run back along them, carrying δ to the layer below. One phase's motion
lasts PHASE_SECONDS and is drawn at the display's frame rate. It is counted in frames, not
timed: `advance(frames)` moves it on deterministically (a recording can capture a phase walk
frame by frame; tests need no clock), and the window's frame timer turns the time that passed
into frames. A key press during the motion completes it at once (`finish`), and with reduced
motion there is none: the phase's result shows at once.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal

from sim.events import Phase
from sim.snapshot import Snapshot

from .canvas import Pulses
from .phases import phase_index

PHASE_SECONDS = 0.6  # one phase's motion: long enough to follow, short enough to keep pace
MIN_FPS, MAX_FPS, DEFAULT_FPS = 24.0, 240.0, 60.0


def pulses_for(phase: Phase | None, depth: int) -> tuple[int, int] | None:
    """The columns a phase's pulses run from and to (column 0 holds the inputs, column l
    layer l), or None for a phase with nothing travelling (loss, clip, update)."""
    if phase is None or phase.layer is None or not 1 <= phase.layer <= depth:
        return None
    if phase.kind == "forward":
        return phase.layer - 1, phase.layer
    if phase.kind == "backward":
        return phase.layer, phase.layer - 1
    return None


class PhaseMotion(QObject):
    """The motion of the phase on show, counted in frames."""

    changed = Signal(object)  # the Pulses to draw now, or None (the motion is over)

    def __init__(self, frames_per_second: float = DEFAULT_FPS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.reduced = False  # reduced motion: phases show their result at once
        self.frames_per_second = DEFAULT_FPS
        self.set_frame_rate(frames_per_second)
        self.frame = 0
        self.frames = 0  # of the current motion; 0: none
        self.columns: tuple[int, int] | None = None
        self._carry = 0.0  # a part of a frame left over from `advance_seconds`
        # The window's frame timer moves the motion on; a recording that captures it frame
        # by frame sets this False and calls `advance` itself.
        self.driven_by_timer = True
        self._shown: Snapshot | None = None  # the snapshot shown last

    def set_frame_rate(self, frames_per_second: float) -> None:
        """The display's refresh rate (a rate outside 24-240 Hz is taken as 60 Hz: some
        platforms report 0 or nonsense)."""
        rate = float(frames_per_second)
        self.frames_per_second = rate if MIN_FPS <= rate <= MAX_FPS else DEFAULT_FPS

    @property
    def running(self) -> bool:
        return self.frames > 0 and self.frame < self.frames

    def start(self, phase: Phase | None, depth: int) -> None:
        """A phase was stepped to: its pulses set off (none with reduced motion, or for a
        phase where nothing travels)."""
        self.columns = None if self.reduced else pulses_for(phase, depth)
        self.frame, self._carry = 0, 0.0
        self.frames = 0 if self.columns is None else \
            max(1, round(PHASE_SECONDS * self.frames_per_second))
        self.changed.emit(self.pulses())

    def follow(self, snapshot: Snapshot, stepping: bool) -> None:
        """A snapshot is shown: when the user steps on to the next phase (``stepping``:
        walking phases, not playing), its pulses set off; anything else ends the motion."""
        previous, self._shown = self._shown, snapshot
        if stepping and previous is not None and _next_phase(previous, snapshot):
            self.start(snapshot.last_phase, snapshot.depth)
        else:
            self.finish()

    def advance(self, frames: int = 1) -> None:
        """Move the motion on by whole frames (nothing happens once it is over)."""
        if not self.running or frames <= 0:
            return
        self.frame = min(self.frames, self.frame + frames)
        self.changed.emit(self.pulses())

    def advance_seconds(self, seconds: float) -> None:
        """Move the motion on by the frames that ``seconds`` hold at the frame rate."""
        if not self.running:
            return
        self._carry += seconds * self.frames_per_second
        whole = int(self._carry)
        self._carry -= whole
        self.advance(whole)

    def finish(self) -> None:
        """Complete the motion at once (a key was pressed)."""
        if self.running:
            self.frame = self.frames
            self.changed.emit(None)

    def set_reduced(self, reduced: bool) -> None:
        self.reduced = reduced
        if reduced:
            self.finish()

    def pulses(self) -> Pulses | None:
        """What to draw now: the pulses between two columns and how far they are, or None."""
        if not self.running or self.columns is None:
            return None
        source, target = self.columns
        progress = self.frame / self.frames
        # eased in and out: the pulses leave and arrive gently
        eased = progress * progress * (3.0 - 2.0 * progress)
        return Pulses(source, target, eased)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Installed on the application: any key pressed while pulses travel completes their
        motion first (the key then does what it does)."""
        if self.running and event.type() in (QEvent.Type.KeyPress,
                                             QEvent.Type.ShortcutOverride):
            self.finish()
        return False


def _next_phase(before: Snapshot, after: Snapshot) -> bool:
    """Whether ``after`` shows the phase that follows the one ``before`` shows (stepping
    back, or a snapshot of another kind, sets nothing in motion)."""
    index, earlier = phase_index(after), phase_index(before)
    if index is None or len(after.phases) != len(before.phases):
        return False
    if earlier is None:  # before the first phase of the run: the first one follows
        return index == 0
    return index == (earlier + 1) % len(after.phases)
