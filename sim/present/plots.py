"""The figure set: one function per figure, each taking tidy pandas tables and returning a matplotlib Figure.

Every figure shares one style (slide-sized, large fonts, units on every axis, a title, a legend when
there are several series). Where replications disagree the figure shows the mean with a 95% Student t
confidence band; with a single replication the band is simply left out. Empty inputs never raise: the
figure then carries a "no data" note instead.

Figures are built with `matplotlib.figure.Figure` directly, so no GUI backend is ever needed; outside a
Jupyter kernel the module also forces the Agg backend so that pyplot, if someone uses it, never opens a
window.
"""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import matplotlib

if "ipykernel" not in sys.modules:  # keep a notebook's inline backend; everywhere else, never a GUI
    matplotlib.use("Agg")

import matplotlib.dates as _mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter
from scipy import stats

from ..output.kpis import BY_NAME, REGISTRY

# matplotlib.dates is only partly annotated; calling it through Any keeps type checking quiet but honest
mdates: Any = _mdates

__all__ = [
    "FIGSIZE",
    "FIGURES",
    "blocked_by_reason",
    "credit_balance",
    "credit_fate",
    "kpi_vs_factor",
    "paired_differences",
    "refunds_per_week",
    "response_rate",
    "run_figures",
    "save_figure",
    "sends_and_blocks",
    "time_to_response",
]

# ----------------------------------------------------------------------------------------------- style

FIGSIZE: tuple[float, float] = (10.0, 5.6)
CI_LEVEL = 0.95
MAX_ACCOUNT_LINES = 6
MAX_SEAT_LINES = 12

_STYLE: dict[str, Any] = {
    "font.size": 12,
    "axes.titlesize": 15,
    "axes.titleweight": "bold",
    "axes.labelsize": 13,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "legend.title_fontsize": 12,
    "figure.titlesize": 16,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.8,
    "lines.linewidth": 2.0,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
}

_PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#393b79",
    "#637939",
    "#843c39",
]
_THRESHOLD_COLOUR = "#c0392b"
_BAND_ALPHA = 0.2
_SUBTLE = "#555555"

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

_STATES: dict[str, tuple[str, str]] = {  # policy state -> (label, colour); ordered by severity
    "warning": ("warning", "#f4d03f"),
    "grace": ("grace", "#f39c12"),
    "restricted": ("restricted", "#c0392b"),
}
_NO_POLICY = {"", "n/a", "na", "none", "nan", "<na>"}

_SHARE_KPIS = {k.name for k in REGISTRY if k.fmt == "share"}


@contextmanager
def _style() -> Iterator[None]:
    """Apply the shared rc style while a figure's artists are created."""
    with matplotlib.rc_context(cast("dict[Any, Any]", _STYLE)):
        yield


def _figure(
    nrows: int = 1,
    ncols: int = 1,
    *,
    height_ratios: Sequence[float] | None = None,
    sharex: bool = False,
    figsize: tuple[float, float] = FIGSIZE,
) -> tuple[Figure, list[Axes]]:
    """A new slide-sized Figure (no pyplot, no GUI) and its axes as a flat list."""
    fig = Figure(figsize=figsize, layout="constrained")
    gridspec_kw = {"height_ratios": list(height_ratios)} if height_ratios is not None else None
    axes = fig.subplots(nrows, ncols, sharex=sharex, squeeze=False, gridspec_kw=gridspec_kw)
    return fig, list(axes.ravel())


def _no_data(title: str, note: str = "no data") -> Figure:
    """A figure with a title and an empty axes carrying a note, for inputs with nothing to draw."""
    with _style():
        fig, (ax,) = _figure()
        _titles(fig, ax, title)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for side in ("top", "right", "bottom", "left"):
            ax.spines[side].set_visible(True)
            ax.spines[side].set_color("#bbbbbb")
        ax.text(0.5, 0.5, note, transform=ax.transAxes, ha="center", va="center", fontsize=16, color=_SUBTLE)
    return fig


def _humanise(name: str) -> str:
    """A column or factor name as words: 'credits_spent' -> 'credits spent', 'inmails_sent' -> 'InMails sent'."""
    words = name.replace("_", " ").replace(".", " › ").strip()
    return re.sub(r"\binmail(s?)\b", r"InMail\1", words, flags=re.IGNORECASE)


