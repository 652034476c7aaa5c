"""Colours for values: what every edge and node colour on the canvas means, without Qt.

Three edge colour modes:

- ``weight``: the signed weight on a diverging, colour-blind-safe map symmetric about zero
  (orange negative, grey zero, blue positive); line width grows with |w|.
- ``gradient``: |dE/dw| on a sequential map over a logarithmic range of decades, so a
  gradient a million times smaller than the largest fades almost to the background, which is
  what a vanishing gradient looks like.
- ``update``: |dw| of the last step, logarithmic like the gradient.

Values are put into a fixed number of bins so the canvas draws one batch of lines per bin.
Non-finite values get their own bin (``NAN_BIN``), drawn and labelled as "not a number". On
the logarithmic maps a magnitude below ``TINY`` is zero as far as a picture can tell (float
noise of 1e-16 is not a gradient): it gets ``ZERO_BIN``, drawn grey and thin.

A scale is the current values' range (`scale_for`), or a fixed one (`fixed_scale`: a lesson's
``view.colour_ranges``, or the range locked in the app), so that colours mean the same at step
300 as at step 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import notation

MODES = ("weight", "gradient", "update")
MODE_TITLES = {"weight": "weight w", "gradient": f"gradient |{notation.gradient('w')}|",
               "update": f"last update |{notation.change('w')}|"}
BINS = 33  # odd, so the diverging map has a bin centred on zero
NAN_BIN = -1
ZERO_BIN = -2  # a magnitude below TINY, on the logarithmic maps
TINY = 1e-12
EMPTY_TOP = 1.0  # the top of a logarithmic range with nothing above TINY to show
DECADES = 6  # the logarithmic range spans this many powers of ten below its top


def _ramp(anchors: list[tuple[int, int, int]], count: int = BINS) -> np.ndarray:
    """``count`` colours interpolated evenly through the anchor colours (RGB, 0-255)."""
    anchors_array = np.array(anchors, dtype=float)
    positions = np.linspace(0.0, 1.0, len(anchors))
    where = np.linspace(0.0, 1.0, count)
    channels = [np.interp(where, positions, anchors_array[:, c]) for c in range(3)]
    return np.round(np.stack(channels, axis=1)).astype(np.uint8)


# Orange (230, 97, 0) and blue (0, 114, 178) stay apart under every common colour-vision
# deficiency (Okabe & Ito); zero is a light neutral grey that recedes on a light background.
DIVERGING = _ramp([(230, 97, 0), (242, 176, 120), (206, 206, 206), (120, 170, 214),
                   (0, 90, 160)])
# Magnitude maps run from nearly the background (tiny) to dark and saturated (large).
GRADIENT = _ramp([(246, 240, 226), (253, 190, 133), (227, 92, 83), (142, 36, 115),
                  (45, 8, 70)])
UPDATE = _ramp([(240, 246, 228), (173, 221, 142), (49, 163, 84), (0, 104, 111),
                (8, 48, 83)])
PALETTES = {"weight": DIVERGING, "gradient": GRADIENT, "update": UPDATE}
# A second colour-blind-safe set, for viewers or projectors that lose orange and blue:
# ColorBrewer's purple-green for signs (safe for the common deficiencies), and viridis-like
# ramps (perceptually even, readable in greyscale) for magnitudes.
PURPLE_GREEN = {
    "weight": _ramp([(118, 42, 131), (194, 165, 207), (215, 215, 215), (166, 219, 160),
                     (27, 120, 55)]),
    "gradient": _ramp([(246, 246, 220), (189, 223, 38), (33, 145, 140), (59, 82, 139),
                       (68, 1, 84)]),
    "update": _ramp([(246, 240, 226), (253, 174, 97), (215, 48, 39), (120, 28, 109),
                     (30, 10, 40)]),
}
SCHEMES = {"orange-blue": PALETTES, "purple-green": PURPLE_GREEN}
SCHEME_TITLES = {"orange-blue": "Orange and blue (Okabe & Ito)",
                 "purple-green": "Purple and green (ColorBrewer)"}
NAN_COLOUR = (255, 0, 255)  # magenta, drawn dashed, and always named in the legend
ZERO_COLOUR = (190, 190, 190)  # a neutral grey: "nothing", apart from the ramp's faint end
ZERO_INK = (0, 0, 0)  # "0" written on it in the legend


@dataclass(frozen=True)
class Scale:
    """The value range that the bins cover: symmetric linear, or logarithmic magnitude."""

    kind: str  # "symmetric" or "log"
    high: float  # |value| at the top bin (symmetric) or top of the log range


def largest_magnitude(values: list[np.ndarray]) -> float:
    """The largest finite |value| among the arrays (0 for none)."""
    finite = [np.abs(v[np.isfinite(v)]) for v in values if v is not None and v.size]
    return max((float(v.max()) for v in finite if v.size), default=0.0)


def scale_for(mode: str, values: list[np.ndarray]) -> Scale:
    """A scale that shows these values: rounded up so it does not jitter step to step."""
    largest = largest_magnitude(values)
    if mode == "weight":
        return Scale("symmetric", _round_up(largest) if largest > 0 else 1.0)
    return fixed_scale(mode, largest if largest >= TINY else EMPTY_TOP)


def fixed_scale(mode: str, high: float) -> Scale:
    """The scale of a fixed range whose top is ``high``: symmetric for weights, otherwise
    logarithmic with its top rounded up to a power of ten (the legend labels decades)."""
    if mode == "weight":
        return Scale("symmetric", high)
    return Scale("log", 10.0 ** math.ceil(math.log10(high) - 1e-12))


def _round_up(value: float) -> float:
    """The next of 1, 1.5, 2, 3, 5, 7.5 x 10^k at or above ``value``."""
    decade = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0):
        if value <= step * decade * (1 + 1e-12):
            return step * decade
    return 10.0 * decade


def bins(values: np.ndarray, scale: Scale) -> np.ndarray:
    """The colour bin of each value (NAN_BIN for NaN and infinities); same shape as values."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    if scale.kind == "symmetric":
        position = (np.clip(values / scale.high, -1.0, 1.0) + 1.0) / 2.0
    else:
        with np.errstate(divide="ignore"):
            logs = np.log10(np.abs(values) / scale.high)
        position = np.clip(logs / DECADES + 1.0, 0.0, 1.0)  # 10^-DECADES..1 -> 0..1
    result = np.rint(np.where(finite, position, 0.0) * (BINS - 1)).astype(np.intp)
    if scale.kind == "log":
        result[np.abs(np.where(finite, values, 1.0)) < TINY] = ZERO_BIN
    result[~finite] = NAN_BIN
    return result


