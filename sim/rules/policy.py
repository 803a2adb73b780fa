"""The response-rate rule (the "13% rule") as an explicit per-seat state machine.

A seat that sent at least `policy_min_sent` InMails in the trailing `policy_window_days` and whose responses
so far over those InMails fall below `policy_threshold` gets a warning; when the warning ends and the
re-check delay has passed the rate is judged again: still low gives an improvement period with bulk sending
off (a small one-to-one allowance per day), repeated while the rate stays low; otherwise the seat is ok.
"""

from __future__ import annotations

from collections import defaultdict
from enum import StrEnum

from .presets import Rules


class PolicyState(StrEnum):
    OK = "ok"
    WARNING = "warning"
    GRACE = "grace"  # warning over, waiting for the re-check
    RESTRICTED = "restricted"  # improvement period: bulk off, one-to-one allowance only


class ResponseRatePolicy:
    """One seat's response-rate state; `evaluate(day)` is called once at the start of every day."""

    def __init__(self, rules: Rules) -> None:
        self.threshold = rules.policy_threshold
        self.min_sent = rules.policy_min_sent
        self.window = rules.policy_window_days
        self.warning_days = rules.policy_warning_days
        self.recheck_days = rules.policy_recheck_days
        self.restricted_days = rules.policy_restricted_days
        self.allowance = rules.policy_restricted_daily_allowance
        self.state = PolicyState.OK
        self.until = 0
        self.warnings = 0
        self.restrictions = 0
        self.sent_by_day: defaultdict[int, int] = defaultdict(int)
        self.responded_by_day: defaultdict[int, int] = defaultdict(int)
        self._one_to_one_day = -1
        self._one_to_one_today = 0

    def record_send(self, day: int, bulk: bool) -> None:
        self.sent_by_day[day] += 1
        if self.state is PolicyState.RESTRICTED and not bulk:
            if day != self._one_to_one_day:
                self._one_to_one_day, self._one_to_one_today = day, 0
            self._one_to_one_today += 1

    def record_response(self, sent_day: int) -> None:
        """A response arrived to an InMail this seat sent on `sent_day`."""
        self.responded_by_day[sent_day] += 1

    def window_counts(self, day: int) -> tuple[int, int]:
        """(sent, responded so far) over InMails sent in the `window` days before `day`."""
        days = range(day - self.window, day)
        return (sum(self.sent_by_day.get(d, 0) for d in days), sum(self.responded_by_day.get(d, 0) for d in days))

    def trailing_rate(self, day: int) -> float | None:
        sent, responded = self.window_counts(day)
        return responded / sent if sent else None

    def is_low(self, day: int) -> bool:
        sent, responded = self.window_counts(day)
        # responded / sent, not threshold * sent: 0.07 * 100 is 7.000000000000001 in floating point, which
        # would judge a rate of exactly 7% below a 7% threshold; the quotient rounds like the threshold does
        return sent >= self.min_sent and responded / sent < self.threshold

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

    def _enter(self, state: PolicyState, until: int) -> None:
        self.state, self.until = state, until

    def allows(self, day: int, bulk: bool) -> bool:
        """Whether the state lets this seat send one more InMail of this kind on `day`."""
        if self.state is not PolicyState.RESTRICTED:
            return True
        if bulk:
            return False
        used = self._one_to_one_today if day == self._one_to_one_day else 0
        return used < self.allowance
