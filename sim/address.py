"""Where a parameter lives: weight w_ji of a layer (into unit j from unit i below), or bias b_j;
and (``NormAddress``) the scale gamma_j or shift beta_j of a layer's batch normalisation.

One address type serves every place that finds, checks or names a parameter: its index in a
network's flat parameter vector (``sim.network``), whether a network or a snapshot of one has
it, its value there, and its name (``sim.notation``). Layers count from 1 (layer 0 is the
input); j and i count from 0, as in ``W[j, i]``, and names count units from 1 as the seeds do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol

import numpy as np

from . import notation

if TYPE_CHECKING:
    from .network import Network


class LayerShape(Protocol):
    """What an address is checked against: a network's layer or a snapshot's (read only, so
    that a frozen snapshot qualifies)."""

    @property
    def units(self) -> int: ...
    @property
    def fan_in(self) -> int: ...
    @property
    def has_bias(self) -> bool: ...


class ParameterLayer(LayerShape, Protocol):
    """A layer whose parameters can be read: W[j, i] is w_ji, b[j] is b_j (None: no bias)."""

    @property
    def W(self) -> np.ndarray: ...
    @property
    def b(self) -> np.ndarray | None: ...


class ParameterAddress(NamedTuple):
    """w_ji of ``layer`` (``source`` i), or its bias b_j when ``source`` is None."""

    layer: int
    unit: int
    source: int | None

    @property
    def is_bias(self) -> bool:
        return self.source is None

    def problem(self, layers: Sequence[LayerShape]) -> str | None:
        """Why a network of these layers has no parameter at this address (None: it has)."""
        layer, j, i = self
        if not (is_whole(layer) and is_whole(j) and (i is None or is_whole(i))):
            return f"layer, j and i must be whole numbers, got {layer!r}, {j!r}, {i!r}"
        if not 1 <= layer <= len(layers):
            return f"layer {layer} does not exist; the network has layers 1 to {len(layers)}"
        target = layers[layer - 1]
        if not 0 <= j < target.units:
            return f"layer {layer} has units 0 to {target.units - 1}, not {j}"
        if i is None:
            return None if target.has_bias else f"layer {layer} has no bias"
        if not 0 <= i < target.fan_in:
            return f"layer {layer} has inputs 0 to {target.fan_in - 1}, not {i}"
        return None

    def exists_in(self, layers: Sequence[LayerShape]) -> bool:
        return self.problem(layers) is None

    def check(self, layers: Sequence[LayerShape]) -> None:
        """ValueError naming the problem if a network of these layers has no such parameter."""
        problem = self.problem(layers)
        if problem is not None:
            raise ValueError(problem)

    def value_in(self, layers: Sequence[ParameterLayer]) -> float:
        """The parameter's value in a network's or a snapshot's layers (checked first)."""
        self.check(layers)
        target = layers[self.layer - 1]
        if self.source is None:
            assert target.b is not None  # checked: the layer has a bias
            return float(target.b[self.unit])
        return float(target.W[self.unit, self.source])

    def flat_index(self, network: Network) -> int:
        """The index of the parameter in ``network.theta`` (and ``grad``), checked first.

        Frozen biases have indices too, after the trainable parameters: the loss depends on
        them like on any other parameter.
        """
        self.check(network.layers)
        target = network.layers[self.layer - 1]
        if self.source is None:
            return target.bias_start + self.unit
        return target.segment.start + self.unit * target.fan_in + self.source

    @classmethod
    def at_index(cls, network: Network, index: int) -> ParameterAddress:
        """The address of ``network.theta[index]``: the inverse of ``flat_index``."""
        index = checked_index(network, index)
        for layer in network.layers:
            offset = index - layer.segment.start
            if 0 <= offset < layer.units * layer.fan_in:
                j, i = divmod(offset, layer.fan_in)
                return cls(layer.number, j, i)
            if layer.has_bias and 0 <= index - layer.bias_start < layer.units:
                return cls(layer.number, index - layer.bias_start, None)
        found = NormAddress.at_index(network, index)
        raise ValueError(f"parameter {index} is {found.label()}, not a weight or a bias"
                         if found else f"theta[{index}] is a running statistic of batch "
                                       f"normalisation, not a parameter")

    def label(self) -> str:
        """The parameter's name, its layer always shown: w⁽²⁾₁₂, b⁽³⁾₁ (see sim.notation)."""
        return notation.parameter(*self)

    def describe(self) -> str:
        """The name and where the parameter sits, in words: "w⁽²⁾₁₂, the weight into unit 1 of
        layer 2 from unit 2 of layer 1"; "b⁽¹⁾₃, the bias of unit 3 of layer 1"."""
        layer, j, i = self
        if i is None:
            return f"{self.label()}, the bias of unit {j + 1} of layer {layer}"
        source = f"input {notation.input_name(i)}" if layer == 1 else \
            f"unit {i + 1} of layer {layer - 1}"
        return f"{self.label()}, the weight into unit {j + 1} of layer {layer} from {source}"


