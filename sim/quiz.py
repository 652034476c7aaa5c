"""Predict, then reveal: which number of a phase to ask, and whether a typed answer is right.

In quiz mode the app asks, before it shows a phase's result, for one number that the phase
computes and its caption works out (sim.explain): a unit's net input z or output a in a
forward phase, the loss E, a unit's error δ or a weight's gradient ∂E/∂w in a backward phase,
a weight's new value in the update. The caption's line that computes it is the explanation
shown with the answer (`worked_line`).

A lesson turns quiz mode on, and may list what to ask, in its ``quiz`` section::

    "quiz": {"on": true, "ask": ["z[1]_1", "E", "delta[1]_2", "dE/dw[2]_11", "w[1]_12"]}

An entry names one quantity in the plain form of sim.notation (``delta[1]_2`` is δ⁽¹⁾₂, the
Unicode name is read too), or only its kind (``"delta"``: some unit's δ in every backward
phase, the app's choice). A phase is asked about when an entry belongs to it (the first one);
without ``ask`` every phase whose caption works a number out is.

An answer is right when it matches the number to the digits the caption prints, or lies
within 1% of the exact value; for a parameter's new value, within 1% of its change in the
update, since the old value, unchanged, lies within 1% of the new one. Answers may use "−" or
"-", a decimal comma, spaces, or begin with the name and "="; anything else that is not a
number gets a hint, not a wrong mark.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, NamedTuple

from . import explain
from . import notation as name
from .schema import ExperimentError, Section, describe, one_line, read_list

if TYPE_CHECKING:
    from .events import Phase
    from .experiment import NetworkSpec
    from .network import PassValue
    from .snapshot import LayerSnapshot, Snapshot

QUIZ_KEYS = ("on", "ask")
MAX_ASKED = 64
TOLERANCE = 0.01  # a right answer lies within 1% of the exact value ...
# ... or reads as the printed number (notation.number's digits)

# The kinds of number asked, in the plain form a file writes them, and the phase of each.
PHASE_KINDS: dict[str, tuple[str, ...]] = {
    "forward": ("z", "a"), "loss": ("E",), "backward": ("delta", "dE/dw", "dE/db"),
    "update": ("w", "b")}
KINDS = tuple(kind for kinds in PHASE_KINDS.values() for kind in kinds)
TWO_UNITS = ("dE/dw", "w")  # named by a unit and the unit feeding it
BIAS_KINDS = ("dE/db", "b")
UNIT_KINDS = ("z", "a", "delta")  # a value of the followed sample (the rest: the batch's)
_PASS_VALUES: dict[str, PassValue] = {"z": "z", "a": "a", "delta": "delta"}
# Unicode spellings read as the plain ones.
_SYMBOLS = {"δ": "delta", "∂E/∂w": "dE/dw", "∂E/∂b": "dE/db"}
_NAMED = re.compile(r"(?P<kind>dE/dw|dE/db|delta|[zaEwb])"
                    r"(?:\[(?P<layer>\d+)\]_(?P<units>\d+(?:,\d+)?))?")


# ---------------------------------------------------------------------------- what to ask

@dataclass(frozen=True)
class Quantity:
    """A number a phase computes. ``layer`` None (but for E): any of the kind, the app's
    choice. Units count from 0 (printed from 1); ``source`` is the unit feeding a weight."""

    kind: str
    layer: int | None = None
    unit: int = 0
    source: int = 0

    @property
    def chosen_by_app(self) -> bool:
        return self.layer is None and self.kind != "E"

    def name(self) -> str:
        """The name as sim.notation writes it: δ⁽¹⁾₂, ∂E/∂w⁽²⁾₁₁, E."""
        layer = "l" if self.layer is None else self.layer
        unit: name.Index = "j" if self.layer is None else self.unit
        source: name.Index = "i" if self.layer is None else self.source
        return {"z": lambda: name.net_input(layer, unit),
                "a": lambda: name.activation(layer, unit),
                "E": lambda: name.LOSS,
                "delta": lambda: name.delta(layer, unit),
                "dE/dw": lambda: name.gradient(name.weight(layer, unit, source)),
                "dE/db": lambda: name.gradient(name.bias(layer, unit)),
                "w": lambda: name.weight(layer, unit, source),
                "b": lambda: name.bias(layer, unit)}[self.kind]()

    def to_json(self) -> str:
        """The plain form a file holds: delta[1]_2, dE/dw[2]_11, or the kind alone."""
        if self.layer is None:
            return self.kind
        units = self.unit + 1, self.source + 1
        written = [str(u) for u in (units if self.kind in TWO_UNITS else units[:1])]
        comma = "," if any(len(text) > 1 for text in written) else ""
        return f"{self.kind}[{self.layer}]_{comma.join(written)}"

    def belongs_to(self, phase: Phase) -> bool:
        """Whether the phase computes this quantity (any of its kind, if the app chooses)."""
        if self.kind not in PHASE_KINDS.get(phase.kind, ()):
            return False
        return phase.kind == "update" or self.layer is None or self.layer == phase.layer

    @classmethod
    def from_json(cls, value: Any, path: str) -> Quantity:
        if not isinstance(value, str):
            raise ExperimentError(path, f"must be a quantity's name such as \"delta[1]_2\" "
                                        f"or a kind ({', '.join(KINDS)}), got {describe(value)}")
        text = name.plain(value.replace(" ", ""))
        for symbol, plain in _SYMBOLS.items():
            text = text.replace(symbol, plain)
        match = _NAMED.fullmatch(text)
        if match is None:
            raise ExperimentError(path, f"not a quantity: {describe(value)}; write a name such "
                                        f"as \"z[1]_2\", \"delta[1]_2\", \"dE/dw[2]_11\", "
                                        f"\"E\", or a kind ({', '.join(KINDS)})")
        kind, layer, units = match["kind"], match["layer"], match["units"]
        if layer is None:
            return cls(kind)
        if kind == "E":
            raise ExperimentError(path, "E, the loss, has no layer or unit: write \"E\"")
        numbers = _unit_numbers(units, kind in TWO_UNITS, path)
        if int(layer) < 1 or min(numbers) < 1:
            raise ExperimentError(path, "layers and units count from 1")
        return cls(kind, int(layer), numbers[0] - 1, numbers[1] - 1 if len(numbers) > 1 else 0)


def _unit_numbers(units: str, two: bool, path: str) -> list[int]:
    """"12" or "10,2" as [1, 2] or [10, 2] for a weight; "2" as [2] for a unit."""
    if "," in units:
        numbers = [int(part) for part in units.split(",")]
    elif two and len(units) == 2:
        numbers = [int(units[0]), int(units[1])]
    elif two:
        raise ExperimentError(path, f"write the unit and the unit feeding it with a comma "
                                    f"between them when one has two digits (10,2), got "
                                    f"\"{units}\"")
    else:
        numbers = [int(units)]
    if len(numbers) != (2 if two else 1):
        raise ExperimentError(path, f"needs {'two units' if two else 'one unit'} after \"_\", "
                                    f"got \"{units}\"")
    return numbers


class LayerPlan(NamedTuple):
    """What a quantity is checked against, known from the network's spec."""

    units: int
    fan_in: int
    bias: bool
    bias_trained: bool
    normalised: bool = False  # batch normalisation: γ and β follow the biases in the update


