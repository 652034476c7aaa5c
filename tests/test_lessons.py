"""The lessons in assets/lessons: every one opens and runs, and each one's claim holds.

Each claim test runs its lesson headless through ``sim`` and checks what the lesson's text tells
the student to watch for, with thresholds taken from measured runs and a margin.
"""

from __future__ import annotations

import dataclasses
import re
from itertools import pairwise

import numpy as np
import pytest

import sim
from sim import lessons
from sim.address import ParameterAddress
from sim.cli import main as cli_main
from sim.data import SPAM_EXAMPLE


def lesson(name: str) -> sim.Trainer:
    return sim.Trainer(lessons.load_lesson(name))


def run(name: str, steps: int | None = None, epochs: int | None = None) -> sim.Trainer:
    trainer = lesson(name)
    trainer.run(steps=steps, epochs=epochs)
    return trainer


def stop_reason(trainer: sim.Trainer) -> str | None:
    event = trainer.stop_event
    return None if event is None else event.details.get("reason", event.kind)


def whole_set_loss(trainer: sim.Trainer) -> float:
    dataset = trainer.dataset
    return trainer.network.loss_value(dataset.x_train, dataset.t_train, trainer.experiment.loss)


def hidden_units_without_gradient(trainer: sim.Trainer) -> list[float]:
    """Per hidden layer: the fraction of units whose incoming weights all have gradient 0."""
    return [float(np.mean(np.all(layer.dW == 0.0, axis=1)))
            for layer in trainer.network.layers[:-1]]


# ---------------------------------------------------------------- every lesson

def test_index_lists_every_lesson_file_once_with_xor_first():
    names = [path.name for path in lessons.lesson_files()]
    on_disk = {path.name for path in lessons.lesson_dir().glob("*.json")} - {"index.json"}
    assert len(names) == len(set(names))
    assert set(names) == on_disk
    assert names[0] == lessons.DEFAULT_LESSON


@pytest.mark.parametrize("path", lessons.lesson_files(), ids=lambda path: path.stem)
def test_lesson_loads_and_runs_a_few_steps(path):
    experiment = sim.load(path)
    trainer = sim.Trainer(experiment)
    assert trainer.run(steps=3) == 3
    assert np.isfinite(trainer.history.column("loss")).all()
    stopping = experiment.stopping
    assert stopping.max_steps or stopping.max_epochs or stopping.loss_below  # Play ends


@pytest.mark.parametrize("path", lessons.lesson_files(), ids=lambda path: path.stem)
def test_lesson_has_a_title_and_three_to_six_sentences_of_guidance(path):
    experiment = sim.load(path)
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z'(])", experiment.description.strip())
    assert experiment.name != "untitled"
    assert 3 <= len(sentences) <= 6, sentences


def test_lesson_titles_are_distinct():
    titles = [sim.load(path).name for path in lessons.lesson_files()]
    assert len(titles) == len(set(titles))


def test_lessons_are_small_enough_to_draw():
    for path in lessons.lesson_files():
        network = sim.load(path).network
        assert network.inputs + sum(layer.units for layer in network.layers) <= 64, path.name


# ---------------------------------------------------------------- 4. learning rate

def test_learning_rate_too_small_crawls_right_converges_too_large_diverges():
    small = run("learning-rate-too-small.json")
    right = run("learning-rate-right.json")
    large = run("learning-rate-too-large.json")
    small_loss, right_loss = small.history.column("loss"), right.history.column("loss")
    assert len(small_loss) == len(right_loss) == 1000
    assert small_loss[-1] > 0.05  # measured 0.062
    assert small_loss[-101] - small_loss[-1] > 5e-4  # still going down at the end: 1.3e-3
    assert right_loss[99] < 0.01  # below 0.01 by step 76
    assert right_loss[-1] < 0.005  # 0.0036
    assert small_loss[-1] > 10 * right_loss[-1]
    # Too large: the loss overshoots above its start, then the run diverges (at step 197).
    assert large.diverged and large.step_count < 300
    large_loss = large.history.column("loss")
    assert large_loss[1] > large_loss[0] and large_loss[2] < large_loss[0]
    assert "diverged" in large.stop_event.message


# ---------------------------------------------------------------- 5. vanishing gradients

def first_to_last_layer_ratio(trainer: sim.Trainer) -> np.ndarray:
    depth = trainer.network.depth
    return trainer.history.column("grad_norm_1") / trainer.history.column(f"grad_norm_{depth}")


def test_deep_sigmoid_gradient_vanishes_and_the_network_does_not_learn():
    trainer = run("vanishing-sigmoid.json", steps=300)
    norms = [trainer.history.column(f"grad_norm_{k}")[0] for k in range(1, 10)]
    assert norms[0] < norms[-1] / 100  # measured: 2.1e-6 against 0.29
    assert all(lower < upper for lower, upper in pairwise(norms))  # shrinks layer by layer
    assert trainer.history.column("loss")[-1] > 0.69  # still a coin toss


