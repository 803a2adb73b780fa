"""The sweep figure: a KPI's mean and 95% band against a swept factor, one line per value of a second one."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from ...output.kpis import BY_NAME, REGISTRY
from .stats import _band
from .style import (
    _PALETTE,
    CI_LEVEL,
    _figure,
    _humanise,
    _legend,
    _no_data,
    _sentence,
    _style,
    _threshold_line,
    _titles,
)

_SHARE_KPIS = {k.name for k in REGISTRY if k.fmt == "share"}


def _kpi_label(kpi: str) -> str:
    """An axis label for a KPI with its unit."""
    entry = BY_NAME.get(kpi)
    if entry is None:
        return _humanise(kpi)
    return f"{_humanise(kpi)} ({entry.unit})"


def _draw_group(
    ax: Axes,
    g: pd.DataFrame,
    factor: str,
    cols: list[str],
    categories: list[Any],
    index: tuple[int, int],
    label: str | None,
) -> bool:
    """One line of the figure: the points of `g` (group `index[0]` of `index[1]`) against `factor`, a band on a
    numeric factor, error bars on categories (`categories` non-empty). Whether points had to be averaged over
    other factors that vary."""
    i, n = index
    colour = _PALETTE[i % len(_PALETTE)]
    numeric = not categories
    averaged = bool(g[factor].duplicated().any())
    if averaged:  # other factors vary and are not split out: average them
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
        jitter = (i - (n - 1) / 2) * 0.08
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
    return averaged


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
            averaged = _draw_group(ax, g, factor, cols, categories, (i, len(groups)), label) or averaged
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
