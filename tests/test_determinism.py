"""Same file and seed, same numbers; checkpoints resume exactly; phases equal whole steps."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.batches import BatchSampler, epoch_text
from sim.metrics import evenly_spaced
from sim.stopping import StoppingRules
from tests.conftest import LESSONS, experiment

# Experiments that exercise every source of randomness and every piece of optimizer state.
CONFIGS = {
    "full batch, momentum": dict(optimizer={"kind": "sgd", "learning_rate": 0.5,
                                            "momentum": 0.9}),
    "mini-batch, shuffled, dropout, jitter, adam": dict(
        data={"kind": "circles", "samples": 60, "validation_fraction": 0.2, "jitter": 0.05},
        network={"inputs": 2, "layers": [{"units": 6, "activation": "tanh"},
                                          {"units": 1, "activation": "sigmoid"}]},
        loss="bce", optimizer={"kind": "adam", "learning_rate": 0.01}, batch_size=7,
        regularization={"dropout": 0.3, "l2": 0.001}),
    "mini-batch, standardised, flips, rotations and noise": dict(
        data={"kind": "moons", "samples": 60, "validation_fraction": 0.2, "standardize": True,
              "augment": {"noise": 0.05, "flip": ["x", "y"], "rotate_degrees": 20}},
        network={"inputs": 2, "layers": [{"units": 6, "activation": "tanh"},
                                          {"units": 1, "activation": "sigmoid"}]},
        loss="bce", optimizer={"kind": "adam", "learning_rate": 0.01}, batch_size=7),
    "stochastic, nesterov, step schedule, clipping": dict(
        data={"kind": "spiral", "samples": 30, "classes": 3},
        network={"inputs": 2, "layers": [{"units": 5, "activation": "relu"},
                                          {"units": 3, "activation": "softmax"}]},
        loss="cross_entropy", batch_size=1,
        optimizer={"kind": "sgd", "learning_rate": 0.2, "momentum": 0.5, "nesterov": True},
        schedule={"kind": "step", "step_size": 7, "gamma": 0.5},
        clipping={"kind": "global_norm", "threshold": 0.5}),
    "rmsprop, early stopping, exponential schedule": dict(
        data={"kind": "moons", "samples": 40, "validation_fraction": 0.25},
        network={"inputs": 2, "layers": [{"units": 8, "activation": "leaky_relu"},
                                          {"units": 8, "activation": "tanh", "residual": True},
                                          {"units": 1, "activation": "sigmoid"}]},
        loss="mse", batch_size=8, optimizer={"kind": "rmsprop", "learning_rate": 0.01},
        schedule={"kind": "exponential", "gamma": 0.9, "decay_steps": 5, "unit": "epochs"},
        stopping={"early_stopping": {"patience": 1000}}),
    "batch norm, shuffled mini-batches, adam, clipping, early stopping": dict(
        data={"kind": "moons", "samples": 40, "validation_fraction": 0.25},
        network={"inputs": 2, "layers": [{"units": 6, "activation": "sigmoid",
                                          "batch_norm": True},
                                         {"units": 6, "activation": "relu",
                                          "batch_norm": {"momentum": 0.3, "epsilon": 1e-3}},
                                         {"units": 1, "activation": "sigmoid"}]},
        loss="bce", batch_size=8, optimizer={"kind": "adam", "learning_rate": 0.05},
        clipping={"kind": "global_norm", "threshold": 1.0},
        stopping={"early_stopping": {"patience": 1000}}),
}


def trajectory(trainer: sim.Trainer, steps: int) -> np.ndarray:
    trainer.run(steps=steps)
    return trainer.history.recent()


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit-for-bit equality, NaN equal to NaN."""
    return a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("name", CONFIGS)
def test_same_experiment_same_numbers_bit_for_bit(name):
    first = sim.Trainer(experiment(**CONFIGS[name]))
    second = sim.Trainer(experiment(**CONFIGS[name]))
    assert same(trajectory(first, 40), trajectory(second, 40))
    assert same(first.network.theta, second.network.theta)


