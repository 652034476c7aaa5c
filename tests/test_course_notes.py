"""docs/course-notes.md: the arithmetic of each note on the course text, and every number it states.

One test per section of the page. Each computes the section's arithmetic, by the engine (a run
of the lesson the note belongs to) or by plain arithmetic, and accounts for every number the
section writes (``tests.lesson_text``): a number the seed prints and the arithmetic contradicts
is ``quotes``, a number a seed prints and the note only cites is ``cites``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import sim
from sim import lessons
from sim.address import ParameterAddress
from tests.conftest import ROOT
from tests.lesson_text import TextClaims

PAGE = ROOT / "docs" / "course-notes.md"


def section(number: str) -> TextClaims:
    """The section whose heading starts with ``number`` ("1." or "Earlier"), heading included;
    its heading's own number is accounted for."""
    sections = PAGE.read_text(encoding="utf-8").split("\n## ")[1:]
    found = [text for text in sections if text.startswith(number)]
    assert len(found) == 1, f"no single section {number!r}"
    claims = TextClaims(found[0])
    if number[0].isdigit():
        claims.names(number.rstrip("."), "the section's number")
    return claims


def lesson(name: str) -> sim.Trainer:
    return sim.Trainer(lessons.load_lesson(name))


def weights(name: str, steps: int, rate: float | None = None) -> list[float]:
    """w after each of the first ``steps`` steps of a one-weight lesson (at another rate)."""
    experiment = lessons.load_lesson(name)
    if rate is not None:
        experiment = experiment.replace(optimizer=dataclasses.replace(experiment.optimizer,
                                                                      learning_rate=rate))
    trainer = sim.Trainer(experiment)
    path: list[float] = []
    trainer.run(steps=steps, on_step=lambda t: path.append(float(t.network.layers[0].W[0, 0])))
    return path


def chain(name: str = "two-neuron-chain.json") -> tuple[sim.Trainer, dict[str, float]]:
    """The chain after one step, with the gradients of that step."""
    trainer = lesson(name)
    trainer.step()
    addresses = {"w2": ParameterAddress(2, 0, 0), "b2": ParameterAddress(2, 0, None),
                 "w1": ParameterAddress(1, 0, 0), "b1": ParameterAddress(1, 0, None)}
    return trainer, {key: trainer.chain_rule(address).gradient
                     for key, address in addresses.items()}


def test_1_gradient_descent_on_z2x_cannot_take_the_seeds_path():
    text = section("1.")
    seed = (0.0, 0.8, 1.4, 2.0)  # w after iterations 0, 1, 2 and (≈) 4
    text.names("004", "seed 004")
    # The heading: z = 2x, and the seed's path.
    text.says("2", 2.0)
    for written in ("0", "0.8", "1.4", "2"):
        text.cites(written, "seed 004's path, in the heading")
    # The seed's set-up: z = w x through (1, 2) and (2, 4), from w = 0 with η = 0.4.
    seeds_points = lessons.load_lesson("gradient-descent-z2x-too-large.json")
    assert seeds_points.data.x == (1.0, 2.0) and seeds_points.data.slope == 2.0
    for written in ("1", "2", "2", "4"):
        text.says(written, float(written))
    text.says("0", seeds_points.network.layers[0].weights[0][0])
    text.says("0.4", seeds_points.optimizer.learning_rate)
    text.cites("0.8", "seed 004's w₁")
    text.cites("1.4", "seed 004's w₂")
    text.cites("2", "seed 004's w₄")
    text.says("4", 4)  # after 4 iterations
    # The line z = 2x; J′(w) = −2 mean(x²) (2 − w); 2 − wₖ₊₁ = (1 − 2 η mean(x²)) (2 − wₖ).
    text.says("2", 2.0)
    text.says("−2", -2.0)
    text.says("2", 2.0, times=4)
    text.says("1", 1.0)
    too_large = weights("gradient-descent-z2x-too-large.json", 4)
    mean_square = float(np.mean(np.array(seeds_points.data.x) ** 2))
    factor = 1 - 2 * 0.4 * mean_square
    assert [2 - w for w in too_large] == pytest.approx([2 * factor ** k for k in range(1, 5)],
                                                       abs=1e-12)
    # The seed's gaps and the fractions its steps close.
    gaps = [2 - w for w in seed[:3]]
    for written, gap in zip(("2", "1.2", "0.6"), gaps, strict=True):
        text.says(written, gap)
    text.says("40%", 1 - gaps[1] / gaps[0])
    text.says("50%", 1 - gaps[2] / gaps[1])
    # With the seed's own points.
    text.says("2.5", mean_square, times=2)
    text.says("1", 1.0)
    text.says("2", 2.0)
    text.says("0.4", 0.4)
    text.says("−1", factor)
    text.says("0", 0.0)
    for written, w in zip(("4", "0", "4"), too_large[:3], strict=True):
        text.says(written, w)
    # The rate whose first step reaches 0.8, and its path.
    rate = 0.8 / (2 * mean_square * 2)
    text.cites("0.8", "seed 004's w₁")
    text.says("0.08", rate)
    text.says("0.6", 1 - 2 * rate * mean_square)
    slow = weights("gradient-descent-z2x-too-large.json", 4, rate)
    for written, w in zip(("0.8", "1.28", "1.568", "1.741"), slow, strict=True):
        text.says(written, w)
    # Only a minimum at 3.2 fits the seed's first two steps: w₁ = m (1 − r), w₂ = m (1 − r²).
    r = seed[2] / seed[1] - 1
    minimum = seed[1] / (1 - r)
    text.says("3.2", minimum)
    text.says("0.75", r)
    text.says("2.19", minimum * (1 - r ** 4))
    # The lesson where η = 0.4 converges.
    converging = lessons.load_lesson("gradient-descent-z2x.json")
    for written, x in zip(("0.5", "1", "1.5"), converging.data.x, strict=True):
        text.says(written, x)
    text.says("0.4", converging.optimizer.learning_rate)
    for written, w in zip(("1.8667", "1.9911", "1.9994", "1.99996"),
                          weights("gradient-descent-z2x.json", 4), strict=True):
        text.says(written, w)
    for name in ("gradient-descent-z2x.json", "gradient-descent-z2x-too-large.json"):
        assert lessons.load_lesson(name).view.printed_path.values == seed
    text.done()


