"""The lessons in assets/lessons: every one opens and runs, and each one's claims hold.

Each lesson has a claim test that runs it headless through ``sim`` and checks what its text
tells the student to watch for. Every number the text states (title, guidance and note on the
course text) is accounted for through ``tests.lesson_text.LessonText``: computed from a run of
the lesson and compared at the digits written, compared as a bound, quoted from a course text
and contradicted by the run, or named as what it is (a seed's number, a year). A number added
to a lesson's text without a check fails that lesson's test.
"""

from __future__ import annotations

import dataclasses
import math
import re
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

import sim
from sim import explain, lessons, notation, quiz
from sim.address import ParameterAddress
from sim.augment import AugmentSpec
from sim.cli import main as cli_main
from sim.clipping import ClippingSpec
from sim.data import SPAM_EXAMPLE
from sim.held_out import held_out_result
from sim.optimizers import OptimizerSpec
from tests.conftest import ROOT
from tests.lesson_text import LessonText, rounds_to

NOTE = "Note on the course text: "


def lesson(name: str) -> sim.Trainer:
    return sim.Trainer(lessons.load_lesson(name))


def run(name: str, steps: int | None = None, epochs: int | None = None) -> sim.Trainer:
    trainer = lesson(name)
    trainer.run(steps=steps, epochs=epochs)
    return trainer


def changed(name: str, **changes: object) -> sim.Trainer:
    """The lesson with some of its settings changed, as a student would in the controls."""
    return sim.Trainer(lessons.load_lesson(name).replace(**changes))


def with_learning_rate(name: str, rate: float) -> sim.Trainer:
    experiment = lessons.load_lesson(name)
    return changed(name, optimizer=dataclasses.replace(experiment.optimizer, learning_rate=rate))


def with_init(name: str, kind: str) -> sim.Trainer:
    network = lessons.load_lesson(name).network
    return changed(name, network=dataclasses.replace(
        network, init=dataclasses.replace(network.init, kind=kind)))


def stop_reason(trainer: sim.Trainer) -> str | None:
    event = trainer.stop_event
    return None if event is None else event.details.get("reason", event.kind)


def whole_set_loss(trainer: sim.Trainer) -> float:
    dataset = trainer.dataset
    return trainer.network.loss_value(dataset.x_train, dataset.t_train, trainer.experiment.loss)


def hidden_units_without_gradient(trainer: sim.Trainer) -> list[float]:
    """Per hidden layer: the fraction of units whose incoming weights all have gradient 0."""
    return [float(np.mean(np.all(layer.dW == 0.0, axis=1)))
            for layer in trainer.network.layers[:-1]]


def first_step(name: str, predicate: np.ndarray) -> int:
    """The first step (counted from 1) at which ``predicate`` holds."""
    assert predicate.any(), f"{name}: never"
    return int(np.argmax(predicate)) + 1


def weights_after_each_step(trainer: sim.Trainer, steps: int | None = None,
                            layer: int = 0) -> np.ndarray:
    """Row k: the first unit's incoming weights of ``layer`` after step k + 1."""
    rows: list[np.ndarray] = []
    trainer.run(steps=steps, on_step=lambda t: rows.append(t.network.layers[layer].W[0].copy()))
    return np.array(rows)


def grad_norms_of_first_step(trainer: sim.Trainer) -> list[float]:
    return [float(trainer.history.column(f"grad_norm_{k}")[0])
            for k in range(1, trainer.network.depth + 1)]


def architecture(experiment: sim.Experiment) -> str:
    """2-16-16-1: the units of the input and of every layer."""
    units = [experiment.network.inputs] + [layer.units for layer in experiment.network.layers]
    return "-".join(str(unit) for unit in units)


def says_architecture(text: LessonText) -> None:
    """The text names the network as 2-16-16-1, and that is its shape."""
    shape = architecture(text.experiment)
    times = text.text.count(shape)
    assert times
    for units in shape.split("-"):
        text.says(units, float(units), times=times)


# ---------------------------------------------------------------- every lesson

def test_index_lists_every_lesson_file_once_with_xor_first():
    names = [path.name for path in lessons.lesson_files()]
    on_disk = {path.name for path in lessons.lesson_dir().glob("*.json")} - {"index.json"}
    assert len(names) == len(set(names))
    assert set(names) == on_disk
    assert names[0] == lessons.DEFAULT_LESSON


@pytest.mark.parametrize("path", lessons.lesson_files(), ids=lambda path: path.stem)
def test_lesson_loads_and_runs_a_few_steps(path):
    experiment = sim.load(path)
    trainer = sim.Trainer(experiment)
    assert trainer.run(steps=3) == 3
    assert np.isfinite(trainer.history.column("loss")).all()
    stopping = experiment.stopping
    assert stopping.max_steps or stopping.max_epochs or stopping.loss_below  # Play ends


def sentences(paragraph: str) -> list[str]:
    return re.split(r"(?<=[.!?])\s+(?=[A-Z0-9'(])", paragraph.strip())


@pytest.mark.parametrize("path", lessons.lesson_files(), ids=lambda path: path.stem)
def test_lesson_has_a_title_and_three_to_six_sentences_of_guidance(path):
    """The guidance is one paragraph of 3 to 6 sentences; a note on the course text, where a
    lesson has one, is a second paragraph of at most 4."""
    experiment = sim.load(path)
    guidance, *notes = experiment.description.split("\n\n")
    assert experiment.name != "untitled"
    assert 3 <= len(sentences(guidance)) <= 6, sentences(guidance)
    assert len(notes) <= 1
    for note in notes:
        assert note.startswith(NOTE)
        assert 1 <= len(sentences(note)) <= 4, sentences(note)


@pytest.mark.parametrize("path", lessons.lesson_files(), ids=lambda path: path.stem)
def test_lesson_texts_write_one_minus_sign(path):
    """Numbers carry "−", never "-" (a hyphen joins words and layer sizes: 2-16-16-1)."""
    experiment = sim.load(path)
    text = f"{experiment.name}\n{experiment.description}"
    assert not re.search(r"(?<![\w)])-\s?\d|\d\s-\s\d", text), text


def test_lesson_titles_are_distinct():
    titles = [sim.load(path).name for path in lessons.lesson_files()]
    assert len(titles) == len(set(titles))


# What a text quotes that is not a lesson: the seed's e-mail, and labels on the screen.
QUOTED_LABELS = ("Gradient norm per layer", "New random data and weights")


def test_lessons_and_labels_named_in_a_text_exist():
    """'Vanishing gradients: 8 sigmoid layers' in a text is the title of a lesson, or what
    comes before its colon ('Learning rate too large'); a quoted label is on the screen."""
    titles = {sim.load(path).name for path in lessons.lesson_files()}
    titles |= {title.partition(":")[0] for title in titles}
    gui_source = "".join(path.read_text(encoding="utf-8")
                         for path in (ROOT / "gui").glob("*.py"))
    for label in QUOTED_LABELS:
        assert f'"{label}' in gui_source
    for path in lessons.lesson_files():
        for quoted in re.findall(r"'([^']{12,})'", sim.load(path).description):
            if quoted[0].isupper() and quoted not in QUOTED_LABELS and \
                    not quoted.startswith("FREE MONEY"):
                assert quoted in titles, f"{path.name}: no lesson is called {quoted!r}"


def test_lessons_are_small_enough_to_draw():
    for path in lessons.lesson_files():
        network = sim.load(path).network
        assert network.inputs + sum(layer.units for layer in network.layers) <= 64, path.name


def test_every_lesson_is_in_exactly_one_section_of_the_menu():
    in_sections = [path for _, paths in lessons.lesson_sections() for path in paths]
    assert sorted(in_sections) == sorted(lessons.lesson_files())
    assert len(set(in_sections)) == len(in_sections)
    assert all(path.is_file() for path in in_sections)


# ---------------------------------------------------------------- 1. XOR

def test_xor_plateaus_then_learns():
    text = LessonText("xor.json")
    trainer = run("xor.json", steps=2000)
    loss = trainer.history.column("loss")
    targets = trainer.dataset.t_train.ravel()
    assert set(targets) == {0.0, 1.0} and set(trainer.dataset.x_train.ravel()) == {0.0, 1.0}
    text.says("1", 1.0, times=3)  # "outputs 1", "is 1", "the 1s": the targets and inputs
    text.says("0", 0.0)  # "the 0s"
    text.says("3", trainer.network.layers[0].units)
    text.says("2", 2)  # "from step 2"
    text.says("0.5", loss[1])  # what answering 0.5 to all 4 patterns scores:
    text.says("0.5", 4 * 0.5 * 0.5 ** 2)
    text.says("4", len(targets))
    stays_above = text.bound("0.45")
    text.says("69", first_step("xor", loss <= stays_above) - 1)
    assert (loss[1:69] > stays_above).all()
    below = text.bound("0.001")
    text.says("1160", first_step("xor", loss < below))
    assert (loss[1159:] < below).all()
    text.done()


# ---------------------------------------------------------------- 2. the seeds' hand examples

CHAIN_SETTINGS = ("0.1", "0.15", "0.4", "0.45", "0.65", "0.25", "0.4")


def says_chain_settings(text: LessonText) -> None:
    """x₁, w⁽¹⁾₁₁, b⁽¹⁾₁, w⁽²⁾₁₁, b⁽²⁾₁, t₁ and the learning rate, in the order written."""
    experiment = text.experiment
    first, second = experiment.network.layers
    values = (experiment.data.inputs[0][0], first.weights[0][0], first.biases[0],
              second.weights[0][0], second.biases[0], experiment.data.targets[0][0],
              experiment.optimizer.learning_rate)
    for written, value in zip(CHAIN_SETTINGS, values, strict=True):
        text.says(written, value)


def chain_gradients(name: str) -> tuple[sim.Trainer, dict[str, float]]:
    trainer = lesson(name)
    trainer.step()
    addresses = {"w2": ParameterAddress(2, 0, 0), "b2": ParameterAddress(2, 0, None),
                 "w1": ParameterAddress(1, 0, 0), "b1": ParameterAddress(1, 0, None)}
    return trainer, {name: trainer.chain_rule(address).gradient
                     for name, address in addresses.items()}