@pytest.mark.parametrize("name", CONFIGS)
@pytest.mark.parametrize("split", [1, 13, 20])
def test_resume_from_a_saved_file_continues_exactly(name, split):
    uninterrupted = sim.Trainer(experiment(**CONFIGS[name]))
    trajectory(uninterrupted, 40)

    first = sim.Trainer(experiment(**CONFIGS[name]))
    first.run(steps=split)
    text = sim.dumps(first.to_experiment())  # through JSON text, as a file would be
    resumed = sim.Trainer(sim.parse(sim.experiment.decode_json(text.encode(), "checkpoint")))
    assert resumed.step_count == split
    resumed.run(steps=40 - split)
    assert same(resumed.network.theta, uninterrupted.network.theta)
    resumed_state, expected_state = (trainer.optimizer.state()
                                     for trainer in (resumed, uninterrupted))
    assert resumed_state.keys() == expected_state.keys()
    for name, value in expected_state.items():  # every buffer of every optimizer
        assert same(np.asarray(resumed_state[name]), np.asarray(value)), name
    tail = uninterrupted.history.recent()[split:]
    assert same(resumed.history.recent(), tail)


@pytest.mark.parametrize("name", CONFIGS)
def test_phase_by_phase_equals_whole_steps(name):
    whole = sim.Trainer(experiment(**CONFIGS[name]))
    phased = sim.Trainer(experiment(**CONFIGS[name]))
    whole.run(steps=15)
    for _ in range(15 * len(phased.phases)):
        phased.step_phase()
    assert phased.cursor == 0 and phased.step_count == 15
    assert same(whole.network.theta, phased.network.theta)
    assert same(whole.history.recent(), phased.history.recent())


def test_step_finishes_a_partly_stepped_iteration():
    whole, mixed = sim.Trainer(experiment()), sim.Trainer(experiment())
    whole.run(steps=3)
    mixed.step_phase()
    mixed.step_phase()
    mixed.step()  # completes the first iteration
    mixed.run(steps=2)
    assert mixed.step_count == 3 and same(whole.network.theta, mixed.network.theta)


def test_phase_cursor_reports_every_phase_in_order():
    trainer = sim.Trainer(experiment())
    seen = [str(trainer.step_phase()) for _ in range(len(trainer.phases))]
    assert seen == ["forward layer 1", "forward layer 2", "loss", "backward layer 2",
                    "backward layer 1", "clip", "update"]
    assert trainer.cursor == 0


def test_dropout_never_changes_the_initial_weights():
    base = sim.Trainer(experiment())
    dropped = sim.Trainer(experiment(regularization={"dropout": 0.5}))
    assert same(base.network.theta, dropped.network.theta)


def test_explicit_weights_of_one_layer_leave_the_others_drawn_as_before():
    base = sim.Trainer(experiment())
    fixed = sim.Trainer(experiment(network={"inputs": 2, "layers": [
        {"units": 2, "activation": "sigmoid", "weights": [[1, 2], [3, 4]]},
        {"units": 1, "activation": "sigmoid"}]}))
    assert same(base.network.layers[1].W, fixed.network.layers[1].W)
    assert fixed.network.layers[0].W.tolist() == [[1, 2], [3, 4]]


def test_different_seeds_give_different_weights():
    assert not same(sim.Trainer(experiment(seed=1)).network.theta,
                    sim.Trainer(experiment(seed=2)).network.theta)


def test_state_of_another_optimizer_is_refused_with_the_field_named():
    trainer = sim.Trainer(experiment(optimizer={"kind": "sgd", "learning_rate": 0.1}))
    trainer.run(steps=2)
    saved = trainer.to_experiment()
    changed = saved.replace(optimizer=sim.optimizers.OptimizerSpec("adam"))
    with pytest.raises(sim.ExperimentError, match=r"state\.optimizer\.kind"):
        sim.Trainer(changed)


def test_state_with_wrong_shapes_is_refused_with_the_field_named():
    trainer = sim.Trainer(experiment())
    trainer.step()
    state = trainer.state()
    state["parameters"][1]["weights"] = [[1.0, 2.0, 3.0]]
    with pytest.raises(sim.ExperimentError, match=r"state\.parameters\[1\]\.weights\[0\]"):
        sim.Trainer(experiment(state=state))


# ---------------------------------------------------------------------------- the trainer's parts

