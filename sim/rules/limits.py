"""Per-seat send limits: the daily limit and the new seat's first-week limit."""

from __future__ import annotations

from .calendar import Calendar
from .presets import Rules


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

    def daily_reached(self, day: int) -> bool:
        self._roll(day)
        return self.daily_limit is not None and self.sent_today >= self.daily_limit

    def first_week_reached(self, day: int) -> bool:
        return (
            self.first_week_limit is not None
            and self.in_first_week(day)
            and self.sent_first_week >= self.first_week_limit
        )

    def record(self, day: int) -> None:
        """Count one InMail sent on `day`."""
        self._roll(day)
        self.sent_today += 1
        self.max_sent_in_a_day = max(self.max_sent_in_a_day, self.sent_today)
        if self.in_first_week(day):
            self.sent_first_week += 1