@pytest.mark.parametrize("name", ["vanishing-relu.json", "vanishing-residual.json"])
def test_relu_and_residual_keep_the_first_layer_gradient_and_learn(name):
    trainer = run(name, steps=1000)
    ratios = first_to_last_layer_ratio(trainer)
    assert ratios[:100].min() > 1 / 100  # measured minima 0.16 (ReLU), 0.039 (residual)
    assert trainer.history.column("loss")[-1] < 0.01  # 0.0022 and 0.0010
    sigmoid = lesson("vanishing-sigmoid.json")
    sigmoid.step()
    assert ratios[0] > 1000 * first_to_last_layer_ratio(sigmoid)[0]


# ---------------------------------------------------------------- 6. exploding gradients

def test_without_clipping_the_gradient_explodes_and_the_run_diverges():
    trainer = run("exploding-gradients.json")
    norms = trainer.history.column("grad_norm")
    assert trainer.diverged and trainer.step_count < 10  # measured: diverged in step 4
    assert norms[0] > 1000  # 1.1e4
    assert all(later > 1000 * earlier for earlier, later in pairwise(norms))
    assert trainer.stop_event.details["quantity"] == "gradient"


def test_global_norm_clipping_tames_the_same_run():
    trainer = run("exploding-gradients-clipped.json")
    clipped = trainer.history.column("clipped")
    assert not trainer.diverged and trainer.step_count == 1000
    assert trainer.history.column("grad_norm")[0] > 1000  # the same first gradient
    assert (trainer.history.column("grad_norm_clipped") <= 5.0 + 1e-9).all()
    assert clipped[:18].all()  # every early step is clipped
    assert not clipped[100:].any()  # measured: the last clip is at step 21
    assert len(list(trainer.recent_events("clip"))) == trainer.clip_count
    assert trainer.history.column("loss")[-1] < 0.05  # measured 0.013


# ---------------------------------------------------------------- 7. plain, momentum, Adam

def steps_to_target(trainer: sim.Trainer) -> int:
    trainer.run()
    assert stop_reason(trainer) == "loss_below"
    return trainer.step_count


def test_momentum_and_adam_cross_the_ravine_much_faster_than_plain_descent():
    plain = steps_to_target(lesson("optimizer-plain.json"))  # measured 440
    momentum = steps_to_target(lesson("optimizer-momentum.json"))  # 84
    adam = steps_to_target(lesson("optimizer-adam.json"))  # 68
    assert momentum < plain / 3
    assert adam < plain / 3


def test_no_plain_learning_rate_matches_momentum_in_the_ravine():
    experiment = lessons.load_lesson("optimizer-plain.json")
    momentum = steps_to_target(lesson("optimizer-momentum.json"))

    def with_rate(rate: float) -> sim.Trainer:
        optimizer = dataclasses.replace(experiment.optimizer, learning_rate=rate)
        return sim.Trainer(experiment.replace(optimizer=optimizer))

    assert steps_to_target(with_rate(0.015)) > 2 * momentum  # 293 against 84
    unstable = with_rate(0.017)  # above 2 / 125, the steep direction's limit
    unstable.run()
    assert unstable.diverged


def test_momentum_overshoots_the_target_weight_like_a_heavy_ball():
    trainer = lesson("optimizer-momentum.json")
    w1 = []
    trainer.run(on_step=lambda t: w1.append(t.network.layers[0].W[0, 0]))
    assert max(w1) > 2.2  # measured 2.36; the target is 2


# ---------------------------------------------------------------- 8. batch sizes

def roughness(trainer: sim.Trainer) -> float:
    """Median size of the step-to-step change of log(loss): 0 for a smooth curve."""
    return float(np.median(np.abs(np.diff(np.log(trainer.history.column("loss"))))))


def test_batch_minibatch_and_stochastic_descent_on_the_same_data():
    full = run("batch-full.json")
    mini = run("batch-mini.json")
    stochastic = run("batch-stochastic.json")
    for trainer in (full, mini, stochastic):
        assert stop_reason(trainer) == "max_epochs" and trainer.epoch_count == 30
    assert (full.step_count, mini.step_count, stochastic.step_count) == (30, 240, 1920)
    # Same epochs, same sample gradients: smaller batches take more steps and get further.
    losses = [whole_set_loss(t) for t in (full, mini, stochastic)]  # 0.217, 0.088, 0.0033
    assert losses[0] > 2 * losses[1] and losses[1] > 10 * losses[2]
    # ... and their per-step loss is noisier.
    bumps = [roughness(t) for t in (full, mini, stochastic)]
    assert bumps[0] < bumps[1] / 5 and bumps[1] < bumps[2]


