"""Augmentation (data.augment): flips, rotations and noise of the training inputs, each epoch."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import sim
from sim.augment import AugmentSpec
from tests.conftest import experiment

CIRCLES = {"kind": "circles", "samples": 40, "noise": 0.0, "validation_fraction": 0.25}
BCE = {"loss": "bce", "optimizer": {"kind": "adam", "learning_rate": 0.01}}


def trainer_with(augment: dict, **data: object) -> sim.Trainer:
    return sim.Trainer(experiment(data={**CIRCLES, **data, "augment": augment}, **BCE))


def epoch_inputs(trainer: sim.Trainer) -> tuple[np.ndarray, np.ndarray]:
    """The inputs and targets the network trains on in the next epoch (full batch, in order),
    in the data's own coordinates."""
    x, t, rows = trainer.sampler.next_batch()
    assert rows is None  # the whole training set, in its order
    return trainer.dataset.to_raw(x), t


def raw_training_inputs(trainer: sim.Trainer) -> np.ndarray:
    return trainer.dataset.to_raw(trainer.dataset.x_train)


def test_the_older_jitter_key_is_the_noise_of_augmentation():
    old = experiment(data={**CIRCLES, "jitter": 0.05}, **BCE)
    new = experiment(data={**CIRCLES, "augment": {"noise": 0.05}}, **BCE)
    assert old.data.augment == new.data.augment == AugmentSpec(noise=0.05)
    assert "jitter" not in sim.experiment.to_dict(old)["data"]  # saved under its new name
    first, second = sim.Trainer(old), sim.Trainer(new)
    first.run(steps=5)
    second.run(steps=5)
    assert np.array_equal(first.network.theta, second.network.theta)


def test_flip_true_means_both_axes_and_saves_as_their_list():
    spec = experiment(data={**CIRCLES, "augment": {"flip": True}}, **BCE).data.augment
    assert spec.flip == ("x", "y")
    assert spec.to_json() == {"noise": 0.0, "flip": ["x", "y"], "rotate_degrees": 0.0}
    assert experiment(data={**CIRCLES, "augment": {"flip": ["y", "x"]}},
                      **BCE).data.augment.flip == ("x", "y")


@pytest.mark.parametrize(("data", "message"), [
    ({"augment": {"flip": ["z"]}}, 'data.augment.flip[0]: must be one of "x", "y", got the '
                                   'text "z"'),
    ({"augment": {"flip": ["x", "x"]}}, "data.augment.flip: names an axis twice"),
    ({"augment": {"flip": 1}}, 'data.augment.flip: must be true, false or a list of "x" and '
                               '"y", got 1'),
    ({"augment": {"rotate_degrees": 181}}, "data.augment.rotate_degrees: must be between 0 "
                                           "and 180, got 181"),
    ({"augment": {"noise": -1}}, "data.augment.noise: must be between 0 and 100, got -1"),
    ({"augment": {"scale": 2}}, "data.augment.scale: unknown key"),
    ({"augment": {"noise": 0.1}, "jitter": 0.1}, "data.jitter: is the older name of "
                                                 "augment.noise"),
])
def test_a_bad_augmentation_is_refused_in_one_line_naming_the_field(data, message):
    with pytest.raises(sim.ExperimentError) as error:
        experiment(data={**CIRCLES, **data}, **BCE)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


@pytest.mark.parametrize("augment", [{"flip": ["x"]}, {"rotate_degrees": 10}])
def test_flips_and_rotations_need_2d_points(augment):
    key = next(iter(augment))
    with pytest.raises(sim.ExperimentError, match=f"^data.augment.{key}: flips and rotations "
                                                  "move 2-D points: they need data with 2 "
                                                  "inputs, this data has 3"):
        experiment(data={"kind": "parity", "augment": augment},
                   network={"inputs": 3, "layers": [{"units": 1}]})


def test_a_flip_mirrors_each_point_or_leaves_it_and_keeps_its_target():
    trainer = trainer_with({"flip": ["x"]}, standardize=True)
    raw = raw_training_inputs(trainer)
    x, t = epoch_inputs(trainer)
    assert np.array_equal(t, trainer.dataset.t_train)
    assert np.allclose(x[:, 1], raw[:, 1])  # y is never touched
    kept, mirrored = np.isclose(x[:, 0], raw[:, 0]), np.isclose(x[:, 0], -raw[:, 0])
    assert np.all(kept | mirrored)
    assert kept.sum() >= 5 and mirrored.sum() >= 5  # about half each way (30 samples)


