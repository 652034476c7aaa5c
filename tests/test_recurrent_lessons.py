"""The recurrent lessons (assets/lessons/recurrent): every number their texts state, measured."""

from __future__ import annotations

import itertools
import math

import numpy as np

from sim import lessons
from sim import recurrent_experiment as rx
from sim.recurrent_trainer import RecurrentTrainer
from tests.lesson_text import TextClaims


class RecurrentLessonText(TextClaims):
    def __init__(self, name: str) -> None:
        self.experiment = rx.load(lessons.lesson_dir() / "recurrent" / name)
        super().__init__(f"{self.experiment.name}\n{self.experiment.description}")


def run(experiment: rx.RecurrentExperiment) -> RecurrentTrainer:
    trainer = RecurrentTrainer(experiment)
    trainer.run()
    return trainer


def validations(trainer: RecurrentTrainer) -> list:
    return [r for r in trainer.records if math.isfinite(r.val_loss)]


def first_step_ratio(trainer: RecurrentTrainer, cell: bool = False) -> float:
    return step_ratio(trainer, 1, cell)


def step_ratio(trainer: RecurrentTrainer, step: int, cell: bool = False) -> float:
    """‖∂E/∂h₁‖ / ‖∂E/∂h_T‖ (or the cell state's) of a step, as its plot shows them."""
    record = trainer.records[step - 1]
    norms = record.cell_grad_norms if cell else record.time_grad_norms
    return norms[0] / norms[-1]


def training_accuracy(trainer: RecurrentTrainer) -> float:
    """Of every training sequence, by the network as it is now (a sigmoid output)."""
    x, t = trainer.dataset.x_train, trainer.dataset.t_train
    return float(np.mean((trainer.network.forward(x).y > 0.5) == (t > 0.5)))


def test_the_elman_network_forgets_the_first_symbol():
    text = RecurrentLessonText("elman-forgets.json")
    trainer = run(text.experiment)
    data, network = text.experiment.data, text.experiment.network
    text.says("30", data.steps)
    assert set(np.unique(trainer.dataset.x_train[:, 0, 0])) == {-1.0, 1.0}
    text.names("−1", "the symbol −1")
    text.names("1", "the symbol +1")
    text.says("29", data.steps - 1, times=2)  # "the other 29", "29 steps ago"
    text.says("1", data.noise)
    text.says("8", network.hidden)
    text.says("32", text.experiment.batch_size)
    text.says("300", trainer.dataset.x_train.shape[0])
    text.says("100", trainer.dataset.x_val.shape[0])
    ratio = first_step_ratio(trainer)
    text.says("1.5 × 10⁻⁵", ratio)
    assert ratio < 1e-3  # orders of magnitude
    text.bound("1")  # tanh′ ≤ 1
    # "to step 500, where the run stops", and the two "at step 500" (the last step)
    text.says("500", trainer.step_count, times=3)
    later = step_ratio(trainer, trainer.step_count)
    text.says("0.165", later)
    assert later > 1000 * ratio  # "more of the gradient reaches the first steps"
    text.says("72%", training_accuracy(trainer))
    text.says("300", trainer.dataset.x_train.shape[0])  # "72% of the 300"
    text.says("100", trainer.dataset.x_val.shape[0])  # "49% of the 100 held out"
    last = validations(trainer)[-1]
    text.says("49%", last.val_accuracy)
    assert last.step == 500
    assert max(r.val_accuracy for r in validations(trainer)) < 0.6  # never above chance
    text.done()


def test_the_lstm_remembers_the_first_symbol():
    text = RecurrentLessonText("lstm-remembers.json")
    trainer = run(text.experiment)
    network = text.experiment.network
    text.says("30", text.experiment.data.steps)
    text.says("8", network.hidden)
    text.says("1", network.init.forget_bias)
    ratio = first_step_ratio(trainer)
    text.says("2.2 × 10⁻³", ratio)
    elman = run(rx.load(lessons.lesson_dir() / "recurrent" / "elman-forgets.json"))
    text.says("146", ratio / first_step_ratio(elman))
    text.says("0.011", first_step_ratio(trainer, cell=True))
    checked = validations(trainer)
    high = text.bound("95%")
    first = next(r for r in checked if r.val_accuracy >= high)
    text.says("110", first.step)
    text.says("100%", checked[-1].val_accuracy)
    text.says("500", checked[-1].step)
    text.says("0.0016", checked[-1].val_loss)
    text.done()


def test_a_forget_gate_bias_of_zero_lets_the_cell_gradient_vanish():
    text = RecurrentLessonText("lstm-forget-bias-zero.json")
    trainer = run(text.experiment)
    remembering = rx.load(lessons.lesson_dir() / "recurrent" / "lstm-remembers.json")
    assert text.experiment.network.init.forget_bias == 0.0
    assert text.experiment.replace(network=remembering.network, name=remembering.name,
                                   description=remembering.description) == remembering
    # "a forget-gate bias of 0", "starts at 0", "sigmoid(0)"
    text.says("0", text.experiment.network.init.forget_bias, times=3)
    # "instead of 1", "a bias of 1 gives", "sigmoid(1)", "with the bias of 1", "set to 1"
    text.says("1", remembering.network.init.forget_bias, times=5)
    sigmoid = lambda v: 1.0 / (1.0 + math.exp(-v))  # noqa: E731
    text.says("0.5", sigmoid(0.0), times=3)
    steps = text.experiment.data.steps - 1
    text.says("29", steps)
    text.says("1.9 × 10⁻⁹", sigmoid(0.0) ** steps)
    text.says("0.73", sigmoid(1.0), times=2)
    text.says("1.1 × 10⁻⁴", sigmoid(1.0) ** steps)
    first = RecurrentTrainer(text.experiment)  # its forget gates start near 0.5
    first.step()
    assert abs(float(np.mean(first.snapshot().gate_values("f"))) - 0.5) < 0.1
    ratio = first_step_ratio(trainer, cell=True)
    text.says("1.1 × 10⁻⁵", ratio)
    text.says("0.011", first_step_ratio(run(remembering.replace(
        stopping=remembering.stopping.__class__(max_steps=1))), cell=True))
    # "to step 500, where the run stops", and the two "at step 500" (the last step)
    text.says("500", trainer.step_count, times=3)
    later = step_ratio(trainer, trainer.step_count, cell=True)
    text.says("0.19", later)
    assert later > 1000 * ratio  # "more of the gradient reaches the first steps"
    text.says("300", trainer.dataset.x_train.shape[0])
    text.says("75%", training_accuracy(trainer))
    text.says("100", trainer.dataset.x_val.shape[0])
    last = validations(trainer)[-1]
    text.says("50%", last.val_accuracy)
    assert last.step == 500
    text.names("2015", "the year of Jozefowicz, Zaremba and Sutskever's paper")
    text.done()


