"""What the captions say: one name per quantity, one minus sign, and a sample worth following.

The captions promise (sim.explain's docstring) that a statement beginning with a name and " = "
ends in "= value", the value that name has in the iteration. These tests read the output of
`python -m sim explain` the way a student would: every such statement, for every lesson.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import sim
from sim import cli, explain, notation
from sim.address import ParameterAddress
from sim.lessons import lesson_dir
from tests.conftest import experiment

LESSONS_DIR = lesson_dir()
LESSON_FILES = sorted(path for path in LESSONS_DIR.glob("*.json") if path.name != "index.json")

# The names of docs/notation.md, written out here independently of sim.notation.
SUPER, SUB = "⁰¹²³⁴⁵⁶⁷⁸⁹", "₀₁₂₃₄₅₆₇₈₉"
LAYER, UNITS = f"⁽[{SUPER}]+⁾", f"[{SUB}]+"
# With batch normalisation: μ and σ² of the batch, ẑ, z̃ = γ ẑ + β.
UNIT_NAME = (f"(?:[azδbμγβẑ]{LAYER}{UNITS}|z̃{LAYER}{UNITS}|σ{LAYER}{UNITS}²|"
             f"w{LAYER}{UNITS}(?:,{UNITS})?|[xt]{UNITS})")
NAME = f"(?:{UNIT_NAME}|f′\\(z{LAYER}{UNITS}\\)|∂(?:E|\\(E\\+P\\))/∂{UNIT_NAME}|E|P)"
NUMBER = r"(?:−?\d+(?:\.\d+)?(?:e[+−]\d+)?|NaN \(not a number\)|[+−]infinity)"
STARTS_WITH_A_NAME = re.compile(f"^({NAME}) = ")
EQUATION = re.compile(f"^({NAME}) = (?:.* = )?({NUMBER})$")


def explained(capsys: pytest.CaptureFixture[str], path: object, *options: str) -> str:
    """The output of `python -m sim explain`, through the command line's own entry point."""
    assert cli.main(["explain", str(path), *options]) == cli.EXIT_OK
    return capsys.readouterr().out


def steps_of(text: str) -> list[str]:
    """The output split at its "=== Step" headings: one part per iteration."""
    return re.split(r"^=== Step ", text, flags=re.MULTILINE)[1:]


def equations(step: str) -> list[tuple[str, str]]:
    """(name, value) of every statement that begins with a name; each must end in a value."""
    found = []
    for line in step.splitlines():
        if line.startswith("=="):
            continue  # a title: the formula of the phase, with generic names
        for statement in line.strip().split(explain.SEPARATOR):
            if STARTS_WITH_A_NAME.match(statement.strip()):
                match = EQUATION.match(statement.strip())
                assert match, f"a statement about a name that does not end in its value: " \
                              f"{statement!r}"
                found.append((match.group(1), match.group(2)))
    return found


@pytest.mark.parametrize("path", LESSON_FILES, ids=lambda path: path.stem)
def test_no_name_is_given_two_values_in_an_iteration(capsys, path):
    steps = steps_of(explained(capsys, path, "--steps", "2"))
    assert len(steps) == 2
    for number, step in enumerate(steps, start=1):
        values: dict[str, str] = {}
        pairs = equations(step)
        for name, value in pairs:
            assert values.setdefault(name, value) == value, \
                f"step {number}: {name} = {values[name]} and {name} = {value}"
        names = {name for name, _ in pairs}
        # Not vacuous: every phase states its results by name.
        assert "E" in names and any(name.startswith("z⁽") for name in names)
        assert any(name.startswith("δ⁽") for name in names)
        assert any(name.startswith("∂E/∂w⁽") for name in names)


@pytest.mark.parametrize("path", LESSON_FILES, ids=lambda path: path.stem)
def test_one_minus_sign_and_never_two_in_a_row(capsys, path):
    text = explained(capsys, path, "--steps", "2")
    for line in text.splitlines():
        assert not re.search(r"[−-] [−-]", line), line  # "0 − −1"
        assert not re.search(r"-\d", line), line  # a hyphen as a minus sign


