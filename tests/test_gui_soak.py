"""Soak: thousands of painted frames while training runs at full speed.

PySide6 6.12.0 on Python 3.11 took a reference from `None` on void calls (pyqtgraph's axis
painting makes them), and the interpreter died with `none_dealloc` after a few thousand
frames (/work/shared/ARCHITECTURE.md, "Hazards"); whatever PySide6 `pip install` picks must
not do that. Nor may memory, the kept history or the time a frame takes grow with the run.

Nothing here depends on the machine's speed: the run is as long as a count of frames and
steps, and a frame's cost is the CPU time the GUI thread spends painting it. Load from other
processes changes that little (measured: 1.2 times, when four or eight busy loops started
halfway through a run on 2 cores), while it can stretch wall-clock time by any factor.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QEventLoop, QTimer

from tests.conftest import experiment

WARM_UP_FRAMES = 200  # caches fill and the plots reach their size before measuring
FRAMES = 2000  # measured frames
# The loop runs until it has painted FRAMES frames *and* training has taken enough steps for
# the history to fold: on an idle 2-core machine 10-30 s, with both cores busy with other work
# up to several minutes. Training shares the interpreter with painting, so a frame lets it take
# a similar number of steps however busy the machine is (measured: 6-17, idle or under a load
# of 14 on 2 cores); the run fails only if training falls far behind that, or stops.
FRAME_CAP = 25 * FRAMES
STALL_SECONDS = 60.0  # training that takes no step for this long has stopped (a step: ~0.1 ms)
CREEP_FACTOR = 3.0  # the last frames' median CPU time painting against the first's
RSS_GROWTH_MB = 50.0  # a kept Snapshot per frame would cost gigabytes
# sim.history keeps up to 2 x 2048 recent steps, 2048 min/max buckets and one being filled
HISTORY_POINTS = 2 * 2048 + 2048 + 1
WINDOW = 500  # frames per median
PAUSED_FRAMES = 300  # painted with training paused
# Other threads hold a few references to None at any moment (the worker's stack, say), so
# two readings of the count differ by a few tens; the PySide6 bug took one per void call,
# hundreds a frame, and a test once a frame is still caught (300 frames, 300 references).
NONE_SLACK = 100


def soak_experiment():
    """Three layers of edges, 88 of them, no stopping rule: training runs throughout."""
    return experiment(network={"inputs": 2, "layers": [
        {"units": 8, "activation": "tanh"}, {"units": 8, "activation": "tanh"},
        {"units": 1, "activation": "sigmoid"}]})


def resident_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def test_thousands_of_frames_while_training(make_window, qtbot):
    window = make_window(soak_experiment(), size=(1200, 800))
    canvas, plots = window.canvas, window.plots
    # Each frame: the window takes the newest snapshot as its timer would, the canvas (and
    # each plot whose data changed) paints; then, every other frame, the event loop runs
    # until it sleeps, which lets the worker train (it steps while the GUI is idle).
    loop = QEventLoop()
    sleep = QTimer()
    sleep.setSingleShot(True)
    sleep.timeout.connect(loop.quit)
    views = [plots.loss_plot.viewport(), plots.norm_plot.viewport()]
    drawn = {"redraws": plots.redraws, "frames": 0}
    # CPU time, not wall time: a neighbour's load changing mid-run must not look like creep.
    canvas_cpu_ms: list[float] = []  # per frame, this (the GUI) thread's time painting

    def paint() -> None:
        started = time.thread_time()
        canvas.repaint()
        canvas_cpu_ms.append((time.thread_time() - started) * 1000.0)
        if plots.redraws != drawn["redraws"]:
            drawn["redraws"] = plots.redraws
            for view in views:
                view.repaint()

    def frame() -> None:
        window.tick()
        paint()
        drawn["frames"] += 1
        if drawn["frames"] % 2:  # every other frame, so that more frames fit the time
            sleep.start(1)
            loop.exec()

    window.run.set_playing(True)
    qtbot.waitUntil(lambda: window.snapshot.step > 0, timeout=5000)
    for _ in range(WARM_UP_FRAMES):
        frame()
    gc.collect()
    none_references = sys.getrefcount(None)
    rss = resident_mb()
    first_paint, first_step = len(canvas.paint_times), window.snapshot.step
    canvas_cpu_ms.clear()  # measured from here

    def steps() -> int:
        return window.snapshot.step - first_step

    def painted() -> int:
        return len(canvas.paint_times) - first_paint

    last_step, stepped_at = steps(), time.monotonic()
    while steps() <= 2 * HISTORY_POINTS or painted() < FRAMES:
        frames = len(canvas_cpu_ms)
        assert frames < FRAME_CAP, f"only {steps()} steps in {frames} frames"
        if steps() != last_step:
            last_step, stepped_at = steps(), time.monotonic()
        assert time.monotonic() - stepped_at < STALL_SECONDS, \
            f"training took no step for {STALL_SECONDS} s, at {steps()} steps, {frames} frames"
        frame()
    gc.collect()

    # A training worker makes and drops objects that refer to None, so its count moves
    # both ways while training runs; over the whole run it must not have fallen.
    assert sys.getrefcount(None) >= none_references - NONE_SLACK, \
        "the app lost references to None"
    assert resident_mb() - rss < RSS_GROWTH_MB
    snapshot = window.snapshot
    assert snapshot.stop_event is None and snapshot.step - first_step > 2 * HISTORY_POINTS, \
        "training did not run long enough for the history to fold"
    for name in ("loss", "grad_norm", "grad_norm_1"):
        assert len(snapshot.history[name].steps) <= HISTORY_POINTS, name
    # The plots draw decimated curves: about a point per pixel, not one per step.
    plots.refresh_all()
    for curve in [plots.train_curve, plots.global_curve] + plots.layer_curves:
        for item in (curve.line, curve.raw):
            assert item.xData is None or len(item.xData) <= 2 * plots.width()
    first = statistics.median(canvas_cpu_ms[:WINDOW])
    last = statistics.median(canvas_cpu_ms[-WINDOW:])
    assert last <= CREEP_FACTOR * first, \
        f"painting a frame's canvas crept from {first:.2f} to {last:.2f} ms of CPU time"

    # With training paused only a few references move elsewhere: painting must not take any.
    window.run.set_playing(False)
    qtbot.waitUntil(lambda: window.run.worker.idle and window.run.up_to_date, timeout=5000)
    window.tick()
    gc.collect()
    before = sys.getrefcount(None)
    for _ in range(PAUSED_FRAMES):
        canvas.repaint()
        for view in views:
            view.repaint()
    assert sys.getrefcount(None) >= before - NONE_SLACK, "painting took references from None"