def test_an_elman_network_whose_gradient_explodes():
    text = RecurrentLessonText("elman-exploding.json")
    trainer = run(text.experiment)
    data, network = text.experiment.data, text.experiment.network
    text.says("20", data.steps)
    text.says("0", 0.0)
    text.says("1", 1.0)  # numbers between 0 and 1
    assert trainer.dataset.x_train[:, :, 0].min() >= 0 and \
        trainer.dataset.x_train[:, :, 0].max() <= 1
    assert (trainer.dataset.x_train[:, :, 1].sum(axis=1) == 2).all()  # two marked steps
    text.says("8", network.hidden)
    text.says("0.6", network.init.weights.std)
    ratio = first_step_ratio(trainer)
    text.says("8.0", ratio)
    norms = [r.grad_norm for r in trainer.records]
    text.says("7384", norms[0])
    text.says("4", int(np.argmax(norms)) + 1)
    text.says("2.8 × 10¹⁰⁰", norms[3])
    assert all(r.loss > 1e50 for r in trainer.records[4:])  # astronomically large from then on
    text.says("5 × 10⁸³", trainer.records[-1].loss)
    text.says("300", trainer.step_count)
    text.done()


def silent_units(trainer: RecurrentTrainer) -> np.ndarray:
    """Which hidden units are 0 at every time step of every training sequence, now."""
    h = np.stack(trainer.network.forward(trainer.dataset.x_train).h[1:])  # (T, n, H)
    return np.all(h == 0.0, axis=(0, 1))


def test_clipping_tames_the_exploding_elman_network_but_its_relu_units_die():
    text = RecurrentLessonText("elman-exploding-clipped.json")
    exploding = rx.load(lessons.lesson_dir() / "recurrent" / "elman-exploding.json")
    assert text.experiment.replace(clipping=exploding.clipping, name=exploding.name,
                                   description=exploding.description) == exploding
    trainer = RecurrentTrainer(text.experiment)
    silent = []  # after each step, how many units are silent
    while trainer.step():
        silent.append(int(silent_units(trainer).sum()))
    threshold = text.experiment.clipping.threshold
    text.says("1", threshold, times=2)  # clipping at 1, length 1
    norms = np.array([r.grad_norm for r in trainer.records])
    text.says("7384", norms[0])
    clipped = [r.step for r in trainer.records if r.clipped]
    assert clipped == list(range(1, 9))
    text.says("1", clipped[0])
    text.says("8", clipped[-1])
    assert (norms[8:] < threshold).all()
    text.says("1", trainer.records[0].step)
    text.says("165", trainer.records[0].loss)
    text.says("0.092", trainer.records[-1].loss)
    text.says("300", trainer.step_count, times=2)  # the loss's and the validation's step

    # one unit after another, none coming back, until all are silent to the end
    text.says("11", silent.index(1) + 1)
    assert silent[:10] == [0] * 10
    assert all(later >= earlier for earlier, later in itertools.pairwise(silent))
    text.says("80", silent.index(text.experiment.network.hidden) + 1)
    assert silent[79:] == [text.experiment.network.hidden] * (trainer.step_count - 79)
    text.says("0", 0.0)  # "every hidden unit is 0"
    text.says("0", 0.0)  # "a ReLU unit that is 0": relu′(z) = 0 where relu(z) = 0
    last = trainer.records[-1]
    text.says("0", max(last.time_grad_norms[:-1]))  # "0 before the last step"
    text.says("20", len(last.time_grad_norms))
    assert last.time_grad_norms[-1] > 0.0  # t = 20, the one point the plot shows
    network = trainer.network
    gradient = trainer.snapshot().gradient
    assert np.count_nonzero(network.view("output_bias", gradient)) == 1
    for key in ("input", "recurrent", "bias", "output"):  # only the output bias learns
        assert not network.view(key, gradient).any(), key

    # the same answer, the output bias, for every sequence; close to the targets' mean
    bias = float(network.view("output_bias")[0])
    answers = network.forward(trainer.dataset.x_val).y
    np.testing.assert_array_equal(answers, bias)
    mean = float(np.mean(trainer.dataset.t_train))
    text.says("1", mean)  # "close to 1, the targets' mean"
    assert abs(bias - mean) < 0.01
    validated = validations(trainer)[-1]
    assert validated.step == trainer.step_count
    text.says("0.077", validated.val_loss)
    t_val = trainer.dataset.t_val
    text.says("1", 1.0)  # "always answering 1"
    mean_answer = 0.5 * float(np.mean((t_val - 1.0) ** 2))
    text.says("0.076", mean_answer)
    assert validated.val_loss > mean_answer - 0.002  # no better than the mean
    text.done()
