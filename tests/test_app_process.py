"""The app as a user starts it: `python -m gui` in its own process, headless.

Each run must exit 0 (a crash at exit, such as a segfault, gives a negative return code),
print what it promises and nothing it does not.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from tests.conftest import ROOT

STATS_KEYS = {"steps", "frames", "steps_per_s", "paint_ms_p50", "paint_ms_p99",
              "ui_latency_ms_p50", "ui_latency_ms_p99", "max_rss_mb", "training_max_rss_mb",
              "training_cpu_s"}
LAUNCH_TIMEOUT = 60  # seconds: start-up, the timed run and shutdown, on a busy machine


def app_environment(headless_platform: bool = True, **extra: str) -> dict[str, str]:
    """The test's environment without any quit-after setting; with ``headless_platform``
    False, also without a display or a chosen Qt platform, as on a bare server."""
    env = {k: v for k, v in os.environ.items() if k != "BACKPROP_STUDIO_QUIT_AFTER"}
    if headless_platform:
        env["QT_QPA_PLATFORM"] = "offscreen"
    else:
        for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
            env.pop(name, None)
    env.update(extra)
    return env


def run_app(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gui", *args], cwd=ROOT, env=env or
                          app_environment(), capture_output=True, text=True,
                          timeout=LAUNCH_TIMEOUT)


def test_play_with_stats_and_screenshot(tmp_path: Path):
    shot = tmp_path / "window.png"
    result = run_app("--play", "--quit-after", "3", "--stats", "--screenshot", str(shot),
                     "--size", "1280x800")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    stats = json.loads(lines[0])
    assert set(stats) == STATS_KEYS
    assert stats["steps"] > 0 and stats["frames"] > 0 and stats["steps_per_s"] > 0
    assert 0 < stats["paint_ms_p50"] <= stats["paint_ms_p99"]
    # Frame ticks are timed while the worker trains, sharing the interpreter with them: some
    # come late, so a p99 of exactly 0 means nothing was measured; and no tick can come later
    # than the whole run (which also rules out NaN and infinity).
    latency = (stats["ui_latency_ms_p50"], stats["ui_latency_ms_p99"])
    assert 0 <= latency[0] <= latency[1] <= LAUNCH_TIMEOUT * 1000 and latency[1] > 0, latency
    assert 20 < stats["max_rss_mb"] < 20_000, stats  # a Qt app's size in MB, not kB or GB
    # the training process (numpy, no Qt widgets): a size in MB
    assert 10 < stats["training_max_rss_mb"] < 20_000, stats
    assert stats["training_cpu_s"] > 0, stats  # it trained (the worker reads it from /proc)

    image = QImage(str(shot))
    assert not image.isNull(), "the screenshot is not a readable PNG"
    assert (image.width(), image.height()) == (1280, 800)
    grey = image.convertToFormat(QImage.Format.Format_Grayscale8)
    pixels = np.frombuffer(grey.constBits(), np.uint8).reshape(grey.height(),
                                                                grey.bytesPerLine())
    pixels = pixels[:, :grey.width()]
    assert pixels.std() > 10, "the screenshot is (nearly) blank"
    assert len(np.unique(pixels)) > 50  # text, curves and edges, not a flat fill


def test_readme_launch_command_quits_after_the_variable_says():
    """The README's launch command, exercised headless through the environment variable; no
    display and no Qt platform set: a timed run picks the offscreen platform by itself."""
    started = time.perf_counter()
    result = run_app(env=app_environment(headless_platform=False,
                                         BACKPROP_STUDIO_QUIT_AFTER="2"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert time.perf_counter() - started >= 2.0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="display detection is Linux's")
def test_no_display_says_so_in_one_line_and_exits_2():
    result = run_app(env=app_environment(headless_platform=False))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "no display" in lines[0]
    assert "--screenshot" in lines[0] and "--quit-after" in lines[0]  # says what to do


def _catches(pid: int, number: int) -> bool:
    """Whether the process has installed a handler for a signal (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (number - 1) & 1)
    return False


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_terminated_mid_training_exits_0():
    """A polite kill while training runs closes the window like its close button: exit 0."""
    process = subprocess.Popen([sys.executable, "-m", "gui", "--play", "--quit-after", "50",
                                "--stats"], cwd=ROOT, env=app_environment(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + LAUNCH_TIMEOUT
        # The app installs its handler once the window is up and training.
        while not _catches(process.pid, signal.SIGTERM):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the app never got ready"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert set(json.loads(stdout.splitlines()[-1])) == STATS_KEYS  # it finished its run


def test_show_brings_a_panel_to_the_front_and_an_unknown_one_is_refused(tmp_path: Path):
    shot = tmp_path / "health.png"
    done = run_app("assets/lessons/dying-relu.json", "--steps", "3", "--show", "Health",
                   "--screenshot", str(shot))
    assert done.returncode == 0, done.stderr
    assert QImage(str(shot)).width() == 1600
    refused = run_app("assets/lessons/xor.json", "--show", "Nothing")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "backprop-studio: --show: no panel is called 'Nothing'; the panels are Activation, "
        "Controls, Data and landscape, Health, Inspector, Lesson, Many seeds, Neuron map, "
        "Paths, Plots, Side by side, Step by step"]


def test_a_screenshot_waits_for_the_steps_asked_for(tmp_path: Path):
    # The quit time passes long before 300 steps of an 8-layer network can be taken on a busy
    # machine; the picture (and so the exit) waits for them.
    shot = tmp_path / "vanishing.png"
    result = run_app(str(ROOT / "assets" / "lessons" / "vanishing-sigmoid.json"), "--steps",
                     "300", "--quit-after", "0.1", "--stats", "--screenshot", str(shot),
                     "--size", "800x600")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["steps"] == 300
    assert not QImage(str(shot)).isNull()


def test_a_negative_count_and_the_lesson_index_are_refused_in_one_line():
    for args, message in ((("--steps", "-3"), "argument --steps: must be at least 0, got -3"),
                          (("--phases", "x"), "argument --phases: not a whole number: 'x'"),
                          (("assets/lessons/index.json",), "this is the lesson index")):
        refused = run_app(*args)
        assert refused.returncode == 2, args
        assert message in refused.stderr.strip().splitlines()[-1], refused.stderr
        assert "Traceback" not in refused.stderr
