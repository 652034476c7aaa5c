"""Gradient clipping, with PyTorch's semantics so results compare with the tool people use.

- ``global_norm``: one L2 norm over all trainable gradients as a single vector;
  ``coef = threshold / (norm + 1e-6)``, applied to every gradient only when ``coef < 1``
  (``torch.nn.utils.clip_grad_norm_``).
- ``layer_norm``: the same rule applied to each layer's weights and biases separately.
- ``value``: every element limited to [-threshold, threshold] (``clip_grad_value_``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .schema import Section

KINDS = ("none", "global_norm", "layer_norm", "value")
NORM_EPSILON = 1e-6  # as torch.nn.utils.clip_grad_norm_


@dataclass(frozen=True)
class ClippingSpec:
    kind: str = "none"
    threshold: float = 1.0

    @classmethod
    def from_json(cls, value: Any, path: str) -> ClippingSpec:
        """Read a ``clipping`` object; every kind but "none" needs a threshold."""
        s = Section(value, path, ("kind", "threshold"))
        kind = s.choice("kind", KINDS, "none")
        if kind == "none":
            if s.has("threshold"):
                s.number("threshold", positive=True)  # still refuse nonsense
            return cls()
        return cls(kind, s.number("threshold", positive=True, maximum=1e12))

    def to_json(self) -> dict[str, Any]:
        if self.kind == "none":
            return {"kind": "none"}
        return {"kind": self.kind, "threshold": self.threshold}


@dataclass(frozen=True)
class ClipResult:
    """What one clipping pass did: the norms before and after, and which layers changed."""

    clipped: bool
    norm_before: float
    norm_after: float
    layer_norms_after: np.ndarray
    layers: tuple[int, ...]  # 1-based layer numbers whose gradients changed


def clip(spec: ClippingSpec, g: np.ndarray, segments: list[slice],
         layer_norms: np.ndarray, global_norm: float) -> ClipResult:
    """Clip the flat trainable gradient ``g`` in place.

    ``segments[l]`` is layer l+1's slice of ``g``; ``layer_norms`` and ``global_norm`` are the
    norms before clipping (already measured by the caller).
    """
    threshold = spec.threshold
    if spec.kind == "global_norm":
        coef = threshold / (global_norm + NORM_EPSILON)
        if coef >= 1.0:
            return _unchanged(layer_norms, global_norm)
        g *= coef
        changed = tuple(i + 1 for i, norm in enumerate(layer_norms) if norm > 0.0)
        return ClipResult(True, global_norm, global_norm * coef, layer_norms * coef, changed)
    if spec.kind == "layer_norm":
        coefs = threshold / (layer_norms + NORM_EPSILON)
        over = np.flatnonzero(coefs < 1.0)
        if over.size == 0:
            return _unchanged(layer_norms, global_norm)
        after = layer_norms.copy()
        for index in over:
            g[segments[index]] *= coefs[index]
            after[index] = layer_norms[index] * coefs[index]
        return ClipResult(True, global_norm, float(np.sqrt(np.dot(after, after))), after,
                          tuple(int(i) + 1 for i in over))
    if spec.kind == "value":
        changed = tuple(i + 1 for i, s in enumerate(segments)
                        if np.any(np.abs(g[s]) > threshold))
        if not changed:
            return _unchanged(layer_norms, global_norm)
        np.clip(g, -threshold, threshold, out=g)
        after = np.sqrt(np.array([np.dot(g[s], g[s]) for s in segments]))
        return ClipResult(True, global_norm, float(np.sqrt(np.dot(after, after))), after, changed)
    return _unchanged(layer_norms, global_norm)


def _unchanged(layer_norms: np.ndarray, global_norm: float) -> ClipResult:
    return ClipResult(False, global_norm, global_norm, layer_norms, ())
