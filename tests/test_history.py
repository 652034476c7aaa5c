"""Bounded history: recent steps exact, older ones as min/max buckets, memory fixed."""

from __future__ import annotations

import pickle

import numpy as np

from sim.history import History


def filled(history: History, values: np.ndarray) -> None:
    for step, value in enumerate(values, start=1):
        row = history.new_row()
        row[0] = step
        row[1] = value


def test_recent_rows_are_exact():
    history = History(["step", "loss"], recent=8, buckets=8)
    filled(history, np.arange(10.0))
    assert history.column("loss")[-8:].tolist() == list(np.arange(2.0, 10.0))
    assert history.last() == {"step": 10.0, "loss": 9.0}
    assert len(history) == 10


def test_old_rows_keep_their_minimum_and_maximum():
    rng = np.random.default_rng(0)
    values = rng.normal(size=20_000)
    values[1234] = 50.0  # a spike long ago must survive decimation
    values[777] = -40.0
    history = History(["step", "loss"], recent=64, buckets=32)
    filled(history, values)
    series = history.series("loss")
    assert series.high.max() == 50.0 and series.low.min() == -40.0
    # every point's range covers exactly the rows between its step and the next point's
    edges = np.append(series.steps, len(values) + 1).astype(int)
    for first, nxt, low, high in zip(edges[:-1], edges[1:], series.low, series.high, strict=True):
        chunk = values[first - 1:nxt - 1]
        assert low == chunk.min() and high == chunk.max()


def test_memory_is_bounded_however_long_the_run():
    history = History(["step", "loss", "x", "y"], recent=256, buckets=256)
    size = history.nbytes
    rows = np.zeros((1_000_000, 4))
    rows[:, 0] = np.arange(1, 1_000_001)
    # feed a million rows through the public path, in bulk for speed
    for start in range(0, len(rows), 512):
        for row in rows[start:start + 512]:
            history.new_row()[:] = row
    assert history.nbytes == size < 100_000
    assert len(history) == 1_000_000
    series = history.series("step")
    assert series.low.min() == 1 and series.high.max() == 1_000_000
    assert len(series.steps) <= 256 + 1 + 512


def test_unmeasured_values_stay_nan_without_hiding_measured_ones():
    history = History(["step", "val_loss"], recent=4, buckets=4)
    for step in range(1, 41):
        row = history.new_row()
        row[0] = step
        if step % 10 == 0:
            row[1] = step / 10
    series = history.series("val_loss")
    assert np.nanmax(series.high) == 4.0 and np.nanmin(series.low) == 1.0


def test_csv_holds_every_step_exactly_or_as_its_range():
    history = History(["step", "loss"], recent=4, buckets=4)
    values = np.array([5.0, 1.0, 7.0, 3.0, 2.0, 8.0, 6.0, 4.0, 9.0, np.nan, 0.5])
    filled(history, values)
    filled_more = np.array([3.5, 2.5, 1.5, 7.5, 0.25, 6.0, 5.5, 4.5])
    for step, value in enumerate(filled_more, start=len(values) + 1):  # buckets widen
        row = history.new_row()
        row[0], row[1] = step, value
    values = np.concatenate([values, filled_more])
    rows = [line.split(",") for line in history.csv_text().splitlines()]
    assert rows[0] == ["from_step", "to_step", "statistic", "step", "loss"]
    ranges = [r for r in rows[1:] if r[2] != "value"]
    exact = [r for r in rows[1:] if r[2] == "value"]
    covered = {int(r[0]) for r in ranges} | {s for r in ranges
                                             for s in range(int(r[0]), int(r[1]) + 1)}
    assert covered | {int(r[0]) for r in exact} == set(range(1, len(values) + 1))  # all steps
    assert any(int(r[1]) > int(r[0]) for r in ranges)  # some rows stand for several steps
    for low, high in zip(ranges[0::2], ranges[1::2], strict=True):
        first, last = int(low[0]), int(low[1])
        assert (low[2], high[2]) == ("min", "max")
        assert float(low[4]) == np.nanmin(values[first - 1:last])
        assert float(high[4]) == np.nanmax(values[first - 1:last])
    assert [r[4] for r in exact] == [repr(float(v)) if np.isfinite(v) else ""
                                     for v in values[-len(exact):]]


