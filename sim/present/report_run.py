"""The report of a run: the verdict, the scenario in words, the headline KPIs with their 95% confidence
intervals, the InMail analytics and every figure with a caption stating the run's resolved rule values."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..output.kpis import HEADLINE, KPIS
from ..output.verdict import Context, verdict
from ..rules.captions import figure_rules, refund_caption, trailing_window_text
from .report_analytics import analytics_html
from .report_folder import _read_json, _read_tables, _read_yaml, run_rules
from .report_html import _existing_figures, _Figure, _figures_html, _kpi_table, _page, _png_of, _render, _words_table
from .scenario_words import describe_scenario
from .words import _esc, _humanise, _sentence


def run_captions(rules: Mapping[str, Any]) -> dict[str, str]:
    """Each run figure's caption, with the rule values of `rules` (the resolved rules of the run)."""
    refund_words = refund_caption(rules)
    trailing = trailing_window_text(rules)
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
    built = plots.draw_run_figures(tables, rules) if tables else {}
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


def report_context(resolved: Mapping[str, Any], summary: Mapping[str, Any]) -> Context:
    """What the verdict needs beside the KPIs, from a results folder's files."""
    threshold = figure_rules(run_rules(resolved)).threshold
    population = (resolved.get("candidates") or {}).get("population")
    return Context(
        start=resolved.get("start"),
        threshold=threshold,
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
        ("InMail analytics", analytics_html(folder / "analytics.csv", reps, run_rules(resolved))),
        ("Figures", _figures_html(figures)),
    ]
    subtitle = (
        "Results of <code>inmail-sim run</code>: "
        f"{_esc(reps)} replications, seed {_esc(summary.get('seed', resolved.get('seed', '?')))}."
    )
    return _page(f"InMail outreach: {name}", subtitle, sections)
