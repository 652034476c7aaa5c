"""A dense feed-forward network, computed one layer at a time with every term kept.

Notation follows the seeds (and Nielsen's ``network.py``): for layer l = 1..L and a batch of
samples in rows,

    z^l = a^(l-1) W^l^T + b^l          W^l[j, i] is w_ji, from unit i below to unit j
    h^l = f(z^l)
    a^l = h^l * keep^l (+ a^(l-1))     keep: inverted-dropout mask; + a^(l-1) if residual

and backwards, with dE/da^L supplied by the loss,

    delta^l  = dE/da^l * keep^l * f'(z^l)              (= dE/dz^l)
    dE/dW^l  = delta^l^T a^(l-1),   dE/db^l = sum over samples of delta^l
    dE/da^(l-1) = delta^l W^l (+ dE/da^l if layer l is residual)

A layer with batch normalisation (``sim.batch_norm``) puts y = gamma zhat + beta between z and
f: h^l = f(y^l), and delta^l = dE/dz^l comes back through the normalisation.

All parameters live in one flat vector ``theta`` (and their gradients in ``grad``), laid out
layer by layer as [W^1, b^1, gamma^1, beta^1, W^2, ...] for the trainable ones (gamma and beta
only where there is batch normalisation), followed by frozen biases and then the running
means and variances of batch normalisation (state that no gradient trains, kept with the
parameters so that a checkpoint or early stopping's best restores them together).
Each layer's W and b are views into it, so the optimizer, the norms and clipping work on one
vector while the maths above reads layer by layer.
"""

from __future__ import annotations

from typing import Literal, TypedDict

import numpy as np

from . import batch_norm, losses
from .activations import Activation
from .batch_norm import BatchNormLayer, NormPass, Statistics
from .experiment import LayerSpec, NetworkSpec

INIT_STREAM = 1  # the random stream id for initialisation; one child stream per layer

# What numpy does on a floating-point error (np.errstate, np.seterr).
ErrorAction = Literal["ignore", "warn", "raise", "call", "print", "log"]


class PassErrors(TypedDict):
    """The keyword arguments of np.errstate for the errors a pass expects."""

    over: ErrorAction
    invalid: ErrorAction


# The numeric warnings a whole pass expects, for np.errstate: sigmoid's exp overflows (to the
# right limit, 0) for z below -709, and weights on their way to diverging give inf and NaN,
# which the loss then shows. The trainer's phases call the layer methods under the same scope.
EXPECTED_IN_A_PASS: PassErrors = {"over": "ignore", "invalid": "ignore"}
# gamma, beta, running mean and running variance of a layer's batch normalisation (views).
NormViews = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
# The names of the per-layer lists of a Pass whose None means "not computed yet" (a None in
# ``keep`` means "no dropout" and stays None).
PassValue = Literal["z", "h", "a", "dE_da", "fprime", "delta"]


class Layer:
    """One dense layer: its shape, activation and views of its parameters and gradients."""

    __slots__ = ("number", "fan_in", "units", "activation", "has_bias", "train_bias", "residual",
                 "dropout", "W", "b", "dW", "db", "segment", "bias_start", "norm")

    def __init__(self, number: int, fan_in: int, spec: LayerSpec, dropout: float) -> None:
        self.number = number
        self.fan_in = fan_in
        self.units = spec.units
        self.activation: Activation = spec.activation
        self.has_bias = spec.bias
        self.train_bias = spec.bias and spec.train_bias
        self.residual = spec.residual
        self.dropout = dropout
        self.W = self.dW = np.empty((0, 0))  # views into theta and grad, once laid out
        self.b: np.ndarray | None = None  # None: no bias
        self.db: np.ndarray | None = None
        self.segment = slice(0, 0)  # this layer's part of the trainable vector
        self.bias_start = -1  # index of b[0] in the flat parameter vector; -1 without bias
        # Batch normalisation between z and the activation (sim.batch_norm); None: none.
        self.norm = None if spec.batch_norm is None else BatchNormLayer(spec.batch_norm)


