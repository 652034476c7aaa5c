"""Honest colour scales (sim.palette): a fixed range, and magnitudes too small to mean anything
drawn as zero."""

from __future__ import annotations

import numpy as np

import sim
from sim import palette
from tests.conftest import LESSONS


def test_a_fixed_range_of_a_magnitude_mode_tops_at_a_power_of_ten():
    assert palette.fixed_scale("gradient", 1.0) == palette.Scale("log", 1.0)
    assert palette.fixed_scale("gradient", 0.3) == palette.Scale("log", 1.0)
    assert palette.fixed_scale("update", 1e-3) == palette.Scale("log", 1e-3)
    assert palette.fixed_scale("update", 2e-3) == palette.Scale("log", 1e-2)
    assert palette.fixed_scale("weight", 2.5) == palette.Scale("symmetric", 2.5)


def test_magnitudes_below_the_tiny_limit_are_zero_and_grey_on_any_log_range():
    # Float noise of 1e-16 on a dead network's gradients: zero, whatever the range's top.
    values = np.array([0.0, 1e-16, -5e-13, 1e-12, 1e-7, 0.5, np.nan])
    for top in (1.0, 1e-15):
        found = palette.bins(values, palette.Scale("log", top))
        assert list(found[:3]) == [palette.ZERO_BIN] * 3
        assert found[3] >= 0 and found[-1] == palette.NAN_BIN
    colours = palette.bin_colours(palette.GRADIENT, palette.bins(values,
                                                                 palette.Scale("log", 1.0)))
    assert [tuple(c) for c in colours[:3]] == [palette.ZERO_COLOUR] * 3
    assert palette.colour("gradient", palette.ZERO_BIN) == palette.ZERO_COLOUR
    assert palette.bin_strength(palette.ZERO_BIN, "gradient") == 0.0
    # A weight of 0 stays on the diverging map's middle: it is a value, not noise.
    assert palette.bins(np.array([0.0]), palette.Scale("symmetric", 1.0))[0] == \
        palette.BINS // 2


def test_the_range_found_for_noise_alone_is_not_set_by_the_noise():
    # Before the fix the top followed the largest value: 1e-16 noise was drawn darkest.
    noise = [np.array([1e-16, -3e-17]), np.zeros(3)]
    assert palette.scale_for("gradient", noise) == palette.Scale("log", palette.EMPTY_TOP)
    assert palette.largest_magnitude(noise) == 1e-16
    assert palette.scale_for("gradient", [np.array([0.02, 3e-5])]) == palette.Scale("log", 0.1)


def test_the_legend_says_what_the_scale_is():
    log = palette.Scale("log", 1.0)
    assert palette.scale_note(log, fixed=True) == "  (log scale, fixed range)"
    assert palette.scale_note(log, fixed=False) == "  (log scale)"
    assert palette.scale_note(palette.Scale("symmetric", 1.0), fixed=False) == ""


def test_a_dead_relu_networks_float_noise_is_drawn_as_zero_not_darkest():
    # Dying ReLU: from step 44 no gradient reaches a weight; the output bias's gradient is
    # float noise (about 2e-17), which a range topping at the largest value drew darkest.
    trainer = sim.Trainer(sim.load(LESSONS / "dying-relu.json"))
    for _ in range(100):
        trainer.step()
    values = [v for layer in trainer.snapshot().layers for v in (layer.dW, layer.db)]
    assert 0.0 < palette.largest_magnitude(values) < palette.TINY
    scale = palette.scale_for("gradient", values)
    assert all((palette.bins(v, scale) == palette.ZERO_BIN).all() for v in values)


def test_the_legends_title_goes_under_its_bar_on_a_canvas_too_narrow_for_the_widest(qapp):
    from gui.canvas_legend import legend_band, title_beside
    from gui.canvas_text import Texts
    from gui.style import projector_style

    style, texts = projector_style(1.5), Texts()
    wide, narrow = 1200.0, 450.0  # a slide's canvas, and one beside the slide's caption
    assert title_beside(style, texts, wide) and not title_beside(style, texts, narrow)
    line = texts.metrics(style.label_font).height()
    assert legend_band(style, texts, 2, narrow) > legend_band(style, texts, 2, wide) + line
