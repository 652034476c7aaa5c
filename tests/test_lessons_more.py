"""Claim tests of the lessons of issue 14: RMSprop, Nesterov, a schedule, L1, outliers,
sigmoid against tanh, more data against a bigger model, momentum past a local minimum and
the batch size per epoch and per second. Each accounts for every number its text states."""

from __future__ import annotations

import dataclasses

import numpy as np

import sim
from sim import landscape, lessons, losses, palette
from sim.activations import ACTIVATIONS, Activation
from sim.schedules import ScheduleSpec
from tests.lesson_text import LessonText
from tests.test_lessons import (
    changed,
    lesson,
    says_architecture,
    says_ravine_target,
    steps_to_target,
    weights_after_each_step,
    whole_set_loss,
)

# ---------------------------------------------------------------- the ravine: Nesterov, RMSprop


def test_nesterov_in_the_ravine():
    text = LessonText("optimizer-nesterov.json")
    optimizer = text.experiment.optimizer
    assert optimizer.nesterov
    text.names("1986", "the momentum lesson's title")
    text.says("0.01", optimizer.learning_rate, times=3)
    text.says("0.9", optimizer.momentum, times=3)
    says_ravine_target(text)
    trainer = lesson("optimizer-nesterov.json")
    w1 = weights_after_each_step(trainer)[:, 0]
    text.says("55", len(w1))
    momentum = lesson("optimizer-momentum.json")
    momentum_w1 = weights_after_each_step(momentum)[:, 0]
    text.says("84", len(momentum_w1))
    text.says("2", 2.0)
    text.says("2.28", w1.max())
    text.says("2.36", momentum_w1.max())
    text.done()


def first_below(losses: np.ndarray, level: float) -> int:
    """The first step (from 1) whose loss is below ``level``."""
    below = losses < level
    assert below.any()
    return int(np.argmax(below)) + 1


def test_rmsprop_in_the_ravine_hops_at_the_bottom():
    text = LessonText("optimizer-rmsprop.json")
    optimizer = text.experiment.optimizer
    assert optimizer.kind == "rmsprop"
    text.says("0.01", optimizer.learning_rate, times=2)  # the rate; "0.0316, not 0.01"
    text.says("−0.01", -optimizer.learning_rate)
    text.says("0.9", optimizer.rho)
    text.says("0.1", 1 - optimizer.rho)
    trainer = lesson("optimizer-rmsprop.json")
    w = weights_after_each_step(trainer)
    text.says("0.0316", np.abs(w[0]))  # both weights' first steps, from 0
    text.says("0", 0.0)  # v starts at 0
    assert not np.any(lesson("optimizer-rmsprop.json").optimizer.state()["square_avg"])
    losses = trainer.history.column("loss")
    text.says("10⁻²", 1e-2)
    text.says("205", first_below(losses, 1e-2))
    hopping_from = text.bound("300")
    text.says("0.0017", losses[int(hopping_from) - 1:])
    steps = np.abs(np.diff(w[int(hopping_from) - 1:, 0]))
    text.says("0.01", steps)
    text.says("1.995", w[int(hopping_from) - 1:, 0].min())
    text.says("2.005", w[int(hopping_from) - 1:, 0].max())
    experiment = text.experiment
    slower = changed("optimizer-rmsprop.json",
                     optimizer=dataclasses.replace(optimizer, learning_rate=text.bound("0.001")),
                     stopping=dataclasses.replace(experiment.stopping, max_steps=3000,
                                                  loss_below=text.bound("10⁻⁴")))
    text.says("2027", steps_to_target(slower))
    text.done()


# ---------------------------------------------------------------- a step schedule


def weight_path(trainer: sim.Trainer) -> np.ndarray:
    """The one weight of a one-weight network: its start, then its value after each step."""
    path = [float(trainer.network.layers[0].W[0, 0])]
    trainer.run(on_step=lambda t: path.append(float(t.network.layers[0].W[0, 0])))
    return np.array(path)


