"""The credit figures of a run: the pool balance, what happened to the credits, credits refunded per week."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .stats import _band, _ci_rows, _day_dates, _per_day_by_rep, _replications, _with_replication
from .style import (
    _BAND_ALPHA,
    _PALETTE,
    _SUBTLE,
    CI_LEVEL,
    MAX_ACCOUNT_LINES,
    _date_axis,
    _figure,
    _legend,
    _no_data,
    _reps_note,
    _style,
    _titles,
    mdates,
)

_FATE: dict[str, tuple[str, str]] = {  # account_days column credits_<kind> -> (label, colour)
    f"credits_{kind}": style
    for kind, style in {
        "granted": ("granted", "#2ca02c"),
        "spent": ("spent", "#1f77b4"),
        "refunded": ("refunded", "#17becf"),
        "expired": ("expired", "#ff7f0e"),
        "forfeited": ("forfeited (over the cap)", "#9467bd"),
    }.items()
}


def credit_balance(account_days: pd.DataFrame) -> Figure:
    """Credit pool balance at each day's end, mean over replications with a 95% CI band, per account."""
    title = "Credit pool balance"
    if account_days is None or account_days.empty:
        return _no_data(title)
    df = _with_replication(account_days)
    reps = _replications(df)
    days, x, is_date = _day_dates(df)
    accounts = sorted(pd.unique(df["account"]).tolist(), key=str) if "account" in df.columns else ["all"]
    if "account" not in df.columns or len(accounts) > MAX_ACCOUNT_LINES:
        series = {"all accounts": df}
    else:
        series = {f"account {a}": df[df["account"] == a] for a in accounts}
    with _style():
        fig, (ax,) = _figure()
        for i, (label, part) in enumerate(series.items()):
            colour = _PALETTE[i % len(_PALETTE)]
            mat = _per_day_by_rep(part, "credit_balance", reps, days=days.tolist(), fill=None)["credit_balance"]
            mat = mat.ffill()  # a day missing from a replication keeps the previous balance
            mean, low, high, _ = _ci_rows(mat)
            ax.plot(x, mean, color=colour, label=label, zorder=3)
            _band(ax, x, low, high, colour)
        if len(reps) >= 2:
            ax.fill_between(
                [],
                [],
                [],
                color=_PALETTE[0] if len(series) == 1 else "#888888",
                alpha=_BAND_ALPHA,
                label=f"{CI_LEVEL:.0%} CI",
            )
        ax.set_ylim(bottom=0)
        ax.set_ylabel("credits in the pool")
        _date_axis(ax, is_date)
        _titles(fig, ax, title, f"at each day's end; {_reps_note(len(reps))}")
        _legend(ax, loc="best")
    return fig


def credit_fate(account_days: pd.DataFrame) -> Figure:
    """Cumulative credits granted, spent, refunded, expired and forfeited over time, with the balance."""
    title = "What happened to the credits"
    if account_days is None or account_days.empty:
        return _no_data(title)
    df = _with_replication(account_days)
    reps = _replications(df)
    days, x, is_date = _day_dates(df)
    flows = [c for c in _FATE if c in df.columns]
    mats = _per_day_by_rep(df, flows, reps, days=days.tolist(), fill=0.0) if flows else {}
    with _style():
        fig, (ax,) = _figure()
        for col in flows:
            label, colour = _FATE[col]
            cum = mats[col].cumsum(axis=0)
            mean, low, high, _ = _ci_rows(cum)
            ax.plot(x, mean, color=colour, label=label, zorder=3)
            _band(ax, x, low, high, colour)
        if "credit_balance" in df.columns:
            bal = _per_day_by_rep(df, "credit_balance", reps, days=days.tolist(), fill=None)["credit_balance"].ffill()
            mean, low, high, _ = _ci_rows(bal)
            ax.plot(x, mean, color="black", linestyle="--", label="balance in the pool", zorder=3)
            ok = np.isfinite(low) & np.isfinite(high)
            if ok.any():
                ax.fill_between(x, low, high, color="black", alpha=0.08, linewidth=0)
        if len(reps) >= 2:
            ax.fill_between([], [], [], color="#888888", alpha=_BAND_ALPHA, label=f"{CI_LEVEL:.0%} CI")
        ax.set_ylim(bottom=0)
        ax.set_ylabel("credits")
        _date_axis(ax, is_date)
        scope = "all accounts summed; " if "account" in df.columns and df["account"].nunique() > 1 else ""
        _titles(
            fig, ax, title, f"cumulative totals since the start and the pool balance; {scope}{_reps_note(len(reps))}"
        )
        _legend(ax, loc="upper left")
    return fig