def _sentence(text: str) -> str:
    """Capitalise the first letter only (keeps 'InMails' as it is)."""
    return text[:1].upper() + text[1:]


def _reps_note(n: int) -> str:
    """The subtitle fragment saying what the line and band are."""
    if n <= 1:
        return "1 replication"
    return f"mean of {n} replications, {CI_LEVEL:.0%} CI"


def _date_axis(ax: Axes, is_date: bool) -> None:
    """Format the x axis as compact dates (or as day numbers) with its label."""
    if is_date:
        locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.set_xlabel("date")
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("days from the start")


def _threshold_line(ax: Axes, threshold: float, *, vertical: bool = False) -> None:
    """Draw the response-rate threshold as a dashed red line with a legend label."""
    label = (
        f"{threshold:.0%} threshold"
        if abs(threshold * 100 - round(threshold * 100)) < 1e-9
        else f"{threshold:.1%} threshold"
    )
    if vertical:
        ax.axvline(threshold, color=_THRESHOLD_COLOUR, linestyle="--", linewidth=1.8, label=label, zorder=4)
    else:
        ax.axhline(threshold, color=_THRESHOLD_COLOUR, linestyle="--", linewidth=1.8, label=label, zorder=4)


def _titles(fig: Figure, ax: Axes, title: str, note: str = "") -> None:
    """Put the title above the figure and a smaller grey subtitle (what is drawn, over what) above the axes."""
    fig.suptitle(title, fontsize=16, fontweight="bold")
    if note:
        # about 9.5 characters of 12 pt text per inch; the axes (where it is centred) is narrower than the figure
        width = max(40, int(fig.get_size_inches()[0] * 7.5))
        lines = [textwrap.fill(part, width) for part in note.split("\n")]
        ax.set_title("\n".join(lines), fontsize=12, fontweight="normal", color=_SUBTLE)


