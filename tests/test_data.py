"""Training data: every kind has its documented shape, values and defaults, is a pure function of
the seed, splits and standardises as documented; CSV files load, and bad ones are refused naming
the row and column."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sim
from sim import data
from sim.data import Dataset, DataSpec
from sim.schema import ExperimentError


def parse(data_section: dict[str, Any], inputs: int, outputs: int, seed: int = 0,
          base_dir: Path | None = None) -> sim.Experiment:
    """An experiment on this data with a one-layer network of the shape the data must have."""
    return sim.parse({"seed": seed, "data": data_section,
                      "network": {"inputs": inputs,
                                  "layers": [{"units": outputs, "activation": "linear"}]}},
                     base_dir=base_dir)


def load(data_section: dict[str, Any], inputs: int, outputs: int, seed: int = 0,
         base_dir: Path | None = None) -> Dataset:
    """The data exactly as the trainer builds it for this seed."""
    return sim.Trainer(parse(data_section, inputs, outputs, seed, base_dir)).dataset


def pair(dataset: Dataset) -> tuple[np.ndarray, np.ndarray]:
    assert dataset.x_val.shape[0] == 0
    return dataset.x_train, dataset.t_train


# ---------------------------------------------------------------------------- shapes and values

def test_inline_is_the_samples_as_written():
    x, t = pair(load({"kind": "inline", "inputs": [[0, 1], [2, 3.5], [-1, 0]],
                      "targets": [[1, 0], [0, 1], [0.5, 0.5]]}, 2, 2))
    assert np.array_equal(x, [[0, 1], [2, 3.5], [-1, 0]])
    assert np.array_equal(t, [[1, 0], [0, 1], [0.5, 0.5]])
    assert x.dtype == t.dtype == np.float64


def test_inline_targets_may_be_written_flat():
    _, t = pair(load({"kind": "inline", "inputs": [[0], [1]], "targets": [0.25, 0.75]}, 1, 1))
    assert np.array_equal(t, [[0.25], [0.75]])


def test_xor_is_the_four_patterns():
    x, t = pair(load({"kind": "xor"}, 2, 1))
    assert np.array_equal(x, [[0, 0], [0, 1], [1, 0], [1, 1]])
    assert np.array_equal(t, [[0], [1], [1], [0]])


def test_xor_cloud_labels_points_by_the_signs_of_their_coordinates():
    e = parse({"kind": "xor_cloud"}, 2, 1)
    assert (e.data.samples, e.data.noise) == (200, 0.1)  # the documented defaults
    x, t = pair(load({"kind": "xor_cloud", "samples": 300, "noise": 0}, 2, 1))
    assert x.shape == (300, 2) and t.shape == (300, 1)
    assert np.all(np.abs(x) <= 1.0)
    assert np.array_equal(t[:, 0], (x[:, 0] * x[:, 1] < 0).astype(float))
    assert 0.3 < t.mean() < 0.7


def test_circles_are_an_outer_ring_labelled_0_and_an_inner_one_labelled_1():
    e = parse({"kind": "circles"}, 2, 1)
    assert (e.data.samples, e.data.noise, e.data.factor) == (200, 0.08, 0.5)
    x, t = pair(load({"kind": "circles", "samples": 101, "noise": 0, "factor": 0.3}, 2, 1))
    radius = np.hypot(x[:, 0], x[:, 1])
    assert np.array_equal(t[:, 0], [0] * 50 + [1] * 51)
    assert np.allclose(radius[:50], 1.0) and np.allclose(radius[50:], 0.3)


@pytest.mark.parametrize("classes", [2, 3, 4, 5])
def test_gaussians_sit_on_the_unit_circle_one_class_after_another(classes):
    e = parse({"kind": "gaussians", "classes": classes}, 2, 1 if classes == 2 else classes)
    assert (e.data.samples, e.data.noise) == (200, 0.35)
    assert e.data.encoding == ("binary" if classes == 2 else "one_hot")
    outputs = 1 if classes == 2 else classes
    x, t = pair(load({"kind": "gaussians", "classes": classes, "samples": 50, "noise": 0}, 2,
                     outputs))
    labels = np.arange(50) % classes
    angles = 2 * math.pi * labels / classes
    assert np.allclose(x, np.c_[np.cos(angles), np.sin(angles)])
    if classes == 2:
        assert np.array_equal(t[:, 0], labels)
    else:
        assert np.array_equal(t, np.eye(classes)[labels])


def test_two_classes_may_be_one_hot():
    _, t = pair(load({"kind": "gaussians", "encoding": "one_hot", "samples": 10}, 2, 2))
    assert np.array_equal(t, np.eye(2)[np.arange(10) % 2])


@pytest.mark.parametrize("classes", [2, 3, 5])
def test_spiral_arms_turn_with_the_radius(classes):
    e = parse({"kind": "spiral", "classes": classes}, 2, 1 if classes == 2 else classes)
    assert (e.data.samples, e.data.noise, e.data.turns) == (200, 0.05, 1.0)
    outputs = 1 if classes == 2 else classes
    x, t = pair(load({"kind": "spiral", "classes": classes, "noise": 0, "turns": 1.5}, 2,
                     outputs))
    labels = np.arange(200) % classes
    radius = np.hypot(x[:, 0], x[:, 1])
    assert np.all((radius >= 0.05) & (radius <= 1.0))
    expected = 2 * math.pi * (labels / classes + 1.5 * radius)
    turned = np.angle(np.exp(1j * (np.arctan2(x[:, 1], x[:, 0]) - expected)))
    assert np.allclose(turned, 0.0, atol=1e-9)
    assert np.array_equal(t.argmax(axis=1) if classes > 2 else t[:, 0], labels)


def test_moons_are_two_interleaved_half_circles():
    e = parse({"kind": "moons"}, 2, 1)
    assert (e.data.samples, e.data.noise) == (200, 0.1)
    x, t = pair(load({"kind": "moons", "samples": 100, "noise": 0}, 2, 1))
    assert np.array_equal(t[:, 0], [0] * 50 + [1] * 50)
    upper = x[:50] + [0.5, 0.25]  # centred at (0, 0), above the axis
    lower = [1.0, 0.5] - (x[50:] + [0.5, 0.25])  # mirrored back onto the upper half circle
    for points in (upper, lower):
        assert np.allclose(np.hypot(points[:, 0], points[:, 1]), 1.0)
        assert np.all(points[:, 1] >= -1e-12)


def test_line_is_z_equals_slope_times_x():
    e = parse({"kind": "line"}, 1, 1)
    assert (e.data.samples, e.data.noise, e.data.slope) == (200, 0.0, 2.0)
    x, t = pair(load({"kind": "line", "samples": 5, "slope": -3}, 1, 1))
    assert np.array_equal(x[:, 0], np.linspace(-1, 1, 5))
    assert np.array_equal(t, -3 * x)
    x, t = pair(load({"kind": "line", "x": [0.5, 2, -4]}, 1, 1))
    assert np.array_equal(x[:, 0], [0.5, 2, -4]) and np.array_equal(t[:, 0], [1, 4, -8])
    dataset = load({"kind": "line", "x": [1]}, 1, 1)
    assert (dataset.input_names, dataset.output_names) == (("x",), ("z",))


def test_sine_samples_one_period_in_order():
    e = parse({"kind": "sine"}, 1, 1)
    assert (e.data.samples, e.data.noise) == (200, 0.1)
    x, t = pair(load({"kind": "sine", "samples": 80, "noise": 0}, 1, 1))
    assert x.shape == (80, 1)
    assert np.all((x >= -math.pi) & (x <= math.pi)) and np.all(np.diff(x[:, 0]) >= 0)
    assert np.array_equal(t, np.sin(x))


def test_symmetry_has_every_pattern_and_marks_the_palindromes():
    assert parse({"kind": "symmetry"}, 6, 1).data.bits == 6
    x, t = pair(load({"kind": "symmetry"}, 6, 1))
    assert x.shape == (64, 6) and t.shape == (64, 1)
    assert len({tuple(row) for row in x}) == 64 and set(np.unique(x)) == {0.0, 1.0}
    assert t.sum() == 8  # 2^3: the first three bits decide the last three
    assert np.array_equal(t[:, 0], [float(list(row) == list(row[::-1])) for row in x])
    assert np.array_equal(x[5], [0, 0, 0, 1, 0, 1])  # counting in binary, high bit first


@pytest.mark.parametrize("bits, symmetric", [(1, 2), (2, 2), (3, 4), (7, 16), (12, 64)])
def test_symmetry_counts(bits, symmetric):
    x, t = pair(load({"kind": "symmetry", "bits": bits}, bits, 1))
    assert x.shape == (2**bits, bits) and t.sum() == symmetric


@pytest.mark.parametrize("bits", [1, 3, 5])
def test_parity_labels_odd_numbers_of_ones(bits):
    if bits == 3:
        assert parse({"kind": "parity"}, 3, 1).data.bits == 3  # the default
    x, t = pair(load({"kind": "parity", "bits": bits}, bits, 1))
    assert x.shape == (2**bits, bits)
    assert np.array_equal(t[:, 0], x.sum(axis=1) % 2)
    assert t.sum() == 2 ** (bits - 1)


@pytest.mark.parametrize("size", [2, 4, 8, 10])
def test_encoder_maps_each_one_hot_pattern_to_itself(size):
    if size == 8:
        assert parse({"kind": "encoder"}, 8, 8).data.size == 8  # the default
    x, t = pair(load({"kind": "encoder", "size": size}, size, size))
    assert np.array_equal(x, np.eye(size)) and np.array_equal(t, np.eye(size))


@pytest.mark.parametrize("seed", [0, 1, 2024])
def test_spam_sample_0_is_seed_000s_email(seed):
    dataset = load({"kind": "spam", "noise": 0.5}, 5, 1, seed=seed)
    x, t = pair(dataset)
    assert np.array_equal(x[0], [2, 1, 1, 3, 4]) and t[0, 0] == 1.0
    assert dataset.input_names == ("FREE", "MONEY", "CLICK", "!", "ALL CAPS")


def test_spam_is_word_counts_labelled_spam_and_ham_in_turn():
    e = parse({"kind": "spam"}, 5, 1)
    assert (e.data.samples, e.data.noise) == (200, 0.05)
    x, t = pair(load({"kind": "spam", "noise": 0}, 5, 1))
    assert x.shape == (200, 5)
    assert np.all(x >= 0) and np.array_equal(x, np.round(x))
    assert np.array_equal(t[:, 0], (np.arange(200) % 2 == 0).astype(float))
    assert x[t[:, 0] == 1].mean() > 2 * x[t[:, 0] == 0].mean()  # spam shouts more


def test_spam_noise_flips_that_fraction_of_labels():
    _, t = pair(load({"kind": "spam", "samples": 4000, "noise": 0.25}, 5, 1))
    flipped = t[:, 0] != (np.arange(4000) % 2 == 0)
    assert 0.2 < flipped.mean() < 0.3


def test_default_names():
    assert load({"kind": "xor"}, 2, 1).input_names == ("x1", "x2")
    assert load({"kind": "xor"}, 2, 1).output_names == ("y",)
    assert load({"kind": "encoder", "size": 3}, 3, 3).output_names == ("y1", "y2", "y3")
    named = load({"kind": "xor", "input_names": ["a", "b"], "output_names": ["a xor b"]}, 2, 1)
    assert (named.input_names, named.output_names) == (("a", "b"), ("a xor b",))


# ---------------------------------------------------------------------------- seeds

RANDOM_KINDS = [
    ({"kind": "xor_cloud"}, 2, 1), ({"kind": "circles"}, 2, 1), ({"kind": "gaussians"}, 2, 1),
    ({"kind": "gaussians", "classes": 4}, 2, 4), ({"kind": "spiral"}, 2, 1),
    ({"kind": "spiral", "classes": 3}, 2, 3), ({"kind": "moons"}, 2, 1),
    ({"kind": "line", "noise": 0.1}, 1, 1), ({"kind": "sine"}, 1, 1), ({"kind": "spam"}, 5, 1),
]
FIXED_KINDS = [({"kind": "xor"}, 2, 1), ({"kind": "line"}, 1, 1), ({"kind": "symmetry"}, 6, 1),
               ({"kind": "parity"}, 3, 1), ({"kind": "encoder"}, 8, 8),
               ({"kind": "inline", "inputs": [[1], [2]], "targets": [3, 4]}, 1, 1)]


def same(a: Dataset, b: Dataset) -> bool:
    return all(np.array_equal(getattr(a, k), getattr(b, k))
               for k in ("x_train", "t_train", "x_val", "t_val"))


@pytest.mark.parametrize("section, inputs, outputs", RANDOM_KINDS)
def test_random_kinds_repeat_for_a_seed_and_differ_across_seeds(section, inputs, outputs):
    first = load(section, inputs, outputs, seed=3)
    assert same(first, load(section, inputs, outputs, seed=3))
    assert not np.array_equal(first.x_train, load(section, inputs, outputs, seed=4).x_train) or \
        not np.array_equal(first.t_train, load(section, inputs, outputs, seed=4).t_train)
    assert np.all(np.isfinite(first.x_train)) and np.all(np.isfinite(first.t_train))


@pytest.mark.parametrize("section, inputs, outputs", FIXED_KINDS)
def test_fixed_kinds_do_not_depend_on_the_seed(section, inputs, outputs):
    assert same(load(section, inputs, outputs, seed=0), load(section, inputs, outputs, seed=99))


@pytest.mark.parametrize("section, inputs, outputs", RANDOM_KINDS + FIXED_KINDS)
def test_sample_count_is_known_without_generating(section, inputs, outputs):
    e = parse(section, inputs, outputs)
    dataset = sim.Trainer(e).dataset
    facts = data.facts(e.data)
    assert facts.samples == dataset.x_train.shape[0]
    assert (facts.inputs, facts.outputs) == (dataset.inputs, dataset.outputs) == (inputs, outputs)


def test_data_does_not_depend_on_the_network_or_training_settings():
    plain = load({"kind": "moons"}, 2, 1, seed=5)
    other = sim.Trainer(sim.parse({
        "seed": 5, "data": {"kind": "moons"},
        "network": {"inputs": 2, "init": {"kind": "he_normal"},
                    "layers": [{"units": 7, "activation": "relu"}, {"units": 1}]},
        "regularization": {"dropout": 0.5}, "optimizer": {"kind": "adam"}})).dataset
    assert same(plain, other)


# ---------------------------------------------------------------------------- validation split

@pytest.mark.parametrize("samples, fraction, n_val", [
    (200, 0.25, 50), (200, 0.0, 0), (10, 0.9, 9), (5, 0.5, 2), (7, 0.5, 4), (3, 0.1, 0),
    (2, 0.9, 1), (101, 0.2, 20)])
def test_validation_split_sizes(samples, fraction, n_val):
    assert data.validation_size(samples, fraction) == n_val
    section = {"kind": "xor_cloud", "samples": samples, "validation_fraction": fraction}
    dataset = load(section, 2, 1, seed=1)
    assert dataset.x_val.shape == (n_val, 2) and dataset.t_val.shape == (n_val, 1)
    assert dataset.x_train.shape == (samples - n_val, 2)
    whole = load({"kind": "xor_cloud", "samples": samples}, 2, 1, seed=1)
    together = np.concatenate([dataset.x_train, dataset.x_val])
    assert sorted(map(tuple, together)) == sorted(map(tuple, whole.x_train))  # a partition


def test_the_split_keeps_each_part_in_the_original_order_and_targets_with_inputs():
    whole = load({"kind": "line", "samples": 20}, 1, 1)
    split = load({"kind": "line", "samples": 20, "validation_fraction": 0.3}, 1, 1)
    for x, t in ((split.x_train, split.t_train), (split.x_val, split.t_val)):
        assert np.all(np.diff(x[:, 0]) > 0)  # the line's x increases with the index
        assert np.array_equal(t, 2 * x)
    assert split.x_val.shape[0] == 6 and np.isin(split.x_val, whole.x_train).all()


def test_the_split_repeats_for_a_seed_and_differs_across_seeds():
    section = {"kind": "symmetry", "validation_fraction": 0.25}
    first = load(section, 6, 1, seed=1)
    assert same(first, load(section, 6, 1, seed=1))
    assert not np.array_equal(first.x_val, load(section, 6, 1, seed=2).x_val)


# ---------------------------------------------------------------------------- standardisation

def test_standardised_training_inputs_have_mean_0_and_std_1():
    section = {"kind": "xor_cloud", "samples": 300, "validation_fraction": 0.2}
    raw = load(section, 2, 1, seed=8)
    scaled = load(section | {"standardize": True}, 2, 1, seed=8)
    assert np.allclose(scaled.x_train.mean(axis=0), 0.0, atol=1e-12)
    assert np.allclose(scaled.x_train.std(axis=0), 1.0, atol=1e-12)
    assert np.allclose(scaled.input_mean, raw.x_train.mean(axis=0))
    assert np.allclose(scaled.input_scale, raw.x_train.std(axis=0))
    # validation inputs use the training set's mean and scale, not their own
    assert np.allclose(scaled.x_val, (raw.x_val - scaled.input_mean) / scaled.input_scale)
    assert np.allclose(scaled.to_raw(scaled.x_train), raw.x_train)
    assert np.allclose(scaled.to_network(raw.x_val), scaled.x_val)
    assert np.array_equal(scaled.t_train, raw.t_train)  # targets are never scaled


def test_a_constant_input_is_centred_but_not_divided_by_zero():
    dataset = load({"kind": "inline", "inputs": [[1, 5], [2, 5], [3, 5]], "targets": [0, 1, 0],
                    "standardize": True}, 2, 1)
    assert np.array_equal(dataset.x_train[:, 1], [0, 0, 0])
    assert dataset.input_scale[1] == 1.0


def test_without_standardisation_inputs_are_as_generated():
    dataset = load({"kind": "xor"}, 2, 1)
    assert np.array_equal(dataset.input_mean, [0, 0]) and np.array_equal(dataset.input_scale,
                                                                          [1, 1])


# ---------------------------------------------------------------------------- CSV files

def csv_dataset(folder: Path, content: bytes | str, targets: tuple[str, ...] = ("price",),
                inputs: tuple[str, ...] | None = None) -> Dataset:
    """Write ``table.csv`` and read it as the engine does: header first, then the cells."""
    path = folder / "table.csv"
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    spec = DataSpec(kind="csv", path="table.csv", target_columns=targets, input_columns=inputs)
    data.facts(spec, folder)
    rng = np.random.default_rng(0)
    return data.build(spec, rng, rng, folder)


HOUSES = "size,rooms,price\n50,2,100\n60,2,120\n70,3,140.5\n"


def test_a_csv_file_loads_with_named_columns(tmp_path):
    dataset = csv_dataset(tmp_path, HOUSES)
    assert np.array_equal(dataset.x_train, [[50, 2], [60, 2], [70, 3]])
    assert np.array_equal(dataset.t_train, [[100], [120], [140.5]])
    assert (dataset.input_names, dataset.output_names) == (("size", "rooms"), ("price",))


def test_a_csv_file_loads_through_an_experiment_file_next_to_it(tmp_path):
    (tmp_path / "houses.csv").write_text(HOUSES)
    (tmp_path / "lesson.json").write_text(
        '{"data": {"kind": "csv", "path": "houses.csv", "targets": ["price"],'
        ' "inputs": ["rooms", "size"]},'
        ' "network": {"inputs": 2, "layers": [{"units": 1, "activation": "linear"}]}}')
    dataset = sim.Trainer(sim.load(tmp_path / "lesson.json")).dataset
    assert np.array_equal(dataset.x_train, [[2, 50], [2, 60], [3, 70]])  # in the order named


def test_a_csv_file_with_a_byte_order_mark_blank_lines_and_spaces_loads(tmp_path):
    content = ("\ufeff\n size , rooms,price \r\n\r\n 50, 2 ,100\r\n,,\r\n60,2,  120\r\n\n"
               "\"70\",3,1.405e2\r\n   \n")
    dataset = csv_dataset(tmp_path, content)
    assert dataset.input_names == ("size", "rooms")
    assert np.array_equal(dataset.x_train, [[50, 2], [60, 2], [70, 3]])
    assert np.array_equal(dataset.t_train, [[100], [120], [140.5]])


def test_a_csv_file_may_have_several_targets_and_unused_columns(tmp_path):
    content = "id,x,a,b\nfirst,1,0,1\nsecond,2,1,0\n"
    dataset = csv_dataset(tmp_path, content, targets=("b", "a"), inputs=("x",))
    assert np.array_equal(dataset.x_train, [[1], [2]])
    assert np.array_equal(dataset.t_train, [[1, 0], [0, 1]])
    assert dataset.output_names == ("b", "a")


def refused(folder: Path, content: bytes | str, **columns: Any) -> ExperimentError:
    with pytest.raises(ExperimentError) as info:
        csv_dataset(folder, content, **columns)
    assert "\n" not in str(info.value)
    return info.value


@pytest.mark.parametrize("cell", ["abc", "", "1,5", "12 m2", "0x10", "--1"])
def test_a_cell_that_is_not_a_number_is_named_by_row_and_column(cell, tmp_path):
    content = f'size,rooms,price\n50,2,100\n60,2,"{cell}"\n'
    error = refused(tmp_path, content)
    assert error.path == "data.path"
    assert error.problem == f'row 3, column "price": not a number: {cell!r}'


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "-Infinity", "1e999"])
def test_a_cell_that_is_not_finite_is_refused(cell, tmp_path):
    error = refused(tmp_path, f"size,rooms,price\n50,{cell},100\n")
    assert error.problem == f'row 2, column "rooms": not a finite number: {cell!r}'


def test_rows_are_counted_as_a_spreadsheet_counts_them(tmp_path):
    # blank rows count; a quoted cell spanning two lines is still one row
    content = 'size,rooms,price\n50,2,100\n\n\n"60\n",2,120\n70,3,abc\n'
    assert refused(tmp_path, content).problem == 'row 6, column "price": not a number: \'abc\''
    content = '\n\nsize,rooms,price\n50,2,100\n60,two,120\n'
    assert refused(tmp_path, content).problem == 'row 5, column "rooms": not a number: \'two\''


def test_cells_of_unused_columns_are_not_read(tmp_path):
    dataset = csv_dataset(tmp_path, "note,x,y\nhello,1,2\n,3,4\n", targets=("y",), inputs=("x",))
    assert np.array_equal(dataset.x_train, [[1], [3]])


@pytest.mark.parametrize("row, cells", [("60,2", 2), ("60,2,120,", 4), ("60", 1)])
def test_a_ragged_row_is_refused(row, cells, tmp_path):
    error = refused(tmp_path, f"size,rooms,price\n50,2,100\n{row}\n")
    assert error.problem == f"row 3: has {cells} cells, the header has 3"


@pytest.mark.parametrize("content", [b"", b"\n\n", b" , ,\n\r\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(content, tmp_path):
    error = refused(tmp_path, content)
    assert error.path == "data.path" and error.problem.endswith("table.csv is empty")


def test_a_header_without_rows_is_refused(tmp_path):
    assert refused(tmp_path, "size,rooms,price\n\n").problem.endswith(
        "table.csv has a header but no data rows")


@pytest.mark.parametrize("content, byte", [(b"size,rooms,price\n50,2,100\n\xff0,2,1\n", 26),
                                           ("size,price\n5,1\n".encode("utf-16"), 0),
                                           ("größe,price\n5,1\n".encode("latin-1"), 2)])
def test_a_file_that_is_not_utf8_is_refused(content, byte, tmp_path):
    assert refused(tmp_path, content).problem.endswith(f"table.csv is not UTF-8 text (byte {byte})")


def test_a_file_with_nul_bytes_is_refused(tmp_path):
    error = refused(tmp_path, b"size,rooms,price\n50,2,1\x0000\n")
    assert error.problem.endswith("table.csv is not a text file (it holds NUL bytes)")


def test_an_unknown_target_column_is_refused(tmp_path):
    error = refused(tmp_path, HOUSES, targets=("prize",))
    assert (error.path, error.problem) == ("data.targets", 'no column named "prize" in the header')


def test_an_unknown_input_column_is_refused(tmp_path):
    error = refused(tmp_path, HOUSES, inputs=("size", "floors"))
    assert (error.path, error.problem) == ("data.inputs", 'no column named "floors" in the header')


def test_a_table_with_only_target_columns_is_refused(tmp_path):
    error = refused(tmp_path, "price\n1\n2\n")
    assert error.path == "data.inputs"


@pytest.mark.parametrize("header, problem", [("size,,price", "header column 2 is empty"),
                                             ("size,price,price", 'header column 3 repeats the '
                                                                  'name "price"')])
def test_a_bad_header_is_refused(header, problem, tmp_path):
    assert refused(tmp_path, f"{header}\n1,2,3\n").problem.endswith(f"table.csv: {problem}")


def test_a_cell_too_long_for_the_csv_reader_is_refused(tmp_path):
    error = refused(tmp_path, 'size,rooms,price\n50,2,100\n"' + "1" * 200_000 + '",2,3\n')
    assert error.problem.startswith(str(tmp_path / "table.csv") + ": row 3: field larger")


def test_a_csv_file_larger_than_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "MAX_CSV_BYTES", 30)
    error = refused(tmp_path, HOUSES)
    assert error.path == "data.path" and error.problem.startswith("file is larger than")


def test_a_missing_csv_file_is_named(tmp_path):
    spec = DataSpec(kind="csv", path="nowhere.csv", target_columns=("y",))
    with pytest.raises(ExperimentError) as info:
        data.facts(spec, tmp_path)
    assert info.value.path == "data.path" and "nowhere.csv" in info.value.problem


def test_a_csv_header_with_a_newline_still_gives_a_one_line_error(tmp_path):
    error = refused(tmp_path, '"size\nin m2",price\nabc,1\n')
    assert str(error) == 'data.path: row 2, column "size\\nin m2": not a number: \'abc\''


def test_csv_columns_are_each_used_once():
    base = {"kind": "csv", "path": "table.csv"}
    network = {"inputs": 1, "layers": [{"units": 1}]}
    for section, path in (({"targets": ["y", "y"]}, "data.targets[1]"),
                          ({"targets": ["y"], "inputs": ["x", "y"]}, "data.inputs[1]"),
                          ({"targets": ["y"], "inputs": ["x", "x"]}, "data.inputs[1]")):
        with pytest.raises(ExperimentError) as info:
            sim.parse({"data": base | section, "network": network})
        assert info.value.path == path
