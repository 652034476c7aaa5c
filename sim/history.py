"""Per-step metrics in bounded memory.

The newest steps are kept at full resolution. Older steps are folded into buckets that keep,
for every metric, the minimum and the maximum over the steps they cover, so a spike or a
divergence is never averaged away. When the buckets run out, neighbouring buckets merge and
each covers twice as many steps; ten million steps therefore cost the same few megabytes as
ten thousand. A metric not measured in a step is NaN and is ignored by the min/max.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Series:
    """One metric over the whole run: bucket ranges for old steps, then every recent step."""

    steps: np.ndarray  # step of each point (a bucket's first step for the old part)
    low: np.ndarray  # minimum over the point's steps
    high: np.ndarray  # maximum over the point's steps (equal to low for recent steps)

    def decimated(self, points: int) -> Series:
        """At most ``points`` points, each the min and max of a run of neighbours.

        For drawing: a plot a few hundred pixels wide gains nothing from more points, and a
        spike survives because every point keeps its run's extremes. NaN (unmeasured) values
        are ignored within a run.
        """
        n = len(self.steps)
        if n <= points:
            return self
        starts = (np.arange(points) * n) // points
        with np.errstate(invalid="ignore"):
            low = np.fmin.reduceat(self.low, starts)
            high = np.fmax.reduceat(self.high, starts)
        return Series(self.steps[starts], low, high)

    def scaled(self, factor: float) -> Series:
        """The same points in another unit (a fraction as a percentage: ``factor`` 100)."""
        return Series(self.steps, self.low * factor, self.high * factor)

    def trend(self, window: int) -> np.ndarray:
        """A centred moving average over ``window`` neighbouring points, one value per point.

        For drawing a readable line through a noisy metric such as the loss of each mini-batch.
        Each point counts as the middle of its range. The average is the plain (arithmetic)
        one on a log axis too: the mean of the batches' losses over an epoch is close to the
        training set's loss, which lessons quote; a mean of logarithms (a geometric mean) lay
        4 to 10 times below it on the sigmoid-vs-tanh lesson's log plot.
        NaN points are left out of each average; a window holding none gives NaN.
        """
        if not len(self.steps):
            return np.empty(0)
        with np.errstate(invalid="ignore"):
            middle = (self.low + self.high) / 2.0
            usable = np.isfinite(middle)
            kernel = np.ones(max(1, min(window, len(middle))))  # "same" keeps the length
            sums = np.convolve(np.where(usable, middle, 0.0), kernel, mode="same")
            counts = np.convolve(usable.astype(float), kernel, mode="same")
            return np.where(counts > 0.5, sums / counts, np.nan)


class History:
    """A table of metrics, one row per optimizer step, in bounded memory."""

    def __init__(self, columns: Sequence[str], recent: int = 2048, buckets: int = 2048) -> None:
        if buckets % 2:
            raise ValueError("buckets must be even so that pairs can merge")
        self.columns = tuple(columns)
        self.index = {name: i for i, name in enumerate(self.columns)}
        width = len(self.columns)
        self._recent_capacity = recent
        self._rows = np.full((2 * recent, width), np.nan)
        self._count = 0  # rows in use in self._rows
        self._low = np.full((buckets, width), np.nan)
        self._high = np.full((buckets, width), np.nan)
        self._buckets = 0  # full buckets in use
        self._width = 1  # steps per bucket
        self._open_low = np.full(width, np.nan)  # the bucket being filled
        self._open_high = np.full(width, np.nan)
        self._open_count = 0
        self.total = 0  # rows ever appended
        # Called before any row is read: the recorder fills in the metrics it computes a block
        # of steps at a time (see sim.metrics), so that every read sees complete rows.
        self.complete: Callable[[], None] | None = None

    def __len__(self) -> int:
        return self.total

    @property
    def nbytes(self) -> int:
        return self._rows.nbytes + self._low.nbytes + self._high.nbytes

    def new_row(self) -> np.ndarray:
        """A NaN-filled row at the end of the table, to be written in place."""
        if self._count == self._rows.shape[0]:
            self._retire_oldest()
        row = self._rows[self._count]
        self._count += 1
        self.total += 1
        return row

    def tail(self, count: int) -> np.ndarray:
        """The newest ``count`` full-resolution rows (a view, to be written in place; the
        recorder completes its pending rows through it). ``count`` must not exceed the
        rows kept at full resolution since the last fold (see ``new_row``)."""
        return self._rows[self._count - count:self._count]

    def last(self) -> dict[str, float] | None:
        """The newest row by column name; None before the first step."""
        self._completed()
        if not self._count:
            return None
        return dict(zip(self.columns, self._rows[self._count - 1].tolist(), strict=True))

    def last_row(self) -> dict[str, float]:
        """The newest row, for a caller that has just taken a step; ValueError if there is
        none (``last`` returns None instead)."""
        row = self.last()
        if row is None:
            raise ValueError("the history has no rows: no step has been taken yet")
        return row

    def recent(self) -> np.ndarray:
        """A copy of the full-resolution rows, oldest first."""
        self._completed()
        return self._rows[:self._count].copy()

    def column(self, name: str) -> np.ndarray:
        """A copy of one metric over the full-resolution rows."""
        self._completed()
        return self._rows[:self._count, self.index[name]].copy()

    def series(self, name: str) -> Series:
        """One metric over the whole run, old part as min/max buckets."""
        self._completed()
        col = self.index[name]
        step = self.index["step"]
        parts_low = [self._low[:self._buckets, col]]
        parts_high = [self._high[:self._buckets, col]]
        parts_steps = [self._low[:self._buckets, step]]
        if self._open_count:
            parts_low.append(self._open_low[col:col + 1])
            parts_high.append(self._open_high[col:col + 1])
            parts_steps.append(self._open_low[step:step + 1])
        rows = self._rows[:self._count]
        parts_low.append(rows[:, col])
        parts_high.append(rows[:, col])
        parts_steps.append(rows[:, step])
        return Series(np.concatenate(parts_steps), np.concatenate(parts_low),
                      np.concatenate(parts_high))

    def csv_text(self) -> str:
        """The whole history as CSV: one row per recent step with every metric; older steps,
        kept only as ranges, as a "min" and a "max" row per range of steps.

        Columns: ``from_step, to_step, statistic`` (value, min or max), then every metric.
        NaN (a metric not measured at that step) is written as an empty cell, an infinite
        value (a loss or norm that overflowed) as ``inf`` or ``-inf``.
        """
        self._completed()
        lines = [",".join(("from_step", "to_step", "statistic") + self.columns)]
        step = self.index["step"]
        old = [(self._low[k], self._high[k]) for k in range(self._buckets)]
        if self._open_count:
            old.append((self._open_low, self._open_high))
        for low, high in old:  # a range's min and max of "step" are its first and last step
            first, last = int(low[step]), int(high[step])
            for statistic, values in (("min", low), ("max", high)):
                lines.append(_csv_line(first, last, statistic, values))
        lines.extend(_csv_line(int(row[step]), int(row[step]), "value", row)
                     for row in self._rows[:self._count])
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------ a copy kept elsewhere
    # The app's training process sends its window a copy of the plotted columns once, then
    # only the rows appended since (a few kB), not every series anew (megabytes, ten times a
    # second): the copy folds them exactly as this history did, so its series are the same.

    def copy(self, columns: Sequence[str]) -> History:
        """A history of these columns only (``step`` among them), as this one holds them now."""
        self._completed()
        picked = [self.index[name] for name in columns]
        copy = History(columns, self._recent_capacity, len(self._low))
        copy._rows[:self._count] = self._rows[:self._count, picked]
        copy._count = self._count
        copy._low[:self._buckets] = self._low[:self._buckets, picked]
        copy._high[:self._buckets] = self._high[:self._buckets, picked]
        copy._buckets, copy._width = self._buckets, self._width
        copy._open_low[...] = self._open_low[picked]
        copy._open_high[...] = self._open_high[picked]
        copy._open_count = self._open_count
        copy.total = self.total
        return copy

    def __getstate__(self) -> dict[str, Any]:
        """Pickled, a history keeps the parts in use only (a new one is megabytes of NaN),
        and never its ``complete`` (a recorder's method: a copy is complete already)."""
        self._completed()
        state = dict(self.__dict__, complete=None)
        state["_rows"] = self._rows[:self._count]
        state["_low"], state["_high"] = self._low[:self._buckets], self._high[:self._buckets]
        state["_bucket_capacity"] = len(self._low)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        capacity = state.pop("_bucket_capacity")
        width = len(state["columns"])
        for name, rows in (("_rows", 2 * state["_recent_capacity"]), ("_low", capacity),
                           ("_high", capacity)):
            kept = state[name]
            state[name] = np.full((rows, width), np.nan)
            state[name][:len(kept)] = kept
        self.__dict__.update(state)

    def rows_since(self, total: int, columns: Sequence[str]) -> np.ndarray | None:
        """A copy of these columns of the rows appended after the first ``total``, oldest
        first; None if some of them are no longer kept at full resolution (folded)."""
        self._completed()
        new = self.total - total
        if new < 0 or new > self._count:
            return None
        picked = [self.index[name] for name in columns]
        return self._rows[self._count - new:self._count][:, picked]

    def extend(self, rows: np.ndarray) -> None:
        """Append rows (one per step, every column), folding old ones exactly as appending
        them one at a time with `new_row` would."""
        while len(rows):
            if self._count == self._rows.shape[0]:
                self._retire_oldest()
            take = min(len(rows), self._rows.shape[0] - self._count)
            self._rows[self._count:self._count + take] = rows[:take]
            self._count += take
            self.total += take
            rows = rows[take:]

    def _completed(self) -> None:
        if self.complete is not None:
            self.complete()

    # ------------------------------------------------------------------ folding old rows

    def _retire_oldest(self) -> None:
        keep = self._recent_capacity
        old = self._rows[:self._count - keep]
        self._fold(old)
        self._rows[:keep] = self._rows[self._count - keep:self._count]
        self._rows[keep:] = np.nan
        self._count = keep

    def _fold(self, rows: np.ndarray) -> None:
        """Fold old rows, oldest first, into min/max buckets of the current width."""
        while len(rows):
            if self._open_count:
                rows = self._fill_open_bucket(rows)
                continue
            if self._buckets == len(self._low):
                self._merge_pairs()
            full = min(len(rows) // self._width, len(self._low) - self._buckets)
            if full:
                block = rows[:full * self._width].reshape(full, self._width, -1)
                end = self._buckets + full
                self._low[self._buckets:end] = np.fmin.reduce(block, axis=1)
                self._high[self._buckets:end] = np.fmax.reduce(block, axis=1)
                self._buckets = end
                rows = rows[full * self._width:]
            else:  # fewer rows than a bucket holds: they open the next bucket
                self._open_low[...] = np.fmin.reduce(rows, axis=0)
                self._open_high[...] = np.fmax.reduce(rows, axis=0)
                self._open_count = len(rows)
                return

    def _fill_open_bucket(self, rows: np.ndarray) -> np.ndarray:
        take = min(self._width - self._open_count, len(rows))
        np.fmin(self._open_low, np.fmin.reduce(rows[:take], axis=0), out=self._open_low)
        np.fmax(self._open_high, np.fmax.reduce(rows[:take], axis=0), out=self._open_high)
        self._open_count += take
        if self._open_count == self._width:
            if self._buckets == len(self._low):
                self._merge_pairs()  # the open bucket is now half of a wider one: keep filling
            else:
                self._low[self._buckets] = self._open_low
                self._high[self._buckets] = self._open_high
                self._buckets += 1
                self._open_count = 0
                self._open_low[...] = np.nan
                self._open_high[...] = np.nan
        return rows[take:]

    def _merge_pairs(self) -> None:
        half = len(self._low) // 2
        self._low[:half] = np.fmin(self._low[0::2], self._low[1::2])
        self._high[:half] = np.fmax(self._high[0::2], self._high[1::2])
        self._low[half:] = np.nan
        self._high[half:] = np.nan
        self._buckets = half
        self._width *= 2


def _csv_line(first: int, last: int, statistic: str, values: np.ndarray) -> str:
    cells = ["" if math.isnan(v) else repr(float(v)) for v in values.tolist()]
    return ",".join([str(first), str(last), statistic] + cells)