def bin_strength(index: int, mode: str) -> float:
    """How strong a bin is, 0 (zero or tiny) to 1 (the largest): sets line widths."""
    if index == ZERO_BIN:
        return 0.0
    position = index / (BINS - 1)
    return abs(2.0 * position - 1.0) if mode == "weight" else position


def legend_ticks(scale: Scale) -> list[tuple[float, str]]:
    """(position 0..1 along the colour bar, label) pairs for the legend."""
    if scale.kind == "symmetric":
        h = scale.high
        return [(0.0, notation.number(-h, 3)), (0.25, notation.number(-h / 2, 3)), (0.5, "0"),
                (0.75, notation.number(h / 2, 3)), (1.0, notation.number(h, 3))]
    top = round(math.log10(scale.high))
    return [(k / DECADES, notation.power_of_ten(top - DECADES + k))
            for k in range(0, DECADES + 1, 2)]


def scale_note(scale: Scale, fixed: bool) -> str:
    """What the legend says after a mode's title about its scale (a logarithmic map's grey
    box, labelled 0, holds the magnitudes below TINY)."""
    notes = (["log scale"] if scale.kind == "log" else []) + (["fixed range"] if fixed else [])
    return f"  ({', '.join(notes)})" if notes else ""


def colour(mode: str, index: int, scheme: str = "orange-blue") -> tuple[int, int, int]:
    """The RGB colour of a bin in a mode (NAN_BIN: the not-a-number colour)."""
    if index == NAN_BIN:
        return NAN_COLOUR
    if index == ZERO_BIN:
        return ZERO_COLOUR
    red, green, blue = (int(c) for c in SCHEMES[scheme][mode][index])
    return red, green, blue


def bin_colours(ramp: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """The RGB colour of each bin on a ramp (NAN_BIN and ZERO_BIN their own colours)."""
    colours = ramp[np.clip(indices, 0, None)]
    colours[indices == NAN_BIN] = NAN_COLOUR
    colours[indices == ZERO_BIN] = ZERO_COLOUR
    return colours


def activation_colours(values: np.ndarray, high: float,
                       scheme: str = "orange-blue") -> np.ndarray:
    """Node fills (RGB rows) for values on a symmetric range, on the diverging map."""
    indices = bins(values, Scale("symmetric", high if high > 0 else 1.0))
    return bin_colours(SCHEMES[scheme]["weight"], indices)


def edge_values(mode: str, W: np.ndarray, dW: np.ndarray, update: np.ndarray) -> np.ndarray:
    """The quantity an edge shows in a mode (the canvas colours and labels this)."""
    return {"weight": W, "gradient": dW, "update": update}[mode]
