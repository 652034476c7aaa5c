"""Canvas paint time per network size and colour mode (offscreen, antialiased), side by side
with a plain binned ``drawLines`` of the same edges; and the spiral's 2-16-16-1 network with
its neuron maps drawn on the nodes (the baseline draws its edges alone), the same maps every
frame, and new maps every frame (as while training runs: their images are built and scaled
anew, up to 30 times a second).

Each network is trained a few steps so every mode has values to show. The canvas keeps what it
drew while what it shows is unchanged (a layer's edges while their colour bins are the same,
text, node discs; of the discs and numbers, a new snapshot redraws those that changed), so
repainting one snapshot measures a paused or hovered canvas; the rows
"new snapshot each frame" measure it while training runs: before each frame the canvas is
handed the next of a series of snapshots STEPS_PER_FRAME training steps apart (new objects,
as the worker unpickles them), and handing it over is timed with the paint. For each mode,
the canvas and the baseline are painted into an image of the same size through the same path
(``QWidget.render``), interleaved: every repetition paints both. Medians are printed.

The baseline is what a straightforward painter does: every edge of the network (weights and
biases, no level of detail), grouped by the canvas's colour bins, one antialiased ``drawLines``
per bin, pen width growing with the bin's strength as the canvas's does but not rounded to whole
pixels, Qt's default pen cap; no nodes, labels or legend. Run:

    python bench/canvas.py [--repeats 5] [--frames 40] [--json]
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from PySide6.QtCore import QLineF
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QApplication, QWidget

import sim
from gui.canvas import NetworkCanvas
from gui.neuron_maps import NodeMaps
from gui.style import light_style

NETWORKS = {  # label: (inputs, hidden widths, outputs)
    "2-4-1": (2, [4], 1),
    "6x8": (8, [8] * 5, 8),
    "10x64": (64, [64] * 9, 64),
}
NEW_SNAPSHOTS = {f"{label}, new snapshot each frame": label for label in ("2-4-1", "6x8")}
WITH_MAPS = "2-16-16-1 + neuron maps"  # the spiral lesson's network, maps on every node
# and a new snapshot with its new maps handed over before each frame, as while training runs
NEW_MAPS = "2-16-16-1 + new snapshot and neuron maps each frame"
STEPS_PER_FRAME = 50  # training steps between two snapshots of a series
SERIES = 20  # snapshots in a series, handed over in turn (and again from the first)
SIZE = (1100, 800)
# The baseline of 10x64 paints ~40k antialiased lines (about half a second a frame), so each
# measurement stops after this long once it has a few frames.
FRAME_BUDGET_SECONDS = 2.0
MIN_FRAMES = 3


Handing = Callable[[], Callable[[], None]]  # makes a frame's input, returns what hands it over


def with_neuron_maps(canvas: NetworkCanvas) -> Handing:
    """The spiral lesson's network, trained a little, with its neuron maps on the canvas;
    returns what makes the next frame of training (a series of snapshots and their maps,
    STEPS_PER_FRAME steps apart, as new objects) and returns what hands it to the canvas."""
    trainer = sim.Trainer(sim.load(Path(__file__).resolve().parents[1] / "assets" / "lessons"
                                   / "spiral.json"))
    trainer.run(steps=50)
    canvas.set_snapshot(trainer.snapshot())
    pictures = NodeMaps(canvas.style_, canvas.scheme)
    pictures.set_maps(sim.neuron_maps.neuron_maps(trainer.network, trainer.dataset))
    canvas.set_node_pictures(pictures)
    if not any(canvas.picture_half_sizes(canvas.geometry_for_paint())):
        raise RuntimeError(f"the neuron maps have no room at {canvas.width()}x"
                           f"{canvas.height()}: nothing would be measured")
    series = []
    for _ in range(SERIES):
        trainer.run(steps=STEPS_PER_FRAME)
        series.append((trainer.snapshot(),
                       sim.neuron_maps.neuron_maps(trainer.network, trainer.dataset)))
    frames = itertools.cycle(series)

    def next_frame() -> Callable[[], None]:
        snapshot, maps = copy.deepcopy(next(frames))

        def hand() -> None:
            canvas.set_snapshot(snapshot)
            pictures.set_maps(maps)
        return hand
    return next_frame


def with_new_snapshots(canvas: NetworkCanvas, trainer: sim.Trainer) -> Handing:
    """Returns what makes the next snapshot of a training run (a series STEPS_PER_FRAME steps
    apart, as new objects) and returns what hands it to the canvas."""
    series = []
    for _ in range(SERIES):
        trainer.run(steps=STEPS_PER_FRAME)
        series.append(trainer.snapshot())
    frames = itertools.cycle(series)

    def next_frame() -> Callable[[], None]:
        snapshot = copy.deepcopy(next(frames))
        return lambda: canvas.set_snapshot(snapshot)
    return next_frame


def trainer_for(inputs: int, hidden: list[int], outputs: int) -> sim.Trainer:
    """A small tanh network on random data, trained 3 steps: every mode has values to show."""
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
    return trainer


class PlainBinnedLines(QWidget):
    """The baseline: the canvas's edges in its current mode, one drawLines per colour bin."""

    def __init__(self, canvas: NetworkCanvas) -> None:
        super().__init__()
        self.resize(canvas.size())
        self.background = canvas.style_.background
        geometry = canvas.geometry_for_paint()
        scale = canvas.current_scale()
        mode = canvas.shown_mode
        lines: list[QLineF] = []
        bins: list[np.ndarray] = []
        for layer in range(1, geometry.columns):
            lines += geometry.lines[layer]
            bins.append(sim.palette.bins(canvas.edge_values(layer), scale).ravel())
            if geometry.bias_lines[layer]:
                lines += geometry.bias_lines[layer]
                bins.append(sim.palette.bins(canvas.bias_values(layer), scale))
        groups: dict[int, list[QLineF]] = {}
        for line, index in zip(lines, np.concatenate(bins).tolist(), strict=True):
            groups.setdefault(index, []).append(line)
        extra = 4.0 if mode == "weight" else 3.0
        base = canvas.style_.line_width
        self.runs = []  # (pen, lines), weakest bin first so strong edges lie on top
        for index in sorted(groups, key=lambda k: sim.palette.bin_strength(k, mode)):
            strength = sim.palette.bin_strength(index, mode)
            pen = QPen(QColor(*sim.palette.colour(mode, index)), base * (1.0 + extra * strength))
            self.runs.append((pen, groups[index]))
        self.edges = len(lines)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.fillRect(self.rect(), self.background)
        for pen, lines in self.runs:
            painter.setPen(pen)
            painter.drawLines(lines)
        painter.end()


