"""Backprop Studio's engine: exact, instrumented backpropagation in pure numpy (no Qt)."""

from .chain_rule import ChainRule
from .events import Event, Phase
from .experiment import Experiment, dumps, load, parse, save
from .schema import ExperimentError
from .trainer import Trainer

__all__ = ["ChainRule", "Event", "Experiment", "ExperimentError", "Phase", "Trainer", "dumps",
           "load", "parse", "save"]
