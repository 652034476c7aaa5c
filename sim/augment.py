"""Data augmentation: each epoch trains on new versions of the training inputs.

The ``augment`` object of the ``data`` section names three transformations, drawn anew for
every training sample at the start of every epoch from the sampler's augmentation stream (so
a resumed run draws the same ones). Validation and test samples are never augmented, and
targets are never changed: a transformation is only right where it keeps each sample's label.

- ``flip``: each sample is mirrored with probability 1/2 per axis named: ``"x"`` negates the
  first input (left-right), ``"y"`` the second (up-down), in the data's own coordinates.
- ``rotate_degrees`` d: each sample is turned about the origin of the data's own coordinates
  by an angle drawn uniformly from [-d, d] degrees, counter-clockwise positive.
- ``noise``: Gaussian noise of that standard deviation is added to every input, as the network
  sees it (after standardisation); older files call it ``jitter``.

Flips and rotations move 2-D points, so they need data with exactly two inputs. They come first,
in that order, then the noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .schema import ExperimentError, Section, describe, read_choice, read_list

AXES = ("x", "y")  # the first and the second input
KEYS = ("noise", "flip", "rotate_degrees")
MAX_NOISE = 100.0
MAX_ROTATION = 180.0


@dataclass(frozen=True)
class AugmentSpec:
    """The ``data.augment`` object: what each epoch does to the training inputs."""

    noise: float = 0.0  # standard deviation of Gaussian noise on every input
    flip: tuple[str, ...] = ()  # the axes of AXES that may be mirrored, in AXES order
    rotate_degrees: float = 0.0  # the largest angle of a random rotation

    @property
    def moves_points(self) -> bool:
        """Whether it flips or rotates, which only 2-D points can be."""
        return bool(self.flip) or self.rotate_degrees > 0.0

    @property
    def changes_inputs(self) -> bool:
        return self.moves_points or self.noise > 0.0

    @classmethod
    def from_json(cls, value: Any, path: str) -> AugmentSpec:
        s = Section(value, path, KEYS)
        return cls(noise=read_noise(s, "noise"), flip=_read_flip(s),
                   rotate_degrees=s.number("rotate_degrees", 0.0, minimum=0.0,
                                           maximum=MAX_ROTATION))

    def to_json(self) -> dict[str, Any]:
        return {"noise": self.noise, "flip": list(self.flip),
                "rotate_degrees": self.rotate_degrees}


def read_noise(s: Section, key: str) -> float:
    """The noise's standard deviation at ``key`` (``augment.noise``, or the old ``jitter``)."""
    return s.number(key, 0.0, minimum=0.0, maximum=MAX_NOISE)


def _read_flip(s: Section) -> tuple[str, ...]:
    """``true`` (both axes), ``false`` (none) or a list of axis names, each at most once."""
    value = s.raw("flip", False)
    if isinstance(value, bool):
        return AXES if value else ()
    if not isinstance(value, list):
        raise ExperimentError(s.at("flip"), 'must be true, false or a list of "x" and "y", '
                                            f"got {describe(value)}")
    axes = [read_choice(axis, f"{s.at('flip')}[{i}]", AXES)
            for i, axis in enumerate(read_list(value, s.at("flip"), len(AXES)))]
    if len(set(axes)) != len(axes):
        raise ExperimentError(s.at("flip"), f"names an axis twice, got {axes}")
    return tuple(axis for axis in AXES if axis in axes)


def check_fits(spec: AugmentSpec, inputs: int, path: str) -> None:
    """ExperimentError naming the field if data with ``inputs`` inputs cannot be flipped or
    rotated as ``spec`` (at ``path``) asks."""
    if spec.moves_points and inputs != 2:
        key = "flip" if spec.flip else "rotate_degrees"
        raise ExperimentError(f"{path}.{key}", "flips and rotations move 2-D points: they "
                                               f"need data with 2 inputs, this data has {inputs}")


def augmented(x: np.ndarray, spec: AugmentSpec, rng: np.random.Generator,
              to_raw: Callable[[np.ndarray], np.ndarray],
              to_network: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """One epoch's version of the network inputs ``x`` (``x`` itself if nothing changes).

    Flips and rotations act on the data's own coordinates (``to_raw``, then back with
    ``to_network``); the noise on the network's. Draws from ``rng`` only what ``spec`` uses,
    in the order flips, angles, noise.
    """
    if spec.moves_points:
        points = to_raw(x)
        if spec.flip:
            columns = [AXES.index(axis) for axis in spec.flip]
            mirrored = rng.random((len(points), len(columns))) < 0.5
            points[:, columns] = np.where(mirrored, -points[:, columns], points[:, columns])
        if spec.rotate_degrees > 0.0:
            angle = np.radians(rng.uniform(-spec.rotate_degrees, spec.rotate_degrees,
                                           len(points)))
            cos, sin = np.cos(angle), np.sin(angle)
            first, second = points[:, 0].copy(), points[:, 1].copy()
            points[:, 0] = cos * first - sin * second
            points[:, 1] = sin * first + cos * second
        x = to_network(points)
    if spec.noise > 0.0:
        x = x + rng.normal(0.0, spec.noise, x.shape)
    return x
