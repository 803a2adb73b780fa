"""The response-rate rule with its per-day counts kept in the fast engine's [seat, day] arrays."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ...rules import ResponseRatePolicy, Rules


class ArrayPolicy(ResponseRatePolicy):
    """The response-rate rule, its counts kept in the engine's [seat, day] arrays so that the engine can
    count a whole day at once; the state machine is the rule's own."""

    def __init__(self, rules: Rules, sent: np.ndarray, responded: np.ndarray, row: int) -> None:
        super().__init__(rules)
        self._sent = sent
        self._responded = responded
        self._row = row

    def record_send(self, day: int, bulk: bool) -> None:
        super().record_send(day, bulk)
        self._sent[self._row, day] += 1

    def record_response(self, sent_day: int) -> None:
        super().record_response(sent_day)
        self._responded[self._row, sent_day] += 1

    def window_counts(self, day: int) -> tuple[int, int]:
        lo = max(0, day - self.window)
        hi = max(lo, day)
        return int(self._sent[self._row, lo:hi].sum()), int(self._responded[self._row, lo:hi].sum())

    def sync(self) -> None:
        """Fill the rule's own per-day counts from the arrays (for readers of the finished run)."""
        for name, array in (("sent_by_day", self._sent), ("responded_by_day", self._responded)):
            counts: defaultdict[int, int] = defaultdict(int)
            row = array[self._row]
            for day in np.flatnonzero(row).tolist():
                counts[day] = int(row[day])
            setattr(self, name, counts)
