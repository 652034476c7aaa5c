"""Many seeds at once (``sim.sweep``, ``python -m sim sweep``): every run of a sweep is the run
its seed gives alone, and the command's output and errors are as documented."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np
import pytest

import sim
from sim.experiment import LayerSpec, StoppingSpec
from sim.lesson_view import ManySeedsSpec
from sim.many_seeds import many_seeds
from sim.optimizers import OptimizerSpec
from sim.sweep import Sweep, sweep
from tests.conftest import LESSONS, experiment
from tests.test_cli import run_sim

# A small dense network on noisy two-class data with everything a run can vary by seed: the
# data, the validation split, the initial weights, the order of mini-batches (the last one of
# each epoch shorter), the augmentation of the inputs (noise, flips, rotations) and the
# dropout masks.
DENSE: dict[str, Any] = {
    "data": {"kind": "moons", "samples": 30, "noise": 0.2, "validation_fraction": 0.3,
             "augment": {"noise": 0.05, "flip": ["x"], "rotate_degrees": 10}},
    "network": {"inputs": 2, "layers": [
        {"units": 5, "activation": "tanh", "dropout": 0.2},
        {"units": 5, "activation": "relu", "residual": True},
        {"units": 1, "activation": "sigmoid"}]},
    "loss": "bce",
    "batch_size": 8,
    "regularization": {"l2": 0.001, "l1": 0.0001},
}
OPTIMIZERS = [
    {"kind": "sgd", "learning_rate": 0.3},
    {"kind": "sgd", "learning_rate": 0.2, "momentum": 0.9, "nesterov": True},
    {"kind": "rmsprop", "learning_rate": 0.01},
    {"kind": "adam", "learning_rate": 0.02},
]


def assert_each_run_alone(swept: Sweep, steps: int | None = None,
                          epochs: int | None = None) -> list[sim.Trainer]:
    """Every run of ``swept`` against its seed trained alone by the Trainer; the trainers."""
    trainers = []
    for run in swept.runs:
        trainer = sim.Trainer(swept.experiment.replace(seed=run.seed))
        trainer.run(steps=steps, epochs=epochs)
        assert run.steps == trainer.step_count
        assert run.diverged == trainer.diverged
        assert run.stopped == (trainer.stopped and not trainer.diverged)
        np.testing.assert_allclose(run.parameters, trainer.network.theta, rtol=0, atol=1e-12)
        last = trainer.history.last()
        if last is None:
            assert run.final_loss is None and run.losses.size == 0
        else:
            assert run.final_loss == pytest.approx(last["loss"], rel=1e-12)
            recorded = trainer.history.column("loss")
            np.testing.assert_allclose(run.losses, recorded, rtol=1e-12)
        trainers.append(trainer)
    return trainers


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: str(o)[9:40])
def test_each_run_is_its_seed_alone_with_dropout_mini_batches_and_early_stopping(optimizer):
    document = {**DENSE, "optimizer": optimizer, "seed": 11,
                "stopping": {"early_stopping": {"patience": 2}, "max_steps": 60}}
    swept = sweep(experiment(**document), 6)
    assert [run.seed for run in swept.runs] == list(range(11, 17))
    trainers = assert_each_run_alone(swept)
    # The runs really differ, and early stopping ended some of them at different steps.
    assert len({run.parameters.tobytes() for run in swept.runs}) == 6
    reasons = [t.stop_event.details["reason"] for t in trainers if t.stop_event is not None]
    assert "early_stopping" in reasons


@pytest.mark.parametrize("clipping", ["global_norm", "layer_norm", "value"])
def test_each_run_is_its_seed_alone_with_clipping(clipping):
    document = {**DENSE, "optimizer": {"kind": "sgd", "learning_rate": 2.0},
                "clipping": {"kind": clipping, "threshold": 0.05}, "shuffle": False}
    assert_each_run_alone(sweep(experiment(**document), 3, epochs=4), epochs=4)


def test_runs_that_stop_early_freeze_while_the_others_go_on():
    lesson = experiment(optimizer={"kind": "sgd", "learning_rate": 2.0},
                        stopping={"loss_below": 0.05, "max_steps": 800})
    swept = sweep(lesson, 5)
    assert_each_run_alone(swept)
    steps = sorted(run.steps for run in swept.runs)
    assert steps[0] < steps[-1]  # they stopped at different steps
    assert all(run.stopped for run in swept.runs)


def test_a_run_that_diverges_keeps_its_weights_before_the_step_while_the_others_go_on():
    lesson = sim.load(LESSONS / "learning-rate-too-large.json").replace(
        optimizer=OptimizerSpec(kind="sgd", learning_rate=5.0))
    swept = sweep(lesson, 8, steps=100)
    assert_each_run_alone(swept, steps=100)
    diverged = [run.diverged for run in swept.runs]
    assert any(diverged) and not all(diverged)
    assert all(np.isfinite(run.parameters).all() for run in swept.runs)


def test_every_loss_gives_each_run_alone():
    for loss, output, targets in (("sse", "sigmoid", 1), ("half_sse", "tanh", 1),
                                  ("mse", "linear", 1), ("half_mse", "sigmoid", 1),
                                  ("cross_entropy", "softmax", 2)):
        data = {"kind": "gaussians", "samples": 20, "classes": 2, "encoding": "one_hot"} \
            if targets == 2 else \
            {"kind": "xor"}
        lesson = experiment(data=data, loss=loss, network={"inputs": 2, "layers": [
            {"units": 3, "activation": "leaky_relu"},
            {"units": targets, "activation": output}]})
        assert_each_run_alone(sweep(lesson, 3, steps=25), steps=25)


def test_a_lesson_with_epochs_and_a_saved_seed():
    lesson = sim.load(LESSONS / "batch-mini.json")
    assert_each_run_alone(sweep(lesson, 3, epochs=2), epochs=2)


def test_what_a_sweep_cannot_do_is_refused_naming_the_field(tmp_path):
    trained = sim.Trainer(experiment())
    trained.run(steps=2)
    for lesson, field in ((trained.to_experiment(), "state"),
                          (experiment(stopping={"time_limit": 5}), "stopping.time_limit")):
        with pytest.raises(sim.ExperimentError) as refused:
            sweep(lesson, 2, steps=1)
        assert str(refused.value).startswith(f"{field}: ")
        path = tmp_path / "lesson.json"
        sim.save(lesson, path)
        result = run_sim("sweep", path, "--seeds", "2", "--steps", "1", "--json",
                         tmp_path / "out.json")
        assert result.returncode == 2 and result.stderr.startswith(f"error: {field}: ")
        assert result.stderr.count("\n") == 1 and not (tmp_path / "out.json").exists()


def test_the_command_writes_each_run_as_specified(tmp_path):
    out = tmp_path / "runs.json"
    result = run_sim("sweep", LESSONS / "xor.json", "--seeds", "3", "--steps", "40", "--json",
                     out, "--parameters")
    assert result.returncode == 0, result.stderr
    assert "3 runs (seeds 0 to 2)" in result.stdout
    runs = json.loads(out.read_text())["runs"]
    assert [run["seed"] for run in runs] == [0, 1, 2]
    for run in runs:
        assert set(run) == {"seed", "steps", "final_loss", "stopped", "diverged", "parameters"}
        trainer = sim.Trainer(sim.load(LESSONS / "xor.json").replace(seed=run["seed"]))
        trainer.run(steps=40)
        assert run["steps"] == 40 and run["stopped"] is False and run["diverged"] is False
        assert math.isclose(run["final_loss"], trainer.history.last()["loss"], rel_tol=1e-12)
        # The layout of a saved state's parameters: per layer, weights[j][i] and biases.
        assert run["parameters"] == trainer.state()["parameters"]
    result = run_sim("sweep", LESSONS / "xor.json", "--seeds", "2", "--epochs", "5", "--json",
                     out)
    assert result.returncode == 0
    assert all("parameters" not in run and run["steps"] == 5
               for run in json.loads(out.read_text())["runs"])


@pytest.mark.parametrize("args, message", [
    (["--seeds", "0", "--json", "{out}"], "--seeds: must be at least 1"),
    (["--seeds", "x", "--json", "{out}"], "not a whole number"),
    (["--seeds", "20000", "--json", "{out}"], "--seeds: must be from 1 to"),
    (["--seeds", "2", "--steps", "1"], "required: --json"),
    (["--seeds", "2", "--steps", "1", "--epochs", "1", "--json", "{out}"], "not allowed"),
    (["--seeds", "2", "--json", "{out}"], "nothing says when to stop"),
    (["--seeds", "2", "--steps", "1", "--json", "{missing}/out.json"], "does not exist"),
    (["--seeds", "2", "--steps", "1", "--json", "{lesson}"], "is the experiment being swept"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, args, message):
    lesson = sim.load(LESSONS / "xor.json").replace(stopping=StoppingSpec())
    path = tmp_path / "lesson.json"
    sim.save(lesson, path)
    before = path.read_bytes()
    filled = [a.format(out=tmp_path / "out.json", missing=tmp_path / "missing", lesson=path)
              for a in args]
    result = run_sim("sweep", path, *filled)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert not (tmp_path / "out.json").exists() and path.read_bytes() == before


# ---------------------------------------------------------------------------- the view's numbers

def test_the_many_seeds_numbers_come_from_the_runs():
    lesson = experiment(optimizer={"kind": "sgd", "learning_rate": 2.0},
                        stopping={"loss_below": 0.1})
    spec = ManySeedsSpec(seeds=6, steps=400, target_loss=0.2)
    swept = sweep(lesson, spec.seeds, steps=spec.steps)
    view = many_seeds(lesson, spec)
    assert view.seeds == tuple(range(6))
    for row, run in enumerate(swept.runs):
        curve = view.curves[row]
        np.testing.assert_array_equal(curve[:run.steps], run.losses)
        assert np.isnan(curve[run.steps:]).all()
        below = np.flatnonzero(run.losses < spec.target_loss)
        assert view.steps_to_target[row] == (below[0] + 1 if below.size else 0)
        assert view.stopped[row] == run.stopped and view.diverged[row] == run.diverged
    # The median at each step over all runs, a run that stopped counting with its last loss.
    last = max(run.steps for run in swept.runs)
    assert min(run.steps for run in swept.runs) < last  # some stopped early
    frozen = [np.concatenate([run.losses, np.full(last - run.steps, run.losses[-1])])
              for run in swept.runs]
    np.testing.assert_allclose(view.median, np.median(frozen, axis=0), rtol=1e-15)
    assert view.bin_counts.sum() == np.count_nonzero(view.steps_to_target)
    assert view.bin_edges[0] == 0 and view.bin_edges[-1] >= spec.steps
    assert view.fraction_never == view.never / 6
    # The run nearest a point is the one whose curve passes closest, in decades.
    row = int(np.argmax(view.curves[:, 9]))
    assert view.run_nearest(10, view.curves[row, 9]) == row
    assert view.run_nearest(0, 0.5) is None and view.run_nearest(10, 0.0) is None


def test_a_diverged_run_counts_as_infinite_in_the_median():
    lesson = sim.load(LESSONS / "learning-rate-too-large.json").replace(
        optimizer=OptimizerSpec(kind="sgd", learning_rate=8.0))
    view = many_seeds(lesson, ManySeedsSpec(seeds=3, steps=100, target_loss=1e-9))
    assert view.diverged.all() and view.never == 3
    assert np.isnan(view.median[-1])  # every run has diverged by then: no loss to draw
    assert "3 of 3 (100%) never got the loss below 1e-09 (3 diverged)" in view.summary()


def test_the_lesson_view_key_is_read_checked_and_written():
    document = {"view": {"many_seeds": {"seeds": 30, "steps": 500, "target_loss": 0.1}}}
    lesson = experiment(**document)
    assert lesson.view.many_seeds == ManySeedsSpec(30, 500, 0.1)
    assert sim.parse(json.loads(sim.dumps(lesson))).view == lesson.view
    assert experiment(view={"many_seeds": {}}).view.many_seeds == ManySeedsSpec()
    for bad, field in (({"seeds": 1}, "seeds"), ({"steps": 0}, "steps"),
                       ({"target_loss": 0}, "target_loss"), ({"runs": 3}, "runs")):
        with pytest.raises(sim.ExperimentError) as refused:
            experiment(view={"many_seeds": bad})
        assert str(refused.value).startswith(f"view.many_seeds.{field}: ")


def test_schedules_validation_intervals_frozen_biases_and_given_weights_alone_too():
    document = {**DENSE, "optimizer": {"kind": "adam", "learning_rate": 0.05},
                "schedule": {"kind": "step", "step_size": 2, "gamma": 0.5, "unit": "epochs"},
                "validation_interval": 3,
                "stopping": {"early_stopping": {"patience": 2, "restore_best": False},
                             "max_epochs": 12}}
    document["network"] = {"inputs": 2, "layers": [
        {"units": 4, "activation": "sigmoid", "train_bias": False},
        {"units": 1, "activation": "sigmoid", "weights": [[0.5, -0.5, 0.25, 1.0]]}]}
    document["data"] = {**DENSE["data"], "standardize": True}
    assert_each_run_alone(sweep(experiment(**document), 4))


@dataclasses.dataclass(frozen=True)
class _LayerWithANewOption(LayerSpec):
    """A layer as a later version of the file format might have it."""

    future_option: bool = False


def test_an_option_the_sweep_does_not_know_is_refused_naming_it():
    plain = experiment()
    layers = plain.network.layers
    for used in (False, True):
        first = _LayerWithANewOption(**{f.name: getattr(layers[0], f.name)
                                        for f in dataclasses.fields(LayerSpec)},
                                     future_option=used)
        lesson = plain.replace(network=dataclasses.replace(plain.network,
                                                           layers=(first, *layers[1:])))
        if not used:  # at its default the option changes nothing: the sweep goes on
            assert len(sweep(lesson, 2, steps=1).runs) == 2
            continue
        with pytest.raises(sim.ExperimentError) as refused:
            sweep(lesson, 2, steps=1)
        assert str(refused.value).startswith(
            "network.layers[0].future_option: is not supported by sweep")


def test_batch_normalisation_is_refused_naming_the_layer():
    normalised = experiment(network={"inputs": 2, "layers": [
        {"units": 2, "activation": "sigmoid", "batch_norm": True},
        {"units": 1, "activation": "sigmoid"}]})
    with pytest.raises(sim.ExperimentError) as refused:
        sweep(normalised, 2, steps=1)
    assert str(refused.value).startswith(
        "network.layers[0].batch_norm: is not supported by sweep")
