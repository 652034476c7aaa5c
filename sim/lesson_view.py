"""What a lesson opens on, so that Play shows its story without a click: the speed at which
the story unfolds, what the edges' colours show and over which range, the side picture (the
decision boundary, or the loss landscape of one or two weights), the panels in front and the
sample the numbers follow.

A lesson about one weight (gradient descent on z = 2x) is best watched on the loss landscape:
the curve E(w), with the path the weight takes step by step. When the course text prints a
path that the arithmetic contradicts, the lesson can give it as ``printed_path``; the
landscape then draws it beside the path the run really takes, so the two can be compared.
A lesson about a ravine names two weights: the landscape is then the loss over both. A lesson
whose story lies in one part of a weight's loss curve (two valleys side by side) can fix the
curve's window with ``landscape_window``; otherwise it follows the weight.

    "view": {"landscape": [L, J, I],
             "printed_path": {"label": "seed 004's path", "values": [0, 0.8, 1.4, 2],
                              "steps": [0, 1, 2, 4]},
             "landscape_window": [-1, 3],
             "speed": 5, "colour": "gradient", "colour_ranges": {"gradient": 1},
             "side_view": "landscape", "panels": ["plots"], "sample": 2}

L is the layer, J the unit in it, I the unit feeding it, all counted from 1; I = 0 is the bias
(as ``python -m sim paths --weight L,J,I`` counts them). docs/experiment-format.md has every key.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from . import palette
from .address import LayerShape, ParameterAddress
from .schema import (
    ExperimentError,
    Section,
    read_choice,
    read_integer,
    read_list,
    read_number,
    read_vector,
)

VIEW_KEYS = ("landscape", "printed_path", "landscape_window", "speed", "colour",
             "colour_ranges", "side_view", "panels", "sample", "many_seeds")
MANY_SEEDS_KEYS = ("seeds", "steps", "target_loss")
MAX_VIEW_SEEDS = 200  # runs the Many seeds view trains (in a few seconds on a small network)
MAX_VIEW_STEPS = 20_000
PRINTED_PATH_KEYS = ("label", "values", "steps")
COLOUR_RANGE_KEYS = palette.MODES
SIDE_VIEWS = ("boundary", "landscape")
# The panels a lesson may bring to the front (the side picture is `side_view`'s).
PANELS = ("controls", "plots", "inspector", "lesson", "step_by_step")
MAX_SPEED = 10000.0  # steps per second a lesson may ask for; "max" is as fast as possible
FASTEST = "max"
MAX_SAMPLE = 10**7
MAX_RANGE = 1e300
# The speed slider's notches below a lesson's speed (steps per second).
NICE_SPEEDS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0)
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
class ManySeedsSpec:
    """The Many seeds view: how many seeds it trains (the experiment's seed and the next
    ones), for how many steps at most, and the loss a run must get below to count as having
    learnt (its histogram counts the steps each run takes to get there)."""

    seeds: int = 20
    steps: int = 1000
    target_loss: float = 0.05

    @classmethod
    def from_json(cls, value: Any, path: str) -> ManySeedsSpec:
        s = Section(value, path, MANY_SEEDS_KEYS)
        default = cls()
        return cls(seeds=s.integer("seeds", default.seeds, minimum=2, maximum=MAX_VIEW_SEEDS),
                   steps=s.integer("steps", default.steps, minimum=1, maximum=MAX_VIEW_STEPS),
                   target_loss=s.number("target_loss", default.target_loss, positive=True,
                                        maximum=MAX_RANGE))

    def to_json(self) -> dict[str, Any]:
        return {"seeds": self.seeds, "steps": self.steps, "target_loss": self.target_loss}


@dataclass(frozen=True)
class LessonView:
    """What a lesson opens on; the default opens the usual way (see docs/experiment-format.md).

    ``speed`` is steps per second while playing; None (the file gives none) and ``math.inf``
    ("max") both play as fast as possible (see `play_speed`)."""

    landscape: ParameterAddress | None = None  # the weight whose loss curve is shown
    printed_path: PrintedPath | None = None  # drawn on that curve beside the run's own path
    second_weight: ParameterAddress | None = None  # with it, the loss over both weights
    speed: float | None = None
    colour: str = "weight"  # what the edges' colours show (sim.palette.MODES)
    colour_ranges: tuple[tuple[str, float], ...] = ()  # (mode, the top of its range)
    side_view: str | None = None  # "boundary" or "landscape"; None: chosen as usual
    panels: tuple[str, ...] = ()  # brought to the front, in this order
    sample: int | None = None  # the training sample followed, from 0; None: sim's choice
    # The values the one landscape weight's curve spans (lowest, highest); None: it follows
    # the weight (sim.landscape.default_half_width).
    landscape_window: tuple[float, float] | None = None
    many_seeds: ManySeedsSpec | None = None  # None: the lesson does not open the Many seeds view

    def colour_range(self, mode: str) -> float | None:
        """The fixed top of a colour mode's range (None: the lesson fixes none)."""
        return dict(self.colour_ranges).get(mode)

    @property
    def weights(self) -> tuple[ParameterAddress, ...]:
        """The one or two weights the landscape shows (none: no landscape)."""
        return tuple(w for w in (self.landscape, self.second_weight) if w is not None)

    @classmethod
    def from_json(cls, value: Any, path: str) -> LessonView:
        s = Section(value, path, VIEW_KEYS)
        landscape = second = None
        if s.raw("landscape", None) is not None:
            landscape, second = _read_weights(s.raw("landscape"), s.at("landscape"))
        printed = None
        if s.raw("printed_path", None) is not None:
            if landscape is None:
                raise ExperimentError(s.at("printed_path"), "needs a landscape weight to be "
                                                            "drawn on")
            if second is not None:
                raise ExperimentError(s.at("printed_path"), "is drawn on the loss curve of "
                                                            "one weight; the landscape names two")
            printed = PrintedPath.from_json(s.raw("printed_path"), s.at("printed_path"))
        side_view = None
        if s.raw("side_view", None) is not None:
            side_view = read_choice(s.raw("side_view"), s.at("side_view"), SIDE_VIEWS)
            if side_view == "landscape" and landscape is None:
                raise ExperimentError(s.at("side_view"), '"landscape" needs the landscape\'s '
                                                         'weights (view.landscape)')
        panels = _read_panels(s.raw("panels", None), s.at("panels"), side_view)
        sample = s.raw("sample", None)
        many_seeds = s.raw("many_seeds", None)
        window = None
        if s.raw("landscape_window", None) is not None:
            if landscape is None or second is not None:
                raise ExperimentError(s.at("landscape_window"), "is the window of one weight's "
                                                                "loss curve: view.landscape must "
                                                                "name one weight")
            window = _read_window(s.raw("landscape_window"), s.at("landscape_window"))
        return cls(landscape, printed, second, _read_speed(s.raw("speed", None), s.at("speed")),
                   s.choice("colour", palette.MODES, "weight"),
                   _read_colour_ranges(s.raw("colour_ranges", None), s.at("colour_ranges")),
                   side_view, panels,
                   None if sample is None else read_integer(sample, s.at("sample"), 1,
                                                            MAX_SAMPLE) - 1, window,
                   None if many_seeds is None else ManySeedsSpec.from_json(
                       many_seeds, s.at("many_seeds")))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.landscape is not None:
            out["landscape"] = counted_from_one(self.landscape) if self.second_weight is None \
                else [counted_from_one(weight) for weight in self.weights]
        if self.printed_path is not None:
            out["printed_path"] = self.printed_path.to_json()
        if self.landscape_window is not None:
            out["landscape_window"] = list(self.landscape_window)
        if self.speed is not None:
            out["speed"] = FASTEST if math.isinf(self.speed) else self.speed
        if self.colour != "weight":
            out["colour"] = self.colour
        if self.colour_ranges:
            out["colour_ranges"] = dict(self.colour_ranges)
        if self.side_view is not None:
            out["side_view"] = self.side_view
        if self.panels:
            out["panels"] = list(self.panels)
        if self.sample is not None:
            out["sample"] = self.sample + 1
        if self.many_seeds is not None:
            out["many_seeds"] = self.many_seeds.to_json()
        return out

    def problem(self, layers: Sequence[LayerShape]) -> str | None:
        """Why a network of these layers has no weight to show (None: it has, or none is
        asked for)."""
        for weight in self.weights:
            problem = _weight_problem(weight, layers)
            if problem is not None:
                return problem
        return None

    def sample_problem(self, training_samples: int) -> str | None:
        """Why the followed sample is not among the training samples (None: it is)."""
        if self.sample is None or self.sample < training_samples:
            return None
        return f"the training set has samples 1 to {training_samples}, not {self.sample + 1}"

    def boundary_problem(self, inputs: int) -> str | None:
        """Why the decision boundary cannot be the side view of a network with ``inputs``."""
        if self.side_view != "boundary" or inputs == 2:
            return None
        return f'"boundary" needs a network with exactly two inputs; this one has {inputs}'