def test_2_the_error_of_the_chain():
    text = section("2.")
    trainer, _ = chain("two-neuron-chain-sse.json")
    p = trainer.current_pass
    a2 = p.a[2][0, 0]
    text.says("0.21646", p.loss, times=2)
    text.quotes("0.2176", p.loss, times=2)
    text.names("004", "seed 004")
    experiment = trainer.experiment
    first, second = experiment.network.layers
    for written, value in zip(("0.1", "0.15", "0.4", "0.45", "0.65", "0.25"),
                              (experiment.data.inputs[0][0], first.weights[0][0],
                               first.biases[0], second.weights[0][0], second.biases[0],
                               experiment.data.targets[0][0]), strict=True):
        text.says(written, value)
    text.says("0.715252", a2)
    text.says("0.25", 0.25)
    text.says("0.7153", a2, times=2)
    text.says("0.21650", (0.25 - round(a2, 4)) ** 2)
    text.done()


def test_3_the_slope_of_the_first_sigmoid():
    text = section("3.")
    trainer, gradient = chain()
    a1 = trainer.current_pass.a[1][0, 0]
    slope = a1 * (1 - a1)
    text.says("0.23954", slope, times=2)
    text.quotes("0.2397", slope, times=2)
    text.says("1", 1, times=3)  # a₁(1 − a₁), twice, and (1 − 0.6023)
    text.says("0.6023", a1, times=3)
    text.says("0.3977", 1 - a1)
    assert trainer.current_pass.fprime[1][0, 0] == pytest.approx(slope, rel=1e-12)  # f′(z⁽¹⁾₁)
    text.says("0.001021", gradient["w1"])
    text.says("0.01021", gradient["b1"])
    text.done()


def test_4_the_small_gradient_of_w1_is_the_inputs_and_one_layers_factor():
    text = section("4.")
    trainer, gradient = chain()
    a1 = trainer.current_pass.a[1][0, 0]
    x = trainer.dataset.x_train[0, 0]
    w2 = trainer.experiment.network.layers[1].weights[0][0]
    text.names("004", "seed 004")
    text.says("0.001021", gradient["w1"])
    text.says("56", gradient["w2"] / gradient["w1"], times=2)
    text.says("0.05707", gradient["w2"])
    text.says("0.1", x)
    text.says("0.6023", a1)
    text.says("6.0", a1 / x)
    text.says("1", 1, times=2)  # the biases' input; a₁(1 − a₁)
    text.says("0.01021", gradient["b1"])
    text.says("0.09476", gradient["b2"])
    chain_factor = gradient["b1"] / gradient["b2"]
    text.says("0.108", chain_factor)
    text.says("9.3", 1 / chain_factor)
    text.says("0.45", w2)
    text.says("0.2395", a1 * (1 - a1))
    assert chain_factor == pytest.approx(w2 * a1 * (1 - a1), rel=1e-12)
    # The weights' ratio is exactly the chain's factor times the inputs' ratio.
    assert gradient["w1"] / gradient["w2"] == pytest.approx(chain_factor * x / a1, rel=1e-12)
    text.says("0.25", trainer.network.layers[0].activation.max_derivative)
    deep = lesson("vanishing-sigmoid.json")
    deep.step()
    text.says("8", deep.network.depth - 1)
    norms = [deep.history.column(f"grad_norm_{k}")[0] for k in (1, deep.network.depth)]
    text.says("1.4 × 10⁵", norms[1] / norms[0])
    text.done()


