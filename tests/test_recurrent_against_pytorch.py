"""The recurrent engine against PyTorch's nn.RNNCell and nn.LSTMCell unrolled by hand, autograd
and torch.optim, in float64 (skipped without torch, as tests/test_against_pytorch.py)."""

from __future__ import annotations

import numpy as np
import pytest

from sim import recurrent_experiment as rx
from sim.recurrent_trainer import RecurrentTrainer

torch = pytest.importorskip("torch")
torch.set_default_dtype(torch.float64)

STEPS = 4


def trainer(cell: str, optimizer: dict, clipping: dict) -> RecurrentTrainer:
    rng = np.random.default_rng(11)
    x = rng.normal(size=(6, 7, 2))
    t = (rng.uniform(size=(6, 1)) > 0.5).astype(float)
    return RecurrentTrainer(rx.parse_recurrent({
        "seed": 5, "loss": "bce", "shuffle": False,
        "data": {"kind": "inline", "inputs": x.tolist(), "targets": t.tolist()},
        "network": {"kind": "recurrent", "inputs": 2, "cell": cell, "hidden": 4,
                    "output": {"units": 1, "activation": "sigmoid"},
                    "init": {"kind": "normal", "std": 0.6, "bias": "same"}},
        "optimizer": optimizer, "clipping": clipping}))


def torch_cell(ours: RecurrentTrainer):
    network = ours.network
    size = (network.inputs, network.hidden)
    cell = torch.nn.LSTMCell(*size) if network.cell == "lstm" else torch.nn.RNNCell(*size)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(network.view("input")))
        cell.weight_hh.copy_(torch.tensor(network.view("recurrent")))
        cell.bias_ih.copy_(torch.tensor(network.view("bias")))
        cell.bias_hh.zero_()
    cell.bias_hh.requires_grad_(False)  # one bias vector, as the engine has
    output = torch.nn.Linear(network.hidden, 1)
    with torch.no_grad():
        output.weight.copy_(torch.tensor(network.view("output")))
        output.bias.copy_(torch.tensor(network.view("output_bias")))
    return cell, output


def torch_loss(cell, output, x, t, lstm: bool):
    """The loss and every hidden state h_1..h_T (their .grad kept)."""
    h = torch.zeros(x.shape[0], cell.hidden_size)
    c = torch.zeros_like(h)
    states = []
    for step in range(x.shape[1]):
        if lstm:
            h, c = cell(x[:, step], (h, c))
        else:
            h = cell(x[:, step], h)
        h.retain_grad()
        states.append(h)
    z = output(h)
    return torch.nn.functional.binary_cross_entropy_with_logits(z, t), states


@pytest.mark.parametrize("cell", ["elman", "lstm"])
@pytest.mark.parametrize("optimizer, clipping", [
    ({"kind": "sgd", "learning_rate": 0.3, "momentum": 0.9}, {"kind": "none"}),
    ({"kind": "adam", "learning_rate": 0.05}, {"kind": "global_norm", "threshold": 0.05}),
])
def test_parameters_and_time_grad_norms_agree_with_pytorch(cell, optimizer, clipping):
    ours = trainer(cell, optimizer, clipping)
    model, output = torch_cell(ours)
    params = [model.weight_ih, model.weight_hh, model.bias_ih, output.weight, output.bias]
    if optimizer["kind"] == "sgd":
        opt = torch.optim.SGD(params, lr=optimizer["learning_rate"],
                              momentum=optimizer["momentum"])
    else:
        opt = torch.optim.Adam(params, lr=optimizer["learning_rate"])
    x = torch.tensor(ours.dataset.x_train)
    t = torch.tensor(ours.dataset.t_train)
    for _ in range(STEPS):
        opt.zero_grad()
        loss, states = torch_loss(model, output, x, t, cell == "lstm")
        loss.backward()
        norms = [float(torch.linalg.norm(h.grad)) for h in states]
        if clipping["kind"] == "global_norm":
            torch.nn.utils.clip_grad_norm_(params, clipping["threshold"])
        opt.step()
        ours.step()
        record = ours.last_record
        assert record.loss == pytest.approx(float(loss.detach()), rel=1e-12)
        np.testing.assert_allclose(record.time_grad_norms, norms, rtol=1e-10)
    network = ours.network
    for key, theirs in zip(("input", "recurrent", "bias", "output", "output_bias"), params,
                           strict=True):
        np.testing.assert_allclose(network.view(key), theirs.detach().numpy(), rtol=1e-9,
                                   atol=1e-12)