def chain_parameters(trainer: sim.Trainer) -> tuple[float, float, float, float]:
    first, second = trainer.network.layers
    return second.W[0, 0], second.b[0], first.W[0, 0], first.b[0]


def test_two_neuron_chain_numbers_and_its_note():
    text = LessonText("two-neuron-chain.json")
    says_chain_settings(text)
    text.names("004", "seed 004", times=2)
    trainer, gradient = chain_gradients("two-neuron-chain.json")
    p = trainer.current_pass
    a1, a2 = p.a[1][0, 0], p.a[2][0, 0]
    text.says("0.6023", a1, times=3)  # the forward pass, and twice in the note
    text.says("0.7153", a2)
    for written, value in zip(("0.4272", "0.6121", "0.1496", "0.3959"), chain_parameters(trainer),
                              strict=True):
        text.says(written, value)
    # The seed's dE/da2 = 2 (a2 - T) and its product without the 2.
    text.cites("0.9306", "seed 004's ∂E/∂a2 = 2 (a2 − T), from a2 rounded to 0.7153")
    text.says("2", 2, times=2)  # "the factor 2", "with the 2"
    text.cites("0.05706", "seed 004's printed ∂E/∂w2, 0.9306 × 0.2036 × 0.6023 / 2")
    text.says("0.1141", 2 * gradient["w2"])
    # Note: the slope of the first sigmoid, and where the small gradient of w1 comes from.
    slope = a1 * (1 - a1)
    text.says("1", 1)  # a₁(1 − a₁)
    text.quotes("0.2397", slope)
    text.says("0.3977", 1 - a1)
    text.says("0.23954", slope)
    text.says("0.001021", gradient["w1"])
    text.says("0.05707", gradient["w2"])
    text.says("56", gradient["w2"] / gradient["w1"], times=2)
    text.says("6.0", a1 / 0.1)
    text.says("0.1", trainer.dataset.x_train[0, 0])
    text.says("1", 1)  # the bias's input
    text.says("0.01021", gradient["b1"])
    text.says("0.09476", gradient["b2"])
    chain_factor = gradient["b1"] / gradient["b2"]
    text.says("0.108", chain_factor)
    text.says("0.45", trainer.experiment.network.layers[1].weights[0][0])
    text.says("0.2395", slope)
    assert chain_factor == pytest.approx(0.45 * slope, rel=1e-12)
    # The weights' ratio is the chain's factor times the inputs' ratio, and no more.
    assert gradient["w1"] / gradient["w2"] == pytest.approx(chain_factor * 0.1 / a1, rel=1e-12)
    text.says("8", len(lessons.load_lesson("vanishing-sigmoid.json").network.layers) - 1)
    text.done()


def test_two_neuron_chain_sse_numbers_and_its_note():
    text = LessonText("two-neuron-chain-sse.json")
    text.names("004", "seed 004", times=2)
    says_chain_settings(text)
    _, half_gradient = chain_gradients("two-neuron-chain.json")
    trainer, gradient = chain_gradients("two-neuron-chain-sse.json")
    text.says("2", 2)  # dE/da = 2 (a - t)
    p = trainer.current_pass
    dE_da = trainer.chain_rule(ParameterAddress(2, 0, 0)).dE_da[0]
    text.says("0.9305", dE_da)
    seeds = 2 * (round(p.a[2][0, 0], 4) - 0.25)  # the seed's: a2 rounded to 0.7153 first
    text.says("0.9306", seeds)
    assert round(seeds, 4) != round(dE_da, 4)
    text.says("0.7153", p.a[2][0, 0])
    text.says("0.1141", gradient["w2"])
    text.cites("0.05706", "seed 004's printed ∂E/∂w2")
    for written, value in zip(("0.4043", "0.5742", "0.1492", "0.3918"), chain_parameters(trainer),
                              strict=True):
        text.says(written, value)
    for name in gradient:  # "the factor 2 only rescales the learning rate"
        assert gradient[name] == pytest.approx(2 * half_gradient[name], rel=1e-12)
    text.says("2", 2)
    # Note: the seed's E.
    text.says("0.25", trainer.dataset.t_train[0, 0])
    text.says("0.7153", p.a[2][0, 0])
    text.quotes("0.2176", p.loss)
    text.says("0.21646", p.loss)
    text.done()


def test_seed003_walkthrough_numbers():
    text = LessonText("seed003-walkthrough.json")
    text.names("003", "seed 003")
    says_architecture(text)
    experiment = text.experiment
    hidden_spec, output_spec = experiment.network.layers
    for written, value in zip(("0.5", "0.8", "0.7", "0.2", "0.3", "0.4", "0.1", "0.6", "0.5"),
                              (*experiment.data.inputs[0], experiment.data.targets[0][0],
                               *hidden_spec.weights[0], *hidden_spec.weights[1],
                               *output_spec.weights[0]), strict=True):
        text.says(written, value)
    text.names("1", "hidden unit 1")
    text.names("2", "hidden unit 2")
    trainer = lesson("seed003-walkthrough.json")
    trainer.step()
    p = trainer.current_pass
    text.says("0.584", p.a[1][0, 0])
    text.says("0.570", p.a[1][0, 1])
    text.says("0.654", p.a[2][0, 0])
    text.says("0.046", 0.7 - p.a[2][0, 0])
    text.says("0.7", experiment.data.targets[0][0])
    text.says("0.00107", p.loss)
    hidden, output = trainer.network.layers
    text.says("−0.00612", output.dW[0, 0])
    text.says("−0.00597", output.dW[0, 1])
    text.says("4.9", np.abs(output.dW).min() / np.abs(hidden.dW).max())
    text.says("9.5", np.abs(output.dW).max() / np.abs(hidden.dW).min())
    text.done()


def test_seed003_quiz_asks_what_its_text_says_and_its_captions_work_it_out():
    text = LessonText("seed003-quiz.json")
    text.names("003", "seed 003")
    says_architecture(text)
    assert text.bound("1%", times=2) == quiz.TOLERANCE  # of the value, or of a change
    experiment = text.experiment
    walkthrough = lessons.load_lesson("seed003-walkthrough.json")
    assert experiment.quiz.on and not walkthrough.quiz.on
    assert (experiment.data, experiment.network, experiment.loss, experiment.optimizer) == (
        walkthrough.data, walkthrough.network, walkthrough.loss, walkthrough.optimizer)
    trainer = lesson("seed003-quiz.json")
    asked = []
    for _ in trainer.phases:
        trainer.step_phase()
        snapshot = trainer.snapshot(with_history=False)
        question = quiz.question(snapshot, experiment.quiz.ask)
        if question is not None:
            assert quiz.worked_line(explain.caption(snapshot).lines, question.quantity) is not None
            asked.append(question.name)
    assert asked == ["z⁽¹⁾₁", "a⁽²⁾₁", "E", "δ⁽²⁾₁", "δ⁽¹⁾₂", "w⁽²⁾₁₁"]
    positions = [re.search(f" {re.escape(name)}[ ,.]", text.text).start() for name in asked]
    assert positions == sorted(positions)  # named in the order they are asked
    text.done()


# ---------------------------------------------------------------- 3. gradient descent on z = 2x

SEED004_PATH = (0.0, 0.8, 1.4, 2.0)  # seed 004: w after iterations 0, 1, 2 and (≈) 4


def path_of_w(name: str, steps: int = 4, rate: float | None = None) -> list[float]:
    trainer = lesson(name) if rate is None else with_learning_rate(name, rate)
    return list(weights_after_each_step(trainer, steps)[:, 0])


def gap_factor(name: str) -> float:
    """1 − 2 η mean(x²): what each step multiplies the gap 2 − w by."""
    experiment = lessons.load_lesson(name)
    x = lesson(name).dataset.x_train[:, 0]
    return 1 - 2 * experiment.optimizer.learning_rate * float(np.mean(x ** 2))


def says_seed_path(text: LessonText) -> None:
    """The path seed 004 prints: 0 → 0.8 → 1.4 → ≈ 2."""
    for written in ("0", "0.8", "1.4", "2"):
        text.cites(written, "seed 004's printed w")
    assert lessons.load_lesson(text.name).view.printed_path.values == SEED004_PATH


def test_gradient_descent_on_z2x_and_the_seeds_impossible_path():
    name = "gradient-descent-z2x.json"
    text = LessonText(name)
    text.names("004", "seed 004", times=2)
    text.says("2", 2.0, times=2)  # z = 2x in the title and the text: the data's slope
    assert text.experiment.data.slope == 2.0
    for written, x in zip(("0.5", "1", "1.5"), text.experiment.data.x, strict=True):
        text.says(written, x)
    text.says("2", 2.0)  # the minimum of J (every point lies on z = 2x)
    text.says("0", text.experiment.network.layers[0].weights[0][0])
    text.says("0.4", text.experiment.optimizer.learning_rate)
    text.says("4", 4)  # press Step 4 times
    w = path_of_w(name)
    for written, value in zip(("1.8667", "1.9911", "1.9994", "1.99996"), w, strict=True):
        text.says(written, value)
    # The edge's label rounds to 4 significant digits: the last reads 2.
    text.says("4", notation.SIGNIFICANT)
    assert notation.number(w[3]) == "2"
    text.says("2", w[3])
    gaps = [2.0] + [2.0 - value for value in w]
    text.says("93.3%", 1 - gaps[1] / gaps[0])
    assert [later / earlier for earlier, later in pairwise(gaps)] == \
        pytest.approx([gaps[1] / gaps[0]] * 4, rel=1e-9)
    text.says("2", 2.0)  # the gap to 2
    # wₖ = 2 (1 − (1 − 0.8 mean(x²))ᵏ): 0.8 is 2η
    x = lesson(name).dataset.x_train[:, 0]
    assert w == pytest.approx([2 * (1 - (1 - 0.8 * np.mean(x ** 2)) ** k) for k in range(1, 5)],
                              abs=1e-12)
    text.says("2", 2.0)
    text.says("1", 1.0, times=2)
    text.says("0.8", 2 * text.experiment.optimizer.learning_rate)
    # Note: seed 004's path cannot come from a fixed learning rate on data of z = 2x.
    says_seed_path(text)
    text.says("0.4", text.experiment.optimizer.learning_rate)
    text.says("2", 2.0, times=2)  # "the line z = 2x", "the gap to 2"
    seed_gaps = [2.0 - value for value in SEED004_PATH[:3]]
    text.cites("0", "seed 004's w₀")
    text.cites("0.8", "seed 004's w₁")
    text.says("40%", 1 - seed_gaps[1] / seed_gaps[0])
    text.cites("0.8", "seed 004's w₁")
    text.cites("1.4", "seed 004's w₂")
    text.says("50%", 1 - seed_gaps[2] / seed_gaps[1])
    assert seed_gaps[1] / seed_gaps[0] != pytest.approx(seed_gaps[2] / seed_gaps[1], abs=0.05)
    text.says("1", 1.0)  # the seed's own points, x = 1 and 2
    text.says("2", 2.0)
    assert lessons.load_lesson("gradient-descent-z2x-too-large.json").data.x == (1.0, 2.0)
    text.says("0.4", text.experiment.optimizer.learning_rate)
    jumps = path_of_w("gradient-descent-z2x-too-large.json", 3)
    text.says("0", 0.0)
    for written, value in zip(("4", "0", "4"), jumps, strict=True):
        text.says(written, value)
    text.says("2", 2.0)  # the other lesson's title, "z = 2x ..."
    text.done()


