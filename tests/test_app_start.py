"""The app started as `python -m gui` starts it (`gui.app.main`), each run in its own process:
the command line's requests happen in the order the README gives, and `main` leaves nothing
behind that could act on its window once the window is gone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sim.events import iteration_phases
from tests.conftest import LESSONS, ROOT
from tests.test_app_process import LAUNCH_TIMEOUT, app_environment

# Prints the step and the phase the window shows once it has walked PHASES phases and the
# worker has nothing left to do, then closes the window.
REPORT_THE_WALK = """
import sys
from PySide6.QtCore import QTimer
from gui import app

PHASES = int(sys.argv[sys.argv.index("--phases") + 1])

def report_when_walked(window):
    def look():
        shown = window.run.snapshot
        if shown is None or shown.cursor != PHASES or not window.run.idle:
            return
        poll.stop()
        print(shown.step, shown.cursor, shown.last_phase, flush=True)
        window.force_close = True
        window.close()

    poll = QTimer(window)
    poll.timeout.connect(look)
    poll.start(20)

sys.exit(app.main(sys.argv[1:], on_show=report_when_walked))
"""


def test_the_steps_come_before_the_phases() -> None:
    steps, phases = 3, 5
    result = subprocess.run(
        [sys.executable, "-c", REPORT_THE_WALK, str(LESSONS / "seed003-walkthrough.json"),
         "--steps", str(steps), "--phases", str(phases), "--quit-after", str(LAUNCH_TIMEOUT)],
        cwd=ROOT, env=app_environment(), capture_output=True, text=True,
        timeout=LAUNCH_TIMEOUT + 30)
    assert result.returncode == 0, result.stderr
    fifth = iteration_phases(2)[phases - 1]  # of the 2-2-1 network: backward layer 1
    assert result.stdout.splitlines() == [f"{steps} {phases} {fifth}"], result.stderr


QUIT_AFTER = 3.0  # seconds: long enough that the window is closed well before it

# Closes the window at once, long before --quit-after; after `main` returns, says whether the
# signal handlers are the ones it found, and runs the event loop past the quit time.
CLOSE_THEN_LOOP = f"""
import signal, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from gui import app

application = QApplication([sys.argv[0]])  # kept: its event loop runs again after main
NUMBERS = (signal.SIGINT, signal.SIGTERM)
before = [signal.getsignal(number) for number in NUMBERS]

def close_at_once(window):
    window.force_close = True
    QTimer.singleShot(0, window.close)

code = app.main(sys.argv[1:], on_show=close_at_once)
print("handlers restored:", [signal.getsignal(number) for number in NUMBERS] == before,
      flush=True)
QTimer.singleShot({int((QUIT_AFTER + 1.0) * 1000)}, application.quit)
application.exec()
sys.exit(code)
"""


def test_main_leaves_no_signal_handler_or_timer_behind(tmp_path: Path) -> None:
    shot = tmp_path / "window.png"
    result = subprocess.run(
        [sys.executable, "-c", CLOSE_THEN_LOOP, "--quit-after", str(QUIT_AFTER),
         "--screenshot", str(shot)],
        cwd=ROOT, env=app_environment(), capture_output=True, text=True,
        timeout=LAUNCH_TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["handlers restored: True"]
    assert result.stderr == ""
    # The quit time came after main had returned, and nothing of main's acted on it: no
    # screenshot of a window that was gone, no error.
    assert not shot.exists()
