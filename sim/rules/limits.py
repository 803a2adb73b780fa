"""Per-seat send limits: the daily limit and the new seat's first-week limit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from .calendar import Calendar
from .presets import Rules

NO_LIMIT = 2**62
"""The room a seat has when no limit binds (larger than any number of attempts)."""


class SeatLimits:
    """Counts one seat's InMails per calendar day and in its first week, and says when a limit is reached."""

    def __init__(self, rules: Rules, calendar: Calendar, activation_day: int) -> None:
        self.daily_limit = rules.daily_limit
        self.first_week_limit = rules.first_week_limit
        if rules.first_week_mode == "calendar_week":
            self.first_week_start = calendar.week_start(activation_day)
        else:
            self.first_week_start = activation_day
        self.first_week_end = self.first_week_start + 7
        self.activation_day = activation_day
        self.day = -1
        self.sent_today = 0
        self.sent_first_week = 0
        self.max_sent_in_a_day = 0

    def in_first_week(self, day: int) -> bool:
        return self.first_week_start <= day < self.first_week_end

    def _roll(self, day: int) -> None:
        if day != self.day:
            self.day = day
            self.sent_today = 0

    def daily_room(self, day: int) -> int:
        """InMails the seat may still send on `day` before the daily limit binds (NO_LIMIT: none)."""
        self._roll(day)
        return NO_LIMIT if self.daily_limit is None else self.daily_limit - self.sent_today

    def first_week_room(self, day: int) -> int:
        """InMails the seat may still send on `day` before its first-week limit binds (NO_LIMIT: none)."""
        if self.first_week_limit is None or not self.in_first_week(day):
            return NO_LIMIT
        return self.first_week_limit - self.sent_first_week

    def record(self, day: int, n: int = 1) -> None:
        """Count `n` InMails sent on `day`."""
        self._roll(day)
        self.sent_today += n
        self.max_sent_in_a_day = max(self.max_sent_in_a_day, self.sent_today)
        if self.in_first_week(day):
            self.sent_first_week += n

    def breaches(self) -> list[str]:
        """What this seat's record says broke a limit (empty: none): the invariant every engine checks."""
        found = []
        if self.daily_limit is not None and self.max_sent_in_a_day > self.daily_limit:
            found.append(f"{self.max_sent_in_a_day} InMails in a day")
        if self.first_week_limit is not None and self.sent_first_week > self.first_week_limit:
            found.append(f"{self.sent_first_week} InMails in its first week")
        return found


def over_daily_limit(rules: Rules, sent: int) -> int | None:
    """The daily limit when `sent` InMails in one day are past it (None: within it, or no limit)."""
    limit = rules.daily_limit
    return limit if limit is not None and sent > limit else None


def over_first_week_limit(
    rules: Rules, calendar: Calendar, activation_day: int, sent_by_day: Mapping[int, int]
) -> tuple[int, int] | None:
    """(InMails sent in the seat's first week, the limit) when a seat's past sends are past its first-week
    limit (None: within it, or no limit): a forecast state the rules could not have produced."""
    limits = SeatLimits(rules, calendar, activation_day)
    for day in sorted(sent_by_day):
        if limits.in_first_week(day):
            limits.record(day, sent_by_day[day])
    limit = limits.first_week_limit
    return (limits.sent_first_week, limit) if limit is not None and limits.sent_first_week > limit else None


def rooms_today(limits: Sequence[SeatLimits], day: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The batch form of `daily_room` and `first_week_room` for many seats' limits on `day` (NO_LIMIT where a
    limit is off), read from their counters at once."""
    if not limits:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    daily_limit, week_limit = limits[0].daily_limit, limits[0].first_week_limit
    if daily_limit is None:
        daily = np.full(len(limits), NO_LIMIT, dtype=np.int64)
    else:
        daily = np.asarray([daily_limit - (lim.sent_today if lim.day == day else 0) for lim in limits], np.int64)
    if week_limit is None:
        week = np.full(len(limits), NO_LIMIT, dtype=np.int64)
    else:
        week = np.asarray(
            [week_limit - lim.sent_first_week if lim.first_week_start <= day < lim.first_week_end else NO_LIMIT
             for lim in limits],
            np.int64,
        )  # fmt: skip
    return daily, week
