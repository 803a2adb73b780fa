"""The sampler of a scenario's behaviour model: the simple or the segmented one (kept apart from both so that
neither imports the other)."""

from __future__ import annotations

from ..config.scenario import Behaviour, SimpleBehaviour
from ..rules import Rules
from .behaviour import Sampler, SimpleSampler
from .candidates import Population
from .segmented import SegmentedSampler
from .streams import Streams


def make_sampler(spec: Behaviour, rules: Rules, population: Population, streams: Streams) -> Sampler:
    """The sampler for the scenario's behaviour model; a model with fit scores also orders the population."""
    if isinstance(spec, SimpleBehaviour):
        return SimpleSampler(spec, rules, population, streams)
    sampler = SegmentedSampler(spec, rules, population, streams)
    population.prioritise(sampler.fit)
    return sampler
