"""How every quantity is named and every number printed: one place, in the seeds' notation.

A name always carries its layer, as a superscript in parentheses, and counts units from 1 as
subscripts: a⁽²⁾₁ is the output of unit 1 of layer 2, z⁽¹⁾₂ the net input of unit 2 of layer 1,
δ⁽¹⁾₁ = ∂E/∂z⁽¹⁾₁ its error, w⁽²⁾₁₂ the weight into unit 1 of layer 2 from unit 2 below (the seeds'
w_ji: into j, from i), b⁽¹⁾₁ a bias. Inputs are x₁, x₂ (a⁽⁰⁾ is x), targets t₁. Two-digit units
are separated by a comma (w⁽²⁾₁₀,₂), so that no name can be read two ways. Numbers carry one minus
sign, "−", never "-", and never "−0".

Layers count from 1 (0 is the input); a unit j or source i is given counting from 0, as in
``W[j, i]``, and printed counting from 1.
"""

from __future__ import annotations

import math

MINUS = "−"
SIGNIFICANT = 4  # digits of a number in a caption

_SUPERSCRIPT = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def layer_mark(layer: int) -> str:
    """⁽ˡ⁾: the layer a name belongs to."""
    return f"({layer})".translate(_SUPERSCRIPT)


def units_mark(*units: int) -> str:
    """The subscript of one or two units given from 0: ₁, ₁₂, or ₁₀,₂ when one has two digits."""
    shown = [str(unit + 1) for unit in units]
    separator = "," if any(len(text) > 1 for text in shown) else ""
    return separator.join(text.translate(_SUBSCRIPT) for text in shown)


def activation(layer: int, unit: int) -> str:
    """a⁽ˡ⁾ⱼ, the output of a unit; layer 0 is the input, xⱼ."""
    return input_name(unit) if layer == 0 else f"a{layer_mark(layer)}{units_mark(unit)}"


def net_input(layer: int, unit: int) -> str:
    """z⁽ˡ⁾ⱼ = Σᵢ w⁽ˡ⁾ⱼᵢ a⁽ˡ⁻¹⁾ᵢ + b⁽ˡ⁾ⱼ."""
    return f"z{layer_mark(layer)}{units_mark(unit)}"


def delta(layer: int, unit: int) -> str:
    """δ⁽ˡ⁾ⱼ = ∂E/∂z⁽ˡ⁾ⱼ, the error of a unit."""
    return f"δ{layer_mark(layer)}{units_mark(unit)}"


def slope(layer: int, unit: int) -> str:
    """f′(z⁽ˡ⁾ⱼ), the slope of a unit's activation at its net input."""
    return f"f′({net_input(layer, unit)})"


def weight(layer: int, unit: int, source: int) -> str:
    """w⁽ˡ⁾ⱼᵢ, the weight into unit j of a layer from unit i of the layer below."""
    return f"w{layer_mark(layer)}{units_mark(unit, source)}"


def bias(layer: int, unit: int) -> str:
    """b⁽ˡ⁾ⱼ."""
    return f"b{layer_mark(layer)}{units_mark(unit)}"


def input_name(unit: int) -> str:
    """xᵢ, an input of the network."""
    return f"x{units_mark(unit)}"


def target(unit: int) -> str:
    """tⱼ, the target of output unit j."""
    return f"t{units_mark(unit)}"


def gradient(name: str) -> str:
    """∂E/∂name: how much the loss changes with a quantity."""
    return f"∂E/∂{name}"


def number(value: float) -> str:
    """SIGNIFICANT digits, one minus sign; NaN and infinity say what they are."""
    if math.isnan(value):
        return "NaN (not a number)"
    if math.isinf(value):
        return "+infinity" if value > 0 else f"{MINUS}infinity"
    if value == 0.0:
        return "0"  # never "−0"
    text = f"{value:.{SIGNIFICANT}g}"
    return text.replace("-", MINUS)


def exact(value: float) -> str:
    """Every digit: the shortest text that reads back as the same float, with "−"."""
    if not math.isfinite(value):
        return number(value)
    return repr(float(value)).replace("-", MINUS)


def factor(value: float) -> str:
    """A number as a factor of a product: a negative one in parentheses, (−0.5)."""
    return f"({number(value)})" if value < 0.0 else number(value)


def difference(first: float, second: float) -> str:
    """first − second written out, a negative second in parentheses: 0 − (−1), never 0 − −1."""
    return f"{number(first)} {MINUS} {factor(second)}"


def power(base: float, exponent: int) -> str:
    """base to a whole power, the exponent raised: 0.25⁸."""
    return f"{number(base)}{str(exponent).translate(_SUPERSCRIPT)}"
