"""The response-rate rule (the "13% rule") as an explicit per-seat state machine.

A seat that sent at least `policy_min_sent` InMails in the trailing `policy_window_days` and whose responses
so far over those InMails fall below `policy_threshold` gets a warning; when the warning ends and the
re-check delay has passed the rate is judged again: still low gives an improvement period with bulk sending
off (a small one-to-one allowance per day), repeated while the rate stays low; otherwise the seat is ok.
"""

from __future__ import annotations

from collections import defaultdict
from enum import StrEnum
from typing import Protocol

import numpy as np
import numpy.typing as npt

from .presets import Rules


class PolicyState(StrEnum):
    OK = "ok"
    WARNING = "warning"
    GRACE = "grace"  # warning over, waiting for the re-check
    RESTRICTED = "restricted"  # improvement period: bulk off, one-to-one allowance only


class SendCounts(Protocol):
    """Where a seat's InMails sent and responses received are counted by the day they were sent."""

    def add_sent(self, day: int, n: int) -> None: ...

    def add_responded(self, sent_day: int, n: int) -> None: ...

    def window(self, start: int, stop: int) -> tuple[int, int]:
        """(sent, responded) over InMails sent on days start, ..., stop - 1."""
        ...


class DayCounts:
    """`SendCounts` in dictionaries by day (the default)."""

    def __init__(self) -> None:
        self.sent_by_day: defaultdict[int, int] = defaultdict(int)
        self.responded_by_day: defaultdict[int, int] = defaultdict(int)

    def add_sent(self, day: int, n: int) -> None:
        self.sent_by_day[day] += n

    def add_responded(self, sent_day: int, n: int) -> None:
        self.responded_by_day[sent_day] += n

    def window(self, start: int, stop: int) -> tuple[int, int]:
        days = range(start, stop)
        return sum(self.sent_by_day.get(d, 0) for d in days), sum(self.responded_by_day.get(d, 0) for d in days)


def window_end(rules: Rules, day: int) -> int:
    """The day after the last day of the trailing window judged at the start of `day`: `day` itself when the
    rule reads the responses so far, `policy_maturity_days` earlier when it reads matured InMails only."""
    return day - (rules.policy_maturity_days if rules.policy_reading == "matured" else 0)


def window_start(rules: Rules, day: int) -> int:
    """The first day of the trailing window of `policy_window_days` days judged at the start of `day`."""
    return window_end(rules, day) - rules.policy_window_days


def rate_is_low(rules: Rules, sent: int, responded: int) -> bool:
    """The 13% rule's test: enough InMails in the window and a response rate below the threshold."""
    # responded / sent, not threshold * sent: 0.07 * 100 is 7.000000000000001 in floating point, which
    # would judge a rate of exactly 7% below a 7% threshold; the quotient rounds like the threshold does
    return sent >= rules.policy_min_sent and responded / sent < rules.policy_threshold