def test_z2x_with_one_point_closes_80_percent_of_the_gap_each_step():
    name = "gradient-descent-z2x-one-point.json"
    text = LessonText(name)
    text.says("2", 2.0, times=3)  # z = 2x (title, text), z = 2
    assert text.experiment.data.x == (1.0,)
    text.says("1", 1.0)
    text.says("0", 0.0)
    text.says("0.4", text.experiment.optimizer.learning_rate, times=2)
    w = path_of_w(name)
    for written, value in zip(("1.6", "1.92", "1.984", "1.9968"), w, strict=True):
        text.says(written, value)
    text.says("80%", 1 - gap_factor(name))
    # J(w) = (2 − w)² has slope −2 (2 − w); 0.4 times that is 0.8 of the gap
    text.says("2", 2.0, times=2)
    text.says("−2", -2.0)
    text.says("0.8", 2 * 0.4)
    text.says("4", 4)  # press Step 4 times
    # The edge's label rounds to 4 significant digits: 1.997 for 1.9968.
    text.says("4", notation.SIGNIFICANT)
    assert notation.number(w[3]) == "1.997"
    text.says("1.997", w[3])
    text.says("1.9968", w[3])
    text.says("1", 1.0)  # the other lesson's points, x = 1 and 2
    text.says("2", 2.0)
    assert lessons.load_lesson(name).view.landscape == ParameterAddress(1, 0, 0)
    text.done()


def test_z2x_on_the_seeds_own_points_oscillates_and_its_note():
    name = "gradient-descent-z2x-too-large.json"
    text = LessonText(name)
    text.says("2", 2.0, times=2)  # z = 2x, title and text
    text.says("0.4", text.experiment.optimizer.learning_rate)
    text.names("004", "seed 004", times=2)
    text.says("1", 1.0)
    text.says("2", 2.0)
    mean_square = float(np.mean(lesson(name).dataset.x_train ** 2))
    converging = lesson("gradient-descent-z2x.json").dataset.x_train
    other_mean_square = float(np.mean(converging ** 2))
    text.says("2.14", mean_square / other_mean_square)  # J'' = 2 mean(x²)
    text.says("2.5", mean_square)
    text.says("1.1667", other_mean_square)
    for written in ("0.5", "1", "1.5"):
        text.says(written, float(written))
    assert tuple(converging[:, 0]) == (0.5, 1.0, 1.5)
    text.says("4", 4)  # press Step 4 times
    jumps = path_of_w(name)
    for written, value in zip(("4", "0", "4", "0"), jumps, strict=True):
        text.says(written, value)
    text.says("0.4", 0.4)  # below 0.4 it dies out, above it grows
    for rate, grows in ((0.39, False), (0.41, True)):
        w = path_of_w(name, 40, rate)
        assert bool(abs(w[-1] - 2) > abs(w[0] - 2)) is grows
    # Note: the seed's path on its own data.
    text.says("0.4", text.experiment.optimizer.learning_rate)
    says_seed_path(text)
    text.says("4", 4)  # after 4 iterations
    text.says("2", 2.0)
    text.says("1", 1.0)
    text.says("0.8", 2 * 0.4)
    text.says("−1", gap_factor(name))
    for written, value in zip(("4", "0", "4", "0"), jumps, strict=True):
        text.says(written, value)
    text.cites("0.8", "seed 004's w₁")
    slow = path_of_w(name, 4, 0.08)
    text.says("0.08", 0.8 / (2 * 2 * mean_square))  # the rate whose first step reaches 0.8
    for written, value in zip(("0.8", "1.28", "1.568", "1.741"), slow, strict=True):
        text.says(written, value)
    text.done()


# ---------------------------------------------------------------- 4. learning rate

def test_learning_rate_too_small_crawls():
    text = LessonText("learning-rate-too-small.json")
    says_architecture(text)
    loss = run("learning-rate-too-small.json").history.column("loss")
    text.says("0.005", text.experiment.optimizer.learning_rate)
    text.says("0.47", loss[0])
    text.says("200", 200)
    text.says("0.074", loss[199])
    text.says("800", len(loss) - 200)
    text.says("0.062", loss[-1])
    # It falls, then crawls: the first 200 steps make most of the fall, the next 800 little.
    assert (np.diff(loss) < 0).all()
    assert loss[0] - loss[199] > 10 * (loss[199] - loss[-1])
    assert len(loss) == 1000
    text.says("0.0013", loss[-101] - loss[-1])
    text.says("100", 100)
    assert loss[-101] - loss[-1] > 5e-4  # still going down at the end
    text.names("001", "seed 001")
    for quoted in ("50%", "49%", "48.5%"):
        text.cites(quoted, "seed 001's errors, quoted")
    text.says("0.5", lessons.load_lesson("learning-rate-right.json").optimizer.learning_rate)
    text.says("1.4", lessons.load_lesson("learning-rate-too-large.json").optimizer.learning_rate)
    text.done()


def test_learning_rate_about_right_converges_with_one_excursion():
    text = LessonText("learning-rate-right.json")
    loss = run("learning-rate-right.json").history.column("loss")
    small = lessons.load_lesson("learning-rate-too-small.json").optimizer.learning_rate
    text.says("100", text.experiment.optimizer.learning_rate / small)
    text.says("0.5", text.experiment.optimizer.learning_rate)
    below = text.bound("0.01")
    text.says("76", first_step("right", loss < below))
    text.says("0.0036", loss[708])
    text.says("709", 709)
    dataset = lesson("learning-rate-right.json").dataset
    noise = 0.5 * np.mean((dataset.t_train - np.sin(dataset.to_raw(dataset.x_train))) ** 2)
    text.says("0.0017", noise)
    rises = np.nonzero(np.diff(loss) > 0)[0] + 2  # the steps whose loss is above the last
    text.says("710", rises[0])
    text.says("736", rises[-1])
    assert list(rises) == list(range(710, 737))  # one excursion, and no other rise
    text.says("0.19", loss[735])
    text.says("0.0041", loss[799])
    text.says("800", 800)
    # Try 1.0: above its start, then it settles.
    edge = with_learning_rate("learning-rate-right.json", 1.0)
    edge.run()
    edge_loss = edge.history.column("loss")
    text.says("1.0", 1.0)
    text.says("0.47", edge_loss[0])
    text.says("0.74", edge_loss[1])
    assert not edge.diverged and edge_loss[-1] < 0.05  # measured 0.011
    text.done()


def test_learning_rate_too_large_overshoots_then_diverges():
    text = LessonText("learning-rate-too-large.json")
    says_architecture(text)
    large = run("learning-rate-too-large.json")
    loss = large.history.column("loss")
    text.says("1.4", text.experiment.optimizer.learning_rate)
    written = ("0.47", "1.68", "0.22", "0.91", "0.47", "0.53", "2.06", "0.49", "6.49", "15.7",
               "11.2")
    for step, value in enumerate(written):
        text.says(value, loss[step])
    text.says("11", 11)
    assert (np.diff(loss[10:]) > 0).all()  # from step 11 on, every step raises the loss
    assert large.diverged and "diverged at step 197" in large.stop_event.message
    text.says("197", large.stop_event.step)
    text.says("196", large.step_count)
    text.says("1.5 × 10¹⁵³", np.abs(large.network.layers[-1].W).max())
    text.says("0.5", lessons.load_lesson("learning-rate-right.json").optimizer.learning_rate)
    text.says("0.005", lessons.load_lesson("learning-rate-too-small.json").optimizer.learning_rate)
    text.done()


def test_the_three_learning_rates_compare_as_the_texts_say():
    small = run("learning-rate-too-small.json")
    right = run("learning-rate-right.json")
    large = run("learning-rate-too-large.json")
    small_loss, right_loss = small.history.column("loss"), right.history.column("loss")
    assert len(small_loss) == len(right_loss) == 1000
    assert small_loss[-1] > 0.05  # measured 0.062
    assert small_loss[-101] - small_loss[-1] > 5e-4  # still going down at the end: 1.3e-3
    assert right_loss[99] < 0.01  # below 0.01 by step 76
    assert right_loss[-1] < 0.005  # 0.0036
    assert small_loss[-1] > 10 * right_loss[-1]
    # Too large: the loss overshoots above its start, then the run diverges (at step 197).
    assert large.diverged and large.step_count < 300
    large_loss = large.history.column("loss")
    assert large_loss[1] > large_loss[0] and large_loss[2] < large_loss[0]
    assert "diverged" in large.stop_event.message


# ---------------------------------------------------------------- 5. vanishing gradients

def first_to_last_layer_ratio(trainer: sim.Trainer) -> np.ndarray:
    depth = trainer.network.depth
    return trainer.history.column("grad_norm_1") / trainer.history.column(f"grad_norm_{depth}")