def test_step_schedule_shrinks_the_steps_and_settles():
    text = LessonText("schedule-step.json")
    experiment = text.experiment
    text.names("000", "seed 000")
    for written in ("10", "5", "2", "1", "6"):  # its feet and inches
        text.cites(written, "seed 000's shrinking steps")
    samples = len(lesson("schedule-step.json").dataset.x_train)
    text.says("20", samples)
    assert experiment.batch_size == 1
    text.says("0.5", experiment.optimizer.learning_rate)
    schedule = experiment.schedule
    assert (schedule.kind, schedule.unit) == ("step", "epochs")
    assert schedule.gamma == 0.5  # "halves"
    text.says("5", schedule.step_size, times=2)
    trainer = lesson("schedule-step.json")
    w = weight_path(trainer)
    rates = trainer.history.column("learning_rate")
    stage = schedule.step_size * samples  # steps per stair
    assert np.allclose(rates[::stage], 0.5 * 0.5 ** np.arange(len(rates[::stage])))
    steps = np.abs(np.diff(w))
    for k, written in enumerate(("0.28", "0.12", "0.056", "0.027", "0.013")):
        text.says(written, steps[k * stage:(k + 1) * stage].mean())
    assert len(steps) == 5 * stage  # the last stair is the last 5 epochs
    x, t = trainer.dataset.x_train[:, 0], trainer.dataset.t_train[:, 0]
    text.says("2.09", w[-1])
    text.says("2.11", x @ t / (x @ x))  # the least-squares slope: the bottom of E(w)
    constant = changed("schedule-step.json", schedule=ScheduleSpec())
    last_epoch = weight_path(constant)[-samples:]
    text.says("1.28", last_epoch.min())
    text.says("2.51", last_epoch.max())
    text.says("25", experiment.stopping.max_epochs)
    text.done()


# ---------------------------------------------------------------- L1 against L2


def drawn_grey(trainer: sim.Trainer, weights: np.ndarray) -> np.ndarray:
    """Whether each weight falls in the weight map's middle bin, the grey of zero, on the
    lesson's fixed colour range."""
    top = trainer.experiment.view.colour_range("weight")
    assert top is not None
    return palette.bins(weights, palette.fixed_scale("weight", top)) == palette.BINS // 2


def test_l1_sends_the_unneeded_weights_to_zero_and_l2_only_shrinks_them():
    name = "regularisation-l1.json"
    text = LessonText(name)
    experiment = text.experiment
    trainer = lesson(name)
    x, t = trainer.dataset.x_train, trainer.dataset.t_train[:, 0]
    text.says("20", len(x))
    text.says("2", np.linalg.lstsq(x[:, :2], t, rcond=None)[0][0])  # "about 2 x1 − x2"
    l1 = experiment.regularization.l1
    text.says("0.4", l1, times=2)
    text.says("0", 0.0, times=2)  # "towards 0", "fall to 0"
    w = weights_after_each_step(trainer)
    settled = int(text.bound("300")) - 1
    needed, unneeded = w[settled:, :2], w[settled:, 2:]
    text.says("1.56", needed[:, 0])
    text.says("−0.70", needed[:, 1])
    assert drawn_grey(trainer, unneeded).all() and not drawn_grey(trainer, needed).any()
    text.says("0", 0.0)  # "never lands exactly on 0": no step leaves one there
    assert np.all(unneeded != 0.0)
    text.says("0", 0.0, times=2)  # "crosses 0", "hop about 0"
    assert (np.sign(unneeded[1:]) != np.sign(unneeded[:-1])).any(axis=0).all()
    text.says("0.015", np.abs(unneeded).max())
    text.names("0", "where a proximal step would stop a weight that would cross it")
    text.says("0", 0.0)  # "set L1 to 0"
    l2 = text.bound("0.1")
    ridge = changed(name, regularization=dataclasses.replace(
        experiment.regularization, l1=0.0, l2=l2))
    ridge.run()
    kept = ridge.network.layers[0].W[0, 2:]
    for written, value in zip(("0.054", "−0.227", "0.175", "0.136"), kept, strict=True):
        text.says(written, value)
    assert not drawn_grey(ridge, kept).any()
    text.done()


# ---------------------------------------------------------------- momentum and two valleys


def with_momentum(name: str, momentum: float) -> sim.Trainer:
    optimizer = lessons.load_lesson(name).optimizer
    return changed(name, optimizer=dataclasses.replace(optimizer, momentum=momentum))


