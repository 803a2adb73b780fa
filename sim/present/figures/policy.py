"""The response-rate figure of a run: each seat's trailing rate against the rule's threshold, with the
warning, grace and restricted periods (the rule's values come from the run's resolved rules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter

from .stats import _day_dates, _replications, _span_edges, _with_replication
from .style import (
    _PALETTE,
    _SUBTLE,
    MAX_SEAT_LINES,
    _date_axis,
    _figure,
    _legend_below,
    _no_data,
    _quiet_nan_warnings,
    _style,
    _threshold_line,
    _titles,
)

_STATES: dict[str, tuple[str, str]] = {  # policy state -> (label, colour); ordered by severity
    "warning": ("warning", "#f4d03f"),
    "grace": ("grace", "#f39c12"),
    "restricted": ("restricted", "#c0392b"),
}
_NO_POLICY = {"", "n/a", "na", "none", "nan", "<na>"}


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


@dataclass
class _Grid:
    """One replication's seat-days as the figure draws them: the trailing rate and the policy state's severity
    code (0 none, 1 warning, 2 grace, 3 restricted) per day and seat."""

    key: str
    seats: list[Any]
    days: np.ndarray
    x: np.ndarray
    is_date: bool
    rate: pd.DataFrame
    codes: np.ndarray

    @property
    def many(self) -> bool:
        """Too many seats for a line each: the figure draws percentiles and counts seats per state instead."""
        return len(self.seats) > MAX_SEAT_LINES


def _seat_key(df: pd.DataFrame) -> str:
    """The column naming a seat: `seat`, unless seat numbers repeat across accounts and `sender` is unique."""
    key = "seat" if "seat" in df.columns else "sender"
    if (
        "sender" in df.columns
        and "seat" in df.columns
        and df.groupby("sender")["seat"].nunique().max() <= 1
        and df.groupby("seat")["sender"].nunique().max() > 1
    ):
        key = "sender"  # seats reused across accounts: the sender is the unique key
    return key


def _covered(seat_days: pd.DataFrame, rep: Any) -> tuple[pd.DataFrame, str, bool]:
    """The rows of replication `rep` for seats the rule covers (a state or a rate on some day), the seat key,
    and whether anything is left to draw."""
    df = seat_days[seat_days["replication"] == rep].copy()
    if "trailing_rate" not in df.columns:
        df["trailing_rate"] = np.nan
    df["_state"] = _policy_states(df).to_numpy()
    key = _seat_key(df)
    has_rate = df["trailing_rate"].notna() if "trailing_rate" in df.columns else pd.Series(False, index=df.index)
    covered = df.groupby(key)["_state"].transform(lambda s: (s != "").any()) | has_rate.groupby(df[key]).transform(
        "any"
    )
    df = df[covered]
    drawable = not (df.empty or (not has_rate.loc[df.index].any() and not (df["_state"] != "").any()))
    return df, key, drawable


def _grid(df: pd.DataFrame, key: str) -> _Grid:
    """The day x seat matrices of rates and state codes of the covered rows `df`."""
    days, x, is_date = _day_dates(df)
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
    return _Grid(key, seats, days, x, is_date, rate, codes)


def _draw_rates(ax: Axes, g: _Grid) -> np.ndarray:
    """A line per seat, or (many seats) the median with its interquartile and 10th-90th percentile bands; return
    the 90th percentile per day (NaN with lines)."""
    q90 = np.full(len(g.days), np.nan)
    if not g.many:
        for i, seat in enumerate(g.seats):
            ax.plot(
                g.x,
                g.rate[seat].to_numpy(dtype=float),
                color=_PALETTE[i % len(_PALETTE)],
                label=f"{g.key} {seat}",
                linewidth=1.8,
                zorder=3,
            )
        return q90
    values = g.rate.to_numpy(dtype=float)
    with np.errstate(all="ignore"), _quiet_nan_warnings():
        q10, q25, q50, q75, q90 = np.nanpercentile(values, [10, 25, 50, 75, 90], axis=1)
    ax.fill_between(g.x, q10, q90, color=_PALETTE[0], alpha=0.12, linewidth=0, label="10th-90th percentile")
    ax.fill_between(g.x, q25, q75, color=_PALETTE[0], alpha=0.28, linewidth=0, label="interquartile range")
    ax.plot(g.x, q50, color=_PALETTE[0], label=f"median of {len(g.seats)} seats", zorder=3)
    return np.asarray(q90, dtype=np.float64)


def _rate_axis(ax: Axes, threshold: float | None, q90: np.ndarray, many: bool) -> None:
    """The threshold line and a y range that shows every drawn rate and the threshold, as percentages."""
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


def _state_legend(fig: Figure, ax: Axes, g: _Grid, any_state: np.ndarray, shaded: list[str]) -> None:
    """The legend under the axes: the lines (or bands) and the policy states shown."""
    handles, labels = ax.get_legend_handles_labels()
    present = [
        state
        for code, state in enumerate(_STATES, start=1)
        if (any_state == code).any() or (g.many and (g.codes == code).any())
    ]
    for state in present if g.many else shaded:
        handles.append(Patch(color=_STATES[state][1], alpha=1.0 if g.many else 0.6))
        labels.append(_STATES[state][0])
    _legend_below(fig, handles, labels, ncol=4 if len(labels) != 5 else 3)


def _state_counts(ax: Axes, g: _Grid, edges: np.ndarray) -> None:
    """The lower panel: how many seats are in each policy state each day, stacked."""
    bottom = np.zeros(len(g.days))
    width = (edges[1:] - edges[:-1]) * 0.9 if len(edges) > 1 else np.ones(len(g.days))
    for code, state in enumerate(_STATES, start=1):
        count = (g.codes == code).sum(axis=1).astype(float)
        if count.any():
            ax.bar(edges[:-1], count, width=width, bottom=bottom, align="edge", color=_STATES[state][1], linewidth=0)
            bottom += count
    ax.set_ylabel("seats in\nthe state")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    ax.set_ylim(0, max(1.0, float(bottom.max())) * 1.1)
    _date_axis(ax, g.is_date)


def _rate_note(g: _Grid, reps: list[Any], rep: Any) -> str:
    """The subtitle: per seat or across seats, what the shading means, which replication."""
    what = "per seat" if len(g.seats) <= MAX_SEAT_LINES else f"across {len(g.seats)} seats"
    if len(g.seats) == 1:
        shading = "shaded: the seat's policy state"
    elif g.many:
        shading = "lower panel: seats in each policy state"
    else:
        shading = "shaded: days on which any seat was in that state"
    sub = f"; replication {rep}" if len(reps) > 1 else ""
    return f"{what}; {shading}{sub}"


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
    df, key, drawable = _covered(df, rep)
    if not drawable:
        return _no_data(title, "no InMail senders: the response-rate rule does not apply")
    g = _grid(df, key)
    edges = _span_edges(g.x, g.is_date)
    any_state = g.codes.max(axis=1) if g.codes.size else np.zeros(len(g.days), dtype=int)
    single = len(g.seats) == 1
    with _style():
        if single or not any_state.any():
            fig, (ax,) = _figure()
            ax_count = None
        else:
            fig, (ax, ax_count) = _figure(2, 1, height_ratios=(3, 1.25), sharex=True)
        # with many seats some seat is nearly always in a state: the lower panel counts them instead
        shaded = [] if g.many else _shade_states(ax, any_state, edges, alpha=0.35 if single else 0.18)
        q90 = _draw_rates(ax, g)
        _rate_axis(ax, threshold, q90, g.many)
        _state_legend(fig, ax, g, any_state, shaded)
        if ax_count is not None:
            _state_counts(ax_count, g, edges)
            ax.set_xlabel("")
        else:
            _date_axis(ax, g.is_date)
        if not any_state.any():
            ax.text(0.01, 0.97, "no seat in warning, grace or restriction", transform=ax.transAxes, ha="left",
                    va="top", fontsize=12, color=_SUBTLE)  # fmt: skip
        _titles(fig, ax, title, _rate_note(g, reps, rep))
    return fig