# ---------------------------------------------------------------- 9. overfitting

@pytest.fixture(scope="module")
def unregularised() -> sim.Trainer:
    return run("overfitting.json")


def test_validation_loss_turns_up_while_training_loss_falls(unregularised):
    val = unregularised.history.column("val_loss")
    train = unregularised.history.column("train_loss")
    best = int(np.nanargmin(val))
    assert 50 <= best + 1 <= 500  # measured: step 151
    assert val[-1] > 2 * val[best]  # 1.59 against 0.40
    assert train[-1] < train[best] / 10  # 0.0007 against 0.23
    # After the minimum the validation loss rises while the training loss keeps falling.
    later = slice(best + 100, None)
    assert np.all(np.diff(train[later]) < 0)
    assert np.nanmean(val[-100:]) > np.nanmean(val[best + 100:best + 200])


def test_early_stopping_stops_and_restores_the_best_weights(unregularised):
    trainer = run("overfitting-early-stopping.json")
    val = unregularised.history.column("val_loss")
    best_step = int(np.nanargmin(val)) + 1
    assert stop_reason(trainer) == "early_stopping"
    assert trainer.step_count == best_step + 200  # patience 200, one validation per step
    assert trainer.best["step"] == best_step
    dataset = trainer.dataset
    restored = trainer.network.loss_value(dataset.x_val, dataset.t_val, "bce")
    assert restored == val[best_step - 1]
    assert f"restored from step {best_step}" in trainer.stop_event.message


@pytest.mark.parametrize("name", ["overfitting-l2.json", "overfitting-dropout.json"])
def test_l2_and_dropout_each_end_with_a_lower_validation_loss(name, unregularised):
    trainer = run(name)
    assert trainer.step_count == unregularised.step_count
    final_val = trainer.history.column("val_loss")[-1]
    assert final_val < unregularised.history.column("val_loss")[-1] / 2  # 0.44, 0.41 vs 1.59
    assert trainer.history.column("train_loss")[-1] > 0.05  # no longer memorised: 0.14, 0.23


# ---------------------------------------------------------------- 10. initialisation

def test_zero_initialisation_keeps_the_hidden_units_identical():
    trainer = run("init-zeros.json")
    hidden, output = trainer.network.layers
    assert np.abs(hidden.W).max() > 0.5  # the weights did move...
    # ...but every unit's incoming weights are equal
    assert (hidden.W == hidden.W[0]).all()  # noqa: SIM300 - W names a matrix, not a constant
    assert (hidden.b == hidden.b[0]).all()
    assert (output.W == output.W[0, 0]).all()  # noqa: SIM300 - W names a matrix, not a constant
    assert trainer.history.column("loss")[-1] > 0.25  # measured 0.32: one unit's worth


def test_xavier_and_he_break_the_symmetry_and_learn():
    zeros = run("init-zeros.json")
    for name, target in (("init-xavier.json", 0.05), ("init-he.json", 0.01)):  # 0.012, 0.0014
        trainer = run(name)
        weights = trainer.network.layers[0].W
        assert len(np.unique(weights, axis=0)) == weights.shape[0]
        assert trainer.history.column("loss")[-1] < target
        assert zeros.history.column("loss")[-1] > 10 * trainer.history.column("loss")[-1]


# ---------------------------------------------------------------- 11. gradient checking

def test_nudging_a_weight_reproduces_its_backpropagated_gradient():
    trainer = lesson("gradient-check.json")
    trainer.step()
    first = trainer.network.layers[0]
    backprop = first.dW[0, 0]  # size -> hidden unit 1, at the initial weights
    assert backprop == pytest.approx(-2.2566, abs=1e-4)
    fresh = lesson("gradient-check.json")
    w, base = fresh.network.layers[0].W[0, 0], whole_set_loss(fresh)
    assert base == pytest.approx(3.54848, abs=5e-6)
    fresh.set_parameter(ParameterAddress(1, 0, 0), w + 0.01)  # the app's "edit weight"
    raised = whole_set_loss(fresh)
    assert raised == pytest.approx(3.52606, abs=5e-6)
    fresh.set_parameter(ParameterAddress(1, 0, 0), w - 0.01)
    lowered = whole_set_loss(fresh)
    one_sided, central = (raised - base) / 0.01, (raised - lowered) / 0.02
    assert one_sided == pytest.approx(backprop, rel=0.02)  # right to two digits
    assert one_sided != pytest.approx(backprop, rel=1e-3)
    assert central == pytest.approx(backprop, rel=1e-4)


