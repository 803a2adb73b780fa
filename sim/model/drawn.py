"""Per-candidate columns drawn block by block as the run reaches them, so memory holds a window of the pool
rather than the whole of it.

A column is drawn from a stream of its own, in position order, a block at a time: numpy's generators give
the same values to k draws of n/k as to one draw of n, so the values at a position never depend on the block
size or on when they were drawn. Positions behind the pool's cursors are released a block at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

BLOCK = 1 << 16
"""Candidates drawn at a time (a day of a 1,000-seat team is about 50,000 sends)."""


class Drawn:
    """One per-candidate column: `draw(k)` gives the next k values; indexing (a position, a slice, an array of
    positions) draws up to the furthest position asked. Positions released are gone: asking for one fails."""

    def __init__(self, draw: Callable[[int], np.ndarray], size: int, block: int = BLOCK) -> None:
        self._draw = draw
        self.size = size
        self.block = block
        self._low = 0  # the first position held
        self._values: np.ndarray = draw(0)

    @property
    def held(self) -> int:
        """How many positions are in memory (for tests and the benchmark)."""
        return len(self._values)

    def _reach(self, end: int) -> None:
        """Hold every position below `end` (whole blocks, never past the pool)."""
        top = self._low + len(self._values)
        if end <= top:
            return
        if end > self.size:
            raise IndexError(f"position {end - 1} is past the pool of {self.size:,}")
        want = min(self.size, -(-end // self.block) * self.block)
        self._values = np.concatenate((self._values, self._draw(want - top)))

    def _offset(self, index: Any) -> Any:
        """`index` as offsets into the held values, having drawn what it reaches."""
        if isinstance(index, slice):
            start, stop, step = index.indices(self.size)
            if stop <= start:
                return slice(0, 0)
            self._reach(stop)
            self._check(start)
            return slice(start - self._low, stop - self._low, step)
        if isinstance(index, (int, np.integer)):
            self._reach(int(index) + 1)
            self._check(int(index))
            return int(index) - self._low
        positions = np.asarray(index)
        if positions.dtype == bool:
            raise TypeError("a column is indexed by positions, not by a mask")
        if positions.size:
            self._reach(int(positions.max()) + 1)
            self._check(int(positions.min()))
        return positions - self._low

    def _check(self, first: int) -> None:
        if first < self._low:
            raise IndexError(f"position {first} was released (the column holds {self._low:,} on)")

    def at(self, position: int) -> Any:
        """The value at one position (the scalar paths' fast form of indexing)."""
        offset = position - self._low
        if 0 <= offset < len(self._values):
            return self._values[offset]
        return self[position]

    def __getitem__(self, index: Any) -> Any:
        offset = self._offset(index)  # first: it may draw more, replacing the held values
        return self._values[offset]

    def __setitem__(self, index: Any, value: Any) -> None:
        offset = self._offset(index)
        self._values[offset] = value

    def release(self, before: int) -> None:
        """Free the whole blocks below position `before` (the run never asks for them again)."""
        drop = (min(before, self._low + len(self._values)) - self._low) // self.block * self.block
        if drop > 0:
            self._values = self._values[drop:].copy()
            self._low += drop


def uniform(rng: np.random.Generator) -> Callable[[int], np.ndarray]:
    """Draws of uniforms on [0, 1) from `rng`."""
    return rng.random


def below(rng: np.random.Generator, share: float) -> Callable[[int], np.ndarray]:
    """Draws of `uniform < share`: True for a `share` of candidates."""
    return lambda k: rng.random(k) < share


def zeros(dtype: Any) -> Callable[[int], np.ndarray]:
    """A column that starts at zero (False) everywhere, drawing nothing."""
    return lambda k: np.zeros(k, dtype=dtype)