def _legend_below(fig: Figure, handles: Sequence[Any], labels: Sequence[str], ncol: int = 4) -> None:
    """A figure legend in rows under the axes, for figures whose plot area needs its full width."""
    if not handles:
        return
    # as many columns as fit across the figure: about 0.6 em per character plus the handle and padding
    em = float(_STYLE["legend.fontsize"]) / 72.0
    column = max(len(label) for label in labels) * 0.6 * em + 4.0 * em
    fits = max(1, int((fig.get_size_inches()[0] * 0.95) // column))
    fig.legend(list(handles), list(labels), loc="outside lower center", ncol=min(ncol, fits, len(handles)))


def _legend(ax: Axes, **kwargs: Any) -> None:
    """Add a legend only when there is something labelled."""
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(**kwargs)


def _fmt(value: float) -> str:
    """A number with about three significant figures, for labels."""
    if not np.isfinite(value):
        return "n/a"
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


# ----------------------------------------------------------------------------------------- statistics


def _ci_rows(mat: pd.DataFrame | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Row-wise mean, CI low, CI high and count over columns (replications), ignoring NaN; no CI below n=2."""
    values = np.asarray(mat, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    n = np.sum(~np.isnan(values), axis=1)
    mean = np.full(values.shape[0], np.nan)
    half = np.full(values.shape[0], np.nan)
    has = n > 0
    if has.any():
        mean[has] = np.nansum(values[has], axis=1) / n[has]
    many = n >= 2
    if many.any():
        dev = np.where(np.isnan(values[many]), 0.0, values[many] - mean[many, None])
        sd = np.sqrt(np.sum(dev**2, axis=1) / (n[many] - 1))
        half[many] = stats.t.ppf(0.5 + CI_LEVEL / 2, n[many] - 1) * sd / np.sqrt(n[many])
    return mean, mean - half, mean + half, n


def _replications(df: pd.DataFrame) -> list[Any]:
    """The replications present in a table, sorted."""
    if "replication" not in df.columns or df.empty:
        return [0] if not df.empty else []
    return sorted(pd.unique(df["replication"]).tolist())


def _with_replication(df: pd.DataFrame) -> pd.DataFrame:
    """The table with a replication column (0 when it has none)."""
    if "replication" in df.columns:
        return df
    return df.assign(replication=0)


def _per_day_by_rep(
    df: pd.DataFrame,
    value: str | list[str],
    reps: Sequence[Any],
    *,
    days: Sequence[int] | None = None,
    fill: float | None = 0.0,
) -> dict[str, pd.DataFrame]:
    """For each value column, a day x replication matrix of its sum over the other keys."""
    cols = [value] if isinstance(value, str) else list(value)
    grouped = df.groupby(["day", "replication"], sort=True)[cols].sum(min_count=1)
    out: dict[str, pd.DataFrame] = {}
    all_days = sorted(pd.unique(df["day"]).tolist()) if days is None else list(days)
    for col in cols:
        mat = grouped[col].unstack("replication").reindex(index=all_days, columns=list(reps))
        out[col] = mat.fillna(fill) if fill is not None else mat
    return out


def _day_dates(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, bool]:
    """The sorted day indices of a table and their x positions (dates when a date column is usable)."""
    days = np.unique(df["day"].to_numpy(dtype=np.int64))
    if "date" in df.columns:
        dates = pd.to_datetime(df["date"], errors="coerce")
        if dates.notna().any():
            by_day = (
                pd.DataFrame({"day": df["day"].to_numpy(), "date": dates.to_numpy()})
                .dropna()
                .groupby("day")["date"]
                .min()
            )
            if len(by_day):
                # fill any day without a date from the first known one, one calendar day per day index
                origin_day = int(by_day.index[0])
                origin = pd.Timestamp(by_day.iloc[0]) - pd.Timedelta(days=origin_day)
                x = np.array([by_day.get(d, origin + pd.Timedelta(days=int(d))) for d in days], dtype="datetime64[ns]")
                return days, x, True
    return days, days.astype(float), False


def _band(ax: Axes, x: np.ndarray, low: np.ndarray, high: np.ndarray, colour: str, label: str | None = None) -> None:
    """Shade a confidence band where it is defined."""
    ok = np.isfinite(low) & np.isfinite(high)
    if ok.any():
        ax.fill_between(
            x,
            np.where(ok, low, np.nan),
            np.where(ok, high, np.nan),
            color=colour,
            alpha=_BAND_ALPHA,
            linewidth=0,
            label=label,
        )


# ------------------------------------------------------------------------------------------ run figures


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


def _policy_states(seat_days: pd.DataFrame) -> pd.Series:
    """Normalised policy states: lower-case strings, '' for senders the rule does not apply to."""
    if "policy_state" not in seat_days.columns:
        return pd.Series("", index=seat_days.index, dtype=object)
    raw = seat_days["policy_state"].astype(object)
    states = raw.where(raw.notna(), "").astype(str).str.strip().str.lower()
    return states.where(~states.isin(_NO_POLICY), "")


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """Start and end (exclusive) indices of the runs of True in a boolean array."""
    padded = np.concatenate([[False], flags.astype(bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(int)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _span_edges(x: np.ndarray, is_date: bool) -> np.ndarray:
    """Left edges of each day plus the right edge of the last, in axis units."""
    num = np.asarray(mdates.date2num(x) if is_date else x, dtype=np.float64)
    step = float(np.median(np.diff(num))) if len(num) > 1 else 1.0
    return np.append(num, num[-1] + step) if len(num) else num


def _shade_states(ax: Axes, codes: np.ndarray, edges: np.ndarray, alpha: float) -> list[str]:
    """Shade the runs of days whose (worst) state is warning, grace or restricted; return the states shaded."""
    shaded = []
    for code, state in enumerate(_STATES, start=1):
        runs = _runs(codes == code)
        for a, b in runs:
            ax.axvspan(edges[a], edges[b], color=_STATES[state][1], alpha=alpha, linewidth=0, zorder=0)
        if runs:
            shaded.append(state)
    return shaded


def response_rate(
    seat_days: pd.DataFrame, threshold: float | None, replication: int = 0, *, window_days: float | None = None
) -> Figure:
    """Each seat's trailing response rate (over the rule's window of `window_days`) with the rule's threshold
    and the warning/grace/restricted periods; both values come from the run's resolved rules."""
    trailing = f"Trailing {float(window_days):g}-day" if window_days is not None else "Trailing"
    title = f"{trailing} response rate and the response-rate rule"
    if seat_days is None or seat_days.empty:
        return _no_data(title)
    df = _with_replication(seat_days)
    reps = _replications(df)
    rep = replication if replication in reps else reps[0]
    df = df[df["replication"] == rep].copy()
    if "trailing_rate" not in df.columns:
        df["trailing_rate"] = np.nan
    df["_state"] = _policy_states(df).to_numpy()
    key = "seat" if "seat" in df.columns else "sender"
    if (
        "sender" in df.columns
        and "seat" in df.columns
        and df.groupby("sender")["seat"].nunique().max() <= 1
        and df.groupby("seat")["sender"].nunique().max() > 1
    ):
        key = "sender"  # seats reused across accounts: the sender is the unique key
    has_rate = df["trailing_rate"].notna() if "trailing_rate" in df.columns else pd.Series(False, index=df.index)
    covered = df.groupby(key)["_state"].transform(lambda s: (s != "").any()) | has_rate.groupby(df[key]).transform(
        "any"
    )
    df = df[covered]
    if df.empty or (not has_rate.loc[df.index].any() and not (df["_state"] != "").any()):
        return _no_data(title, "no InMail senders: the response-rate rule does not apply")
    days, x, is_date = _day_dates(df)
    edges = _span_edges(x, is_date)
    seats = sorted(pd.unique(df[key]).tolist(), key=lambda s: (str(type(s)), s))
    rate = df.pivot_table(index="day", columns=key, values="trailing_rate", aggfunc="mean", dropna=False).reindex(
        index=days, columns=seats
    )
    severity = {"": 0, "ok": 0, **{s: i for i, s in enumerate(_STATES, start=1)}}
    df["_code"] = df["_state"].map(lambda s: severity.get(s, 0)).astype(int)
    codes = (
        df.pivot_table(index="day", columns=key, values="_code", aggfunc="max")
        .reindex(index=days, columns=seats)
        .fillna(0)
        .to_numpy(dtype=int)
    )
    any_state = codes.max(axis=1) if codes.size else np.zeros(len(days), dtype=int)
    single = len(seats) == 1
    with _style():
        if single or not any_state.any():
            fig, (ax,) = _figure()
            ax_count = None
        else:
            fig, (ax, ax_count) = _figure(2, 1, height_ratios=(3, 1.25), sharex=True)
        # with many seats some seat is nearly always in a state: the lower panel counts them instead
        many = len(seats) > MAX_SEAT_LINES
        shaded = [] if many else _shade_states(ax, any_state, edges, alpha=0.35 if single else 0.18)
        q90 = np.full(len(days), np.nan)
        if not many:
            for i, seat in enumerate(seats):
                ax.plot(
                    x,
                    rate[seat].to_numpy(dtype=float),
                    color=_PALETTE[i % len(_PALETTE)],
                    label=f"{key} {seat}",
                    linewidth=1.8,
                    zorder=3,
                )
        else:
            values = rate.to_numpy(dtype=float)
            with np.errstate(all="ignore"), _quiet_nan_warnings():
                q10, q25, q50, q75, q90 = np.nanpercentile(values, [10, 25, 50, 75, 90], axis=1)
            ax.fill_between(x, q10, q90, color=_PALETTE[0], alpha=0.12, linewidth=0, label="10th-90th percentile")
            ax.fill_between(x, q25, q75, color=_PALETTE[0], alpha=0.28, linewidth=0, label="interquartile range")
            ax.plot(x, q50, color=_PALETTE[0], label=f"median of {len(seats)} seats", zorder=3)
        if threshold is not None:
            _threshold_line(ax, threshold)
        drawn = [line.get_ydata() for line in ax.get_lines()] + ([q90] if many else [])
        finite = np.concatenate([np.asarray(d, dtype=np.float64).ravel() for d in drawn]) if drawn else np.array([])
        finite = finite[np.isfinite(finite)]
        floor = threshold if threshold is not None else 0.0
        top = float(finite.max()) if finite.size else floor
        upper = max(top, floor) * 1.15 + 0.01
        ax.set_ylim(-0.015 * upper, upper)  # a little below zero, so a seat with no responses stays visible
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylabel("response rate\n(share of InMails)")
        handles, labels = ax.get_legend_handles_labels()
        present = [
            state
            for code, state in enumerate(_STATES, start=1)
            if (any_state == code).any() or (many and (codes == code).any())
        ]
        for state in present if many else shaded:
            handles.append(Patch(color=_STATES[state][1], alpha=1.0 if many else 0.6))
            labels.append(_STATES[state][0])
        _legend_below(fig, handles, labels, ncol=4 if len(labels) != 5 else 3)
        if ax_count is not None:
            bottom = np.zeros(len(days))
            width = (edges[1:] - edges[:-1]) * 0.9 if len(edges) > 1 else np.ones(len(days))
            for code, state in enumerate(_STATES, start=1):
                count = (codes == code).sum(axis=1).astype(float)
                if count.any():
                    ax_count.bar(
                        edges[:-1],
                        count,
                        width=width,
                        bottom=bottom,
                        align="edge",
                        color=_STATES[state][1],
                        linewidth=0,
                    )
                    bottom += count
            ax_count.set_ylabel("seats in\nthe state")
            ax_count.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
            ax_count.set_ylim(0, max(1.0, float(bottom.max())) * 1.1)
            _date_axis(ax_count, is_date)
            ax.set_xlabel("")
        else:
            _date_axis(ax, is_date)
        if not any_state.any():
            ax.text(
                0.01,
                0.97,
                "no seat in warning, grace or restriction",
                transform=ax.transAxes,
                ha="left",
                va="top",
                fontsize=12,
                color=_SUBTLE,
            )
        what = "per seat" if len(seats) <= MAX_SEAT_LINES else f"across {len(seats)} seats"
        if single:
            shading = "shaded: the seat's policy state"
        elif many:
            shading = "lower panel: seats in each policy state"
        else:
            shading = "shaded: days on which any seat was in that state"
        sub = f"; replication {rep}" if len(reps) > 1 else ""
        _titles(fig, ax, title, f"{what}; {shading}{sub}")
    return fig


@contextmanager
def _quiet_nan_warnings() -> Iterator[None]:
    """Silence 'All-NaN slice' warnings from nan-aware reductions over days with no defined rate."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


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

    spend = _ci_rows(by_rep("spend"))
    refund = _ci_rows(by_rep("refund"))
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
        if is_date:
            locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
            ax.set_xlabel("ISO week (Monday to Sunday)")
        else:
            ax.set_xlabel("days from the start (weeks)")
        _titles(fig, ax, title, f"with the credits spent for context; {_reps_note(len(reps))}")
        _legend(ax, loc="upper right")
    return fig


def time_to_response(inmails: pd.DataFrame, windows: Sequence[float]) -> Figure:
    """Distribution of time from send to response (days) for answered InMails, with the refund windows (the
    run's resolved `refund_window_days`)."""
    title = "Time from sending to response"
    if inmails is None or inmails.empty or "responded_at" not in inmails.columns:
        return _no_data(title, "no messages")
    df = inmails
    if "channel" in df.columns and (df["channel"].astype(str) == "inmail").any():
        df = df[df["channel"].astype(str) == "inmail"]
        what = "InMails"
    else:
        what = "messages"
    delay = (df["responded_at"].astype(float) - df["sent_at"].astype(float)).to_numpy()
    delay = delay[np.isfinite(delay)]
    if delay.size == 0:
        return _no_data(title, f"no responses to {what}")
    delay = np.clip(delay, 0.0, None)
    windows = [float(w) for w in windows if w is not None and float(w) > 0]
    upper = float(np.max(delay))
    if windows:
        upper = max(upper, min(windows))
    upper = upper * 1.05 if upper > 0 else 1.0
    reps = _replications(_with_replication(df))
    with _style():
        fig, (ax,) = _figure()
        bins = np.linspace(0.0, upper, 51).tolist()
        weights = np.full(delay.size, 1.0 / delay.size)
        ax.hist(
            delay,
            bins=bins,
            weights=weights,
            color="#9ecae1",
            edgecolor="white",
            linewidth=0.5,
            label="responses per bin",
            zorder=2,
        )
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylabel("share of responses per bin")
        ax.set_xlabel("days from sending to response")
        ax.set_xlim(0, upper)
        ax2 = ax.twinx()
        xs = np.sort(delay)
        ecdf = np.arange(1, xs.size + 1) / xs.size
        ax2.step(
            np.concatenate([[0.0], xs, [upper]]),
            np.concatenate([[0.0], ecdf, [1.0]]),
            where="post",
            color="#08519c",
            linewidth=2.2,
            label="cumulative share",
            zorder=3,
        )
        ax2.set_ylim(0, 1.05)
        ax2.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax2.set_ylabel("cumulative share of responses")
        ax2.grid(False)
        ax2.spines["right"].set_visible(True)
        beyond: list[str] = []
        for i, w in enumerate(sorted(windows)):
            if w > upper:
                beyond.append(f"{w:g}")
                continue
            within = float(np.mean(delay <= w))
            ax.axvline(
                w,
                color=_THRESHOLD_COLOUR,
                linestyle="--" if i == 0 else ":",
                linewidth=1.8,
                zorder=4,
                label=f"{w:g}-day window: {within:.0%} of responses within",
            )
        handles1, labels1 = ax.get_legend_handles_labels()
        handles2, labels2 = ax2.get_legend_handles_labels()
        ax.legend(handles1 + handles2, labels1 + labels2, loc="center right")
        median = float(np.median(delay))
        note = f"{delay.size:,} responses, median {_fmt(median)} days"
        if beyond:
            note += f"; window beyond the range: {', '.join(beyond)} days"
        scope = f"all {len(reps)} replications pooled" if len(reps) > 1 else "1 replication"
        _titles(fig, ax, f"{title} (answered {what})", f"{note}; {scope}")
    return fig


# ------------------------------------------------------------------------------------- sweeps, compare


def _kpi_label(kpi: str) -> str:
    """An axis label for a KPI with its unit."""
    entry = BY_NAME.get(kpi)
    if entry is None:
        return _humanise(kpi)
    return f"{_humanise(kpi)} ({entry.unit})"


def kpi_vs_factor(
    points: pd.DataFrame,
    kpi: str,
    factor: str,
    by: str | None = None,
    *,
    threshold: float | None = None,
    xlabel: str | None = None,
) -> Figure:
    """A KPI's mean with its 95% CI band against a sweep factor, one line per value of `by`."""
    title = f"{_sentence(_humanise(kpi))} against {_humanise(factor)}"
    cols = [f"{kpi}_mean", f"{kpi}_ci_low", f"{kpi}_ci_high"]
    if points is None or points.empty or factor not in points.columns or cols[0] not in points.columns:
        return _no_data(title)
    df = points.copy()
    for c in cols[1:]:
        if c not in df.columns:
            df[c] = np.nan
    numeric = pd.api.types.is_numeric_dtype(df[factor]) and not pd.api.types.is_bool_dtype(df[factor])
    categories = list(pd.unique(df[factor])) if not numeric else []
    groups: list[tuple[str | None, pd.DataFrame]]
    averaged = False
    if by is not None and by in df.columns:
        groups = [(f"{_humanise(by)} = {v}", g) for v, g in df.groupby(by, sort=True)]
    else:
        groups = [(None, df)]
    with _style():
        fig, (ax,) = _figure()
        for i, (label, g) in enumerate(groups):
            colour = _PALETTE[i % len(_PALETTE)]
            if g[factor].duplicated().any():  # other factors vary and are not split out: average them
                averaged = True
                g = g.groupby(factor, sort=False)[cols].mean().reset_index()
            if numeric:
                g = g.sort_values(factor)
                xs = g[factor].to_numpy(dtype=float)
            else:
                xs = np.array([categories.index(v) for v in g[factor]], dtype=float)
                order = np.argsort(xs)
                g, xs = g.iloc[order], xs[order]
            mean = g[cols[0]].to_numpy(dtype=float)
            low = g[cols[1]].to_numpy(dtype=float)
            high = g[cols[2]].to_numpy(dtype=float)
            if numeric:
                ax.plot(xs, mean, marker="o", color=colour, label=label or "mean", zorder=3)
                _band(ax, xs, low, high, colour, label=f"{CI_LEVEL:.0%} CI" if label is None else None)
            else:
                err = np.vstack([mean - low, high - mean])
                jitter = (i - (len(groups) - 1) / 2) * 0.08
                ax.errorbar(
                    xs + jitter,
                    mean,
                    yerr=np.where(np.isfinite(err), err, 0.0),
                    fmt="o-",
                    color=colour,
                    capsize=5,
                    label=label or f"mean, {CI_LEVEL:.0%} CI",
                    zorder=3,
                )
        if not numeric:
            ax.set_xticks(range(len(categories)), [str(c) for c in categories])
            ax.set_xlim(-0.5, len(categories) - 0.5)
            ax.grid(axis="x", visible=False)
        if kpi == "response_rate" and threshold is not None:
            _threshold_line(ax, threshold)
        if kpi in _SHARE_KPIS:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        lo_all = np.nanmin(df[cols].to_numpy(dtype=float)) if np.isfinite(df[cols].to_numpy(dtype=float)).any() else 0
        if lo_all >= 0:
            ax.set_ylim(bottom=0)
        ax.set_ylabel(_kpi_label(kpi))
        ax.set_xlabel(xlabel or _humanise(factor))
        _titles(
            fig,
            ax,
            title,
            f"mean and {CI_LEVEL:.0%} CI over replications at each point"
            + ("; averaged over the other factors" if averaged else ""),
        )
        _legend(ax, loc="best", title=None)
    return fig


def _clip_limit(extents: np.ndarray) -> float:
    """The half-width of the compare axis: the largest extent, unless one KPI dwarfs the rest (more than three
    times the next), whose bar then stops at the edge with its values written out."""
    finite = np.sort(extents[np.isfinite(extents)])[::-1]
    if not finite.size:
        return 1.0
    top = float(finite[0])
    cut = float(finite[1]) if finite.size > 1 else top
    return max(1.0, cut * 1.3 if top > 3 * cut else top * 1.05)


def paired_differences(table: pd.DataFrame, *, label_a: str = "A", label_b: str = "B") -> Figure:
    """Each KPI's paired difference B - A with its 95% CI, as a percentage of A, significant ones highlighted."""
    title = f"Paired differences, {label_b} − {label_a}, relative to {label_a}"
    if table is None or table.empty:
        return _no_data(title)
    df = table.copy()
    mean_a = df["mean_a"].astype(float)
    keep = np.isfinite(mean_a) & (mean_a != 0) & np.isfinite(df["diff"].astype(float))
    skipped = df.loc[~keep, "kpi"].astype(str).tolist()
    df = df[keep]
    if df.empty:
        return _no_data(title, f"every KPI is zero under {label_a}: no relative difference")
    scale = 100.0 / df["mean_a"].astype(float).abs()
    rel = df["diff"].astype(float) * scale
    low = df["ci_low"].astype(float) * scale
    high = df["ci_high"].astype(float) * scale
    sig = (
        df["excludes_zero"].fillna(False).astype(bool).to_numpy()
        if "excludes_zero" in df.columns
        else ((low > 0) | (high < 0)).to_numpy()
    )
    n = len(df)
    height = max(FIGSIZE[1], 0.32 * n + 2.0)
    limit = _clip_limit(np.nanmax(np.abs(np.vstack([rel, low, high])), axis=0))
    shown_rel, shown_low, shown_high = (np.clip(v.to_numpy(dtype=float), -limit, limit) for v in (rel, low, high))
    with _style():
        fig, (ax,) = _figure(figsize=(FIGSIZE[0], height))
        y = np.arange(n)[::-1].astype(float)
        for colour, mask, label in (("#c0392b", sig, "CI excludes zero"), ("#7f7f7f", ~sig, "CI includes zero")):
            if not mask.any():
                continue
            lo_err = (shown_rel - shown_low)[mask]
            hi_err = (shown_high - shown_rel)[mask]
            err = np.vstack([lo_err, hi_err])
            ax.errorbar(
                shown_rel[mask],
                y[mask],
                xerr=np.where(np.isfinite(err), err, 0.0),
                fmt="o",
                color=colour,
                ecolor=colour,
                elinewidth=2,
                capsize=4,
                markersize=8,
                label=label,
                zorder=3,
            )
        ax.axvline(0, color="black", linewidth=1.2, zorder=2)
        ax.set_xlim(-limit * 1.12, limit * 1.12)
        for yi, value, lo, hi in zip(y, rel.to_numpy(dtype=float), low.to_numpy(dtype=float),
                                     high.to_numpy(dtype=float), strict=True):  # fmt: skip
            if max(abs(value), abs(lo), abs(hi)) > limit:  # beyond the axis: an arrow at the edge, the value in words
                edge = limit if value > 0 else -limit
                words = f"{value:+,.0f}% ({lo:+,.0f}% to {hi:+,.0f}%)"
                ax.annotate(words, (edge, yi), xytext=(-6 if edge > 0 else 6, 9), textcoords="offset points",
                            ha="right" if edge > 0 else "left", fontsize=10, color=_SUBTLE)  # fmt: skip
                ax.plot([edge], [yi], marker=">" if edge > 0 else "<", color=_SUBTLE, markersize=9, zorder=4)
        labels = [
            f"{_humanise(str(k))}  ({_fmt(float(a))} → {_fmt(float(b))})"
            for k, a, b in zip(df["kpi"], df["mean_a"], df["mean_b"], strict=True)
        ]
        ax.set_yticks(y, labels)
        ax.set_ylim(-0.7, n - 0.3)
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_formatter(PercentFormatter(100.0))
        ax.set_xlabel(f"difference relative to {label_a} (% of the {label_a} mean, {CI_LEVEL:.0%} CI)")
        note = f"mean {label_a} → mean {label_b} in brackets"
        if skipped:
            names = [_humanise(k) for k in skipped]
            shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
            note += f"\nnot shown (zero under {label_a}): {shown}"
        _titles(fig, ax, title, note)
        _legend(ax, loc="best")
    return fig


# ----------------------------------------------------------------------------------------------- output


def save_figure(fig: Figure, path: str | Path, dpi: int = 100) -> Path:
    """Write the figure as a PNG (creating the folder) and close it; return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi, format="png")
    if "matplotlib.pyplot" in sys.modules:  # a figure made through pyplot must also leave its registry
        sys.modules["matplotlib.pyplot"].close(fig)
    return out


FIGURES: dict[str, Callable[..., Figure]] = {
    "credit_balance": credit_balance,
    "credit_fate": credit_fate,
    "response_rate": response_rate,
    "sends_and_blocks": sends_and_blocks,
    "blocked_by_reason": blocked_by_reason,
    "refunds_per_week": refunds_per_week,
    "time_to_response": time_to_response,
}

FIGURE_TABLES: dict[str, str] = {  # figure -> the table it is drawn from
    "credit_balance": "account_days",
    "credit_fate": "account_days",
    "response_rate": "seat_days",
    "sends_and_blocks": "seat_days",
    "blocked_by_reason": "seat_days",
    "refunds_per_week": "credits",
    "time_to_response": "inmails",
}


def _has_data(stem: str, table: pd.DataFrame | None) -> bool:
    """Whether a run figure has anything to show from its table."""
    if table is None or table.empty:
        return False
    if stem == "response_rate":
        states = _policy_states(table)
        rates = table["trailing_rate"].notna().any() if "trailing_rate" in table.columns else False
        return bool((states != "").any() or rates)
    if stem == "refunds_per_week":
        return "kind" in table.columns and bool(table["kind"].astype(str).isin(["spend", "refund"]).any())
    if stem == "time_to_response":
        return "responded_at" in table.columns and bool(table["responded_at"].notna().any())
    return True


def run_figures(
    tables: Mapping[str, pd.DataFrame | None],
    threshold: float | None,
    *,
    windows: Iterable[float],
    window_days: float | None = None,
    skip_empty: bool = True,
) -> dict[str, Figure]:
    """Build every run figure from tables keyed account_days, seat_days, credits, inmails; skip ones with no data.
    The rule values drawn (`threshold`, the refund `windows`, the policy `window_days`) are the run's resolved
    rules."""
    figures: dict[str, Figure] = {}
    for stem, func in FIGURES.items():
        table = tables.get(FIGURE_TABLES[stem])
        if skip_empty and not _has_data(stem, table):
            continue
        frame = table if table is not None else pd.DataFrame()
        if stem == "response_rate":
            figures[stem] = response_rate(frame, threshold, window_days=window_days)
        elif stem == "time_to_response":
            figures[stem] = time_to_response(frame, windows=tuple(windows))
        else:
            figures[stem] = func(frame)
    return figures
