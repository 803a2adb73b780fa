"""A recruiter: works their workdays and hours, spreading the day's target of messages evenly."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import simpy

from ..config.scenario import TeamGroup
from ..rules import Account
from .behaviour import Message


@dataclass
class Recruiter:
    """One member of the team; `sender` indexes their rows in the daily tables."""

    sender: int
    group: TeamGroup
    account: Account | None  # None for email senders, who need no seat
    seat: int | None
    activation_day: int

    def message(self, sent_at: float, weekday: int, personalised: bool, bulk: bool) -> Message:
        """The message this recruiter sends at `sent_at`, as the behaviour model sees it."""
        g = self.group
        return Message(
            g.channel,
            sent_at,
            personalised,
            bulk,
            g.message_length,
            weekday,
            g.translated,
            g.looks_like_scam,
            None if g.channel == "email" else g.follow_up_after_days,
        )

    def works_on(self, day: int, weekday: int) -> bool:
        return day >= self.activation_day and any(w.number == weekday for w in self.group.workdays)

    def work(
        self,
        env: simpy.Environment,
        horizon: int,
        weekday_of: Callable[[int], int],
        attempt: Callable[[Recruiter, float], None],
    ) -> Generator[simpy.Event, Any, None]:
        """The SimPy process: on each workday, one send attempt at evenly spaced times within working hours."""
        target = self.group.daily_target
        if target == 0:
            return
        start, end = self.group.working_hours
        step = (end - start) / 24 / target
        for day in range(horizon):
            if not self.works_on(day, weekday_of(day)):
                continue
            first = day + start / 24 + step / 2
            for k in range(target):
                yield env.timeout(first + k * step - env.now)
                attempt(self, env.now)
