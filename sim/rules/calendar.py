"""Simulated time in days from a real start date, so months, weekdays and calendar weeks are real."""

from __future__ import annotations

import calendar as _cal
import functools
import math
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Calendar:
    """Maps simulated time (float days since `start`, midnight) to dates and back."""

    start: date

    def day(self, t: float) -> int:
        """Index of the calendar day holding time `t`."""
        return math.floor(t)

    def date_of(self, t: float) -> date:
        return self.start + timedelta(days=self.day(t))

    def day_of(self, d: date) -> int:
        return (d - self.start).days

    def weekday(self, t: float) -> int:
        """Monday is 0, Sunday 6."""
        return self.date_of(t).weekday()

    def week_start(self, day: int) -> int:
        """Day index of the Monday that starts the calendar week holding `day`."""
        return day - self.date_of(day).weekday()

    def month_start(self, day: int) -> int:
        """Day index of the 1st of the month holding `day`."""
        return _month_start(self.start, day)

    def grant_days(self, anchor: date, first_of_month: bool, horizon_days: float) -> list[int]:
        """Days on which a monthly grant arrives: the anchor day, then each month on the anchor's
        day of month (clamped to the month's length) or on each 1st; only days in [0, horizon)."""
        days: list[int] = []
        year, month = anchor.year, anchor.month
        first = self.day_of(anchor)
        if 0 <= first < horizon_days:
            days.append(first)
        while True:
            month += 1
            if month > 12:
                year, month = year + 1, 1
            dom = 1 if first_of_month else min(anchor.day, _cal.monthrange(year, month)[1])
            day = self.day_of(date(year, month, dom))
            if day >= horizon_days:
                return days
            if day >= 0:
                days.append(day)


@functools.lru_cache(maxsize=1 << 16)
def _month_start(start: date, day: int) -> int:
    """`Calendar.month_start`, remembered: the rules ask it for every seat every day."""
    return day - ((start + timedelta(days=day)).day - 1)
