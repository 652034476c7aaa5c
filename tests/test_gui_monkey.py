"""The monkey test: a seeded random user hammers the real window while training runs.

Two thousand actions go through the window as a user makes them (keys, the speed slider,
the controls' spin boxes and buttons, double-clicks on the canvas, window resizes), with
pytest-qt, offscreen. Most actions are checked at once: their effect must show within
``EFFECT_MS`` (a step advances the step count by one, a pause stops the worker, a lesson
opens at step 0, ...). Some come in bursts with no wait in between, as from a student
hammering the keys; a burst is checked as a whole. Any exception, in a slot, a virtual
method or any thread, fails the test, and so does any message box. At the end the window,
paused, shows the trainer's current state.

The sequence of actions is seeded, but what some actions do depends on timing (where a run
stops, which edge a double-click finds), so a failure names the actions before it.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QSize, Qt, QTimer
from PySide6.QtWidgets import QInputDialog, QPushButton, QSpinBox

import sim
from gui.canvas import Selection
from gui.speed import speed_text
from gui.window import MainWindow
from sim import lessons, palette
from sim.experiment import to_dict
from tests.conftest import experiment
from tests.test_gui_lecture import theta_of

SEED = int(os.environ.get("BACKPROP_STUDIO_MONKEY_SEED", "6"))  # issue 6; vary it to explore
ACTIONS = 2000
EFFECT_MS = 5000  # the longest any effect may take to show (they take milliseconds)
LIVENESS_EVERY = 50  # actions between two checks that training and painting go on
BURST_CHANCE = 0.08  # the chance that an action starts a burst of unchecked actions
QUIET_MS = 30  # a paused worker publishes nothing for at least this long
# Per action: many times what an action and its checks may take (a few waits of EFFECT_MS at
# most), so a slow machine never trips it; a GUI thread that never gets back to a wait does.
HANG_SECONDS = 120
LESSON_FILES = lessons.lesson_files()[:9]  # number keys 1-9
MAX_HIDDEN = 3  # the monkey keeps networks small, so that 2,000 actions stay quick
MAX_UNITS = 6

Check = Callable[[], bool]


# ---------------------------------------------------------------------------- exceptions

class ExceptionGuard:
    """Records every uncaught exception: in the GUI thread (sys.excepthook, which PySide
    calls for exceptions in slots and virtual methods) and in any Python thread
    (threading.excepthook). The hooks it replaces still run, so pytest-qt records them too."""

    def __init__(self) -> None:
        self.caught: list[str] = []

    def _sys_hook(self, kind, value, tb) -> None:
        self.caught.append("".join(traceback.format_exception(kind, value, tb)))
        self._previous_sys(kind, value, tb)

    def _thread_hook(self, args) -> None:
        self.caught.append("".join(traceback.format_exception(
            args.exc_type, args.exc_value, args.exc_traceback)))
        self._previous_thread(args)

    def __enter__(self) -> ExceptionGuard:
        self._previous_sys, self._previous_thread = sys.excepthook, threading.excepthook
        sys.excepthook, threading.excepthook = self._sys_hook, self._thread_hook
        return self

    def __exit__(self, *exc_info) -> None:
        sys.excepthook, threading.excepthook = self._previous_sys, self._previous_thread

    def check(self, when: str) -> None:
        if self.caught:
            pytest.fail(f"{when}: {len(self.caught)} uncaught exception(s); the first:\n"
                        f"{self.caught[0]}", pytrace=False)


@pytest.mark.qt_no_exception_capture  # only the guard is to see this exception
def test_the_guard_sees_an_exception_raised_in_a_slot(qtbot):
    def broken_slot() -> None:
        raise ZeroDivisionError("raised inside a Qt slot")

    with ExceptionGuard() as guard:
        QTimer.singleShot(0, broken_slot)
        qtbot.waitUntil(lambda: bool(guard.caught), timeout=EFFECT_MS)
    assert "ZeroDivisionError: raised inside a Qt slot" in guard.caught[0]


class Monkey:
    """Makes one random user action at a time and says how to see that it took effect.

    Each action returns a condition that becomes true once its effect shows, or None when
    the effect was immediate (and is asserted already)."""

    def __init__(self, window: MainWindow, qtbot, rng: np.random.Generator) -> None:
        self.window, self.qtbot, self.rng = window, qtbot, rng
        self.edited: sim.Experiment | None = None  # the last experiment the controls made
        window.controls.experiment_edited.connect(self._controls_edited)
        self.edit_values: list[float] = []  # what the edit dialog answers, in turn
        self.epoch_counts: list[int] = []  # what the run-epochs dialog answers, in turn
        self.rebuilds_confirmed = 0
        self.log: list[str] = []  # the actions made, for a failure message
        self.actions: dict[str, tuple[int, Callable[[], Check | None]]] = {
            "space": (16, self.play_or_pause), "step": (8, self.step),
            "phase": (10, self.step_phase), "back": (6, self.step_back),
            "reset": (3, self.reset), "colour mode": (5, self.colour_mode),
            "learning rate": (6, self.learning_rate), "architecture": (4, self.architecture),
            "edit weight": (6, self.edit_weight), "lesson": (3, self.lesson),
            "resize": (4, self.resize), "presentation": (3, self.presentation),
            "step epoch": (6, self.step_epoch), "run epochs": (3, self.run_epochs),
            "speed": (4, self.speed), "paths": (4, self.paths),
        }
        self.names = list(self.actions)
        weights = np.array([self.actions[name][0] for name in self.names], float)
        self.chances = weights / weights.sum()

    def choose(self) -> str:
        return self.names[self.rng.choice(len(self.names), p=self.chances)]

    # ------------------------------------------------------------------ what is shown

    @property
    def shown(self) -> sim.Snapshot:
        """The snapshot shown: a kept phase after stepping back, else the newest."""
        return self.window.snapshot

    @property
    def newest(self) -> sim.Snapshot:
        """The newest snapshot the window received: where the trainer is."""
        return self.window.run.trail.kept[-1]

    @property
    def playing(self) -> bool:
        return self.window.action("play").text() == "Pause"

    def can_train(self) -> bool:
        """Whether a step can move the trainer: a stop rule or a divergence ended the run."""
        return self.newest.stop_event is None

    def settled(self, condition: Check = lambda: True) -> Check:
        """``condition``, once the worker has run every command sent so far and finished
        any steps they asked for, and the window shows what came of them."""
        run, worker = self.window.run, self.window.run.worker
        sent = worker.last_ticket  # everything sent so far
        answered: dict[int, bool] = {}  # last ticket found handled: its answers arrived
        # last ticket found handled: the newest snapshot published by then, which shows
        # what its commands did (the worker publishes before it reports a command handled)
        published: dict[int, int] = {}

        def check() -> bool:
            if not (worker.handled(sent) and (self.playing or not worker.training)):
                return False
            # Meanwhile the window may have sent more (a pause when a run ended, a load once
            # the worker has read a file): those too, with what they published.
            last = worker.last_ticket
            if not worker.handled(last):
                return False
            # The worker's answers (the file it read, say) were posted to the window as
            # signals before it counted the command handled, and the window may send more
            # when they arrive: a call posted now arrives after them.
            if last not in answered:
                answered[last], published[last] = False, worker.published
                QTimer.singleShot(0, lambda: answered.__setitem__(last, True))
                return False
            # Taken what the commands published; while playing, newer snapshots keep coming,
            # so "the newest is taken" holds only between two frames and is not waited for.
            shown = run.seen >= published[last] and (self.playing or run.up_to_date)
            return answered[last] and shown and condition()
        return check

    def paused(self) -> Check:
        """Settled, and then the worker publishes nothing more: it really stopped."""
        settled = self.settled(lambda: not self.playing)

        def still() -> bool:
            if not settled():
                return False
            newest = self.newest
            self.qtbot.wait(QUIET_MS)
            # Nothing new was published: the window neither took nor has a newer snapshot.
            assert self.newest is newest and self.window.run.up_to_date, \
                "training went on after a pause"
            return True
        return still

    def key(self, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
        self.qtbot.keyClick(self.window, key, modifier)

    # ------------------------------------------------------------------ training keys

    def play_or_pause(self) -> Check | None:
        if self.playing:
            self.key(Qt.Key.Key_Space)
            assert not self.playing
            return self.paused()
        before = self.newest.step
        resumable = not self.newest.diverged  # play goes on past a stop rule
        self.key(Qt.Key.Key_Space)
        assert self.playing
        if not resumable:
            return self.settled()
        return self.settled(lambda: self.newest.step > before or self.newest.diverged)

    def step(self) -> Check | None:
        exact, before, trainable = not self.playing, self.newest.step, self.can_train()
        self.key(Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
        if not trainable:
            return self.settled()
        if exact:  # paused and settled: exactly one whole iteration
            return self.settled(lambda: self.newest.diverged or (
                self.newest.step == before + 1 and self.newest.at_boundary))
        return self.settled(lambda: self.newest.diverged or (
            self.newest.step > before and self.newest.at_boundary))

    def step_phase(self) -> Check | None:
        trail = self.window.run.trail
        if not trail.at_newest:  # forward through a kept phase: nothing is recomputed
            position = trail.position
            self.key(Qt.Key.Key_Right)
            assert trail.position == position + 1
            assert self.shown is trail.shown and self.window.canvas.snapshot is trail.shown
            return self.settled()
        before, trainable = (self.newest.step, self.newest.cursor), self.can_train()
        self.key(Qt.Key.Key_Right)
        if not trainable:
            return self.settled()
        return self.settled(lambda: self.newest.diverged or
                            (self.newest.step, self.newest.cursor) != before)

    def step_back(self) -> Check | None:
        """The previous kept phase is shown, and stays shown."""
        trail = self.window.run.trail
        moves = trail.position > 0 and not self.playing
        position = trail.position - 1 if trail.position > 0 else 0
        self.key(Qt.Key.Key_Left)
        kept = trail.shown
        assert trail.position == position
        assert self.shown is kept and self.window.canvas.snapshot is kept
        if not moves:
            return self.settled()
        return self.settled(lambda: self.window.canvas.snapshot is kept
                            and trail.position == position)

    def step_epoch(self) -> Check | None:
        exact, before, trainable = not self.playing, self.newest.epoch, self.can_train()
        self.log[-1] += f" from epoch {before}"
        self.key(Qt.Key.Key_E)
        if not trainable:
            return self.settled()
        # Pressed while playing, the epoch counts from where the worker had got to by then.
        ran = (lambda e: e == before + 1) if exact else (lambda e: e > before)
        return self.settled(lambda: self.newest.stop_event is not None or (
            ran(self.newest.epoch) and self.newest.at_boundary))

    def run_epochs(self) -> Check | None:
        count = int(self.rng.integers(1, 25))
        self.epoch_counts.append(count)
        exact, before, trainable = not self.playing, self.newest.epoch, self.can_train()
        self.log[-1] += f" {count} from epoch {before}"
        self.key(Qt.Key.Key_E, Qt.KeyboardModifier.ShiftModifier)  # the dialog answers count
        progress = self.window.run_status.progress
        assert progress.isVisible() and self.playing
        over = lambda: not self.playing and not progress.isVisible()  # noqa: E731
        if not trainable:
            return self.settled(over)
        # Started while playing, the run counts from where the worker had got to by then.
        ran = (lambda e: e == before + count) if exact else (lambda e: e >= before + count)
        return self.settled(lambda: over() and (self.newest.stop_event is not None
                                                or ran(self.newest.epoch)))

    def reset(self) -> Check | None:
        self.key(Qt.Key.Key_R)
        return self.settled(lambda: self.newest.step == 0 and self.newest.cursor == 0
                            and self.newest.stop_event is None)

    def lesson(self) -> Check | None:
        number = int(self.rng.integers(1, len(LESSON_FILES) + 1))
        lesson = sim.load(LESSON_FILES[number - 1])
        self.key(getattr(Qt.Key, f"Key_{number}"))
        return self.settled(lambda: self.window.run.experiment == lesson
                            and self.newest.experiment == lesson and self.newest.step == 0)

    # ------------------------------------------------------------------ looks

    def colour_mode(self) -> Check | None:
        modes = palette.MODES
        expected = modes[(modes.index(self.window.canvas.mode) + 1) % len(modes)]
        self.key(Qt.Key.Key_G)
        assert self.window.canvas.mode == expected
        # The box says what the edges show: the user's mode, or while walking phases the
        # phase's own quantity (gui.window._show_mode).
        assert self.window.mode_box.currentData() == self.window.canvas.shown_mode
        return None

    def presentation(self) -> Check | None:
        on = self.window.presentation.on
        self.key(Qt.Key.Key_F5)
        assert self.window.presentation.on is not on
        assert self.window.controls_dock.isVisible() is on  # hidden in presentation mode
        return None

    def resize(self) -> Check | None:
        """The window is never smaller than its minimum, and the canvas repaints at its new
        size. (The window may not take the exact size: the minimum moves while the docks
        lay themselves out again after presentation mode or a new network.)"""
        wanted = QSize(int(self.rng.integers(700, 1800)), int(self.rng.integers(500, 1150)))
        canvas_size, paints = self.window.canvas.size(), len(self.window.canvas.paint_times)
        self.window.resize(wanted)
        size = self.window.size
        return lambda: size() == size().expandedTo(self.window.minimumSizeHint()) and (
            self.window.canvas.size() == canvas_size
            or len(self.window.canvas.paint_times) > paints)

    def speed(self) -> Check | None:
        notches = self.window.speed_control.notches
        position = int(self.rng.integers(0, len(notches)))
        self.window.speed.setValue(position)
        speed = notches[position]
        assert self.window.speed_label.text().strip().startswith(speed_text(speed))
        assert self.window.speed_control.speed == speed
        return None

    # ------------------------------------------------------------------ controls

    def _controls_edited(self, experiment_: sim.Experiment) -> None:
        self.edited = experiment_

    def trains_edited(self, before: sim.Experiment | None,
                      condition: Check = lambda: True) -> Check:
        """The trainer, the window and the snapshot all have the experiment the controls
        made last (a changed learning rate applies live; a changed network rebuilds). A
        change the engine refuses says why in one line and changes nothing."""
        edited = self.edited
        if edited is before:
            error = self.window.controls.error.text()
            assert error and "\n" not in error, f"a refused edit must say why: {error!r}"
            return self.settled()
        return self.settled(lambda: self.window.run.experiment == edited
                            and self.newest.experiment == edited and condition())

    def show_controls(self) -> None:
        if not self.window.controls.isVisible():  # presentation mode hides them
            self.key(Qt.Key.Key_F5)
        assert self.window.controls.isVisible()

    def learning_rate(self) -> Check | None:
        self.show_controls()
        box = self.window.controls.fields["learning_rate"]
        exponent = self.rng.uniform(2, 4) if self.rng.random() < 0.05 else \
            self.rng.uniform(-3, 0.5)  # now and then a rate that makes the run diverge
        old, edited = box.value(), self.edited
        box.setValue(10 ** exponent)  # as if typed: the spin box rounds to its decimals
        if box.value() == old:
            return None
        assert self.edited is edited or self.edited.optimizer.learning_rate == box.value()
        return self.trains_edited(edited)

    def hidden_rows(self) -> list:
        box = self.window.controls.layers_box
        return [box.itemAt(k).widget() for k in range(box.count())]

    def architecture(self) -> Check | None:
        self.show_controls()
        rows, depth, edited = self.hidden_rows(), self.newest.depth, self.edited
        choice = self.rng.integers(3)
        if choice == 0 and rows:  # the units of a hidden layer
            index = int(self.rng.integers(len(rows)))
            box = rows[index].findChildren(QSpinBox)[0]
            units = int(self.rng.integers(1, MAX_UNITS + 1))
            if units == box.value():
                return None
            box.setValue(units)
            return self.trains_edited(edited, lambda: self.newest.step == 0 and self.newest.depth
                                      == depth and self.newest.layers[index].units == units)
        if choice == 1 and rows:  # remove a hidden layer
            index = int(self.rng.integers(len(rows)))
            remove = next(b for b in rows[index].findChildren(QPushButton) if b.text() == "✕")
            self.qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
            return self.trains_edited(edited, lambda: self.newest.step == 0
                                      and self.newest.depth == depth - 1)
        if len(rows) >= MAX_HIDDEN:
            return None
        self.qtbot.mouseClick(self.window.controls.add_layer, Qt.MouseButton.LeftButton)
        return self.trains_edited(edited, lambda: self.newest.step == 0
                                  and self.newest.depth == depth + 1)

    def confirm_rebuild(self) -> bool:
        self.rebuilds_confirmed += 1
        return True

    # ------------------------------------------------------------------ the canvas

    def edge_under_point(self) -> tuple[QPoint, Selection] | None:
        """A point on a random edge that the canvas takes for that weight or bias."""
        canvas = self.window.canvas
        geometry = canvas.geometry_for_paint()
        for _ in range(40):
            layer = int(self.rng.integers(1, geometry.columns))
            blocks = [b for b in (geometry.segments[layer], geometry.bias_segments[layer])
                      if b is not None and len(b)]
            block = blocks[int(self.rng.integers(len(blocks)))]
            segment = np.asarray(block[int(self.rng.integers(len(block)))], float)
            p = segment[:2] + (segment[2:] - segment[:2]) * self.rng.uniform(0.2, 0.8)
            point = QPointF(float(p[0]), float(p[1])).toPoint()
            item = canvas.item_at(QPointF(point))
            if item is not None and item.kind in ("weight", "bias") and \
                    canvas.rect().contains(point):
                return point, item
        return None

    def edit_weight(self) -> Check | None:
        found = self.edge_under_point()
        if found is None:
            return None
        point, item = found
        value = float(self.rng.choice([-1e6, 1e6])) if self.rng.random() < 0.03 else \
            float(self.rng.normal(0.0, 2.0))  # now and then the largest the dialog allows
        self.edit_values.append(value)
        exact = not self.playing and self.can_train()
        self.qtbot.mouseDClick(self.window.canvas, Qt.MouseButton.LeftButton, pos=point)
        assert not self.edit_values, "the double-click did not open the edit dialog"
        assert self.window.canvas.selection == item
        if not exact:
            return self.settled()

        def edited() -> bool:
            ls = self.newest.layers[item.layer - 1]
            return float(ls.b[item.j] if item.kind == "bias" else ls.W[item.j, item.i]) == value
        return self.settled(edited)

    def paths(self) -> Check | None:
        """Click an edge and press P: its paths show (or, shown already, they go)."""
        found = self.edge_under_point()
        if found is None:
            return None
        point, item = found
        self.qtbot.mouseClick(self.window.canvas, Qt.MouseButton.LeftButton, pos=point)
        assert self.window.canvas.selection == item
        shown = self.window.action("paths").isChecked()
        self.key(Qt.Key.Key_P)
        assert self.window.action("paths").isChecked() == (not shown)
        highlight = self.window.canvas.paths
        assert (highlight is None) == shown
        if highlight is not None:  # the selected edge is on every one of its paths
            own = highlight.every[item.layer]
            assert own.biases[item.j] if item.i is None else own.weights[item.j, item.i]
        return None

    # ------------------------------------------------------------------ the dialogs

    def answer_edit(self, parent, title, label, value, *args, **kwargs) -> tuple[float, bool]:
        return self.edit_values.pop(), True

    def answer_epochs(self, parent, title, label, value, *args, **kwargs) -> tuple[int, bool]:
        return self.epoch_counts.pop(), True


# ---------------------------------------------------------------------------- checks

def describe(monkey: Monkey) -> str:
    """What the window shows and what its worker is doing, for a failure message."""
    window, worker = monkey.window, monkey.window.run.worker
    s, status = monkey.newest, worker.status(timeout=1.0)
    doing = "no answer to a status request within 1 s" if status is None else (
        f"playing {status.playing} training {status.training} speed "
        f"{status.steps_per_second} due in {status.next_step_in:.3g} s; trainer step "
        f"{status.snapshot.step} cursor {status.snapshot.cursor}")
    return (f"newest shown: step {s.step} epoch {s.epoch} cursor {s.cursor} stop "
            f"{s.stop_event and s.stop_event.message!r}; window playing {monkey.playing}; "
            f"worker running {worker.isRunning()} idle {worker.idle}, every command sent "
            f"handled {worker.handled(worker.last_ticket)}, {doing}; controls say "
            f"{window.controls.error.text()!r}; window size {window.size().toTuple()}, minimum "
            f"{window.minimumSizeHint().toTuple()}; the last actions: {monkey.log[-12:]}")


def wait_for(monkey: Monkey, condition: Check, what: str) -> None:
    try:
        monkey.qtbot.waitUntil(condition, timeout=EFFECT_MS)
    except Exception as error:  # pytest-qt's TimeoutError: say which action hung, and how
        raise AssertionError(f"{what}: no effect within {EFFECT_MS} ms; "
                             f"{describe(monkey)}") from error


def check_alive(monkey: Monkey, when: str) -> None:
    """The worker settles; then training goes on while playing, and the canvas keeps
    painting the shown snapshot."""
    window = monkey.window
    wait_for(monkey, monkey.settled(), f"{when}: the worker did not settle")
    paints, before = len(window.canvas.paint_times), monkey.newest.step
    if monkey.playing and monkey.can_train():
        wait_for(monkey, lambda: monkey.newest.step > before or not monkey.can_train(),
                 f"{when}: training stalled")
    window.canvas.update()
    wait_for(monkey, lambda: len(window.canvas.paint_times) > paints,
             f"{when}: the canvas stopped painting")
    assert window.canvas.snapshot is window.snapshot


def check_final_state(monkey: Monkey) -> None:
    """Paused and settled, the window shows the trainer's current state."""
    window = monkey.window
    if monkey.playing:
        monkey.key(Qt.Key.Key_Space)
    wait_for(monkey, monkey.paused(), "the final pause")
    while not window.run.trail.at_newest:  # the user had stepped back: walk to the newest phase
        monkey.key(Qt.Key.Key_Right)
    status = window.run.worker.status()
    assert status is not None, "the worker did not answer a status request"
    trainer = status.snapshot  # the trainer as it is, taken by the worker and not published
    snapshot = window.snapshot
    assert window.canvas.snapshot is snapshot
    assert (snapshot.step, snapshot.epoch, snapshot.cursor) == \
        (trainer.step, trainer.epoch, trainer.cursor)
    assert np.array_equal(theta_of(snapshot), theta_of(trainer), equal_nan=True)
    assert window.run.experiment == trainer.experiment == snapshot.experiment
    assert window.controls.document == to_dict(window.run.experiment.replace(state=None))


