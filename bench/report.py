"""The performance report: every benchmark in one run, written as a table into README.md.

Runs, one after another on the same machine: the engine against a minimal numpy loop and
PyTorch (bench/engine.py), canvas paint times against a plain binned drawLines
(bench/canvas.py), the app's UI latency and steps/s with the window painting against headless
sim (bench/app.py), many seeds as one sweep against the same seeds one after another
(bench/sweep.py), and the resident memory of a headless run of a million steps. Each part runs
in its own process, so none inherits another's threads, Qt state or memory. Every figure is
compared with its target from the engine and app issues, and a missed target says so.

    python bench/report.py            # full run (several minutes), writes README.md
    python bench/report.py --quick    # under two minutes: fewer repetitions, shorter runs
    python bench/report.py --print-only   # print the table, leave README.md alone
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
README = ROOT / "README.md"
START_MARKER = "<!-- benchmark-report:start -->"
END_MARKER = "<!-- benchmark-report:end -->"
SECTION_HEADING = "## Performance"
MILLION = 1_000_000
WARM_UP_STEPS = 1_000  # memory is measured after these, when every buffer exists


@dataclass(frozen=True)
class Settings:
    """How long and how often each part measures."""

    name: str
    engine_repeats: int
    engine_seconds: float
    canvas_repeats: int
    canvas_frames: int
    app_repeats: int
    app_seconds: float
    sweep_repeats: int
    memory_steps: int


FULL = Settings("full", engine_repeats=7, engine_seconds=0.5, canvas_repeats=5,
                canvas_frames=40, app_repeats=3, app_seconds=10.0, sweep_repeats=3,
                memory_steps=MILLION)
QUICK = Settings("quick", engine_repeats=3, engine_seconds=0.2, canvas_repeats=2,
                 canvas_frames=10, app_repeats=2, app_seconds=4.0, sweep_repeats=1,
                 memory_steps=100_000)


# ---------------------------------------------------------------------------- measuring

def run_json_lines(arguments: list[str], timeout: float) -> list[dict]:
    """Run a Python script of this repository; its stdout's JSON lines, parsed."""
    done = subprocess.run([sys.executable, *arguments], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, check=False)
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not rows:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"{Path(arguments[0]).name} exited with code {done.returncode}: "
                           f"{tail[0]}")
    return rows


