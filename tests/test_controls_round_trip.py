"""Every engine setting has a control: each round-trips through save and open, applies only
where the engine uses it, and a setting the parser refuses changes nothing."""

from __future__ import annotations

import pytest

import sim
from sim import lessons
from sim.augment import AugmentSpec
from sim.experiment import to_dict
from tests.conftest import experiment
from tests.test_control_panel import panel_on

BASE = {"data": {"kind": "circles", "samples": 40, "validation_fraction": 0.25},
        "loss": "bce", "optimizer": {"kind": "sgd", "learning_rate": 0.5}}
ADAM = {"optimizer": {"kind": "adam", "learning_rate": 0.01}}
STEP = {"schedule": {"kind": "step"}}
EARLY = {"stopping": {"early_stopping": {"patience": 10}}}

# Each control: the settings it starts from (beside BASE) and the value it is set to.
ROUND_TRIPS: dict[str, tuple[dict, object]] = {
    "validation_fraction": ({}, 0.3),
    "test_fraction": ({}, 0.2),
    "standardize": ({}, True),
    "seed": ({}, 7),
    "optimizer": ({}, "rmsprop"),
    "learning_rate": ({}, 0.25),
    "momentum": ({}, 0.5),
    "nesterov": ({}, True),
    "rho": ({"optimizer": {"kind": "rmsprop"}}, 0.8),
    "beta1": (ADAM, 0.8),
    "beta2": (ADAM, 0.99),
    "epsilon": (ADAM, 1e-6),
    "schedule": ({}, "exponential"),
    "step_size": (STEP, 50),
    "gamma": (STEP, 0.25),
    "decay_steps": ({"schedule": {"kind": "exponential"}}, 250.0),
    "unit": (STEP, "epochs"),
    "batch_size": ({}, 8),
    "shuffle": ({"batch_size": 8}, False),
    "clipping": ({}, "value"),
    "threshold": ({"clipping": {"kind": "global_norm", "threshold": 1}}, 2.5),
    "l2": ({}, 0.01),
    "l1": ({}, 0.001),
    "dropout": ({}, 0.2),
    "noise_each_epoch": ({}, 0.05),
    "flip_x": ({}, True),
    "flip_y": ({}, True),
    "rotate_degrees": ({}, 15.0),
    "max_steps": ({}, 500),
    "max_epochs": ({}, 30),
    "loss_below": ({}, 0.01),
    "time_limit": ({}, 2.5),
    "validation_interval": ({}, 5),
    "early_stopping": ({}, True),
    "patience": (EARLY, 4),
    "min_delta": (EARLY, 0.001),
    "restore_best": (EARLY, False),
}


def test_every_setting_of_the_panel_is_tested_here(qtbot):
    panel, _ = panel_on(qtbot, experiment(**BASE))
    assert set(panel.fields) == set(ROUND_TRIPS)


@pytest.mark.parametrize("name", ROUND_TRIPS)
def test_a_control_round_trips_through_save_and_open(qtbot, tmp_path, name):
    from gui.control_fields import show_value, value_of

    start_settings, value = ROUND_TRIPS[name]
    start = experiment(**{**BASE, **start_settings})
    panel, edited = panel_on(qtbot, start)
    setting = panel.settings[name]
    assert panel.applies(name)
    assert setting.read(to_dict(start)) != value
    show_value(panel.fields[name], value)  # as a user sets it
    assert panel.error.text() == ""
    made = edited[-1]
    assert setting.read(to_dict(made)) == value
    path = tmp_path / "saved.json"
    sim.save(made, path)
    opened = sim.load(path)
    assert opened == made
    assert setting.read(to_dict(opened)) == value  # in the experiment
    reopened, _ = panel_on(qtbot, opened)
    assert value_of(reopened.fields[name]) == value  # and in the panel
    assert reopened.document == to_dict(opened)


