"""The response-rate rule's counts kept in the fast engine's [seat, day] arrays, so that the engine can count a
whole day's sends and responses at once and the rule (`ResponseRatePolicy`) reads its window from them."""

from __future__ import annotations

import numpy as np


class ArrayCounts:
    """`SendCounts` of one seat: row `row` of the engine's `sent` and `responded` [seat, day + offset] arrays
    (a forecast's state keeps its past days in the first `offset` columns)."""

    def __init__(self, sent: np.ndarray, responded: np.ndarray, row: int, offset: int = 0) -> None:
        self.sent = sent
        self.responded = responded
        self.row = row
        self.offset = offset

    def add_sent(self, day: int, n: int) -> None:
        self.sent[self.row, day + self.offset] += n

    def add_responded(self, sent_day: int, n: int) -> None:
        self.responded[self.row, sent_day + self.offset] += n

    def window(self, start: int, stop: int) -> tuple[int, int]:
        lo = max(0, start + self.offset)
        hi = max(lo, stop + self.offset)
        return int(self.sent[self.row, lo:hi].sum()), int(self.responded[self.row, lo:hi].sum())