def test_deep_sigmoid_gradient_vanishes_and_the_network_does_not_learn():
    text = LessonText("vanishing-sigmoid.json")
    trainer = run("vanishing-sigmoid.json")
    hidden = trainer.network.layers[:-1]
    text.says("8", len(hidden), times=2)  # title and text
    text.says("6", hidden[0].units)
    assert all(layer.units == 6 and layer.activation.kind == "sigmoid" for layer in hidden)
    norms = grad_norms_of_first_step(trainer)
    assert norms[0] < norms[-1] / 100  # measured: 2.1e-6 against 0.29
    assert all(lower < upper for lower, upper in pairwise(norms))  # shrinks layer by layer
    text.says("0.29", norms[-1])
    text.says("4.4", (norms[-1] / norms[0]) ** (1 / (len(norms) - 1)))  # the geometric mean
    text.says("2.1 × 10⁻⁶", norms[0])
    text.says("1.4 × 10⁵", norms[-1] / norms[0])
    text.says("0.25", trainer.network.layers[0].activation.max_derivative)
    loss = trainer.history.column("loss")
    text.says("0.776", loss[0])
    text.says("16", first_step("sigmoid", np.round(loss, 4) == 0.6931))
    text.says("0.5", 0.5)
    outputs = trainer.network.forward(trainer.dataset.x_train).output
    assert np.abs(outputs - 0.5).max() < 1e-5  # every point gets 0.5 (at step 1000)
    text.says("2", 2.0)  # ln 2
    text.says("0.6931", [math.log(2), *loss[15:]])  # "by step 16 ... ln 2 = 0.6931 ... stays"
    text.says("1000", len(loss))
    text.done()


def test_relu_keeps_the_gradient_and_learns():
    text = LessonText("vanishing-relu.json")
    trainer = run("vanishing-relu.json")
    sigmoid = lesson("vanishing-sigmoid.json")
    text.says("8", len(lessons.load_lesson("vanishing-sigmoid.json").network.layers) - 1)
    assert np.array_equal(lesson("vanishing-relu.json").network.layers[0].W,
                          sigmoid.network.layers[0].W)  # the same initial weight draw
    text.says("1", trainer.network.layers[0].activation.derivative(np.ones(1), np.ones(1))[0])
    norms = grad_norms_of_first_step(trainer)
    text.says("0.003", min(norms))
    text.says("0.031", max(norms))
    assert norms[0] > norms[-1]
    loss = trainer.history.column("loss")
    text.says("0.693", loss[0])
    text.says("0.37", loss[49])
    text.says("50", 50)
    below = text.bound("0.01")
    text.says("276", first_step("relu", loss < below))
    text.done()


def test_residual_connections_keep_the_gradient_and_learn():
    text = LessonText("vanishing-residual.json")
    trainer = run("vanishing-residual.json")
    layers = text.experiment.network.layers
    text.says("8", len(layers) - 1, times=2)  # the 8 sigmoid layers; "by layer 8"
    assert not layers[0].residual and all(layer.residual for layer in layers[1:-1])
    text.says("1", 1)  # the skip's derivative
    text.says("0.25", trainer.network.layers[0].activation.max_derivative)
    norms = grad_norms_of_first_step(trainer)
    text.says("0.26", norms[0])
    text.says("19", norms[-1] / norms[0])
    sigmoid_norms = grad_norms_of_first_step(run("vanishing-sigmoid.json", steps=1))
    text.says("1.4 × 10⁵", sigmoid_norms[-1] / sigmoid_norms[0])
    loss = trainer.history.column("loss")
    text.says("4.0", loss[0])
    start = lesson("vanishing-residual.json").network.forward(trainer.dataset.x_train)
    text.says("3.8", start.a[8].mean())
    text.bound("0.9992")
    assert start.output.min() >= 0.9992
    below = text.bound("0.01")
    text.says("466", first_step("residual", loss < below))
    text.done()


@pytest.mark.parametrize("name", ["vanishing-relu.json", "vanishing-residual.json"])
def test_relu_and_residual_keep_the_first_layer_gradient_and_learn(name):
    trainer = run(name, steps=1000)
    ratios = first_to_last_layer_ratio(trainer)
    assert ratios[:100].min() > 1 / 100  # measured minima 0.16 (ReLU), 0.039 (residual)
    assert trainer.history.column("loss")[-1] < 0.01  # 0.0022 and 0.0010
    sigmoid = lesson("vanishing-sigmoid.json")
    sigmoid.step()
    assert ratios[0] > 1000 * first_to_last_layer_ratio(sigmoid)[0]


def test_batch_norm_keeps_every_layers_gradient_and_the_deep_sigmoid_stack_learns():
    text = LessonText("vanishing-batch-norm.json")
    trainer = lesson("vanishing-batch-norm.json")
    sigmoid = lesson("vanishing-sigmoid.json")
    hidden = trainer.network.layers[:-1]
    text.says("8", len(hidden), times=3)  # title, the plain lesson's title, "8 hidden layers"
    text.says("6", hidden[0].units)
    assert all(layer.units == 6 and layer.activation.kind == "sigmoid" and layer.norm is not None
               for layer in hidden)
    for ours, plain in zip(trainer.network.layers, sigmoid.network.layers, strict=True):
        assert np.array_equal(ours.W, plain.W)  # "the same initial weights"
    trainer.step()
    sigmoid.step()
    norms = grad_norms_of_first_step(trainer)
    text.says("0.13", min(norms))
    text.says("0.85", max(norms))
    text.says("0.19", norms[0])
    text.says("2.1 × 10⁻⁶", grad_norms_of_first_step(sigmoid)[0])
    text.says("0.25", hidden[0].activation.max_derivative)
    spreads = np.concatenate([trainer.current_pass.norm[number].std
                              for number in range(2, len(hidden) + 1)])
    text.says("0.036", spreads.min())
    text.says("0.43", spreads.max())
    text.says("2", 2)  # layers 2 to 8
    text.says("8", len(hidden))
    trainer.run(steps=99)
    loss = trainer.history.column("loss")
    text.says("0.7455", loss[0])
    text.says("100", len(loss))
    text.says("0.038", loss[-1])
    trainer.run()  # to the lesson's end
    accuracy = trainer.history.column("accuracy")
    text.says("47", first_step("batch norm", accuracy == 1.0))
    assert accuracy[46:].min() == 1.0 and len(accuracy) == 200  # "from step 47" on
    text.says("2", 2)  # ln 2
    text.says("0.6931", math.log(2))
    # Note: the seed's words.
    text.names("000", "seed 000")
    zhat = trainer.current_pass.norm[1].zhat
    text.says("0", float(np.abs(zhat.mean(axis=0)).max()))  # ẑ has mean 0 over the batch
    text.says("0.25", hidden[0].activation.max_derivative)
    text.done()


# ---------------------------------------------------------------- 6. exploding gradients

def test_without_clipping_the_gradient_explodes_and_the_run_diverges():
    text = LessonText("exploding-gradients.json")
    text.names("002", "seed 002")
    experiment = text.experiment
    hidden = experiment.network.layers[:-1]
    text.says("4", len(hidden), times=2)
    text.says("8", hidden[0].units, times=2)  # "8 units", "fed by 8 units"
    text.says("1.5", experiment.network.init.std)
    he = math.sqrt(2 / 8)
    text.says("3", experiment.network.init.std / he)
    text.says("2", 2)  # √(2/8)
    text.says("8", 8)
    text.says("0.5", he)
    text.says("3", math.sqrt(8 * experiment.network.init.std ** 2 / 2))  # expected growth
    start = lesson("exploding-gradients.json").network.forward(
        lesson("exploding-gradients.json").dataset.x_train)
    size = [float(np.sqrt(np.mean(start.a[k] ** 2))) for k in range(len(hidden) + 1)]
    text.says("13.7", size[-1] / size[0])
    trainer = run("exploding-gradients.json")
    norms = trainer.history.column("grad_norm")
    assert trainer.diverged and trainer.step_count < 10  # measured: diverged in step 4
    assert norms[0] > 1000  # 1.1e4
    assert all(later > 1000 * earlier for earlier, later in pairwise(norms))
    assert trainer.stop_event.details["quantity"] == "gradient"
    text.says("1.1 × 10⁴", norms[0])
    assert trainer.history.column("loss")[1] > trainer.history.column("loss")[0]  # overshoots
    text.says("4.5 × 10⁷", norms[1])
    text.says("3.8 × 10⁴²", norms[2])
    text.says("4", trainer.stop_event.step)
    assert "first in layer" in trainer.stop_event.message  # names the layer
    text.says("3", trainer.step_count)
    text.done()


def test_global_norm_clipping_tames_the_same_run():
    text = LessonText("exploding-gradients-clipped.json")
    text.names("000", "seed 000")
    trainer = run("exploding-gradients-clipped.json")
    threshold = trainer.experiment.clipping.threshold
    text.says("5", threshold, times=3)
    clipped = trainer.history.column("clipped")
    assert not trainer.diverged and trainer.step_count == 1000
    norms = trainer.history.column("grad_norm")
    text.says("1.1 × 10⁴", norms[0])
    assert norms[0] > 1000  # the same first gradient
    assert (trainer.history.column("grad_norm_clipped") <= threshold + 1e-9).all()
    clipped_steps = list(np.nonzero(clipped)[0] + 1)
    assert clipped_steps == [*range(1, 19), 21]
    for written in ("1", "18", "21"):
        text.says(written, float(written))
    assert (norms[21:] < threshold).all()  # after that the norm stays below 5
    assert not clipped[100:].any()
    assert len(list(trainer.recent_events("clip"))) == trainer.clip_count
    loss = trainer.history.column("loss")
    text.says("4568", loss[0])
    below = text.bound("0.1")
    text.says("93", first_step("clipped", loss < below))
    text.says("0.013", loss[-1])
    text.says("1000", trainer.step_count)
    assert loss[-1] < 0.05  # measured 0.013
    text.done()