@dataclass(frozen=True)
class QuizSpec:
    """A lesson's quiz: on when it opens, and what to ask (None: the app chooses)."""

    on: bool = False
    ask: tuple[Quantity, ...] | None = None

    @classmethod
    def from_json(cls, value: Any, path: str) -> QuizSpec:
        s = Section(value, path, QUIZ_KEYS)
        ask = None
        if s.raw("ask", None) is not None:
            items = read_list(s.raw("ask"), s.at("ask"), MAX_ASKED)
            if not items:
                raise ExperimentError(s.at("ask"), "must name at least one quantity (leave it "
                                                   "out to let the app choose)")
            ask = tuple(Quantity.from_json(item, f"{s.at('ask')}[{k}]")
                        for k, item in enumerate(items))
        return cls(on=s.boolean("on", False), ask=ask)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"on": self.on}
        if self.ask is not None:
            out["ask"] = [quantity.to_json() for quantity in self.ask]
        return out

    def problem(self, layers: Sequence[LayerPlan]) -> tuple[int, str] | None:
        """The first listed quantity a network of these layers has not, or whose value its
        caption does not write out: (its position in ``ask``, why); None if all are fine."""
        for position, quantity in enumerate(self.ask or ()):
            why = _missing(quantity, layers)
            if why is not None:
                return position, why
        return None

    def fitting(self, layers: Sequence[LayerPlan]) -> QuizSpec:
        """The spec without the listed quantities that no longer fit (after an edit of the
        network); None of ``ask`` left means the app chooses."""
        if self.ask is None:
            return self
        kept = tuple(q for q in self.ask if _missing(q, layers) is None)
        return replace(self, ask=kept or None)


