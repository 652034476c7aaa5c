"""Engine speed: sim's Trainer (all metrics on) against a minimal hand-written numpy loop.

Both train the same network on the same data with plain SGD; they are measured side by side in
one run, interleaved (each repetition measures every implementation once, starting with a
different one each time), and the medians of several repetitions are compared. When PyTorch is
importable, a minimal PyTorch loop (float64, torch.optim.SGD) on the same network joins the
comparison; it is never a dependency. Run:

    python bench/engine.py [--repeats 7] [--seconds 0.5] [--json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sim

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


def minimal_loop(exp: sim.Experiment) -> Callable[[], None]:
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
        for W, b, kind in zip(Ws, bs, kinds, strict=True):
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


def torch_loop(exp: sim.Experiment) -> Callable[[], None] | None:
    """The same SGD step as a PyTorch user would write it (float64); None without PyTorch."""
    try:
        import torch
    except ImportError:
        return None
    # One thread: these networks are far too small for a thread pool, and measured here (2
    # cores, another process busy) two threads made the 64-64-64-10 step 25 times slower.
    torch.set_num_threads(1)
    trainer = sim.Trainer(exp)  # only to start from the same weights and data
    layers = [(torch.tensor(layer.W, dtype=torch.float64, requires_grad=True),
               torch.tensor(layer.b, dtype=torch.float64, requires_grad=True),
               {"sigmoid": torch.sigmoid, "tanh": torch.tanh,
                "relu": torch.relu}[layer.activation.kind])
              for layer in trainer.network.layers]
    x = torch.tensor(trainer.dataset.x_train, dtype=torch.float64)
    t = torch.tensor(trainer.dataset.t_train, dtype=torch.float64)
    optimizer = torch.optim.SGD([p for W, b, _ in layers for p in (W, b)], lr=0.1)
    functional = torch.nn.functional

    def step():
        optimizer.zero_grad(set_to_none=True)
        a = x
        for W, b, act in layers:
            a = act(functional.linear(a, W, b))
        functional.mse_loss(a, t).backward()
        optimizer.step()
    return step


def steps_per_second(step: Callable[[], None], seconds: float) -> float:
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


def interleaved_medians(steps: dict[str, Callable[[], None]], repeats: int,
                        seconds: float) -> dict[str, float]:
    """Median steps/s of each implementation; every repetition measures all of them, in an
    order rotated by one each time, so none always runs first (or right after another)."""
    names = list(steps)
    for name in names:  # warm up: first calls allocate buffers and fill caches
        steps_per_second(steps[name], min(seconds, 0.05))
    results: dict[str, list[float]] = {name: [] for name in names}
    for repetition in range(repeats):
        shift = repetition % len(names)
        for name in names[shift:] + names[:shift]:
            results[name].append(steps_per_second(steps[name], seconds))
    return {name: statistics.median(values) for name, values in results.items()}


def measure(repeats: int, seconds: float, with_torch: bool = True) -> list[dict]:
    """One row per case: steps/s of sim, the minimal loop and (if importable) PyTorch."""
    rows = []
    for label, widths, hidden, batch in CASES:
        exp = experiment(widths, hidden, batch)
        steps = {"sim": sim.Trainer(exp).step, "minimal": minimal_loop(exp)}
        torch_step = torch_loop(exp) if with_torch else None
        if torch_step is not None:
            steps["torch"] = torch_step
        medians = interleaved_medians(steps, repeats, seconds)
        rows.append({"case": label, "sim": medians["sim"], "minimal": medians["minimal"],
                     "ratio": medians["sim"] / medians["minimal"],
                     "torch": medians.get("torch"),
                     "torch_ratio": medians["sim"] / medians["torch"] if "torch" in medians
                     else None})
    return rows


def torch_version() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return f"{torch.__version__} (one thread)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--json", action="store_true", help="print one JSON line per case")
    args = parser.parse_args()
    rows = measure(args.repeats, args.seconds, with_torch=not args.no_torch)
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return
    torch_text = None if args.no_torch else torch_version()
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, "
          f"numpy {np.__version__}, torch {torch_text or 'not installed'}")
    print(f"{'network':<26}{'sim steps/s':>14}{'minimal steps/s':>18}{'ratio':>8}"
          + (f"{'torch steps/s':>16}{'sim/torch':>11}" if torch_text else ""))
    for row in rows:
        line = f"{row['case']:<26}{row['sim']:>14,.0f}{row['minimal']:>18,.0f}{row['ratio']:>8.2f}"
        if row["torch"] is not None:
            line += f"{row['torch']:>16,.0f}{row['torch_ratio']:>11.2f}"
        print(line)


if __name__ == "__main__":
    main()
