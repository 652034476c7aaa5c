"""A text as a list of claims: every number it states must be checked by a test.

``LessonText(name)`` reads a lesson's title and description (``TextClaims(text)`` any text,
such as a section of docs/course-notes.md) and finds every number written in them
(``0.776``, ``−2.2566``, ``80%``, ``2 × 10⁻⁶``; names such as w⁽²⁾₁₁ hold no ASCII digit and
are not numbers). A claim test then accounts for each one:

- ``says(written, measured)``: the number, as written, is the run's ``measured`` value
  rounded to the digits written (0.776 stands for 0.7755 to 0.7765);
- ``bound(written)``: the number is a bound or a setting the test compares with itself
  (``below 0.01``), and its value is returned for that comparison;
- ``quotes(written, ...)``: the number is a course text's own, quoted to be contradicted: it
  must differ from what the run measured at the digits written;
- ``cites(written, why)``: the number is a course text's own, quoted as it prints it;
- ``names(written, why)``: the number names something (seed 004, the year 1986, sample 1).

``done()`` fails if any number of the text was not accounted for, so a number added to a
lesson without a check fails its test.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

import numpy as np

from sim import lessons

SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
# A number: an optional minus sign (−), then a power of ten (10⁻⁴), digits times a power of ten
# (2.1 × 10⁻⁶), or digits with decimals and an optional "%". It may not continue a word or
# another number (x1, 1.5.2), so names like w⁽²⁾₁₁ are never numbers.
NUMBER = re.compile(r"(?<![\w.])−?(?:(?:\d+(?:\.\d+)? × )?10⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+|\d+(?:\.\d+)?%?)")


def numbers_in(text: str) -> list[str]:
    return NUMBER.findall(text)


def value_of(written: str) -> tuple[float, float]:
    """The value a written number stands for, and the size of its last written digit."""
    text = written.replace("−", "-")
    scale = 1.0
    if text.endswith("%"):
        text, scale = text[:-1], 0.01
    mantissa, _, power = text.rpartition("10") if text[-1] in SUPERSCRIPT_DIGITS else \
        (text, "", "")
    if power:
        exponent = int(power.replace("⁻", "-").translate(
            str.maketrans(SUPERSCRIPT_DIGITS, "0123456789")))
        scale *= 10.0 ** exponent
        mantissa = mantissa.removesuffix(" × ")
        if mantissa in ("", "-"):  # a bare power of ten
            mantissa += "1"
    decimals = len(mantissa.partition(".")[2])
    return float(mantissa) * scale, 10.0 ** -decimals * scale


def rounds_to(measured: float, written: str) -> bool:
    """Whether ``measured`` rounded to the digits of ``written`` gives ``written``."""
    value, digit = value_of(written)
    return math.isfinite(measured) and abs(measured - value) <= 0.5 * digit * (1 + 1e-9)


class TextClaims:
    """The numbers of a text, to be accounted for one by one."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.left = Counter(numbers_in(text))

    def _use(self, written: str, times: int) -> None:
        assert self.left[written] >= times, \
            f"{written!r} is not in the text {times} more time(s): {self.left[written]} left"
        self.left[written] -= times

    def says(self, written: str, measured: float | Iterable[float], times: int = 1) -> None:
        """The text states ``written`` for a quantity the run measured as ``measured`` (or for
        several: "stays at 0.6931" from step 13 to 1000, each must round to it)."""
        values = [float(measured)] if isinstance(measured, (int, float, np.number)) else \
            [float(value) for value in measured]
        assert values
        for value in values:
            assert rounds_to(value, written), f"the text says {written}, the run gives {value!r}"
        self._use(written, times)

    def bound(self, written: str, times: int = 1) -> float:
        """A number the test compares with a measurement itself (a bound, a threshold)."""
        self._use(written, times)
        return value_of(written)[0]

    def quotes(self, written: str, measured: float, times: int = 1) -> None:
        """A course text's number that the run contradicts at the digits it is written with."""
        assert not rounds_to(float(measured), written), \
            f"the course text's {written} agrees with the run's {measured!r}"
        self._use(written, times)

    def cites(self, written: str, why: str, times: int = 1) -> None:
        """A course text's number, quoted as it prints it (``why`` says whose and what)."""
        assert why
        self._use(written, times)

    def names(self, written: str, why: str, times: int = 1) -> None:
        """A number that names something rather than measures it (``why`` says what)."""
        assert why
        self._use(written, times)

    def done(self) -> None:
        unchecked = sorted(+self.left)
        assert not unchecked, f"numbers of the text that no claim checks: {unchecked}"



class LessonText(TextClaims):
    """The numbers of one lesson's title and description."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.experiment = lessons.load_lesson(name)
        super().__init__(f"{self.experiment.name}\n{self.experiment.description}")
