"""Numbers as the app prints them: NaN and infinity are always named, never 'nan'."""

from __future__ import annotations

import math

import pytest

from sim.notation import MINUS, exact, number


@pytest.mark.parametrize("value", [0.1, -2.5e-300, 1.0 / 3.0, 12345.678])
def test_exact_reads_back_as_the_same_float(value):
    assert float(exact(value).replace(MINUS, "-")) == value


@pytest.mark.parametrize("value, text", [(math.nan, "NaN (not a number)"),
                                         (math.inf, "+infinity"), (-math.inf, "−infinity")])
def test_non_finite_values_say_what_they_are(value, text):
    assert exact(value) == number(value) == text
