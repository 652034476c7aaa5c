"""Mini-batches: each epoch's order and augmented inputs, drawn from seeded random streams.

The sampler owns the random streams that training draws from after initialisation (shuffling,
augmentation and dropout), the position in the current epoch and the count of finished
epochs. Its ``state()`` holds what a resumed run needs to draw exactly the same batches: the
streams now, and the shuffle and augmentation streams as the current epoch began, from which
that epoch's order and augmented inputs are drawn again. The augmentation stream keeps its
older name, "jitter", in a saved state, so that older checkpoints resume.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .augment import AugmentSpec, augmented
from .data import Dataset

# Random stream ids (the data streams are in sim.trainer, the initialisation streams in
# sim.network).
SHUFFLE_STREAM, DROPOUT_STREAM, JITTER_STREAM = 4, 5, 6
STREAMS = ("shuffle", "dropout", "jitter")
EPOCH_STREAMS = ("shuffle", "jitter")  # the streams an epoch's order and augmentation come from


@dataclass(frozen=True)
class SamplerState:
    """Where the sampler is, as plain values (a random stream's state is a JSON-ready dict)."""

    epochs: int  # epochs completed
    position: int  # index of the next batch's first sample in this epoch's order
    streams: Mapping[str, Mapping[str, Any]]  # every stream of STREAMS as it is now
    epoch_streams: Mapping[str, Mapping[str, Any]] | None  # EPOCH_STREAMS as this epoch began;
    # None at an epoch's start, where the next batch draws a new epoch anyway


class BatchSampler:
    """Cuts the training set into batches, epoch after epoch, in a seeded order."""

    def __init__(self, dataset: Dataset, seed: int) -> None:
        self.streams = {name: np.random.default_rng([seed, stream]) for name, stream in
                        zip(STREAMS, (SHUFFLE_STREAM, DROPOUT_STREAM, JITTER_STREAM),
                            strict=True)}
        self.dataset = dataset
        self.x_train, self.t_train = dataset.x_train, dataset.t_train
        self.samples = dataset.x_train.shape[0]
        self.augment = AugmentSpec()
        self.epoch_count = 0  # epochs completed
        self.position = 0  # index of the next batch's first sample in this epoch's order
        self.batch_size = self.samples
        self.steps_per_epoch = 1
        # (batch size, shuffle, augmentation) as asked
        self._settings: tuple[int | None, bool, AugmentSpec] | None = None
        self._shuffle = False
        self._order: np.ndarray | None = None  # this epoch's order; None: the data's order
        self._x_epoch = self.x_train  # this epoch's inputs, augmented if asked
        self._epoch_streams: dict[str, Mapping[str, Any]] = {}

    def configure(self, batch_size: int | None, shuffle: bool, augment: AugmentSpec) -> None:
        """Batch size (None: the whole training set), shuffling and augmentation; changing any
        starts the epoch in progress over with the new batches."""
        if (batch_size, shuffle, augment) != self._settings:
            self.position = 0
        self._settings = (batch_size, shuffle, augment)
        self.augment = augment
        self.batch_size = min(batch_size or self.samples, self.samples)
        self.steps_per_epoch = -(-self.samples // self.batch_size)
        # A full batch sums the same samples in any order; keeping the order keeps the sum's
        # rounding identical to a hand-written loop.
        self._shuffle = shuffle and self.batch_size < self.samples

    def next_batch(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Inputs, targets and training-set rows of the next batch (rows None: the whole set,
        in order). The position moves on only in ``advance``."""
        if self.position == 0:
            self.begin_epoch()
        start, stop = self.position, self.position + self.batch_size
        x_all, t_all = self._x_epoch, self.t_train
        if self._order is None:
            if start == 0 and stop >= len(t_all):
                return x_all, t_all, None
            indices = np.arange(start, min(stop, len(t_all)))
        else:
            indices = self._order[start:stop]
        return x_all[indices], t_all[indices], indices

    @property
    def batches_taken(self) -> int:
        """Batches of the epoch in progress already trained on (0 at an epoch's start)."""
        return -(-self.position // self.batch_size)

    def advance(self) -> bool:
        """Move past the batch just trained on; True if that finished an epoch."""
        self.position += self.batch_size
        if self.position >= self.samples:
            self.position = 0
            self.epoch_count += 1
            return True
        return False

    def begin_epoch(self) -> None:
        """Draw this epoch's order and augmentation, remembering the streams' states to
        resume.

        ``next_batch`` calls it at each epoch's start; ``sim.sweep`` calls it directly and
        reads ``epoch_order`` and ``epoch_inputs``, to cut the batches of many runs at once."""
        streams = self.streams
        if self.steps_per_epoch > 1:  # a checkpoint can then fall inside this epoch
            self._epoch_streams = {name: streams[name].bit_generator.state
                                   for name in EPOCH_STREAMS}
        self._order = streams["shuffle"].permutation(self.samples) if self._shuffle else None
        self._x_epoch = augmented(self.x_train, self.augment, streams["jitter"],
                                  self.dataset.to_raw, self.dataset.to_network)

    @property
    def epoch_order(self) -> np.ndarray | None:
        """The training-set rows of this epoch in the order they are taken (None: the data's
        order)."""
        return self._order

    @property
    def epoch_inputs(self) -> np.ndarray:
        """This epoch's training inputs (augmented if asked), in the data's order."""
        return self._x_epoch

    # ------------------------------------------------------------------ checkpoints

    def state(self) -> SamplerState:
        return SamplerState(
            epochs=self.epoch_count, position=self.position,
            streams={name: self.streams[name].bit_generator.state for name in STREAMS},
            epoch_streams=self._epoch_streams if self.position else None)

    def restore(self, state: SamplerState) -> None:
        """Continue from a saved state, drawing the current epoch's order and augmentation
        again.

        ``state.epoch_streams`` is required when ``state.position`` is not 0; a stream's state
        that its generator refuses raises ValueError (or TypeError, KeyError, OverflowError).
        """
        self.epoch_count, self.position = state.epochs, state.position
        if state.position:
            if state.epoch_streams is None:
                raise ValueError("a state inside an epoch needs the streams as the epoch began")
            self._set_streams(state.epoch_streams)
            self.begin_epoch()
        self._set_streams(state.streams)

    def _set_streams(self, states: Mapping[str, Mapping[str, Any]]) -> None:
        for name, value in states.items():
            self.streams[name].bit_generator.state = value


def epoch_text(completed: int, batches_taken: int, steps_per_epoch: int) -> str:
    """The epoch the last step belongs to, counted from 1 as the history and its CSV export
    count it ("epoch 3"), and with mini-batches which of its batches that step took ("epoch 3,
    batch 5 of 8"); "" before the first step. Epochs completed alone would say "epoch 2"
    beside a history whose last row says epoch 3."""
    if batches_taken == 0:  # the last step ended an epoch (or none was taken)
        if completed == 0:
            return ""
        epoch, batch = completed, steps_per_epoch
    else:
        epoch, batch = completed + 1, batches_taken
    if steps_per_epoch == 1:
        return f"epoch {epoch:,}"
    return f"epoch {epoch:,}, batch {batch} of {steps_per_epoch}"
