"""The shareable report: one self-contained `report.html` per results folder (a run or a sweep).

`write_report(folder)` rebuilds the figures from the folder's saved tables (a run: `sim.plots.run_figures` on
the Parquet tables; a sweep: `sim.plots.kpi_vs_factor` on `points.parquet`) and writes `report.html` with the
scenario in plain words, the headline KPIs with their 95% confidence intervals, the InMail analytics table
and every figure with a caption. The figures are embedded as base64 PNG data URIs and the style is inline:
the file needs no network, no JavaScript and no other file, so it can be mailed or dropped in a shared drive.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from markupsafe import Markup

from ..output.analytics import COUNT_COLUMNS
from ..output.kpis import BY_NAME, HEADLINE, KPIS, format_value
from ..output.verdict import Context, verdict

__all__ = ["NotAResultsFolderError", "folder_kind", "report_command", "write_report"]

REPORT_NAME = "report.html"
TABLES = ("inmails", "seat_days", "account_days", "credits")
ANALYTICS_FULL_ROWS = 60  # an analytics table up to this long is shown whole
TABLE_ROWS = 50  # longer tables show their first rows and say so
EXIT_BAD_INPUT = 2


class NotAResultsFolderError(ValueError):
    """A folder that holds neither the results of `inmail-sim run` nor those of `inmail-sim sweep`."""


# --------------------------------------------------------------------------------------------- wording

def _window(days: Any) -> str:
    return f"{float(days):g}-day" if days is not None else "trailing"


def run_captions(rules: Mapping[str, Any]) -> dict[str, str]:
    """Each run figure's caption, with the rule values of `rules` (the resolved rules of the run)."""
    refund = rules.get("refund_window_days")
    when = (
        f"within {_days(refund)}" if refund is not None else "within the refund window"
    )
    if rules.get("refund_rule") == "no_response":
        refund_words = f"Under this run's rules a credit comes back when no response arrives {when}."
    elif rules.get("refund_rule") == "response":
        refund_words = f"Under this run's rules a credit comes back when a response arrives {when}."
    else:
        refund_words = ""
    window = rules.get("policy_window_days")
    trailing = f"the trailing {_days(window)}" if window is not None else "the trailing window"
    return {
        "credit_balance": "Credits left in the pool at the end of each day: the mean over replications, with its "
        "95% confidence band. Where the line reaches zero, recruiters were turned away for lack of credit.",
        "credit_fate": "What happened to the credits: cumulative totals granted, spent, refunded, expired and "
        "forfeited (lost over the cap), with the pool balance dashed.",
        "response_rate": "Each seat's response rate as the response-rate rule sees it (responses so far to the "
        f"InMails sent in {trailing}) in the first replication, with the threshold; shaded days are warnings, "
        "waits for the re-check and improvement periods.",
        "sends_and_blocks": "Messages sent each day against sends refused or not made, by reason (including sends "
        "not made because no candidate was left; summed over seats, mean over replications).",
        "blocked_by_reason": "Sends refused or not made over the whole run, by reason: mean over replications with "
        "95% confidence intervals.",
        "refunds_per_week": "Credits spent and refunded per ISO week (Monday to Sunday), mean over replications "
        "with 95% confidence intervals.",
        "time_to_response": "How long answered InMails took to get their response, and the share answered within "
        f"the refund window drawn. {refund_words}".strip(),
    }


