"""The control panel keeps the output layer and the loss a pair the engine accepts."""

from __future__ import annotations

import sim
from tests.conftest import LESSONS, experiment


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


def test_the_sample_count_is_that_of_the_data_loaded_and_fixed_data_is_read_only(qtbot):
    one_point = sim.load(LESSONS / "gradient-descent-z2x-one-point.json")
    panel, edited = panel_on(qtbot, one_point)
    assert panel.samples.value() == 1 and panel.samples.isReadOnly()
    panel.set_experiment(sim.load(LESSONS / "gradient-descent-z2x.json"))
    assert panel.samples.value() == 3 and panel.samples.isReadOnly()
    moons = sim.load(LESSONS / "batch-full.json")
    panel.set_experiment(moons)
    assert panel.samples.value() == moons.data.samples == 64
    assert not panel.samples.isReadOnly()
    panel.samples.setValue(80)
    assert edited[-1].data.samples == 80


def test_the_test_fraction_is_a_control_beside_the_validation_fraction(qtbot):
    panel, edited = panel_on(qtbot, experiment(data={"kind": "xor_cloud", "samples": 40,
                                                     "test_fraction": 0.25}))
    assert panel.fields["test_fraction"].value() == 0.25
    panel.fields["test_fraction"].setValue(0.1)
    assert edited[-1].data.test_fraction == 0.1
    panel.data_kind.setCurrentText("moons")  # another kind keeps the held-out shares
    assert edited[-1].data.test_fraction == 0.1


def test_removing_hidden_layers_one_after_another_never_removes_the_output(qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QPushButton

    start = experiment(network={"inputs": 2, "layers": [
        {"units": 3, "activation": "tanh"}, {"units": 2, "activation": "tanh"},
        {"units": 1, "activation": "sigmoid"}]})
    panel, edited = panel_on(qtbot, start)
    for hidden in (1, 0):
        box = panel.layers_box
        rows = [box.itemAt(k).widget() for k in range(box.count())]
        assert len(rows) == hidden + 1  # the rows follow each edit, not only a reload
        remove = next(b for b in rows[-1].findChildren(QPushButton) if b.text() == "✕")
        qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
        assert len(edited[-1].network.layers) == hidden + 1
        assert edited[-1].network.layers[-1].activation.kind == "sigmoid"


def test_fewer_samples_than_the_lessons_followed_one_drop_it_with_a_notice(qtbot):
    from sim.experiment import to_dict
    document = to_dict(sim.load(LESSONS / "batch-full.json"))
    document["view"] = {"sample": 60, "speed": 20}
    panel, edited = panel_on(qtbot, sim.parse(document))
    panel.samples.setValue(40)  # the sample the lesson follows is gone: the edit is taken
    assert edited[-1].data.samples == 40
    assert edited[-1].view.sample is None and edited[-1].view.speed == 20
    notice = panel.error.text()
    assert notice.startswith("view.sample: the training set now has samples 1 to ")
    assert "sample 60 is no longer followed" in notice and "\n" not in notice
    panel.samples.setValue(50)  # the next edit says nothing more
    assert edited[-1].data.samples == 50 and panel.error.text() == ""


def test_batch_normalisation_is_switched_per_layer_and_brings_its_default_bias(qtbot, tmp_path):
    from PySide6.QtWidgets import QCheckBox

    start = experiment(network={"inputs": 2, "layers": [
        {"units": 3, "activation": "tanh"}, {"units": 3, "activation": "tanh"},
        {"units": 1, "activation": "sigmoid"}]})
    panel, edited = panel_on(qtbot, start)

    def switch(row: int) -> None:
        box = panel.layers_box.itemAt(row).widget()
        check = next(c for c in box.findChildren(QCheckBox) if c.text() == "BN")
        check.click()  # as a click on it does (the panel is not shown)
        assert panel.error.text() == ""

    switch(1)
    layers = edited[-1].network.layers
    assert layers[1].batch_norm is not None and not layers[1].bias
    assert layers[0].batch_norm is None and layers[0].bias
    path = tmp_path / "normalised.json"
    sim.save(edited[-1], path)
    assert sim.load(path).network.layers[1].batch_norm == layers[1].batch_norm
    switch(1)  # and off again: a plain layer has its bias back
    assert edited[-1].network.layers[1].batch_norm is None and edited[-1].network.layers[1].bias
