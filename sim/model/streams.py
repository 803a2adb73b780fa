"""Named random streams, one per source of randomness, spawned from one SeedSequence.

Replication r of any scenario with seed s draws stream `name` from SeedSequence(s, spawn_key=(r, id(name)))
where id is a stable checksum of the name: the same seed gives the same numbers on any executor, and two
scenarios run with the same seed share every stream whose use their inputs do not change (common random
numbers).
"""

from __future__ import annotations

import zlib

import numpy as np


def stream_key(name: str) -> int:
    """A stable number for a stream's name (its spawn key)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """The generators of one replication, created on first use."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication
        self._rngs: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        rng = self._rngs.get(name)
        if rng is None:
            seq = np.random.SeedSequence(self.seed, spawn_key=(self.replication, stream_key(name)))
            rng = self._rngs[name] = np.random.default_rng(seq)
        return rng