def draws(sampler: BatchSampler, batches: int) -> list[tuple[np.ndarray, ...]]:
    """The next batches (inputs, targets, rows), moving past each."""
    taken = []
    for _ in range(batches):
        x, t, rows = sampler.next_batch()
        taken.append((x.copy(), t.copy(), rows))
        sampler.advance()
    return taken


def augmenting_sampler() -> BatchSampler:
    augmenting = experiment(**CONFIGS["mini-batch, standardised, flips, rotations and noise"])
    sampler = BatchSampler(sim.Trainer(augmenting).dataset, seed=5)
    sampler.configure(batch_size=7, shuffle=True, augment=augmenting.data.augment)
    return sampler


def test_a_sampler_restored_mid_epoch_draws_the_same_batches():
    original = augmenting_sampler()
    draws(original, 10)  # into the second epoch (48 training samples, 7 per batch)
    assert original.epoch_count == 1 and original.position == 21
    restored = augmenting_sampler()
    restored.restore(original.state())
    assert (restored.epoch_count, restored.position) == (1, 21)
    ahead, behind = draws(original, 12), draws(restored, 12)
    for (x, t, rows), (x2, t2, rows2) in zip(ahead, behind, strict=True):
        assert same(x, x2) and same(t, t2) and same(rows, rows2)
    assert original.streams["dropout"].random() == restored.streams["dropout"].random()


def test_stopping_rules_restored_wait_as_long_and_restore_the_same_weights():
    rules = StoppingRules(experiment(data={"kind": "circles", "validation_fraction": 0.25},
                                     stopping={"early_stopping": {"patience": 3}}).stopping)
    theta = np.array([1.0, 2.0])
    assert rules.after_validation(0.5, 10, theta) is None  # the best so far
    theta[...] = [3.0, 4.0]
    assert rules.after_validation(0.7, 20, theta) is None  # one validation without gain
    restored = StoppingRules(rules.spec)
    restored.restore(rules.state())
    for checked in (rules, restored):
        weights = theta.copy()
        assert checked.after_validation(0.6, 30, weights) is None
        stop = checked.after_validation(0.8, 40, weights)
        assert stop.details["reason"] == "early_stopping" and stop.step == 40
        assert "best 0.5 at step 10" in stop.message and weights.tolist() == [1.0, 2.0]


def test_history_columns_are_addressed_by_name():
    trainer = sim.Trainer(experiment())
    trainer.step()
    row = trainer.history.last()
    assert row["step"] == 1 and row["epoch"] == 1 and row["clipped"] == 0.0
    assert row["grad_norm"] == pytest.approx(np.hypot(row["grad_norm_1"], row["grad_norm_2"]))
    assert row["weight_norm_2"] == pytest.approx(np.linalg.norm(trainer.network.theta[6:9]))
    with pytest.raises(ValueError, match="not evenly spaced"):
        evenly_spaced({"a": 0, "b": 2, "c": 3}, ("a", "b", "c"))


def test_set_parameters_starts_the_next_step_from_them():
    source = sim.Trainer(experiment(seed=7))
    trainer, rebuilt = sim.Trainer(experiment()), sim.Trainer(experiment(seed=7))
    trainer.step_phase()
    with pytest.raises(RuntimeError, match="finish the current iteration"):
        trainer.set_parameters(source.network.theta)
    trainer.step()
    trainer.set_parameters(source.network.theta)
    assert trainer.current_pass is None  # its numbers belonged to the old weights
    trainer.step()
    rebuilt.step()
    assert same(trainer.network.theta, rebuilt.network.theta)


def test_the_epoch_readout_names_the_epoch_the_history_gives_the_last_step():
    trainer = sim.Trainer(sim.load(LESSONS / "batch-mini.json"))  # 64 samples, batches of 8
    assert epoch_text(trainer.epoch_count, trainer.batches_taken, trainer.steps_per_epoch) == ""
    for step in range(1, 18):
        trainer.step()
        epoch = int(trainer.history.last()["epoch"])
        text = epoch_text(trainer.epoch_count, trainer.batches_taken, trainer.steps_per_epoch)
        assert text == f"epoch {epoch}, batch {(step - 1) % 8 + 1} of 8", step
    full = sim.Trainer(experiment())
    full.run(steps=3)
    assert epoch_text(full.epoch_count, full.batches_taken, full.steps_per_epoch) == "epoch 3"
