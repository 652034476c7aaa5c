"""Engine speed: sim's Trainer (all metrics on) against a minimal hand-written numpy loop.

Both train the same network on the same data with plain SGD; they are measured side by side in
one run, alternating, and the medians of several repetitions are compared. Run:

    python bench/engine.py [--repeats 7] [--seconds 0.5]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sim  # noqa: E402

CASES = (  # (label, layer widths, hidden activation, batch size)
    ("2-4-1, batch 4", (2, 4, 1), "sigmoid", 4),
    ("2-8-8-8-8-1, batch 32", (2, 8, 8, 8, 8, 1), "tanh", 32),
    ("64-64-64-10, batch 64", (64, 64, 64, 10), "relu", 64),
)


def experiment(widths: tuple[int, ...], hidden: str, batch: int) -> sim.Experiment:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, widths[0]))
    t = rng.uniform(size=(batch, widths[-1]))
    layers = [{"units": u, "activation": hidden} for u in widths[1:-1]]
    layers.append({"units": widths[-1], "activation": "sigmoid"})
    return sim.parse({"data": {"kind": "inline", "inputs": x.tolist(), "targets": t.tolist()},
                      "network": {"inputs": widths[0], "layers": layers},
                      "loss": "mse", "optimizer": {"kind": "sgd", "learning_rate": 0.1},
                      "batch_size": batch, "shuffle": False})


def minimal_loop(exp: sim.Experiment):
    """The least a numpy programmer would write for one SGD step: no metrics, no checks."""
    trainer = sim.Trainer(exp)  # only to start from the same weights and data
    Ws = [layer.W.copy() for layer in trainer.network.layers]
    bs = [layer.b.copy() for layer in trainer.network.layers]
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    kinds = [layer.activation.kind for layer in trainer.network.layers]
    lr, scale = 0.1, 2.0 / t.size

    def act(z, kind):
        if kind == "sigmoid":
            return 1.0 / (1.0 + np.exp(-z))
        if kind == "tanh":
            return np.tanh(z)
        return np.maximum(z, 0.0)

    def deriv(a, z, kind):
        if kind == "sigmoid":
            return a * (1.0 - a)
        if kind == "tanh":
            return 1.0 - a * a
        return (z > 0.0).astype(float)

    def step():
        zs, acts = [], [x]
        for W, b, kind in zip(Ws, bs, kinds):
            z = acts[-1] @ W.T + b
            zs.append(z)
            acts.append(act(z, kind))
        delta = (acts[-1] - t) * scale * deriv(acts[-1], zs[-1], kinds[-1])
        for l in range(len(Ws) - 1, -1, -1):
            dW = delta.T @ acts[l]
            db = delta.sum(axis=0)
            if l:
                delta = (delta @ Ws[l]) * deriv(acts[l], zs[l - 1], kinds[l - 1])
            Ws[l] -= lr * dW
            bs[l] -= lr * db
    return step


def steps_per_second(step, seconds: float) -> float:
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            step()
        count += 50
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--json", action="store_true", help="print one JSON line per case")
    args = parser.parse_args()
    if not args.json:
        print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
              f"Python {platform.python_version()}, numpy {np.__version__}")
        print(f"{'network':<26}{'sim steps/s':>14}{'minimal steps/s':>18}{'ratio':>8}")
    for label, widths, hidden, batch in CASES:
        exp = experiment(widths, hidden, batch)
        trainer = sim.Trainer(exp)
        minimal = minimal_loop(exp)
        ours, theirs = [], []
        for _ in range(args.repeats):  # alternate so both see the same machine load
            ours.append(steps_per_second(trainer.step, args.seconds))
            theirs.append(steps_per_second(minimal, args.seconds))
        a, b = statistics.median(ours), statistics.median(theirs)
        if args.json:
            print(json.dumps({"case": label, "sim": a, "minimal": b, "ratio": a / b}))
        else:
            print(f"{label:<26}{a:>14,.0f}{b:>18,.0f}{a / b:>8.2f}")


if __name__ == "__main__":
    main()
