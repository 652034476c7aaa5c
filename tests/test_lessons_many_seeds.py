"""The Many seeds lessons: every number their texts state, measured on the runs the Many seeds
view trains (``sim.many_seeds``), and each lesson opening that view."""

from __future__ import annotations

import numpy as np

import sim
from sim import lessons
from sim.many_seeds import ManySeeds, many_seeds
from sim.network import Network
from sim.optimizers import OptimizerSpec
from sim.sweep import sweep
from tests.lesson_text import LessonText, rounds_to

XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_TARGETS = np.array([0.0, 1.0, 1.0, 0.0])


def says_seeds(text: LessonText, view: ManySeeds) -> None:
    """The seeds and the limits the view trains with, as the text gives them."""
    spec = text.experiment.view.many_seeds
    assert spec is not None and spec == view.spec
    text.says(str(spec.seeds), view.runs)
    text.says("0", view.seeds[0])
    text.says(str(view.seeds[-1]), view.seeds[-1])
    text.says(str(spec.steps), spec.steps)
    text.says("0.05", spec.target_loss)


def learnt(view: ManySeeds) -> np.ndarray:
    return view.steps_to_target[view.steps_to_target > 0]


def outputs(experiment: sim.Experiment, parameters: np.ndarray) -> np.ndarray:
    network = Network(experiment.network, 0.0, experiment.seed)
    network.theta[...] = parameters
    return network.predict(XOR_INPUTS).ravel()


def test_xor_with_two_hidden_units_sticks_for_some_seeds():
    text = LessonText("seeds-xor-two-hidden.json")
    experiment = text.experiment
    spec = experiment.view.many_seeds
    assert spec is not None
    view = many_seeds(experiment, spec)
    says_seeds(text, view)
    text.says("2", experiment.network.layers[0].units)
    text.says("39", learnt(view).size)
    text.says("50", view.runs)  # 39 of the 50
    text.says("264", np.median(learnt(view)))
    text.says("119", learnt(view).min())
    text.says("914", learnt(view).max())
    text.says("11", view.never)
    text.says("22%", view.fraction_never)
    # Each stuck run: the loss flat at one of two levels, its outputs lumping patterns.
    swept = sweep(experiment, spec.seeds, steps=spec.steps)
    plateaus = (text.bound("0.25"), text.bound("0.33"))
    same = text.bound("0.5")
    levels = set()
    for row in np.flatnonzero(view.steps_to_target == 0):
        run = swept.runs[row]
        level = next(written for written in ("0.25", "0.33")
                     if rounds_to(run.final_loss, written))
        levels.add(level)
        tail = run.losses[-500:]
        assert tail.max() - tail.min() < 0.005  # flat over the last 500 steps
        y = outputs(experiment, run.parameters)
        lumped = np.abs(y - XOR_TARGETS) >= 0.05  # the patterns it does not get right
        if level == "0.25":
            assert lumped.sum() == 2 and np.allclose(y[lumped], same, atol=0.01)
        else:
            assert lumped.sum() == 3
            assert np.allclose(y[lumped], XOR_TARGETS[lumped].mean(), atol=0.01)
    assert levels == {"0.25", "0.33"} and plateaus == (0.25, 0.33)
    # Seed 0 (this file's run) sticks; seed 1 learns.
    text.names("0", "seed 0")
    assert view.steps_to_target[view.seeds.index(0)] == 0
    text.names("1", "seed 1")
    assert view.steps_to_target[view.seeds.index(1)] > 0
    text.done()


def test_zero_initialisation_gives_every_seed_the_same_run():
    text = LessonText("seeds-init-zeros.json")
    experiment = text.experiment
    spec = experiment.view.many_seeds
    assert spec is not None
    swept = sweep(experiment, spec.seeds, steps=spec.steps)
    view = many_seeds(experiment, spec)
    says_seeds(text, view)
    text.says("20", len({run.seed for run in swept.runs}))  # 20 seeds
    text.says("20", len({run.seed for run in swept.runs}))  # their 20 curves
    shape = [experiment.network.inputs] + [layer.units for layer in experiment.network.layers]
    assert shape == [2, 2, 1]
    text.says("2", shape[0])
    text.says("2", shape[1])
    text.says("1", shape[2])
    network = Network(experiment.network, 0.0, experiment.seed)
    text.says("0", np.abs(network.theta).max())  # every weight and bias starting at 0
    for seed in range(1, spec.seeds):  # 0 whatever the seed
        assert not Network(experiment.network, 0.0, seed).theta.any()
    text.says("0", 0)
    text.says("4", sim.Trainer(experiment).batch_size)
    first = swept.runs[0]
    for run in swept.runs[1:]:  # exactly the same run, bit for bit
        assert np.array_equal(run.parameters, first.parameters)
        assert np.array_equal(run.losses, first.losses)
    hidden = Network(experiment.network, 0.0, 0).layer_views(first.parameters)[0][0]
    assert np.array_equal(hidden[0], hidden[1])  # the two hidden units stay identical
    # Every gradient is exactly 0 (errors +0.5 and −0.5 cancel): no weight ever moves.
    assert not first.parameters.any()
    trainer = sim.Trainer(experiment)
    trainer.step()
    assert not trainer.raw_gradient.any()
    text.says("0", 0.0)
    assert np.array_equal(np.abs(outputs(experiment, first.parameters) - XOR_TARGETS), [0.5] * 4)
    text.says("0.5", outputs(experiment, first.parameters), times=2)  # answers, stays at
    text.says("0.5", first.losses[1:])
    assert experiment.regularization.dropout == 0.0
    text.says("100%", view.fraction_never)
    text.done()


def test_learning_rate_sensitivity_across_seeds():
    text = LessonText("seeds-learning-rate.json")
    experiment = text.experiment
    spec = experiment.view.many_seeds
    assert spec is not None
    view = many_seeds(experiment, spec)
    says_seeds(text, view)
    assert experiment.network == lessons.load_lesson("xor.json").network  # the first lesson's
    text.says("2", experiment.network.inputs)
    text.says("3", experiment.network.layers[0].units)
    text.says("1", experiment.network.layers[1].units)
    text.says("4", experiment.optimizer.learning_rate)
    assert view.never == 0
    text.says("116.5", np.median(learnt(view)))
    assert "those that did took a median of 116.5 steps." in view.summary()  # no step 116.5
    text.says("62", learnt(view).min())
    text.says("278", learnt(view).max())

    def at(rate: float) -> ManySeeds:
        return many_seeds(experiment.replace(optimizer=OptimizerSpec(kind="sgd",
                                                                     learning_rate=rate)), spec)

    small = at(text.bound("0.5"))
    text.says("8", experiment.optimizer.learning_rate / 0.5)
    text.says("13", small.never)
    text.says("26%", small.fraction_never)
    text.says("50", small.runs)
    text.says("1000", spec.steps)  # not there by step 1000
    text.says("824", np.median(learnt(small)))
    large = at(text.bound("32"))
    text.says("39", large.never)
    text.says("50", large.runs)
    text.says("78%", large.fraction_never)
    text.done()
