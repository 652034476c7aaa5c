"""Every engine setting the Controls panel edits beside the data and the layers, group by group:
training (optimizer, schedule, batches, clipping), regularisation, augmentation and stopping.

Each is a `Setting`: what it shows for a document, the edit it makes, and when it applies (the
others are hidden). The ranges of the widgets are the parser's; `sim.parse` still checks every
edited document, so a combination it refuses (early stopping without a validation set) is
refused with its one-line reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QCheckBox, QSpinBox

from sim import clipping, optimizers, schedules
from sim.augment import AXES, MAX_NOISE, MAX_ROTATION
from sim.experiment import EarlyStoppingSpec
from sim.optimizers import OptimizerSpec
from sim.schedules import ScheduleSpec

from .control_fields import Field, NumberBox, Setting, combo, int_spin, spin

MAX_COUNT = 10**12  # steps or epochs a stopping rule may name (the parser's bound)


def _check(text: str) -> Callable[[], QCheckBox]:
    return lambda: QCheckBox(text)


def _in(section: str, key: str, default: Any) -> Callable[[dict], Any]:
    """Read ``document[section][key]``, ``default`` where the section leaves it out."""
    return lambda d: (d.get(section) or {}).get(key, default)


def _put(section: str, key: str) -> Callable[[dict, Any], None]:
    def write(document: dict, value: Any) -> None:
        document[section][key] = value
    return write


def _optional(section: str, key: str) -> Callable[[dict, Any], None]:
    """Write a rule that 0 turns off (the key is left out). A count typed with a fraction is
    written as it is, for the parser to refuse by name."""
    def write(document: dict, value: Any) -> None:
        if value:
            document[section][key] = value
        else:
            document[section].pop(key, None)
    return write


# ---------------------------------------------------------------------------- widgets

def _steps() -> QSpinBox:
    box = int_spin(0, 10**9, "each epoch")
    box.setSuffix(" steps")
    return box


def _seconds() -> NumberBox:
    box = NumberBox(0.0, 1e7, 1.0, "none")
    box.setSuffix(" s")
    return box


def _validations() -> QSpinBox:
    box = int_spin(1, 10**6)
    box.setSuffix(" validations")
    return box


def _degrees() -> NumberBox:
    box = NumberBox(0.0, MAX_ROTATION, 5.0)
    box.setSuffix("°")
    return box


# ---------------------------------------------------------------------------- data

def _fraction(key: str, tip: str) -> Setting:
    return Setting(key, key.replace("_", " "), lambda: spin(0.0, 0.9, 2, 0.05),
                   _in("data", key, 0.0), _put("data", key), tip=tip)


DATA = (
    _fraction("validation_fraction", "Share of the samples held out for validation: never "
                                     "trained on, measured at every validation"),
    _fraction("test_fraction", "Share of the samples held out as a test set: never trained "
                               "on, never validated on, looked at once at the end"),
    Setting("standardize", "standardise", _check("inputs to mean 0, std 1"),
            _in("data", "standardize", False), _put("data", "standardize"),
            tip="scale every input by the training set's mean and standard deviation"),
    Setting("seed", "seed", lambda: int_spin(0, 2**31 - 1), lambda d: d["seed"],
            lambda d, v: d.__setitem__("seed", v),
            tip="seeds the data, the split, the initial weights and every random draw"),
)


# ---------------------------------------------------------------------------- training

def _optimizer_uses(key: str) -> Callable[[dict], bool]:
    return lambda d: key in optimizers.OPTIMIZERS[d["optimizer"]["kind"]].options


def _optimizer_option(key: str, label: str, make: Callable[[], Field], tip: str) -> Setting:
    return Setting(key, label, make, _in("optimizer", key, getattr(OptimizerSpec(), key)),
                   _put("optimizer", key), _optimizer_uses(key), tip)


def _set_optimizer(document: dict, kind: str) -> None:
    """A new optimizer keeps the learning rate; its own options start at their defaults."""
    document["optimizer"] = {"kind": kind,
                             "learning_rate": document["optimizer"]["learning_rate"]}


def _schedule_uses(key: str) -> Callable[[dict], bool]:
    return lambda d: key in schedules.OPTIONS[d["schedule"]["kind"]]


def _schedule_option(key: str, label: str, make: Callable[[], Field], tip: str) -> Setting:
    return Setting(key, label, make, _in("schedule", key, getattr(ScheduleSpec(), key)),
                   _put("schedule", key), _schedule_uses(key), tip)


def _set_clipping(document: dict, kind: str) -> None:
    threshold = document["clipping"].get("threshold", clipping.ClippingSpec().threshold)
    document["clipping"] = {"kind": kind} if kind == "none" else \
        {"kind": kind, "threshold": threshold}


TRAINING = (
    Setting("optimizer", "optimizer", lambda: combo(optimizers.KINDS), _in("optimizer", "kind",
            "sgd"), _set_optimizer),
    Setting("learning_rate", "learning rate", lambda: NumberBox(1e-6, 1e6, 0.01),
            _in("optimizer", "learning_rate", 0.1), _put("optimizer", "learning_rate")),
    _optimizer_option("momentum", "momentum", lambda: spin(0.0, 0.999, 3, 0.05),
                      "dw(t) = −lr·g + momentum·dw(t−1); 0: plain gradient descent"),
    _optimizer_option("nesterov", "Nesterov", _check("look ahead"),
                      "Nesterov's momentum: the gradient step is taken from the point the "
                      "momentum leads to (no effect with momentum 0)"),
    _optimizer_option("rho", "ρ (decay)", lambda: NumberBox(0.0, 0.9999, 0.01),
                      "RMSprop: v = ρ·v + (1 − ρ)·g²"),
    _optimizer_option("beta1", "β₁", lambda: NumberBox(0.0, 0.9999, 0.01),
                      "Adam: decay of the mean of the gradients (first moment)"),
    _optimizer_option("beta2", "β₂", lambda: NumberBox(0.0, 0.999999, 0.001),
                      "Adam: decay of the mean of the squared gradients (second moment)"),
    _optimizer_option("epsilon", "ε", lambda: NumberBox(1e-12, 1.0, 1e-8),
                      "added to the square root in the denominator, so it is never 0"),
    Setting("schedule", "schedule", lambda: combo(schedules.KINDS), _in("schedule", "kind",
            "constant"), lambda d, kind: d.__setitem__("schedule", {"kind": kind})),
    _schedule_option("step_size", "step size", lambda: int_spin(1, 10**9),
                     "step schedule: the rate is multiplied by γ every this many steps "
                     "(or epochs)"),
    _schedule_option("gamma", "γ (factor)", lambda: NumberBox(1e-6, 1.0, 0.05),
                     "the factor the learning rate is multiplied by"),
    _schedule_option("decay_steps", "decay steps", lambda: NumberBox(1e-6, 1e9, 10.0),
                     "exponential schedule: lr·γ^((n − 1) / decay steps)"),
    _schedule_option("unit", "counted in", lambda: combo(schedules.UNITS),
                     "whether n counts steps or epochs"),
    Setting("batch_size", "batch size", lambda: int_spin(0, 100_000, "full batch"),
            lambda d: d["batch_size"] or 0, lambda d, v: d.__setitem__("batch_size", v or None)),
    Setting("shuffle", "shuffle", _check("new order each epoch"), lambda d: d["shuffle"],
            lambda d, v: d.__setitem__("shuffle", v), lambda d: d["batch_size"] is not None),
    Setting("clipping", "clipping", lambda: combo(clipping.KINDS), _in("clipping", "kind",
            "none"), _set_clipping),
    Setting("threshold", "clip threshold", lambda: NumberBox(1e-12, 1e12, 0.1),
            _in("clipping", "threshold", clipping.ClippingSpec().threshold),
            _put("clipping", "threshold"),
            lambda d: d["clipping"]["kind"] != "none"),
)

REGULARISATION = (
    Setting("l2", "L2", lambda: NumberBox(0.0, 1e3, 0.001), _in("regularization", "l2", 0.0),
            _put("regularization", "l2"), tip="adds l2/2 · Σw² to the loss"),
    Setting("l1", "L1", lambda: NumberBox(0.0, 1e3, 0.001), _in("regularization", "l1", 0.0),
            _put("regularization", "l1"), tip="adds l1 · Σ|w| to the loss"),
    Setting("dropout", "dropout", lambda: spin(0.0, 0.95, 2, 0.05),
            _in("regularization", "dropout", 0.0), _put("regularization", "dropout"),
            tip="the probability that a hidden unit is switched off in a training step"),
)


# ---------------------------------------------------------------------------- augmentation

def _augment(document: dict) -> dict:
    return document["data"].setdefault("augment", {})


def _read_augment(key: str, default: Any) -> Callable[[dict], Any]:
    return lambda d: d["data"].get("augment", {}).get(key, default)


def _put_augment(key: str) -> Callable[[dict, Any], None]:
    return lambda d, value: _augment(d).__setitem__(key, value)


def _flips(axis: str) -> Setting:
    def write(document: dict, on: bool) -> None:
        flips = set(_read_augment("flip", [])(document)) - {axis} | ({axis} if on else set())
        _augment(document)["flip"] = [a for a in AXES if a in flips]
    side = "left-right" if axis == "x" else "up-down"
    return Setting(f"flip_{axis}", f"flip {axis}", _check(side),
                   lambda d: axis in _read_augment("flip", [])(d), write, _two_inputs,
                   f"mirror each training point {side} with a chance of one half, every epoch "
                   "(right only where a mirrored point keeps its label)")


def _two_inputs(document: dict) -> bool:
    return document["network"]["inputs"] == 2


AUGMENTATION = (
    Setting("noise_each_epoch", "input noise", lambda: NumberBox(0.0, MAX_NOISE, 0.01),
            _read_augment("noise", 0.0), _put_augment("noise"),
            tip="standard deviation of Gaussian noise added to every training input, drawn "
                "anew each epoch"),
    _flips("x"),
    _flips("y"),
    Setting("rotate_degrees", "rotation", _degrees, _read_augment("rotate_degrees",
            0.0), _put_augment("rotate_degrees"), _two_inputs,
            "turn each training point about the origin by a random angle up to this, every "
            "epoch"),
)


# ---------------------------------------------------------------------------- stopping

def _early(document: dict) -> dict | None:
    return document["stopping"].get("early_stopping")


def _set_early_stopping(document: dict, on: bool) -> None:
    if on:
        document["stopping"]["early_stopping"] = EarlyStoppingSpec().to_json()
    else:
        document["stopping"].pop("early_stopping", None)


def _early_option(key: str, label: str, make: Callable[[], Field], tip: str) -> Setting:
    def write(document: dict, value: Any) -> None:
        early = _early(document)
        if early is not None:
            early[key] = value
    return Setting(key, label, make,
                   lambda d: (_early(d) or {}).get(key, getattr(EarlyStoppingSpec(), key)),
                   write, lambda d: _early(d) is not None, tip)


def _count() -> NumberBox:
    """Steps or epochs, up to the parser's 10^12: more than a spin box of whole numbers holds."""
    return NumberBox(0.0, MAX_COUNT, 1.0, "no limit", digits=13)  # a count is shown whole


