"""How every quantity is named and every number printed: one place, in the seeds' notation.

A name always carries its layer, as a superscript in parentheses, and counts units from 1 as
subscripts: a⁽²⁾₁ is the output of unit 1 of layer 2, z⁽¹⁾₂ the net input of unit 2 of layer 1,
δ⁽¹⁾₁ = ∂E/∂z⁽¹⁾₁ its error, w⁽²⁾₁₂ the weight into unit 1 of layer 2 from unit 2 below (the seeds'
w_ji: into j, from i), b⁽¹⁾₁ a bias. Inputs are x₁, x₂ (a⁽⁰⁾ is x), targets t₁. Two-digit units
are separated by a comma (w⁽²⁾₁₀,₂), so that no name can be read two ways. Numbers carry one minus
sign, "−", never "-", and never "−0".

E is the data loss of the batch, P the penalty on the weights (L1, L2), η the learning rate,
Δw the change of a weight in the last update. Values of units (x, z, a, δ, t, ∂E/∂a) are those
of one sample, the followed one; a parameter's gradient ∂E/∂w is the batch's.

Layers count from 1 (0 is the input); a unit j or source i is given counting from 0, as in
``W[j, i]``, and printed counting from 1. A letter ("i", "j", "k") instead of a unit, or "l"
instead of a layer, gives the generic form a formula uses: a⁽ˡ⁾ⱼ, w⁽²⁾ⱼᵢ.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Sequence

from .schema import one_line

MINUS = "−"
SIGNIFICANT = 4  # digits of a number in a caption
LOSS = "E"
PENALTY = "P"
LEARNING_RATE = "η"
MAX_LISTED_SAMPLES = 8  # a sum over a batch up to this size is written term by term

Index = int | str  # a unit counted from 0, or a letter for the generic form

# Characters written raised or lowered, and their plain forms (t: Adam's update count, β₁ᵗ).
_PLAIN_RAISED, _RAISED_FORMS = "0123456789()l−t", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾ˡ⁻ᵗ"
_PLAIN_LOWERED, _LOWERED_FORMS = "0123456789ijkn", "₀₁₂₃₄₅₆₇₈₉ᵢⱼₖₙ"
_SUPERSCRIPT = str.maketrans(_PLAIN_RAISED, _RAISED_FORMS)
_SUBSCRIPT = str.maketrans(_PLAIN_LOWERED, _LOWERED_FORMS)
_FROM_SUPERSCRIPT = str.maketrans(_RAISED_FORMS, _PLAIN_RAISED)
_FROM_SUBSCRIPT = str.maketrans(_LOWERED_FORMS, _PLAIN_LOWERED)
# A run of raised characters, or of lowered ones (with the comma between two-digit units).
_RAISED = re.compile(f"[{_RAISED_FORMS}]+")
_LOWERED = re.compile(f"[{_LOWERED_FORMS}]+(?:,[{_LOWERED_FORMS}]+)*")


def layer_mark(layer: Index) -> str:
    """⁽ˡ⁾: the layer a name belongs to ("l" and "l−1" for the generic form)."""
    return f"({layer})".translate(_SUPERSCRIPT)


def units_mark(*units: Index) -> str:
    """The subscript of one or two units given from 0: ₁, ₁₂, or ₁₀,₂ when one has two digits;
    a letter stays a letter (ⱼᵢ)."""
    shown = [unit if isinstance(unit, str) else str(unit + 1) for unit in units]
    separator = "," if any(len(text) > 1 for text in shown) else ""
    return separator.join(text.translate(_SUBSCRIPT) for text in shown)


def activation(layer: Index, unit: Index) -> str:
    """a⁽ˡ⁾ⱼ, the output of a unit; layer 0 is the input, xⱼ."""
    return input_name(unit) if layer == 0 else f"a{layer_mark(layer)}{units_mark(unit)}"


def net_input(layer: Index, unit: Index) -> str:
    """z⁽ˡ⁾ⱼ = Σᵢ w⁽ˡ⁾ⱼᵢ a⁽ˡ⁻¹⁾ᵢ + b⁽ˡ⁾ⱼ."""
    return f"z{layer_mark(layer)}{units_mark(unit)}"


def delta(layer: Index, unit: Index) -> str:
    """δ⁽ˡ⁾ⱼ = ∂E/∂z⁽ˡ⁾ⱼ, the error of a unit."""
    return f"δ{layer_mark(layer)}{units_mark(unit)}"


def slope(layer: Index, unit: Index) -> str:
    """f′(z⁽ˡ⁾ⱼ), the slope of a unit's activation at its net input."""
    return f"f′({net_input(layer, unit)})"


def weight(layer: Index, unit: Index, source: Index) -> str:
    """w⁽ˡ⁾ⱼᵢ, the weight into unit j of a layer from unit i of the layer below."""
    return f"w{layer_mark(layer)}{units_mark(unit, source)}"


def bias(layer: Index, unit: Index) -> str:
    """b⁽ˡ⁾ⱼ."""
    return f"b{layer_mark(layer)}{units_mark(unit)}"


def parameter(layer: int, unit: int, source: int | None) -> str:
    """w⁽ˡ⁾ⱼᵢ, or b⁽ˡ⁾ⱼ when there is no source (a bias)."""
    return bias(layer, unit) if source is None else weight(layer, unit, source)


