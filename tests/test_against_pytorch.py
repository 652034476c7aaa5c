"""The engine against PyTorch autograd and torch.optim, in float64 (skipped without torch).

PyTorch is never a dependency; this comparison runs where it happens to be installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim

torch = pytest.importorskip("torch")
torch.set_default_dtype(torch.float64)

TORCH_ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
                     "linear": lambda z: z, "softmax": lambda z: torch.softmax(z, dim=1)}


def torch_loss(kind, z, y, t):
    if kind == "sse":
        return ((y - t) ** 2).sum()
    if kind == "half_sse":
        return 0.5 * ((y - t) ** 2).sum()
    if kind == "mse":
        return ((y - t) ** 2).mean()
    if kind == "half_mse":
        return 0.5 * ((y - t) ** 2).mean()
    if kind == "huber":
        return torch.nn.functional.huber_loss(y, t, delta=1.0)
    if kind == "bce":
        return torch.nn.functional.binary_cross_entropy_with_logits(z, t)
    return -(t * torch.log_softmax(z, dim=1)).sum() / z.shape[0]


def build(hidden: str, loss: str, output: str, seed: int, optimizer: dict,
          clipping: dict | None = None) -> sim.Trainer:
    rng = np.random.default_rng(seed)
    outputs = 3
    x = rng.normal(size=(6, 4))
    t = rng.uniform(size=(6, outputs))
    if loss == "cross_entropy":
        t /= t.sum(axis=1, keepdims=True)
    return sim.Trainer(sim.parse({
        "seed": seed, "loss": loss,
        "data": {"kind": "inline", "inputs": x.tolist(), "targets": t.tolist()},
        "network": {"inputs": 4, "init": {"kind": "normal", "std": 0.6, "bias": "same"},
                    "layers": [{"units": 5, "activation": hidden},
                               {"units": 5, "activation": hidden},
                               {"units": outputs, "activation": output}]},
        "optimizer": optimizer, "clipping": clipping or {"kind": "none"}}))


def torch_model(trainer: sim.Trainer):
    params = []
    for layer in trainer.network.layers:
        params.append(torch.tensor(layer.W.copy(), requires_grad=True))
        params.append(torch.tensor(layer.b.copy(), requires_grad=True))
    x = torch.tensor(trainer.dataset.x_train)
    t = torch.tensor(trainer.dataset.t_train)
    kinds = [layer.activation.kind for layer in trainer.network.layers]

    def loss_fn():
        a = x
        for (W, b), kind in zip(zip(params[::2], params[1::2], strict=True), kinds, strict=True):
            z = a @ W.T + b
            a = TORCH_ACTIVATIONS[kind](z)
        return torch_loss(trainer.experiment.loss, z, a, t)
    return params, loss_fn


CASES = [(h, l, o) for h in ("sigmoid", "tanh", "relu") for l, o in
         [("sse", "linear"), ("half_mse", "sigmoid"), ("bce", "sigmoid"),
          ("cross_entropy", "softmax"), ("huber", "linear")]]


@pytest.mark.parametrize("hidden, loss, output", CASES)
def test_loss_and_gradients_equal_autograd(hidden, loss, output):
    trainer = build(hidden, loss, output, 5, {"kind": "sgd", "learning_rate": 0.1})
    params, loss_fn = torch_model(trainer)
    value = loss_fn()
    value.backward()
    trainer.step()
    assert trainer.history.last()["loss"] == pytest.approx(value.item(), rel=1e-13)
    for layer, W, b in zip(trainer.network.layers, params[::2], params[1::2], strict=True):
        assert layer.dW == pytest.approx(W.grad.numpy(), rel=1e-11, abs=1e-15)
        assert layer.db == pytest.approx(b.grad.numpy(), rel=1e-11, abs=1e-15)


@pytest.mark.parametrize("optimizer, torch_optimizer", [
    ({"kind": "sgd", "learning_rate": 0.1, "momentum": 0.9},
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    ({"kind": "sgd", "learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    ({"kind": "rmsprop", "learning_rate": 0.01, "rho": 0.9, "epsilon": 1e-8},
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-8)),
    ({"kind": "adam", "learning_rate": 0.01},
     lambda p: torch.optim.Adam(p, lr=0.01)),
])
@pytest.mark.parametrize("clipping", [None, {"kind": "global_norm", "threshold": 0.05}])
def test_twenty_steps_equal_torch_optim(optimizer, torch_optimizer, clipping):
    trainer = build("tanh", "mse", "linear", 7, optimizer, clipping)
    params, loss_fn = torch_model(trainer)
    opt = torch_optimizer(params)
    for _ in range(20):
        opt.zero_grad()
        loss_fn().backward()
        if clipping:
            torch.nn.utils.clip_grad_norm_(params, clipping["threshold"])
        opt.step()
    trainer.run(steps=20)
    for layer, W, b in zip(trainer.network.layers, params[::2], params[1::2], strict=True):
        assert layer.W == pytest.approx(W.detach().numpy(), rel=1e-10, abs=1e-13)  # noqa: SIM300 - W names a matrix, not a constant
        assert layer.b == pytest.approx(b.detach().numpy(), rel=1e-10, abs=1e-13)