def machine_busy_seconds() -> float | None:
    """CPU seconds all the machine's cores have spent busy since it started (Linux's
    /proc/stat: user, nice, system, irq, softirq and steal time), or None elsewhere."""
    try:
        fields = Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()
    except (OSError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU seconds of this process and of every process below it that has ended (a child's
    count includes the children it waited for: the app's training process)."""
    own = os.times()
    return own.user + own.system + own.children_user + own.children_system


def others_cpu_share(started: tuple[float | None, float, float],
                     unreaped: float = 0.0) -> float | None:
    """The share of the machine's CPU time that other processes used since ``started``
    (``cpu_clock()`` then): 0 means this benchmark had the machine to itself, 1 that
    others kept every core busy. ``unreaped``: CPU seconds of the benchmark's own processes
    that no process of it waited for (the app's training process is the fork server's
    child), as a part reports them. None where it cannot be read."""
    busy_then, own_then, wall_then = started
    busy_now, own_now, wall_now = cpu_clock()
    if busy_then is None or busy_now is None or wall_now <= wall_then:
        return None
    others = (busy_now - busy_then) - (own_now - own_then) - unreaped
    return max(others, 0.0) / ((wall_now - wall_then) * (os.cpu_count() or 1))


def cpu_clock() -> tuple[float | None, float, float]:
    """(the machine's busy CPU seconds, this benchmark's, wall-clock seconds) now."""
    return machine_busy_seconds(), own_cpu_seconds(), time.perf_counter()


def measure_part(name: str, arguments: list[str], timeout: float) -> dict[str, Any]:
    """One part's rows, or the reason it could not be measured (the report goes on); and
    how much of the machine other processes used meanwhile."""
    print(f"measuring {name} ...", file=sys.stderr, flush=True)
    started = cpu_clock()
    try:
        rows = run_json_lines(arguments, timeout)
    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as error:
        print(f"  {name} failed: {error}", file=sys.stderr)
        return {"rows": [], "error": str(error), "load": os.getloadavg()[0],
                "others_cpu": others_cpu_share(started)}
    print(f"  {name}: {time.perf_counter() - started[2]:.0f} s", file=sys.stderr)
    unreaped = sum(row.get("unreaped_cpu_s", 0.0) for row in rows)
    return {"rows": rows, "error": None, "load": os.getloadavg()[0],
            "others_cpu": others_cpu_share(started, unreaped)}


def measure_all(settings: Settings) -> dict[str, Any]:
    s = settings
    results: dict[str, Any] = {"machine": machine(), "settings": s.__dict__}
    results["engine"] = measure_part("engine", [
        str(BENCH / "engine.py"), "--json", "--repeats", str(s.engine_repeats),
        "--seconds", str(s.engine_seconds)], timeout=600)
    results["canvas"] = measure_part("canvas", [
        str(BENCH / "canvas.py"), "--json", "--repeats", str(s.canvas_repeats),
        "--frames", str(s.canvas_frames)], timeout=900)
    results["pictures"] = measure_part("pictures", [
        str(BENCH / "landscape.py"), "--json", "--repeats", str(s.engine_repeats)], timeout=900)
    results["app"] = measure_part("app", [
        str(BENCH / "app.py"), "--json", "--repeats", str(s.app_repeats),
        "--seconds", str(s.app_seconds)],
        timeout=4 * s.app_repeats * (2 * s.app_seconds + 60))
    results["sweep"] = measure_part("sweep", [
        str(BENCH / "sweep.py"), "--json", "--repeats", str(s.sweep_repeats)], timeout=1800)
    results["memory"] = measure_part("memory", [
        str(Path(__file__).resolve()), "--measure-memory", str(s.memory_steps)], timeout=3600)
    results["machine"]["load_after"] = os.getloadavg()[0]
    return results


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


def measure_memory(steps: int) -> dict[str, Any]:
    """Headless run of ``steps`` steps of the XOR lesson with its stopping rule lifted, in
    this (fresh) process: peak resident memory and the history's size, before and after."""
    sys.path.insert(0, str(ROOT))
    from sim import Trainer, lessons
    from sim.experiment import StoppingSpec

    trainer = Trainer(lessons.load_lesson().replace(stopping=StoppingSpec()))
    trainer.run(steps=WARM_UP_STEPS)
    before = {"rss_mb": max_rss_mb(), "history_bytes": trainer.history.nbytes}
    started = time.perf_counter()
    trainer.run(steps=steps - WARM_UP_STEPS)
    elapsed = time.perf_counter() - started
    return {"network": "XOR lesson 2-3-1 (stopping lifted)", "steps": trainer.step_count,
            "stopped": trainer.stopped, "seconds": elapsed,
            "rss_mb_before": before["rss_mb"], "rss_mb_after": max_rss_mb(),
            "history_bytes_before": before["history_bytes"],
            "history_bytes_after": trainer.history.nbytes,
            "history_points": len(trainer.history.series("loss").steps),
            "history_steps": len(trainer.history)}


def machine() -> dict[str, Any]:
    return {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": cpu_model(), "cores": os.cpu_count(), "load_before": os.getloadavg()[0],
            "python": platform.python_version(), "numpy": version("numpy"),
            "pyside6": version("PySide6-Essentials") or version("PySide6"),
            "pyqtgraph": version("pyqtgraph"), "torch": version("torch")}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


# ---------------------------------------------------------------------------- the table

def render_report(results: dict[str, Any]) -> str:
    """The report as Markdown, from the figures ``measure_all`` returns."""
    parts = [_header(results), _targets(results), _engine_table(results["engine"]),
             _canvas_table(results["canvas"]), _pictures_table(results.get("pictures")),
             _app_table(results["app"]), _sweep_table(results.get("sweep")),
             _memory_table(results["memory"], results["settings"]["memory_steps"])]
    return "\n\n".join(parts) + "\n"


def _header(results: dict[str, Any]) -> str:
    m, s = results["machine"], results["settings"]
    torch = f", PyTorch {m['torch']} (one thread)" if m.get("torch") else \
        ", PyTorch not installed"
    quick = s["name"] == "quick"
    note = " A **quick** run: fewer repetitions and shorter runs than the full report." \
        if quick else ""
    note += _others_note(results)
    return (f"Measured on {m['date']} by `python bench/report.py{' --quick' if quick else ''}`"
            f" (regenerate with `python bench/report.py`; `--quick` takes under two minutes)."
            f"{note}\n"
            f"Machine: {m['cpu']}, {m['cores']} cores (load average {m['load_before']:.2f} "
            f"before, {m['load_after']:.2f} after); Python {m['python']}, numpy {m['numpy']}, "
            f"PySide6 {m['pyside6']}, pyqtgraph {m['pyqtgraph']}{torch}.\n"
            f"Every figure is the median of several repetitions measured side by side in this "
            f"one run (engine: {s['engine_repeats']} x {s['engine_seconds']:g} s per "
            f"implementation, interleaved; canvas: {s['canvas_repeats']} x up to "
            f"{s['canvas_frames']} frames, interleaved with the baseline; app: "
            f"{s['app_repeats']} x {s['app_seconds']:g} s, alternating with headless runs).")


# Other processes using this share of the machine's CPU time during a part make its absolute
# figures a share of the machine's (the load average cannot tell: it counts the benchmarks'
# own processes, two busy ones while the app trains).
BUSY_SHARE = 0.15


def _others_note(results: dict[str, Any]) -> str:
    """A sentence on what other processes took of the machine during the run ("" if next to
    nothing, or if it could not be measured)."""
    m = results["machine"]
    shares = {name: part["others_cpu"] for name, part in results.items()
              if isinstance(part, dict) and part.get("others_cpu") is not None}
    if not shares:
        return ""
    worst = max(shares, key=shares.__getitem__)
    if shares[worst] < BUSY_SHARE:
        return (f" Other processes used at most {shares[worst]:.0%} of the machine's CPU "
                f"time during any part ({worst}).")
    return (f" Other processes were busy during the run: they used up to {shares[worst]:.0%} "
            f"of the machine's CPU time ({worst}, {m['cores']} cores), so every figure is what "
            f"a share of the machine gives; only the ratios, each measured side by side, "
            f"compare like with like.")


def _verdict(met: bool | None) -> str:
    return "not measured" if met is None else "yes" if met else "**NO, missed**"


def _targets(results: dict[str, Any]) -> str:
    lines = ["### Targets", "",
             "| Target (issue) | Measured | Met |", "|---|---|---|"]
    for target, measured, met in target_rows(results):
        lines.append(f"| {target} | {measured} | {_verdict(met)} |")
    return "\n".join(lines)


def target_rows(results: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(target, measured figure, met?) for every speed target of issue 16 (and the history's
    bounded memory, from issue 2)."""
    rows = []
    engine = {row["case"]: row for row in results["engine"]["rows"]}
    for case, least in (("2-4-1, batch 4", 0.8), ("2-8-8-8-8-1, batch 32", 0.8),
                        ("64-64-64-10, batch 64", 0.95)):
        row = engine.get(case)
        rows.append((f"engine {case}, every metric: >= {least:g}x the minimal numpy loop",
                     "—" if row is None else f"{row['ratio']:.2f}x",
                     None if row is None else row["ratio"] >= least))
    canvas = results["canvas"]["rows"]
    mapped = [row for row in canvas if row["network"].startswith("2-16-16-1 + ")]
    rows.append(_worst("canvas 2-16-16-1 with neuron maps on every node (the same, or new "
                       "each frame): paint under 8 ms in every colour mode (#11)", mapped,
                       "canvas_ms", "{:.2f} ms", lambda value: value < 8.0))
    pictures = (results.get("pictures") or {"rows": []})["rows"]
    maps = [row for row in pictures if row["network"] == "2-16-16-1 tanh, bce"
            and row["grid"].startswith("neuron maps 48x48")]
    rows.append(_worst("neuron maps of a 2-16-16-1 network on a 48x48 grid under 10 ms (#11)",
                       maps, "median_ms", "{:.2f} ms", lambda value: value < 10.0))
    app = results["app"]["rows"]
    rows.append(_worst("training in the window (1600x1000, playing) >= 0.8x the same file "
                       "headless", app, "painting_vs_headless", "{:.2f}x",
                       lambda value: value >= 0.8, worst=min))
    for row in app:
        row["frames_per_s"] = row["frames"] / row["seconds"]
    rows.append(_worst("painted frames per second while training >= 50", app, "frames_per_s",
                       "{:.0f}", lambda value: value >= 50.0, worst=min))
    rows.append(_worst("UI latency p99 (the 16 ms timer's lateness) while training <= 30 ms",
                       app, "ui_latency_ms_p99", "{:.1f} ms", lambda value: value <= 30.0))
    six = [row for row in canvas if row["network"].startswith("6x8")]  # and new snapshots
    rows.append(_worst("canvas 6x8 <= 4 ms in every colour mode (the same snapshot, or a new "
                       "one each frame)", six, "canvas_ms",
                       "{:.2f} ms", lambda value: value <= 4.0))
    sweeps = (results.get("sweep") or {"rows": []})["rows"]
    rows.append(_worst("many seeds as one sweep >= 10x the same seeds one after another",
                       sweeps, "speed_up", "{:.1f}x", lambda value: value >= 10.0, worst=min))
    memory = results["memory"]["rows"]
    if memory:
        m = memory[0]
        bounded = m["history_bytes_after"] == m["history_bytes_before"]
        rows.append(("history in bounded memory, a few MB however long the run (#2)",
                     f"{_mb(m['history_bytes_after'])} after {m['steps']:,} steps "
                     f"({_mb(m['history_bytes_before'])} after {WARM_UP_STEPS:,})",
                     bounded and m["history_bytes_after"] < 10 * 2 ** 20))
    else:
        rows.append(("history in bounded memory (#2)", "—", None))
    return rows


def _worst(target: str, rows: list[dict], key: str, form: str, passes, worst=max
           ) -> tuple[str, str, bool | None]:
    """The target judged on its worst row (the largest time, or ``worst`` of the values)."""
    values = [row[key] for row in rows if row.get(key) is not None]
    if not values:
        return target, "—", None
    value = worst(values)
    return target, form.format(value) + (" (worst case)" if len(values) > 1 else ""), \
        passes(value)


def _mb(count: float) -> str:
    return f"{count / 2 ** 20:.2f} MB"


def _missing(part: dict[str, Any]) -> str:
    return f"\n\n*Not measured: {part['error']}*" if part["error"] else ""


def _section(title: str, intro: str, columns: list[str], rows: list[list[str]],
             text_columns: frozenset[int] = frozenset({0})) -> str:
    """A titled Markdown table; numbers right-aligned, the ``text_columns`` left."""
    head = "| " + " | ".join(columns) + " |"
    rule = "|" + "".join("---|" if k in text_columns else "---:|"
                         for k in range(len(columns)))
    body = ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join([f"### {title}", "", intro, "", head, rule, *body])


def _engine_table(part: dict[str, Any]) -> str:
    with_torch = any(row.get("torch") for row in part["rows"])
    head = "| Network | sim steps/s | minimal numpy steps/s | sim / minimal |"
    rule = "|---|---:|---:|---:|"
    if with_torch:
        head += " PyTorch steps/s | sim / PyTorch |"
        rule += "---:|---:|"
    lines = ["### Engine: training steps per second", "",
             "`sim.Trainer.step()` with every metric recorded, against the least a numpy "
             "programmer would write for one SGD step (no metrics, no checks) and, where "
             "installed, the same step in PyTorch (float64, `torch.optim.SGD`, one thread: "
             "these networks are far too small for its thread pool). MSE loss, plain SGD.",
             "", head, rule]
    for row in part["rows"]:
        line = (f"| {row['case']} | {row['sim']:,.0f} | {row['minimal']:,.0f} | "
                f"{row['ratio']:.2f}x |")
        if with_torch:
            line += f" {row['torch']:,.0f} | {row['torch_ratio']:.2f}x |" if row.get("torch") \
                else " — | — |"
        lines.append(line)
    return "\n".join(lines) + _missing(part)


def _canvas_table(part: dict[str, Any]) -> str:
    rows = [[f"{row['network']}" + (f" ({row['heat_map_layers']} layers as heat maps)"
                                    if row.get("heat_map_layers") else ""),
             row["mode"], f"{row['edges']:,}", f"{row['canvas_ms']:.2f}",
             f"{row['plain_ms']:.2f}", f"{row['ratio']:.2f}"] for row in part["rows"]]
    return _section(
        "Canvas: paint time per frame",
        "The network canvas painted offscreen at 1100x800 with antialiasing, median ms per "
        "frame, against a plain binned `drawLines`: the same edges (all of them, no level "
        "of detail), one antialiased `drawLines` per colour bin, pen widths by strength not "
        "rounded to whole pixels, no nodes, labels or legend. Both are painted through "
        "`QWidget.render`. Ratio below 1: the canvas is faster. With neuron maps the "
        "baseline still draws the edges alone. The canvas keeps what it drew while it is "
        "unchanged (a layer's edges while their colour bins stay the same, text, node discs), "
        "so repainting one snapshot is a paused or hovered canvas; with a new snapshot each "
        "frame (a series 50 training steps apart, handed over before each paint and timed "
        "with it) it is the canvas while training runs, and with new maps as well, whose "
        "images it builds and scales anew.",
        ["Network", "Colour mode", "Edges", "Canvas ms", "Plain binned drawLines ms",
         "Canvas / plain"], rows, text_columns=frozenset({0, 1})) + _missing(part)


def _pictures_table(part: dict[str, Any] | None) -> str:
    title = "Decision boundary, loss landscape and neuron maps: milliseconds per picture"
    if part is None or not part["rows"]:
        return f"### {title}\n\n{_missing(part) if part else 'not measured in this run.'}"
    rows = [[row["network"], str(row["samples"]), row["grid"], f"{row['median_ms']:.1f}"]
            for row in part["rows"]]
    return _section(
        title,
        "Computed by `sim` in the training process between steps (the boundary and the "
        "landscape at most five times a second while training runs, where a surface takes a "
        "32 x 32 grid; the neuron maps with the snapshots, up to 30 times a second); median "
        "of repetitions. The reference is the same 64 x 64 surface as 4,096 separate "
        "`loss_value` calls.",
        ["Network", "Samples", "Picture", "Median ms"], rows, text_columns=frozenset({0, 2}))


def _app_table(part: dict[str, Any]) -> str:
    lines = ["### The app while training at full speed", "",
             "`python -m gui FILE --play --quit-after SECONDS --stats --size 1600x1000`, "
             "offscreen (the trainer in a process of its own, `gui.session`), against the "
             "same file trained headless by `sim.Trainer` for the same wall time, alternating."
             " Steps/s and frames are the app's own `--stats`; frames are the canvas's painted "
             "frames. UI latency is how late the app's 16 ms frame timer fires while "
             "training runs. The XOR lesson's `max_steps: 5000` is lifted for this run (it "
             "ends in a fraction of a second at full speed); the spiral experiment is "
             "`bench/spiral.json`.", "",
             "| Experiment | Steps/s, window painting | Steps/s, headless | Window / headless "
             "| UI latency p50 | UI latency p99 | Paint p50 | Paint p99 | Frames/s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in part["rows"]:
        p50 = "n/a (not in `--stats`)" if row.get("ui_latency_ms_p50") is None else \
            f"{row['ui_latency_ms_p50']:.1f} ms"
        stopped = " (stopped early!)" if row.get("headless_stopped") else ""
        lines.append(f"| {row['experiment']}{stopped} | {row['steps_per_s']:,.0f} | "
                     f"{row['headless_steps_per_s']:,.0f} | {row['painting_vs_headless']:.2f}x "
                     f"| {p50} | {row['ui_latency_ms_p99']:.1f} ms | "
                     f"{row['paint_ms_p50']:.1f} ms | {row['paint_ms_p99']:.1f} ms | "
                     f"{row['frames'] / row['seconds']:.0f} |")
    return "\n".join(lines) + _missing(part)


def _sweep_table(part: dict[str, Any] | None) -> str:
    title = "Many seeds at once: one sweep against the same seeds one after another"
    if part is None or not part["rows"]:
        return f"### {title}\n\n{_missing(part) if part else 'not measured in this run.'}"
    rows = [[row["case"], str(row["runs"]), row["limit"], f"{row['sweep_s']:.2f}",
             f"{row['one_by_one_s']:.2f}", f"{row['speed_up']:.1f}x"] for row in part["rows"]]
    return _section(
        title,
        "`sim.sweep` (`python -m sim sweep`) trains the seeds as one computation with a runs "
        "axis; the baseline trains one `sim.Trainer` per seed in turn (what `python -m sim "
        "run` computes, without starting an interpreter each time). Median seconds of "
        "interleaved repetitions. The gain is largest where a step's Python overhead "
        "dominates (small networks, the lessons' usual case) and smallest where arithmetic "
        "does (wide layers, many samples): that arithmetic is the same either way.",
        ["Lesson", "Seeds", "Each run", "Sweep s", "One by one s", "Speed-up"],
        rows) + _missing(part)


def _memory_table(part: dict[str, Any], steps: int) -> str:
    rows = [[row["network"], f"{row['steps']:,}", f"{row['seconds']:.0f}",
             f"{row['rss_mb_before']:.1f} MB", f"{row['rss_mb_after']:.1f} MB",
             _mb(row["history_bytes_after"]), f"{row['history_points']:,}"]
            for row in part["rows"]]
    return _section(
        f"Memory after {'a million' if steps == MILLION else f'{steps:,}'} steps",
        "A headless run in a fresh process; max RSS is the process's peak resident memory "
        f"(Python, numpy and sim included), read after {WARM_UP_STEPS:,} steps and at the "
        "end. The history keeps recent steps at full resolution and folds older ones into "
        "min/max buckets.",
        ["Run", "Steps", "Seconds", "Max RSS after 1,000 steps", "Max RSS at the end",
         "History size", "Plot points kept"], rows) + _missing(part)


# ---------------------------------------------------------------------------- README

def with_report(readme: str, report: str) -> str:
    """README text with the report between the markers (a Performance section at the end is
    added, markers and all, when the markers are not there yet)."""
    block = f"{START_MARKER}\n{report.rstrip()}\n{END_MARKER}"
    start, end = readme.find(START_MARKER), readme.find(END_MARKER)
    if start == -1 or end == -1 or end < start:
        return f"{readme.rstrip()}\n\n{SECTION_HEADING}\n\n{block}\n"
    return readme[:start] + block + readme[end + len(END_MARKER):]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer repetitions and shorter runs (under two minutes)")
    parser.add_argument("--print-only", action="store_true", help="leave README.md alone")
    parser.add_argument("--measure-memory", type=int, metavar="STEPS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_memory is not None:  # the memory part, run in a process of its own
        print(json.dumps(measure_memory(max(args.measure_memory, WARM_UP_STEPS))))
        return
    report = render_report(measure_all(QUICK if args.quick else FULL))
    print(report)
    if not args.print_only:
        sys.path.insert(0, str(ROOT))
        from sim.files import write_atomic

        write_atomic(README, with_report(README.read_text(encoding="utf-8"), report).encode())
        print(f"written to {README}", file=sys.stderr)


if __name__ == "__main__":
    main()
