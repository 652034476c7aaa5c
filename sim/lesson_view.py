"""What a lesson opens on: the loss along one weight, and a path that a course text prints.

A lesson about one weight (gradient descent on z = 2x) is best watched on the loss landscape:
the curve E(w), with the path the weight takes step by step. When the course text prints a
path that the arithmetic contradicts, the lesson can give it as ``printed_path``; the
landscape then draws it beside the path the run really takes, so the two can be compared.

    "view": {"landscape": [L, J, I],
             "printed_path": {"label": "seed 004's path", "values": [0, 0.8, 1.4, 2],
                              "steps": [0, 1, 2, 4]}}

L is the layer, J the unit in it, I the unit feeding it, all counted from 1; I = 0 is the bias
(as ``python -m sim paths --weight L,J,I`` counts them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from .address import LayerShape, ParameterAddress
from .schema import ExperimentError, Section, read_integer, read_list, read_vector

VIEW_KEYS = ("landscape", "printed_path")
PRINTED_PATH_KEYS = ("label", "values", "steps")
MAX_PRINTED_VALUES = 50
MAX_LABEL = 200
MAX_COUNT = 1024  # larger than any layer's units or inputs
MAX_STEP = 10**6


@dataclass(frozen=True)
class PrintedPath:
    """A weight's values as a course text prints them, after the steps it gives them for (a
    text may skip a step), with where they come from."""

    label: str
    values: tuple[float, ...]
    steps: tuple[int, ...]  # the step after which each value holds, rising; 0 the start

    @classmethod
    def from_json(cls, value: Any, path: str) -> PrintedPath:
        s = Section(value, path, PRINTED_PATH_KEYS)
        values = read_vector(s.raw("values"), s.at("values"), None, MAX_PRINTED_VALUES)
        if not values:
            raise ExperimentError(s.at("values"), "must hold at least one number")
        steps = list(range(len(values)))
        if s.raw("steps", None) is not None:
            raw = read_list(s.raw("steps"), s.at("steps"), MAX_PRINTED_VALUES)
            if len(raw) != len(values):
                raise ExperimentError(s.at("steps"), f"must give one step per value "
                                                     f"({len(values)}), got {len(raw)}")
            steps = [read_integer(step, f"{s.at('steps')}[{k}]", 0, MAX_STEP)
                     for k, step in enumerate(raw)]
            if any(later <= earlier for earlier, later in pairwise(steps)):
                raise ExperimentError(s.at("steps"), "must rise from one value to the next")
        return cls(label=s.text("label", max_length=MAX_LABEL), values=tuple(values),
                   steps=tuple(steps))

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "values": list(self.values), "steps": list(self.steps)}


@dataclass(frozen=True)
class LessonView:
    """The side picture a lesson opens on; the default opens on none."""

    landscape: ParameterAddress | None = None  # the weight whose loss curve is shown
    printed_path: PrintedPath | None = None  # drawn on that curve beside the run's own path

    @classmethod
    def from_json(cls, value: Any, path: str) -> LessonView:
        s = Section(value, path, VIEW_KEYS)
        landscape = None
        if s.raw("landscape", None) is not None:
            landscape = _read_address(s.raw("landscape"), s.at("landscape"))
        printed = None
        if s.raw("printed_path", None) is not None:
            if landscape is None:
                raise ExperimentError(s.at("printed_path"), "needs a landscape weight to be "
                                                            "drawn on")
            printed = PrintedPath.from_json(s.raw("printed_path"), s.at("printed_path"))
        return cls(landscape, printed)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.landscape is not None:
            out["landscape"] = counted_from_one(self.landscape)
        if self.printed_path is not None:
            out["printed_path"] = self.printed_path.to_json()
        return out

    def problem(self, layers: Sequence[LayerShape]) -> str | None:
        """Why a network of these layers has no weight to show (None: it has, or none is
        asked for)."""
        if self.landscape is None or self.landscape.exists_in(layers):
            return None
        layer, unit, source = counted_from_one(self.landscape)  # as the file counts them
        if layer > len(layers):
            return f"layer {layer} does not exist; the network has layers 1 to {len(layers)}"
        shape = layers[layer - 1]
        if unit > shape.units:
            return f"layer {layer} has units 1 to {shape.units}, not {unit}"
        if source == 0:
            return f"layer {layer} has no bias"
        return f"the units of layer {layer} have inputs 1 to {shape.fan_in} (0: the bias), " \
               f"not {source}"


def counted_from_one(address: ParameterAddress) -> list[int]:
    """[L, J, I] with units counted from 1 and I = 0 for the bias."""
    layer, unit, source = address
    return [layer, unit + 1, 0 if source is None else source + 1]


def _read_address(value: Any, path: str) -> ParameterAddress:
    items = read_list(value, path, 3)
    if len(items) != 3:
        raise ExperimentError(path, f"must be [layer, unit, unit below] (3 whole numbers), "
                                    f"got {len(items)} items")
    layer = read_integer(items[0], f"{path}[0]", 1, MAX_COUNT)
    unit = read_integer(items[1], f"{path}[1]", 1, MAX_COUNT)
    source = read_integer(items[2], f"{path}[2]", 0, MAX_COUNT)
    return ParameterAddress(layer, unit - 1, None if source == 0 else source - 1)