class Pass:
    """What one iteration computes for one batch; lists are indexed by layer number l.

    ``a[0]`` is the batch input x. Entries stay None until their phase has run.
    """

    __slots__ = ("x", "t", "indices", "z", "h", "a", "keep", "dE_da", "fprime", "delta",
                 "loss", "penalty", "fused_delta", "updated", "norm", "dE_dy", "statistics",
                 "update_running")

    def __init__(self, x: np.ndarray, t: np.ndarray, indices: np.ndarray | None,
                 depth: int, statistics: Statistics = "batch",
                 update_running: bool = False) -> None:
        self.x = x
        self.t = t
        self.indices = indices
        empty: list[np.ndarray | None] = [None] * (depth + 1)
        self.z = list(empty)
        self.h = list(empty)
        self.a = list(empty)
        self.a[0] = x
        self.keep = list(empty)  # None: no dropout in that layer
        self.dE_da = list(empty)
        self.fprime = list(empty)
        self.delta = list(empty)
        self.loss: float | None = None
        self.penalty: float = 0.0
        self.fused_delta: np.ndarray | None = None
        self.updated = False  # whether the parameters have since taken this pass's step
        # Batch normalisation: what each normalised layer's forward computed (None elsewhere),
        # and dE/dy, the error at its output y = gamma zhat + beta, once backward reached it.
        self.norm: list[NormPass | None] = [None] * (depth + 1)
        self.dE_dy = list(empty)
        self.statistics: Statistics = statistics  # batch: training; running: evaluation
        self.update_running = update_running  # whether the running statistics follow it

    @property
    def output(self) -> np.ndarray:
        """a^L, the network's output; ValueError before the forward pass has reached it."""
        output = self.a[-1]
        if output is None:
            raise ValueError("the forward pass has not reached the output layer yet")
        return output

    def activation_input(self, number: int) -> np.ndarray:
        """What layer ``number``'s activation took: y = gamma zhat + beta after batch
        normalisation, else z; ValueError before its forward phase ran."""
        record = self.norm[number]
        return self.computed("z", number) if record is None else record.y

    def computed(self, name: PassValue, number: int) -> np.ndarray:
        """Layer ``number``'s entry of the list ``name`` (a of layer 0 is the input);
        ValueError if the phase that computes it has not run on this pass."""
        value: np.ndarray | None = getattr(self, name)[number]
        if value is None:
            raise not_computed(name, number)
        return value


def not_computed(name: PassValue, number: int) -> ValueError:
    """The error for reading a value of a pass (or of a snapshot of one) that its phase has not
    computed yet."""
    return ValueError(f"{name} of layer {number} is not computed yet: its phase has not run on "
                      f"this pass")


