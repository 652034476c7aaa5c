"""App speed: UI latency while training at full speed, and training steps/s with the window
painting against headless `sim` on the same experiment.

For each experiment and repetition the app runs as a subprocess, offscreen, exactly as a user
can run it (``python -m gui FILE --play --quit-after SECONDS --stats --size 1600x1000``, with
the decision boundary and the live plots on show: ``--show "Data and landscape" --show
Plots``, which both experiments open on anyway); its
``--stats`` line gives steps/s, paint times and UI latency measured inside the app. Then the
same file trains headless in this process with ``sim.Trainer`` for the same wall time. The two
alternate, so both see the same machine load, and medians of the repetitions are reported.

Experiments: the default XOR lesson, with its stopping rule lifted (it stops at 5,000 steps,
a fraction of a second at full speed, and would then idle for the rest of the measurement),
and bench/spiral.json (2-8-8-1 tanh, Adam, mini-batches of 16), which has no stopping rule.
Run:

    python bench/app.py [--seconds 10] [--repeats 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim import lessons  # noqa: E402
from sim.experiment import StoppingSpec  # noqa: E402

SPIRAL = Path(__file__).resolve().parent / "spiral.json"
WINDOW_SIZE = "1600x1000"
SHOWN = ("--show", "Data and landscape", "--show", "Plots")  # the app's features on show
STARTUP_ALLOWANCE = 60.0  # seconds a slow machine may take to start and close the app
STATS_KEYS = ("steps", "frames", "steps_per_s", "paint_ms_p50", "paint_ms_p99",
              "ui_latency_ms_p50", "ui_latency_ms_p99", "max_rss_mb")


def xor_without_stopping(directory: Path) -> Path:
    """The default lesson as a file whose only changes are that no stopping rule ends it and
    that it plays as fast as possible (a lesson plays at the speed of its story)."""
    path = directory / "xor-no-stopping.json"
    lesson = lessons.load_lesson()
    experiment = lesson.replace(stopping=StoppingSpec(), view=replace(lesson.view, speed=None))
    path.write_text(sim.dumps(experiment), encoding="utf-8")
    return path


def experiments(directory: Path) -> list[tuple[str, Path]]:
    """(label, file) of each experiment measured; temporary files go in ``directory``."""
    return [("XOR lesson 2-3-1, full batch (max_steps lifted)", xor_without_stopping(directory)),
            ("spiral 2-8-8-1 tanh, Adam, batch 16", SPIRAL)]


def app_stats(path: Path, seconds: float) -> dict:
    """Run the app on a file, playing, and return its ``--stats`` figures."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    command = [sys.executable, "-m", "gui", str(path), "--play", "--quit-after", f"{seconds:g}",
               "--stats", "--size", WINDOW_SIZE, *SHOWN]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=seconds + STARTUP_ALLOWANCE, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"the app exited with code {done.returncode}: {tail[0]}")
    return json.loads(lines[-1])


def headless_run(path: Path, seconds: float) -> tuple[float, bool]:
    """Steps per second of sim alone on the file for ``seconds``, and whether it stopped."""
    trainer = sim.Trainer(sim.load(path))
    steps = 0
    started = time.perf_counter()
    deadline = started + seconds
    while not trainer.stopped and time.perf_counter() < deadline:
        steps += trainer.run(steps=50)
    return steps / (time.perf_counter() - started), trainer.stopped


def measure(seconds: float, repeats: int) -> list[dict]:
    """One row per experiment: medians of the app's figures and of headless steps/s."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-app-") as scratch:
        for label, path in experiments(Path(scratch)):
            stats: dict[str, list[float]] = {key: [] for key in STATS_KEYS}
            headless: list[float] = []
            stopped = False
            unreaped = 0.0  # CPU seconds of training processes this process never waited for
            for _ in range(repeats):
                figures = app_stats(path, seconds)
                unreaped += figures.get("training_cpu_s") or 0.0
                for key in STATS_KEYS:
                    if key in figures:  # an app that does not report a figure: left out
                        stats[key].append(figures[key])
                rate, halted = headless_run(path, seconds)
                headless.append(rate)
                stopped |= halted
            row = {"experiment": label, "file": path.name, "seconds": seconds,
                   "repeats": repeats, "headless_steps_per_s": statistics.median(headless),
                   "headless_stopped": stopped, "unreaped_cpu_s": unreaped}
            row.update({key: statistics.median(values) if values else None
                        for key, values in stats.items()})
            row["painting_vs_headless"] = row["steps_per_s"] / row["headless_steps_per_s"]
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON line per row")
    args = parser.parse_args()
    rows = measure(args.seconds, args.repeats)
    for row in rows:
        if args.json:
            print(json.dumps(row))
            continue
        p50 = "n/a" if row["ui_latency_ms_p50"] is None else f"{row['ui_latency_ms_p50']:.1f} ms"
        print(f"{row['experiment']}: window {row['steps_per_s']:,.0f} steps/s, headless "
              f"{row['headless_steps_per_s']:,.0f} steps/s "
              f"(ratio {row['painting_vs_headless']:.2f}); UI latency p50 {p50}, "
              f"p99 {row['ui_latency_ms_p99']:.1f} ms; paint p50 {row['paint_ms_p50']:.1f} ms, "
              f"p99 {row['paint_ms_p99']:.1f} ms; {row['frames']:.0f} frames")


if __name__ == "__main__":
    main()
