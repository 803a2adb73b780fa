"""The time-to-response figure of a run: how long answered InMails took, with the refund window drawn."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from .stats import _replications, _with_replication
from .style import _THRESHOLD_COLOUR, _figure, _fmt, _no_data, _style, _titles

ECDF_POINTS = 4000
"""At most this many steps of the cumulative share are drawn (far finer than the figure's pixels)."""


def _channel_is(channel: pd.Series, name: str) -> np.ndarray:
    """Which rows are of channel `name`, from a categorical's codes when it is one (no strings built)."""
    if isinstance(channel.dtype, pd.CategoricalDtype):
        categories = list(channel.cat.categories)
        code = categories.index(name) if name in categories else -2
        return np.asarray(channel.cat.codes.to_numpy() == code)
    return np.asarray(channel.astype(str).to_numpy() == name)


def _delays(inmails: pd.DataFrame) -> np.ndarray:
    """Days from sending to response (NaN: none), from an inmails table or its compact `response_delay` form."""
    if "response_delay" in inmails.columns:
        return inmails["response_delay"].to_numpy(dtype=float, na_value=np.nan)
    responded = inmails["responded_at"].to_numpy(dtype=float, na_value=np.nan)
    delay: np.ndarray = responded - inmails["sent_at"].to_numpy(dtype=float, na_value=np.nan)
    return delay


def _cumulative(ax: Axes, delay: np.ndarray, upper: float) -> Axes:
    """The cumulative share of responses by delay, on a second y axis to the right; return that axis."""
    ax2 = ax.twinx()
    xs = np.sort(delay)
    ecdf = np.arange(1, xs.size + 1) / xs.size
    if xs.size > ECDF_POINTS:  # every step is drawn up to ECDF_POINTS; beyond, evenly spaced ranks (and the last)
        ranks = np.unique(np.linspace(0, xs.size - 1, ECDF_POINTS).astype(np.int64))
        xs, ecdf = xs[ranks], ecdf[ranks]
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
    return ax2


def _windows(ax: Axes, delay: np.ndarray, windows: Sequence[float], upper: float) -> list[str]:
    """Each refund window as a vertical line labelled with the share of responses within it; return the windows
    beyond the axis (not drawn), as text."""
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
    return beyond


def time_to_response(inmails: pd.DataFrame, windows: Sequence[float]) -> Figure:
    """Distribution of time from send to response (days) for answered InMails, with the refund windows (the
    run's resolved `refund_window_days`)."""
    title = "Time from sending to response"
    if inmails is None or inmails.empty or not {"responded_at", "response_delay"} & set(inmails.columns):
        return _no_data(title, "no messages")
    inmail = _channel_is(inmails["channel"], "inmail") if "channel" in inmails.columns else None
    chosen = inmail if inmail is not None and inmail.any() else np.ones(len(inmails), dtype=bool)
    what = "InMails" if inmail is not None and inmail.any() else "messages"
    delay = _delays(inmails)
    delay = delay[chosen & np.isfinite(delay)]
    if delay.size == 0:
        return _no_data(title, f"no responses to {what}")
    delay = np.clip(delay, 0.0, None)
    windows = [float(w) for w in windows if w is not None and float(w) > 0]
    upper = float(np.max(delay))
    if windows:
        upper = max(upper, min(windows))
    upper = upper * 1.05 if upper > 0 else 1.0
    reps = _replications(_with_replication(inmails[["replication"]] if "replication" in inmails.columns else inmails))
    with _style():
        fig, (ax,) = _figure()
        bins = np.linspace(0.0, upper, 51)
        counts, _ = np.histogram(delay, bins=bins)
        ax.hist(  # the bins' shares, counted above: one weighted value a bin, not every response
            bins[:-1],
            bins=bins.tolist(),
            weights=counts / delay.size,
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
        ax2 = _cumulative(ax, delay, upper)
        beyond = _windows(ax, delay, windows, upper)
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