PRESET_WORDS = {
    "seed": "the rules of the source text",
    "linkedin-current": "the rules of LinkedIn's public help pages today",
}
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float | None, digits: int = 1) -> str:
    """A count or amount for people: thousands separators, few decimals."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    v = float(value)
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    if abs(v) >= 10:
        return f"{v:,.{digits}f}"
    return f"{v:.3g}"


def _pct(value: Any, digits: int = 1) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    return f"{100 * float(value):.{digits}f}%"


def format_kpi(kpi: str, value: Any, start: date | str | None = None) -> str:
    """A KPI value as a reader wants it, by its registry format (`sim.output.kpis.format_value`)."""
    return format_value(kpi, value, start)


def _humanise(name: str) -> str:
    words = name.replace("_", " ")
    return words.replace("inmails", "InMails").replace("inmail", "InMail")


def _sentence(text: str) -> str:
    """Capitalise the first letter only (keeps 'InMails' and 'Open Profile' as they are)."""
    return text[:1].upper() + text[1:]


def _plural(n: float, word: str) -> str:
    return f"{_num(n)} {word}{'' if n == 1 else 's'}"


def _days(value: Any) -> str:
    if value is None:
        return "? days"
    v = float(value)
    return f"{v:g} day{'' if v == 1 else 's'}"


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


# ------------------------------------------------------------------------------------------ the folder


def folder_kind(folder: str | Path) -> str:
    """'run' or 'sweep'; NotAResultsFolderError when the folder is neither."""
    path = Path(folder)
    if not path.is_dir():
        raise NotAResultsFolderError(f"{path}: no such folder")
    if (path / "points.parquet").is_file() or (path / "sweep.json").is_file():
        return "sweep"
    if (path / "summary.json").is_file() and (path / "runs.parquet").is_file():
        return "run"
    raise NotAResultsFolderError(
        f"{path}: not a results folder: expected summary.json and runs.parquet (from `inmail-sim run`) "
        "or points.parquet and sweep.json (from `inmail-sim sweep`)"
    )


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


@dataclass
class _Figure:
    stem: str
    title: str
    caption: str
    png: bytes


def _png_of(fig: Any, path: Path) -> bytes:
    from . import plots

    plots.save_figure(fig, path)
    return path.read_bytes()


def _existing_figures(figures: Path, order: Iterable[str]) -> list[tuple[str, bytes]]:
    if not figures.is_dir():
        return []
    known = list(order)
    files = sorted(
        figures.glob("*.png"), key=lambda p: (known.index(p.stem) if p.stem in known else len(known), p.stem)
    )
    return [(p.stem, p.read_bytes()) for p in files]


def run_rules(resolved: Mapping[str, Any]) -> Mapping[str, Any]:
    """The resolved rules a results folder recorded (`rules.resolved` of scenario.resolved.yaml)."""
    rules = (resolved.get("rules") or {}).get("resolved") or {}
    return rules if isinstance(rules, Mapping) else {}


def _read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    tables = {}
    for name in TABLES:
        path = folder / f"{name}.parquet"
        if path.is_file():
            try:
                tables[name] = pd.read_parquet(path)
            except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
                raise NotAResultsFolderError(f"{path}: cannot read the table: {str(err).splitlines()[0]}") from None
    return tables


def _run_figures(folder: Path, resolved: Mapping[str, Any], rebuild: bool, notes: list[str]) -> list[_Figure]:
    """The run's figures: redrawn from its tables (`rebuild`) or the PNGs in figures/. A figure whose table is
    missing is never deleted: the PNG already there is kept, and `notes` says so."""
    from . import plots

    figures = folder / "figures"
    order = list(plots.FIGURES)
    rules = run_rules(resolved)
    captions = run_captions(rules)
    if not rebuild:
        pngs = _existing_figures(figures, order)
        return [_Figure(stem, _sentence(_humanise(stem)), captions.get(stem, ""), png) for stem, png in pngs]
    tables = _read_tables(folder)
    threshold = rules.get("policy_threshold")
    built = plots.run_figures(
        tables,
        None if threshold is None else float(threshold),
        windows=[float(rules["refund_window_days"])] if rules.get("refund_window_days") is not None else [],
        window_days=rules.get("policy_window_days"),
    ) if tables else {}  # fmt: skip
    figures.mkdir(exist_ok=True)
    out = []
    for stem in order:
        path = figures / f"{stem}.png"
        needs = plots.FIGURE_TABLES[stem]
        if stem in built:
            out.append(_Figure(stem, _sentence(_humanise(stem)), captions.get(stem, ""), _png_of(built[stem], path)))
        elif needs not in tables and path.is_file():
            notes.append(f"kept figures/{stem}.png as it was: {needs}.parquet is missing, so it was not redrawn")
            caption = f"{captions.get(stem, '')} (Kept from an earlier build: {needs}.parquet is missing.)"
            out.append(_Figure(stem, _sentence(_humanise(stem)), caption.strip(), path.read_bytes()))
        elif needs in tables:  # the table is there and has nothing to draw: an earlier figure must not survive
            path.unlink(missing_ok=True)
    return out


# ----------------------------------------------------------------------------------------------- HTML




def _table(frame: pd.DataFrame, formats: Mapping[str, Any] | None = None, left: Iterable[str] = ()) -> str:
    """An HTML table; `formats` maps a column to a function of its value; `left` columns align left."""
    formats = formats or {}
    lefts = set(left)
    head = "".join(f'<th class="{"l" if c in lefts else ""}">{_esc(c)}</th>' for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, row, strict=True):
            fmt = formats.get(col)
            text = (
                fmt(value)
                if fmt
                else ("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))
            )
            cells.append(f'<td class="{"l" if col in lefts else ""}">{text if fmt else _esc(text)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _kpi_table(kpis: Mapping[str, Mapping[str, Any]], names: Iterable[str], start: Any = None) -> str:
    rows = []
    for kpi in names:
        s = kpis.get(kpi)
        if not s:
            continue
        ci = (
            f"{format_kpi(kpi, s.get('ci_low'), start)} to {format_kpi(kpi, s.get('ci_high'), start)}"
            if s.get("ci_low") is not None and s.get("ci_high") is not None
            else "n/a (one replication)"
            if s.get("n") == 1
            else "n/a"
        )
        words = BY_NAME[kpi].words if kpi in BY_NAME else ""
        rows.append({"name": kpi, "mean": format_kpi(kpi, s.get("mean"), start), "ci": ci, "n": s.get("n", ""),
                     "words": words})  # fmt: skip
    return str(_render("kpis.html.j2", rows=rows))


def _figures_html(figures: Sequence[_Figure]) -> str:
    shown = [{"stem": f.stem, "title": f.title, "caption": f.caption, "data": base64.b64encode(f.png).decode("ascii")}
             for f in figures]  # fmt: skip
    return str(_render("figures.html.j2", figures=shown))


def _render(template: str, **values: Any) -> Markup:
    """A template of sim/present/templates rendered with autoescape: values are escaped unless they are
    `Markup` (HTML fragments built, and escaped, by this module)."""
    return Markup(_templates().get_template(template).render(**values))


@functools.cache
def _templates() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("sim.present", "templates"), autoescape=select_autoescape(["j2", "html"]),
                       keep_trailing_newline=True)  # fmt: skip


def _page(title: str, subtitle: str, sections: Sequence[tuple[str, str]]) -> str:
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    shown = [(h, Markup(content)) for h, content in sections]
    return str(_render("page.html.j2", title=title, subtitle=Markup(subtitle), sections=shown, stamp=stamp))


def _words_table(rows: Sequence[tuple[str, str]]) -> str:
    return '<table class="words">' + "".join(f"<tr><th>{_esc(h)}</th><td>{t}</td></tr>" for h, t in rows) + "</table>"


# ------------------------------------------------------------------------------------------- analytics



def _analytics_formats(frame: pd.DataFrame) -> dict[str, Any]:
    fmts: dict[str, Any] = {c: (lambda v: _num(v)) for c in frame.columns if c in (*COUNT_COLUMNS, "balance_end")}
    if "response_rate" in frame:
        fmts["response_rate"] = lambda v: _pct(v)
    for col in fmts:
        inner = fmts[col]
        fmts[col] = lambda v, inner=inner: "" if v is None or pd.isna(v) else inner(v)
    return fmts


def _with_rate(frame: pd.DataFrame) -> pd.DataFrame:
    sent = frame["sent"].where(frame["sent"] > 0)
    frame["response_rate"] = (frame["accepted"] + frame["declined"]) / sent
    return frame


def analytics_html(path: Path, replications: int | None) -> str:
    """The analytics table, whole when short; otherwise the team's weeks and each seat's totals."""
    if not path.is_file():
        return '<p class="note">No analytics.csv in this folder.</p>'
    table = pd.read_csv(path, dtype={"seat": str})
    per = f"mean per replication over {replications} replications" if replications and replications > 1 else ""
    intro = (
        "<p>The shape of LinkedIn Recruiter's InMail report: per seat and ISO week, InMails sent, accepted, "
        "declined and still pending, the response rate, and credits spent and refunded; rows with seat "
        "<code>all</code> carry the pool's expired credits and its balance at the week's end"
        + (f" ({_esc(per)})" if per else "")
        + ".</p>"
    )
    if len(table) <= ANALYTICS_FULL_ROWS:
        return intro + _table(table, _analytics_formats(table), left=("account", "seat", "week"))
    counts = [c for c in COUNT_COLUMNS if c in table]
    seats = table[table["seat"] != "all"]
    pool = table[table["seat"] == "all"]
    weekly = seats.groupby(["account", "week"], as_index=False)[[c for c in counts if c != "credits_expired"]].sum()
    if not pool.empty:
        weekly = weekly.merge(
            pool[["account", "week", "credits_expired", "balance_end"]], on=["account", "week"], how="outer"
        )
    weekly = _with_rate(weekly.fillna({c: 0 for c in counts if c in weekly}))
    weekly = weekly[[c for c in ["account", "week", *counts, "response_rate", "balance_end"] if c in weekly]]
    per_seat = seats.groupby(["account", "seat"], as_index=False)[[c for c in counts if c != "credits_expired"]].sum()
    per_seat = _with_rate(per_seat)
    per_seat = per_seat.assign(_order=pd.to_numeric(per_seat["seat"], errors="coerce")).sort_values(
        ["account", "_order"]
    )
    per_seat = per_seat.drop(columns="_order")
    parts = [
        intro,
        f'<p class="note">The full table has {len(table):,} rows (in <code>analytics.csv</code> beside this '
        "report); shown here: the whole team week by week, then each seat over the whole horizon.</p>",
        "<h3>The team, week by week</h3>",
        _limited(weekly, ("account", "week")),
        "<h3>Each seat, whole horizon</h3>",
        _limited(per_seat, ("account", "seat")),
    ]
    return "\n".join(parts)


def _limited(frame: pd.DataFrame, left: Sequence[str]) -> str:
    note = ""
    if len(frame) > TABLE_ROWS:
        note = f'<p class="note">First {TABLE_ROWS} of {len(frame):,} rows.</p>'
        frame = frame.head(TABLE_ROWS)
    return _table(frame.reset_index(drop=True), _analytics_formats(frame), left=left) + note


# ------------------------------------------------------------------------------------------------ runs


def report_context(resolved: Mapping[str, Any], summary: Mapping[str, Any]) -> Context:
    """What the verdict needs beside the KPIs, from a results folder's files."""
    rules = run_rules(resolved)
    threshold = rules.get("policy_threshold")
    population = (resolved.get("candidates") or {}).get("population")
    return Context(
        start=resolved.get("start"),
        threshold=None if threshold is None else float(threshold),
        population=int(population) if population is not None else None,
        replications=summary.get("replications"),
    )


