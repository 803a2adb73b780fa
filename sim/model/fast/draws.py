"""Random draws of the fast engine."""

from __future__ import annotations

import numpy as np


class Uniforms:
    """One random stream drawn in blocks: the same numbers, in the same order, as one draw at a time."""

    def __init__(self, rng: np.random.Generator, block: int = 1 << 16) -> None:
        self._rng = rng
        self._block = block
        self._buf = np.empty(0)
        self._pos = 0

    def peek(self, n: int) -> np.ndarray:
        if len(self._buf) - self._pos < n:
            self._buf = np.concatenate((self._buf[self._pos :], self._rng.random(max(self._block, n))))
            self._pos = 0
        return self._buf[self._pos : self._pos + n]

    def consume(self, n: int) -> None:
        self._pos += n

    def take2(self) -> tuple[float, float]:
        u = self.peek(2)
        self._pos += 2
        return float(u[0]), float(u[1])