def test_csv_writes_an_overflowed_value_as_inf_and_an_unmeasured_one_as_empty():
    history = History(["step", "loss", "val_loss"], recent=4, buckets=4)
    row = history.new_row()
    row[:] = (1.0, np.inf, np.nan)
    assert history.csv_text().splitlines()[1] == "1,1,value,1.0,inf,"


def test_a_copy_of_some_columns_kept_up_to_date_by_new_rows_folds_exactly_as_the_original():
    rng = np.random.default_rng(1)
    history = History(["step", "loss", "norm", "rate"], recent=8, buckets=4)
    columns = ["step", "norm", "loss"]
    filled(history, rng.normal(size=5))
    copy = history.copy(columns)
    sent = len(history)
    for count in (1, 3, 8, 2, 7, 8, 5, 8, 8, 1, 6):  # across many folds and bucket merges
        for _ in range(count):
            row = history.new_row()
            row[:] = (len(history), rng.normal(), rng.normal(), np.nan)
        rows = history.rows_since(sent, columns)
        assert rows is not None and rows.shape == (count, 3)
        copy.extend(rows)
        sent = len(history)
        assert len(copy) == len(history)
        for name in columns:
            mine, theirs = copy.series(name), history.series(name)
            for a, b in ((mine.steps, theirs.steps), (mine.low, theirs.low),
                         (mine.high, theirs.high)):
                assert np.array_equal(a, b, equal_nan=True)


def test_rows_already_folded_cannot_be_sent_as_rows():
    history = History(["step", "loss"], recent=4, buckets=4)
    filled(history, np.arange(8.0))  # a full buffer: the next row folds the oldest four
    assert history.rows_since(0, ["loss"]) is not None
    filled(history, np.arange(1.0))
    assert history.rows_since(0, ["loss"]) is None  # the first four are a bucket now
    assert history.rows_since(5, ["loss"]).tolist() == [[5.0], [6.0], [7.0], [0.0]]


def test_a_pickled_history_carries_only_what_it_holds_and_goes_on_as_the_original():
    """The window is sent a copy of the history at every load and reset: a new one is
    megabytes of NaN in its buffers, and pickled it is the few bytes it holds."""
    rng = np.random.default_rng(2)
    history = History(["step", "loss"], recent=1024, buckets=512)
    assert len(pickle.dumps(history)) < history.nbytes // 20
    filled(history, rng.normal(size=3000))  # two folds: buckets and an open one in use
    copy = pickle.loads(pickle.dumps(history))
    for more in (rng.normal(size=700), rng.normal(size=2500)):
        for target in (history, copy):
            filled(target, more)
        assert len(copy) == len(history) and copy.nbytes == history.nbytes
        mine, theirs = copy.series("loss"), history.series("loss")
        for a, b in ((mine.steps, theirs.steps), (mine.low, theirs.low),
                     (mine.high, theirs.high)):
            assert np.array_equal(a, b, equal_nan=True)


def test_the_moving_average_is_the_plain_mean_of_the_points_around_each():
    # Batch losses of 0.01 and 1.0 in turn: their mean is 0.505, whatever the axis (a mean of
    # logarithms, 0.1, drew the line of a noisy loss far below the loss lessons quote).
    history = History(["step", "loss"], recent=64, buckets=8)
    filled(history, np.tile([0.01, 1.0], 16))
    history.new_row()[:] = [33.0, np.nan]  # an unmeasured point is left out
    trend = history.series("loss").trend(4)
    assert np.allclose(trend[2:-3], 0.505)
    assert trend[-1] == np.mean([0.01, 1.0])  # the window at the end: two points and NaN