class Network:
    """Parameters, forward and backward. Knows nothing of optimizers or training loops."""

    def __init__(self, spec: NetworkSpec, hidden_dropout: float, seed: int) -> None:
        self.spec = spec
        self.inputs = spec.inputs
        count = len(spec.layers)
        self.layers: list[Layer] = []
        fan_in = spec.inputs
        for number, layer_spec in enumerate(spec.layers, start=1):
            dropout = 0.0
            if number < count:
                dropout = hidden_dropout if layer_spec.dropout is None else layer_spec.dropout
            self.layers.append(Layer(number, fan_in, layer_spec, dropout))
            fan_in = layer_spec.units
        self.depth = count
        self._lay_out()
        self._initialise(seed)

    # ------------------------------------------------------------------ parameter layout

    def _lay_out(self) -> None:
        offset = 0
        for layer in self.layers:
            start = offset
            offset += layer.units * layer.fan_in
            if layer.train_bias:
                layer.bias_start = offset
                offset += layer.units
            if layer.norm is not None:  # gamma, then beta
                layer.norm.gamma_start = offset
                offset += 2 * layer.units
            layer.segment = slice(start, offset)
        self.n_trainable = offset
        for layer in self.layers:  # frozen biases go after all trainable parameters
            if layer.has_bias and not layer.train_bias:
                layer.bias_start = offset
                offset += layer.units
        for layer in self.layers:  # then the running statistics: kept, restored, never trained
            if layer.norm is not None:
                layer.norm.running_start = offset
                offset += 2 * layer.units
        self.theta = np.zeros(offset)
        self.grad = np.zeros(offset)
        # The trainable parameters and their gradient, views made once: the trainer reads them
        # four times a step, and a property making the view each time cost 0.2 us a read.
        self.trainable_theta = self.theta[:self.n_trainable]
        self.trainable_grad = self.grad[:self.n_trainable]
        self.segment_starts = np.array([layer.segment.start for layer in self.layers],
                                       dtype=np.intp)  # for np.add.reduceat
        for layer, (W, b), (dW, db) in zip(self.layers, self.layer_views(self.theta),
                                           self.layer_views(self.grad), strict=True):
            layer.W, layer.b, layer.dW, layer.db = W, b, dW, db
        for layer, values, gradients in zip(self.layers, self.norm_views(self.theta),
                                            self.norm_views(self.grad), strict=True):
            if layer.norm is not None:
                assert values is not None and gradients is not None  # the layer has them
                norm = layer.norm
                norm.gamma, norm.beta, norm.running_mean, norm.running_var = values
                norm.dgamma, norm.dbeta = gradients[:2]

    def norm_views(self, vector: np.ndarray) -> list[NormViews | None]:
        """(gamma, beta, running_mean, running_var) of each layer with batch normalisation, as
        views into any vector laid out like ``theta``; None for a layer without."""
        views: list[NormViews | None] = []
        for layer in self.layers:
            norm = layer.norm
            if norm is None:
                views.append(None)
                continue
            units, start, running = layer.units, norm.gamma_start, norm.running_start
            views.append((vector[start:start + units], vector[start + units:start + 2 * units],
                          vector[running:running + units],
                          vector[running + units:running + 2 * units]))
        return views

    def layer_views(self, vector: np.ndarray) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """(W, b) of each layer as views into any vector laid out like ``theta``."""
        views = []
        for layer in self.layers:
            start = layer.segment.start
            W = vector[start:start + layer.units * layer.fan_in].reshape(layer.units,
                                                                          layer.fan_in)
            b = None if not layer.has_bias else \
                vector[layer.bias_start:layer.bias_start + layer.units]
            views.append((W, b))
        return views

    def _initialise(self, seed: int) -> None:
        for layer, spec in zip(self.layers, self.spec.layers, strict=True):
            init = spec.init or self.spec.init
            # One stream per layer: editing one layer's weights never changes another's draw.
            rng = np.random.default_rng([seed, INIT_STREAM, layer.number])
            weights, biases = init.draw_layer(layer.units, layer.fan_in, rng)
            layer.W[...] = weights if spec.weights is None else np.array(spec.weights)
            if layer.b is not None:
                layer.b[...] = biases if spec.biases is None else np.array(spec.biases)
            if layer.norm is not None:
                norm = layer.norm
                norm.gamma[...] = 1.0 if spec.gamma is None else np.array(spec.gamma)
                norm.beta[...] = 0.0 if spec.beta is None else np.array(spec.beta)
                norm.running_mean[...] = 0.0
                norm.running_var[...] = 1.0

    @property
    def output_activation(self) -> Activation:
        return self.layers[-1].activation

    # ------------------------------------------------------------------ forward

    def forward_layer(self, p: Pass, number: int, dropout_rng: np.random.Generator | None) -> None:
        """Compute z, h and a of one layer for the batch in ``p``; dropout if an rng is given."""
        layer = self.layers[number - 1]
        a_prev = p.a[number - 1]
        assert a_prev is not None  # the input, or the output of the layer below, done first
        z = a_prev @ layer.W.T
        if layer.b is not None:
            z += layer.b
        pre = z  # what the activation takes
        if layer.norm is not None:
            record = batch_norm.forward(layer.norm, z, p.statistics, p.update_running, number)
            p.norm[number] = record
            pre = record.y
        h = layer.activation.forward(pre)
        a = h
        if dropout_rng is not None and layer.dropout > 0.0:
            # Inverted dropout: kept units are scaled by 1/(1-p) so evaluation needs no change.
            keep = (dropout_rng.random(h.shape) >= layer.dropout) * (1.0 / (1.0 - layer.dropout))
            p.keep[number] = keep
            a = h * keep
        if layer.residual:
            a = a + a_prev
        p.z[number], p.h[number], p.a[number] = z, h, a

    @np.errstate(**EXPECTED_IN_A_PASS)  # as a decorator it costs half of a with-block
    def forward(self, x: np.ndarray, statistics: Statistics = "running") -> Pass:
        """A full forward pass without dropout: evaluation, normalising with the running
        statistics; with "batch", with the batch's own (the function training differentiates),
        the running statistics left as they are."""
        p = Pass(x, x[:, :0], None, self.depth, statistics)
        for number in range(1, self.depth + 1):
            self.forward_layer(p, number, None)
        return p

    def undo_running_updates(self, p: Pass) -> None:
        """Put batch normalisation's running statistics back as they were before the pass
        ``p`` moved them: an abandoned iteration leaves them as the last step left them."""
        for layer in self.layers:
            record = p.norm[layer.number]
            if layer.norm is not None and record is not None:
                batch_norm.undo_running_update(layer.norm, record)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x).output

    # ------------------------------------------------------------------ loss and backward

    def compute_loss(self, p: Pass, kind: str, l1: float, l2: float) -> float:
        """The batch's data loss, the penalty, and the error entering the output layer, kept
        in ``p``; returns the loss with the penalty. The forward pass must be complete."""
        y, z = p.output, p.activation_input(self.depth)
        result = losses.evaluate(kind, y, z, p.t)
        p.loss = result.value
        p.dE_da[self.depth] = result.dE_da
        p.fused_delta = result.delta
        p.penalty = self.penalty(l1, l2) if (l1 or l2) else 0.0
        return result.value + p.penalty

    def penalty(self, l1: float, l2: float) -> float:
        """l2/2 sum w^2 + l1 sum |w| over the weights (never the biases)."""
        return losses.weight_penalty((layer.W.ravel() for layer in self.layers), l1, l2)

    def backward_layer(self, p: Pass, number: int, l1: float, l2: float) -> None:
        """delta, dE/dW and dE/db of one layer; the layer above must already be done."""
        layer = self.layers[number - 1]
        if number == self.depth and p.fused_delta is not None:
            dE_dpre = p.fused_delta  # softmax + cross-entropy, sigmoid + bce: dE/dz directly
        else:
            if number == self.depth:
                dE_da = p.dE_da[number]
                assert dE_da is not None  # the loss phase, done first, set it
            else:
                above = self.layers[number]
                delta_above = p.delta[number + 1]
                assert delta_above is not None  # the layer above, done first, set it
                dE_da = delta_above @ above.W
                if above.residual:  # the skip path carries the error unchanged
                    skipped = p.dE_da[number + 1]
                    assert skipped is not None  # set above: a residual layer is hidden
                    dE_da = dE_da + skipped
                p.dE_da[number] = dE_da
            z, h, record = p.z[number], p.h[number], p.norm[number]
            assert z is not None and h is not None  # this layer's forward phase ran
            fprime = layer.activation.derivative(z if record is None else record.y, h)
            p.fprime[number] = fprime
            keep = p.keep[number]
            error = dE_da if keep is None else dE_da * keep
            dE_dpre = error * fprime
        record = p.norm[number]
        if layer.norm is not None and record is not None:  # back through the normalisation
            p.dE_dy[number] = dE_dpre
            delta = batch_norm.backward(layer.norm, record, dE_dpre)
        else:
            delta = dE_dpre
        p.delta[number] = delta
        a_prev = p.a[number - 1]
        assert a_prev is not None  # set by the forward phases
        np.matmul(delta.T, a_prev, out=layer.dW)
        if layer.db is not None:
            np.add.reduce(delta, axis=0, out=layer.db)  # ndarray.sum, without its wrapper
        if l2:
            layer.dW += l2 * layer.W
        if l1:
            layer.dW += l1 * np.sign(layer.W)

    # ------------------------------------------------------------------ whole passes

    @np.errstate(**EXPECTED_IN_A_PASS)
    def loss_and_gradient(self, x: np.ndarray, t: np.ndarray, kind: str, l1: float = 0.0,
                          l2: float = 0.0) -> float:
        """Loss (data + penalty) of a deterministic pass, leaving its gradient in ``grad``;
        batch normalisation uses the batch's statistics, as training does, and leaves the
        running statistics as they are."""
        p = Pass(x, t, None, self.depth)  # batch statistics, running ones left as they are
        for number in range(1, self.depth + 1):
            self.forward_layer(p, number, None)
        loss = self.compute_loss(p, kind, l1, l2)
        for number in range(self.depth, 0, -1):
            self.backward_layer(p, number, l1, l2)
        return loss

    def loss_value(self, x: np.ndarray, t: np.ndarray, kind: str, l1: float = 0.0,
                   l2: float = 0.0, statistics: Statistics = "running") -> float:
        """Loss (data + penalty) of a deterministic forward pass, without touching ``grad``:
        an evaluation, or with "batch" the loss ``loss_and_gradient`` differentiates."""
        return self.loss_of(self.forward(x, statistics), t, kind, l1, l2)

    @np.errstate(**EXPECTED_IN_A_PASS)  # the outputs of a diverging network are inf or NaN
    def loss_of(self, p: Pass, t: np.ndarray, kind: str, l1: float = 0.0,
                l2: float = 0.0) -> float:
        """Loss (data + penalty) of the pass ``p`` from ``forward`` against the targets ``t``."""
        value = losses.value(kind, p.output, p.activation_input(self.depth), t)
        return value + (self.penalty(l1, l2) if (l1 or l2) else 0.0)

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Copies of (W, b) for each layer."""
        return self.layer_views(self.theta.copy())