def test_5_larger_batches_take_fewer_steps_for_the_same_work():
    text = section("5.")
    text.names("002", "seed 002")
    runs = {}
    for name in ("full", "mini", "stochastic"):
        trainer = lesson(f"batch-{name}.json")
        trainer.run()
        runs[name] = trainer
    full = runs["full"]
    samples = len(full.dataset.x_train)
    text.says("30", full.epoch_count)
    text.says("1920", full.epoch_count * samples)
    text.says("64", samples)
    dataset = full.dataset
    losses = {name: trainer.network.loss_value(dataset.x_train, dataset.t_train, "bce")
              for name, trainer in runs.items()}
    assert all(np.array_equal(trainer.dataset.x_train, dataset.x_train)
               for trainer in runs.values())  # the same points
    text.says("0.22", losses["full"])
    text.says("30", full.step_count)
    text.says("0.087", losses["mini"])
    text.says("8", runs["mini"].batch_size)
    text.says("240", runs["mini"].step_count)
    text.says("0.0033", losses["stochastic"])
    text.says("1", runs["stochastic"].batch_size)
    text.says("1920", runs["stochastic"].step_count)
    text.done()


def test_6_early_stopping_chooses_by_the_validation_data():
    text = section("6.")
    text.names("003", "seed 003")
    trainer = lesson("overfitting-early-stopping.json")
    trainer.run()
    dataset = trainer.dataset
    scores = trainer.history.column("val_loss")
    text.says("151", trainer.best["step"])
    text.says("70", len(dataset.x_val))
    restored = trainer.network.loss_value(dataset.x_val, dataset.t_val, "bce")
    assert restored == np.nanmin(scores)  # the lowest of the validation scores
    text.says("0.401", restored)
    text.says("351", np.count_nonzero(np.isfinite(scores)))
    text.done()


def test_7_initialisation_does_not_stop_overfitting():
    text = section("7.")
    text.names("002", "seed 002")
    experiment = lessons.load_lesson("overfitting.json")
    assert experiment.network.init.kind == "xavier_uniform"

    def validation(kind: str) -> np.ndarray:
        network = experiment.network
        trainer = sim.Trainer(experiment.replace(network=dataclasses.replace(
            network, init=dataclasses.replace(network.init, kind=kind))))
        trainer.run()
        return trainer.history.column("val_loss")

    xavier, he = validation("xavier_uniform"), validation("he_uniform")
    text.says("0.40", np.nanmin(xavier))
    text.says("151", int(np.nanargmin(xavier)) + 1)
    text.says("1.59", xavier[-1])
    text.says("2000", len(xavier))
    text.says("0.44", np.nanmin(he))
    text.says("140", int(np.nanargmin(he)) + 1)
    text.says("1.88", he[-1])
    text.says("4.3", he[-1] / np.nanmin(he))
    text.done()


def test_earlier_notes_the_loss_convention_and_the_clipping_norm():
    text = section("Earlier")
    text.names("004", "seed 004")
    text.names("000", "seed 000")
    _, half_gradient = chain()
    sse, sse_gradient = chain("two-neuron-chain-sse.json")
    a2 = sse.current_pass.a[2][0, 0]
    text.says("2", 2, times=3)  # (T − a₂)², "the factor 2", "with the 2"
    seeds = 2 * (round(a2, 4) - 0.25)
    text.says("0.9306", seeds, times=2)
    text.cites("0.05706", "seed 004's printed ∂E/∂w₂")
    assert half_gradient["w2"] == pytest.approx(0.05706, abs=2e-5)
    text.says("0.1141", sse_gradient["w2"])
    text.says("0.7153", a2)
    dE_da = sse.chain_rule(ParameterAddress(2, 0, 0)).dE_da[0]
    text.says("0.9305", dE_da)
    assert round(dE_da, 4) != round(seeds, 4)
    # Clipping: seed 000's norm and the right one.
    gradient = np.array([12.0, -8.0, 15.0])
    for written, value in zip(("12", "−8", "15"), gradient, strict=True):
        text.says(written, value)
    text.says("5", 5, times=2)
    text.quotes("21.4", float(np.linalg.norm(gradient)), times=2)
    for written, value in zip(("2.8", "−1.9", "3.5"), 5 / 21.4 * gradient, strict=True):
        text.says(written, value)
    text.says("433", float(gradient @ gradient), times=2)
    trainer = lesson("clipping-seed000.json")
    trainer.step()
    norm = trainer.last_clip.norm_before
    text.says("20.81", norm)
    assert math.isclose(norm, math.sqrt(433), rel_tol=1e-15)
    for written, value in zip(("2.883", "−1.922", "3.604"), -trainer.network.layers[0].W[0],
                              strict=True):
        text.says(written, value)
    text.done()
