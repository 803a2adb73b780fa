"""The response-rate rule's counts kept in the fast engine's [seat, day] arrays, so that the engine can count a
whole day's sends and responses at once and the rule (`ResponseRatePolicy`) reads its window from them."""

from __future__ import annotations

import numpy as np


class ArrayCounts:
    """`SendCounts` of one seat: row `row` of the engine's `sent` and `responded` [seat, day] arrays."""

    def __init__(self, sent: np.ndarray, responded: np.ndarray, row: int) -> None:
        self.sent = sent
        self.responded = responded
        self.row = row

    def add_sent(self, day: int, n: int) -> None:
        self.sent[self.row, day] += n

    def add_responded(self, sent_day: int, n: int) -> None:
        self.responded[self.row, sent_day] += n

    def window(self, start: int, stop: int) -> tuple[int, int]:
        lo = max(0, start)
        hi = max(lo, stop)
        return int(self.sent[self.row, lo:hi].sum()), int(self.responded[self.row, lo:hi].sum())
