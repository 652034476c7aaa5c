"""Loss landscape, decision boundary and neuron map grids: milliseconds per grid, beside a
plain loop.

For each network, a 64 x 64 loss surface over two weights of each layer (the first layer's
are the dearest: everything above them is recomputed per grid point), a 101-point loss curve,
the 100 x 100 and 512 x 512 decision boundaries and the 48 x 48 neuron maps of every unit
(the app's; issue 11 asks for under 10 ms on a 2-16-16-1 network, measured on its own). The
reference is what the grid replaces: one ``network.loss_value`` per grid point. Medians and
minima of wall-clock time. Run:

    python bench/landscape.py [--repeats 9] [--json]
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
from sim import boundary, landscape, neuron_maps
from sim.address import ParameterAddress

CASES = (  # (label, hidden widths, hidden activation, output, classes, samples)
    ("2-8-8-1 tanh, bce", (8, 8), "tanh", "sigmoid", 1, 200),
    ("2-16-16-16-3 relu, softmax", (16, 16, 16), "relu", "softmax", 3, 300),
)
REFERENCE = "reference: 4096 x loss_value"  # what the grids replace: one loss per grid point
NEURON_MAPS = "neuron maps 48x48, every unit"
NEURON_MAPS_NETWORK = "2-16-16-1 tanh, bce"  # the network of issue 11's target


def trainer(hidden: tuple[int, ...], activation: str, output: str, classes: int,
            samples: int) -> sim.Trainer:
    data = {"kind": "spiral", "samples": samples, "classes": max(classes, 2),
            "validation_fraction": 0.2, "standardize": True}
    if classes > 1:
        data["encoding"] = "one_hot"
    layers = [{"units": units, "activation": activation} for units in hidden]
    layers.append({"units": classes, "activation": output})
    result = sim.Trainer(sim.parse({
        "data": data, "network": {"inputs": 2, "layers": layers},
        "loss": "cross_entropy" if output == "softmax" else "bce",
        "optimizer": {"kind": "sgd", "learning_rate": 0.1}}))
    result.run(steps=50)
    return result


def milliseconds(call: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(median, minimum) wall-clock milliseconds of ``call`` after one warm-up call."""
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), min(times)


def grids(run: sim.Trainer) -> dict[str, Callable[[], object]]:
    """The grids to time on one trained network, by name, the plain loop last."""
    network, dataset = run.network, run.dataset
    x, t, loss = dataset.x_train, dataset.t_train, run.experiment.loss
    calls: dict[str, Callable[[], object]] = {}
    for layer in network.layers:
        pair = (ParameterAddress(layer.number, 0, 0).flat_index(network),
                ParameterAddress(layer.number, layer.units - 1, 1).flat_index(network))
        calls[f"surface 64x64, layer {layer.number}"] = (
            lambda pair=pair: landscape.loss_surface(network, x, t, loss, 0.0, 0.0, pair))
    calls["curve 101, layer 1"] = lambda: landscape.loss_curve(network, x, t, loss, 0.0, 0.0, 0)
    calls["boundary 100x100"] = lambda: boundary.decision_grid(network, dataset, 100)
    calls["boundary 512x512"] = lambda: boundary.decision_grid(network, dataset, 512)
    calls[NEURON_MAPS] = lambda: neuron_maps.neuron_maps(network, dataset, 48)
    calls[REFERENCE] = lambda: [network.loss_value(x, t, loss) for _ in range(64 * 64)]
    return calls


def measure(repeats: int) -> list[dict]:
    rows = []
    for label, hidden, activation, output, classes, samples in CASES:
        run = trainer(hidden, activation, output, classes, samples)
        for name, call in grids(run).items():
            # The plain loop is the slowest: timed once, after its warm-up.
            median, minimum = milliseconds(call, 1 if name == REFERENCE else repeats)
            rows.append({"network": label, "samples": run.dataset.x_train.shape[0],
                         "grid": name, "median_ms": median, "min_ms": minimum})
    run = trainer((16, 16), "tanh", "sigmoid", 1, 200)
    median, minimum = milliseconds(
        lambda: neuron_maps.neuron_maps(run.network, run.dataset, 48), repeats)
    rows.append({"network": NEURON_MAPS_NETWORK, "samples": run.dataset.x_train.shape[0],
                 "grid": NEURON_MAPS, "median_ms": median, "min_ms": minimum})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--json", action="store_true", help="print one JSON line per grid")
    args = parser.parse_args()
    rows = measure(args.repeats)
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, "
          f"numpy {np.__version__}")
    print(f"{'network':<30}{'samples':>8}  {'grid':<32}{'median ms':>10}{'min ms':>9}")
    for row in rows:
        print(f"{row['network']:<30}{row['samples']:>8}  {row['grid']:<32}"
              f"{row['median_ms']:>10.2f}{row['min_ms']:>9.2f}")


if __name__ == "__main__":
    main()