def play_speed(view: LessonView) -> float | None:
    """Steps per second while playing; None: as fast as possible."""
    return None if view.speed is None or math.isinf(view.speed) else view.speed


def speed_notches(speed: float | None) -> list[float | None]:
    """The speed slider's notches: the NICE_SPEEDS below ``speed``, then ``speed``, then
    None (as fast as possible), so that "max" is one notch above the lesson's speed."""
    if speed is None:
        return [*NICE_SPEEDS, None]
    return [*(nice for nice in NICE_SPEEDS if nice < speed), speed, None]


def _weight_problem(weight: ParameterAddress, layers: Sequence[LayerShape]) -> str | None:
    if weight.exists_in(layers):
        return None
    layer, unit, source = counted_from_one(weight)  # as the file counts them
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


def _read_weights(value: Any, path: str) -> tuple[ParameterAddress, ParameterAddress | None]:
    """[L, J, I] (one weight) or [[L, J, I], [L, J, I]] (two different ones)."""
    items = read_list(value, path, 3)
    if not items or not isinstance(items[0], list):
        return _read_address(value, path), None
    if len(items) != 2:
        raise ExperimentError(path, f"must be one weight [L, J, I] or two [[L, J, I], "
                                    f"[L, J, I]], got {len(items)} weights")
    first, second = (_read_address(item, f"{path}[{k}]") for k, item in enumerate(items))
    if first == second:
        raise ExperimentError(path, "names the same weight twice; a landscape over two weights "
                                    "needs two different ones")
    return first, second