NormSource = Literal["gamma", "beta"]
NORM_SOURCES: tuple[NormSource, ...] = ("gamma", "beta")


class NormAddress(NamedTuple):
    """gamma_j (``which`` "gamma") or beta_j ("beta") of ``layer``'s batch normalisation."""

    layer: int
    unit: int
    which: NormSource

    def problem(self, network: Network) -> str | None:
        """Why ``network`` has no parameter at this address (None: it has)."""
        layer, j, which = self
        if not (is_whole(layer) and is_whole(j) and which in NORM_SOURCES):
            return (f"layer and j must be whole numbers and which gamma or beta, got {layer!r}, "
                    f"{j!r}, {which!r}")
        if not 1 <= layer <= network.depth:
            return f"layer {layer} does not exist; the network has layers 1 to {network.depth}"
        target = network.layers[layer - 1]
        if target.norm is None:
            return f"layer {layer} has no batch normalisation, so no {which}"
        if not 0 <= j < target.units:
            return f"layer {layer} has units 0 to {target.units - 1}, not {j}"
        return None

    def flat_index(self, network: Network) -> int:
        """The index of the parameter in ``network.theta`` (and ``grad``), checked first."""
        problem = self.problem(network)
        if problem is not None:
            raise ValueError(problem)
        norm = network.layers[self.layer - 1].norm
        assert norm is not None  # checked
        shift = network.layers[self.layer - 1].units if self.which == "beta" else 0
        return norm.gamma_start + shift + self.unit

    @classmethod
    def at_index(cls, network: Network, index: int) -> NormAddress | None:
        """The address of ``network.theta[index]`` if it is a gamma or a beta, else None."""
        index = checked_index(network, index)
        for layer in network.layers:
            if layer.norm is not None:
                which, unit = divmod(index - layer.norm.gamma_start, layer.units)
                if which in (0, 1):
                    return cls(layer.number, unit, NORM_SOURCES[which])
        return None

    def label(self) -> str:
        """γ⁽²⁾₁ or β⁽²⁾₁ (see sim.notation)."""
        name = notation.norm_scale if self.which == "gamma" else notation.norm_shift
        return name(self.layer, self.unit)

    def describe(self) -> str:
        """"γ⁽²⁾₁, the scale of unit 1 of layer 2 after batch normalisation"."""
        role = "scale" if self.which == "gamma" else "shift"
        return (f"{self.label()}, the {role} of unit {self.unit + 1} of layer {self.layer} after "
                f"batch normalisation")


def address_at(network: Network, index: int) -> ParameterAddress | NormAddress:
    """The address of ``network.theta[index]``, whichever kind of parameter it is."""
    return NormAddress.at_index(network, index) or ParameterAddress.at_index(network, index)


def checked_index(network: Network, index: int) -> int:
    """``index`` as an int if ``network.theta`` has it; ValueError naming the range if not."""
    size = network.theta.size
    if not (is_whole(index) and 0 <= index < size):
        raise ValueError(f"parameter {index!r} does not exist; the network has parameters "
                         f"0 to {size - 1}")
    return int(index)


def is_whole(value: object) -> bool:
    """An int (numpy's too), never a bool: what an index or a count must be."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