@pytest.mark.parametrize(("start", "shown", "hidden"), [
    ({}, {"momentum", "nesterov"}, {"rho", "beta1", "beta2", "epsilon"}),
    (ADAM, {"beta1", "beta2", "epsilon"}, {"momentum", "nesterov", "rho"}),
    ({"optimizer": {"kind": "rmsprop"}}, {"rho", "epsilon"}, {"momentum", "beta1", "beta2"}),
    ({}, set(), {"step_size", "gamma", "decay_steps", "unit", "threshold", "shuffle",
                 "patience", "min_delta", "restore_best"}),
    (STEP, {"step_size", "gamma", "unit"}, {"decay_steps"}),
    ({"schedule": {"kind": "exponential"}}, {"gamma", "decay_steps", "unit"}, {"step_size"}),
    ({**EARLY, "batch_size": 4, "clipping": {"kind": "value", "threshold": 1}},
     {"patience", "min_delta", "restore_best", "shuffle", "threshold"}, set()),
    ({"data": {"kind": "parity"}, "network": {"inputs": 3, "layers": [{"units": 1}]}},
     {"noise_each_epoch"}, {"flip_x", "flip_y", "rotate_degrees"}),
])
def test_controls_that_do_not_apply_are_hidden(qtbot, start, shown, hidden):
    panel, _ = panel_on(qtbot, experiment(**{**BASE, **start}))
    assert {name for name in shown | hidden if panel.applies(name)} == shown


def test_choosing_another_optimizer_shows_its_own_settings(qtbot):
    panel, edited = panel_on(qtbot, experiment(**BASE))
    panel.fields["optimizer"].setCurrentText("adam")
    assert edited[-1].optimizer.kind == "adam"
    assert panel.applies("beta1") and not panel.applies("momentum")


@pytest.mark.parametrize(("start", "name", "value", "message"), [
    ({"data": {**BASE["data"], "validation_fraction": 0}}, "early_stopping", True,
     "stopping.early_stopping: needs a validation set: set data.validation_fraction above 0"),
    ({}, "max_steps", 2.5, "stopping.max_steps: must be a whole number, got 2.5"),
    ({"data": {**BASE["data"], "test_fraction": 0.5}}, "validation_fraction", 0.5,
     "data.test_fraction: validation_fraction and test_fraction together may hold out at "
     "most 0.9 of the samples"),
])
def test_a_refused_setting_says_why_in_one_line_and_changes_nothing(qtbot, start, name, value,
                                                                     message):
    from gui.control_fields import show_value, value_of

    panel, edited = panel_on(qtbot, experiment(**{**BASE, **start}))
    before = panel.document
    shown = value_of(panel.fields[name])
    show_value(panel.fields[name], value)
    assert panel.error.text() == message
    assert edited == [] and panel.document == before
    assert value_of(panel.fields[name]) == shown  # the control shows what is in force


def test_data_of_another_shape_keeps_the_noise_and_drops_flips_and_rotations(qtbot):
    augmented = {**BASE["data"], "augment": {"noise": 0.1, "flip": True, "rotate_degrees": 10}}
    panel, edited = panel_on(qtbot, experiment(**{**BASE, "data": augmented}))
    panel.data_kind.setCurrentText("parity")
    assert panel.error.text() == ""
    assert edited[-1].data.augment == AugmentSpec(noise=0.1)
    assert edited[-1].network.inputs == 3


def test_a_lesson_opens_with_its_augmentation_in_the_panel(qtbot):
    from gui.control_fields import value_of

    panel, _ = panel_on(qtbot, lessons.load_lesson("overfitting-augmentation.json"))
    fields = panel.fields
    assert [value_of(fields[name]) for name in ("flip_x", "flip_y", "rotate_degrees")] == \
        [True, True, 30.0]


def test_augmentation_turned_off_in_the_window_applies_live_and_a_reset_keeps_it_off(
        make_window, qtbot):
    from gui.control_fields import show_value

    window = make_window(lessons.load_lesson("overfitting-augmentation.json"))
    asked: list[bool] = []
    window.confirm_rebuild = lambda: asked.append(True) or False
    fields = window.controls.fields
    for name, value in (("flip_x", False), ("flip_y", False), ("rotate_degrees", 0.0)):
        show_value(fields[name], value)
    qtbot.waitUntil(lambda: window.snapshot.experiment.data.augment == AugmentSpec(),
                    timeout=5000)
    assert asked == []  # the same data and network: no rebuild
    window.run.reset()
    window.run.worker.run_steps(2)
    qtbot.waitUntil(lambda: window.snapshot.step == 2, timeout=10000)
    assert window.snapshot.experiment.data.augment == AugmentSpec()
