"""The candidate population the whole team draws from, and who is contacted next."""

from __future__ import annotations

import numpy as np

from ..config.scenario import CandidatesSpec
from .streams import Streams


class Population:
    """Candidates' attributes as arrays, and the team's shared contact order.

    Recruiters take the next uncontacted candidate in `order`; email recruiters skip candidates without a
    known address. A candidate is never contacted twice in a run, whoever sends.
    """

    def __init__(self, spec: CandidatesSpec, streams: Streams) -> None:
        n = spec.population
        rng = streams["population"]
        shares = [spec.connections.first, spec.connections.second, spec.connections.third]
        self.size = n
        self.degree = rng.choice(np.array([1, 2, 3], dtype=np.int8), size=n, p=shares)
        self.open_profile = rng.random(n) < spec.open_profile_share
        self.known_email = rng.random(n) < spec.known_email_share
        order = streams["targeting"].permutation(n)
        self.order = order.astype(np.int32) if n < 2**31 else order  # half the memory for the usual sizes
        self.contacted = np.zeros(n, dtype=bool)
        self._cursor = {"inmail": 0, "email": 0}

    def prioritise(self, score: np.ndarray) -> None:
        """Contact the highest-scoring candidates first (ties keep the random order)."""
        self.order = self.order[np.argsort(-score[self.order], kind="stable")]
        self._cursor = {"inmail": 0, "email": 0}

    def peek(self, channel: str) -> int | None:
        """The next candidate this channel would contact, without taking them."""
        i = self._cursor[channel]
        order, contacted = self.order, self.contacted
        while i < self.size:
            c = int(order[i])
            if not contacted[c] and (channel != "email" or self.known_email[c]):
                self._cursor[channel] = i
                return c
            i += 1
        self._cursor[channel] = i
        return None

    def take(self, candidate: int) -> None:
        self.contacted[candidate] = True