def _read_window(value: Any, path: str) -> tuple[float, float]:
    """[lowest, highest]: two numbers, the first below the second."""
    low, high = read_vector(value, path, 2, 2)
    if not low < high:
        raise ExperimentError(path, f"must rise from lowest to highest, got [{low:g}, {high:g}]")
    return low, high


def _read_speed(value: Any, path: str) -> float | None:
    if value is None:
        return None
    if value == FASTEST:
        return math.inf
    if isinstance(value, str):
        raise ExperimentError(path, f'must be a number of steps per second or "{FASTEST}", '
                                    f"got {value!r:.40}")
    return read_number(value, path, minimum=0.1, maximum=MAX_SPEED)


def _read_colour_ranges(value: Any, path: str) -> tuple[tuple[str, float], ...]:
    if value is None:
        return ()
    s = Section(value, path, COLOUR_RANGE_KEYS)
    return tuple((mode, s.number(mode, minimum=palette.TINY, maximum=MAX_RANGE))
                 for mode in COLOUR_RANGE_KEYS if s.raw(mode, None) is not None)


def _read_panels(value: Any, path: str, side_view: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    items = read_list(value, path, len(PANELS))
    panels = tuple(read_choice(item, f"{path}[{k}]", PANELS) for k, item in enumerate(items))
    if len(set(panels)) != len(panels):
        raise ExperimentError(path, "names a panel twice")
    if side_view is not None and "controls" in panels:
        raise ExperimentError(path, '"controls" shares its place with the side view; give '
                                    "either it or view.side_view")
    return panels