def test_clipping_seed000s_gradient_and_its_note():
    text = LessonText("clipping-seed000.json")
    text.names("000", "seed 000", times=3)
    trainer = lesson("clipping-seed000.json")
    trainer.step()
    gradient = trainer.raw_gradient
    assert list(gradient) == [12.0, -8.0, 15.0]
    for written, value in zip(("12", "−8", "15"), gradient, strict=True):
        text.says(written, value, times=2)
    text.says("0", 0.0, times=3)  # the weights at the start, its output there, about 0
    text.says("−1", trainer.dataset.t_train[0, 0])
    for written, value in zip(("144", "64", "225"), gradient ** 2, strict=True):
        text.says(written, value)
    norm = trainer.last_clip.norm_before
    text.says("433", norm ** 2, times=3)
    text.says("20.81", norm, times=3)
    text.says("5", trainer.experiment.clipping.threshold, times=4)
    text.says("0.2403", 5 / norm)
    weights = trainer.network.layers[0].W[0]
    clipped = -weights  # learning rate 1: w = 0 − clipped gradient
    for written, value in zip(("2.883", "−1.922", "3.604"), clipped, strict=True):
        text.says(written, value)
    for written, value in zip(("−2.883", "1.922", "−3.604"), weights, strict=True):
        text.says(written, value)
    assert np.linalg.norm(clipped) == pytest.approx(5.0, rel=1e-6)
    text.says("1", trainer.experiment.optimizer.learning_rate)
    # That step overshoots the target; played, the weights swing back and forth for good.
    text.says("−104.04", trainer.network.predict(trainer.dataset.x_train)[0, 0])
    trainer.run()
    loss = trainer.history.column("loss")
    text.says("20", len(loss))
    text.says("0.5", loss[0::2], times=2)
    text.says("5309", loss[1::2], times=2)
    assert trainer.history.column("clipped").all()
    assert np.abs(trainer.network.layers[0].W).max() < 1e-5  # after 20 steps: back to about 0
    # Unclipped, each step multiplies the error by 1 − 433 × the learning rate: −432 at 1.
    text.says("1", trainer.experiment.optimizer.learning_rate)
    text.says("433", norm ** 2)
    unclipped = changed("clipping-seed000.json", clipping=ClippingSpec())
    errors = []
    for _ in range(3):
        unclipped.step()
        errors.append(unclipped.network.predict(unclipped.dataset.x_train)[0, 0] + 1)
    text.says("−432", errors[1] / errors[0])
    assert errors[2] / errors[1] == errors[1] / errors[0] == 1 - 433
    # Only a smaller learning rate converges: below 2 / 433 the error shrinks at every step.
    slow = with_learning_rate("clipping-seed000.json", 1.9 / 433)
    slow.run()
    assert slow.history.column("loss")[-1] < 1e-3 * slow.history.column("loss")[0]
    # Note: the seed's 21.4 and [2.8, −1.9, 3.5] are 5/21.4 of the gradient.
    text.quotes("21.4", norm, times=2)
    seed_clipped = 5 / 21.4 * np.array([12.0, -8.0, 15.0])
    for written, value, right in zip(("2.8", "−1.9", "3.5"), seed_clipped, clipped, strict=True):
        text.says(written, value)
        assert not math.isclose(value, right, abs_tol=0.05)
    text.says("5", 5)
    text.done()


# ---------------------------------------------------------------- 7. plain, momentum, Adam

def steps_to_target(trainer: sim.Trainer) -> int:
    trainer.run()
    assert stop_reason(trainer) == "loss_below"
    return trainer.step_count


def ravine_curvatures() -> np.ndarray:
    """The eigenvalues of J's Hessian, 2 XᵀX / n, smallest first."""
    x = lesson("optimizer-plain.json").dataset.x_train
    return np.linalg.eigvalsh(2 * x.T @ x / len(x))


def says_ravine_target(text: LessonText) -> None:
    assert text.experiment.stopping.loss_below == text.bound("10⁻⁴")


def test_plain_gradient_descent_in_the_ravine():
    text = LessonText("optimizer-plain.json")
    experiment = text.experiment
    x, t = np.array(experiment.data.inputs), np.array(experiment.data.targets)
    text.says("2", 2.0)  # z = 2 x₁ + 0.2 x₂: every target lies on it
    text.says("0.2", 0.2)
    assert np.allclose(x @ [2.0, 0.2], t.ravel())
    text.says("8", len(x))
    text.says("10", np.mean(np.abs(x[:, 1])) / np.mean(np.abs(x[:, 0])))
    low, high = ravine_curvatures()
    text.says("110", high / low)
    text.says("2", 2.0)
    text.says("125", high)
    text.says("0.016", 2 / high)
    text.says("0.01", experiment.optimizer.learning_rate)
    w = weights_after_each_step(lesson("optimizer-plain.json"))
    for step, written in enumerate(("0.325", "0.243", "0.262", "0.257")):
        text.says(written, w[step, 1])
    gaps = 2 - w[:, 0]
    text.says("1.1%", 1 - gaps[100] / gaps[99])
    text.says("2", 2.0)
    says_ravine_target(text)
    text.says("440", len(w))
    fastest = with_learning_rate("optimizer-plain.json", 0.015)
    text.says("0.015", 0.015)
    text.says("293", steps_to_target(fastest))
    text.done()


def test_momentum_and_adam_cross_the_ravine_much_faster_than_plain_descent():
    plain = steps_to_target(lesson("optimizer-plain.json"))  # measured 440
    momentum = steps_to_target(lesson("optimizer-momentum.json"))  # 84
    adam = steps_to_target(lesson("optimizer-adam.json"))  # 68
    assert momentum < plain / 3
    assert adam < plain / 3


def test_no_plain_learning_rate_matches_momentum_in_the_ravine():
    momentum = steps_to_target(lesson("optimizer-momentum.json"))
    assert steps_to_target(with_learning_rate("optimizer-plain.json", 0.015)) > 2 * momentum
    unstable = with_learning_rate("optimizer-plain.json", 0.017)  # above 2 / 125
    unstable.run()
    assert unstable.diverged


def test_momentum_in_the_ravine():
    text = LessonText("optimizer-momentum.json")
    optimizer = text.experiment.optimizer
    text.names("1986", "the year of Rumelhart, Hinton and Williams' paper")
    text.names("003", "seed 003")
    text.says("0.01", optimizer.learning_rate)
    text.says("−0.01", -optimizer.learning_rate)
    text.says("0.9", optimizer.momentum, times=2)
    text.says("1", 1.0, times=3)  # Δw(t − 1); 1 / (1 − 0.9)
    text.says("10", 1 / (1 - optimizer.momentum))
    says_ravine_target(text)
    trainer = lesson("optimizer-momentum.json")
    w1 = weights_after_each_step(trainer)[:, 0]
    text.says("84", len(w1))
    text.says("440", steps_to_target(lesson("optimizer-plain.json")))
    text.says("2", 2.0)
    text.says("2.36", w1.max())
    assert w1[-1] < w1.max()  # and back
    text.done()


def test_adam_in_the_ravine():
    text = LessonText("optimizer-adam.json")
    text.says("0.05", text.experiment.optimizer.learning_rate)
    trainer = lesson("optimizer-adam.json")
    w = weights_after_each_step(trainer)
    first = np.abs(w[0])  # the first step of each weight, from 0
    text.says("0.05", first[0])
    assert first[1] == pytest.approx(first[0], rel=1e-6)
    says_ravine_target(text)
    text.says("68", len(w))
    text.says("440", steps_to_target(lesson("optimizer-plain.json")))
    text.says("84", steps_to_target(lesson("optimizer-momentum.json")))
    state = trainer.optimizer.state()
    per_weight = [name for name, value in state.items()
                  if np.shape(value) == trainer.network.theta.shape]
    assert per_weight == ["m", "v"]
    text.says("2", len(per_weight))
    text.done()


def test_momentum_overshoots_the_target_weight_like_a_heavy_ball():
    trainer = lesson("optimizer-momentum.json")
    w1 = []
    trainer.run(on_step=lambda t: w1.append(t.network.layers[0].W[0, 0]))
    assert max(w1) > 2.2  # measured 2.36; the target is 2


# ---------------------------------------------------------------- 8. batch sizes

def roughness(trainer: sim.Trainer) -> float:
    """Median size of the step-to-step change of log(loss): 0 for a smooth curve."""
    return float(np.median(np.abs(np.diff(np.log(trainer.history.column("loss"))))))


def last_epoch_losses(trainer: sim.Trainer) -> np.ndarray:
    return trainer.history.column("loss")[-trainer.steps_per_epoch:]


@pytest.fixture(scope="module")
def batch_runs() -> dict[str, sim.Trainer]:
    return {name: run(f"batch-{name}.json") for name in ("full", "mini", "stochastic")}


def test_batch_minibatch_and_stochastic_descent_on_the_same_data(batch_runs):
    full, mini, stochastic = batch_runs["full"], batch_runs["mini"], batch_runs["stochastic"]
    for trainer in (full, mini, stochastic):
        assert stop_reason(trainer) == "max_epochs" and trainer.epoch_count == 30
    assert (full.step_count, mini.step_count, stochastic.step_count) == (30, 240, 1920)
    # Same epochs, same sample gradients: smaller batches take more steps and get further.
    losses = [whole_set_loss(t) for t in (full, mini, stochastic)]  # 0.217, 0.088, 0.0033
    assert losses[0] > 2 * losses[1] and losses[1] > 10 * losses[2]
    # ... and their per-step loss is noisier.
    bumps = [roughness(t) for t in (full, mini, stochastic)]
    assert bumps[0] < bumps[1] / 5 and bumps[1] < bumps[2]


def test_full_batch_lesson_and_its_note(batch_runs):
    text = LessonText("batch-full.json")
    full = batch_runs["full"]
    text.names("002", "seed 002", times=3)
    # Seed 002's batch training is mini-batches; the batch sizes it calls common, quoted.
    for size in ("32", "64", "128"):
        text.cites(size, "seed 002's common batch sizes")
    samples = len(full.dataset.x_train)
    text.says("64", samples, times=3)
    assert full.batch_size == samples and full.steps_per_epoch == 1
    text.says("30", full.epoch_count, times=2)
    text.says("30", full.step_count)
    text.says("0.22", full.history.column("loss")[-1])  # the plotted loss of step 30
    text.says("8", lessons.load_lesson("batch-mini.json").batch_size, times=2)
    text.says("1", lessons.load_lesson("batch-stochastic.json").batch_size, times=2)
    # Note: the same work, three batch sizes, the loss over the training set.
    text.says("1920", 30 * samples)
    for written, name in (("0.22", "full"), ("0.087", "mini"), ("0.0033", "stochastic")):
        text.says(written, whole_set_loss(batch_runs[name]))
    text.done()