def _missing(q: Quantity, layers: Sequence[LayerPlan]) -> str | None:
    """Why the network lacks ``q`` or its caption does not write it out; None if neither."""
    if q.layer is None:
        return None
    if q.layer > len(layers):
        return f"layer {q.layer} does not exist; the network has layers 1 to {len(layers)}"
    shape = layers[q.layer - 1]
    if q.unit >= shape.units:
        return f"layer {q.layer} has units 1 to {shape.units}, not {q.unit + 1}"
    if q.kind in TWO_UNITS and q.source >= shape.fan_in:
        return f"the units of layer {q.layer} have inputs 1 to {shape.fan_in}, not " \
               f"{q.source + 1}"
    if q.kind in BIAS_KINDS and not shape.bias:
        return f"layer {q.layer} has no bias"
    if q.kind == "b" and not shape.bias_trained:
        return f"the biases of layer {q.layer} are frozen: the update does not change them"
    through_batch = _through_the_batch(q, shape.normalised)
    if through_batch is not None:
        return through_batch
    listed = f"the captions write out the first {explain.MAX_UNITS} units of a layer"
    if q.kind in (*UNIT_KINDS, "dE/db") and q.unit >= explain.MAX_UNITS:
        return f"{listed}, not unit {q.unit + 1}"
    if q.kind == "dE/dw" and q.unit * shape.fan_in + q.source >= explain.MAX_WEIGHTS:
        return f"the captions write out the first {explain.MAX_WEIGHTS} weights of a layer"
    if q.kind in ("w", "b") and _update_position(q, layers) >= explain.MAX_WEIGHTS:
        return f"the update's caption writes out the first {explain.MAX_WEIGHTS} parameters"
    return None


def _through_the_batch(q: Quantity, normalised: bool) -> str | None:
    """Why ``q`` of a layer with batch normalisation is not asked (None: it may be): its a and
    δ come through the whole batch's mean and variance."""
    if normalised and q.kind in ("a", "delta"):
        return f"layer {q.layer} has batch normalisation: its {q.kind} depends on the whole " \
               f"batch's mean and variance, not a sum to work by hand"
    return None


def _update_position(q: Quantity, layers: Sequence[LayerPlan]) -> int:
    """Where the update's caption lists a parameter: layer by layer, weights, biases, then
    batch normalisation's γ and β."""
    assert q.layer is not None  # a named parameter
    before = sum(s.units * s.fan_in + (s.units if s.bias_trained else 0) +
                 (2 * s.units if s.normalised else 0) for s in layers[:q.layer - 1])
    shape = layers[q.layer - 1]
    within = q.unit * shape.fan_in + q.source if q.kind == "w" else \
        shape.units * shape.fan_in + q.unit
    return before + within


# ---------------------------------------------------------------------------- the question

@dataclass(frozen=True)
class Question:
    """One number to predict: what it is, how to ask for it, and its value."""

    quantity: Quantity
    prompt: str  # plain Unicode text (notation.rich makes it rich text)
    value: float  # the engine's, exact
    printed: str  # as the caption prints it
    scale: float  # what the 1% is of: the value, or for a new weight its change

    def is_right(self, answer: float) -> bool:
        return is_right(answer, self.value, self.scale)

    @property
    def name(self) -> str:
        return self.quantity.name()


def iteration(s: Snapshot) -> int:
    """The number of the step whose pass the snapshot shows (its update may be done)."""
    return s.step if s.at_boundary else s.step + 1