def test_a_single_unit_with_three_inputs_has_three_weights():
    """clipping-seed000: one linear unit fed by 3 inputs, once named w_1 three times."""
    trainer = sim.Trainer(sim.load(LESSONS_DIR / "clipping-seed000.json"))
    texts = []
    for _ in trainer.phases:
        trainer.step_phase()
        texts.append(explain.caption(trainer.snapshot(with_history=False)))
    text = "\n".join(line for caption in texts for line in caption.lines)
    assert "w_1" not in text and "w₁ " not in text
    for weight, x, gradient, new in (("w⁽¹⁾₁₁", "12", "12", "−2.883"),
                                     ("w⁽¹⁾₁₂", "(−8)", "−8", "1.922"),
                                     ("w⁽¹⁾₁₃", "15", "15", "−3.604")):
        assert f"∂E/∂{weight} = δ⁽¹⁾₁ × x{weight[-1]} = 1 × {x} = {gradient}" in text
        assert re.search(f"^{weight} ← 0 − 1 × .* = {new}$", text, re.MULTILINE), weight


def test_seed_004s_chain_names_each_weight_by_its_layer_and_says_how_the_seed_names_them():
    trainer = sim.Trainer(sim.load(LESSONS_DIR / "two-neuron-chain.json"))
    captions = []
    for _ in trainer.phases:
        trainer.step_phase()
        captions.append(explain.caption(trainer.snapshot(with_history=False)))
    text = "\n".join(line for caption in captions for line in caption.lines)
    assert "∂E/∂w⁽²⁾₁₁ = δ⁽²⁾₁ × a⁽¹⁾₁ = 0.09476 × 0.6023 = 0.05707" in text
    assert "∂E/∂w⁽¹⁾₁₁ = δ⁽¹⁾₁ × x₁ = 0.01021 × 0.1 = 0.001021" in text
    assert "seed 004's w₁, b₁, a₁ are w⁽¹⁾₁₁, b⁽¹⁾₁, a⁽¹⁾₁" in text


# ---------------------------------------------------------------------------- followed sample

def test_the_followed_sample_is_the_first_with_the_fewest_zero_inputs():
    xor = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    assert explain.telling_row(xor) == 3
    assert explain.telling_row(np.array([[0.0, 2.0], [3.0, 0.0], [0.0, 0.0]])) == 0
    assert explain.telling_row(np.array([[0.5], [0.7]])) == 0
    rows = np.zeros((explain.FOLLOW_WINDOW + 5, 2))
    rows[-1] = 1.0  # beyond the rows the rule looks at
    assert explain.telling_row(rows) == 0


def xor_trainer() -> sim.Trainer:
    return sim.Trainer(sim.load(LESSONS_DIR / "xor.json"))


def phases_until(trainer: sim.Trainer, kind: str, layer: int | None = None) -> sim.Snapshot:
    while True:
        phase = trainer.step_phase()
        assert phase is not None
        if phase.kind == kind and phase.layer == layer:
            return trainer.snapshot(with_history=False)


def test_xor_follows_the_sample_whose_first_layer_terms_are_not_zero():
    trainer = xor_trainer()
    snapshot = phases_until(trainer, "backward", 1)
    row, note = explain.followed_row(snapshot, None)
    assert explain.sample_number(snapshot, row) == 3 and note == ""  # x = (1, 1)
    lines = explain.caption(snapshot).lines
    first_layer = [line for line in lines if line.startswith("∂E/∂w⁽¹⁾")]
    assert len(first_layer) == 6
    for line in first_layer:
        followed = re.search(r"\[(.*?)\]", line).group(1)
        assert followed.endswith("× 1")  # its input is 1: the term is δ itself, not 0
    assert "Σ runs over the batch's samples 1, 2, 3, 4 in this order" in "\n".join(lines)


def test_each_samples_term_of_a_gradient_is_listed_and_adds_up_to_the_batchs():
    trainer = xor_trainer()
    snapshot = phases_until(trainer, "backward", 1)
    lines = explain.caption(snapshot, 1).lines
    for j, i in ((0, 0), (1, 1), (2, 0)):
        rule = snapshot.chain_rule(ParameterAddress(1, j, i))
        line = next(line for line in lines
                    if line.startswith(f"∂E/∂{notation.weight(1, j, i)} = Σ "))
        terms = line.split(" = ")[2].split(" + ")
        expected = [notation.factor(term) for term in rule.per_sample]
        expected[1] = f"[{notation.factor(rule.delta[1])} × {notation.factor(rule.a_i[1])}]"
        assert terms == expected
        assert line.endswith(f"= {notation.number(snapshot.layers[0].dW[j, i])}")
        assert rule.data_gradient == pytest.approx(snapshot.layers[0].dW[j, i], rel=1e-12)


