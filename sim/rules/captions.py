"""The resolved rules as presentation states them: the rule values a run's figures draw, and the rules in
words (the report's rules section, each plan's credits, the captions that name a window). This is the one
place outside the rule objects that reads a rule value for people, so an overridden value shows everywhere
and no caption restates a preset's number.

Every function takes a `Rules` or the resolved mapping a results folder records (`rules.resolved` of
scenario.resolved.yaml, possibly from an older version with keys missing): a value that is missing is said
as unknown, never replaced by a preset's. Sentences are plain text; `**word**` marks a word to emphasise."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .presets import Rules

RuleValues = Rules | Mapping[str, Any]
"""A rule set, or the resolved rules as a results folder records them."""


def _values(rules: RuleValues) -> Mapping[str, Any]:
    return rules.model_dump(mode="json") if isinstance(rules, Rules) else rules


# ------------------------------------------------------------------------------------------- numbers


def count_text(value: float | None, digits: int = 1) -> str:
    """A count or amount for people: thousands separators, few decimals ("n/a" when unknown)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    v = float(value)
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    if abs(v) >= 10:
        return f"{v:,.{digits}f}"
    return f"{v:.3g}"


def days_text(value: Any) -> str:
    """A span of days: "1 day", "7 days", "2.5 days" ("? days" when unknown)."""
    if value is None:
        return "? days"
    v = float(value)
    return f"{v:g} day{'' if v == 1 else 's'}"


