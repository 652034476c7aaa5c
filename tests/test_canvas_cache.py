"""The canvas keeps what it drew while it is unchanged (each layer's edges while their colour
bins are the same, node discs, the legend, the labels): a canvas that has painted other states
before must draw exactly what a new canvas draws for the same state, and a repaint of an
unchanged state strokes no edge anew."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF, QSizeF
from PySide6.QtGui import QImage, QPainter

import sim
from gui.canvas import LABEL_GAP, NetworkCanvas, Pulses, Selection
from gui.canvas_labels import KeptLabels, LabelPlacer, LabelSizes, PlacementMemo, overlapping
from gui.canvas_text import Texts
from gui.style import Style, dark_style, light_style
from sim.snapshot import Snapshot
from tests.conftest import experiment

SIZE = (640, 480)


def trainer() -> sim.Trainer:
    return sim.Trainer(experiment(network={
        "inputs": 2, "layers": [{"units": 3, "activation": "tanh"},
                                {"units": 2, "activation": "sigmoid"}]},
        data={"kind": "inline", "inputs": [[0, 0], [0, 1], [1, 0], [1, 1]],
              "targets": [[0, 1], [1, 0], [1, 0], [0, 1]]}))


def picture(canvas: NetworkCanvas) -> np.ndarray:
    image = QImage(canvas.size(), QImage.Format.Format_ARGB32_Premultiplied)
    canvas.render(image)
    return np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1).copy()


def fresh(style: Style, state: dict) -> NetworkCanvas:
    """A new canvas showing ``state`` (what the canvas under test was given last)."""
    return shown(NetworkCanvas(style), state)


def shown(canvas: NetworkCanvas, state: dict) -> NetworkCanvas:
    """The canvas given ``state``."""
    canvas.resize(*state["size"])
    canvas.set_phase_view(state["phase_view"])
    canvas.set_snapshot(state["snapshot"])
    canvas.set_mode(state["mode"])
    canvas.set_scheme(state["scheme"])
    canvas.select(state["selection"])
    canvas.set_pulses(state["pulses"])
    return canvas


def test_a_canvas_that_painted_before_draws_what_a_new_one_draws(qapp) -> None:
    run = trainer()
    run.run(steps=5)
    style = light_style()
    canvas = NetworkCanvas(style)
    state = {"size": SIZE, "phase_view": False, "snapshot": run.snapshot(), "mode": "weight",
             "scheme": "orange-blue", "selection": None, "pulses": None}

    def change(**fields: object) -> None:
        state.update(fields)
        shown(canvas, state)
        assert np.array_equal(picture(canvas), picture(fresh(style, state))), fields

    change()
    run.run(steps=40)
    change(snapshot=run.snapshot())  # new values: the bins move
    change(mode="gradient")
    change(mode="update")
    change(scheme=next(s for s in sim.palette.SCHEMES if s != "orange-blue"))  # same bins
    change(selection=Selection("weight", 2, 1, 0))
    change(pulses=Pulses(0, 1, 0.5))
    change(size=(800, 500), pulses=None)
    run.step_phase()  # forward of layer 1
    change(phase_view=True, snapshot=run.snapshot())
    while (phase := run.step_phase()) is not None and phase.kind != "backward":
        pass
    change(snapshot=run.snapshot())  # the backward pass of the last layer: layer 1 pending
    change(phase_view=False)


def test_repainting_the_same_snapshot_strokes_no_edge_anew(qapp) -> None:
    run = trainer()
    run.run(steps=5)
    canvas = NetworkCanvas(light_style())
    canvas.resize(*SIZE)
    canvas.set_snapshot(run.snapshot())
    first = picture(canvas)
    stroked = canvas.edge_layers.drawn
    assert stroked == 2  # both layers, once
    canvas.select(Selection("node", 1, 0))
    canvas.set_pulses(Pulses(1, 2, 0.25))
    picture(canvas)
    canvas.select(None)
    canvas.set_pulses(None)
    assert np.array_equal(picture(canvas), first)
    assert canvas.edge_layers.drawn == stroked
    canvas.set_mode("gradient")  # every layer's colours change
    picture(canvas)
    assert canvas.edge_layers.drawn == stroked + 2


@pytest.mark.parametrize("style", [dark_style(), dataclasses.replace(light_style(2.0),
                                                                     presenting=True)])
def test_zoomed_and_panned_in_any_style_the_kept_edges_match_a_new_canvas(qapp, style) -> None:
    run = trainer()
    run.run(steps=5)
    canvas = NetworkCanvas(style)
    canvas.resize(*SIZE)
    canvas.set_snapshot(run.snapshot())
    picture(canvas)
    canvas.zoom, canvas.pan = 1.7, QPointF(-40.0, 25.0)  # as the wheel and a drag set them
    again = fresh(style, {"size": SIZE, "phase_view": False, "snapshot": run.snapshot(),
                          "mode": "weight", "scheme": "orange-blue", "selection": None,
                          "pulses": None})
    again.zoom, again.pan = canvas.zoom, canvas.pan
    assert np.array_equal(picture(canvas), picture(again))


def test_a_placement_replayed_from_memory_is_the_placement_made_afresh(qapp) -> None:
    bounds = QRectF(0, 0, 300, 200)
    obstacles = [QRectF(40, 40, 30, 30), QRectF(0, 0, 300, 20)]
    centres = [QPointF(60 + 70 * i, 60 + 40 * j) for i in range(3) for j in range(3)]

    def requests(text_of_third: str) -> list[tuple[str, QSizeF, tuple[QPointF, ...]]]:
        return [(f"{k}" if k != 2 else text_of_third, QSizeF(36 + 4 * k, 14),
                 tuple(centres[k:] + centres[:k])) for k in range(6)]

    def place(memo: PlacementMemo | None, wanted: list) -> list:
        placer = LabelPlacer(bounds, obstacles, 2.0, memo)
        for text, size, spots in wanted:
            placer.place("node", text, size, spots)
        return placer.placed

    memo = PlacementMemo()
    first = place(None, requests("2"))
    assert place(memo, requests("2")) == first
    assert place(memo, requests("2")) == first  # replayed
    changed = requests("a wider 2")
    assert place(memo, changed) == place(None, changed)  # replayed up to the change
    assert place(memo, requests("2")) == first
    assert not overlapping(first) and len(first) >= 3


@pytest.mark.parametrize("hidden, size", [(3, SIZE), (30, (420, 300))])  # discs apart, crowded
def test_discs_changed_by_a_snapshot_or_selection_are_redrawn_as_a_new_canvas_draws_them(
        qapp, hidden, size) -> None:
    """Where the discs lie apart, the kept image of the nodes is amended disc by disc, not
    drawn whole again; where they crowd, it is drawn whole: either way the canvas shows what
    a new canvas shows."""
    run = sim.Trainer(experiment(network={
        "inputs": 2, "layers": [{"units": hidden, "activation": "tanh"},
                                {"units": 2, "activation": "sigmoid"}]},
        data={"kind": "inline", "inputs": [[0, 0], [0, 1], [1, 0], [1, 1]],
              "targets": [[0, 1], [1, 0], [1, 0], [0, 1]]}))
    run.run(steps=5)
    style = light_style()
    canvas = NetworkCanvas(style)
    state = {"size": size, "phase_view": False, "snapshot": run.snapshot(), "mode": "weight",
             "scheme": "orange-blue", "selection": None, "pulses": None}
    shown(canvas, state)
    picture(canvas)
    whole = canvas.node_discs.drawn
    def trained() -> Snapshot:
        run.run(steps=60)
        return run.snapshot()

    for fields in ({"selection": lambda: Selection("node", 1, 0)},  # its outline
                   {"selection": lambda: Selection("weight", 2, 1, 0)},  # the units it joins
                   {"snapshot": trained},  # new fills
                   {"selection": lambda: None}):
        before = picture(canvas)
        state.update({field: make() for field, make in fields.items()})
        shown(canvas, state)
        after = picture(canvas)
        assert not np.array_equal(after, before), fields
        assert np.array_equal(after, picture(fresh(style, state))), fields
    if hidden == 3:
        assert canvas.node_discs.drawn == whole  # amended only
    canvas.set_style(dark_style())  # another outline and empty fill: drawn whole
    assert np.array_equal(picture(canvas), picture(fresh(dark_style(), state)))


def test_kept_labels_amended_where_numbers_change_draw_what_a_whole_redraw_draws(qapp) -> None:
    """Numbers that change are cleared and drawn anew in the kept image of the labels, the
    rest left; a name that comes or goes has the image drawn whole: either way the pixels
    are those of labels drawn afresh."""
    style, texts = light_style(), Texts()
    sizes = LabelSizes(style, texts)

    def placed(numbers: list[str], name: str | None = None) -> list:
        placer = LabelPlacer(QRectF(0, 0, 400, 200), [], LABEL_GAP)
        for k, text in enumerate(numbers):
            placer.place("node", text, sizes.size(text, style.number_font, named=False),
                         [QPointF(50 + 70 * (k % 5), 40 + 50 * (k // 5))], key=(1, k))
        if name is not None:
            placer.place("name", name, sizes.size(name, style.small_font, named=True),
                         [QPointF(200, 180)], named=True)
        return placer.placed

    def painted(kept: KeptLabels, labels: list) -> np.ndarray:
        image = QImage(400, 200, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(style.background)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        kept.paint(painter, style, texts, labels, LABEL_GAP, 1.0)
        painter.end()
        return np.frombuffer(image.constBits(), np.uint8).copy()

    kept = KeptLabels()
    first = [sim.notation.number(0.1 * k - 0.4) for k in range(10)]
    painted(kept, placed(first, "x₁"))
    assert kept.drawn == 1
    for numbers in (first[:1] + ["−0.01234", "1.5e+07"] + first[3:],  # wider and narrower
                    first[:8]):  # two numbers gone
        labels = placed(numbers, "x₁")
        assert np.array_equal(painted(kept, labels), painted(KeptLabels(), labels)), numbers
    assert kept.drawn == 1  # amended
    labels = placed(first, "x₂")  # a name changes: drawn whole
    assert np.array_equal(painted(kept, labels), painted(KeptLabels(), labels))
    assert kept.drawn == 2
