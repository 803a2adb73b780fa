"""The candidate population the whole team draws from, and who is contacted next."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable

import numpy as np

from ..config.scenario import CandidatesSpec, Scenario
from .drawn import BLOCK, Drawn, below, zeros
from .streams import Streams


def by_score(score: np.ndarray) -> np.ndarray:
    """The stable argsort of `score` descending (ties keep their order), as an unstable sort and then each run
    of tied scores put back in order: the same permutation as `np.argsort(-score, kind="stable")`, faster."""
    key = -score
    index = np.argsort(key)
    tied = key[index]
    tie = tied[1:] == tied[:-1]
    if tie.any():
        edges = np.diff(np.concatenate(([0], tie.astype(np.int8), [0])))
        for a, b in zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True):
            index[a : b + 1].sort()
    return index


def team_channels(scenario: Scenario) -> tuple[str, ...]:
    """The channels the scenario's team sends on (each keeps its own place in the contact order)."""
    return tuple(sorted({group.channel for group in scenario.team}))


class Population:
    """Candidates' attributes, and the team's shared contact order.

    Candidates are numbered in contact order: recruiters take the next uncontacted one; email recruiters skip
    candidates without a known address. A candidate is never contacted twice in a run, whoever sends. The pool
    refreshes when `arrivals_per_day` new candidates enter it each day after the first: they join the end of
    the contact order and can be contacted from the day they arrive. Attributes are drawn in blocks as the
    contact order reaches them (`Drawn`), and `release` frees the blocks every channel has passed. A behaviour
    model with fit scores reorders the pool (`prioritise`): then `order` maps positions to candidates and the
    pool is held whole.
    """

    def __init__(
        self,
        spec: CandidatesSpec,
        streams: Streams,
        horizon: int = 1,
        channels: Iterable[str] = ("inmail", "email"),
        block: int = BLOCK,
    ) -> None:
        self.initial = spec.population
        self.arrivals = spec.arrivals_per_day
        self.size = self.initial + self.arrivals * max(horizon - 1, 0)
        self.block = block
        self.channels = tuple(channels)
        self._columns: list[Drawn] = []
        shares = [spec.connections.first, spec.connections.second, spec.connections.third]
        degrees, degree = np.array([1, 2, 3], dtype=np.int8), streams["degree"]
        self.degree = self.column(lambda k: degree.choice(degrees, size=k, p=shares))
        self.open_profile = self.column(below(streams["open_profile"], spec.open_profile_share))
        self.known_email = self.column(below(streams["known_email"], spec.known_email_share))
        self.contacted = self.column(zeros(bool))
        self.order: np.ndarray | None = None  # None: position p is candidate p
        self._cursor = {"inmail": 0, "email": 0}

    def column(self, draw: Callable[[int], np.ndarray]) -> Drawn:
        """A per-candidate column of this pool (`draw(k)`: the next k values), released with it."""
        drawn = Drawn(draw, self.size, self.block)
        self._columns.append(drawn)
        return drawn

    def candidates(self, positions: slice | np.ndarray) -> np.ndarray:
        """The candidates at these positions of the contact order (int64)."""
        if self.order is not None:
            return self.order[positions].astype(np.int64)
        if isinstance(positions, slice):
            return np.arange(*positions.indices(self.size), dtype=np.int64)
        return np.asarray(positions, dtype=np.int64)

    def release(self) -> None:
        """Free the candidates every channel has passed (all contacted); a reordered pool keeps them all. The
        cursor of a channel nobody sends on moves up with them (`assign` reads from the lower cursor)."""
        if self.order is None and self.channels:
            floor = min(self._cursor[c] for c in self.channels)
            for channel, cursor in self._cursor.items():
                if channel not in self.channels:
                    self._cursor[channel] = max(cursor, floor)
            for drawn in self._columns:
                drawn.release(floor)

    def available(self, day: int) -> int:
        """How many candidates (a prefix of the contact order) are in the pool on `day`."""
        return min(self.size, self.initial + self.arrivals * max(day, 0))

    def prioritise(self, score: np.ndarray) -> None:
        """Contact the highest-scoring candidates first within each arrival (ties keep their numbers' order)."""
        bounds = [0, self.initial, *range(self.initial + self.arrivals, self.size + 1, max(self.arrivals, 1))]
        order = np.arange(self.size, dtype=np.int32 if self.size < 2**31 else np.int64)
        for lo, hi in itertools.pairwise(bounds):
            block = order[lo:hi]
            order[lo:hi] = block[by_score(score[block])]
        self.order = order
        self._cursor = {"inmail": 0, "email": 0}

    def peek(self, channel: str, day: int) -> int | None:
        """The next candidate this channel would contact on `day`, without taking them."""
        i = self._cursor[channel]
        order, contacted, known = self.order, self.contacted, self.known_email
        end = self.available(day)
        while i < end:
            c = i if order is None else int(order[i])
            if not contacted.at(c) and (channel != "email" or known.at(c)):
                self._cursor[channel] = i
                return c
            i += 1
        self._cursor[channel] = i
        return None

    def take(self, candidate: int) -> None:
        self.contacted[candidate] = True

    def assign(self, email: np.ndarray, day: int) -> np.ndarray | None:
        """The candidates of a sequence of sends in order on `day` (`email`: which are emails, the others
        InMails), as `peek` then `take` one send at a time would give them; None, having taken nothing, when the pool
        could run out on the way. Takes them (`commit`) only when asked.

        After `peek` on both channels, the contacted candidates are the positions of `order` before the
        InMail cursor i and the known-address ones before the email cursor e. So a run of r InMails takes
        the first r positions from i that are not known-address ones before e, and a run of r emails the
        first r known-address positions from max(i, e): a few numpy searches per run of one channel."""
        self.peek("inmail", day)
        self.peek("email", day)
        end = self.available(day)
        i, e = self._cursor["inmail"], self._cursor["email"]
        span = max(i, e) - min(i, e) + 2 * len(email) + 64
        while True:
            out = self._assign(email, i, e, min(span, end - min(i, e)))
            if out is not None or min(i, e) + span >= end:
                return out
            span *= 2  # the window of `order` looked at held too few known addresses

    def _assign(self, email: np.ndarray, i: int, e: int, span: int) -> np.ndarray | None:
        n = len(email)
        lo = min(i, e)
        known = self.known_email[self.candidates(slice(lo, lo + span))]
        k_cum = np.concatenate(([0], np.cumsum(known)))
        nk_cum = np.arange(len(k_cum)) - k_cum
        out = np.empty(n, dtype=np.int64)
        cuts = np.flatnonzero(email[1:] != email[:-1]) + 1
        starts, ends = ([0, *cuts.tolist()], [*cuts.tolist(), n]) if n else ([], [])
        limit = lo + len(known)
        for a, b in zip(starts, ends, strict=True):
            r = b - a
            s = max(i, e)
            if s - lo >= len(k_cum):
                return None
            if email[a]:
                m0 = int(k_cum[s - lo])
                if m0 + r > int(k_cum[-1]):
                    return None
                pos = np.searchsorted(k_cum, np.arange(m0 + 1, m0 + r + 1), side="left") - 1 + lo
                e = int(pos[-1]) + 1
            else:
                m0, free = int(nk_cum[i - lo]), int(nk_cum[s - lo] - nk_cum[i - lo])
                inside = min(r, free)
                pos = np.searchsorted(nk_cum, np.arange(m0 + 1, m0 + inside + 1), side="left") - 1 + lo
                if r > inside:
                    pos = np.concatenate((pos, np.arange(s, s + r - inside)))
                if not len(pos) or pos[-1] >= limit:
                    return None
                i = int(pos[-1]) + 1
            out[a:b] = pos
        self._assigned = (i, e)
        return out

    def commit(self, positions: np.ndarray) -> np.ndarray:
        """Take the candidates at these positions of `order` (as `assign` gave them); their ids."""
        candidates = self.candidates(positions)
        self.contacted[candidates] = True
        self._cursor["inmail"], self._cursor["email"] = self._assigned
        return candidates
