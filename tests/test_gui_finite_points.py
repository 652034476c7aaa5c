"""The landscape's path and its marker leave out points a diverged run put at infinity
(pyqtgraph cannot place them: its bounds become NaN, a RuntimeWarning the monkey test met)."""

from __future__ import annotations

import numpy as np

from gui.views_panel import finite_points


def test_only_points_finite_in_both_coordinates_are_kept():
    x, y = finite_points(np.array([0.5, np.inf, 2.0, np.nan, -1.0]),
                         np.array([1.0, 2.0, -np.inf, 4.0, 5.0]))
    assert x.tolist() == [0.5, -1.0] and y.tolist() == [1.0, 5.0]
    assert x.dtype == y.dtype == np.float64


def test_a_single_point_at_infinity_leaves_nothing():
    x, y = finite_points(np.array([np.inf]), np.array([3.0]))
    assert (x.size, y.size) == (0, 0)


def test_the_points_are_copies():
    """pyqtgraph keeps a view of the arrays it is given (docs/hazards.md)."""
    given = np.arange(3.0)
    x, _ = finite_points(given, np.ones(3))
    x[0] = 9.0
    assert given.tolist() == [0.0, 1.0, 2.0]
