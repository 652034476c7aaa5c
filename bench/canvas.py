"""Canvas paint time per network size and colour mode (offscreen, antialiased).

Each network is trained a few steps so every mode has values to show, then the canvas is
painted repeatedly into an image; medians of several repetitions are printed. Run:

    python bench/canvas.py [--repeats 5] [--frames 40]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import sim  # noqa: E402
from gui.canvas import NetworkCanvas  # noqa: E402
from gui.style import light_style  # noqa: E402

NETWORKS = {  # label: (inputs, hidden widths, outputs)
    "2-4-1": (2, [4], 1),
    "6x8": (8, [8] * 5, 8),
    "10x64": (64, [64] * 9, 64),
}


def trained_snapshot(inputs: int, hidden: list[int], outputs: int) -> sim.snapshot.Snapshot:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, inputs))
    t = rng.uniform(size=(16, outputs))
    layers = [{"units": u, "activation": "tanh"} for u in hidden]
    layers.append({"units": outputs, "activation": "sigmoid"})
    trainer = sim.Trainer(sim.parse({
        "data": {"kind": "inline", "inputs": x.tolist(), "targets": t.tolist()},
        "network": {"inputs": inputs, "layers": layers}, "loss": "mse",
        "optimizer": {"kind": "sgd", "learning_rate": 0.1}}))
    trainer.run(steps=3)
    return trainer.snapshot()


def paint_ms(canvas: NetworkCanvas, frames: int) -> float:
    """Median milliseconds to paint the canvas into an image of its size."""
    image = QImage(canvas.size(), QImage.Format.Format_ARGB32_Premultiplied)
    times = []
    for _ in range(frames):
        started = time.perf_counter()
        canvas.render(image)
        times.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--size", default="1100x800")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    width, height = (int(v) for v in args.size.split("x"))
    print(f"canvas {width}x{height}, antialiased; median ms per paint")
    print(f"{'network':<10}" + "".join(f"{mode:>12}" for mode in sim.palette.MODES))
    for label, shape in NETWORKS.items():
        canvas = NetworkCanvas(light_style())
        canvas.resize(width, height)
        canvas.set_snapshot(trained_snapshot(*shape))
        results = []
        for mode in sim.palette.MODES:
            canvas.set_mode(mode)
            paint_ms(canvas, 3)  # warm up: geometry, fonts
            results.append(statistics.median(paint_ms(canvas, args.frames)
                                             for _ in range(args.repeats)))
        print(f"{label:<10}" + "".join(f"{value:>12.2f}" for value in results))
    app.quit()


if __name__ == "__main__":
    main()
