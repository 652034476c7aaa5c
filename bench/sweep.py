"""Many seeds at once: ``sim.sweep`` against the same seeds trained one after another.

Each case trains N seeds of one lesson for the same steps (or epochs) both ways: once as one
sweep (``python -m sim sweep``'s computation), once as N Trainers run in turn (what N calls of
``python -m sim run`` compute, without starting N interpreters). The two are interleaved,
repetition by repetition, and the medians compared. Run:

    python bench/sweep.py [--repeats 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sim
from sim.sweep import sweep

LESSONS = Path(__file__).resolve().parents[1] / "assets" / "lessons"
CASES = (  # (label, lesson, runs, steps, epochs)
    ("XOR 2-3-1, full batch (xor.json)", "xor.json", 100, 1000, None),
    ("moons 2-6-1, batch 8, shuffled (batch-mini.json)", "batch-mini.json", 100, None, 30),
    ("XOR cloud 2-16-16-1, dropout, validation (overfitting-dropout.json)",
     "overfitting-dropout.json", 50, 200, None),
)


def one_by_one(experiment: sim.Experiment, runs: int, steps: int | None,
               epochs: int | None) -> None:
    for k in range(runs):
        sim.Trainer(experiment.replace(seed=experiment.seed + k)).run(steps=steps, epochs=epochs)


def measure(repeats: int) -> list[dict]:
    rows = []
    for label, lesson, runs, steps, epochs in CASES:
        experiment = sim.load(LESSONS / lesson)
        ways = {"sweep": lambda e=experiment, r=runs, s=steps, p=epochs: sweep(e, r, s, p),
                "one_by_one": lambda e=experiment, r=runs, s=steps, p=epochs:
                one_by_one(e, r, s, p)}
        seconds: dict[str, list[float]] = {name: [] for name in ways}
        for repeat in range(repeats):
            for name in sorted(ways, reverse=bool(repeat % 2)):  # alternate which goes first
                started = time.perf_counter()
                ways[name]()
                seconds[name].append(time.perf_counter() - started)
        medians = {name: statistics.median(values) for name, values in seconds.items()}
        rows.append({"case": label, "runs": runs,
                     "limit": f"{steps} steps" if steps else f"{epochs} epochs",
                     "sweep_s": medians["sweep"], "one_by_one_s": medians["one_by_one"],
                     "speed_up": medians["one_by_one"] / medians["sweep"]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON line per case")
    args = parser.parse_args()
    rows = measure(args.repeats)
    for row in rows:
        if args.json:
            print(json.dumps(row))
        else:
            print(f"{row['case']}: {row['runs']} runs of {row['limit']}: sweep "
                  f"{row['sweep_s']:.2f} s, one by one {row['one_by_one_s']:.2f} s, "
                  f"{row['speed_up']:.1f}x")


if __name__ == "__main__":
    main()
