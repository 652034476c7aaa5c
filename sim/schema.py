"""Reading untrusted JSON values with one-line errors that name the field and the problem.

Every error reads ``<field path>: <problem>, got <value>``, for example
``optimizer.learning_rate: must be a positive finite number, got -0.1``.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterable
from typing import Any


class ExperimentError(ValueError):
    """An experiment (file, data or checkpoint) that cannot be used, with the field to blame."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(one_line(f"{path}: {problem}" if path else problem))

    def __reduce__(self) -> tuple[type[ExperimentError], tuple[str, str], dict[str, Any]]:
        """Pickle as a call of the constructor with path and problem (an exception's default
        calls it with the message alone), then the attributes, notes among them."""
        return type(self), (self.path, self.problem), self.__dict__


def one_line(text: str) -> str:
    """``text`` with control characters escaped, so that an error stays one line."""
    # Keys, file names and CSV headers come from the user and may hold newlines.
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


REQUIRED: Any = object()  # marks a key without a default
MAX_NAME = 64  # characters in a column or unit name


def describe(value: Any) -> str:
    """A short rendering of a bad value for an error message."""
    if isinstance(value, str):
        text = json.dumps(value[:40] + ("..." if len(value) > 40 else ""))
        return f"the text {text}"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int) and abs(value) >= 10**30:  # not all of a huge integer
        return f"a number of about {round(value.bit_length() * math.log10(2))} digits"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class Section:
    """One JSON object of the file, read key by key; unknown keys are refused."""

    def __init__(self, value: Any, path: str, allowed: Iterable[str]) -> None:
        if not isinstance(value, dict):
            raise ExperimentError(path, f"must be an object, got {describe(value)}")
        self.value = value
        self.path = path
        allowed = tuple(allowed)
        for key in value:
            if key not in allowed:
                raise ExperimentError(self.at(key), unknown_key_problem(key, allowed))

    def at(self, key: str) -> str:
        return join_path(self.path, key)

    def has(self, key: str) -> bool:
        return key in self.value

    def raw(self, key: str, default: Any = REQUIRED) -> Any:
        if key in self.value:
            return self.value[key]
        if default is REQUIRED:
            raise ExperimentError(self.at(key), "is required")
        return default

    def number(self, key: str, default: Any = REQUIRED, *, minimum: float | None = None,
               maximum: float | None = None, positive: bool = False) -> float:
        return read_number(self.raw(key, default), self.at(key), minimum=minimum,
                           maximum=maximum, positive=positive)

    def optional_number(self, key: str, **bounds: Any) -> float | None:
        value = self.raw(key, None)
        return None if value is None else read_number(value, self.at(key), **bounds)

    def integer(self, key: str, default: Any = REQUIRED, *, minimum: int = 0,
                maximum: int = 2**31) -> int:
        return read_integer(self.raw(key, default), self.at(key), minimum, maximum)

    def optional_integer(self, key: str, *, minimum: int = 0, maximum: int = 2**31) -> int | None:
        value = self.raw(key, None)
        return None if value is None else read_integer(value, self.at(key), minimum, maximum)

    def boolean(self, key: str, default: Any = REQUIRED) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise ExperimentError(self.at(key), f"must be true or false, got {describe(value)}")
        return value

    def choice(self, key: str, choices: Iterable[str], default: Any = REQUIRED) -> str:
        return read_choice(self.raw(key, default), self.at(key), tuple(choices))

    def text(self, key: str, default: Any = REQUIRED, *, max_length: int = 200) -> str:
        return read_text(self.raw(key, default), self.at(key), max_length)

    def section(self, key: str, allowed: Iterable[str], default: Any = REQUIRED) -> Section:
        return Section(self.raw(key, default), self.at(key), allowed)

    def list(self, key: str, default: Any = REQUIRED, *, max_length: int) -> list:
        return read_list(self.raw(key, default), self.at(key), max_length)


def finite_or_none(value: float | None) -> float | None:
    """A number as a JSON record writes it: None (null) where it is not finite, as JSON has no
    NaN or infinity."""
    return value if value is not None and math.isfinite(value) else None