def test_momentum_carries_the_weight_over_a_ridge_into_the_deeper_valley():
    name = "momentum-two-valleys.json"
    text = LessonText(name)
    trainer = lesson(name)
    x, t = trainer.dataset.x_train[:, 0], trainer.dataset.t_train[:, 0]
    text.says("1", x[0])
    text.says("0.3", t[0])
    text.says("0.2", x[1])
    text.says("0.9", t[1])
    # The loss along w, from the engine's own landscape, on a fine grid.
    values = np.linspace(-1.0, 12.0, 26001)
    losses = landscape.loss_at(trainer.network, trainer.dataset.x_train, trainer.dataset.t_train,
                               trainer.experiment.loss, 0.0, 0.0, (0,), values[:, None])
    inner = np.arange(1, len(values) - 1)
    lows = inner[(losses[inner] < losses[inner - 1]) & (losses[inner] < losses[inner + 1])]
    highs = inner[(losses[inner] > losses[inner - 1]) & (losses[inner] > losses[inner + 1])]
    assert len(lows) == 2 and len(highs) == 1
    (shallow, deep), ridge = lows, highs[0]
    text.says("0.56", values[shallow])
    text.says("0.332", losses[shallow])
    text.says("1.48", values[ridge])
    text.says("0.368", losses[ridge])
    text.says("7.36", values[deep])
    text.says("0.245", losses[deep])
    assert losses[deep] < losses[shallow]
    w = weight_path(trainer)
    text.says("0", w[0])  # "from w = 0"
    stuck = with_momentum(name, 0.0)
    plain = weight_path(stuck)
    text.says("0", stuck.network.layers[0].dW[0, 0])  # "where the gradient is 0"
    text.says("1", trainer.experiment.optimizer.learning_rate)
    text.says("0.56", plain[-20:])  # "w stays at 0.56"
    assert abs(plain[-1] - plain[-2]) < 1e-9  # it no longer moves
    text.says("0", 0.0)  # "set momentum to 0"
    text.says("0.9", trainer.experiment.optimizer.momentum, times=2)
    over = w > values[ridge]
    text.says("4", first_step_where(over))
    assert over[np.argmax(over):].all()  # and never comes back over the ridge
    text.says("8.10", w.max())
    assert w[-1] < w.max() and w[-1] > values[deep]  # coming back towards the floor
    half = weight_path(with_momentum(name, text.bound("0.5")))
    text.says("0.85", half.max())
    assert abs(half[-1] - values[shallow]) < 0.01  # back in the first valley
    text.bound("0.5")  # the note: 0.5 is not enough
    assert half[-1] < values[ridge]
    text.names("000", "seed 000")
    text.names("003", "seed 003")
    text.done()


def first_step_where(condition: np.ndarray) -> int:
    """The step after which ``condition`` first holds; condition[0] is the start."""
    assert condition.any()
    return int(np.argmax(condition))


# ---------------------------------------------------------------- sigmoid against tanh


def with_hidden(name: str, kind: str, rate: float | None = None) -> sim.Trainer:
    """The lesson with its hidden layer's activation (and perhaps its learning rate) changed."""
    experiment = lessons.load_lesson(name)
    network = experiment.network
    hidden = dataclasses.replace(network.layers[0], activation=Activation(kind))
    optimizer = experiment.optimizer if rate is None else \
        dataclasses.replace(experiment.optimizer, learning_rate=rate)
    return changed(name, network=dataclasses.replace(network, layers=(hidden,
                                                                      *network.layers[1:])),
                   optimizer=optimizer)


def same_direction_share(trainer: sim.Trainer) -> float:
    """Over a run: the share of steps in which the output unit's incoming weights (not its
    bias) all change the same way."""
    same: list[bool] = []
    trainer.run(on_step=lambda t: same.append(bool(
        np.all(t.network.layers[-1].dW >= 0) or np.all(t.network.layers[-1].dW <= 0))))
    return float(np.mean(same))


def training_accuracy(trainer: sim.Trainer) -> float:
    """The share of training points on the right side of the boundary (output 0.5)."""
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    return float(np.mean((trainer.network.predict(x) > 0.5) == (t > 0.5)))