def verdict_html(kpis: Mapping[str, Any], ctx: Context) -> str:
    """The verdict at the top of the report: a sentence per finding; the candidate-pool warning stands out."""
    return str(_render("verdict.html.j2", lines=verdict(kpis, ctx)))


def _run_report(folder: Path, rebuild: bool, notes: list[str]) -> str:
    resolved = _read_yaml(folder / "scenario.resolved.yaml")
    summary = _read_json(folder / "summary.json")
    kpis = summary.get("kpis") or {}
    reps = summary.get("replications")
    name = summary.get("scenario") or resolved.get("name") or folder.name
    figures = _run_figures(folder, resolved, rebuild, notes)
    ctx = report_context(resolved, summary)
    others = [k for k in KPIS if k not in HEADLINE and k in kpis]
    sections = [
        ("Verdict", verdict_html(kpis, ctx)),
        ("The scenario", _words_table(describe_scenario(resolved, reps)) if resolved else "<p>(no scenario file)</p>"),
        (
            "Headline KPIs",
            _kpi_table(kpis, HEADLINE, ctx.start)
            + f"<details><summary>All {len(others) + len([k for k in HEADLINE if k in kpis])} KPIs</summary>"
            + _kpi_table(kpis, [*[k for k in HEADLINE if k in kpis], *others], ctx.start)
            + "</details>",
        ),
        ("InMail analytics", analytics_html(folder / "analytics.csv", reps)),
        ("Figures", _figures_html(figures)),
    ]
    subtitle = (
        "Results of <code>inmail-sim run</code>: "
        f"{_esc(reps)} replications, seed {_esc(summary.get('seed', resolved.get('seed', '?')))}."
    )
    return _page(f"InMail outreach: {name}", subtitle, sections)


