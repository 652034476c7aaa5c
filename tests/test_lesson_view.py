"""What a lesson opens on (the file's "view"): a weight's loss landscape, with a printed path."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import sim
from sim import lessons
from sim.address import ParameterAddress
from sim.experiment import drop_weights_that_no_longer_fit, to_dict
from sim.landscape import ParameterTrace
from sim.lesson_view import LessonView, PrintedPath, play_speed, speed_notches
from sim.views import landscape_view
from tests.conftest import LESSONS, experiment

Z2X = LESSONS / "gradient-descent-z2x.json"


def document_with(view: object) -> dict:
    document = to_dict(experiment())  # a 2-2-1 network
    document["view"] = view
    return document


def test_a_view_names_a_weight_counted_from_one_and_reads_back():
    view = sim.parse(document_with({"landscape": [2, 1, 2]})).view
    assert view.landscape == ParameterAddress(2, 0, 1)  # w⁽²⁾₁₂
    assert sim.parse(document_with({"landscape": [1, 2, 0]})).view.landscape == \
        ParameterAddress(1, 1, None)  # b⁽¹⁾₂
    printed = {"label": "a text's path", "values": [0, 0.5, 1]}
    parsed = sim.parse(document_with({"landscape": [2, 1, 2], "printed_path": printed}))
    assert parsed.view.printed_path == PrintedPath("a text's path", (0.0, 0.5, 1.0), (0, 1, 2))
    assert sim.parse(to_dict(parsed)) == parsed
    assert to_dict(parsed)["view"] == {"landscape": [2, 1, 2],
                                       "printed_path": {**printed, "steps": [0, 1, 2]}}
    skipping = {"label": "x", "values": [0, 0.8, 2], "steps": [0, 1, 4]}
    assert sim.parse(document_with({"landscape": [1, 1, 1], "printed_path": skipping})
                     ).view.printed_path.steps == (0, 1, 4)
    assert to_dict(experiment())["view"] == {}
    assert experiment().view == LessonView()


@pytest.mark.parametrize("view, problem", [
    ({"landscape": [3, 1, 1]}, "view.landscape: layer 3 does not exist; the network has "
                               "layers 1 to 2"),
    ({"landscape": [1, 3, 1]}, "view.landscape: layer 1 has units 1 to 2, not 3"),
    ({"landscape": [2, 1, 3]}, "view.landscape: the units of layer 2 have inputs 1 to 2 (0: the "
                               "bias), not 3"),
    ({"landscape": [1, 0, 1]}, "view.landscape[1]: must be a whole number from 1 to 1024"),
    ({"landscape": [1, 1]}, "view.landscape: must be [layer, unit, unit below] (3 whole "
                            "numbers), got 2 items"),
    ({"landscape": "w"}, "view.landscape: must be a list"),
    ({"printed_path": {"label": "x", "values": [1]}}, "view.printed_path: needs a landscape "
                                                      "weight to be drawn on"),
    ({"landscape": [1, 1, 1], "printed_path": {"label": "x", "values": []}},
     "view.printed_path.values: must hold at least one number"),
    ({"landscape": [1, 1, 1], "printed_path": {"label": "x", "values": [1, math.inf]}},
     "view.printed_path.values[1]: must be a finite number"),
    ({"landscape": [1, 1, 1], "printed_path": {"values": [1]}},
     "view.printed_path.label: is required"),
    ({"landscape": [1, 1, 1], "zoom": 2}, 'view.zoom: unknown key'),
    ({"landscape": [1, 1, 1], "printed_path": {"label": "x", "values": [1, 2], "steps": [0]}},
     "view.printed_path.steps: must give one step per value (2), got 1"),
    ({"landscape": [1, 1, 1], "printed_path": {"label": "x", "values": [1, 2], "steps": [2, 2]}},
     "view.printed_path.steps: must rise from one value to the next"),
    ({"landscape": [1, 1, 1], "printed_path": {"label": "x", "values": [1], "steps": [-1]}},
     "view.printed_path.steps[0]: must be a whole number from 0"),
])
def test_a_bad_view_is_refused_naming_the_field(view, problem):
    with pytest.raises(sim.ExperimentError) as caught:
        sim.parse(document_with(view))
    assert str(caught.value).startswith(problem)


def test_a_view_of_a_bias_the_layer_does_not_have_is_refused():
    document = to_dict(sim.load(LESSONS / "seed003-walkthrough.json"))
    document["view"] = {"landscape": [1, 1, 0]}
    with pytest.raises(sim.ExperimentError, match=r"view\.landscape: layer 1 has no bias"):
        sim.parse(document)


def test_an_edit_that_removes_the_weight_drops_the_view_and_keeps_one_that_fits():
    document = document_with({"landscape": [1, 2, 1]})
    smaller = copy.deepcopy(document)
    smaller["network"]["layers"][0]["units"] = 1  # hidden unit 2 is gone
    drop_weights_that_no_longer_fit(smaller)
    assert "view" not in smaller and sim.parse(smaller).view == LessonView()
    larger = copy.deepcopy(document)
    larger["network"]["layers"][0]["units"] = 3
    drop_weights_that_no_longer_fit(larger)
    assert sim.parse(larger).view.landscape == ParameterAddress(1, 1, 0)


def test_the_landscape_of_the_lessons_weight_carries_the_printed_path_and_its_losses():
    trainer = sim.Trainer(sim.load(Z2X))
    trace = ParameterTrace([trainer.experiment.view.landscape])
    trace.record_layers(trainer.step_count, trainer.network.layers)
    for _ in range(4):
        trainer.step()
        trace.record_layers(trainer.step_count, trainer.network.layers)
    view = landscape_view(trainer, trace)
    printed = trainer.experiment.view.printed_path
    assert tuple(view.printed) == printed.values == (0.0, 0.8, 1.4, 2.0)
    assert tuple(view.printed_steps) == printed.steps == (0, 1, 2, 4)  # no step 3 printed
    assert view.printed_label == printed.label
    # J(w) = mean((2x − w x)²) = (2 − w)² mean(x²) at each printed value.
    mean_square = float(np.mean(trainer.dataset.x_train ** 2))
    assert view.printed_losses == pytest.approx(
        [(2 - w) ** 2 * mean_square for w in printed.values], rel=1e-12)
    # The run's own path starts at the initial weight; the window shows both paths.
    assert view.path[:, 0] == pytest.approx([0.0, 1.866667, 1.991111, 1.999407, 1.999960],
                                            abs=5e-7)
    assert list(view.path_steps) == [0, 1, 2, 3, 4]
    assert view.u[0] <= 0.0 and view.u[-1] >= 2.0


def test_the_printed_path_belongs_to_its_weight_only():
    trainer = sim.Trainer(sim.load(LESSONS / "gradient-descent-z2x-too-large.json"))
    view = landscape_view(trainer, ParameterTrace([ParameterAddress(1, 0, 0)]))
    assert len(view.printed) == 4
    other = sim.Trainer(experiment())
    document = to_dict(other.experiment)
    document["view"] = {"landscape": [1, 1, 1], "printed_path": {"label": "x", "values": [1]}}
    other = sim.Trainer(sim.parse(document))
    view = landscape_view(other, ParameterTrace([ParameterAddress(1, 0, 1)]))
    assert len(view.printed) == 0 and len(view.printed_losses) == 0 and view.printed_label == ""


def test_a_lessons_window_fixes_its_weights_curve_and_no_other():
    trainer = sim.Trainer(sim.load(LESSONS / "momentum-two-valleys.json"))
    view = trainer.experiment.view
    assert view.landscape_window is not None
    low, high = view.landscape_window
    trace = ParameterTrace([view.landscape])
    for _ in range(3):
        trainer.step()
        trace.record_layers(trainer.step_count, trainer.network.layers)
    shown = landscape_view(trainer, trace)
    assert (shown.u[0], shown.u[-1]) == (low, high)
    network = trainer.network
    for value, loss in zip(shown.u[::25], shown.losses[::25], strict=True):
        network.layers[0].W[0, 0] = value  # the curve is the loss with the weight set there
        assert network.loss_value(trainer.dataset.x_train, trainer.dataset.t_train,
                                  trainer.experiment.loss) == pytest.approx(loss, rel=1e-12)
    document = to_dict(trainer.experiment)
    document["view"] = {"landscape": [1, 1, 1], "landscape_window": [-3, 3]}
    document["network"]["layers"][0]["bias"] = True
    other = sim.Trainer(sim.parse(document))
    bias = landscape_view(other, ParameterTrace([ParameterAddress(1, 0, None)]))
    assert bias.u[0] != -3  # the bias's curve follows the bias, as usual


def test_a_trace_records_every_step_it_is_given_from_the_trainer():
    trainer = sim.Trainer(sim.load(LESSONS / "gradient-descent-z2x-too-large.json"))
    trace = ParameterTrace([ParameterAddress(1, 0, 0)])
    trace.record_layers(trainer.step_count, trainer.network.layers)
    for _ in range(4):
        trainer.step()
        trace.record_layers(trainer.step_count, trainer.network.layers)
    assert list(trace.steps) == [0, 1, 2, 3, 4]
    assert list(trace.values[:, 0]) == [0.0, 4.0, 0.0, 4.0, 0.0]


def test_a_table_imported_into_a_lesson_leaves_its_view_behind(tmp_path):
    from sim.importing import experiment_from_csv

    table = tmp_path / "table.csv"
    table.write_text("x,z\n1,2\n2,4\n3,6\n", encoding="utf-8")
    imported = experiment_from_csv(sim.load(Z2X), table, ["z"])
    assert imported.view == LessonView()  # the seed's path belongs to the lesson's own data


# ------------------------------------------------------------------ what a lesson opens on

def test_every_key_of_the_view_reads_back_as_written():
    one = {"landscape": [1, 1, 1], "landscape_window": [-1.5, 4]}
    assert sim.parse(document_with(one)).view.landscape_window == (-1.5, 4.0)
    assert to_dict(sim.parse(document_with(one)))["view"] == one
    view = {"landscape": [[1, 1, 1], [1, 2, 2]], "speed": 7.5, "colour": "gradient",
            "colour_ranges": {"gradient": 0.3, "update": 1e-3}, "side_view": "landscape",
            "panels": ["plots", "step_by_step"], "sample": 3}
    parsed = sim.parse(document_with(view))
    assert parsed.view.weights == (ParameterAddress(1, 0, 0), ParameterAddress(1, 1, 1))
    assert parsed.view.landscape == ParameterAddress(1, 0, 0)
    assert (parsed.view.speed, parsed.view.colour, parsed.view.side_view) == \
        (7.5, "gradient", "landscape")
    assert parsed.view.colour_range("gradient") == 0.3
    assert parsed.view.colour_range("weight") is None
    assert parsed.view.panels == ("plots", "step_by_step")
    assert parsed.view.sample == 2  # counted from 0 inside, from 1 in the file
    assert to_dict(parsed)["view"] == view
    assert sim.parse(to_dict(parsed)) == parsed
    fastest = sim.parse(document_with({"speed": "max"})).view
    assert math.isinf(fastest.speed) and play_speed(fastest) is None
    assert to_dict(sim.parse(document_with({"speed": "max"})))["view"] == {"speed": "max"}
    assert play_speed(LessonView()) is None  # a file without a speed plays as fast as it can


@pytest.mark.parametrize("view, problem", [
    ({"speed": 0}, "view.speed: must be between 0.1 and 10000, got 0"),
    ({"speed": "fast"}, 'view.speed: must be a number of steps per second or "max"'),
    ({"speed": True}, "view.speed: must be a number"),
    ({"colour": "gradients"}, 'view.colour: must be one of "weight", "gradient", "update", got '
                              'the text "gradients" (did you mean "gradient"?)'),
    ({"colour_ranges": {"gradient": 0}}, "view.colour_ranges.gradient: must be between 1e-12"),
    ({"colour_ranges": {"delta": 1}}, "view.colour_ranges.delta: unknown key"),
    ({"colour_ranges": [1]}, "view.colour_ranges: must be an object"),
    ({"side_view": "canvas"}, 'view.side_view: must be one of "boundary", "landscape"'),
    ({"side_view": "landscape"}, 'view.side_view: "landscape" needs the landscape\'s weights'),
    ({"panels": ["plots", "plots"]}, "view.panels: names a panel twice"),
    ({"panels": ["paths"]}, 'view.panels[0]: must be one of "controls", "plots"'),
    ({"panels": "plots"}, "view.panels: must be a list"),
    ({"panels": ["controls"], "side_view": "boundary"},
     'view.panels: "controls" shares its place with the side view'),
    ({"sample": 0}, "view.sample: must be a whole number from 1"),
    ({"sample": 5}, "view.sample: the training set has samples 1 to 4, not 5"),
    ({"landscape": [[1, 1, 1], [1, 1, 1]]}, "view.landscape: names the same weight twice"),
    ({"landscape": [[1, 1, 1], [1, 1, 2], [1, 2, 1]]},
     "view.landscape: must be one weight [L, J, I] or two"),
    ({"landscape": [[1, 1, 1], [3, 1, 1]]}, "view.landscape: layer 3 does not exist"),
    ({"landscape": [[1, 1, 1], [1, 1]]}, "view.landscape[1]: must be [layer, unit, unit below]"),
    ({"landscape": [[1, 1, 1], [1, 1, 2]], "printed_path": {"label": "x", "values": [1]}},
     "view.printed_path: is drawn on the loss curve of one weight; the landscape names two"),
    ({"landscape_window": [0, 1]}, "view.landscape_window: is the window of one weight's loss "
                                   "curve: view.landscape must name one weight"),
    ({"landscape": [[1, 1, 1], [1, 1, 2]], "landscape_window": [0, 1]},
     "view.landscape_window: is the window of one weight's loss curve"),
    ({"landscape": [1, 1, 1], "landscape_window": [1]},
     "view.landscape_window: must have 2 numbers, got 1"),
    ({"landscape": [1, 1, 1], "landscape_window": [2, 1]},
     "view.landscape_window: must rise from lowest to highest, got [2, 1]"),
    ({"landscape": [1, 1, 1], "landscape_window": [0, math.inf]},
     "view.landscape_window[1]: must be a finite number"),
])
def test_a_bad_view_key_is_refused_in_one_line_naming_it(view, problem):
    with pytest.raises(sim.ExperimentError) as caught:
        sim.parse(document_with(view))
    assert str(caught.value).startswith(problem)
    assert "\n" not in str(caught.value)


def test_the_boundary_as_side_view_needs_two_inputs():
    document = to_dict(sim.load(LESSONS / "gradient-descent-z2x.json"))
    document["view"] = {"side_view": "boundary"}
    with pytest.raises(sim.ExperimentError, match=r'^view\.side_view: "boundary" needs a network '
                                                  r"with exactly two inputs; this one has 1$"):
        sim.parse(document)


def test_the_followed_sample_is_one_of_the_training_samples_not_validation_ones():
    document = document_with({"sample": 4})
    assert sim.parse(document).view.sample == 3
    document["data"]["validation_fraction"] = 0.25  # one of the 4 XOR points held out
    with pytest.raises(sim.ExperimentError, match=r"^view\.sample: the training set has "
                                                  r"samples 1 to 3, not 4$"):
        sim.parse(document)


def test_max_is_one_notch_above_the_lessons_speed():
    for speed in (0.5, 1.0, 7.5, 50.0, 100.0, 10000.0):
        notches = speed_notches(speed)
        assert notches[-1] is None and notches[-2] == speed
        slower = notches[:-2]
        assert all(nice < speed for nice in slower) and slower == sorted(slower)
    assert speed_notches(None)[-1] is None  # no lesson speed: the slider starts at max


def test_every_lesson_plays_at_a_speed_of_its_own_and_the_default_one_outlasts_six_seconds():
    for path in lessons.lesson_files():
        assert sim.load(path).view.speed is not None, path.name
    default = lessons.load_lesson()
    # At its own speed the default lesson's steps last longer than 6 seconds of Play.
    assert play_speed(default.view) * 6 < default.stopping.max_steps


def test_the_optimizer_lessons_open_on_the_ravine_of_their_two_weights():
    for name in ("optimizer-plain.json", "optimizer-momentum.json", "optimizer-adam.json"):
        view = sim.load(LESSONS / name).view
        assert view.weights == (ParameterAddress(1, 0, 0), ParameterAddress(1, 0, 1)), name


def test_a_landscape_of_two_weights_is_a_surface_over_both():
    trainer = sim.Trainer(sim.load(LESSONS / "optimizer-plain.json"))
    weights = trainer.experiment.view.weights
    trace = ParameterTrace(list(weights))
    trace.record_layers(trainer.step_count, trainer.network.layers)
    view = landscape_view(trainer, trace, surface_points=9)
    assert view.addresses == weights and view.v is not None
    assert view.losses.shape == (9, 9) and len(view.printed) == 0


def test_the_followed_sample_is_not_one_of_the_test_samples_either():
    document = document_with({"sample": 4})
    document["data"]["test_fraction"] = 0.25  # one of the 4 XOR points held out for testing
    with pytest.raises(sim.ExperimentError, match=r"^view\.sample: the training set has "
                                                  r"samples 1 to 3, not 4$"):
        sim.parse(document)


def test_an_edit_that_shrinks_the_data_drops_the_followed_sample_with_a_notice():
    from sim.data import DataSpec
    from sim.experiment import data_facts, drop_followed_sample_beyond_data
    document = to_dict(sim.load(LESSONS / "spiral.json"))
    document["view"] = {"sample": 50, "speed": 20}
    assert sim.parse(document).view.sample == 49
    document["data"]["samples"] = 40  # the user lowers the sample count
    spec = DataSpec.from_json(document["data"], "data")
    notice = drop_followed_sample_beyond_data(document, spec, data_facts(spec, None))
    assert notice is not None and "\n" not in notice
    assert notice.startswith("view.sample: the training set now has samples 1 to ")
    assert "sample 50 is no longer followed" in notice
    edited = sim.parse(document)  # the edit is taken; the rest of the view stays
    assert edited.view.sample is None and edited.view.speed == 20
    # a sample the smaller set still holds stays, and nothing is said
    document["view"]["sample"] = 3
    assert drop_followed_sample_beyond_data(document, spec, data_facts(spec, None)) is None
    assert sim.parse(document).view.sample == 2


def test_a_lesson_whose_csv_table_shrank_still_opens(tmp_path):
    table = tmp_path / "points.csv"
    table.write_text("x,y\n" + "".join(f"{k},{2 * k}\n" for k in range(6)))
    document = {"format": "backprop-studio.experiment", "version": 1,
                "data": {"kind": "csv", "path": "points.csv", "targets": ["y"]},
                "network": {"inputs": 1, "layers": [{"units": 1, "activation": "linear"}]},
                "loss": "mse", "view": {"sample": 6}}
    assert sim.parse(document, base_dir=tmp_path).view.sample == 5
    table.write_text("x,y\n0,0\n1,2\n2,4\n")  # edited since: three rows left
    # the lesson is still valid; the app follows the batch's own sample and says so
    assert sim.parse(document, base_dir=tmp_path).view.sample == 5