def _weekly(df: pd.DataFrame, reps: list[Any]) -> tuple[np.ndarray, bool, pd.DataFrame, pd.DataFrame]:
    """Spend and refund rows summed per week (ISO weeks when the rows have dates, else weeks from the start):
    every week between the first and the last, whether they are dates, and a week x replication matrix of
    each."""
    dates = pd.to_datetime(df["date"], errors="coerce") if "date" in df.columns else pd.Series(pd.NaT, index=df.index)
    is_date = bool(dates.notna().all())
    week: np.ndarray
    if is_date:
        week = (dates.dt.normalize() - pd.to_timedelta(dates.dt.day_of_week, unit="D")).to_numpy()
    else:  # weeks counted from the start when there are no dates
        week = (df["time"].astype(float) // 7 * 7).to_numpy(dtype=np.float64)
    df = df.assign(_week=week, _amount=df["amount"].astype(float).abs())
    table = df.pivot_table(
        index="_week", columns=["kind", "replication"], values="_amount", aggfunc="sum", fill_value=0.0
    )
    weeks = table.index.to_numpy()
    if is_date:  # every week between the first and the last, so empty weeks show as gaps, not missing
        weeks = pd.date_range(pd.Timestamp(weeks.min()), pd.Timestamp(weeks.max()), freq="7D").to_numpy()
    else:
        weeks = np.arange(float(weeks.min()), float(weeks.max()) + 7, 7.0)

    def by_rep(kind: str) -> pd.DataFrame:
        sub = (
            pd.DataFrame(table[kind]) if kind in table.columns.get_level_values(0) else pd.DataFrame(index=table.index)
        )
        return sub.reindex(index=weeks, columns=reps).fillna(0.0)

    return weeks, is_date, by_rep("spend"), by_rep("refund")


def _week_axis(ax: Axes, is_date: bool) -> None:
    """The x axis of weekly bars: ISO weeks as dates, or days from the start."""
    if is_date:
        locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.set_xlabel("ISO week (Monday to Sunday)")
    else:
        ax.set_xlabel("days from the start (weeks)")


def refunds_per_week(credits: pd.DataFrame) -> Figure:
    """Credits refunded per ISO week (mean over replications, 95% CI), with credits spent for context."""
    title = "Credits refunded per week"
    if credits is None or credits.empty or "kind" not in credits.columns:
        return _no_data(title)
    df = _with_replication(credits)
    reps = _replications(df)
    df = df[df["kind"].astype(str).isin(["spend", "refund"])]
    if df.empty:
        return _no_data(title, "no credits were spent or refunded")
    weeks, is_date, spent, refunded = _weekly(df, reps)
    spend = _ci_rows(spent)
    refund = _ci_rows(refunded)
    with _style():
        fig, (ax,) = _figure()
        xs = np.asarray(mdates.date2num(weeks) if is_date else weeks, dtype=np.float64) + 3.5
        w = 2.8
        for (mean, low, high, _), offset, colour, label in (
            (spend, -w / 2, "#aec7e8", "spent"),
            (refund, w / 2, "#17becf", "refunded"),
        ):
            ax.bar(xs + offset, mean, width=w, color=colour, label=label, zorder=3, linewidth=0)
            err = np.vstack([mean - low, high - mean])
            if np.isfinite(err).any():
                ax.errorbar(
                    xs + offset,
                    mean,
                    yerr=np.where(np.isfinite(err), err, 0.0),
                    fmt="none",
                    ecolor="#333333",
                    elinewidth=1.2,
                    capsize=3,
                    zorder=4,
                )
        if len(reps) >= 2:
            ax.errorbar([], [], yerr=[], fmt="none", ecolor="#333333", capsize=3, label=f"{CI_LEVEL:.0%} CI")
        spent_total = float(np.nansum(spend[0]))
        refund_total = float(np.nansum(refund[0]))
        if spent_total > 0:
            ax.text(
                0.01,
                0.97,
                f"refunded {refund_total / spent_total:.0%} of the credits spent",
                transform=ax.transAxes,
                ha="left",
                va="top",
                fontsize=12,
                color=_SUBTLE,
            )
        top = np.nanmax(np.concatenate([spend[2], refund[2], spend[0], refund[0]]))
        ax.set_ylim(0, max(1.0, float(top) if np.isfinite(top) else 1.0) * 1.15)
        ax.set_ylabel("credits per week")
        _week_axis(ax, is_date)
        _titles(fig, ax, title, f"with the credits spent for context; {_reps_note(len(reps))}")
        _legend(ax, loc="upper right")
    return fig
