"""Predict, then reveal (sim.quiz): which number is asked, reading answers, the tolerance rule,
the score, and the file's quiz section."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

import sim
from sim import explain, notation, quiz
from sim.experiment import drop_weights_that_no_longer_fit, to_dict
from sim.lessons import lesson_dir
from sim.quiz import Quantity, Question, Score, Unreadable, check, is_right, read_answer, skip
from tests.conftest import experiment

LESSON_FILES = sorted(path for path in lesson_dir().glob("*.json") if path.name != "index.json")


# ---------------------------------------------------------------------------- reading answers

@pytest.mark.parametrize(("typed", "value"), [
    ("0.25", 0.25), ("−0.5", -0.5), ("-0.5", -0.5), ("– 0.5", -0.5), ("+1.5", 1.5),
    ("0,25", 0.25), ("−0,006125", -0.006125), ("1,234.5", 1234.5), ("12,345,678", 12345678),
    ("  0.3 775 ", 0.3775), ("0\u202f.5", 0.5), (".5", 0.5), ("5.", 5.0), ("1e-3", 0.001),
    ("1.2e−05", 1.2e-5), ("z⁽¹⁾₂ = 0.28", 0.28), ("δ = −0.001285", -0.001285), ("0", 0.0)])
def test_an_answer_is_read_with_either_minus_a_decimal_comma_and_spaces(typed, value):
    assert read_answer(typed) == value


@pytest.mark.parametrize("typed", ["", "   ", "abc", "nan", "inf", "-inf", "0x10", "1/4",
                                   "1..2", "--1", "0.5.1", "1,2,3", "1e999", "1_000", "=", "½",
                                   "0.5 0.5e"])
def test_garbage_gets_a_one_line_hint(typed):
    with pytest.raises(Unreadable) as raised:
        read_answer(typed)
    hint = str(raised.value)
    assert hint and "\n" not in hint
    assert "number" in hint or "Nothing typed" in hint


def test_a_comma_that_could_be_a_decimal_or_a_thousands_separator_is_asked_about():
    with pytest.raises(Unreadable, match=r"could be 1\.234 or 1234"):
        read_answer("1,234")
    assert read_answer("0,234") == 0.234  # a thousands separator never follows a lone 0


def test_a_control_character_in_the_answer_stays_escaped_in_the_hint():
    with pytest.raises(Unreadable) as raised:
        read_answer("ab\nc")
    assert "\n" not in str(raised.value)


# ---------------------------------------------------------------------------- right or wrong

def test_an_answer_is_right_to_the_printed_digits_or_within_one_percent():
    value = -0.00612480215579979  # printed −0.006125
    assert notation.number(value) == "−0.006125"
    assert is_right(-0.006125, value)  # the printed digits
    assert is_right(-0.0061248, value)  # more digits
    assert is_right(-0.00612, value)  # within 1%: 0.08% off
    assert is_right(-0.00607, value)  # 0.9% off
    assert not is_right(-0.00606, value)  # 1.06% off
    assert not is_right(0.006125, value)  # the sign matters
    assert is_right(0.0, 0.0) and not is_right(1e-9, 0.0)


def test_the_printed_digits_count_even_where_one_percent_is_less_than_their_rounding():
    value = 0.0010004999  # printed 0.001
    assert notation.number(value) == "0.001"
    assert is_right(0.001, value)


def question_about(value: float) -> Question:
    return Question(Quantity("delta", 1, 1), "What is δ⁽¹⁾₂?", value, notation.number(value),
                    abs(value))


def test_check_says_right_wrong_or_gives_a_hint_and_skip_reveals():
    q = question_about(-0.0012851773425475962)
    right = check(q, "-0,001285")
    assert right.outcome == "right" and "δ⁽¹⁾₂ = −0.001285" in right.message
    wrong = check(q, "0.001285")
    assert wrong.outcome == "wrong" and "−0.001285" in wrong.message
    with pytest.raises(Unreadable):
        check(q, "a lot")
    skipped = skip(q)
    assert skipped.outcome == "skipped" and "δ⁽¹⁾₂ = −0.001285" in skipped.message


def test_the_score_counts_right_wrong_and_skipped():
    q = question_about(0.5)
    score = Score()
    assert score.text() == "Score: none asked yet"
    for verdict in (check(q, "0.5"), check(q, "1"), skip(q), check(q, "0.501")):
        score = score.after(verdict)
    assert (score.asked, score.right, score.wrong, score.skipped) == (4, 2, 1, 1)
    assert score.text() == "Score: 2 right of 4 asked (1 wrong, 1 skipped)"


# ---------------------------------------------------------------------------- the questions

def walk(trainer: sim.Trainer, phases: int) -> list[sim.Snapshot]:
    snapshots = []
    for _ in range(phases):
        assert trainer.step_phase() is not None
        snapshots.append(trainer.snapshot(with_history=False))
    return snapshots


def seed003() -> sim.Trainer:
    return sim.Trainer(sim.load(lesson_dir() / "seed003-walkthrough.json"))


def assert_worked_out(s: sim.Snapshot, q: Question, sample: int | None = None,
                      worked: bool = True) -> None:
    """The caption has a line about q that ends in the printed value, the engine's, and (if
    ``worked``) works it out from other numbers."""
    lines = explain.caption(s, sample).lines
    index = quiz.worked_line(lines, q.quantity)
    assert index is not None, (q, lines)
    sign = "←" if q.quantity.kind in ("w", "b") else "="
    statement = next(part for part in lines[index].split(explain.SEPARATOR)
                     if part.startswith(f"{q.name} {sign} "))
    assert statement.endswith(f"= {q.printed}"), statement
    if worked:
        assert " = " in statement.split(f"{q.name} {sign} ", 1)[1], "stated, not worked out"


def test_a_new_weight_is_right_within_one_percent_of_its_change_not_of_its_value():
    update = walk(seed003(), 7)[-1]
    q = quiz.question(update, (Quantity("w", 2, 0, 0),))
    assert q is not None
    layer = update.layers[1]
    old, change = layer.W[0, 0] - layer.update_W[0, 0], layer.update_W[0, 0]
    assert q.value == layer.W[0, 0] and q.scale == abs(change)
    assert is_right(old, q.value)  # 0.6 is within 1% of 0.6031: the plain rule would pass it
    assert check(q, str(float(old))).outcome == "wrong"
    assert check(q, str(float(old + 0.995 * change))).outcome == "right"
    assert check(q, str(float(old + 0.98 * change))).outcome == "wrong"
    assert check(q, q.printed.replace("−", "-")).outcome == "right"  # the printed digits


def test_seed_003s_iteration_asks_one_number_of_each_phase_that_its_caption_works_out():
    snapshots = walk(seed003(), 7)
    asked = [quiz.question(s, None) for s in snapshots]
    kinds = [None if q is None else q.quantity.kind for q in asked]
    assert kinds == ["z", "a", "E", "dE/dw", "delta", None, "w"]  # nothing to work out in clip
    for s, q in zip(snapshots, asked, strict=True):
        if q is not None:
            assert_worked_out(s, q)
    backward_1 = asked[4]
    assert backward_1 is not None and backward_1.name == "δ⁽¹⁾₂"
    layer = snapshots[4].layers[0]
    assert backward_1.value == layer.computed("delta")[0, 1]  # the engine's own number
    assert asked[2] is not None and asked[2].value == snapshots[2].loss


def test_the_app_turns_to_other_units_and_kinds_in_later_iterations():
    trainer = seed003()
    phases = len(walk(trainer, 7))
    first = [quiz.question(s, None) for s in walk(seed003(), phases)]
    second = [quiz.question(s, None) for s in walk(trainer, phases)]
    assert [q.name for q in first if q] != [q.name for q in second if q]


@pytest.mark.parametrize("path", LESSON_FILES, ids=lambda path: path.stem)
def test_every_question_the_app_chooses_in_every_lesson_is_worked_out_by_its_caption(path):
    trainer = sim.Trainer(sim.load(path))
    phases = len(trainer.phases)
    for s in walk(trainer, 2 * phases):
        if s.diverged:
            break
        q = quiz.question(s, None)
        if q is not None:
            assert_worked_out(s, q)
            assert math.isfinite(q.value) and q.prompt.startswith(f"What is {q.name}")


def every_quantity(e: sim.Experiment) -> list[Quantity]:
    found: list[Quantity] = [Quantity("E")]
    for number, plan in enumerate(quiz.plans(e.network), start=1):
        for j in range(plan.units):
            found += [Quantity(kind, number, j) for kind in ("z", "a", "delta", "dE/db", "b")]
            found += [Quantity(kind, number, j, i) for kind in ("dE/dw", "w")
                      for i in range(plan.fan_in)]
    return found


@pytest.mark.parametrize("fields", [
    {"network": {"inputs": 2, "layers": [
        {"units": 7, "activation": "tanh"},
        {"units": 3, "activation": "relu", "train_bias": False},
        {"units": 1, "activation": "sigmoid"}]}, "data": {"kind": "xor"}, "batch_size": 2},
    {"network": {"inputs": 2, "layers": [{"units": 2, "activation": "sigmoid", "bias": False},
                                         {"units": 3, "activation": "softmax"}]},
     "data": {"kind": "gaussians", "classes": 3, "samples": 12}, "loss": "cross_entropy",
     "regularization": {"l2": 0.01}},
], ids=["wide-frozen-bias", "softmax-l2"])
def test_every_quantity_a_file_may_list_is_worked_out_at_its_phase(fields):
    """What the file's check lets through (QuizSpec.problem), the caption writes out, and
    what it refuses, the caption does not: the two rules agree."""
    e = experiment(**fields)
    plans = quiz.plans(e.network)
    trainer = sim.Trainer(e)
    snapshots = walk(trainer, len(trainer.phases))
    for quantity in every_quantity(e):
        allowed = quiz.QuizSpec(True, (quantity,)).problem(plans) is None
        asked = [q for s in snapshots if (q := quiz.question(s, (quantity,))) is not None]
        assert len(asked) == (1 if allowed else 0), (quantity, allowed, asked)
        if allowed:
            s = next(s for s in snapshots if s.last_phase and quantity.belongs_to(s.last_phase))
            assert_worked_out(s, asked[0], worked=quantity.kind != "E")  # E: as listed


def test_a_lessons_list_asks_only_the_phases_it_names_and_the_first_entry_of_each():
    ask = (Quantity("E"), Quantity("delta", 1, 0), Quantity("delta", 1, 1), Quantity("w"))
    asked = [quiz.question(s, ask) for s in walk(seed003(), 7)]
    names = [None if q is None else q.name for q in asked]
    assert names == [None, None, "E", None, "δ⁽¹⁾₁", None, "w⁽¹⁾₁₁"]


def test_a_batch_asks_for_the_followed_samples_value_and_says_whose():
    trainer = sim.Trainer(sim.load(lesson_dir() / "xor.json"))
    s = walk(trainer, 1)[0]
    q = quiz.question(s, (Quantity("z", 1, 0),), sample=2)
    assert q is not None and q.prompt == "What is z⁽¹⁾₁ for sample 3?"
    row, _ = explain.followed_row(s, 2)
    assert q.value == s.layers[0].computed("z")[row, 0]
    assert_worked_out(s, q, sample=2)


def test_nothing_is_asked_before_the_first_phase():
    trainer = seed003()
    assert quiz.question(trainer.snapshot(with_history=False), None) is None


# ---------------------------------------------------------------------------- the file

def quiz_file(section: Any) -> dict[str, Any]:
    document = to_dict(sim.load(lesson_dir() / "seed003-walkthrough.json"))
    document["quiz"] = section
    return document


def test_the_quiz_section_reads_plain_and_unicode_names_and_kinds_and_saves_plain_ones():
    document = quiz_file({"on": True, "ask": ["z[1]_2", "δ⁽¹⁾₂", "∂E/∂w⁽²⁾₁₂", "dE/dw[1]_21",
                                               "E", "delta", "w[2]_1,2", " a [2]_1 "]})
    e = sim.parse(document)
    assert e.quiz.on
    assert e.quiz.ask == (Quantity("z", 1, 1), Quantity("delta", 1, 1),
                          Quantity("dE/dw", 2, 0, 1), Quantity("dE/dw", 1, 1, 0),
                          Quantity("E"), Quantity("delta"), Quantity("w", 2, 0, 1),
                          Quantity("a", 2, 0))
    saved = to_dict(e)["quiz"]
    assert saved == {"on": True, "ask": ["z[1]_2", "delta[1]_2", "dE/dw[2]_12",
                                         "dE/dw[1]_21", "E", "delta", "w[2]_12", "a[2]_1"]}
    assert sim.parse(to_dict(e)) == e
    assert to_dict(experiment())["quiz"] == {"on": False}


def test_two_digit_units_are_written_with_a_comma():
    assert Quantity("w", 2, 9, 1).to_json() == "w[2]_10,2"
    assert Quantity.from_json("w[2]_10,2", "q") == Quantity("w", 2, 9, 1)
    assert Quantity.from_json(notation.weight(2, 9, 1), "q") == Quantity("w", 2, 9, 1)


@pytest.mark.parametrize(("section", "message"), [
    ([], "quiz: must be an object"),
    ({"ask": []}, "quiz.ask: must name at least one quantity"),
    ({"on": "yes"}, "quiz.on:"),
    ({"quizz": 1}, "quiz.quizz: unknown key"),
    ({"ask": [3]}, "quiz.ask[0]: must be a quantity's name"),
    ({"ask": ["E", "q[1]_1"]}, "quiz.ask[1]: not a quantity"),
    ({"ask": ["E[1]_1"]}, "quiz.ask[0]: E, the loss, has no layer or unit"),
    ({"ask": ["w[1]_123"]}, "quiz.ask[0]: write the unit and the unit feeding it with a comma"),
    ({"ask": ["z[1]_1,2"]}, "quiz.ask[0]: needs one unit"),
    ({"ask": ["z[0]_1"]}, "quiz.ask[0]: layers and units count from 1"),
    ({"ask": ["delta[3]_1"]}, "quiz.ask[0]: layer 3 does not exist; the network has layers 1 "
                              "to 2"),
    ({"ask": ["a[1]_3"]}, "quiz.ask[0]: layer 1 has units 1 to 2, not 3"),
    ({"ask": ["w[2]_13"]}, "quiz.ask[0]: the units of layer 2 have inputs 1 to 2, not 3"),
    ({"ask": ["b[1]_1"]}, "quiz.ask[0]: layer 1 has no bias"),
])
def test_a_bad_quiz_section_is_refused_with_one_line_naming_the_field(section, message):
    with pytest.raises(sim.ExperimentError) as raised:
        sim.parse(quiz_file(section))
    text = str(raised.value)
    assert text.startswith(message) and "\n" not in text


def test_a_quantity_beyond_what_the_captions_write_out_is_refused():
    network = {"inputs": 2, "layers": [{"units": 8}, {"units": 1}]}
    with pytest.raises(sim.ExperimentError, match=r"quiz.ask\[0\]: the captions write out the "
                                                  r"first 6 units of a layer, not unit 7"):
        experiment(network=network, quiz={"ask": ["delta[1]_7"]})
    with pytest.raises(sim.ExperimentError, match="first 8 weights of a layer"):
        experiment(network=network, quiz={"ask": ["dE/dw[1]_51"]})
    with pytest.raises(sim.ExperimentError, match="frozen"):
        experiment(network={"inputs": 2, "layers": [{"units": 2, "train_bias": False},
                                                     {"units": 1}]}, quiz={"ask": ["b[1]_1"]})


def test_an_edit_that_removes_a_listed_quantity_drops_it_and_keeps_the_rest():
    document = quiz_file({"on": True, "ask": ["a[1]_2", "E"]})
    smaller = copy.deepcopy(document)
    smaller["network"]["layers"][0]["units"] = 1
    drop_weights_that_no_longer_fit(smaller)
    assert smaller["quiz"] == {"on": True, "ask": ["E"]}
    assert sim.parse(smaller).quiz.ask == (Quantity("E"),)
    only = quiz_file({"ask": ["a[1]_2"]})
    only["network"]["layers"][0]["units"] = 1
    drop_weights_that_no_longer_fit(only)
    assert only["quiz"] == {"on": False}  # the app chooses again
