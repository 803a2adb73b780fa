"""The candidate population the whole team draws from, and who is contacted next."""

from __future__ import annotations

import itertools

import numpy as np

from ..config.scenario import CandidatesSpec
from .streams import Streams


class Population:
    """Candidates' attributes as arrays, and the team's shared contact order.

    Recruiters take the next uncontacted candidate in `order`; email recruiters skip candidates without a
    known address. A candidate is never contacted twice in a run, whoever sends. The pool refreshes when
    `arrivals_per_day` new candidates enter it each day after the first: they join the end of the contact
    order (in a random order of their own) and can be contacted from the day they arrive.
    """

    def __init__(self, spec: CandidatesSpec, streams: Streams, horizon: int = 1) -> None:
        self.initial = spec.population
        self.arrivals = spec.arrivals_per_day
        n = self.initial + self.arrivals * max(horizon - 1, 0)
        rng = streams["population"]
        shares = [spec.connections.first, spec.connections.second, spec.connections.third]
        self.size = n
        self.degree = rng.choice(np.array([1, 2, 3], dtype=np.int8), size=n, p=shares)
        self.open_profile = rng.random(n) < spec.open_profile_share
        self.known_email = rng.random(n) < spec.known_email_share
        targeting = streams["targeting"]
        blocks = [targeting.permutation(self.initial)]
        for start in range(self.initial, n, max(self.arrivals, 1)):
            blocks.append(start + targeting.permutation(self.arrivals))
        order = np.concatenate(blocks)
        self.order = order.astype(np.int32) if n < 2**31 else order  # half the memory for the usual sizes
        self.contacted = np.zeros(n, dtype=bool)
        self._cursor = {"inmail": 0, "email": 0}

    def available(self, day: int) -> int:
        """How many candidates (a prefix of `order`) are in the pool on `day`."""
        return min(self.size, self.initial + self.arrivals * max(day, 0))

    def prioritise(self, score: np.ndarray) -> None:
        """Contact the highest-scoring candidates first within each arrival (ties keep the random order)."""
        bounds = [0, self.initial, *range(self.initial + self.arrivals, self.size + 1, max(self.arrivals, 1))]
        order = self.order.copy()
        for lo, hi in itertools.pairwise(bounds):
            block = order[lo:hi]
            order[lo:hi] = block[np.argsort(-score[block], kind="stable")]
        self.order = order
        self._cursor = {"inmail": 0, "email": 0}

    def peek(self, channel: str, day: int) -> int | None:
        """The next candidate this channel would contact on `day`, without taking them."""
        i = self._cursor[channel]
        order, contacted = self.order, self.contacted
        end = self.available(day)
        while i < end:
            c = int(order[i])
            if not contacted[c] and (channel != "email" or self.known_email[c]):
                self._cursor[channel] = i
                return c
            i += 1
        self._cursor[channel] = i
        return None

    def take(self, candidate: int) -> None:
        self.contacted[candidate] = True
