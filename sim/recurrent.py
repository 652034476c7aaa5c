"""A recurrent network: one Elman or LSTM layer unrolled in time, a dense output layer on the
last hidden state, and exact backpropagation through time (BPTT).

For a batch of sequences x of shape (n, T, I), with h₀ = c₀ = 0 and t = 1..T:

Elman cell (G = 1):   aₜ = xₜ W_ihᵀ + hₜ₋₁ W_hhᵀ + b,   hₜ = f(aₜ)   (f = tanh by default)
LSTM cell (G = 4), PyTorch's gate order i, f, g, o:
    aₜ = xₜ W_ihᵀ + hₜ₋₁ W_hhᵀ + b = [a_i a_f a_g a_o]
    iₜ = sigmoid(a_i), fₜ = sigmoid(a_f), gₜ = tanh(a_g), oₜ = sigmoid(a_o)
    cₜ = fₜ · cₜ₋₁ + iₜ · gₜ,   hₜ = oₜ · tanh(cₜ)
Output:               z = h_T W_outᵀ + b_out,   y = f_out(z)

W_ih has shape (G·H, I), W_hh (G·H, H), b (G·H): one bias vector (PyTorch's b_ih + b_hh
with b_hh held at zero); W_out (K, H), b_out (K).

Backwards, dE/dh_T comes from the output layer; for t = T..1 the total derivative
dE/dhₜ (through every later step) is the output's share (t = T only) plus
dE/daₜ₊₁ W_hh. For the LSTM the cell state carries its own gradient:
    dE/dcₜ = dE/dhₜ · oₜ · (1 − tanh²(cₜ)) + dE/dcₜ₊₁ · fₜ₊₁        (∂cₜ₊₁/∂cₜ = fₜ₊₁)
``time_grad_norms[t-1]`` is the norm of dE/dhₜ over the batch (all n × H numbers), before
clipping.

All parameters live in one flat vector ``theta`` laid out as [W_ih, W_hh, b, W_out, b_out];
the optimizers, clipping and checkpoints work on it as on a dense network's. For clipping by
layer the recurrent layer (W_ih, W_hh, b) is layer 1 and the output layer is layer 2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from . import losses
from .activations import Activation
from .initializers import KEYS as INIT_KEYS
from .initializers import InitSpec
from .notation import units_mark
from .schema import ExperimentError, Section, read_matrix, read_vector

CELLS = {"elman": 1, "lstm": 4}  # gates per hidden unit
GATES = ("i", "f", "g", "o")  # the LSTM's blocks, in PyTorch's order
MAX_HIDDEN = 256
MAX_INPUTS = 64
MAX_OUTPUTS = 64
NETWORK_KEYS = ("kind", "inputs", "cell", "hidden", "activation", "output", "init", "weights")
WEIGHT_KEYS = ("input", "recurrent", "bias", "output", "output_bias")
INIT_STREAM = 1  # the random stream of initialisation, as sim.network's
SIGMOID = Activation("sigmoid")  # the LSTM's i, f and o gates


@dataclass(frozen=True)
class RecurrentInit:
    """How the weights are drawn (``sim.initializers.InitSpec``) and the LSTM's forget-gate
    bias (None: drawn or set as the other biases)."""

    weights: InitSpec = InitSpec()
    forget_bias: float | None = None

    @classmethod
    def from_json(cls, value: Any, path: str, cell: str) -> RecurrentInit:
        s = Section(value, path, (*INIT_KEYS, "forget_bias"))
        forget_bias = s.optional_number("forget_bias", minimum=-1e3, maximum=1e3)
        if forget_bias is not None and cell != "lstm":
            raise ExperimentError(s.at("forget_bias"), 'is used by the "lstm" cell only')
        rest = {key: item for key, item in value.items() if key != "forget_bias"}
        return cls(InitSpec.from_json(rest, path), forget_bias)

    def to_json(self) -> dict[str, Any]:
        out = self.weights.to_json()
        if self.forget_bias is not None:
            out["forget_bias"] = self.forget_bias
        return out


@dataclass(frozen=True)
class RecurrentWeights:
    """Explicit parameters, shaped as the module docstring says."""

    input: tuple[tuple[float, ...], ...]
    recurrent: tuple[tuple[float, ...], ...]
    bias: tuple[float, ...]
    output: tuple[tuple[float, ...], ...]
    output_bias: tuple[float, ...]

    @classmethod
    def from_json(cls, value: Any, path: str, shapes: dict[str, tuple[int, ...]]) -> \
            RecurrentWeights:
        s = Section(value, path, WEIGHT_KEYS)
        read: dict[str, Any] = {}
        for key in WEIGHT_KEYS:
            shape = shapes[key]
            if len(shape) == 2:
                rows = read_matrix(s.raw(key), s.at(key), shape[0], shape[1], shape[0],
                                   shape[1])
                read[key] = tuple(map(tuple, rows))
            else:
                read[key] = tuple(read_vector(s.raw(key), s.at(key), shape[0], shape[0]))
        return cls(**read)

    def to_json(self) -> dict[str, Any]:
        """Matrices as lists of rows, vectors as lists."""
        out: dict[str, Any] = {}
        for key in WEIGHT_KEYS:
            value = getattr(self, key)
            out[key] = [list(row) for row in value] if isinstance(value[0], tuple) \
                else list(value)
        return out


@dataclass(frozen=True)
class RecurrentSpec:
    """The ``network`` section of a recurrent experiment."""

    inputs: int
    cell: str = "elman"
    hidden: int = 8
    activation: Activation = Activation("tanh")  # the Elman cell's f
    output_units: int = 1
    output_activation: Activation = Activation("sigmoid")
    init: RecurrentInit = RecurrentInit()
    weights: RecurrentWeights | None = None

    @property
    def gates(self) -> int:
        return CELLS[self.cell]

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """The shape of each parameter array, by its key in ``weights``."""
        rows = self.gates * self.hidden
        return {"input": (rows, self.inputs), "recurrent": (rows, self.hidden),
                "bias": (rows,), "output": (self.output_units, self.hidden),
                "output_bias": (self.output_units,)}

    @classmethod
    def from_json(cls, value: Any, path: str) -> RecurrentSpec:
        s = Section(value, path, NETWORK_KEYS)
        cell = s.choice("cell", tuple(CELLS), "elman")
        activation = Activation.from_json(s.raw("activation", "tanh"), s.at("activation"))
        if cell != "elman" and activation.kind != "tanh":
            raise ExperimentError(s.at("activation"), 'can be chosen for the "elman" cell only; '
                                  "the LSTM's g and its cell output use tanh, its gates sigmoid")
        if activation.kind == "softmax":
            raise ExperimentError(s.at("activation"), "softmax is only allowed on the output "
                                                      "layer")
        output = s.section("output", ("units", "activation"))
        spec = cls(
            inputs=s.integer("inputs", minimum=1, maximum=MAX_INPUTS),
            cell=cell,
            hidden=s.integer("hidden", 8, minimum=1, maximum=MAX_HIDDEN),
            activation=activation,
            output_units=output.integer("units", minimum=1, maximum=MAX_OUTPUTS),
            output_activation=Activation.from_json(output.raw("activation", "sigmoid"),
                                                   output.at("activation")),
            init=RecurrentInit.from_json(s.raw("init", {}), s.at("init"), cell),
        )
        if s.has("weights"):
            weights = RecurrentWeights.from_json(s.raw("weights"), s.at("weights"),
                                                 spec.shapes())
            spec = replace(spec, weights=weights)
        return spec

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "recurrent", "inputs": self.inputs, "cell": self.cell,
                               "hidden": self.hidden}
        out["activation"] = self.activation.to_json()
        out["output"] = {"units": self.output_units,
                         "activation": self.output_activation.to_json()}
        out["init"] = self.init.to_json()
        if self.weights is not None:
            out["weights"] = self.weights.to_json()
        return out


# ---------------------------------------------------------------------------- the network

class RecurrentPass:
    """What one forward and backward pass through time computed for one batch.

    Lists are indexed by time t = 0..T (entry 0 is h₀ = c₀ = 0; the gate lists hold None there).
    """

    __slots__ = ("x", "t", "indices", "h", "c", "a", "gates", "z", "y", "loss", "penalty",
                 "delta", "dh", "dc", "da", "time_grad_norms", "cell_grad_norms", "updated")

    def __init__(self, x: np.ndarray, t: np.ndarray, indices: np.ndarray | None) -> None:
        self.x, self.t, self.indices = x, t, indices
        self.h: list[np.ndarray] = []
        self.c: list[np.ndarray] = []  # LSTM only
        self.a: list[np.ndarray | None] = []  # pre-activations, (n, G·H)
        self.gates: list[dict[str, np.ndarray] | None] = []  # LSTM: i, f, g, o after sigmoid / tanh
        self.z = self.y = np.empty((0, 0))
        self.loss: float | None = None  # with the penalty
        self.penalty = 0.0
        self.delta = np.empty((0, 0))  # dE/dz of the output layer
        self.dh: list[np.ndarray | None] = []  # dE/dhₜ, total, t = 0..T (0: unused, None)
        self.dc: list[np.ndarray | None] = []  # LSTM: dE/dcₜ, total
        self.da: list[np.ndarray | None] = []  # dE/daₜ, the pre-activations' (n, G·H)
        self.time_grad_norms = np.empty(0)  # ‖dE/dhₜ‖ for t = 1..T
        self.cell_grad_norms = np.empty(0)  # LSTM: ‖dE/dcₜ‖ for t = 1..T
        self.updated = False

    @property
    def steps(self) -> int:
        return int(self.x.shape[1])


class RecurrentNetwork:
    """The parameters (views of one flat vector) and the maths of the module docstring."""

    def __init__(self, spec: RecurrentSpec, seed: int) -> None:
        self.spec = spec
        self.cell = spec.cell
        self.hidden = spec.hidden
        self.inputs = spec.inputs
        self.gates = spec.gates
        self.activation = spec.activation
        self.output_activation = spec.output_activation
        shapes = spec.shapes()
        self.shapes = shapes
        sizes = [math.prod(shapes[key]) for key in WEIGHT_KEYS]
        self.n_trainable = sum(sizes)
        self.theta = np.zeros(self.n_trainable)
        self.grad = np.zeros(self.n_trainable)
        starts = np.cumsum([0, *sizes])
        self.slices = {key: slice(int(starts[k]), int(starts[k + 1]))
                       for k, key in enumerate(WEIGHT_KEYS)}
        # Clipping by layer: the recurrent layer, then the output layer.
        self.segments = [slice(0, self.slices["bias"].stop),
                         slice(self.slices["output"].start, self.n_trainable)]
        self.segment_starts = np.array([0, self.slices["output"].start])
        self.weight_keys = ("input", "recurrent", "output")  # what L1 and L2 act on
        self.depth = 2
        if spec.weights is not None:
            for key in WEIGHT_KEYS:
                self.view(key)[...] = np.array(getattr(spec.weights, key), dtype=np.float64)
        else:
            self._initialise(np.random.default_rng([seed, INIT_STREAM]))

    def view(self, key: str, vector: np.ndarray | None = None) -> np.ndarray:
        """Parameter ``key`` (of WEIGHT_KEYS) as a view of ``vector`` (default ``theta``)."""
        source = self.theta if vector is None else vector
        return source[self.slices[key]].reshape(self.shapes[key])

    def parameters(self, vector: np.ndarray | None = None) -> dict[str, Any]:
        """The parameters as JSON values keyed as the file's ``weights``."""
        return {key: self.view(key, vector).tolist() for key in WEIGHT_KEYS}

    def _initialise(self, rng: np.random.Generator) -> None:
        """Each gate's block of W_ih and W_hh drawn with fan-in I (or H) and fan-out H, in the
        order i, f, g, o; then the output layer; the biases as the init says."""
        spec, hidden = self.spec.init.weights, self.hidden
        W_ih, W_hh, b = self.view("input"), self.view("recurrent"), self.view("bias")
        for gate in range(self.gates):
            block = slice(gate * hidden, (gate + 1) * hidden)
            W_ih[block] = spec.draw((hidden, self.inputs), self.inputs, hidden, rng)
            W_hh[block] = spec.draw((hidden, hidden), hidden, hidden, rng)
            b[block] = spec.draw((hidden,), self.inputs, hidden, rng) if spec.bias == "same" \
                else float(spec.bias)
        if self.spec.init.forget_bias is not None:
            b[hidden:2 * hidden] = self.spec.init.forget_bias
        W_out, b_out = spec.draw_layer(self.spec.output_units, hidden, rng)
        self.view("output")[...] = W_out
        self.view("output_bias")[...] = b_out

    # ------------------------------------------------------------------ forward

    def forward(self, x: np.ndarray, t: np.ndarray | None = None,
                indices: np.ndarray | None = None) -> RecurrentPass:
        """The pass through time and the output layer for the sequences ``x`` (n, T, I)."""
        p = RecurrentPass(x, np.empty((0, 0)) if t is None else t, indices)
        n, k = x.shape[0], self.hidden
        W_ih, W_hh, b = self.view("input"), self.view("recurrent"), self.view("bias")
        h = np.zeros((n, k))
        p.h.append(h)
        p.a.append(None)
        p.gates.append(None)
        lstm = self.cell == "lstm"
        if lstm:
            c = np.zeros((n, k))
            p.c.append(c)
        for step in range(x.shape[1]):
            a = x[:, step] @ W_ih.T + h @ W_hh.T + b
            p.a.append(a)
            if lstm:
                gates = {"i": _sigmoid(a[:, :k]), "f": _sigmoid(a[:, k:2 * k]),
                         "g": np.tanh(a[:, 2 * k:3 * k]), "o": _sigmoid(a[:, 3 * k:])}
                c = gates["f"] * c + gates["i"] * gates["g"]
                h = gates["o"] * np.tanh(c)
                p.gates.append(gates)
                p.c.append(c)
            else:
                h = self.activation.forward(a)
                p.gates.append(None)
            p.h.append(h)
        p.z = h @ self.view("output").T + self.view("output_bias")
        p.y = self.output_activation.forward(p.z)
        return p

    def penalty(self, l1: float, l2: float) -> float:
        """l2/2 Σ w² + l1 Σ |w| over the weights W_ih, W_hh and W_out (never the biases)."""
        return losses.weight_penalty((self.theta[self.slices[key]] for key in self.weight_keys),
                                     l1, l2)

    def compute_loss(self, p: RecurrentPass, kind: str, l1: float, l2: float) -> float:
        """The loss with the penalty, kept in ``p`` with the output layer's dE/dz."""
        result = losses.evaluate(kind, p.y, p.z, p.t)
        if result.delta is not None:
            p.delta = result.delta
        else:
            assert result.dE_da is not None
            p.delta = result.dE_da * self.output_activation.derivative(p.z, p.y)
        p.penalty = self.penalty(l1, l2) if (l1 or l2) else 0.0
        p.loss = result.value + p.penalty
        return p.loss

    # ------------------------------------------------------------------ backward

    def backward(self, p: RecurrentPass, l1: float, l2: float) -> None:
        """Backpropagation through time: the gradient of ``p.loss`` into ``grad``, and
        dE/dhₜ (and dE/dcₜ) with their norms into ``p``."""
        grad = self.grad
        grad[...] = 0.0
        last = p.steps
        dW_ih, dW_hh, db = self.view("input", grad), self.view("recurrent", grad), \
            self.view("bias", grad)
        self.view("output", grad)[...] = p.delta.T @ p.h[last]
        self.view("output_bias", grad)[...] = p.delta.sum(axis=0)
        W_hh = self.view("recurrent")
        p.dh = [None] * (last + 1)
        p.dc = [None] * (last + 1)
        p.da = [None] * (last + 1)
        dh = p.delta @ self.view("output")
        dc_next = np.zeros_like(dh)  # dE/dcₜ₊₁ · fₜ₊₁, the cell path's share
        for step in range(last, 0, -1):
            p.dh[step] = dh
            a = p.a[step]
            assert a is not None
            if self.cell == "lstm":
                gates = p.gates[step]
                assert gates is not None
                tanh_c = np.tanh(p.c[step])
                dc = dh * gates["o"] * (1.0 - tanh_c * tanh_c) + dc_next
                p.dc[step] = dc
                i, f, g, o = (gates[name] for name in GATES)
                da = np.concatenate([dc * g * i * (1.0 - i),
                                     dc * p.c[step - 1] * f * (1.0 - f),
                                     dc * i * (1.0 - g * g),
                                     dh * tanh_c * o * (1.0 - o)], axis=1)
                dc_next = dc * f
            else:
                da = dh * self.activation.derivative(a, p.h[step])
            p.da[step] = da
            dW_ih += da.T @ p.x[:, step - 1]
            dW_hh += da.T @ p.h[step - 1]
            db += da.sum(axis=0)
            dh = da @ W_hh
        for key in self.weight_keys:
            w, g = self.theta[self.slices[key]], grad[self.slices[key]]
            if l2:
                g += l2 * w
            if l1:
                g += l1 * np.sign(w)
        p.time_grad_norms = np.array([_norm(p.dh[step]) for step in range(1, last + 1)])
        if self.cell == "lstm":
            p.cell_grad_norms = np.array([_norm(p.dc[step]) for step in range(1, last + 1)])

    # ------------------------------------------------------------------ whole passes

    def loss_value(self, x: np.ndarray, t: np.ndarray, kind: str, l1: float = 0.0,
                   l2: float = 0.0) -> float:
        """Loss (data + penalty) of a forward pass, without touching ``grad``."""
        p = self.forward(x, t)
        return losses.value(kind, p.y, p.z, t) + (self.penalty(l1, l2) if (l1 or l2) else 0.0)

    def loss_and_gradient(self, x: np.ndarray, t: np.ndarray, kind: str, l1: float = 0.0,
                          l2: float = 0.0) -> RecurrentPass:
        """A whole pass: the loss in ``p.loss``, the gradient in ``grad``."""
        p = self.forward(x, t)
        self.compute_loss(p, kind, l1, l2)
        self.backward(p, l1, l2)
        return p


def parameter_label(network: RecurrentNetwork, index: int) -> str:
    """A flat index's name: its matrix (an LSTM's gate block in brackets), then its row and
    column counted from 1 as subscripts, as the dense names count units (sim.notation):
    "W_hh[f]₃₂" is row 3 of W_hh's forget-gate block, column 2; "b_out₁"."""
    for key in WEIGHT_KEYS:
        part = network.slices[key]
        if part.start <= index < part.stop:
            position = np.unravel_index(index - part.start, network.shapes[key])
            name = {"input": "W_ih", "recurrent": "W_hh", "bias": "b", "output": "W_out",
                    "output_bias": "b_out"}[key]
            row = int(position[0])
            if key in ("input", "recurrent", "bias") and network.cell == "lstm":
                gate, row = GATES[row // network.hidden], row % network.hidden
                name += f"[{gate}]"
            return name + units_mark(row, *map(int, position[1:]))
    raise IndexError(f"no parameter {index}")


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return SIGMOID.forward(a)


def _norm(values: np.ndarray | None) -> float:
    assert values is not None
    flat = values.ravel()
    return math.sqrt(float(np.dot(flat, flat)))
