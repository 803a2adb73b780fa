"""The InMail analytics section of a run's report: analytics.csv whole when short, otherwise the team week
by week and each seat over the whole horizon."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..output.analytics import COUNT_COLUMNS
from ..rules.captions import RuleValues, report_window_text
from .report_html import TABLE_ROWS, _table
from .words import _esc, _num, _pct

ANALYTICS_FULL_ROWS = 60  # an analytics table up to this long is shown whole


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
    responses = frame["responses"] if "responses" in frame else frame["accepted"] + frame["declined"]
    frame["response_rate"] = responses / sent
    return frame


def analytics_html(path: Path, replications: int | None, rules: RuleValues | None = None) -> str:
    """The analytics table, whole when short; otherwise the team's weeks and each seat's totals. `rules`: the
    resolved rules, for which responses the table shows."""
    if not path.is_file():
        return '<p class="note">No analytics.csv in this folder.</p>'
    table = pd.read_csv(path, dtype={"seat": str})
    per = f"mean per replication over {replications} replications" if replications and replications > 1 else ""
    intro = (
        "<p>The shape of LinkedIn Recruiter's InMail report: per seat and ISO week, InMails sent, accepted, "
        "declined, quick-replied and still pending, the responses the response rate counts and the rate, and "
        "credits spent and refunded; rows with seat <code>all</code> carry the pool's expired credits and its "
        "balance at the week's end"
        + (f" ({_esc(per)})" if per else "")
        + ". "
        + _esc(report_window_text(rules or {}))
        + "</p>"
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
