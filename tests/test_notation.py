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


def test_generic_forms_use_letters_for_any_unit_and_any_layer():
    assert notation.weight(2, "j", "i") == "w⁽²⁾ⱼᵢ"
    assert notation.weight(3, "k", 0) == "w⁽³⁾ₖ₁"
    assert notation.activation("l−1", "i") == "a⁽ˡ⁻¹⁾ᵢ"
    assert notation.activation(0, "i") == "xᵢ"
    assert notation.gradient("w⁽¹⁾₁₁", penalised=True) == "∂(E+P)/∂w⁽¹⁾₁₁"
    assert notation.change("w⁽¹⁾₁₁") == "Δw⁽¹⁾₁₁"
    assert notation.parameter(2, 0, None) == "b⁽²⁾₁" == notation.bias(2, 0)


@pytest.mark.parametrize("unit, names, label", [
    (0, ("x1", "x2"), "x₁"), (0, ("x",), "x₁"), (1, ("x1",), "x₂"),
    (1, ("x1", "x2 (10x larger)"), "x₂ (10x larger)"),
    (0, ("size (1000 sq ft)",), "x₁: size (1000 sq ft)"), (0, ("x10",), "x₁: x10")])
def test_an_input_is_x_with_the_datas_own_name_where_it_says_more(unit, names, label):
    assert notation.input_label(unit, names) == label


def test_rich_text_makes_the_layer_a_superscript_and_the_units_a_subscript():
    assert notation.rich("a⁽²⁾₁") == "a<sup>(2)</sup><sub>1</sub>"
    assert notation.rich("w⁽¹⁾₁₀,₂ < 0") == "w<sup>(1)</sup><sub>10,2</sub> &lt; 0"
    assert notation.rich("Σₖ w⁽ˡ⁾ₖⱼ") == "Σ<sub>k</sub> w<sup>(l)</sup><sub>kj</sub>"
    assert notation.rich("a, b") == "a, b"  # a comma between plain words stays as it is


def test_scales_and_sums_keep_one_minus_sign():
    assert notation.power_of_ten(-8) == "1e−8" and notation.power_of_ten(2) == "1e2"
    assert notation.number(-0.0123456789, 10) == "−0.0123456789"
    assert notation.batch_terms(["0.1", "(−0.2)", "0.3"], 1) == "0.1 + [(−0.2)] + 0.3"


def test_a_data_name_stays_on_one_line():
    assert notation.input_label(0, ("a\nb\x1b[31m",)) == "x₁: a\\nb\\x1b[31m"
