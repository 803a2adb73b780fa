"""What a planner asks first, in plain words computed from a run's KPIs: when the credits run out, how much
the response-rate rule and the other limits block, whether the candidate pool ran out (with what to do).

The rule values in the sentences (the threshold) and the dates come from the caller, who reads them from
the resolved rules and the scenario's start: nothing here states a rule value of its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from .kpis import format_value

Summary = Mapping[str, Mapping[str, Any]]
_LIMITS = (
    ("sends_blocked_daily_limit", "the daily limit"),
    ("sends_blocked_first_week_limit", "the first-week limit"),
    ("sends_blocked_seat_credit_limit", "the seats' monthly credit limit"),
)


@dataclass(frozen=True)
class Context:
    """What the sentences need beside the KPIs: the start date, the response-rate threshold, the population."""

    start: date | str | None = None
    threshold: float | None = None
    population: int | None = None
    replications: int | None = None


def _mean(summary: Summary, kpi: str) -> float:
    s = summary.get(kpi) or {}
    m = s.get("mean")
    return float(m) if m is not None and math.isfinite(float(m)) else 0.0


def _n(summary: Summary, kpi: str) -> int:
    return int((summary.get(kpi) or {}).get("n") or 0)


def _share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole > 0 else "n/a"


def _when(summary: Summary, kpi: str, ctx: Context) -> str:
    """ "on 22 Jan 2026" (and in how many replications, when not in all)."""
    s = summary.get(kpi) or {}
    if s.get("mean") is None:
        return ""
    text = f"on {format_value(kpi, s['mean'], ctx.start)}"
    n, total = _n(summary, kpi), ctx.replications
    if total and n < total:
        text += f" (in {n} of {total} replications)"
    elif total and total > 1:
        text += " (mean over replications)"
    return text


def attempted_sends(summary: Summary) -> float:
    """InMails sent plus every send refused or not made (what the team tried to send)."""
    blocked = sum(_mean(summary, k) for k in summary if k.startswith("sends_blocked_"))
    return _mean(summary, "inmails_sent") + _mean(summary, "emails_sent") + blocked


def verdict(summary: Summary, ctx: Context = Context()) -> list[str]:
    """The verdict, a sentence per finding, most binding first."""
    tried = attempted_sends(summary)
    lines: list[str] = []
    no_credit = _mean(summary, "sends_blocked_no_credit")
    if no_credit > 0:
        lines.append(
            f"Credits run out {_when(summary, 'first_day_out_of_credit', ctx)}: "
            f"{format_value('days_out_of_credit', _mean(summary, 'days_out_of_credit'))} days without credit, "
            f"{format_value('sends_blocked_no_credit', no_credit)} sends refused ({_share(no_credit, tried)} of "
            "the sends tried)."
        )
    policy = _mean(summary, "sends_blocked_policy_restricted")
    if policy > 0:
        rule = f"the {ctx.threshold:.0%} response-rate rule" if ctx.threshold is not None else "the response-rate rule"
        lines.append(
            f"From {_when(summary, 'first_day_policy_restricted', ctx).removeprefix('on ')}, {rule} blocks "
            f"{_share(policy, tried)} of sends ({format_value('sends_blocked_policy_restricted', policy)} sends; "
            f"{format_value('restricted_seat_days', _mean(summary, 'restricted_seat_days'))} seat-days with bulk "
            "sending off)."
        )
    for kpi, words in _LIMITS:
        blocked = _mean(summary, kpi)
        if blocked > 0:
            lines.append(f"{words[:1].upper()}{words[1:]} refuses {format_value(kpi, blocked)} sends "
                         f"({_share(blocked, tried)} of the sends tried).")  # fmt: skip
    lines.extend(candidate_warning(summary, ctx))
    if not lines:
        lines.append("No send was refused: credits, limits and the candidate pool held over the whole horizon.")
    rate = summary.get("response_rate") or {}
    if rate.get("mean") is not None:
        text = f"Response rate {format_value('response_rate', rate['mean'])}"
        if rate.get("ci_low") is not None and rate.get("ci_high") is not None:
            text += (
                f" (95% CI {format_value('response_rate', rate['ci_low'])} to "
                f"{format_value('response_rate', rate['ci_high'])})"
            )
        cost = (summary.get("credits_per_response") or {}).get("mean")
        if cost is not None and math.isfinite(float(cost)):
            text += f"; each response used {format_value('credits_per_response', cost)} credits net"
        lines.append(text + ".")
    return lines


def candidate_warning(summary: Summary, ctx: Context = Context()) -> list[str]:
    """A warning when the run exhausted its candidate pool, with how to choose `candidates.population`."""
    missed = _mean(summary, "sends_blocked_no_candidates")
    if missed <= 0:
        return []
    tried = attempted_sends(summary)
    now = f" (now {ctx.population:,})" if ctx.population else ""
    wanted = _mean(summary, "inmails_sent") + _mean(summary, "emails_sent") + missed
    return [
        f"Warning: the candidate pool runs out {_when(summary, 'first_day_out_of_candidates', ctx)}: "
        f"{format_value('sends_blocked_no_candidates', missed)} sends not made ({_share(missed, tried)} of the "
        f"sends tried), so later figures understate what the team would send. Set candidates.population{now} "
        f"to at least the messages the team tries to send over the horizon (about {wanted:,.0f} here), or more "
        "if the candidates a real team can reach are fewer."
    ]
