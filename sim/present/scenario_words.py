"""A scenario in plain words, as the report's first section tells it: the horizon, each account's plan and
credits, the team, the rules, the candidates, the behaviour model and the replications."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from ..rules.captions import plan_credit_text, rule_sentences
from .words import _days, _emphasised, _esc, _num, _pct, _plural

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
    """One account in words: plan, seats, credits, how long they last (`sim.rules.captions`, from the resolved
    `rules`), when seats start."""
    plan_name = str(account.get("plan", "?"))
    seats = int(account.get("seats", 1))
    name = account.get("name", "account")
    text = f"<b>{_esc(name)}</b>: a <b>{_esc(plan_name.replace('_', ' '))}</b> plan with {_plural(seats, 'seat')}"
    text += html.escape(plan_credit_text(plan_name, seats, rules), quote=False)
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
    lines.extend(_emphasised(s) for s in rule_sentences(resolved))
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