def test_mini_batch_lesson(batch_runs):
    text = LessonText("batch-mini.json")
    text.names("002", "seed 002, in the other lesson's title")
    mini = batch_runs["mini"]
    text.says("8", mini.batch_size, times=4)
    text.says("8", mini.steps_per_epoch)
    text.says("30", mini.epoch_count)
    text.says("1920", mini.epoch_count * len(mini.dataset.x_train))
    text.says("240", mini.step_count)
    text.says("0.097", last_epoch_losses(mini).mean())
    text.says("0.22", batch_runs["full"].history.column("loss")[-1])
    text.done()


def test_stochastic_lesson(batch_runs):
    text = LessonText("batch-stochastic.json")
    stochastic = batch_runs["stochastic"]
    text.says("1", stochastic.batch_size, times=2)
    text.says("64", stochastic.steps_per_epoch, times=2)
    last = last_epoch_losses(stochastic)
    text.says("1.4 × 10⁻⁷", last.min())
    text.says("0.032", last.max())
    text.says("30", stochastic.epoch_count)
    text.says("1920", stochastic.step_count, times=2)
    text.says("0.0036", last.mean())
    text.says("0.22", batch_runs["full"].history.column("loss")[-1])
    text.done()


# ---------------------------------------------------------------- 9. overfitting

@pytest.fixture(scope="module")
def unregularised() -> sim.Trainer:
    return run("overfitting.json")


def test_validation_loss_turns_up_while_training_loss_falls(unregularised):
    val = unregularised.history.column("val_loss")
    train = unregularised.history.column("train_loss")
    best = int(np.nanargmin(val))
    assert 50 <= best + 1 <= 500  # measured: step 151
    assert val[-1] > 2 * val[best]  # 1.59 against 0.40
    assert train[-1] < train[best] / 10  # 0.0007 against 0.23
    # After the minimum the validation loss rises while the training loss keeps falling.
    later = slice(best + 100, None)
    assert np.all(np.diff(train[later]) < 0)
    assert np.nanmean(val[-100:]) > np.nanmean(val[best + 100:best + 200])


def test_overfitting_lesson_and_its_note(unregularised):
    text = LessonText("overfitting.json")
    dataset = unregularised.dataset
    text.says("30", len(dataset.x_train), times=2)
    text.says("70", len(dataset.x_val))
    says_architecture(text)
    text.says("304", sum(layer.W.size for layer in unregularised.network.layers))
    text.says("0", 0.0)  # "falls towards 0"
    text.says("0.00074", unregularised.history.column("loss")[-1])
    text.says("2000", unregularised.step_count)
    val = unregularised.history.column("val_loss")
    best = int(np.nanargmin(val))
    text.says("151", best + 1)
    text.says("0.40", val[best])
    text.says("1.59", val[-1])
    text.says("4.0", val[-1] / val[best])
    text.names("002", "seed 002")
    # Note: initialisation is no cure. The run starts from Xavier's; from He's it overfits too.
    assert text.experiment.network.init.kind == "xavier_uniform"
    he = with_init("overfitting.json", "he_uniform")
    he.run()
    he_val = he.history.column("val_loss")
    he_best = int(np.nanargmin(he_val))
    text.says("0.44", he_val[he_best])
    text.says("140", he_best + 1)
    text.says("1.88", he_val[-1])
    text.says("4.3", he_val[-1] / he_val[he_best])
    text.done()


def test_early_stopping_stops_and_restores_the_best_weights(unregularised):
    text = LessonText("overfitting-early-stopping.json")
    trainer = run("overfitting-early-stopping.json")
    dataset = trainer.dataset
    val = unregularised.history.column("val_loss")
    best_step = int(np.nanargmin(val)) + 1
    patience = trainer.experiment.stopping.early_stopping.patience
    text.says("70", len(dataset.x_val))
    text.says("200", patience, times=2)
    assert trainer.steps_per_epoch == 1  # one validation after every step
    assert stop_reason(trainer) == "early_stopping"
    assert trainer.step_count == best_step + 200  # patience 200, one validation per step
    text.says("351", trainer.step_count)
    text.says("151", best_step)
    assert trainer.best["step"] == best_step
    restored = trainer.network.loss_value(dataset.x_val, dataset.t_val, "bce")
    assert restored == val[best_step - 1]
    assert f"restored from step {best_step}" in trainer.stop_event.message
    # Note: the score that chose the weights is the lowest of all the validation scores.
    text.names("003", "seed 003")
    scores = trainer.history.column("val_loss")
    text.says("0.401", restored)
    assert restored == np.nanmin(scores)
    text.says("351", np.count_nonzero(np.isfinite(scores)))
    text.says("70", len(dataset.x_val))
    text.done()


def test_test_set_lesson():
    text = LessonText("overfitting-test-set.json")
    trainer = run("overfitting-test-set.json")
    dataset = trainer.dataset
    text.says("100", len(dataset.x_train) + len(dataset.x_val) + len(dataset.x_test))
    text.says("30", len(dataset.x_train))
    text.says("50", len(dataset.x_val), times=2)
    text.says("20", len(dataset.x_test), times=2)
    # The same training points as the early-stopping lesson it extends.
    stopping_lesson = lesson("overfitting-early-stopping.json").dataset
    assert np.array_equal(stopping_lesson.x_train, dataset.x_train)
    assert stop_reason(trainer) == "early_stopping"
    scores = trainer.history.column("val_loss")
    text.says("345", trainer.step_count)
    text.says("345", np.count_nonzero(np.isfinite(scores)))
    assert trainer.best is not None
    text.says("145", trainer.best["step"])
    text.says("0.429", np.nanmin(scores))
    result = held_out_result(trainer)
    assert result is not None and result.samples == len(dataset.x_test)
    text.says("0.336", result.loss)
    text.says("85%", result.accuracy)
    text.names("003", "seed 003")
    text.done()


@pytest.mark.parametrize("name", ["overfitting-l2.json", "overfitting-dropout.json"])
def test_l2_and_dropout_each_end_with_a_lower_validation_loss(name, unregularised):
    trainer = run(name)
    assert trainer.step_count == unregularised.step_count
    final_val = trainer.history.column("val_loss")[-1]
    assert final_val < unregularised.history.column("val_loss")[-1] / 2  # 0.44, 0.41 vs 1.59
    assert trainer.history.column("train_loss")[-1] > 0.05  # no longer memorised: 0.14, 0.23


def test_l2_lesson(unregularised):
    text = LessonText("overfitting-l2.json")
    l2 = text.experiment.regularization.l2
    text.says("0.01", l2, times=2)
    text.says("2", 2)  # l2/2 times the sum of squares
    trainer = lesson("overfitting-l2.json")
    addresses = (ParameterAddress(1, 0, 0), ParameterAddress(3, 0, 5))
    before = [address.value_in(trainer.network.layers) for address in addresses]
    trainer.step()
    for address, value in zip(addresses, before, strict=True):
        assert trainer.chain_rule(address).penalty_gradient == pytest.approx(l2 * value,
                                                                             rel=1e-12)
    text.says("0", 0.0)

    def squares() -> float:
        return sum(float(np.sum(layer.W ** 2)) for layer in trainer.network.layers)

    trainer.run(steps=trainer.experiment.stopping.max_steps - 1 - trainer.step_count)
    before_last = squares()  # the weights whose penalty step 2000 records
    trainer.run()
    text.says("28", squares())
    text.says("2000", trainer.step_count, times=2)
    text.says("316", sum(float(np.sum(layer.W ** 2)) for layer in unregularised.network.layers))
    penalty = trainer.history.column("penalty")
    assert penalty[-1] == pytest.approx(0.5 * l2 * before_last, rel=1e-12)  # step 2000's
    text.says("0.140", penalty[-1])
    loss = trainer.history.column("loss")
    text.says("0", 0.0)
    assert loss[999] - loss[-1] < 0.01 < loss[199] - loss[999]  # levels off, far above 0
    text.says("0.137", loss[-1])
    text.says("2000", trainer.step_count)
    text.says("0.44", trainer.history.column("val_loss")[-1])
    text.says("1.59", unregularised.history.column("val_loss")[-1])
    text.done()


def test_dropout_lesson(unregularised):
    text = LessonText("overfitting-dropout.json")
    rate = text.experiment.regularization.dropout
    text.says("0.5", rate, times=2)
    text.says("2", 1 / (1 - rate))
    trainer = run("overfitting-dropout.json")
    dataset = trainer.dataset
    val = trainer.history.column("val_loss")
    # Validation uses the whole network: the deterministic pass gives the recorded value.
    assert trainer.network.loss_value(dataset.x_val, dataset.t_val, "bce") == val[-1]
    loss = trainer.history.column("loss")
    assert roughness(trainer) > 10 * roughness(unregularised)  # noisy
    text.says("0", 0.0)
    text.says("0.47", loss[-1])
    text.says("2000", trainer.step_count)
    text.says("0.41", val[-1])
    text.says("1.59", unregularised.history.column("val_loss")[-1])
    text.done()



