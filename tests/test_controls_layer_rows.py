"""The Controls panel's hidden-layer rows follow an added or removed layer at once: a second
quick click never reaches a row whose layer has gone (it removed the output layer, and the
panel raised IndexError, before the rows were rebuilt)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from sim import lessons


def test_removing_and_adding_layers_updates_the_rows_at_once(make_window, qtbot):
    window = make_window(lessons.load_lesson())  # XOR: one hidden layer
    window.confirm_rebuild = lambda: True
    controls = window.controls
    box = controls.layers_box
    assert box.count() == 1
    remove = next(b for b in box.itemAt(0).widget().findChildren(QPushButton)
                  if b.text() == "✕")
    qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    assert box.count() == 0  # before the worker has rebuilt the network
    assert len(controls.document["network"]["layers"]) == 1  # the output layer stays
    qtbot.mouseClick(controls.add_layer, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(controls.add_layer, Qt.MouseButton.LeftButton)
    assert box.count() == 2
    assert len(controls.document["network"]["layers"]) == 3
    qtbot.waitUntil(lambda: window.snapshot.depth == 3, timeout=5000)