def test_a_large_batch_states_the_sum_and_the_followed_samples_term():
    trainer = sim.Trainer(experiment(data={"kind": "moons", "samples": 40},
                                     batch_size=40))
    snapshot = phases_until(trainer, "backward", 2)
    row, _ = explain.followed_row(snapshot, None)
    rule = snapshot.chain_rule(ParameterAddress(2, 0, 1))
    line = next(line for line in explain.caption(snapshot).lines
                if line.startswith("∂E/∂w⁽²⁾₁₂ = "))
    assert line == (f"∂E/∂w⁽²⁾₁₂ = Σ over the 40 samples of δ⁽²⁾₁ × a⁽¹⁾₂ = "
                    f"{notation.number(snapshot.layers[1].dW[0, 1])}; sample "
                    f"{explain.sample_number(snapshot, row) + 1}'s term "
                    f"{notation.factor(rule.delta[row])} × {notation.factor(rule.a_i[row])} = "
                    f"{notation.number(rule.per_sample[row])}")


def test_a_sample_the_batch_does_not_hold_is_replaced_and_the_caption_says_so():
    trainer = sim.Trainer(experiment(data={"kind": "moons", "samples": 40},
                                     batch_size=4))
    snapshot = phases_until(trainer, "forward", 1)
    absent = next(k for k in range(40) if k not in snapshot.indices)
    row, note = explain.followed_row(snapshot, absent)
    assert row == explain.telling_row(snapshot.x)
    followed = explain.sample_number(snapshot, row)
    assert note == (f"(sample {absent + 1} is not in this batch; following sample "
                    f"{followed + 1} instead)")
    assert explain.caption(snapshot, absent).lines[0] == note
    present = int(snapshot.indices[2])
    assert explain.followed_row(snapshot, present) == (2, "")


def test_the_canvas_legend_says_whose_numbers_nodes_and_edges_show():
    trainer = xor_trainer()
    snapshot = phases_until(trainer, "forward", 1)
    assert explain.legend(snapshot, None, "weight") == \
        ("nodes: sample 4 in step 1's pass", "edges: the weights this pass uses")
    assert explain.legend(snapshot, 0, "gradient") == \
        ("nodes: sample 1 in step 1's pass", "edges: step 1's gradients, the whole batch's")
    assert "follow sample 4 (x₁ = 1, x₂ = 1, t₁ = 0)" in explain.following(snapshot, None)
    single = sim.Trainer(sim.load(LESSONS_DIR / "seed003-walkthrough.json"))
    single.step_phase()
    assert explain.legend(single.snapshot(with_history=False), None, "update") == \
        ("nodes: sample 1 (a batch of one) in step 1's pass", "edges: step 1's updates")


def test_after_a_whole_step_the_legend_says_the_nodes_are_from_before_its_update():
    # The nodes show step 1's pass, computed with the weights before its update; the edges
    # the weights after it. A forward pass with the weights drawn gives other numbers.
    trainer = xor_trainer()
    trainer.step()
    snapshot = trainer.snapshot(with_history=False)
    assert explain.legend(snapshot, None, "weight") == \
        ("nodes: sample 4 in step 1's pass (before its update)",
         "edges: weights after step 1's update")
    drawn_weights = trainer.network.forward(snapshot.x).a[1]
    assert not np.allclose(drawn_weights, snapshot.layers[0].a)


def test_the_command_line_follows_the_sample_asked_for(capsys):
    text = explained(capsys, LESSONS_DIR / "xor.json", "--sample", "1")
    assert "follow sample 2 (x₁ = 0, x₂ = 1, t₁ = 1)" in steps_of(text)[0]
    assert "x₁ = 0; x₂ = 1" in text


# ---------------------------------------------------------------------------- clipping

