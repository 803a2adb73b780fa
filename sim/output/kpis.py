"""The KPI registry: each KPI's name, its computation from one replication, unit, plain-words definition,
headline flag, number format and range, in one place. Results, summary.json, the report, the figures,
compare, sweeps and the terminal all read it; a KPI from existing counters is one entry in `REGISTRY`.

Counts of InMails mean paid and Open Profile (free) InMails; a response is a reply to an InMail whose
outcome the preset's `response_kinds` count (replies to 1st-degree connection messages and to emails are
not responses to InMails: `free_messages_sent` and `email_response_rate` count those apart).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np

from ..model.reference import MessageCounts, ReplicationOutput
from ..rules import Movement, PolicyState, Rules

INMAIL_COSTS = ("credit", "open_profile")
_RESTRICTED = list(PolicyState).index(PolicyState.RESTRICTED)

Format = Literal["count", "share", "ratio", "day"]
Bounds = Literal["non_negative", "share"]


@dataclass(frozen=True)
class Counts:
    """What one replication counted, in the form the KPIs read it."""

    messages: Mapping[tuple[str, str], int]  # (cost, outcome) -> messages
    counts_as_response: Callable[[str], bool]  # the resolved rules' answer for an outcome
    follow_ups: int
    moved: Mapping[Movement, int]  # credits moved over the run, by kind
    balance_end: int
    blocked: Mapping[str, np.ndarray]  # reason -> sends refused on each day (summed over senders)
    policy_warnings: int
    policy_restrictions: int
    restricted_seat_days: int

    def sent(self, *costs: str) -> int:
        """Messages sent at these costs."""
        return sum(n for (c, _), n in self.messages.items() if c in costs)

    def answered(self, *costs: str, outcomes: Iterable[str] | None = None) -> int:
        """Messages at these costs whose outcome is one of `outcomes` (default: what counts as a response)."""
        counts = self.counts_as_response if outcomes is None else set(outcomes).__contains__
        return sum(n for (c, o), n in self.messages.items() if c in costs and counts(o))

    def refused(self, reason: str) -> int:
        return int(self.blocked[reason].sum())

    def first_day_refused(self, reason: str) -> float:
        """The first day (from the start, 0-based) on which a send was refused for `reason`; NaN if none."""
        days = np.flatnonzero(self.blocked[reason])
        return float(days[0]) if days.size else math.nan

    def days_refused(self, reason: str) -> int:
        return int(np.count_nonzero(self.blocked[reason]))


@dataclass(frozen=True)
class KPI:
    """One KPI: how it is computed from a replication's counts, and how people read it."""

    name: str
    compute: Callable[[Counts], float]
    unit: str  # what one unit of the value is, for axis labels
    words: str  # what it counts, in plain words (report, README)
    fmt: Format = "count"  # count: 12,440; share: 24.2%; ratio: 1.23; day: a date when the start is known
    bounds: Bounds = "non_negative"  # the range its confidence interval must respect
    headline: bool = False


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def _blocked(reason: str, words: str, headline: bool = False) -> KPI:
    return KPI(f"sends_blocked_{reason}", lambda c: c.refused(reason), "sends", f"sends refused: {words}",
               headline=headline)  # fmt: skip  # fmt: skip