def question(s: Snapshot, ask: tuple[Quantity, ...] | None,
             sample: int | None = None) -> Question | None:
    """The question about the phase the snapshot ran last, for the followed ``sample``
    (see explain.caption): the first quantity of ``ask`` that belongs to the phase, or, with
    ``ask`` None, one the app chooses. None when nothing is to be asked: no phase of this
    kind is listed, the phase works no number out (clip), or training diverged."""
    phase = s.last_phase
    if phase is None or s.x is None or s.diverged:
        return None
    wanted = [q for q in (ask if ask is not None else _default_ask(s, phase))
              if q.belongs_to(phase)]
    row, _ = explain.followed_row(s, sample)
    lines = explain.caption(s, sample).lines if wanted else ()
    for listed in wanted:  # the first that can be asked
        # the app's own choice is always worked out; a lesson's is asked as it is listed
        quantity = _choose(s, phase, listed.kind) if listed.chosen_by_app or ask is None \
            else listed
        if quantity is None:
            continue
        value = _value(s, quantity, row)
        # not written out, the reveal would explain nothing
        if value is not None and math.isfinite(value) and \
                worked_line(lines, quantity) is not None:
            return Question(quantity, _prompt(s, quantity, row), value, name.number(value),
                            _scale(s, quantity, value))
    return None


def worked_line(lines: Sequence[str], quantity: Quantity) -> int | None:
    """The caption line that works the quantity out: one of its statements begins with the
    name and "=" ("←" for a parameter's new value)."""
    sign = "←" if quantity.kind in ("w", "b") else "="
    head = f"{quantity.name()} {sign} "
    for index, line in enumerate(lines):
        if any(statement.startswith(head) for statement in line.split(explain.SEPARATOR)):
            return index
    return None


def _prompt(s: Snapshot, q: Quantity, row: int) -> str:
    samples = s.batch()[0].shape[0]
    whose = ""
    if q.kind in UNIT_KINDS and samples > 1:
        whose = f" for sample {explain.sample_number(s, row) + 1}"
    elif q.kind in ("dE/dw", "dE/db") and samples > 1:
        whose = f", summed over the batch of {samples}"
    elif q.kind == "E" and samples > 1:
        whose = f" of the batch of {samples}"
    after = " after this update" if q.kind in ("w", "b") else ""
    return f"What is {q.name()}{whose}{after}?"


def _default_ask(s: Snapshot, phase: Phase) -> tuple[Quantity, ...]:
    """Without a lesson's list: one kind per phase, forward and backward alternating between
    their two kinds with the layer and the iteration (z or a; δ or ∂E/∂w)."""
    turn = (iteration(s) + (phase.layer or 0)) % 2
    if phase.kind == "forward":
        return (Quantity(("z", "a")[turn]), Quantity(("a", "z")[turn]))
    if phase.kind == "backward":
        return (Quantity(("delta", "dE/dw")[turn]), Quantity(("dE/dw", "delta")[turn]))
    return tuple(Quantity(kind) for kind in PHASE_KINDS.get(phase.kind, ()))


def _choose(s: Snapshot, phase: Phase, kind: str) -> Quantity | None:
    """A quantity of ``kind`` in the phase whose caption line shows every number it is
    computed from (none if no such line: a sum of 57 terms is stated, not worked), turning
    with the iteration so that the same one is not asked every time."""
    candidates = [q for q in _candidates(s, phase, kind) if _worked(s, q)]
    if not candidates:
        return None
    return candidates[(iteration(s) - 1 + (phase.layer or 0)) % len(candidates)]


def _candidates(s: Snapshot, phase: Phase, kind: str) -> list[Quantity]:
    """The quantities of ``kind`` the phase's caption writes out, in its order."""
    if kind == "E":
        return [Quantity("E")]
    if phase.kind == "update":
        return [q for q in _parameters(s) if q.kind == kind][:explain.MAX_WEIGHTS]
    assert phase.layer is not None  # forward and backward run through one layer
    layer = s.layers[phase.layer - 1]
    units = range(min(layer.units, explain.MAX_UNITS))
    if kind == "dE/dw":
        weights = [Quantity(kind, phase.layer, j, i) for j in range(layer.units)
                   for i in range(layer.fan_in)]
        return weights[:explain.MAX_WEIGHTS]
    if kind == "dE/db" and layer.db is None:
        return []
    return [Quantity(kind, phase.layer, j) for j in units]


