"""The pictures beside the network, computed from a trainer: decision boundary and landscape.

The GUI's worker thread, which owns the trainer, calls these between steps and hands the
immutable results to the window with its Snapshots; the window only draws them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import boundary, landscape, notation
from .address import ParameterAddress
from .landscape import ParameterTrace
from .palette import scale_for
from .trainer import Trainer

BOUNDARY_POINTS = 100


@dataclass(frozen=True)
class BoundaryView:
    """The output over the input plane as an image, with the data points, in raw units."""

    xs: np.ndarray  # the grid's x values (first input), left to right
    ys: np.ndarray  # the grid's y values (second input), bottom to top
    colours: np.ndarray  # uint8 (len(ys), len(xs), 3): row r is ys[r], like an image
    train: np.ndarray  # (n, 2) raw training inputs
    train_colours: np.ndarray  # uint8 (n, 3): each point coloured by its target
    validation: np.ndarray
    validation_colours: np.ndarray
    meaning: str  # what the colours mean, for the legend
    input_names: tuple[str, str]


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
    path: np.ndarray  # (points, parameters): the recent values, oldest first
    path_losses: np.ndarray  # the loss along the path, the other weights as they are now
    quantity: str = notation.LOSS  # the loss's name, "E", or "E + P" with a penalty
    path_steps: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    # The path a course text prints for this weight (the lesson's view.printed_path), the steps
    # it gives the values for, and the loss at each value; empty when the lesson gives none.
    printed: np.ndarray = field(default_factory=lambda: np.empty(0))
    printed_steps: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    printed_losses: np.ndarray = field(default_factory=lambda: np.empty(0))
    printed_label: str = ""


def boundary_view(trainer: Trainer, points: int = BOUNDARY_POINTS) -> BoundaryView | None:
    """The decision boundary, or None when the data does not have exactly two inputs."""
    network, dataset = trainer.network, trainer.dataset
    if network.inputs != 2:
        return None
    xs, ys, outputs = boundary.decision_grid(network, dataset, points)
    activation = network.layers[-1].activation.kind
    regression = activation not in ("sigmoid", "softmax", "tanh")
    high = None
    if regression:  # one scale for the heat map and the targets (non-finite values ignored)
        high = scale_for("weight", [outputs[..., 0], dataset.t_train[:, 0]]).high
    shown = outputs if activation == "softmax" else outputs[..., :1]
    return BoundaryView(
        xs=xs, ys=ys, colours=boundary.boundary_colours(shown, activation, high),
        train=dataset.to_raw(dataset.x_train),
        train_colours=_target_colours(dataset.t_train, activation, high),
        validation=dataset.to_raw(dataset.x_val),
        validation_colours=_target_colours(dataset.t_val, activation, high),
        meaning=_meaning(activation, outputs.shape[-1], dataset.output_names),
        input_names=(dataset.input_names[0], dataset.input_names[1]))


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
    if len(indices) == 1:
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