# fmt: off
REGISTRY: tuple[KPI, ...] = (
    KPI("inmails_sent", lambda c: c.sent(*INMAIL_COSTS), "InMails", "InMails sent, paid and Open Profile (free) ones",
        headline=True),
    KPI("free_messages_sent", lambda c: c.sent("open_profile", "connection"), "messages",
        "messages that cost no credit: Open Profile InMails and messages to 1st-degree connections"),
    KPI("emails_sent", lambda c: c.sent("none"), "emails", "emails sent instead of InMails"),
    KPI("follow_ups_sent", lambda c: c.follow_ups, "follow-ups", "scheduled follow-ups sent before the horizon"),
    KPI("responses", lambda c: c.answered(*INMAIL_COSTS), "responses",
        "InMails answered with an outcome the preset counts as a response (not replies to connection messages "
        "or emails)"),
    KPI("accepted", lambda c: c.answered(*INMAIL_COSTS, outcomes=("accepted",)), "InMails", "InMails accepted"),
    KPI("declined", lambda c: c.answered(*INMAIL_COSTS, outcomes=("declined",)), "InMails", "InMails declined"),
    KPI("response_rate", lambda c: _ratio(c.answered(*INMAIL_COSTS), c.sent(*INMAIL_COSTS)), "share of InMails",
        "responses / InMails sent", fmt="share", bounds="share", headline=True),
    KPI("email_response_rate", lambda c: _ratio(c.answered("none"), c.sent("none")), "share of emails",
        "responses to emails / emails sent", fmt="share", bounds="share"),
    KPI("credits_granted", lambda c: c.moved[Movement.GRANT], "credits", "credits granted by the plan"),
    KPI("credits_spent", lambda c: c.moved[Movement.SPEND], "credits", "credits spent on InMails", headline=True),
    KPI("credits_refunded", lambda c: c.moved[Movement.REFUND], "credits", "credits given back by the refund rule",
        headline=True),
    KPI("credits_expired", lambda c: c.moved[Movement.EXPIRE], "credits", "credits that expired unused"),
    KPI("credits_forfeited", lambda c: c.moved[Movement.FORFEIT], "credits",
        "credits lost because the pool was at its cap"),
    KPI("credit_balance_end", lambda c: c.balance_end, "credits", "credits left in the pools at the end"),
    KPI("refund_rate", lambda c: _ratio(c.moved[Movement.REFUND], c.moved[Movement.SPEND]), "share of credits spent",
        "credits refunded / credits spent", fmt="share", bounds="share", headline=True),
    KPI("credits_per_response",
        lambda c: _ratio(c.moved[Movement.SPEND] - c.moved[Movement.REFUND], c.answered(*INMAIL_COSTS)),
        "credits per response", "(credits spent - refunded) / responses: what a response really used up",
        fmt="ratio", headline=True),
    _blocked("no_credit", "no credit left in the pool", headline=True),
    _blocked("seat_credit_limit", "the seat's monthly credit limit"),
    _blocked("daily_limit", "the seat's daily limit"),
    _blocked("first_week_limit", "a new seat's first-week limit"),
    _blocked("policy_restricted", "bulk sending off during an improvement period of the response-rate rule",
             headline=True),
    _blocked("no_candidates", "no candidate left to contact (the candidate pool ran out)", headline=True),
    KPI("first_day_out_of_credit", lambda c: c.first_day_refused("no_credit"), "day",
        "the first day a send was refused for lack of credit (mean over the replications where it happened)",
        fmt="day"),
    KPI("days_out_of_credit", lambda c: c.days_refused("no_credit"), "days",
        "days on which a send was refused for lack of credit"),
    KPI("first_day_out_of_candidates", lambda c: c.first_day_refused("no_candidates"), "day",
        "the first day a send was not made because no candidate was left (mean over the replications where it "
        "happened)", fmt="day"),
    KPI("first_day_policy_restricted", lambda c: c.first_day_refused("policy_restricted"), "day",
        "the first day a send was refused because bulk sending was off under the response-rate rule (mean over "
        "the replications where it happened)", fmt="day"),
    KPI("policy_warnings", lambda c: c.policy_warnings, "warnings", "response-rate warnings received (all seats)"),
    KPI("policy_restrictions", lambda c: c.policy_restrictions, "improvement periods",
        "improvement periods (bulk sending off) entered"),
    KPI("restricted_seat_days", lambda c: c.restricted_seat_days, "seat-days",
        "seat-days spent in an improvement period", headline=True),
)
# fmt: on
BY_NAME: dict[str, KPI] = {k.name: k for k in REGISTRY}
KPIS: tuple[str, ...] = tuple(BY_NAME)
HEADLINE: tuple[str, ...] = tuple(k.name for k in REGISTRY if k.headline)


def counts_of(out: ReplicationOutput, rules: Rules) -> Counts:
    """The counts of one replication (from `out.counts`, else counted from its message log)."""
    counts = out.counts if out.counts is not None else MessageCounts.of_log(out.messages)
    moved: dict[Movement, int] = {m: 0 for m in Movement}
    balance = warnings = restrictions = 0
    for account in out.accounts.values():
        for m, v in account.ledger.totals.items():
            moved[m] += v
        balance += account.ledger.balance
        for seat in account.seats.values():
            warnings += seat.policy.warnings
            restrictions += seat.policy.restrictions
    return Counts(
        messages=dict(counts.by_cost_outcome),
        counts_as_response=rules.counts_as_response,
        follow_ups=counts.follow_ups,
        moved=moved,
        balance_end=balance,
        blocked={reason: np.asarray(days).sum(axis=0) for reason, days in out.blocked.items()},
        policy_warnings=warnings,
        policy_restrictions=restrictions,
        restricted_seat_days=int((out.policy_state == _RESTRICTED).sum()),
    )


def replication_kpis(out: ReplicationOutput, rules: Rules) -> dict[str, float]:
    """Every KPI of one replication under its resolved `rules`, by name, after its replication number."""
    counts = counts_of(out, rules)
    return {"replication": out.replication, **{k.name: k.compute(counts) for k in REGISTRY}}


def day_date(day: float, start: date | str | None) -> str:
    """A day offset as a date ("22 Jan 2026") when the start is known, else "21 days after the start"."""
    if start is None:
        return f"{day:g} days after the start"
    first = start if isinstance(start, date) else date.fromisoformat(str(start))
    return f"{first + timedelta(days=math.floor(day)):%d %b %Y}"


def format_value(name: str, value: float | int | None, start: date | str | None = None) -> str:
    """A KPI value as people read it, by its registry format: 12,440; 24.2%; 1.23; a date (or "day 21")."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    kpi = BY_NAME.get(name)
    fmt = kpi.fmt if kpi is not None else "count"
    v = float(value)
    if fmt == "share":
        return f"{100 * v:.1f}%"
    if fmt == "ratio":
        return f"{v:.2f}"
    if fmt == "day":
        return day_date(v, start)
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:,.1f}" if abs(v) >= 10 else f"{v:.3g}"


def format_difference(name: str, value: float | None) -> str:
    """A difference of a KPI (B - A) in the KPI's units: shares in percentage points, days in days."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    kpi = BY_NAME.get(name)
    v = float(value)
    if kpi is not None and kpi.fmt == "share":
        return f"{100 * v:+.1f} pp"
    if kpi is not None and kpi.fmt == "ratio":
        return f"{v:+.2f}"
    if kpi is not None and kpi.fmt == "day":
        return f"{v:+,.1f} days"
    return f"{v:+,.0f}" if abs(v) >= 100 else f"{v:+,.3g}"