def test_sigmoid_against_tanh_and_seed_004s_zero_centred_claim():
    name = "sigmoid-vs-tanh.json"
    text = LessonText(name)
    experiment = text.experiment
    assert experiment.network.layers[0].activation.kind == "sigmoid"
    assert experiment.batch_size == 1
    says_architecture(text)  # 2-4-1
    sigmoid = lesson(name)
    text.says("64", len(sigmoid.dataset.x_train))
    text.says("0.3", experiment.optimizer.learning_rate)
    text.says("100%", same_direction_share(sigmoid))
    hidden = sigmoid.network.forward(sigmoid.dataset.x_train).a[1]
    assert (hidden > 0).all()
    text.says("0.41", hidden.mean())
    units = experiment.network.layers[0].units
    text.says("4", units, times=2)
    text.says("1280", sigmoid.step_count)
    text.says("20", sigmoid.epoch_count)
    text.says("0.193", whole_set_loss(sigmoid))
    text.says("92%", training_accuracy(sigmoid))
    tanh = with_hidden(name, "tanh")
    text.says("1", 1.0)  # layer 1
    text.says("0", 0.0)  # "on both sides of 0"
    text.says("1.1%", same_direction_share(tanh))
    tanh_hidden = tanh.network.forward(tanh.dataset.x_train).a[1]
    assert (tanh_hidden > 0).any() and (tanh_hidden < 0).any()
    text.says("0.013", whole_set_loss(tanh))
    assert training_accuracy(tanh) == 1.0  # "every point on the right side"
    # The note: tanh is a sigmoid stretched and shifted, 4 times as steep at 0.
    text.names("004", "seed 004", times=2)
    z = np.linspace(-5.0, 5.0, 101)
    sigma, hyperbolic = ACTIVATIONS["sigmoid"], ACTIVATIONS["tanh"]
    np.testing.assert_allclose(hyperbolic.forward(z, 0.0), 2 * sigma.forward(2 * z, 0.0) - 1,
                               atol=1e-12)
    text.says("2", 2.0, times=2)
    text.says("1", 1.0)
    text.says("0", 0.0)
    text.says("1", hyperbolic.max_derivative)
    text.says("0.25", sigma.max_derivative)
    text.says("4", hyperbolic.max_derivative / sigma.max_derivative, times=2)
    faster = with_hidden(name, "sigmoid", rate=4 * experiment.optimizer.learning_rate)
    text.says("1.2", faster.experiment.optimizer.learning_rate)
    faster.run()
    text.says("0.035", whole_set_loss(faster))
    assert whole_set_loss(tanh) < whole_set_loss(faster) < whole_set_loss(sigmoid)
    text.done()


# ---------------------------------------------------------------- more data, bigger model


def with_hidden_units(name: str, units: int) -> sim.Trainer:
    network = lessons.load_lesson(name).network
    *hidden, output = network.layers
    layers = tuple(dataclasses.replace(layer, units=units) for layer in hidden) + (output,)
    return changed(name, network=dataclasses.replace(network, layers=layers))


def validation_minimum_and_end(trainer: sim.Trainer) -> tuple[int, float, float]:
    """The step (from 1) of the lowest validation loss, that loss, and the last one."""
    trainer.run()
    val = trainer.history.column("val_loss")
    best = int(np.nanargmin(val))
    return best + 1, float(val[best]), float(val[-1])


def test_more_data_cures_overfitting_and_a_bigger_model_does_not():
    text = LessonText("more-data.json")
    small = lesson("overfitting.json")
    text.says("30", len(small.dataset.x_train), times=3)
    more = lesson("more-data.json")
    assert more.experiment.network == small.experiment.network
    text.says("1000", more.experiment.data.samples)
    text.says("300", len(more.dataset.x_train))
    text.says("700", len(more.dataset.x_val))
    assert len(more.dataset.x_train) == 10 * len(small.dataset.x_train)  # "ten times"
    says_architecture(text)
    more_best, more_low, more_end = validation_minimum_and_end(more)
    text.says("199", more_best)
    text.says("0.30", more_low)
    text.says("0.145", more.history.column("loss")[-1])
    text.says("2000", more.step_count)
    text.says("0.50", more_end, times=2)
    small_best, _, small_end = validation_minimum_and_end(small)
    text.says("1.59", small_end)
    text.says("151", small_best)
    text.says("24", 24)
    bigger_best, bigger_low, bigger_end = validation_minimum_and_end(
        with_hidden_units("overfitting.json", 24))
    text.says("93", bigger_best)
    text.says("1.13", bigger_end)
    text.says("2.8", bigger_end / bigger_low)
    text.names("000", "seed 000", times=2)
    text.says("4", 4)
    _, simpler_low, simpler_end = validation_minimum_and_end(
        with_hidden_units("overfitting.json", 4))
    text.says("0.99", simpler_end)
    text.says("2.8", simpler_end / simpler_low)
    assert more_end < simpler_end < small_end
    text.done()


# ---------------------------------------------------------------- outliers


def fitted_line(trainer: sim.Trainer) -> tuple[float, float]:
    """Slope and intercept of a one-unit linear network after its run."""
    trainer.run()
    layer = trainer.network.layers[0]
    assert layer.b is not None
    return float(layer.W[0, 0]), float(layer.b[0])


