"""Each layer's weight and gradient percentiles over a run (sim.distributions)."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.distributions import PERCENTILES, DistributionRecorder, percentiles, positions_among
from sim.lessons import lesson_files
from tests.conftest import LESSONS, experiment


def test_the_bands_are_numpys_percentiles_of_the_weights_and_gradients_at_each_step():
    trainer = sim.Trainer(sim.load(LESSONS / "spiral.json"))
    assert trainer.distributions.stride == 1  # a small network: every step
    expected_weights, expected_gradients = [], []
    for _ in range(12):
        trainer.step()
        snapshot = trainer.snapshot(with_history=False)
        expected_weights.append([np.percentile(layer.W, PERCENTILES)
                                 for layer in snapshot.layers])
        expected_gradients.append([np.percentile(layer.dW, PERCENTILES)
                                   for layer in snapshot.layers])
    bands = trainer.snapshot().distributions
    assert bands is not None
    assert bands.steps.tolist() == list(range(1, 13))
    assert np.array_equal(bands.weights, np.array(expected_weights))
    assert np.array_equal(bands.gradients, np.array(expected_gradients))
    # min <= 10 % <= median <= 90 % <= max
    assert (np.diff(bands.weights, axis=2) >= 0).all()


def test_a_full_record_keeps_every_other_step_and_doubles_its_stride():
    trainer = sim.Trainer(experiment())
    recorder = DistributionRecorder(trainer.network, capacity=8)
    trainer.distributions = recorder
    trainer.run(steps=8)
    assert recorder.bands().steps.tolist() == list(range(1, 9))
    trainer.run(steps=1)  # step 9: full, so thinned to the even steps; 9 is not due
    assert recorder.stride == 2 and recorder.bands().steps.tolist() == [2, 4, 6, 8]
    trainer.run(steps=31)
    steps = recorder.bands().steps
    assert steps.tolist() == [8, 16, 24, 32, 40] and recorder.stride == 8
    # The last record is the weights after step 40, as they are now.
    last = recorder.bands().weights[-1]
    for number, layer in enumerate(trainer.network.layers):
        assert last[number] == pytest.approx(np.percentile(layer.W, PERCENTILES), rel=0)


def test_a_large_network_starts_with_a_longer_stride():
    trainer = sim.Trainer(experiment(
        data={"kind": "xor_cloud", "samples": 20},
        network={"inputs": 2, "layers": [{"units": 256, "activation": "relu"},
                                         {"units": 256, "activation": "relu"},
                                         {"units": 256, "activation": "relu"},
                                         {"units": 1, "activation": "sigmoid"}]}))
    assert trainer.distributions.stride == 512  # 131,840 weights: 257.5 times 512


@pytest.mark.parametrize("size", [1, 2, 3, 7, 10, 11, 64, 101, 1000, 4096])
def test_the_percentiles_are_numpys_bit_for_bit(size):
    rng = np.random.default_rng(size)
    for scale in (1e-9, 1.0, 1e9):
        values = rng.standard_normal(size) * scale
        assert np.array_equal(percentiles(values, positions_among(size)),
                              np.percentile(values, PERCENTILES))
    ties = np.round(rng.standard_normal(size)) * (rng.random(size) < 0.5)  # a ReLU's zeros
    assert np.array_equal(percentiles(ties, positions_among(size)),
                          np.percentile(ties, PERCENTILES))
    values[size // 2] = np.nan
    assert np.isnan(percentiles(values, positions_among(size))).all()


def test_every_lessons_network_is_recorded_at_every_step():
    for path in lesson_files():
        assert sim.Trainer(sim.load(path)).distributions.stride == 1, path.name