def test_the_gradient_before_clipping_is_this_passes_during_the_backward_phases():
    """With clipping on the engine keeps the unclipped gradient apart; the captions and the
    canvas read it before the clip phase too, so it must be this pass's, not the last one's."""
    trainer = sim.Trainer(sim.load(LESSONS_DIR / "clipping-seed000.json"))
    snapshot = phases_until(trainer, "backward", 1)
    np.testing.assert_array_equal(snapshot.layers[0].dW, [[12.0, -8.0, 15.0]])
    trainer.step_phase()  # clip
    trainer.step_phase()  # update
    snapshot = phases_until(trainer, "backward", 1)  # the second pass: a new gradient
    a = snapshot.layers[0].a[0, 0]
    np.testing.assert_array_equal(snapshot.layers[0].dW, [[12.0 * (a + 1.0), -8.0 * (a + 1.0),
                                                          15.0 * (a + 1.0)]])


@pytest.mark.parametrize("lesson, rule", [
    ("optimizer-momentum.json", "Δw = −η × ∂E/∂w + 0.9 × Δw(previous);  w ← w + Δw"),
    ("optimizer-nesterov.json", "v ← 0.9 v − η × ∂E/∂w;  Δw = 0.9 v − η × ∂E/∂w;  w ← w + Δw")])
def test_the_update_caption_states_the_momentum_rule_the_optimizer_uses(lesson, rule):
    """Nesterov's step adds the next push of the momentum to the one it just took; the caption
    states that rule, and the step it shows is 0.9 v − η ∂E/∂w with the optimizer's own v."""
    trainer = sim.Trainer(sim.load(LESSONS_DIR / lesson))
    trainer.run(steps=1)
    snapshot = phases_until(trainer, "update")
    caption = explain.caption(snapshot)
    assert rule in caption.lines[0]
    velocity = trainer.optimizer.state()["velocity"]
    layer = snapshot.layers[0]
    push = -trainer.experiment.optimizer.learning_rate * layer.dW_clipped.ravel()
    expected = 0.9 * velocity + push if trainer.experiment.optimizer.nesterov else velocity
    np.testing.assert_allclose(layer.update_W.ravel(), expected, rtol=1e-12)


def test_the_adam_caption_writes_out_the_bias_correction_its_update_takes():
    """Adam divides m and v by 1 − β₁ᵗ and 1 − β₂ᵗ. The caption writes that out rather than
    as m̂ and v̂, whose combining hats Qt's text layout drops (it showed m / (√v + ε)); the
    rule as written, evaluated with the optimizer's own m, v and t (the t it states), gives
    the update shown."""
    trainer = sim.Trainer(sim.load(LESSONS_DIR / "optimizer-adam.json"))
    trainer.run(steps=2)
    snapshot = phases_until(trainer, "update")
    rule = explain.caption(snapshot).lines[0]
    assert "w ← w − η × (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)" in rule
    assert "\N{COMBINING CIRCUMFLEX ACCENT}" not in rule
    state, spec = trainer.optimizer.state(), trainer.experiment.optimizer
    t = state["t"]
    assert t == 3 and "t = 3 (Adam's updates so far, this one included)" in rule
    m = state["m"][:snapshot.layers[0].W.size]
    v = state["v"][:snapshot.layers[0].W.size]
    written = -spec.learning_rate * (m / (1 - spec.beta1 ** t)) / (
        np.sqrt(v / (1 - spec.beta2 ** t)) + spec.epsilon)
    np.testing.assert_allclose(snapshot.layers[0].update_W.ravel(), written, rtol=1e-12)


def test_a_derivative_that_is_a_sum_is_bracketed_where_a_caption_multiplies_by_it(capsys):
    from sim.activations import ACTIVATIONS
    for kind in ACTIVATIONS.values():
        if kind.derivative_text is not None:
            outside = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", "", kind.derivative_text)
            assert not any(sign in outside for sign in (" − ", " + ", " if ")), kind.name
    # Read as (Σ w δ) × 1 − a², tanh's f′ would be wrong: spiral's hidden layers are tanh.
    text = explained(capsys, LESSONS_DIR / "spiral.json")
    assert re.search(f"\\) × \\(1 − a{LAYER}{UNITS}²\\) = ", text), "no bracketed tanh f′"
