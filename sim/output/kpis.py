"""The KPI registry."""

from __future__ import annotations

import math
from collections.abc import Iterable

from ..model.reference import MessageCounts, ReplicationOutput
from ..rules import Movement, PolicyState

KPIS: tuple[str, ...] = (
    "inmails_sent",
    "free_messages_sent",
    "emails_sent",
    "follow_ups_sent",
    "responses",
    "accepted",
    "declined",
    "response_rate",
    "email_response_rate",
    "credits_granted",
    "credits_spent",
    "credits_refunded",
    "credits_expired",
    "credits_forfeited",
    "credit_balance_end",
    "refund_rate",
    "sends_blocked_no_credit",
    "sends_blocked_seat_credit_limit",
    "sends_blocked_daily_limit",
    "sends_blocked_first_week_limit",
    "sends_blocked_policy",
    "sends_blocked_no_candidates",
    "policy_warnings",
    "policy_restrictions",
    "restricted_seat_days",
    "credits_per_response",
)
HEADLINE: tuple[str, ...] = (
    "inmails_sent",
    "response_rate",
    "credits_spent",
    "credits_refunded",
    "refund_rate",
    "credits_per_response",
    "sends_blocked_no_credit",
    "sends_blocked_policy",
    "restricted_seat_days",
)
_RESTRICTED = list(PolicyState).index(PolicyState.RESTRICTED)
INMAIL_COSTS = ("credit", "open_profile")


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def replication_kpis(out: ReplicationOutput, response_kinds: Iterable[str]) -> dict[str, float]:
    """Every KPI of one replication, from its counters (`out.counts`, else counted from its message log)."""
    counts = out.counts if out.counts is not None else MessageCounts.of_log(out.messages)
    kinds = set(response_kinds)

    def total(cost: Iterable[str], outcome: Iterable[str] | None = None) -> int:
        costs = set(cost)
        return sum(
            n for (c, o), n in counts.by_cost_outcome.items() if c in costs and (outcome is None or o in outcome)
        )

    totals: dict[Movement, int] = {m: 0 for m in Movement}
    balance = 0
    warnings = restrictions = 0
    for account in out.accounts.values():
        for m, v in account.ledger.totals.items():
            totals[m] += v
        balance += account.ledger.balance
        for seat in account.seats.values():
            warnings += seat.policy.warnings
            restrictions += seat.policy.restrictions
    inmails = total(INMAIL_COSTS)
    emails = total(("none",))
    responses = total(INMAIL_COSTS, kinds)
    spent, refunded = totals[Movement.SPEND], totals[Movement.REFUND]
    k: dict[str, float] = {
        "inmails_sent": inmails,
        "free_messages_sent": total(("open_profile", "connection")),
        "emails_sent": emails,
        "follow_ups_sent": counts.follow_ups,
        "responses": responses,
        "accepted": total(INMAIL_COSTS, ("accepted",)),
        "declined": total(INMAIL_COSTS, ("declined",)),
        "response_rate": _ratio(responses, inmails),
        "email_response_rate": _ratio(total(("none",), kinds), emails),
        "credits_granted": totals[Movement.GRANT],
        "credits_spent": spent,
        "credits_refunded": refunded,
        "credits_expired": totals[Movement.EXPIRE],
        "credits_forfeited": totals[Movement.FORFEIT],
        "credit_balance_end": balance,
        "refund_rate": _ratio(refunded, spent),
        "sends_blocked_no_credit": int(out.blocked["no_credit"].sum()),
        "sends_blocked_seat_credit_limit": int(out.blocked["seat_credit_limit"].sum()),
        "sends_blocked_daily_limit": int(out.blocked["daily_limit"].sum()),
        "sends_blocked_first_week_limit": int(out.blocked["first_week_limit"].sum()),
        "sends_blocked_policy": int(out.blocked["policy_restricted"].sum()),
        "sends_blocked_no_candidates": int(out.blocked["no_candidates"].sum()),
        "policy_warnings": warnings,
        "policy_restrictions": restrictions,
        "restricted_seat_days": int((out.policy_state == _RESTRICTED).sum()),
        "credits_per_response": _ratio(spent - refunded, responses),
    }
    return {"replication": out.replication, **k}
