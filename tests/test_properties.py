"""Property tests on random networks: gradients, phases and checkpoints hold for any shape."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim import activations, clipping, data, initializers, optimizers, schedules
from sim.activations import Activation
from sim.augment import AugmentSpec
from sim.clipping import ClippingSpec
from sim.data import DataSpec
from sim.experiment import (
    EarlyStoppingSpec,
    LayerSpec,
    NetworkSpec,
    RegularizationSpec,
    StoppingSpec,
    decode_json,
)
from sim.initializers import InitSpec
from sim.optimizers import OptimizerSpec
from sim.schedules import ScheduleSpec

ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]
SQUARED = ["sse", "half_sse", "mse", "half_mse"]


@st.composite
def experiments(draw) -> sim.Experiment:
    inputs = draw(st.integers(1, 4))
    hidden = draw(st.lists(st.tuples(st.integers(1, 5), st.sampled_from(ACTIVATIONS),
                                     st.booleans(), st.booleans()), max_size=3))
    ending = draw(st.sampled_from([("bce", "sigmoid"), ("cross_entropy", "softmax")]
                                  + [(loss, "linear") for loss in SQUARED]
                                  + [(loss, "tanh") for loss in SQUARED]))
    loss, output = ending
    outputs = draw(st.integers(2, 3)) if output == "softmax" else draw(st.integers(1, 3))
    samples = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, inputs))
    t = rng.uniform(size=(samples, outputs)) if loss in ("bce", "cross_entropy") else \
        rng.normal(size=(samples, outputs))
    layers, width = [], inputs
    for units, activation, bias, residual in hidden:
        layers.append({"units": units, "activation": activation, "bias": bias,
                       "residual": residual and units == width})
        width = units
    layers.append({"units": outputs, "activation": output})
    return sim.parse({
        "seed": seed % 1000, "loss": loss,
        "data": {"kind": "inline", "inputs": x.tolist(), "targets": t.tolist()},
        "network": {"inputs": inputs, "init": {"kind": "normal", "std": 0.7, "bias": "same"},
                    "layers": layers},
        "optimizer": draw(st.sampled_from([{"kind": "sgd", "learning_rate": 0.1,
                                            "momentum": 0.5},
                                           {"kind": "adam", "learning_rate": 0.01},
                                           {"kind": "rmsprop", "learning_rate": 0.01}])),
        "regularization": {"l2": draw(st.sampled_from([0.0, 0.01]))},
        "batch_size": draw(st.sampled_from([None, 1, 2])),
    })


SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(experiments())
def test_random_networks_backprop_matches_finite_differences(exp):
    result = sim.Trainer(exp).gradcheck()
    assert result.worst_relative_error < 1e-6, result


@SETTINGS
@given(experiments(), st.integers(1, 4))
def test_random_networks_phases_equal_steps_and_resume_exactly(exp, steps):
    whole, phased = sim.Trainer(exp), sim.Trainer(exp)
    whole.run(steps=2 * steps)
    for _ in range(steps * len(phased.phases)):
        phased.step_phase()
    resumed = sim.Trainer(sim.parse(sim.experiment.to_dict(phased.to_experiment())))
    resumed.run(steps=steps)
    assert resumed.network.theta.tobytes() == whole.network.theta.tobytes()


@SETTINGS
@given(experiments())
def test_random_networks_report_finite_metrics_of_the_right_shape(exp):
    trainer = sim.Trainer(exp)
    trainer.run(steps=3)
    row = trainer.history.last()
    depth = trainer.network.depth
    assert np.isfinite([row["loss"], row["grad_norm"], row["learning_rate"]]).all()
    norms = [row[f"grad_norm_{l}"] for l in range(1, depth + 1)]
    assert np.sqrt(np.sum(np.square(norms))) == np.float64(row["grad_norm"]) or \
        abs(np.sqrt(np.sum(np.square(norms))) - row["grad_norm"]) <= 1e-12 * row["grad_norm"]


# ---------------------------------------------------------------------------- specs and JSON
#
# Each spec writes its own JSON and reads it back. Reading what a spec wrote (through JSON text,
# as a saved file is read) must give the same spec, for every kind of spec and every option.
# The strategies draw specs as a file would make them: options a kind does not use keep their
# defaults (a file cannot give them).


def numbers(low: float, high: float, exclude_low: bool = False) -> st.SearchStrategy[float]:
    return st.floats(low, high, exclude_min=exclude_low, allow_nan=False, allow_infinity=False)


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | strategy


NAMES = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=64)


@st.composite
def activation_specs(draw) -> Activation:
    kind = draw(st.sampled_from(activations.KINDS))
    return Activation(kind, draw(numbers(0.0, 1.0))) if kind == "leaky_relu" else Activation(kind)


@st.composite
def init_specs(draw) -> InitSpec:
    kind = draw(st.sampled_from(initializers.KINDS))
    options: dict = {}
    if kind == "uniform":
        low, high = sorted(draw(st.lists(numbers(-1e6, 1e6), min_size=2, max_size=2)))
        options = {"low": low, "high": high}
    elif kind == "normal":
        options = {"std": draw(numbers(0.0, 1e6))}
    elif kind == "constant":
        options = {"value": draw(numbers(-1e6, 1e6))}
    bias = draw(st.just("same") | numbers(-1e6, 1e6))
    return InitSpec(kind, bias=bias, **options)


@st.composite
def optimizer_specs(draw) -> OptimizerSpec:
    kind = draw(st.sampled_from(optimizers.KINDS))
    bounds = {"momentum": numbers(0.0, 0.999), "nesterov": st.booleans(),
              "rho": numbers(0.0, 0.9999), "beta1": numbers(0.0, 0.9999),
              "beta2": numbers(0.0, 0.999999), "epsilon": numbers(0.0, 1.0, exclude_low=True)}
    options = {key: draw(bounds[key]) for key in optimizers.OPTIMIZERS[kind].options}
    return OptimizerSpec(kind, draw(numbers(0.0, 1e6, exclude_low=True)), **options)


@st.composite
def schedule_specs(draw) -> ScheduleSpec:
    kind = draw(st.sampled_from(schedules.KINDS))
    bounds = {"step_size": st.integers(1, 10**9), "gamma": numbers(0.0, 1.0, exclude_low=True),
              "decay_steps": numbers(0.0, 1e9, exclude_low=True),
              "unit": st.sampled_from(schedules.UNITS)}
    return ScheduleSpec(kind, **{key: draw(bounds[key]) for key in schedules.OPTIONS[kind]})


@st.composite
def clipping_specs(draw) -> ClippingSpec:
    kind = draw(st.sampled_from(clipping.KINDS))
    return ClippingSpec() if kind == "none" else \
        ClippingSpec(kind, draw(numbers(0.0, 1e12, exclude_low=True)))


AUGMENT_SPECS = st.builds(AugmentSpec, numbers(0.0, 100.0),
                          st.sampled_from([(), ("x",), ("y",), ("x", "y")]), numbers(0.0, 180.0))
REGULARIZATION_SPECS = st.builds(RegularizationSpec, numbers(0.0, 1e3), numbers(0.0, 1e3),
                                 numbers(0.0, 0.95))
EARLY_STOPPING_SPECS = st.builds(EarlyStoppingSpec, st.integers(1, 10**6), numbers(0.0, 1e6),
                                 st.booleans())
STOPPING_SPECS = st.builds(StoppingSpec, maybe(st.integers(1, 10**12)),
                           maybe(st.integers(1, 10**12)),
                           maybe(numbers(0.0, 1e300, exclude_low=True)),
                           maybe(EARLY_STOPPING_SPECS), maybe(numbers(0.0, 1e7, exclude_low=True)))


@st.composite
def layer_specs(draw, fan_in: int) -> LayerSpec:
    units = draw(st.integers(1, 4))
    bias = draw(st.booleans())
    weights = draw(maybe(st.tuples(*[st.tuples(*[numbers(-1e3, 1e3)] * fan_in)] * units)))
    biases = draw(maybe(st.tuples(*[numbers(-1e3, 1e3)] * units))) if bias else None
    return LayerSpec(units, draw(activation_specs()), bias, draw(st.booleans()),
                     draw(st.booleans()), draw(maybe(numbers(0.0, 0.95))),
                     draw(maybe(init_specs())), weights, biases)


@st.composite
def fan_in_and_layer(draw) -> tuple[int, LayerSpec]:
    fan_in = draw(st.integers(1, 4))
    return fan_in, draw(layer_specs(fan_in))


@st.composite
def network_specs(draw) -> NetworkSpec:
    inputs = draw(st.integers(1, 4))
    layers, fan_in = [], inputs
    for _ in range(draw(st.integers(1, 3))):
        layers.append(draw(layer_specs(fan_in)))
        fan_in = layers[-1].units
    return NetworkSpec(inputs, tuple(layers), draw(init_specs()))


@st.composite
def data_specs(draw) -> DataSpec:
    kind = draw(st.sampled_from(data.KINDS))
    keys = data.DATA_KINDS[kind].keys
    options: dict = {}
    if "samples" in keys:
        options["samples"] = draw(st.integers(2, data.MAX_SAMPLES))
        options["noise"] = draw(numbers(0.0, 1.0 if kind == "spam" else 100.0))
    if "classes" in keys:
        options["classes"] = draw(st.integers(2, 5))
        options["encoding"] = draw(st.sampled_from(["binary", "one_hot"])) \
            if options["classes"] == 2 else "one_hot"
    if kind == "circles":
        options["factor"] = draw(numbers(0.0, 1.0))
    if kind == "spiral":
        options["turns"] = draw(numbers(0.0, 10.0))
    if kind in ("symmetry", "parity"):
        options["bits"] = draw(st.integers(1, data.MAX_BITS))
    if kind == "encoder":
        options["size"] = draw(st.integers(2, 256))
    if kind == "line":
        options["slope"] = draw(numbers(-1e6, 1e6))
        options["x"] = draw(maybe(st.lists(numbers(-1e3, 1e3), min_size=1, max_size=5)
                                  .map(tuple)))
    if kind == "inline":
        samples, inputs, outputs = (draw(st.integers(1, 4)) for _ in range(3))
        row = st.tuples(*[numbers(-1e3, 1e3)] * inputs)
        options["inputs"] = draw(st.tuples(*[row] * samples))
        options["targets"] = draw(st.tuples(*[st.tuples(*[numbers(-1e3, 1e3)] * outputs)]
                                            * samples))
    if kind == "csv":
        options["path"] = draw(st.text(st.characters(blacklist_categories=("Cs",),
                                                     blacklist_characters="\x00"),
                                       min_size=1, max_size=40))
        columns = draw(st.lists(NAMES, min_size=1, max_size=5, unique=True))
        split = draw(st.integers(1, len(columns)))
        options["target_columns"] = tuple(columns[:split])
        options["input_columns"] = draw(maybe(st.just(tuple(columns[split:]))
                                              .filter(bool)))
    names = maybe(st.lists(NAMES, max_size=3).map(tuple))
    return DataSpec(kind, validation_fraction=draw(numbers(0.0, 0.9)),
                    standardize=draw(st.booleans()), augment=draw(AUGMENT_SPECS),
                    input_names=draw(names), output_names=draw(names), **options)


def through_json(value) -> object:
    """What a file holding ``value`` reads back as."""
    return decode_json(json.dumps(value, allow_nan=False).encode("utf-8"), "spec")


SPEC_KINDS = {
    "activation": (activation_specs(), Activation.from_json),
    "init": (init_specs(), InitSpec.from_json),
    "optimizer": (optimizer_specs(), OptimizerSpec.from_json),
    "schedule": (schedule_specs(), ScheduleSpec.from_json),
    "clipping": (clipping_specs(), ClippingSpec.from_json),
    "regularization": (REGULARIZATION_SPECS, RegularizationSpec.from_json),
    "early_stopping": (EARLY_STOPPING_SPECS, EarlyStoppingSpec.from_json),
    "stopping": (STOPPING_SPECS, StoppingSpec.from_json),
    "network": (network_specs(), NetworkSpec.from_json),
    "data": (data_specs(), DataSpec.from_json),
    "augment": (AUGMENT_SPECS, AugmentSpec.from_json),
}


@pytest.mark.parametrize("name", SPEC_KINDS)
@settings(max_examples=150, deadline=None)
@given(drawing=st.data())
def test_reading_what_a_spec_writes_gives_the_same_spec(name, drawing):
    strategy, read = SPEC_KINDS[name]
    spec = drawing.draw(strategy)
    again = read(through_json(spec.to_json()), name)
    assert again == spec
    assert json.dumps(again.to_json()) == json.dumps(spec.to_json())


@settings(max_examples=150, deadline=None)
@given(fan_in_and_layer())
def test_reading_what_a_layer_writes_gives_the_same_layer(drawn):
    fan_in, layer = drawn
    again = LayerSpec.from_json(through_json(layer.to_json()), "layer", fan_in)
    assert again == layer
    assert json.dumps(again.to_json()) == json.dumps(layer.to_json())
