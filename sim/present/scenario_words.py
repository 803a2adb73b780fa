"""A scenario in plain words, as the report's first section tells it: the horizon, each account's plan and
credits, the team, the rules, the candidates, the behaviour model and the replications."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from .words import _days, _esc, _num, _pct, _plural

PRESET_WORDS = {
    "seed": "the rules of the source text",
    "linkedin-current": "the rules of LinkedIn's public help pages today",
}
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def describe_delay(spec: Any) -> str:
    """A random delay (`{dist: lognormal, median_days: 1, sigma: 1}`) in words."""
    if not isinstance(spec, Mapping):
        return str(spec)
    dist = str(spec.get("dist", "?"))
    rest = {k: v for k, v in spec.items() if k != "dist"}
    if dist == "exponential" and "mean_days" in rest:
        return f"exponential, mean {_days(rest['mean_days'])}"
    if dist == "lognormal" and "median_days" in rest:
        return f"lognormal, median {_days(rest['median_days'])}, sigma {rest.get('sigma', '?')}"
    if dist == "fixed" and "days" in rest:
        return f"always {_days(rest['days'])}"
    if dist == "empirical" and "values" in rest:
        values = list(rest["values"])
        shown = ", ".join(f"{v:g}" if isinstance(v, int | float) else str(v) for v in values[:6])
        return f"drawn from {len(values)} observed values ({shown}{', ...' if len(values) > 6 else ''}) days"
    parts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in rest.items())
    return f"{dist}{', ' + parts if parts else ''}"


def _workdays(days: Sequence[str]) -> str:
    names = [str(d).lower() for d in days]
    idx = sorted(WEEKDAYS.index(d) for d in names if d in WEEKDAYS)
    if idx and idx == list(range(idx[0], idx[-1] + 1)) and len(idx) > 2:
        return f"{WEEKDAYS[idx[0]].title()} to {WEEKDAYS[idx[-1]].title()}"
    return ", ".join(n.title() for n in names) or "no day"


def _hours(hours: Any) -> str:
    try:
        start, end = (float(h) for h in hours)
    except (TypeError, ValueError):
        return str(hours)
    return f"{int(start):02d}:{round(start % 1 * 60):02d} to {int(end):02d}:{round(end % 1 * 60):02d}"


def describe_plan(account: Mapping[str, Any], rules: Mapping[str, Any]) -> str:
    """One account in words: plan, seats, credits, how long they last, when seats start."""
    plan_name = str(account.get("plan", "?"))
    plans = rules.get("plans") or {}
    aliases = rules.get("plan_aliases") or {}
    plan = plans.get(aliases.get(plan_name, plan_name)) or {}
    seats = int(account.get("seats", 1))
    name = account.get("name", "account")
    text = f"<b>{_esc(name)}</b>: a <b>{_esc(plan_name.replace('_', ' '))}</b> plan with {_plural(seats, 'seat')}"
    monthly = plan.get("monthly_credits")
    if monthly is not None:
        if plan.get("per_seat"):
            text += (
                f"; {_num(monthly)} credits per seat a month, pooled: all seats spend from one pool "
                f"({_num(monthly * seats)} credits a month)"
            )
        else:
            text += f"; {_num(monthly)} credits a month for the account holder"
        grant = plan.get("grant_day")
        if grant == "first_of_month":
            text += ", granted on the 1st of each month"
        elif grant == "anniversary":
            text += ", granted on the contract's monthly anniversary"
        cap = plan.get("cap_months")
        total = monthly * (seats if plan.get("per_seat") else 1)
        if cap:
            text += (
                f"; the balance is capped at {cap:g} months of grants ({_num(cap * total)} credits), "
                "what the cap cannot hold is forfeited"
            )
        if plan.get("batch_expiry_days"):
            text += f"; each month's credits expire {_days(plan['batch_expiry_days'])} after they arrive"
    activation = account.get("activation_days")
    interval = account.get("onboarding_interval_days") or 0
    if activation:
        text += f"; seats start on days {', '.join(str(d) for d in activation)}"
    elif interval:
        text += f"; one new seat every {_days(interval)}"
    if account.get("start_day"):
        text += f"; the contract starts on day {account['start_day']}"
    return text + "."


def describe_team(group: Mapping[str, Any], first_account: str) -> str:
    """One team group in words."""
    count = int(group.get("count", 1))
    channel = group.get("channel", "inmail")
    what = "InMails" if channel == "inmail" else "emails (no credit)"
    text = (
        f"<b>{_esc(group.get('name', 'recruiters'))}</b>: {_plural(count, 'recruiter')} on "
        f"<i>{_esc(group.get('account') or first_account)}</i>, each aiming at "
        f"<b>{_num(group.get('daily_target', 0))} {what} per workday</b>"
    )
    extras = []
    if "workdays" in group:
        extras.append(_workdays(group["workdays"]))
    if "working_hours" in group:
        extras.append(_hours(group["working_hours"]))
    if extras:
        text += f" ({', '.join(extras)})"
    parts = []
    if "personalised_share" in group:
        parts.append(f"{_pct(group['personalised_share'], 0)} personalised")
    if "bulk_share" in group:
        parts.append(f"{_pct(group['bulk_share'], 0)} sent in bulk")
    if "message_length" in group:
        parts.append(f"{_num(group['message_length'])}-character messages")
    if parts:
        text += "; " + ", ".join(parts)
    return text + "."


def describe_rules(spec: Mapping[str, Any]) -> list[str]:
    """The rule preset, its overrides and the rules that matter most, in words."""
    name = str(spec.get("preset", "?"))
    resolved = spec.get("resolved") or {}
    overrides = spec.get("overrides") or {}
    lines = [f"Preset <b>{_esc(name)}</b> ({_esc(PRESET_WORDS.get(name, 'a custom preset'))})."]
    if overrides:
        shown = "; ".join(f"<code>{_esc(k)}</code> = {_esc(v)}" for k, v in _flatten(overrides).items())
        lines.append(f"Changed from the preset: {shown}.")
    else:
        lines.append("No rule changed from the preset.")
    if resolved:
        window = resolved.get("refund_window_days")
        kinds = ", ".join(str(k).replace("_", " ") for k in resolved.get("response_kinds") or [])
        if resolved.get("refund_rule") == "no_response":
            lines.append(
                f"Refund: an InMail's credit comes back when it gets <b>no</b> response within {_days(window)}."
            )
        elif resolved.get("refund_rule") == "response":
            lines.append(
                f"Refund: an InMail's credit comes back when it <b>gets</b> a response within {_days(window)}."
            )
        if kinds:
            lines.append(f"A response is: {_esc(kinds)}.")
        if "policy_threshold" in resolved:
            lines.append(
                f"Response-rate rule: a seat that sent {_num(resolved.get('policy_min_sent'))} or more InMails "
                f"in the trailing {_days(resolved.get('policy_window_days'))} must keep its responses so far "
                f"at or above {_pct(resolved['policy_threshold'], 0)} of them; below it: a "
                f"{_days(resolved.get('policy_warning_days'))} warning, a re-check "
                f"{_days(resolved.get('policy_recheck_days'))} later, then "
                f"{_days(resolved.get('policy_restricted_days'))} improvement periods with bulk sending off "
                f"({_num(resolved.get('policy_restricted_daily_allowance'))} one-to-one InMails a day)."
            )
        limits = []
        daily = resolved.get("daily_limit")
        limits.append(f"{_num(daily)} InMails per seat per day" if daily is not None else "no daily limit")
        week = resolved.get("first_week_limit")
        calendar = resolved.get("first_week_mode") == "calendar_week"
        mode = "first calendar week" if calendar else "first week from activation"
        limits.append(f"{_num(week)} in a new seat's {mode}" if week is not None else "no first-week limit")
        if resolved.get("seat_monthly_limit") is not None:
            limits.append(f"{_num(resolved['seat_monthly_limit'])} credits per seat a month (admin limit)")
        lines.append("Limits: " + "; ".join(limits) + ".")
        free = ["messages to 1st-degree connections" if resolved.get("first_degree_free") else ""]
        if resolved.get("open_profile_free"):
            allowance = resolved.get("open_profile_monthly_allowance")
            free.append(
                "InMails to Open Profile members"
                + (f" (up to {_num(allowance)} per seat a month)" if allowance is not None else "")
            )
        free = [f for f in free if f]
        if free:
            lines.append("Free of credit: " + " and ".join(free) + ".")
    return lines


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping) and value:
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def describe_candidates(spec: Mapping[str, Any]) -> str:
    text = f"{_num(spec.get('population', 0))} candidates to contact"
    conn = spec.get("connections") or {}
    parts = []
    if "first" in conn:
        parts.append(f"{_pct(conn['first'], 0)} 1st-degree connections")
    if "open_profile_share" in spec:
        parts.append(f"{_pct(spec['open_profile_share'], 0)} Open Profile members")
    if "known_email_share" in spec:
        parts.append(f"{_pct(spec['known_email_share'], 0)} with a known email address")
    return text + (f" ({', '.join(parts)})" if parts else "") + ", never the same one twice across the team."


def describe_behaviour(spec: Mapping[str, Any]) -> str:
    model = spec.get("model", "?")
    if model == "simple" and "response_probability" in spec:
        text = (
            f"Simple model: {_pct(spec['response_probability'], 0)} of InMails get a response once read "
            f"({_pct(spec.get('accept_share', 0), 0)} of responses accept)"
        )
        if "read_delay" in spec:
            text += f"; time to read: {describe_delay(spec['read_delay'])}"
        if "reply_delay" in spec:
            text += f"; time to reply after reading: {describe_delay(spec['reply_delay'])}"
        return text + "."
    if model == "segmented" and "segments" in spec:
        return _describe_segmented(spec)
    rest = {k: v for k, v in spec.items() if k != "model"}
    shown = "; ".join(
        f"{k.replace('_', ' ')}: {describe_delay(v) if isinstance(v, Mapping) and 'dist' in v else v}"
        for k, v in _flatten_one(rest).items()
    )
    return f"Model <b>{_esc(model)}</b>" + (f": {_esc(shown)}" if shown else "") + "."


def _describe_segmented(spec: Mapping[str, Any]) -> str:
    """The segmented model in a sentence per part: segments, reading, answering, fit."""
    segments = "; ".join(
        f"{_esc(s['name'])} {_pct(s['share'], 0)} (answers {_pct(s['base_response'], 0)} of read bulk InMails, "
        f"{_pct(s.get('open_to_work_share', 0), 0)} open to work, "
        f"{_pct(1 - s.get('activity', {}).get('dormant', 0), 0)} log in at least monthly)"
        for s in spec["segments"]
    )
    mult = spec.get("multipliers", {})
    levers = ", ".join(
        f"{label} x{mult[key]:g}"
        for key, label in (
            ("personalised", "personalised"),
            ("open_to_work", "open to work"),
            ("friday", "sent Friday"),
            ("saturday", "Saturday"),
            ("untranslated", "untranslated to a non-English reader"),
            ("follow_up", "a follow-up"),
        )
        if key in mult
    )
    fit = spec.get("fit", {})
    return (
        f"Segmented model. Segments: {segments}. An InMail waits for the candidate's next login; a noticed email "
        f"notification ({_pct(spec.get('notification_noticed', 0), 0)} noticed) brings the read forward. "
        f"Chance of a response = segment rate x multipliers ({_esc(levers)}; message length bands), "
        f"capped at {_pct(spec.get('cap', 0.95), 0)}; {_pct(spec.get('accept_share', 0), 0)} of responses accept. "
        f"Recruiters contact the best-fit candidates first (fit effect {fit.get('effect', 1):g})."
    )


def _flatten_one(data: Mapping[str, Any]) -> dict[str, Any]:
    """Flatten nested mappings except random delays (kept whole to be described in words)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping) and "dist" not in value and value:
            out.update({f"{key} {k}": v for k, v in _flatten_one(value).items()})
        else:
            out[key] = value
    return out


