"""Names carry their layer and count units from 1; numbers carry one minus sign."""

from __future__ import annotations

import math

import pytest

from sim import notation


def test_names_carry_the_layer_and_count_units_from_one():
    assert notation.activation(2, 0) == "a⁽²⁾₁"
    assert notation.net_input(1, 1) == "z⁽¹⁾₂"
    assert notation.delta(1, 0) == "δ⁽¹⁾₁"
    assert notation.weight(2, 0, 1) == "w⁽²⁾₁₂"
    assert notation.bias(1, 0) == "b⁽¹⁾₁"
    assert notation.activation(0, 1) == notation.input_name(1) == "x₂"
    assert notation.target(0) == "t₁"
    assert notation.slope(3, 2) == "f′(z⁽³⁾₃)"
    assert notation.gradient(notation.weight(1, 0, 0)) == "∂E/∂w⁽¹⁾₁₁"
    assert notation.net_input(11, 0) == "z⁽¹¹⁾₁"


def test_two_digit_units_cannot_be_read_two_ways():
    assert notation.weight(1, 0, 11) == "w⁽¹⁾₁,₁₂"
    assert notation.weight(1, 10, 1) == "w⁽¹⁾₁₁,₂"
    assert notation.weight(1, 10, 1) != notation.weight(1, 0, 10)
    names = {notation.weight(1, j, i) for j in range(20) for i in range(20)}
    assert len(names) == 400


@pytest.mark.parametrize("value, text", [
    (0.5, "0.5"), (-0.5, "−0.5"), (-0.0, "0"), (0.0, "0"), (-1.5e-7, "−1.5e−07"),
    (0.123456, "0.1235"), (math.nan, "NaN (not a number)"), (math.inf, "+infinity"),
    (-math.inf, "−infinity")])
def test_numbers_have_one_minus_sign(value, text):
    assert notation.number(value) == text


def test_a_difference_never_shows_two_minus_signs_in_a_row():
    assert notation.difference(0.0, -1.0) == "0 − (−1)"
    assert notation.factor(-2.0) == "(−2)" and notation.factor(2.0) == "2"
    assert notation.exact(-0.1) == "−0.1" and float(notation.exact(0.1)) == 0.1
