"""The numbers of ../shared/reference/worked-examples.md, reproduced by the engine."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest

import sim
from sim.address import ParameterAddress
from sim.clipping import ClippingSpec, clip
from sim.initializers import InitSpec
from sim.optimizers import OptimizerSpec, make_optimizer
from tests.conftest import LESSONS


def lesson(name: str) -> sim.Trainer:
    return sim.Trainer(sim.load(LESSONS / name))


# ---------------------------------------------------------------- 1. seed 003, 2-2-1

def test_seed003_forward_pass_and_error():
    trainer = lesson("seed003-walkthrough.json")
    trainer.step()
    p = trainer.current_pass
    assert p.a[1][0] == pytest.approx([0.5841905229, 0.5695462239], rel=1e-9)
    assert p.a[2][0, 0] == pytest.approx(0.6536874013, rel=1e-9)
    assert p.loss == pytest.approx(1.0724284e-3, rel=1e-7)


def test_seed003_gradients():
    trainer = lesson("seed003-walkthrough.json")
    trainer.step()
    hidden, output = trainer.network.layers
    # Rows are the receiving unit j, columns the sending unit i: weights[j][i] is w_ji.
    assert hidden.dW[0] == pytest.approx([-7.6402523e-4, -1.2224404e-3], rel=1e-7)
    assert hidden.dW[1] == pytest.approx([-6.4258867e-4, -1.0281419e-3], rel=1e-7)
    assert output.dW[0] == pytest.approx([-6.1248022e-3, -5.9712676e-3], rel=1e-7)


# ---------------------------------------------------------------- 2. seed 004, two neurons

def test_seed004_forward():
    trainer = lesson("two-neuron-chain.json")
    trainer.step()
    p = trainer.current_pass
    assert p.a[1][0, 0] == pytest.approx(0.602286, abs=5e-7)
    assert p.a[2][0, 0] == pytest.approx(0.715252, abs=5e-7)


@pytest.mark.parametrize("name, expected", [
    # (w2, b2, w1, b1) after one step, from the reference table
    ("two-neuron-chain.json", (0.427172, 0.612097, 0.149591, 0.395914)),  # 1/2 (T - a2)^2
    ("two-neuron-chain-sse.json", (0.404344, 0.574195, 0.149183, 0.391829)),  # (T - a2)^2
])
def test_seed004_one_step_in_both_loss_conventions(name, expected):
    trainer = lesson(name)
    trainer.step()
    first, second = trainer.network.layers
    got = (second.W[0, 0], second.b[0], first.W[0, 0], first.b[0])
    assert got == pytest.approx(expected, abs=5e-7)


def test_seed004_hidden_delta_uses_the_old_outgoing_weight():
    """With the freshly updated w2 the hidden bias would come out 0.396122, not 0.395914."""
    trainer = lesson("two-neuron-chain.json")
    trainer.step()
    assert trainer.network.layers[0].b[0] == pytest.approx(0.395914, abs=5e-7)
    assert abs(trainer.network.layers[0].b[0] - 0.396122) > 1e-4


def test_seed004_printed_gradients_are_those_of_half_the_squared_error():
    half, full = lesson("two-neuron-chain.json"), lesson("two-neuron-chain-sse.json")
    half.step()
    full.step()
    w2_half = half.chain_rule(ParameterAddress(2, 0, 0))
    w2_full = full.chain_rule(ParameterAddress(2, 0, 0))
    assert w2_half.gradient == pytest.approx(0.05706, abs=2e-5)  # the seed's printed number
    assert w2_full.gradient == pytest.approx(0.1141, abs=1e-4)  # 0.9306 x 0.2036 x 0.6023
    assert w2_full.dE_da[0] == pytest.approx(0.9306, abs=1e-4)  # the seed's dE/da2 = 2(a2 - T)
    assert w2_full.gradient == pytest.approx(2 * w2_half.gradient, rel=1e-12)


# ---------------------------------------------------------------- 3. z = 2x

@pytest.mark.parametrize("name, expected", [
    ("gradient-descent-z2x-one-point.json", (1.6, 1.92, 1.984, 1.9968)),
    ("gradient-descent-z2x.json", (1.866667, 1.991111, 1.999407, 1.999960)),
    ("gradient-descent-z2x-too-large.json", (4.0, 0.0, 4.0, 0.0)),
])
def test_gradient_descent_on_z_equals_2x(name, expected):
    trainer = lesson(name)
    weights = []
    for _ in range(4):
        trainer.step()
        weights.append(trainer.network.layers[0].W[0, 0])
    assert weights == pytest.approx(expected, abs=5e-7)
    xs = trainer.dataset.x_train[:, 0]
    closed_form = [2 * (1 - (1 - 0.8 * np.mean(xs ** 2)) ** k) for k in range(1, 5)]
    assert weights == pytest.approx(closed_form, abs=1e-12)


# ---------------------------------------------------------------- 4. clipping

def _clip_flat(gradients: list[list[float]], threshold: float):
    flat = np.concatenate([np.array(g, dtype=float) for g in gradients])
    sizes = np.cumsum([0] + [len(g) for g in gradients])
    segments = [slice(int(a), int(b)) for a, b in pairwise(sizes)]
    norms = np.array([np.linalg.norm(flat[s]) for s in segments])
    result = clip(ClippingSpec("global_norm", threshold), flat, segments, norms,
                  float(np.linalg.norm(flat)))
    return flat, segments, result


def test_global_norm_clipping_over_two_tensors():
    flat, segments, result = _clip_flat([[3.0, 4.0], [12.0]], 1.0)
    assert result.clipped and result.norm_before == pytest.approx(13.0, rel=1e-15)
    assert flat[segments[0]] == pytest.approx([0.2307692, 0.3076923], abs=5e-8)
    assert flat[segments[1]] == pytest.approx([0.9230769], abs=5e-8)
    # PyTorch's rule: coef = threshold / (norm + 1e-6), exactly.
    assert flat == pytest.approx(np.array([3.0, 4.0, 12.0]) * (1.0 / (13.0 + 1e-6)), rel=1e-15)


def test_per_tensor_clipping_would_differ():
    """Keras' clipnorm clips each tensor alone: [0.6, 0.8] and [1.0]; ours is one global norm."""
    flat, segments, _ = _clip_flat([[3.0, 4.0], [12.0]], 1.0)
    assert not np.allclose(flat[segments[0]], [0.6, 0.8], atol=1e-3)