def test_augmentation_lesson():
    text = LessonText("overfitting-augmentation.json")
    says_architecture(text)
    spec = text.experiment.data
    augment = spec.augment
    assert augment.flip == ("x", "y") and augment.noise == 0.0
    text.says("30", augment.rotate_degrees)
    text.names("002", "seed 002")
    trainer = run("overfitting-augmentation.json")
    dataset = trainer.dataset
    text.says("100", spec.samples)
    text.says("30", len(dataset.x_train))
    text.says("70", len(dataset.x_val))
    text.says("304", sum(layer.W.size for layer in trainer.network.layers))
    plain = changed("overfitting-augmentation.json", data=dataclasses.replace(
        spec, augment=AugmentSpec()))
    text.says("0", plain.experiment.data.augment.rotate_degrees)  # "set rotation to 0"
    plain.run()
    assert trainer.step_count == plain.step_count
    text.says("2000", trainer.step_count)
    val, plain_val = trainer.history.column("val_loss"), plain.history.column("val_loss")
    # The claim: the validation loss is lower with augmentation than without, at the end and
    # at its best.
    assert val[-1] < plain_val[-1] and np.nanmin(val) < np.nanmin(plain_val)
    text.says("0.086", val[-1])
    loss = trainer.history.column("loss")
    late = loss[int(text.bound("500")) - 1:]  # new versions every epoch: it never settles
    text.says("0.07", late.min())
    text.says("0.26", late.max())
    text.says("0.12", loss[-1])
    text.says("2000", trainer.step_count)
    text.says("0.00038", plain.history.column("loss")[-1])
    best = int(np.nanargmin(plain_val))
    text.says("235", best + 1)
    text.says("0.19", plain_val[best])
    text.says("1.68", plain_val[-1])
    text.says("20", plain_val[-1] / val[-1])
    text.done()

# ---------------------------------------------------------------- 10. initialisation

def test_zero_initialisation_keeps_the_hidden_units_identical():
    text = LessonText("init-zeros.json")
    says_architecture(text)
    trainer = lesson("init-zeros.json")
    hidden, output = trainer.network.layers
    assert not trainer.network.theta.any()
    text.says("0", 0.0)  # every weight and bias starting at 0
    text.says("4", hidden.W.shape[0], times=2)
    # Step 1: only the output layer learns, through output weights that are still 0.
    trainer.step()
    text.says("1", trainer.step_count)
    assert not hidden.dW.any() and not hidden.db.any()
    assert output.dW.all() and output.db.all()
    text.says("0", 0.0)
    # From step 2 the hidden weights move too, each unit's as every other's.
    trainer.step()
    text.says("2", trainer.step_count)
    assert hidden.dW.all() and hidden.W.all()
    trainer.run()
    assert np.abs(hidden.W).max() > 0.5
    assert (hidden.W == hidden.W[0]).all()  # noqa: SIM300 - W names a matrix, not a constant
    assert (hidden.b == hidden.b[0]).all()
    assert (output.W == output.W[0, 0]).all()  # noqa: SIM300 - W names a matrix, not a constant
    text.says("1", 1)  # four units do the work of one
    loss = trainer.history.column("loss")
    text.says("0.693", loss[0])
    text.says("0.30", loss[-1])
    text.says("2000", len(loss))
    text.says("81%", trainer.history.column("accuracy")[-1])
    outputs = trainer.network.predict(trainer.dataset.x_train)[:, 0]
    assert rounds_to(float(np.mean((outputs > 0.5) == (trainer.dataset.t_train[:, 0] == 1))),
                     "81%")  # the final weights' boundary too
    # The data: 101 points, 51 in one class. With 50 and 50 the first answer, 0.5 for every
    # point, is too high for one class as much as too low for the other: every gradient is 0
    # but for round-off, and the run starts at a standstill.
    targets = trainer.dataset.t_train[:, 0]
    text.says("101", targets.size)
    text.says("51", np.count_nonzero(targets == 1))
    data = text.experiment.data
    balanced = changed("init-zeros.json", data=dataclasses.replace(data, samples=100))
    balanced_targets = balanced.dataset.t_train[:, 0]
    text.says("50", np.count_nonzero(balanced_targets == 1))
    text.says("50", np.count_nonzero(balanced_targets == 0))
    text.says("0.5", balanced.network.predict(balanced.dataset.x_train).ravel())
    balanced.step()
    assert np.abs(balanced.raw_gradient).max() < 1e-15
    text.says("0", 0.0)
    balanced.run(steps=49)
    assert np.abs(balanced.network.theta).max() < 1e-10  # still at the start after 50 steps
    text.done()


def test_xavier_and_he_break_the_symmetry_and_learn():
    zeros = run("init-zeros.json")
    for name, target in (("init-xavier.json", 0.05), ("init-he.json", 0.01)):  # 0.012, 0.0014
        trainer = run(name)
        weights = trainer.network.layers[0].W
        assert len(np.unique(weights, axis=0)) == weights.shape[0]
        assert trainer.history.column("loss")[-1] < target
        assert zeros.history.column("loss")[-1] > 10 * trainer.history.column("loss")[-1]


def test_xavier_lesson():
    text = LessonText("init-xavier.json")
    network = text.experiment.network
    assert network.init.kind == "xavier_uniform"
    text.says("6", 6)
    fans = [(network.inputs, network.layers[0].units),
            (network.layers[0].units, network.layers[1].units)]
    for written, (fan_in, fan_out) in zip(("1.0", "1.1"), fans, strict=True):
        text.says(written, math.sqrt(6 / (fan_in + fan_out)))
    trainer = lesson("init-xavier.json")
    for layer, (fan_in, fan_out) in zip(trainer.network.layers, fans, strict=True):
        assert np.abs(layer.W).max() <= math.sqrt(6 / (fan_in + fan_out))
    trainer.run()
    text.says("0.012", trainer.history.column("loss")[-1])
    text.says("2000", trainer.step_count)
    text.done()


def test_he_lesson():
    text = LessonText("init-he.json")
    assert text.experiment.network.init.kind == "he_uniform"
    text.says("6", 6)
    trainer = run("init-he.json")
    text.says("0.0014", trainer.history.column("loss")[-1])
    text.says("2000", trainer.step_count)
    # With zeros instead: no gradient reaches any weight, and the loss stays at ln 2.
    zeros = with_init("init-he.json", "zeros")
    zeros.step()
    assert all((layer.dW == 0).all() for layer in zeros.network.layers)
    zeros.run(steps=99)
    loss = zeros.history.column("loss")
    text.says("0.693", loss.max())
    assert loss.min() == pytest.approx(math.log(2), abs=1e-12)
    text.done()


# ---------------------------------------------------------------- 11. gradient checking

def test_nudging_a_weight_reproduces_its_backpropagated_gradient():
    text = LessonText("gradient-check.json")
    text.names("000", "seed 000", times=2)
    says_architecture(text)
    text.says("6", len(text.experiment.data.inputs))
    text.names("1", "hidden unit 1")
    trainer = lesson("gradient-check.json")
    trainer.step()
    first = trainer.network.layers[0]
    backprop = first.dW[0, 0]  # size -> hidden unit 1, at the initial weights
    assert backprop == pytest.approx(-2.2566, abs=1e-4)
    text.says("−2.2566", backprop)
    fresh = lesson("gradient-check.json")
    w, base = fresh.network.layers[0].W[0, 0], whole_set_loss(fresh)
    assert base == pytest.approx(3.54848, abs=5e-6)
    nudge = text.bound("0.01", times=4)
    fresh.set_parameter(ParameterAddress(1, 0, 0), w + nudge)  # the app's "edit weight"
    raised = whole_set_loss(fresh)
    assert raised == pytest.approx(3.52606, abs=5e-6)
    fresh.set_parameter(ParameterAddress(1, 0, 0), w - nudge)
    lowered = whole_set_loss(fresh)
    one_sided, central = (raised - base) / nudge, (raised - lowered) / (2 * nudge)
    assert one_sided == pytest.approx(backprop, rel=0.02)  # right to two digits
    assert one_sided != pytest.approx(backprop, rel=1e-3)
    assert central == pytest.approx(backprop, rel=1e-4)
    text.says("3.54848", base)
    text.says("3.52606", raised)
    text.says("−2.242", one_sided)
    text.says("0.7%", abs(one_sided - backprop) / abs(backprop))
    text.says("0.02", 2 * nudge)
    text.says("−2.2567", central)
    text.done()


def test_the_gradient_check_command_of_the_lesson_reports_ok(capsys):
    path = lessons.lesson_dir() / "gradient-check.json"
    assert cli_main(["gradcheck", str(path)]) == 0
    output = capsys.readouterr().out
    assert output.strip().endswith(": ok")
    assert "13 of 13 parameters checked" in output
    assert lesson("gradient-check.json").gradcheck().worst_relative_error < 1e-9  # 2.6e-12


# ---------------------------------------------------------------- 12. spiral

def test_the_spiral_lesson_learns_both_arms():
    text = LessonText("spiral.json")
    text.says("1.5", text.experiment.data.turns)
    says_architecture(text)
    trainer = run("spiral.json")
    accuracy = trainer.history.column("accuracy")
    assert accuracy[0] < 0.8
    text.says("200", len(trainer.dataset.x_train))
    right_from = first_step("spiral", accuracy == 1.0)
    assert (accuracy[right_from - 1:] == 1.0).all()  # measured: every point right from 316
    text.says("316", right_from)
    plain = changed("spiral.json", optimizer=OptimizerSpec("sgd", learning_rate=0.1))
    plain.run()
    text.says("0.1", plain.experiment.optimizer.learning_rate)
    plain_loss = plain.history.column("loss")
    flat_until = int(text.bound("1000"))  # measured: 0.676 at step 100, 0.667 at 1000
    assert plain_loss[99] - plain_loss[flat_until - 1] < 0.01 < plain_loss[0] - plain_loss[99]
    assert plain_loss[flat_until - 1] - plain_loss[-1] > 0.04  # then it starts to fall: 0.616
    text.says("66%", plain.history.column("accuracy")[-1])
    text.says("2000", plain.step_count)
    text.names("1", "the XOR lesson's key")
    assert lessons.lesson_files()[0].name == "xor.json"
    text.done()


# ---------------------------------------------------------------- 13. symmetry (1986)