# ---------------------------------------------------------------------------------------------- sweeps


def _sweep_factors(folder: Path, points: pd.DataFrame, meta: Mapping[str, Any]) -> list[str]:
    """The swept keys, in order: from sweep.json, else the point summaries, else the columns of points.parquet."""
    keys = [k for k in meta.get("factors") or [] if k in points]
    if keys:
        return keys
    for pid in points.get("point_id", pd.Series(dtype=str)).tolist():
        summary = _read_json(folder / "points" / str(pid) / "summary.json")
        found = [k for k in (summary.get("factors") or {}) if k in points]
        if found:
            return found
    kpi_columns = {f"{k}_{s}" for k in KPIS for s in ("mean", "std", "ci_low", "ci_high", "n")}
    return [c for c in points.columns if c not in ("point", "point_id") and c not in kpi_columns]


def _factor_label(key: str, labels: Mapping[str, str]) -> str:
    if key in labels:
        return str(labels[key])
    return ", ".join(part.strip() for part in key.split(","))


def _sweep_figures(
    folder: Path,
    points: pd.DataFrame,
    factors: Sequence[str],
    labels: Mapping[str, str],
    threshold: float | None,
    rebuild: bool,
) -> list[_Figure]:
    from . import plots

    figures = folder / "figures"
    shown = [_factor_label(k, labels) for k in factors]
    renamed = points.rename(columns=dict(zip(factors, shown, strict=True)))
    by = shown[1] if len(shown) > 1 else None
    caption_by = f", one line per {by}" if by else ""
    out: list[_Figure] = []
    if not rebuild:
        pngs = dict(_existing_figures(figures, HEADLINE))
    for kpi in HEADLINE:
        if f"{kpi}_mean" not in points or not shown:
            continue
        if rebuild:
            figures.mkdir(exist_ok=True)
            fig = plots.kpi_vs_factor(renamed, kpi, shown[0], by=by, threshold=threshold)
            png = _png_of(fig, figures / f"{kpi}.png")
        elif kpi in pngs:
            png = pngs[kpi]
        else:
            continue
        caption = (
            f"{_sentence(BY_NAME[kpi].words if kpi in BY_NAME else kpi)}, against {shown[0]}{caption_by}: the mean "
            "over replications "
            "at each point with its 95% confidence interval. Every point uses the same seeds (common random "
            "numbers), so differences between points come from the factor, not from noise."
        )
        out.append(_Figure(kpi, f"{_sentence(_humanise(kpi))} against {shown[0]}", caption, png))
    return out