def test_seed000_clipping_example_with_correct_arithmetic():
    flat, _, result = _clip_flat([[12.0, -8.0, 15.0]], 5.0)
    assert result.norm_before == pytest.approx(math.sqrt(433.0), rel=1e-15)  # 20.8087
    assert flat == pytest.approx([2.8834158, -1.9222772, 3.6042698], abs=5e-8)
    assert np.linalg.norm(flat) == pytest.approx(5.0, rel=1e-6)


def test_seed000_published_clipping_numbers_use_a_wrong_norm():
    """The seed (and the reference copying it) prints norm 21.38 and [2.806, -1.871, 3.508].

    Those are 5/21.38 times the gradient, but the norm of [12, -8, 15] is sqrt(433) = 20.81:
    the published numbers carry an arithmetic slip. This test pins the slip down so the
    lesson's explanation of it stays true.
    """
    published_norm, published_clipped = 21.3776, np.array([2.806, -1.871, 3.508])
    gradient = np.array([12.0, -8.0, 15.0])
    # printed to 3 decimals, truncated (2.8067 appears as 2.806)
    assert published_clipped == pytest.approx(5.0 * gradient / published_norm, abs=1e-3)
    assert abs(np.linalg.norm(gradient) - published_norm) > 0.5


def test_clipping_lesson_takes_the_clipped_step():
    trainer = lesson("clipping-seed000.json")
    trainer.step()
    assert trainer.history.last()["grad_norm"] == pytest.approx(math.sqrt(433.0), rel=1e-12)
    assert trainer.network.layers[0].W[0] == pytest.approx([-2.8834158, 1.9222772, -3.6042698],
                                                           abs=5e-8)
    assert [event.kind for event in trainer.events] == ["clip"]


# ---------------------------------------------------------------- 5. optimizers

def _run_optimizer(spec: OptimizerSpec, gradients, learning_rates, start=1.0):
    optimizer = make_optimizer(spec, 1)
    p = np.array([start])
    out = np.zeros(1)
    history = []
    for g, lr in zip(gradients, learning_rates, strict=True):
        optimizer.compute(np.array([g]), lr, out)
        p = p + out
        history.append(float(p[0]))
    return history, optimizer


