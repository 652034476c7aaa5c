"""The control panel keeps the output layer and the loss a pair the engine accepts."""

from __future__ import annotations

import sim
from tests.conftest import experiment


def panel_on(qtbot, start: sim.Experiment):
    from gui.controls import ControlPanel

    panel = ControlPanel()
    qtbot.addWidget(panel)
    panel.set_experiment(start)
    edited: list[sim.Experiment] = []
    panel.experiment_edited.connect(edited.append)
    return panel, edited


THREE_CLASSES = {"data": {"kind": "gaussians", "classes": 3},
                 "network": {"inputs": 2, "layers": [{"units": 4, "activation": "tanh"},
                                                     {"units": 3, "activation": "linear"}]},
                 "loss": "half_mse"}


def test_a_softmax_output_brings_its_loss_and_another_output_lets_it_go(qtbot):
    panel, edited = panel_on(qtbot, experiment(**THREE_CLASSES))
    panel.output_activation.setCurrentText("softmax")
    assert edited[-1].loss == "cross_entropy"
    panel.output_activation.setCurrentText("tanh")
    assert edited[-1].loss == "half_mse"
    assert edited[-1].network.layers[-1].activation.kind == "tanh"
    assert panel.error.text() == ""


def test_a_fused_loss_brings_its_output_and_keeps_a_squared_loss_otherwise(qtbot):
    panel, edited = panel_on(qtbot, experiment(loss="mse"))
    panel.loss.setCurrentText("bce")
    assert edited[-1].network.layers[-1].activation.kind == "sigmoid"
    panel.output_activation.setCurrentText("linear")  # bce needs a sigmoid output
    assert edited[-1].loss == "half_mse"
    panel.loss.setCurrentText("sse")
    panel.output_activation.setCurrentText("tanh")  # a squared loss suits any output
    assert edited[-1].loss == "sse" and edited[-1].network.layers[-1].activation.kind == "tanh"