def batch_mean(layer: Index, unit: Index) -> str:
    """μ⁽ˡ⁾ⱼ, the mean of a unit's net input over the batch (batch normalisation)."""
    return f"μ{layer_mark(layer)}{units_mark(unit)}"


def batch_variance(layer: Index, unit: Index) -> str:
    """σ⁽ˡ⁾ⱼ², the (biased) variance of a unit's net input over the batch."""
    return f"σ{layer_mark(layer)}{units_mark(unit)}²"


def normalised(layer: Index, unit: Index) -> str:
    """ẑ⁽ˡ⁾ⱼ = (z − μ) / √(σ² + ε), a unit's normalised net input."""
    return f"ẑ{layer_mark(layer)}{units_mark(unit)}"


def normalised_output(layer: Index, unit: Index) -> str:
    """z̃⁽ˡ⁾ⱼ = γ ẑ + β, what a unit's activation takes after batch normalisation."""
    return f"z̃{layer_mark(layer)}{units_mark(unit)}"


def norm_scale(layer: Index, unit: Index) -> str:
    """γ⁽ˡ⁾ⱼ, the scale batch normalisation multiplies a unit's normalised net input by."""
    return f"γ{layer_mark(layer)}{units_mark(unit)}"


def norm_shift(layer: Index, unit: Index) -> str:
    """β⁽ˡ⁾ⱼ, the shift batch normalisation adds after scaling."""
    return f"β{layer_mark(layer)}{units_mark(unit)}"


def input_name(unit: Index) -> str:
    """xᵢ, an input of the network."""
    return f"x{units_mark(unit)}"


def target(unit: Index) -> str:
    """tⱼ, the target of output unit j."""
    return f"t{units_mark(unit)}"


def gradient(name: str, penalised: bool = False) -> str:
    """∂E/∂name: how much the loss changes with a quantity; ∂(E+P)/∂name with the penalty."""
    of = f"({LOSS}+{PENALTY})" if penalised else LOSS
    return f"∂{of}/∂{name}"


def change(name: str) -> str:
    """Δname: the change of a parameter in the last update (seed 003's Δw_ji)."""
    return f"Δ{name}"


def input_label(unit: int, data_names: Sequence[str]) -> str:
    """xᵢ with the data's own name for it (from ``data_names``) where that says more: "x₁",
    "x₂ (10x larger)", "x₁: size (1000 sq ft)". A data name that is the plain "x", "x1", ...
    (or none) adds nothing."""
    name = input_name(unit)
    plain = f"x{unit + 1}"
    data_name = data_names[unit] if unit < len(data_names) else ""
    if data_name in ("", "x", plain):
        return name
    data_name = one_line(data_name)  # a file's text: its control characters escaped
    if data_name.startswith(plain + " "):
        return name + data_name[len(plain):]
    return f"{name}: {data_name}"


def count(n: int, noun: str) -> str:
    """n and its noun, the noun plural unless n is 1: "1 training sample", "3 hidden units"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def number(value: float, digits: int = SIGNIFICANT) -> str:
    """``digits`` significant digits, one minus sign; NaN and infinity say what they are."""
    if math.isnan(value):
        return "NaN (not a number)"
    if math.isinf(value):
        return "+infinity" if value > 0 else f"{MINUS}infinity"
    if value == 0.0:
        return "0"  # never "−0"
    text = f"{value:.{digits}g}"
    return text.replace("-", MINUS)


def power_of_ten(exponent: int) -> str:
    """1e−8, 1e4: a power of ten as a scale's tick reads it, with "−"."""
    return f"1e{exponent}".replace("-", MINUS)


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


def total(terms: Iterable[str]) -> str:
    """Terms already written (a negative one in parentheses, see factor) as one sum."""
    return " + ".join(terms)


def batch_terms(terms: list[str], followed: int) -> str:
    """The samples' terms of a sum over a batch, in batch order, the followed sample's term in
    brackets: 0.1 + [0.2 × 0.5] + (−0.3)."""
    return total(f"[{term}]" if row == followed else term for row, term in enumerate(terms))



def rich(text: str) -> str:
    """Text with names in it as HTML for Qt's rich text: the layer mark in <sup>, the units in
    <sub>, which Qt draws larger and clearer than the small Unicode forms (a⁽²⁾₁ becomes
    a<sup>(2)</sup><sub>1</sub>); everything else escaped."""
    escaped = html.escape(text, quote=False)
    raised = _RAISED.sub(lambda m: f"<sup>{m.group().translate(_FROM_SUPERSCRIPT)}</sup>",
                         escaped)
    return _LOWERED.sub(lambda m: f"<sub>{m.group().translate(_FROM_SUBSCRIPT)}</sub>", raised)


def plain(text: str) -> str:
    """Text with names in it in the plain form typed on a command line or in a file: the
    layer mark in brackets, the units after "_" (a⁽²⁾₁ becomes a[2]_1, w⁽²⁾₁₀,₂ w[2]_10,2)."""
    raised = _RAISED.sub(lambda m: m.group().translate(_FROM_SUPERSCRIPT)
                         .replace("(", "[").replace(")", "]"), text)
    return _LOWERED.sub(lambda m: "_" + m.group().translate(_FROM_SUBSCRIPT), raised)


def power(base: float, exponent: int) -> str:
    """base to a whole power, the exponent raised: 0.25⁸."""
    return f"{number(base)}{str(exponent).translate(_SUPERSCRIPT)}"
