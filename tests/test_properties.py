"""Property tests on random networks: gradients, phases and checkpoints hold for any shape."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim

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