def test_an_outlier_pulls_the_squared_error_fit_and_barely_the_huber_one():
    name = "outliers.json"
    text = LessonText(name)
    experiment = text.experiment
    trainer = lesson(name)
    x, t = trainer.dataset.x_train[:, 0], trainer.dataset.t_train[:, 0]
    good_x, good_t = x[:-1], t[:-1]
    assert len(good_x) == 11  # "Eleven points"
    slope = text.bound("2")  # t = 2x
    assert np.abs(good_t - slope * good_x).max() < 0.25  # "blurred a little"
    text.says("0.6", x[-1])
    text.says("−4", t[-1])
    text.says("1.2", slope * x[-1])
    assert experiment.loss == "mse"
    text.says("1.44", fitted_line(trainer)[0])
    text.says("−0.40", fitted_line(lesson(name))[1])
    inline = experiment.data
    clean = changed(name, data=dataclasses.replace(inline, inputs=inline.inputs[:-1],
                                                     targets=inline.targets[:-1]))
    clean_slope, clean_intercept = fitted_line(clean)
    text.says("2.05", clean_slope)
    text.says("0.01", clean_intercept)
    huber = changed(name, loss="huber")
    huber_slope, huber_intercept = fitted_line(huber)
    text.says("1.91", huber_slope)
    text.says("−0.08", huber_intercept)
    text.says("1", losses.HUBER_DELTA, times=2)  # squared up to 1; a force of at most 1
    errors = huber.network.predict(huber.dataset.x_train)[:, 0] - t
    assert abs(errors[-1]) > losses.HUBER_DELTA  # the bad point is on the straight part
    # The note: the loss falls at every step with the bad point as without it, because the
    # curvature (the change of the gradient between two points) does not depend on the targets.
    text.names("000", "seed 000", times=2)
    for run in (lesson(name), clean):
        run.run()
        assert np.all(np.diff(run.history.column("loss")) <= 1e-12)  # never rises
    right_targets = trainer.dataset.t_train.copy()
    right_targets[-1] = slope * x[-1]
    network = lesson(name).network
    changes = []
    for targets in (trainer.dataset.t_train, right_targets):
        gradients = []
        for theta in (np.zeros(2), np.array([1.0, -0.5])):
            network.theta[:] = theta
            network.loss_and_gradient(trainer.dataset.x_train, targets, "mse")
            gradients.append(network.grad.copy())
        changes.append(gradients[1] - gradients[0])
    np.testing.assert_allclose(changes[0], changes[1], atol=1e-12)
    text.done()


# ---------------------------------------------------------------- batch size per second


def batch_run(size: str, **stopping: int | None) -> sim.Trainer:
    """One of the three batch lessons, run to its end or to the stopping given."""
    name = f"batch-{size}.json"
    experiment = lessons.load_lesson(name)
    trainer = changed(name, stopping=dataclasses.replace(experiment.stopping, **stopping)) \
        if stopping else lesson(name)
    trainer.run()
    return trainer


def test_batch_size_per_epoch_per_step_and_per_second():
    name = "batch-per-second.json"
    text = LessonText(name)
    trainer = lesson(name)
    text.names("002", "seed 002", times=2)
    assert trainer.batch_size == len(trainer.dataset.x_train)
    text.says("64", trainer.batch_size, times=2)
    stochastic = batch_run("stochastic")
    text.says("1920", trainer.experiment.stopping.max_epochs)
    text.says("1920", stochastic.step_count)
    text.says("30", stochastic.epoch_count, times=3)
    text.says("1", stochastic.batch_size, times=4)  # in a title, "with 1", "to 1", "for 1"
    per_epoch = {size: batch_run(size) for size in ("full", "mini", "stochastic")}
    assert all(run.epoch_count == 30 for run in per_epoch.values())
    text.says("8", per_epoch["mini"].batch_size, times=2)
    for written, size in (("0.22", "full"), ("0.087", "mini")):
        text.says(written, whole_set_loss(per_epoch[size]))
    text.says("0.0033", whole_set_loss(per_epoch["stochastic"]), times=2)
    trainer.run()
    assert trainer.step_count == stochastic.step_count
    text.says("0.0058", whole_set_loss(trainer))
    mini_steps = batch_run("mini", max_epochs=None, max_steps=stochastic.step_count)
    assert mini_steps.step_count == stochastic.step_count
    text.says("0.0043", whole_set_loss(mini_steps))
    # "by a little, per step": behind, but by less than a factor of 2, not 65 as per epoch
    assert whole_set_loss(per_epoch["stochastic"]) < whole_set_loss(mini_steps) < \
        whole_set_loss(trainer) < 2 * whole_set_loss(per_epoch["stochastic"])
    # The note: the last plotted point of each 30-epoch run is its last batch's loss.
    for written, size in (("0.219", "full"), ("0.131", "mini"), ("3.6 × 10⁻⁵", "stochastic")):
        text.says(written, per_epoch[size].history.column("loss")[-1])
    text.done()