def test_symmetry_network_learns_a_mirror_pattern():
    text = LessonText("symmetry-1986.json")
    text.names("1986", "the year of the paper", times=2)
    experiment = text.experiment
    says_architecture(text)
    trainer = run("symmetry-1986.json", steps=1500)
    dataset = trainer.dataset
    text.says("64", len(dataset.x_train), times=2)
    text.says("6", dataset.x_train.shape[1])
    text.says("1", 1.0, times=2)  # target 1; the output says 1
    text.says("8", dataset.t_train.sum())
    text.says("0.1", experiment.optimizer.learning_rate)
    text.says("0.9", experiment.optimizer.momentum)
    text.says("−0.3", experiment.network.init.low)
    text.says("0.3", experiment.network.init.high)
    loss, accuracy = trainer.history.column("loss"), trainer.history.column("accuracy")
    assert loss[299] > 3.9  # the plateau: every pattern answered 0
    # From step 10 to 400 the loss is 4.0, what answering 0 to every pattern scores: ½ Σ t².
    text.says("4.0", [0.5 * dataset.t_train.sum(), *loss[9:400]])
    text.says("0", 0.0)
    text.says("10", 10)
    text.says("400", 400)
    first_right = first_step("symmetry", accuracy == 1.0)
    assert 500 <= first_right <= 715  # measured 715, quoted in the lesson
    text.says("715", first_right)
    weights = trainer.network.layers[0].W
    for w in weights:  # w_i = -w_(7-i): mirror images with opposite signs
        assert np.linalg.norm(w + w[::-1]) < 0.01 * np.linalg.norm(w)
        magnitudes = np.sort(np.abs(w[:3]))
        assert magnitudes / magnitudes[0] == pytest.approx([1, 2, 4], rel=0.05)
    text.says("4", 4)
    text.says("2", 2)
    text.says("1", 1)  # 4 : 2 : 1
    assert np.linalg.norm(weights[0] + weights[1]) < 0.05 * np.linalg.norm(weights[0])
    text.says("2", weights.shape[0])
    text.says("−2.1", trainer.network.layers[0].b)
    symmetric = dataset.x_train[dataset.t_train[:, 0] == 1.0]
    p = trainer.network.forward(symmetric)
    assert p.z[1] == pytest.approx(np.broadcast_to(trainer.network.layers[0].b, p.z[1].shape),
                                   abs=0.2)
    assert (p.a[1] < 0.15).all() and (p.output > 0.5).all()
    text.done()


# ---------------------------------------------------------------- 14. spam detector

def test_spam_prediction_for_seed000s_email_rises():
    text = LessonText("spam-detector.json")
    text.names("000", "seed 000", times=2)
    trainer = lesson("spam-detector.json")
    dataset = trainer.dataset
    assert dataset.input_names == ("FREE", "MONEY", "CLICK", "!", "ALL CAPS")
    text.says("5", len(dataset.input_names))
    text.says("10", trainer.network.layers[0].units)
    text.says("1", trainer.network.layers[1].units)
    assert tuple(dataset.x_train[0]) == SPAM_EXAMPLE and dataset.t_train[0, 0] == 1.0
    text.names("1", "sample 1, as the Follow box counts", times=2)
    for written, count in zip(("2", "1", "1", "3", "4"), SPAM_EXAMPLE, strict=True):
        text.says(written, count)
    email = dataset.x_train[:1]

    def prediction() -> float:
        return float(trainer.network.forward(email).output[0, 0])

    def path_weights() -> np.ndarray:  # each input's weights summed through the hidden layer
        hidden, output = trainer.network.layers
        return output.W[0] @ hidden.W

    predictions, before = [prediction()], path_weights()
    for _ in range(200):
        trainer.step()
        predictions.append(prediction())
    assert predictions[0] < 0.3  # seed 000's first guess is 0.3
    text.says("0.215", predictions[0])
    text.cites("0.3", "seed 000's first guess")
    assert all(later > earlier for earlier, later in pairwise(predictions[::50]))
    past = text.bound("0.9")
    text.says("168", first_step("spam", np.array(predictions) > past) - 1)
    assert predictions[-1] > past  # step 200
    after = path_weights()
    for word in (0, 1, 3):  # FREE, MONEY, "!"
        assert after[word] > 2.0 and after[word] > before[word] + 2.0
    text.says("200", len(dataset.x_train), times=2)
    text.says("5%", trainer.experiment.data.noise)
    alternating = (np.arange(len(dataset.x_train)) % 2 == 0).astype(float)  # labels unflipped
    text.says("11", np.count_nonzero(dataset.t_train[:, 0] != alternating))
    trainer.run()
    assert trainer.history.column("loss").min() > 0.1  # never 0: measured 0.23 at the end
    text.says("0", 0.0)
    text.done()


# ---------------------------------------------------------------- 15. dying ReLU

def test_a_large_learning_rate_kills_relu_units_but_not_leaky_ones():
    relu = run("dying-relu.json", steps=300)
    leaky = run("leaky-relu.json")
    assert relu.history.column("dead_2")[-1] == 1.0  # every unit of layer 2 dead (by step 100)
    assert hidden_units_without_gradient(relu) == [1.0, 1.0]
    relu_loss = relu.history.column("loss")
    assert relu_loss[-1] == relu_loss[-2] > 0.2  # stuck for good at 0.24
    assert hidden_units_without_gradient(leaky) == [0.0, 0.0]
    assert leaky.history.column("loss")[-1] < 0.05  # measured 0.020


def test_dying_relu_lesson():
    text = LessonText("dying-relu.json")
    says_architecture(text)
    text.says("1.3", text.experiment.optimizer.learning_rate)
    text.says("0", 0.0, times=2)  # below 0, slope 0
    trainer = lesson("dying-relu.json")
    steps: list[tuple[np.ndarray, list[np.ndarray], float]] = []  # per step: outputs, dW, db

    def note(t: sim.Trainer) -> None:
        outputs = t.network.forward(t.dataset.x_train).output[:, 0]
        steps.append((outputs, [layer.dW.copy() for layer in t.network.layers],
                      float(t.network.layers[-1].db[0])))

    trainer.run(on_step=note)
    dead = trainer.history.column("dead_2")
    dead_from = first_step("dying", dead == 1.0)
    assert (dead[dead_from - 1:] == 1.0).all()
    text.says("44", dead_from)
    for outputs, weight_gradients, _ in steps[dead_from - 1:]:
        assert (outputs == outputs[0]).all()  # one number for every x
        assert all((dW == 0).all() for dW in weight_gradients)
    text.says("0", 0.0)
    # Only the output bias still learns: its gradient is not 0 at first, and the one output
    # goes to the targets' mean within ten steps and stays there.
    bias_gradients = [db for _, _, db in steps[dead_from - 1:]]
    assert abs(bias_gradients[0]) > 0.5 and abs(bias_gradients[-1]) < 1e-12
    settled = [outputs[0] for outputs, _, _ in steps[dead_from - 1 + 10:]]
    text.says("−0.130", settled)
    assert rounds_to(trainer.dataset.t_train.mean(), "−0.130")  # the mean of the targets
    assert not rounds_to(steps[dead_from - 1][0][0], "−0.130")  # not at once
    text.says("0.24", trainer.history.column("loss")[-1])
    text.says("0.1", lessons.load_lesson("leaky-relu.json").network.layers[0].activation.slope)
    text.says("0", 0.0)
    text.done()


def test_leaky_relu_lesson():
    text = LessonText("leaky-relu.json")
    slope = text.experiment.network.layers[0].activation.slope
    text.says("0.1", slope)
    text.says("0", 0.0, times=4)  # above 0, never 0, below 0, back above 0
    trainer = lesson("leaky-relu.json")
    silent: list[np.ndarray] = []  # per step: which units are below 0 for every sample
    without_gradient: list[list[float]] = []  # per step: hidden units whose gradients are 0

    def note(t: sim.Trainer) -> None:
        p = t.network.forward(t.dataset.x_train)
        silent.append(np.concatenate([np.all(p.z[k] < 0, axis=0) for k in (1, 2)]))
        without_gradient.append(hidden_units_without_gradient(t))

    trainer.run(on_step=note)
    counts = np.array([units.sum() for units in silent])
    text.says("22", counts.max(), times=2)  # 22 of the 32, 8 of those 22
    text.says("32", len(silent[0]))
    peak = int(np.argmax(counts))
    text.says("102", peak + 1)
    text.says("8", np.count_nonzero(silent[peak] & ~silent[-1]))  # back above 0 at the end
    text.says("2000", trainer.step_count, times=2)
    loss = trainer.history.column("loss")
    # The loss keeps jumping, higher than in the first wild steps, but is never stuck.
    text.says("1.09", loss.max())
    text.says("279", int(np.argmax(loss)) + 1)
    assert loss.max() > loss[:100].max()
    text.says("0.0075", loss.min())
    text.says("1730", int(np.argmin(loss)) + 1)
    text.says("0.020", loss[-1])
    text.says("0.24", run("dying-relu.json").history.column("loss")[-1])
    assert all(fractions == [0.0, 0.0] for fractions in without_gradient)  # never vanish
    text.done()


# ---------------------------------------------------------------- 16. softmax

def test_softmax_classifies_three_spiral_arms():
    text = LessonText("softmax-spiral.json")
    says_architecture(text)
    trainer = run("softmax-spiral.json", steps=300)
    dataset = trainer.dataset
    outputs = dataset.t_train.shape[1]
    text.says("3", outputs, times=3)
    assert dataset.t_train.shape[1] == 3 and (dataset.t_train.sum(axis=1) == 1.0).all()
    probabilities = trainer.network.forward(dataset.x_train).output
    assert probabilities.sum(axis=1) == pytest.approx(1.0, abs=1e-12)
    text.says("1", 1.0)  # add up to 1
    first_arm = dataset.t_train[0]
    for written, value in zip(("1", "0", "0"), first_arm, strict=True):
        text.says(written, value)
    accuracy = trainer.history.column("accuracy")
    assert accuracy[0] < 0.5
    text.says("300", len(dataset.x_train))
    more_than = text.bound("95%")
    right_from = first_step("softmax", accuracy > more_than)
    assert (accuracy[right_from - 1:] > more_than).all()
    text.says("123", right_from)
    text.done()


def test_every_lesson_has_a_claim_test_that_reads_its_text():
    source = "".join(path.read_text(encoding="utf-8")
                     for path in Path(__file__).parent.glob("test_lessons*.py"))
    checked = set(re.findall(r'LessonText\("([^"]+)"\)', source))
    checked |= set(re.findall(r'name = "([^"]+\.json)"\n    text = LessonText\(name\)', source))
    assert checked == {path.name for path in lessons.lesson_files()}