def test_a_rotation_turns_each_point_about_the_origin_by_at_most_the_angle():
    trainer = trainer_with({"rotate_degrees": 15}, standardize=True)
    raw = raw_training_inputs(trainer)
    x, t = epoch_inputs(trainer)
    assert np.array_equal(t, trainer.dataset.t_train)
    # The distance from the origin is what labels a circle's point: it is kept.
    assert np.allclose(np.hypot(x[:, 0], x[:, 1]), np.hypot(raw[:, 0], raw[:, 1]))
    turned = np.degrees(np.angle((x[:, 0] + 1j * x[:, 1]) / (raw[:, 0] + 1j * raw[:, 1])))
    assert np.all(np.abs(turned) <= 15 + 1e-9)
    assert np.abs(turned).max() > 10 and (turned > 0).any() and (turned < 0).any()


def test_every_epoch_draws_anew_and_validation_and_test_are_never_augmented():
    plain = trainer_with({}, test_fraction=0.25)
    trainer = trainer_with({"noise": 0.1, "flip": True, "rotate_degrees": 30},
                           test_fraction=0.25)
    dataset = trainer.dataset
    for split in ("x_val", "x_test", "x_train"):
        assert np.array_equal(getattr(dataset, split), getattr(plain.dataset, split))
    first, _ = epoch_inputs(trainer)
    trainer.run(epochs=1)
    second, _ = epoch_inputs(trainer)
    assert not np.allclose(first, second)
    trainer.run(epochs=3)
    for split in ("x_val", "x_test", "x_train"):  # the data itself is as it was built
        assert np.array_equal(getattr(dataset, split), getattr(plain.dataset, split))
    # The validation loss recorded is that of the validation set as it is, unaugmented.
    val = trainer.history.column("val_loss")[-1]
    assert trainer.network.loss_value(dataset.x_val, dataset.t_val, "bce") == val


def test_noise_alone_draws_as_jitter_always_did():
    """Flips and rotations draw nothing when off, so noise gives the numbers it always gave:
    the training inputs plus one normal draw of the augmentation stream per epoch."""
    trainer = trainer_with({"noise": 0.05})
    x_train = trainer.dataset.x_train
    stream = np.random.default_rng()
    stream.bit_generator.state = trainer.sampler.streams["jitter"].bit_generator.state
    x, _, _ = trainer.sampler.next_batch()
    assert np.array_equal(x, x_train + stream.normal(0.0, 0.05, x_train.shape))


def test_augmentation_changes_live_and_a_run_saved_after_resumes_bit_for_bit():
    start = experiment(data=CIRCLES, batch_size=7, **BCE)
    augmented = start.replace(data=dataclasses.replace(
        start.data, augment=AugmentSpec(noise=0.05, flip=("y",), rotate_degrees=10)))
    assert sim.experiment.live_compatible(start, augmented)
    trainer = sim.Trainer(start)
    trainer.run(steps=3)  # inside the first epoch (30 samples, 7 a batch)
    trainer.apply_live(augmented)
    assert trainer.position == 0  # the epoch in progress starts over, augmented
    trainer.run(steps=4)
    resumed = sim.Trainer(sim.parse(sim.experiment.to_dict(trainer.to_experiment())))
    assert resumed.experiment.data.augment == augmented.data.augment
    trainer.run(steps=10)
    resumed.run(steps=10)
    assert np.array_equal(trainer.network.theta, resumed.network.theta)


@pytest.mark.parametrize(("batch_size", "augment"), [(None, {"noise": 0.1}), (1, {"flip": True}),
                                                      (None, {})])
def test_the_batch_note_says_when_the_inputs_shown_are_augmented(batch_size, augment):
    from sim import explain

    trainer = sim.Trainer(experiment(data={**CIRCLES, "augment": augment}, batch_size=batch_size,
                                     **BCE))
    trainer.step()
    note = explain.following(trainer.snapshot(), None)
    said = "Its inputs are this epoch's augmented version of the sample (data.augment)"
    assert (said in note) == bool(augment)
