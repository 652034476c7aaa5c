"""An ExperimentError survives pickling whole, as it must to cross a process boundary."""

import pickle

import pytest

from sim import ExperimentError


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_an_experiment_error_keeps_its_path_and_message_through_pickle(protocol):
    error = ExperimentError("network.layers[0].units", "must be at least 1, got 0")
    error.add_note("while opening xor.json")
    copy = pickle.loads(pickle.dumps(error, protocol))
    assert type(copy) is ExperimentError
    assert copy.path == "network.layers[0].units"
    assert copy.problem == "must be at least 1, got 0"
    assert str(copy) == "network.layers[0].units: must be at least 1, got 0"
    assert copy.__notes__ == ["while opening xor.json"]


def test_an_error_without_a_field_or_with_a_control_character_pickles_as_it_reads():
    for path, problem, text in (("", "the file is empty", "the file is empty"),
                                ("data.input_names[0]", "a\nb is too long",
                                 "data.input_names[0]: a\\nb is too long")):
        copy = pickle.loads(pickle.dumps(ExperimentError(path, problem)))
        assert (copy.path, copy.problem, str(copy)) == (path, problem, text)


def test_a_raised_experiment_error_pickles():
    with pytest.raises(ExperimentError) as caught:
        raise ExperimentError("loss", 'unknown loss "l3"')
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.path, str(copy)) == ("loss", 'loss: unknown loss "l3"')