def test_momentum_in_the_1986_form_with_a_changing_learning_rate():
    history, _ = _run_optimizer(OptimizerSpec("sgd", momentum=0.9), [1.0, 2.0, -1.0],
                                [0.1, 0.1, 0.05])
    assert history == pytest.approx([0.9, 0.61, 0.399], abs=1e-12)
    # PyTorch's form (v = mu v + g; w -= lr v) gives 0.5295 at the third step instead.
    v, p, torch_form = 0.0, 1.0, []
    for g, lr in zip([1.0, 2.0, -1.0], [0.1, 0.1, 0.05], strict=True):
        v = 0.9 * v + g
        p -= lr * v
        torch_form.append(p)
    assert torch_form == pytest.approx([0.9, 0.61, 0.5295], abs=1e-12)
    assert history[2] != pytest.approx(torch_form[2], abs=1e-3)


def test_adam_against_kingma_and_ba():
    history, optimizer = _run_optimizer(OptimizerSpec("adam", learning_rate=0.001),
                                        [0.5, -0.2, 0.1], [0.001] * 3)
    assert history == pytest.approx([0.999000000020000, 0.998654394181165, 0.998275002408357],
                                    rel=1e-13)
    assert optimizer.m[0] == pytest.approx(0.0325, rel=1e-12)
    assert optimizer.v[0] == pytest.approx(2.9946025e-4, rel=1e-12)
    assert optimizer.t == 3


def test_adam_moments_after_each_step():
    expected = [(0.05, 2.5e-4), (0.025, 2.8975e-4), (0.0325, 2.9946025e-4)]
    optimizer = make_optimizer(OptimizerSpec("adam", learning_rate=0.001), 1)
    out = np.zeros(1)
    for g, (m, v) in zip([0.5, -0.2, 0.1], expected, strict=True):
        optimizer.compute(np.array([g]), 0.001, out)
        assert (optimizer.m[0], optimizer.v[0]) == pytest.approx((m, v), rel=1e-12)


def test_rmsprop_has_epsilon_outside_the_root():
    rho, lr, eps = 0.9, 0.01, 1e-8
    history, _ = _run_optimizer(OptimizerSpec("rmsprop", learning_rate=lr, rho=rho,
                                              epsilon=eps), [0.5, -0.2, 0.1], [lr] * 3)
    v, p, expected = 0.0, 1.0, []
    for g in [0.5, -0.2, 0.1]:
        v = rho * v + (1 - rho) * g * g
        p -= lr * g / (math.sqrt(v) + eps)
        expected.append(p)
    assert history == pytest.approx(expected, rel=1e-14)


# ---------------------------------------------------------------- 6. initialisation

def test_glorot_uniform_limit_for_784_to_256():
    rng = np.random.default_rng(0)
    weights, _ = InitSpec("xavier_uniform").draw_layer(256, 784, rng)
    limit = 0.0759554525
    assert np.abs(weights).max() <= limit
    assert np.abs(weights).max() > 0.999 * limit


def test_he_normal_std_for_fan_in_784():
    rng = np.random.default_rng(0)
    weights, _ = InitSpec("he_normal").draw_layer(256, 784, rng)
    assert weights.std() == pytest.approx(0.0505076272, rel=0.01)


def test_glorot_normal_and_he_uniform_scales():
    rng = np.random.default_rng(1)
    normal, _ = InitSpec("xavier_normal").draw_layer(256, 784, rng)
    assert normal.std() == pytest.approx(math.sqrt(2 / (784 + 256)), rel=0.01)
    uniform, _ = InitSpec("he_uniform").draw_layer(256, 784, rng)
    assert np.abs(uniform).max() <= math.sqrt(6 / 784)
    assert np.abs(uniform).max() > 0.999 * math.sqrt(6 / 784)


def test_bias_same_is_drawn_like_the_weights_and_constants_are_constant():
    rng = np.random.default_rng(2)
    weights, biases = InitSpec("uniform", low=2.0, high=3.0, bias="same").draw_layer(4, 3, rng)
    assert ((biases >= 2.0) & (biases < 3.0)).all() and ((weights >= 2.0) & (weights < 3.0)).all()
    weights, biases = InitSpec("constant", value=0.25, bias=-1.0).draw_layer(4, 3, rng)
    assert (weights == 0.25).all() and (biases == -1.0).all()