def test_the_gradient_check_command_of_the_lesson_reports_ok(capsys):
    path = lessons.lesson_dir() / "gradient-check.json"
    assert cli_main(["gradcheck", str(path)]) == 0
    output = capsys.readouterr().out
    assert output.strip().endswith(": ok")
    assert "13 of 13 parameters checked" in output
    assert lesson("gradient-check.json").gradcheck().worst_relative_error < 1e-9  # 2.6e-12


# ---------------------------------------------------------------- 12. spiral

def test_the_spiral_lesson_learns_both_arms():
    trainer = run("spiral.json", steps=600)
    accuracy = trainer.history.column("accuracy")
    assert accuracy[-1] == 1.0  # measured: every point right from step 316
    assert accuracy[0] < 0.8


# ---------------------------------------------------------------- 13. symmetry (1986)

def test_symmetry_network_learns_a_mirror_pattern():
    trainer = run("symmetry-1986.json", steps=1500)
    loss, accuracy = trainer.history.column("loss"), trainer.history.column("accuracy")
    assert loss[299] > 3.9  # the plateau: every pattern answered 0
    first_right = int(np.argmax(accuracy == 1.0)) + 1
    assert 500 <= first_right <= 715  # measured 715, quoted in the lesson
    weights = trainer.network.layers[0].W
    for w in weights:  # w_i = -w_(7-i): mirror images with opposite signs
        assert np.linalg.norm(w + w[::-1]) < 0.01 * np.linalg.norm(w)
        magnitudes = np.sort(np.abs(w[:3]))
        assert magnitudes / magnitudes[0] == pytest.approx([1, 2, 4], rel=0.05)
    assert np.linalg.norm(weights[0] + weights[1]) < 0.05 * np.linalg.norm(weights[0])


# ---------------------------------------------------------------- 14. spam detector

def test_spam_prediction_for_seed000s_email_rises():
    trainer = lesson("spam-detector.json")
    dataset = trainer.dataset
    assert dataset.input_names == ("FREE", "MONEY", "CLICK", "!", "ALL CAPS")
    assert tuple(dataset.x_train[0]) == SPAM_EXAMPLE and dataset.t_train[0, 0] == 1.0
    email = dataset.x_train[:1]

    def prediction() -> float:
        return float(trainer.network.forward(email).output[0, 0])

    def path_weights() -> np.ndarray:  # each input's weights summed through the hidden layer
        hidden, output = trainer.network.layers
        return output.W[0] @ hidden.W

    predictions, before = [prediction()], path_weights()
    for _ in range(4):
        trainer.run(steps=50)
        predictions.append(prediction())
    assert predictions[0] < 0.3  # measured 0.215, seed 000's first guess is 0.3
    assert all(later > earlier for earlier, later in pairwise(predictions))
    assert predictions[-1] > 0.9  # step 200; measured: past 0.9 from step 168
    after = path_weights()
    for word in (0, 1, 3):  # FREE, MONEY, "!"
        assert after[word] > 2.0 and after[word] > before[word] + 2.0


# ---------------------------------------------------------------- 15. dying ReLU

def test_a_large_learning_rate_kills_relu_units_but_not_leaky_ones():
    relu = run("dying-relu.json", steps=300)
    leaky = run("leaky-relu.json")
    assert relu.history.column("dead_2")[-1] == 1.0  # every unit of layer 2 dead (by step 100)
    assert hidden_units_without_gradient(relu) == [1.0, 1.0]
    relu_loss = relu.history.column("loss")
    assert relu_loss[-1] == relu_loss[-2] > 0.2  # stuck for good at 0.24
    assert hidden_units_without_gradient(leaky) == [0.0, 0.0]
    assert leaky.history.column("loss")[-1] < 0.05  # measured 0.020


# ---------------------------------------------------------------- 16. softmax

def test_softmax_classifies_three_spiral_arms():
    trainer = run("softmax-spiral.json", steps=300)
    dataset = trainer.dataset
    assert dataset.t_train.shape[1] == 3 and (dataset.t_train.sum(axis=1) == 1.0).all()
    probabilities = trainer.network.forward(dataset.x_train).output
    assert probabilities.sum(axis=1) == pytest.approx(1.0, abs=1e-12)
    assert trainer.history.column("accuracy")[0] < 0.5
    assert trainer.history.column("accuracy")[-1] > 0.95  # measured: above 0.95 from step 117


def test_every_lesson_is_in_exactly_one_section_of_the_menu():
    in_sections = [path for _, paths in lessons.lesson_sections() for path in paths]
    assert sorted(in_sections) == sorted(lessons.lesson_files())
    assert len(set(in_sections)) == len(in_sections)
    assert all(path.is_file() for path in in_sections)