def paint_ms(widget: QWidget, frames: int, budget: float = FRAME_BUDGET_SECONDS,
             before: Handing | None = None) -> float:
    """Median milliseconds to paint the widget into an image of its size (``frames`` frames,
    or fewer, but at least MIN_FRAMES, once ``budget`` seconds are spent). ``before``, if
    given, is called before each paint, untimed (a new snapshot or new neuron maps, as the
    worker thread unpickles them), and what it returns is timed with the paint (handing them
    over)."""
    image = QImage(widget.size(), QImage.Format.Format_ARGB32_Premultiplied)
    times: list[float] = []
    deadline = time.perf_counter() + budget
    while len(times) < frames and (len(times) < MIN_FRAMES or time.perf_counter() < deadline):
        handed = before() if before is not None else None  # not timed: made by the worker
        started = time.perf_counter()
        if handed is not None:
            handed()
        widget.render(image)
        times.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(times)


def measure(repeats: int, frames: int, size: tuple[int, int] = SIZE) -> list[dict]:
    """One row per network and mode: the canvas's and the baseline's median ms per paint."""
    rows = []
    for label in [*NETWORKS, *NEW_SNAPSHOTS, WITH_MAPS, NEW_MAPS]:
        canvas = NetworkCanvas(light_style())
        canvas.resize(*size)
        new_frame: Handing | None = None  # what each frame hands the canvas, if anything
        if label in (WITH_MAPS, NEW_MAPS):
            new_frame = with_neuron_maps(canvas)
        else:
            trainer = trainer_for(*NETWORKS[NEW_SNAPSHOTS.get(label, label)])
            canvas.set_snapshot(trainer.snapshot())
            if label in NEW_SNAPSHOTS:
                new_frame = with_new_snapshots(canvas, trainer)
        if label not in NEW_SNAPSHOTS and label != NEW_MAPS:
            new_frame = None  # the same snapshot (and maps) every frame
        first = canvas.snapshot
        for mode in sim.palette.MODES:
            canvas.set_mode(mode)
            if first is not None:
                canvas.set_snapshot(first)  # the baseline draws the first of a series
            baseline = PlainBinnedLines(canvas)
            for widget in (canvas, baseline):  # warm up: geometry, fonts, glyph caches
                widget.render(QImage(widget.size(), QImage.Format.Format_ARGB32_Premultiplied))
            ours, plain = [], []
            for repetition in range(repeats):  # interleaved, alternating which goes first
                pair = [(canvas, ours), (baseline, plain)]
                for widget, results in pair if repetition % 2 == 0 else pair[::-1]:
                    results.append(paint_ms(widget, frames, before=new_frame if
                                            widget is canvas else None))
            canvas_ms, plain_ms = statistics.median(ours), statistics.median(plain)
            rows.append({"network": label, "mode": mode, "edges": baseline.edges,
                         "heat_map_layers": len(canvas.heat_map_layers()),
                         "canvas_ms": canvas_ms, "plain_ms": plain_ms,
                         "ratio": canvas_ms / plain_ms})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--size", default=f"{SIZE[0]}x{SIZE[1]}")
    parser.add_argument("--json", action="store_true", help="print one JSON line per row")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    width, height = (int(v) for v in args.size.split("x"))
    rows = measure(args.repeats, args.frames, (width, height))
    if args.json:
        for row in rows:
            print(json.dumps(row))
    else:
        print(f"canvas {width}x{height}, antialiased; median ms per paint "
              f"(canvas / plain binned drawLines of the same edges)")
        wide = max(len(row["network"]) for row in rows) + 2
        print(f"{'network':<{wide}}{'mode':<10}{'edges':>7}{'canvas ms':>11}{'plain ms':>10}"
              f"{'ratio':>7}")
        for row in rows:
            print(f"{row['network']:<{wide}}{row['mode']:<10}{row['edges']:>7}"
                  f"{row['canvas_ms']:>11.2f}{row['plain_ms']:>10.2f}{row['ratio']:>7.2f}")
    app.quit()


if __name__ == "__main__":
    main()
