"""What the figures compute from tidy tables: the mean and 95% Student t band over replications, the day x
replication matrices, the day axis (dates when the table has them) and the band drawn."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from scipy import special  # stdtrit: Student t's quantile (scipy.stats.t.ppf's own), without stats' import

from .style import _BAND_ALPHA, CI_LEVEL, mdates


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
        half[many] = special.stdtrit(n[many] - 1, 0.5 + CI_LEVEL / 2) * sd / np.sqrt(n[many])
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


def _span_edges(x: np.ndarray, is_date: bool) -> np.ndarray:
    """Left edges of each day plus the right edge of the last, in axis units."""
    num = np.asarray(mdates.date2num(x) if is_date else x, dtype=np.float64)
    step = float(np.median(np.diff(num))) if len(num) > 1 else 1.0
    return np.append(num, num[-1] + step) if len(num) else num
