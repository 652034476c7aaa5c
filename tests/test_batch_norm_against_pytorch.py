"""Batch normalisation against torch.nn.BatchNorm1d and torch.optim, in float64 (skipped
without torch).

PyTorch is never a dependency; this comparison runs where it happens to be installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim

torch = pytest.importorskip("torch")
torch.set_default_dtype(torch.float64)

MOMENTUM, EPSILON = 0.2, 1e-3  # not the defaults, so that both are seen to be read


def build(optimizer: dict, clipping: dict | None, batch_size: int | None = 4,
          regularization: dict | None = None) -> sim.Trainer:
    """Two normalised tanh layers, a normalised linear output (no biases), mse; 8 samples in
    batches of 4 without shuffling, so that torch sees the same batches."""
    rng = np.random.default_rng(11)
    x = rng.normal(size=(8, 3))
    t = rng.normal(size=(8, 2))
    norm = {"momentum": MOMENTUM, "epsilon": EPSILON}
    return sim.Trainer(sim.parse({
        "seed": 3, "loss": "mse", "batch_size": batch_size, "shuffle": False,
        "data": {"kind": "inline", "inputs": x.tolist(), "targets": t.tolist()},
        "network": {"inputs": 3, "init": {"kind": "normal", "std": 0.8},
                    "layers": [{"units": 4, "activation": "tanh", "batch_norm": norm,
                                "gamma": [1.0, 0.5, 2.0, 1.5], "beta": [0.0, 0.1, -0.2, 0.3]},
                               {"units": 3, "activation": "tanh", "batch_norm": norm},
                               {"units": 2, "activation": "linear", "batch_norm": norm}]},
        "optimizer": optimizer, "clipping": clipping or {"kind": "none"},
        "regularization": regularization or {}}))


class TorchModel:
    """The same network in torch: Linear layers without bias, each followed by BatchNorm1d."""

    def __init__(self, trainer: sim.Trainer) -> None:
        self.linears, self.norms = [], []
        for layer in trainer.network.layers:
            linear = torch.nn.Linear(layer.fan_in, layer.units, bias=False)
            norm = torch.nn.BatchNorm1d(layer.units, momentum=MOMENTUM, eps=EPSILON)
            with torch.no_grad():
                linear.weight.copy_(torch.tensor(layer.W))
                norm.weight.copy_(torch.tensor(layer.norm.gamma))
                norm.bias.copy_(torch.tensor(layer.norm.beta))
            self.linears.append(linear)
            self.norms.append(norm)
        self.kinds = [layer.activation.kind for layer in trainer.network.layers]
        self.groups = [[linear.weight, norm.weight, norm.bias]
                       for linear, norm in zip(self.linears, self.norms, strict=True)]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        a = x
        for linear, norm, kind in zip(self.linears, self.norms, self.kinds, strict=True):
            y = norm(linear(a))
            a = torch.tanh(y) if kind == "tanh" else y
        return a

    def train(self, training: bool) -> None:
        for norm in self.norms:
            norm.train(training)


def torch_steps(model: TorchModel, trainer: sim.Trainer, make_optimizer, clipping: dict | None,
                steps: int, batch: int = 4, l1: float = 0.0, l2: float = 0.0) -> None:
    x = torch.tensor(trainer.dataset.x_train)
    t = torch.tensor(trainer.dataset.t_train)
    optimizer = make_optimizer([p for group in model.groups for p in group])
    for step in range(steps):
        start = step * batch % x.shape[0]
        optimizer.zero_grad()
        loss = ((model(x[start:start + batch]) - t[start:start + batch]) ** 2).mean()
        for linear in model.linears:  # the penalties: on the weights, never on gamma or beta
            loss = loss + 0.5 * l2 * (linear.weight ** 2).sum() + l1 * linear.weight.abs().sum()
        loss.backward()
        if clipping and clipping["kind"] == "global_norm":
            torch.nn.utils.clip_grad_norm_([p for group in model.groups for p in group],
                                           clipping["threshold"])
        elif clipping and clipping["kind"] == "layer_norm":
            for group in model.groups:
                torch.nn.utils.clip_grad_norm_(group, clipping["threshold"])
        elif clipping:
            torch.nn.utils.clip_grad_value_([p for group in model.groups for p in group],
                                            clipping["threshold"])
        optimizer.step()


def assert_same(trainer: sim.Trainer, model: TorchModel) -> None:
    for layer, linear, norm in zip(trainer.network.layers, model.linears, model.norms,
                                   strict=True):
        ours = layer.norm
        assert layer.W == pytest.approx(linear.weight.detach().numpy(), rel=1e-10, abs=1e-13)  # noqa: SIM300 - W names a matrix, not a constant
        assert ours.gamma == pytest.approx(norm.weight.detach().numpy(), rel=1e-10, abs=1e-13)
        assert ours.beta == pytest.approx(norm.bias.detach().numpy(), rel=1e-10, abs=1e-13)
        assert ours.running_mean == pytest.approx(norm.running_mean.numpy(), rel=1e-10,
                                                  abs=1e-13)
        assert ours.running_var == pytest.approx(norm.running_var.numpy(), rel=1e-10, abs=1e-13)


def test_one_step_gives_torchs_loss_and_gradients():
    trainer = build({"kind": "sgd", "learning_rate": 0.1}, None)
    model = TorchModel(trainer)
    x = torch.tensor(trainer.dataset.x_train[:4])
    t = torch.tensor(trainer.dataset.t_train[:4])
    loss = ((model(x) - t) ** 2).mean()
    loss.backward()
    trainer.step()
    assert trainer.history.last()["loss"] == pytest.approx(loss.item(), rel=1e-13)
    for layer, (weight, gamma, beta) in zip(trainer.network.layers, model.groups, strict=True):
        assert layer.dW == pytest.approx(weight.grad.numpy(), rel=1e-10, abs=1e-14)
        assert layer.norm.dgamma == pytest.approx(gamma.grad.numpy(), rel=1e-10, abs=1e-14)
        assert layer.norm.dbeta == pytest.approx(beta.grad.numpy(), rel=1e-10, abs=1e-14)


OPTIMIZERS = [
    ({"kind": "sgd", "learning_rate": 0.1}, lambda p: torch.optim.SGD(p, lr=0.1)),
    ({"kind": "sgd", "learning_rate": 0.1, "momentum": 0.9},
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    ({"kind": "sgd", "learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    ({"kind": "rmsprop", "learning_rate": 0.01, "rho": 0.9, "epsilon": 1e-8},
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-8)),
    ({"kind": "adam", "learning_rate": 0.01}, lambda p: torch.optim.Adam(p, lr=0.01)),
]
CLIPPINGS = [None, {"kind": "global_norm", "threshold": 0.05},
             {"kind": "layer_norm", "threshold": 0.05}, {"kind": "value", "threshold": 0.01}]


@pytest.mark.parametrize("optimizer, torch_optimizer", OPTIMIZERS)
@pytest.mark.parametrize("clipping", CLIPPINGS)
def test_ten_steps_equal_torch(optimizer, torch_optimizer, clipping):
    trainer = build(optimizer, clipping)
    model = TorchModel(trainer)
    torch_steps(model, trainer, torch_optimizer, clipping, 10)
    trainer.run(steps=10)
    assert_same(trainer, model)


@pytest.mark.parametrize("optimizer, torch_optimizer", OPTIMIZERS[1::2])
def test_penalties_on_the_weights_alone_equal_torch(optimizer, torch_optimizer):
    regularization = {"l1": 0.01, "l2": 0.05}
    clipping = {"kind": "global_norm", "threshold": 0.05}
    trainer = build(optimizer, clipping, regularization=regularization)
    model = TorchModel(trainer)
    torch_steps(model, trainer, torch_optimizer, clipping, 10, **regularization)
    trainer.run(steps=10)
    assert_same(trainer, model)


def test_evaluation_uses_the_running_statistics_as_torch_eval_does():
    trainer = build({"kind": "adam", "learning_rate": 0.01}, None)
    model = TorchModel(trainer)
    torch_steps(model, trainer, lambda p: torch.optim.Adam(p, lr=0.01), None, 6)
    trainer.run(steps=6)
    x = trainer.dataset.x_train
    model.train(False)
    with torch.no_grad():
        expected = model(torch.tensor(x)).numpy()
    assert trainer.network.predict(x) == pytest.approx(expected, rel=1e-10, abs=1e-13)