def _parameters(s: Snapshot) -> list[Quantity]:
    """Every parameter the update changes, in the order its caption lists them."""
    found = []
    for layer in s.layers:
        found += [Quantity("w", layer.number, j, i) for j in range(layer.units)
                  for i in range(layer.fan_in)]
        if layer.train_bias:
            found += [Quantity("b", layer.number, j) for j in range(layer.units)]
    return found


def _worked(s: Snapshot, q: Quantity) -> bool:
    """Whether the caption computes ``q`` from numbers it shows (or the canvas shows)."""
    samples, outputs = s.batch()[1].shape
    if q.kind == "E":  # a single squared error is worked; other losses are only stated
        return samples == 1 and outputs == 1 and s.experiment.loss in (
            "sse", "half_sse", "mse", "half_mse")
    if q.kind in ("w", "b"):  # plain SGD writes old − η × g; other optimizers their Δw only
        return s.experiment.optimizer.kind == "sgd" and not s.experiment.optimizer.momentum
    assert q.layer is not None  # chosen from a phase's layer
    layer = s.layers[q.layer - 1]
    if _through_the_batch(q, layer.has_batch_norm) is not None:
        return False
    if q.kind in ("z", "a"):
        return layer.fan_in <= explain.MAX_TERMS and not (
            q.kind == "a" and layer.activation == "softmax")
    if q.kind == "delta":
        return q.layer == s.depth or s.layers[q.layer].units <= explain.MAX_TERMS
    return samples <= name.MAX_LISTED_SAMPLES  # a gradient: every sample's term listed


def _value(s: Snapshot, q: Quantity, row: int) -> float | None:
    """The number the caption's equation for ``q`` ends in, from the snapshot."""
    if q.kind == "E":
        return s.loss
    assert q.layer is not None  # a named quantity
    layer = s.layers[q.layer - 1]
    j, i = q.unit, q.source
    if q.kind in UNIT_KINDS:
        return float(layer.computed(_PASS_VALUES[q.kind])[row, j])
    if q.kind == "dE/dw":
        return _data_gradient(s, layer, j, i)
    if q.kind == "dE/db":
        return None if layer.db is None else float(layer.db[j])
    if q.kind == "w":
        return float(layer.W[j, i])
    return None if layer.b is None else float(layer.b[j])


def _scale(s: Snapshot, q: Quantity, value: float) -> float:
    """What the 1% of a right answer is of: the value itself, but for a parameter's new value
    its change in this update (else the old value, unchanged, would pass as right)."""
    if q.kind not in ("w", "b"):
        return abs(value)
    assert q.layer is not None  # a named parameter
    layer = s.layers[q.layer - 1]
    change = layer.update_W[q.unit, q.source] if q.kind == "w" else \
        (0.0 if layer.update_b is None else layer.update_b[q.unit])
    return abs(float(change))


def _data_gradient(s: Snapshot, layer: LayerSnapshot, j: int, i: int) -> float:
    """∂E/∂w of the data alone, as the caption's ∂E/∂w writes it (the penalty's part comes
    after, in ∂(E+P)/∂w)."""
    regularization = s.experiment.regularization
    if not (regularization.l1 or regularization.l2):
        return float(layer.dW[j, i])
    a_prev = s.computed("a", layer.number - 1)
    return math.fsum((layer.computed("delta")[:, j] * a_prev[:, i]).tolist())


# ---------------------------------------------------------------------------- the answer

# Read as "-": typed, pasted from a caption, or put in by a word processor (the minus sign,
# en dash, figure dash, em dash, small and full-width hyphen-minus).
_MINUSES = "\u2212\u2013\u2012\u2014\ufe63\uff0d"
_SPACES = re.compile(r"[\s\u00a0\u2009\u202f]+")
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")  # 12,345.6
HINT_EXAMPLE = "type a number such as 0.25 or −1.5 (Esc shows the answer)"


