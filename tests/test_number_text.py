"""Numbers as the app prints them: NaN and infinity are always named, never 'nan'."""

from __future__ import annotations

import math

import pytest

from sim.notation import MINUS, count, exact, number
from sim.schema import finite_or_none


@pytest.mark.parametrize("value", [0.1, -2.5e-300, 1.0 / 3.0, 12345.678])
def test_exact_reads_back_as_the_same_float(value):
    assert float(exact(value).replace(MINUS, "-")) == value


@pytest.mark.parametrize("value, text", [(math.nan, "NaN (not a number)"),
                                         (math.inf, "+infinity"), (-math.inf, "−infinity")])
def test_non_finite_values_say_what_they_are(value, text):
    assert exact(value) == number(value) == text


@pytest.mark.parametrize("n, text", [(0, "0 runs"), (1, "1 run"), (2, "2 runs")])
def test_a_count_names_its_noun_in_the_plural_unless_it_is_one(n, text):
    assert count(n, "run") == text


@pytest.mark.parametrize("value, written", [(0.25, 0.25), (-0.0, -0.0), (math.nan, None),
                                            (math.inf, None), (-math.inf, None), (None, None)])
def test_a_json_record_writes_a_number_that_is_not_finite_as_null(value, written):
    assert finite_or_none(value) == written