@pytest.fixture
def hang_guard(pytestconfig) -> Iterator[Callable[[], None]]:
    """A deadlocked GUI thread never gets back to a wait's timeout: if HANG_SECONDS pass
    with no call of the function this yields (once per action), every thread's stack is
    written to the terminal and the run ends, rather than hang CI.

    The stacks go to the stderr that pytest itself was given: pytest's capture replaces file
    descriptor 2 with a file that it prints only after the test, which never comes."""
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        terminal = os.fdopen(os.dup(2), "w")

    def rearm() -> None:
        faulthandler.dump_traceback_later(HANG_SECONDS, exit=True, file=terminal)

    rearm()
    try:
        yield rearm
    finally:
        faulthandler.cancel_dump_traceback_later()
        terminal.close()


@pytest.mark.slow  # 1.5 minutes on a quiet 2-core machine, several with both cores busy
def test_two_thousand_random_user_actions_while_training(hang_guard, make_window, qtbot,
                                                          monkeypatch):
    # hang_guard comes first, so that it also watches the windows close at teardown.
    window = make_window(experiment())  # endless XOR: no stopping rule until a lesson opens
    rng = np.random.default_rng(SEED)
    monkey = Monkey(window, qtbot, rng)
    window.confirm_rebuild = monkey.confirm_rebuild
    monkeypatch.setattr(QInputDialog, "getDouble", staticmethod(monkey.answer_edit))
    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(monkey.answer_epochs))
    counts: dict[str, int] = dict.fromkeys(monkey.names, 0)
    started = time.perf_counter()
    with ExceptionGuard() as guard:
        wait_for(monkey, monkey.play_or_pause(), "the first play")
        burst = 0
        for index in range(ACTIONS):
            hang_guard()  # HANG_SECONDS from now for this action
            name = monkey.choose()
            when = f"seed {SEED}, action {index} ({name})"
            counts[name] += 1
            monkey.log.append(f"{name} (burst)" if burst else name)
            effect = monkey.actions[name][1]()
            guard.check(when)
            assert not make_window.dialogs, f"{when}: {make_window.dialogs}"
            if burst:  # no wait: the next action follows at once
                burst -= 1
                if not burst:  # the burst is over: it is checked as a whole
                    check_alive(monkey, when)
            elif rng.random() < BURST_CHANCE:
                burst = int(rng.integers(3, 12))
            elif effect is not None:
                wait_for(monkey, effect, when)
            if index % LIVENESS_EVERY == LIVENESS_EVERY - 1 and not burst:
                check_alive(monkey, when)
            guard.check(when)
        hang_guard()
        check_final_state(monkey)
        guard.check("at the end")
    assert not make_window.dialogs, make_window.dialogs
    print(f"\nmonkey, seed {SEED}: {ACTIONS} actions in {time.perf_counter() - started:.1f} s, "
          f"{window.run.worker.steps_done} steps, {monkey.rebuilds_confirmed} rebuilds; {counts}")
    assert all(counts.values()), f"some action never ran: {counts}"
    assert monkey.rebuilds_confirmed > 0