def _sweep_report(folder: Path, rebuild: bool, labels: Mapping[str, str] | None) -> str:
    meta = _read_json(folder / "sweep.json")
    points = pd.read_parquet(folder / "points.parquet") if (folder / "points.parquet").is_file() else pd.DataFrame()
    labels = {**(meta.get("labels") or {}), **(labels or {})}
    factors = _sweep_factors(folder, points, meta) if not points.empty else []
    ids = [str(p) for p in (meta.get("points") or points.get("point_id", pd.Series(dtype=str)).tolist())]
    first = next(
        (folder / "points" / p for p in ids if (folder / "points" / p / "scenario.resolved.yaml").is_file()), None
    )
    resolved = _read_yaml(first / "scenario.resolved.yaml") if first else {}
    rules = (resolved.get("rules") or {}).get("resolved") or {}
    threshold = None if rules.get("policy_threshold") is None else float(rules["policy_threshold"])
    figures = _sweep_figures(folder, points, factors, labels, threshold, rebuild) if not points.empty else []
    name = resolved.get("name") or folder.name
    reps = meta.get("replications")
    failed = [p for p in ids if (folder / "points" / p / "error.txt").is_file()]
    factor_rows = [
        (
            _factor_label(k, labels),
            f"<code>{_esc(k)}</code>: " + ", ".join(_esc(v) for v in pd.unique(points[k]).tolist()),
        )
        for k in factors
    ]
    sections: list[tuple[str, str]] = []
    if resolved:
        sections.append(
            (
                "The scenario",
                '<p class="note">As at the first point of the sweep; the factors below change it from point to '
                "point.</p>" + _words_table(describe_scenario(resolved, reps)),
            )
        )
    sections.append(
        (
            "What the sweep varies",
            (_words_table(factor_rows) if factor_rows else "<p>(no factor found)</p>")
            + f"<p>{len(points)} of {len(ids) or len(points)} points finished, {_esc(reps)} replications each.</p>",
        )
    )
    if failed:
        items = "".join(
            f"<li><code>{_esc(p)}</code>: {_esc(_first_line(folder / 'points' / p / 'error.txt'))}</li>" for p in failed
        )
        sections.append(("Failed points", f'<ul class="bad">{items}</ul><p>See error.txt in each folder.</p>'))
    if not points.empty:
        sections.append(("Headline KPIs at each point", _points_table(points, factors, labels)))
    sections.append(("Figures", _figures_html(figures)))
    seed = meta.get("seed", resolved.get("seed", "?"))
    subtitle = (
        "Results of <code>inmail-sim sweep</code>: "
        f"{len(points)} points, {_esc(reps)} replications each, seed {_esc(seed)}."
    )
    return _page(f"InMail outreach sweep: {name}", subtitle, sections)