def rates_are_low(rules: Rules, sent: npt.NDArray[np.int64], responded: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """`rate_is_low` for arrays of seats."""
    with np.errstate(invalid="ignore", divide="ignore"):
        low: npt.NDArray[np.bool_] = (sent >= rules.policy_min_sent) & (
            responded / np.maximum(sent, 1) < rules.policy_threshold
        )
    return low


def trailing_rates(sent: npt.NDArray[np.int64], responded: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """Trailing response rates of arrays of seats (NaN where nothing was sent), as `trailing_rate`."""
    with np.errstate(invalid="ignore", divide="ignore"):
        rate: npt.NDArray[np.float64] = np.where(sent > 0, responded / np.maximum(sent, 1), np.nan)
    return rate


def state_days(rules: Rules, state: PolicyState) -> int:
    """How long a state lasts once entered, in days (ok: 0, it lasts until the rate is low)."""
    return {
        PolicyState.OK: 0,
        PolicyState.WARNING: rules.policy_warning_days,
        PolicyState.GRACE: rules.policy_recheck_days,
        PolicyState.RESTRICTED: rules.policy_restricted_days,
    }[state]


class ResponseRatePolicy:
    """One seat's response-rate state; `evaluate(day)` is called once at the start of every day. Its counts
    live in `counts` (a `SendCounts`; by default dictionaries by day)."""

    def __init__(self, rules: Rules, counts: SendCounts | None = None) -> None:
        self.rules = rules
        self.warning_days = rules.policy_warning_days
        self.recheck_days = rules.policy_recheck_days
        self.restricted_days = rules.policy_restricted_days
        self.allowance = rules.policy_restricted_daily_allowance
        self.state = PolicyState.OK
        self.until = 0
        self.warnings = 0
        self.restrictions = 0
        self.counts: SendCounts = DayCounts() if counts is None else counts
        self._one_to_one_day = -1
        self._one_to_one_today = 0

    def record_send(self, day: int, bulk: bool) -> None:
        self.record_sends(day, 1, one_to_one=0 if bulk else 1)

    def record_sends(self, day: int, n: int, one_to_one: int) -> None:
        """`n` InMails sent on `day`, `one_to_one` of them not in bulk (what an improvement period allows)."""
        self.counts.add_sent(day, n)
        if self.state is PolicyState.RESTRICTED and one_to_one:
            if day != self._one_to_one_day:
                self._one_to_one_day, self._one_to_one_today = day, 0
            self._one_to_one_today += one_to_one

    def record_response(self, sent_day: int) -> None:
        """A response arrived to an InMail this seat sent on `sent_day`."""
        self.counts.add_responded(sent_day, 1)

    def window_counts(self, day: int) -> tuple[int, int]:
        """(sent, responded so far) over the InMails of the trailing window judged at `day` (`window_start`)."""
        return self.counts.window(window_start(self.rules, day), window_end(self.rules, day))

    def trailing_rate(self, day: int) -> float | None:
        sent, responded = self.window_counts(day)
        return responded / sent if sent else None

    def is_low(self, day: int) -> bool:
        sent, responded = self.window_counts(day)
        return rate_is_low(self.rules, sent, responded)

    def evaluate(self, day: int) -> PolicyState:
        """Move the state machine to the start of `day` and return the state in force that day."""
        state = self.state
        if state is PolicyState.OK:
            if self.is_low(day):
                self._enter(PolicyState.WARNING, day + self.warning_days)
                self.warnings += 1
        elif day >= self.until:
            if state is PolicyState.WARNING:
                self._enter(PolicyState.GRACE, day + self.recheck_days)
                if self.recheck_days == 0:
                    return self.evaluate(day)
            elif self.is_low(day):
                self._enter(PolicyState.RESTRICTED, day + self.restricted_days)
                self.restrictions += 1
            else:
                self._enter(PolicyState.OK, day)
        return self.state

    def resume(self, state: PolicyState, since: int) -> None:
        """Take up a state entered on day `since` (a forecast's state): it lasts as long as `evaluate` makes it."""
        self._enter(state, since + state_days(self.rules, state))

    def since(self) -> int | None:
        """The day the state in force began (None when ok): what a forecast's state records."""
        if self.state is PolicyState.OK:
            return None
        return self.until - state_days(self.rules, self.state)

    def _enter(self, state: PolicyState, until: int) -> None:
        self.state, self.until = state, until

    def one_to_one_room(self, day: int) -> int:
        """One-to-one InMails a restricted seat may still send on `day` (its allowance less those sent)."""
        used = self._one_to_one_today if day == self._one_to_one_day else 0
        return self.allowance - used

    def allows(self, day: int, bulk: bool) -> bool:
        """Whether the state lets this seat send one more InMail of this kind on `day`."""
        if self.state is not PolicyState.RESTRICTED:
            return True
        return not bulk and self.one_to_one_room(day) > 0
