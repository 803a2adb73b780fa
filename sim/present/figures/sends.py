"""The send figures of a run: messages sent against sends blocked each day, and sends blocked by reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .stats import _ci_rows, _day_dates, _per_day_by_rep, _replications, _span_edges, _with_replication
from .style import (
    _PALETTE,
    _SUBTLE,
    CI_LEVEL,
    _date_axis,
    _figure,
    _fmt,
    _humanise,
    _legend,
    _legend_below,
    _no_data,
    _reps_note,
    _style,
    _titles,
)

_REASONS: dict[str, tuple[str, str]] = {  # seat_days column sends_blocked_<reason> -> (label, colour)
    f"sends_blocked_{reason}": style
    for reason, style in {
        "no_credit": ("no credit in the pool", "#d62728"),
        "seat_credit_limit": ("seat credit limit", "#ff7f0e"),
        "daily_limit": ("daily limit", "#9467bd"),
        "first_week_limit": ("first-week limit", "#8c564b"),
        "policy_restricted": ("response-rate restriction", "#e377c2"),
        "no_candidates": ("no candidates left", "#7f7f7f"),
    }.items()
}
_SENT_COLOUR = "#1f77b4"


def _blocked_columns(df: pd.DataFrame) -> list[str]:
    """The blocked-send reason columns of a seat-days table, known reasons first."""
    known = [c for c in _REASONS if c in df.columns]
    extra = sorted(c for c in df.columns if c.startswith("sends_blocked_") and c not in _REASONS)
    return known + extra


def _reason_style(col: str, i: int) -> tuple[str, str]:
    """Label and colour of a blocked-send reason column."""
    if col in _REASONS:
        return _REASONS[col]
    return _humanise(col.removeprefix("sends_blocked_")), _PALETTE[(i + 3) % len(_PALETTE)]


def sends_and_blocks(seat_days: pd.DataFrame) -> Figure:
    """Daily messages sent against sends blocked by reason (summed over seats, mean over replications)."""
    title = "Messages sent and sends blocked, per day"
    if seat_days is None or seat_days.empty:
        return _no_data(title)
    df = _with_replication(seat_days)
    reps = _replications(df)
    days, x, is_date = _day_dates(df)
    reasons = _blocked_columns(df)
    cols = (["sent"] if "sent" in df.columns else []) + reasons
    mats = _per_day_by_rep(df, cols, reps, days=days.tolist(), fill=0.0)
    means = {c: _ci_rows(mats[c])[0] for c in cols}
    occurring = [c for c in reasons if np.nansum(mats[c].to_numpy()) > 0]
    with _style():
        fig, (ax,) = _figure()
        edges = _span_edges(x, is_date)
        width = (edges[1:] - edges[:-1]) * 0.85 if len(edges) > 1 else np.ones(len(days))
        left = edges[:-1] + (edges[1:] - edges[:-1]) * 0.075 if len(edges) > 1 else edges
        bottom = np.zeros(len(days))
        if "sent" in means:
            ax.bar(
                left,
                means["sent"],
                width=width,
                bottom=bottom,
                align="edge",
                color=_SENT_COLOUR,
                label="sent",
                linewidth=0,
            )
            bottom = bottom + means["sent"]
        for i, col in enumerate(occurring):
            label, colour = _reason_style(col, i)
            ax.bar(
                left,
                means[col],
                width=width,
                bottom=bottom,
                align="edge",
                color=colour,
                label=f"blocked: {label}",
                linewidth=0,
            )
            bottom = bottom + means[col]
        if not occurring:
            ax.text(
                0.99,
                0.97,
                "no sends were blocked",
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=12,
                color=_SUBTLE,
            )
        ax.set_ylim(0, max(1.0, float(np.nanmax(bottom)) if len(bottom) else 1.0) * 1.12)
        ax.set_ylabel("messages per day")
        _date_axis(ax, is_date)
        scope = "all seats summed; " if df[_seat_key(df)].nunique() > 1 else ""
        _titles(fig, ax, title, f"{scope}{_reps_note(len(reps)).split(',')[0]}")
        handles, labels = ax.get_legend_handles_labels()
        _legend_below(fig, handles, labels, ncol=3)
    return fig


def _seat_key(df: pd.DataFrame) -> str:
    """The column identifying a seat in a seat-days table."""
    for key in ("sender", "seat"):
        if key in df.columns:
            return key
    return "day"


def blocked_by_reason(seat_days: pd.DataFrame) -> Figure:
    """Total sends blocked per run by reason, mean over replications with 95% CI error bars."""
    title = "Sends blocked, by reason"
    if seat_days is None or seat_days.empty:
        return _no_data(title)
    df = _with_replication(seat_days)
    reps = _replications(df)
    reasons = _blocked_columns(df)
    if not reasons:
        return _no_data(title, "no blocked-send columns in the table")
    totals = df.groupby("replication")[reasons].sum().reindex(reps).fillna(0.0)
    mean, low, high, _ = _ci_rows(totals.T)
    labels = [_reason_style(c, i)[0] for i, c in enumerate(reasons)]
    colours = [_reason_style(c, i)[1] for i, c in enumerate(reasons)]
    with _style():
        fig, (ax,) = _figure()
        y = np.arange(len(reasons))[::-1]
        ax.barh(y, mean, color=colours, height=0.6, zorder=3)
        err = np.vstack([mean - low, high - mean])
        if np.isfinite(err).any():
            ax.errorbar(
                mean,
                y,
                xerr=np.where(np.isfinite(err), err, 0.0),
                fmt="none",
                ecolor="black",
                elinewidth=1.5,
                capsize=5,
                zorder=4,
                label=f"{CI_LEVEL:.0%} CI",
            )
        right = float(np.nanmax(np.where(np.isfinite(high), high, mean))) if len(mean) else 0.0
        right = max(right, 1.0)
        for yi, m, h in zip(y, mean, high, strict=True):
            pos = h if np.isfinite(h) else m
            ax.text(pos + right * 0.015, yi, _fmt(float(m)), va="center", ha="left", fontsize=12)
        ax.set_xlim(0, right * 1.15)
        ax.set_yticks(y, labels)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("blocked sends per run (messages)")
        if float(np.nansum(mean)) == 0:
            ax.text(
                0.5,
                0.5,
                "no sends were blocked",
                transform=ax.transAxes,
                ha="center",
                va="center",
                fontsize=14,
                color=_SUBTLE,
            )
        _titles(fig, ax, title, f"total per run; {_reps_note(len(reps))}")
        _legend(ax, loc="lower right")
    return fig