def share_text(value: Any, digits: int = 1) -> str:
    """A share as a percentage ("n/a" when unknown)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{100 * float(value):.{digits}f}%"


# ------------------------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class FigureRules:
    """The rule values the run figures draw: the response-rate rule's minimum rate (`threshold`) and trailing
    window (`trailing_days`), and the refund windows (`refund_windows`, the time-to-response figure's lines).
    None (or no window) where the rules do not say."""

    threshold: float | None
    refund_windows: tuple[float, ...]
    trailing_days: float | None


def figure_rules(rules: RuleValues) -> FigureRules:
    """The rule values the run figures draw, from the resolved rules."""
    values = _values(rules)
    threshold = values.get("policy_threshold")
    window = values.get("refund_window_days")
    trailing = values.get("policy_window_days")
    return FigureRules(
        threshold=None if threshold is None else float(threshold),
        refund_windows=() if window is None else (float(window),),
        trailing_days=None if trailing is None else float(trailing),
    )


def refund_caption(rules: RuleValues) -> str:
    """The refund rule as the time-to-response caption says it ("" when the rules name no refund rule)."""
    values = _values(rules)
    window = values.get("refund_window_days")
    when = f"within {days_text(window)}" if window is not None else "within the refund window"
    if values.get("refund_rule") == "no_response":
        return f"Under this run's rules a credit comes back when no response arrives {when}."
    if values.get("refund_rule") == "response":
        return f"Under this run's rules a credit comes back when a response arrives {when}."
    return ""


def report_window_text(rules: RuleValues) -> str:
    """Which responses the InMail report (analytics.csv) shows, in a sentence; "" when the rules do not say
    (a results folder from before the report window was a rule value)."""
    values = _values(rules)
    if "report_window_days" not in values:
        return ""
    window = values["report_window_days"]
    if window is None:
        return "A response shows in the report whenever it came (these rules set no report window)."
    return (
        f"A response shows in the report only when it came within {days_text(window)} of sending, as on "
        "LinkedIn's own report; a later one stays pending there (the refund and response-rate rules still see it)."
    )


def trailing_window_text(rules: RuleValues) -> str:
    """The response-rate rule's window in words: "the trailing 14 days"."""
    window = _values(rules).get("policy_window_days")
    return f"the trailing {days_text(window)}" if window is not None else "the trailing window"


# --------------------------------------------------------------------------------------------- words


def _refund_sentences(values: Mapping[str, Any]) -> list[str]:
    window = values.get("refund_window_days")
    lines = []
    if values.get("refund_rule") == "no_response":
        lines.append(f"Refund: an InMail's credit comes back when it gets **no** response within {days_text(window)}.")
    elif values.get("refund_rule") == "response":
        lines.append(f"Refund: an InMail's credit comes back when it **gets** a response within {days_text(window)}.")
    kinds = ", ".join(str(k).replace("_", " ") for k in values.get("response_kinds") or [])
    if kinds:
        lines.append(f"A response is: {kinds}.")
    return lines


def _policy_sentence(values: Mapping[str, Any]) -> str:
    return (
        f"Response-rate rule: a seat that sent {count_text(values.get('policy_min_sent'))} or more InMails "
        f"in the trailing {days_text(values.get('policy_window_days'))} must keep its responses so far "
        f"at or above {share_text(values['policy_threshold'], 0)} of them; below it: a "
        f"{days_text(values.get('policy_warning_days'))} warning, a re-check "
        f"{days_text(values.get('policy_recheck_days'))} later, then "
        f"{days_text(values.get('policy_restricted_days'))} improvement periods with bulk sending off "
        f"({count_text(values.get('policy_restricted_daily_allowance'))} one-to-one InMails a day)."
    )


def _limits_sentence(values: Mapping[str, Any]) -> str:
    limits = []
    daily = values.get("daily_limit")
    limits.append(f"{count_text(daily)} InMails per seat per day" if daily is not None else "no daily limit")
    week = values.get("first_week_limit")
    calendar = values.get("first_week_mode") == "calendar_week"
    mode = "first calendar week" if calendar else "first week from activation"
    limits.append(f"{count_text(week)} in a new seat's {mode}" if week is not None else "no first-week limit")
    if values.get("seat_monthly_limit") is not None:
        limits.append(f"{count_text(values['seat_monthly_limit'])} credits per seat a month (admin limit)")
    return "Limits: " + "; ".join(limits) + "."


def _free_sentences(values: Mapping[str, Any]) -> list[str]:
    free = ["messages to 1st-degree connections" if values.get("first_degree_free") else ""]
    if values.get("open_profile_free"):
        allowance = values.get("open_profile_monthly_allowance")
        free.append(
            "InMails to Open Profile members"
            + (f" (up to {count_text(allowance)} per seat a month)" if allowance is not None else "")
        )
    free = [f for f in free if f]
    return ["Free of credit: " + " and ".join(free) + "."] if free else []


def rule_sentences(rules: RuleValues) -> list[str]:
    """The rules that matter most, a sentence each: the refund rule and what counts as a response, the
    response-rate rule, the send limits and what is free of credit. Nothing for an empty mapping."""
    values = _values(rules)
    if not values:
        return []
    lines = _refund_sentences(values)
    if "policy_threshold" in values:
        lines.append(_policy_sentence(values))
    lines.append(_limits_sentence(values))
    return lines + _free_sentences(values)


def plan_credit_text(plan_name: str, seats: int, rules: RuleValues) -> str:
    """What a plan of `seats` seats grants, in clauses that follow the account's name ("; 150 credits per seat
    a month, pooled: ..."): how many credits, when they arrive, the cap and the expiry. "" for a plan the rules
    do not define or that grants no credits."""
    values = _values(rules)
    plans = values.get("plans") or {}
    aliases = values.get("plan_aliases") or {}
    plan = plans.get(aliases.get(plan_name, plan_name)) or {}
    monthly = plan.get("monthly_credits")
    if monthly is None:
        return ""
    if plan.get("per_seat"):
        text = (
            f"; {count_text(monthly)} credits per seat a month, pooled: all seats spend from one pool "
            f"({count_text(monthly * seats)} credits a month)"
        )
    else:
        text = f"; {count_text(monthly)} credits a month for the account holder"
    grant = plan.get("grant_day")
    if grant == "first_of_month":
        text += ", granted on the 1st of each month"
    elif grant == "anniversary":
        text += ", granted on the contract's monthly anniversary"
    cap = plan.get("cap_months")
    total = monthly * (seats if plan.get("per_seat") else 1)
    if cap:
        text += (
            f"; the balance is capped at {cap:g} months of grants ({count_text(cap * total)} credits), "
            "what the cap cannot hold is forfeited"
        )
    if plan.get("batch_expiry_days"):
        text += f"; each month's credits expire {days_text(plan['batch_expiry_days'])} after they arrive"
    return text