def describe_scenario(resolved: Mapping[str, Any], replications: int | None = None) -> list[tuple[str, str]]:
    """The scenario in plain words, as (heading, HTML) pairs; every text is escaped."""
    rows: list[tuple[str, str]] = []
    if resolved.get("description"):
        rows.append(("Question", _esc(resolved["description"])))
    horizon = int(resolved.get("horizon_days", 0) or 0)
    start = resolved.get("start")
    when = f"{_plural(horizon, 'day')}"
    try:
        first = start if isinstance(start, date) else date.fromisoformat(str(start))
        last = first + timedelta(days=max(0, horizon - 1))
        when += f", from {first:%a %d %b %Y} to {last:%a %d %b %Y}"
    except ValueError:
        pass
    rows.append(("Horizon", when))
    accounts = list(resolved.get("accounts") or [])
    rules = resolved.get("rules") or {}
    rows.append(("Accounts", "<br>".join(describe_plan(a, rules.get("resolved") or {}) for a in accounts)))
    first_account = str(accounts[0].get("name", "contract")) if accounts else "contract"
    team = list(resolved.get("team") or [])
    rows.append(("Team", "<br>".join(describe_team(g, first_account) for g in team)))
    rows.append(("Rules", "<br>".join(describe_rules(rules))))
    if resolved.get("candidates"):
        rows.append(("Candidates", _esc(describe_candidates(resolved["candidates"]))))
    if resolved.get("behaviour"):
        rows.append(("Behaviour", describe_behaviour(resolved["behaviour"])))
    n = replications if replications is not None else resolved.get("replications")
    extra = f", engine {resolved['engine']}" if resolved.get("engine") else ""
    version = f", inmail-sim {resolved['version']}" if resolved.get("version") else ""
    rows.append(
        (
            "Replications",
            f"{_esc(n)} independent replications from seed {_esc(resolved.get('seed', '?'))}{_esc(extra)}"
            f"{_esc(version)}; every KPI is the mean over replications with its 95% confidence interval "
            "(Student t on the log scale for counts and on the logit scale for shares, so that an interval "
            "never leaves the KPI's range).",
        )
    )
    return rows
