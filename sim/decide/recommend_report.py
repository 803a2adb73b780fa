"""report.html of a recommendation: the choice in plain words, the trade-off figure, the ranked table, the
decision asked, and the prices assumed (with their sources), from a small Jinja2 template."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from jinja2 import Environment, select_autoescape

from ..config.costs import EXTRA_CREDIT_PRICES, HOURLY_COST_SOURCE, LIST_PRICES, PRICES_AS_OF, CostsSpec
from ..config.decide import EVENTS, OBJECTIVE_WORDS

if TYPE_CHECKING:
    from .recommend import Recommendation

TOP = 15
_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Recommendation: {{ name }}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; line-height: 1.45; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child, td.text { text-align: left; }
tr.chosen { background: #fdf1e6; font-weight: 600; }
.why { background: #f5f7fa; padding: 0.8em 1em; border-left: 4px solid #f4a582; }
.note { color: #555; font-size: 0.9em; }
</style></head><body>
<h1>Recommendation: {{ name }}</h1>
<p class="why">{{ why }}</p>
<img src="data:image/png;base64,{{ figure }}" alt="responses against cost and restriction risk" width="100%">
<h2>The best plans</h2>
<p class="note">Means over replications with {{ level }}% confidence intervals; probabilities with
{{ level }}% Wilson intervals and the one-sided {{ level }}% Wilson upper bound ("at most") that decides whether
a plan keeps a limit; a plan breaks it when the one-sided lower bound is past it.</p>
<div class="scroll"><table><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in rows %}<tr class="{{ row.state }}">{% for v in row.cells %}
<td{% if loop.index in (2, 3) %} class="text"{% endif %}>{{ v }}</td>{% endfor %}</tr>
{% endfor %}</table></div>
{% if hidden %}<p class="note">{{ hidden }} more plans in ranked.csv.</p>{% endif %}
<h2>The question</h2>
<ul>
<li>Objective: {{ objective }}.</li>
{% for lever in levers %}<li>Lever {{ lever }}</li>{% endfor %}
{% for limit in limits %}<li>Limit: {{ limit }}</li>{% endfor %}
</ul>
<h2>Prices assumed</h2>
<p class="note">List prices per seat per month, billed monthly, in USD, as of {{ as_of }}: assumptions, not quotes.
Annual billing is cheaper and Recruiter contracts are negotiated; set your own in the scenario's
<code>costs:</code> block. {{ hourly }}</p>
<table><tr><th>plan</th><th>price per seat per month</th><th>used here</th><th class="text">source</th></tr>
{% for p in prices %}<tr><td>{{ p[0] }}</td><td>{{ p[1] }}</td><td>{{ p[2] }}</td><td class="text">{{ p[3] }}</td></tr>
{% endfor %}</table>
<p class="note">Extra InMail credits: raise a plan's grant with
<code>rules.overrides.plans.PLAN.monthly_credits</code> (a lever too); the credits above the preset's grant are
simulated and charged where the plan sells them ({{ extra }} per credit).</p>
<p class="note">Files: ranked.csv (every plan), recommended.yaml (run it with <code>inmail-sim run</code>),
recommendation.json, evaluations.jsonl (every replication, reused by a rerun).</p>
</body></html>
"""


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if value != value:
            return "n/a"
        return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.1f}"
    if isinstance(value, list):
        return "+".join(map(str, value))
    return str(value)


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _display(rec: Recommendation, table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """The ranked table in words: the objective with its CI, money, and each probability with its CI and the
    one-sided bound the checks use."""

    events = [c[2:-1] for c in table.columns if c.startswith("P(") and c.endswith(")")]
    objective = f"{OBJECTIVE_WORDS[rec.spec.objective]} ({rec.spec.confidence:.0%} CI)"
    head = ["rank", "plan", "why", "replications", objective, "responses", "total cost"]
    head += [f"P({e}) (CI; bound)" for e in events]
    rows = []
    for _, row in table.head(TOP).iterrows():
        cells = [str(row["rank"]), row["candidate"], row["why"], str(row["replications"])]
        cells.append(
            f"{_cell(row['objective'])} ({_cell(row['objective_ci_low'])} to {_cell(row['objective_ci_high'])})"
        )
        cells += [_cell(row["responses_mean"]), _cell(row["total_cost_mean"])]
        for e in events:
            p_low, p_high, up = row[f"P({e})_ci_low"], row[f"P({e})_ci_high"], row[f"P({e})_upper"]
            cells.append(f"{_pct(row[f'P({e})'])} ({_pct(p_low)} to {_pct(p_high)}; at most {_pct(up)})")
        rows.append(cells)
    return head, rows


def _limit(c: Any) -> str:
    if c.event is not None:
        return f"P({c.event}) at most {c.max_probability:.0%}: the chance that {EVENTS[c.event][1]}"
    return str(c.name)


def write_report(rec: Recommendation, folder: Path, table: pd.DataFrame, why: str) -> Path:
    """Write report.html into `folder` (tradeoff.png must be there)."""
    columns, cells = _display(rec, table)
    rows = [{"state": state, "cells": c} for state, c in zip(table["state"].head(TOP), cells, strict=True)]
    used = {a.plan for c in rec.candidates for a in c.scenario.accounts}
    costs = rec.base.costs or CostsSpec()
    prices = [
        (plan, f"{price:,.2f}", f"{costs.seat_price(plan):,.2f}", source)
        for plan, (price, source) in LIST_PRICES.items()
        if plan in used
    ]
    hourly = (
        f"Recruiters' time at {costs.recruiter_hourly_cost:,.2f} an hour ({HOURLY_COST_SOURCE})."
        if costs.recruiter_hourly_cost is not None
        else "Recruiters' time is not counted (set costs.recruiter_hourly_cost to count it)."
    )
    html = (
        Environment(autoescape=select_autoescape(default=True, default_for_string=True))
        .from_string(_TEMPLATE)
        .render(
            name=rec.base.name,
            why=why,
            figure=base64.b64encode((folder / "tradeoff.png").read_bytes()).decode(),
            level=f"{100 * rec.spec.confidence:g}",
            columns=columns,
            rows=rows,
            hidden=max(0, len(table) - TOP),
            objective=rec.spec.objective,
            levers=[f"{lv.label}: {', '.join(map(_cell, lv.choices))}" for lv in _levers(rec)],
            limits=[_limit(c) for c in rec.spec.all_constraints()],
            as_of=PRICES_AS_OF,
            hourly=hourly,
            prices=prices,
            extra=", ".join(f"{p} {v[0]:g}" for p, v in EXTRA_CREDIT_PRICES.items()),
        )
    )
    path = folder / "report.html"
    tmp = path.with_name(".report.html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path


def _levers(rec: Recommendation) -> list[Any]:
    from .recommend_space import resolve_levers

    return resolve_levers(rec.base)
