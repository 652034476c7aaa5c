"""The pictures beside the network, computed from a trainer: the data with the network's fit
(``data_view``: a curve for one input, the decision boundary for two, predictions against
targets and a slice for more), and the loss landscape.

The GUI's worker thread, which owns the trainer, calls these between steps and hands the
immutable results to the window with its Snapshots; the window only draws them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import boundary, landscape, notation
from .address import ParameterAddress
from .data import Dataset
from .held_out import HeldOutResult, held_out_result
from .landscape import ParameterTrace
from .palette import scale_for
from .trainer import Trainer

BOUNDARY_POINTS = 100
CURVE_POINTS = 200
SPLITS = ("training", "validation", "test")


@dataclass(frozen=True)
class SplitPoints:
    """One split's samples: raw inputs, targets and the network's outputs now (no dropout)."""

    name: str  # one of SPLITS
    x: np.ndarray  # (n, inputs) raw inputs
    t: np.ndarray  # (n, outputs) targets
    y: np.ndarray  # (n, outputs) outputs


@dataclass(frozen=True)
class BoundaryView:
    """The output over a plane of two inputs as an image, with the data points, in raw units.

    With more than two inputs the plane is a slice: the other inputs are held at their raw
    training means (``held``), and the points are every sample's projection onto the plane.
    """

    xs: np.ndarray  # the grid's x values (first input), left to right
    ys: np.ndarray  # the grid's y values (second input), bottom to top
    colours: np.ndarray  # uint8 (len(ys), len(xs), 3): row r is ys[r], like an image
    class_colours: np.ndarray  # the same grid in the colour of the class decided, no shades
    classifies: bool  # the output decides classes (sigmoid, softmax, tanh), not a value
    train: np.ndarray  # (n, 2) raw training inputs
    train_colours: np.ndarray  # uint8 (n, 3): each point coloured by its target
    validation: np.ndarray
    validation_colours: np.ndarray
    test: np.ndarray
    test_colours: np.ndarray
    meaning: str  # what the colours mean, for the legend
    input_names: tuple[str, str]
    inputs: tuple[int, int] = (0, 1)  # which inputs the plane spans, from 0
    held: str = ""  # the other inputs and the values they are held at ("" for two inputs)
    test_result: HeldOutResult | None = None


@dataclass(frozen=True)
class CurveView:
    """One input: the network's outputs along the input's range, with every sample."""

    xs: np.ndarray  # (G,) raw input values, evenly spaced
    outputs: np.ndarray  # (G, outputs)
    splits: tuple[SplitPoints, ...]  # the non-empty ones, in SPLITS order
    input_name: str
    output_names: tuple[str, ...]
    test_result: HeldOutResult | None = None


@dataclass(frozen=True)
class PredictionView:
    """More than two inputs: each sample's outputs against its targets, and a slice of the
    output over two inputs with the others held at their means."""

    splits: tuple[SplitPoints, ...]  # the non-empty ones, in SPLITS order
    output_names: tuple[str, ...]
    input_names: tuple[str, ...]
    slice: BoundaryView
    test_result: HeldOutResult | None = None


DataView = BoundaryView | CurveView | PredictionView


@dataclass(frozen=True)
class LandscapeView:
    """The loss along one or two parameters around the current weights, with the path taken.

    One parameter: ``v`` is None and ``losses`` has one value per ``u``.
    Two: ``losses[r, c]`` is the loss at (u[c], v[r]). Either way ``path_losses`` is the loss
    at each point of ``path``.
    """

    addresses: tuple[ParameterAddress, ...]
    u: np.ndarray
    v: np.ndarray | None
    losses: np.ndarray
    current: tuple[float, ...]  # the parameters now
    current_loss: float
    path: np.ndarray  # (points, parameters): the values since the trace began, oldest first
    path_losses: np.ndarray  # the loss along the path, the other weights as they are now
    quantity: str = notation.LOSS  # the loss's name, "E", or "E + P" with a penalty
    path_steps: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    # The path a course text prints for this weight (the lesson's view.printed_path), the steps
    # it gives the values for, and the loss at each value; empty when the lesson gives none.
    printed: np.ndarray = field(default_factory=lambda: np.empty(0))
    printed_steps: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    printed_losses: np.ndarray = field(default_factory=lambda: np.empty(0))
    printed_label: str = ""
    path_truncated: bool = False  # the path's earliest steps were dropped (a long run)


def data_view(trainer: Trainer, slice_inputs: tuple[int, int] = (0, 1)) -> DataView:
    """The data and the network's fit: a curve for one input, the decision boundary for two,
    predictions against targets and the slice over ``slice_inputs`` for more (the first two
    inputs when those are not two different inputs of this network: a choice made for the
    network before a rebuild)."""
    inputs = trainer.network.inputs
    if inputs == 1:
        return curve_view(trainer)
    if inputs == 2:
        return boundary_view(trainer)
    first, second = slice_inputs
    chosen = 0 <= first < inputs and 0 <= second < inputs and first != second
    return prediction_view(trainer, slice_inputs if chosen else (0, 1))


def boundary_view(trainer: Trainer, points: int = BOUNDARY_POINTS,
                  inputs: tuple[int, int] = (0, 1)) -> BoundaryView:
    """The output over the plane of the inputs numbered ``inputs`` (the others held at their
    training means); ValueError for fewer than two inputs."""
    network, dataset = trainer.network, trainer.dataset
    xs, ys, outputs = boundary.decision_grid(network, dataset, points, inputs=inputs)
    activation = network.layers[-1].activation.kind
    regression = activation not in ("sigmoid", "softmax", "tanh")
    high = None
    if regression:  # one scale for the heat map and the targets (non-finite values ignored)
        high = scale_for("weight", [outputs[..., 0], dataset.t_train[:, 0]]).high
    shown = outputs if activation == "softmax" else outputs[..., :1]
    pair = list(inputs)

    def points_of(x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return dataset.to_raw(x)[:, pair], _target_colours(t, activation, high)

    train, train_colours = points_of(dataset.x_train, dataset.t_train)
    validation, validation_colours = points_of(dataset.x_val, dataset.t_val)
    test, test_colours = points_of(dataset.x_test, dataset.t_test)
    return BoundaryView(
        xs=xs, ys=ys, colours=boundary.boundary_colours(shown, activation, high),
        class_colours=boundary.class_colours(outputs, activation), classifies=not regression,
        train=train, train_colours=train_colours, validation=validation,
        validation_colours=validation_colours, test=test, test_colours=test_colours,
        meaning=_meaning(activation, outputs.shape[-1], dataset.output_names),
        input_names=(dataset.input_names[inputs[0]], dataset.input_names[inputs[1]]),
        inputs=inputs, held=_held(dataset, inputs), test_result=held_out_result(trainer))


def curve_view(trainer: Trainer, points: int = CURVE_POINTS) -> CurveView:
    """A one-input network's outputs over the data's range (``boundary.view_ranges``, as the
    units' neuron-map curves)."""
    network, dataset = trainer.network, trainer.dataset
    if network.inputs != 1:
        raise ValueError(f"a curve needs one input; this network has {network.inputs}")
    ((low, high),) = boundary.view_ranges(dataset)
    xs = np.linspace(low, high, points)
    outputs = boundary.outputs_at(network, dataset.to_network(xs[:, None]))
    return CurveView(xs=xs, outputs=outputs, splits=split_points(trainer),
                     input_name=dataset.input_names[0], output_names=dataset.output_names,
                     test_result=held_out_result(trainer))


def prediction_view(trainer: Trainer, slice_inputs: tuple[int, int] = (0, 1)
                    ) -> PredictionView:
    """Every sample's outputs against its targets, and the slice over ``slice_inputs``."""
    dataset = trainer.dataset
    plane = boundary_view(trainer, inputs=slice_inputs)
    return PredictionView(splits=split_points(trainer), output_names=dataset.output_names,
                          input_names=dataset.input_names, slice=plane,
                          test_result=plane.test_result)


def split_points(trainer: Trainer) -> tuple[SplitPoints, ...]:
    """Each non-empty split's raw inputs, targets and the network's outputs now."""
    network, dataset = trainer.network, trainer.dataset
    parts = ((dataset.x_train, dataset.t_train), (dataset.x_val, dataset.t_val),
             (dataset.x_test, dataset.t_test))
    return tuple(SplitPoints(name, dataset.to_raw(x), t.copy(), boundary.outputs_at(network, x))
                 for name, (x, t) in zip(SPLITS, parts, strict=True) if len(x))


def _held(dataset: Dataset, inputs: tuple[int, int]) -> str:
    if dataset.inputs <= 2:
        return ""
    means = boundary.training_means(dataset)
    others = [f"{notation.input_label(i, dataset.input_names)} = "
              f"{notation.number(float(means[i]))}" for i in range(dataset.inputs)
              if i not in inputs]
    return "the other inputs held at their training means: " + ", ".join(others)


def landscape_view(trainer: Trainer, trace: ParameterTrace,
                   surface_points: int = landscape.SURFACE_POINTS) -> LandscapeView:
    """The loss around the traced parameters (one or two), over the whole training set;
    a two-parameter surface on a ``surface_points`` square grid."""
    network, dataset = trainer.network, trainer.dataset
    x, t, loss, l1, l2 = dataset.x_train, dataset.t_train, trainer.experiment.loss, \
        trainer.l1, trainer.l2
    indices = tuple(address.flat_index(network) for address in trace.addresses)
    current = tuple(float(network.theta[index]) for index in indices)
    path = trace.values
    view = trainer.experiment.view
    printed_path = view.printed_path if trace.addresses == (view.landscape,) else None
    printed = np.array(printed_path.values if printed_path else (), dtype=np.float64)
    # The window keeps the recent path and the printed one in view.
    widths = tuple(landscape.default_half_width(
        value, np.concatenate([path[:, k], printed]) if len(path) or len(printed) else None)
        for k, value in enumerate(current))
    if len(widths) == 2:
        # Two weights share a unit and are drawn at one scale: a square window, so that the
        # picture fills a square of its panel instead of a strip (a ravine's window would
        # be many times wider than high) and shows the valley's true shape.
        widths = (max(widths),) * 2
    window = view.landscape_window if trace.addresses == (view.landscape,) else None
    if window is not None:  # the lesson's own part of the curve
        u = np.linspace(*window, landscape.CURVE_POINTS)
        losses, v = landscape.loss_at(network, x, t, loss, l1, l2, indices, u[:, None]), None
    elif len(indices) == 1:
        u, losses = landscape.loss_curve(network, x, t, loss, l1, l2, indices[0], widths[0])
        v = None
    else:
        u, v, losses = landscape.loss_surface(network, x, t, loss, l1, l2,
                                              (indices[0], indices[1]), (widths[0], widths[1]),
                                              surface_points)
    finite = np.isfinite(path).all(axis=1) if len(path) else np.zeros(0, dtype=bool)
    path, path_steps = path[finite], trace.steps[finite]
    path_losses = landscape.loss_at(network, x, t, loss, l1, l2, indices, path) \
        if len(path) else np.empty(0)
    current_loss = network.loss_value(x, t, loss, l1, l2)
    quantity = f"{notation.LOSS} + {notation.PENALTY}" if l1 or l2 else notation.LOSS
    printed_losses = landscape.loss_at(network, x, t, loss, l1, l2, indices, printed[:, None]) \
        if len(printed) else np.empty(0)
    return LandscapeView(addresses=trace.addresses, u=u, v=v, losses=losses, current=current,
                         current_loss=current_loss, path=path, path_losses=path_losses,
                         quantity=quantity, path_steps=path_steps, printed=printed,
                         path_truncated=trace.truncated,
                         printed_steps=np.array(printed_path.steps if printed_path else (),
                                                dtype=np.int64),
                         printed_losses=printed_losses,
                         printed_label=printed_path.label if printed_path else "")


def _target_colours(targets: np.ndarray, activation: str, high: float | None) -> np.ndarray:
    if not len(targets):
        return np.zeros((0, 3), dtype=np.uint8)
    shown = targets if activation == "softmax" else targets[:, :1]
    return boundary.boundary_colours(shown, activation, high)


def _meaning(activation: str, outputs: int, names: tuple[str, ...]) -> str:
    first = names[0] if names else "y"
    if activation == "softmax":
        return f"colour: the most likely of {outputs} classes, faded where the network is unsure"
    if activation == "sigmoid":
        return f"orange: {first} near 0, blue: near 1, grey: undecided (0.5)"
    if activation == "tanh":
        return f"orange: {first} near −1, blue: near +1"
    suffix = f" (the first of {outputs} outputs)" if outputs > 1 else ""
    return f"{first}{suffix}: orange negative, blue positive"