class Unreadable(ValueError):
    """An answer that is not a number; its message is a one-line hint."""


def read_answer(text: str) -> float:
    """The number a student typed: "−0.5", "-0.5", "0,5", "1,234.5", "δ = 0.5", " 0.5 ".
    Raises Unreadable with a hint for anything else (and for "1,234", which could be
    either 1.234 or 1234)."""
    typed = _SPACES.sub("", text)
    if "=" in typed:  # "z = 0.38": the name the student wrote first
        typed = typed.rsplit("=", 1)[1]
    for minus in _MINUSES:
        typed = typed.replace(minus, "-")
    if not typed:
        raise Unreadable(f"Nothing typed: {HINT_EXAMPLE}.")
    if "," in typed:
        typed = _without_commas(typed, text)
    if _DECIMAL.fullmatch(typed) is None:
        raise Unreadable(f"“{one_line(text.strip())[:40]}” is not a number: "
                         f"{HINT_EXAMPLE}.")
    value = float(typed)
    if not math.isfinite(value):
        raise Unreadable(f"That number is too large: {HINT_EXAMPLE}.")
    return value


def _without_commas(typed: str, text: str) -> str:
    """A decimal comma as a point, thousands separators dropped; "1,234" is refused."""
    shown = one_line(text.strip())[:40]
    head = typed.lstrip("+-").split(",")[0]
    if _GROUPED.fullmatch(typed) and not head.startswith("0"):  # never 0,234 for 234
        if "." not in typed and typed.count(",") == 1:
            raise Unreadable(f"“{shown}” could be {typed.replace(',', '.')} or "
                             f"{typed.replace(',', '')}: write it with a point, or without "
                             f"the comma.")
        return typed.replace(",", "")
    if typed.count(",") == 1 and "." not in typed:
        return typed.replace(",", ".")  # a decimal comma: 0,25
    raise Unreadable(f"“{shown}” is not a number: {HINT_EXAMPLE}.")


def is_right(answer: float, value: float, scale: float | None = None) -> bool:
    """Right: the answer reads as the printed number, or lies within 1% of ``scale`` (of the
    value, if None) from the value."""
    return name.number(answer) == name.number(value) or \
        abs(answer - value) <= TOLERANCE * (abs(value) if scale is None else scale)


@dataclass(frozen=True)
class Verdict:
    """What became of a question: "right", "wrong" or "skipped", and what to say."""

    outcome: str
    message: str


def check(q: Question, text: str) -> Verdict:
    """The verdict on a typed answer; raises Unreadable (a hint) if it is not a number."""
    answer = read_answer(text)
    if q.is_right(answer):
        return Verdict("right", f"Right: {q.name} = {q.printed} (you typed "
                                f"{name.number(answer, 6)}).")
    return Verdict("wrong", f"Not quite: you typed {name.number(answer, 6)}; {q.name} = "
                            f"{q.printed}, worked out in the marked line (▶).")


def skip(q: Question) -> Verdict:
    return Verdict("skipped", f"Skipped: {q.name} = {q.printed}, worked out in the marked "
                              f"line (▶).")


@dataclass(frozen=True)
class Score:
    """The session's running score."""

    asked: int = 0
    right: int = 0
    skipped: int = 0

    def after(self, verdict: Verdict) -> Score:
        return Score(self.asked + 1, self.right + (verdict.outcome == "right"),
                     self.skipped + (verdict.outcome == "skipped"))

    @property
    def wrong(self) -> int:
        return self.asked - self.right - self.skipped

    def text(self) -> str:
        if not self.asked:
            return "Score: none asked yet"
        skipped = f", {self.skipped} skipped" if self.skipped else ""
        return f"Score: {self.right} right of {self.asked} asked ({self.wrong} wrong{skipped})"


def plans(network: NetworkSpec) -> list[LayerPlan]:
    """What the quantities of a network (its spec) are checked against, layer by layer."""
    fan_ins = [network.inputs] + [layer.units for layer in network.layers[:-1]]
    return [LayerPlan(layer.units, fan_in, layer.bias, layer.bias and layer.train_bias,
                      layer.batch_norm is not None)
            for layer, fan_in in zip(network.layers, fan_ins, strict=True)]
