"""The app started as `python -m gui` starts it (`gui.app.main`), each run in its own process:
the command line's requests happen in the order the README gives, and `main` leaves nothing
behind that could act on its window once the window is gone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.test_app_process import LAUNCH_TIMEOUT, app_environment

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