def _first_line(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").strip()
    return text.splitlines()[0] if text else "(empty)"


def _points_table(points: pd.DataFrame, factors: Sequence[str], labels: Mapping[str, str]) -> str:
    kpis = [k for k in HEADLINE if f"{k}_mean" in points]
    head = "".join(f'<th class="l">{_esc(_factor_label(f, labels))}</th>' for f in factors)
    head += "".join(f"<th>{_esc(_humanise(k))}</th>" for k in kpis)
    rows = []
    shown = points.head(TABLE_ROWS * 2)
    for _, row in shown.iterrows():
        cells = "".join(f'<td class="l">{_esc(row[f])}</td>' for f in factors)
        for k in kpis:
            low, high = row.get(f"{k}_ci_low"), row.get(f"{k}_ci_high")
            ci = (
                f'<br><span class="ci">{format_kpi(k, low)} to {format_kpi(k, high)}</span>'
                if low is not None and high is not None and not pd.isna(low) and not pd.isna(high)
                else ""
            )
            cells += f'<td><span class="kpi">{format_kpi(k, row[f"{k}_mean"])}</span>{ci}</td>'
        rows.append(f"<tr>{cells}</tr>")
    note = (
        f'<p class="note">First {len(shown)} of {len(points)} points; all of them are in points.parquet.</p>'
        if len(shown) < len(points)
        else ""
    )
    return (
        '<p class="note">Mean over replications, with the 95% confidence interval below it.</p>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}"
    )


# ------------------------------------------------------------------------------------------------ entry


def write_report(
    folder: str | Path,
    *,
    rebuild_figures: bool = True,
    labels: Mapping[str, str] | None = None,
    notes: list[str] | None = None,
) -> Path:
    """Write `report.html` into a results folder (a run or a sweep) and return its path.

    With `rebuild_figures` (the default) the figures are drawn again from the saved tables and written to
    `figures/`; otherwise the PNGs already in `figures/` are embedded. `labels` names sweep factors on the
    figures (default: the labels recorded in sweep.json). What could not be redrawn (a figure kept because
    its table is missing) is appended to `notes`."""
    path = Path(folder)
    kind = folder_kind(path)
    notes = notes if notes is not None else []
    if kind == "sweep":
        text = _sweep_report(path, rebuild_figures, labels)
    else:
        text = _run_report(path, rebuild_figures, notes)
    out = path / REPORT_NAME
    tmp = path / f".{REPORT_NAME}.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out


def report_command(folder: str | Path, quiet: bool = False) -> int:
    """`inmail-sim report DIR`: rebuild the figures and report.html; exit 2 when DIR is not a results folder."""
    import sys

    notes: list[str] = []
    try:
        out = write_report(folder, notes=notes)
    except NotAResultsFolderError as err:
        print(f"report: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for note in notes:
        print(f"report: {note}", file=sys.stderr)
    if not quiet:
        print(f"report: {out}")
    return 0