STOPPING = (
    Setting("max_steps", "max steps", _count, _in("stopping", "max_steps", 0),
            _optional("stopping", "max_steps")),
    Setting("max_epochs", "max epochs", _count, _in("stopping", "max_epochs", 0),
            _optional("stopping", "max_epochs")),
    Setting("loss_below", "target loss", lambda: NumberBox(0.0, 1e300, 0.001, "none"),
            _in("stopping", "loss_below", 0.0), _optional("stopping", "loss_below"),
            tip="stop once a step's batch loss is below this"),
    Setting("time_limit", "time limit", _seconds, _in("stopping", "time_limit", 0.0),
            _optional("stopping", "time_limit"), tip="stop after this many seconds of training"),
    Setting("validation_interval", "validate every", _steps,
            lambda d: d["validation_interval"] or 0,
            lambda d, v: d.__setitem__("validation_interval", v or None),
            tip="steps between validations; at the minimum: at the end of every epoch"),
    Setting("early_stopping", "early stopping", _check("when validation stops improving"),
            lambda d: _early(d) is not None, _set_early_stopping,
            tip="stop once the validation loss has not improved for 'patience' validations "
                "(needs a validation set)"),
    _early_option("patience", "patience", _validations,
                  "validations without improvement before stopping"),
    _early_option("min_delta", "min improvement", lambda: NumberBox(0.0, 1e6, 0.001),
                  "an improvement must lower the validation loss by more than this"),
    _early_option("restore_best", "restore best", _check("put back the best weights"),
                  "when stopping, put back the weights of the best validation"),
)