def join_path(path: str, key: Any) -> str:
    """The path of ``key`` inside the object at ``path``, an overlong key cut short."""
    name = str(key)
    if len(name) > 40:
        name = name[:40] + "..."
    elif not name:
        name = '""'  # an empty key, shown so that the path is never blank
    return f"{path}.{name}" if path else name


def unknown_key_problem(key: str, allowed: tuple[str, ...]) -> str:
    nearest = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.5)
    if nearest:
        return f'unknown key; did you mean "{nearest[0]}"?'
    return "unknown key; known keys are " + ", ".join(f'"{k}"' for k in allowed)


def read_number(value: Any, path: str, *, minimum: float | None = None,
                maximum: float | None = None, positive: bool = False) -> float:
    """A finite float within bounds (ints are accepted, booleans are not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExperimentError(path, f"must be a number, got {describe(value)}")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond the largest float
        number = math.inf
    if not math.isfinite(number):
        raise ExperimentError(path, f"must be a finite number, got {describe(value)}")
    if positive and number <= 0.0:
        raise ExperimentError(path, f"must be a positive finite number, got {describe(value)}")
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        low = "" if minimum is None else f"{minimum:g}"
        high = "" if maximum is None else f"{maximum:g}"
        if minimum is not None and maximum is not None:
            bound = f"between {low} and {high}"
        elif minimum is not None:
            bound = f"at least {low}"
        else:
            bound = f"at most {high}"
        raise ExperimentError(path, f"must be {bound}, got {describe(value)}")
    return number


def read_integer(value: Any, path: str, minimum: int, maximum: int) -> int:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ExperimentError(path, f"must be a whole number, got {describe(value)}")
    if not minimum <= value <= maximum:
        raise ExperimentError(path, f"must be a whole number from {minimum} to {maximum}, "
                                    f"got {describe(value)}")
    return value


def read_choice(value: Any, path: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(f'"{c}"' for c in choices)
        hint = ""
        if isinstance(value, str):
            nearest = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
            hint = f' (did you mean "{nearest[0]}"?)' if nearest else ""
        raise ExperimentError(path, f"must be one of {options}, got {describe(value)}{hint}")
    return value


def read_text(value: Any, path: str, max_length: int) -> str:
    if not isinstance(value, str):
        raise ExperimentError(path, f"must be text, got {describe(value)}")
    if len(value) > max_length:
        raise ExperimentError(path, f"must be at most {max_length} characters, "
                                    f"got {len(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        # A JSON escape such as \ud800 decodes to half a character: no file name, terminal or
        # window can show it, and printing it would crash.
        raise ExperimentError(path, f"holds a lone surrogate (character {error.start + 1}), "
                                    "half of a character that cannot be shown") from None
    return value


def read_list(value: Any, path: str, max_length: int) -> list:
    if not isinstance(value, list):
        raise ExperimentError(path, f"must be a list, got {describe(value)}")
    if len(value) > max_length:
        raise ExperimentError(path, f"must hold at most {max_length} items, got {len(value)}")
    return value


def read_matrix(value: Any, path: str, rows: int | None, columns: int | None,
                max_rows: int, max_columns: int) -> list[list[float]]:
    """A rectangular list of lists of finite numbers, checked before any array is made."""
    outer = read_list(value, path, max_rows)
    if rows is not None and len(outer) != rows:
        raise ExperimentError(path, f"must have {rows} rows, got {len(outer)}")
    result: list[list[float]] = []
    for r, row in enumerate(outer):
        row_path = f"{path}[{r}]"
        inner = read_list(row, row_path, max_columns)
        expected = columns if columns is not None else (len(result[0]) if result else None)
        if expected is not None and len(inner) != expected:
            raise ExperimentError(row_path, f"must have {expected} numbers, got {len(inner)}")
        result.append([read_number(x, f"{row_path}[{c}]") for c, x in enumerate(inner)])
    return result


def read_vector(value: Any, path: str, length: int | None, max_length: int) -> list[float]:
    items = read_list(value, path, max_length)
    if length is not None and len(items) != length:
        raise ExperimentError(path, f"must have {length} numbers, got {len(items)}")
    return [read_number(x, f"{path}[{i}]") for i, x in enumerate(items)]
